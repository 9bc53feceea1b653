// Retention and garbage collection: delete versions beyond the last N per model (never aliased or
// deployed ones), then delete blobs no version references. Both have a dry run and are audited.
import { deployedVersions } from './deploy.js';
import { RegistryError } from './errors.js';
import type { Registry } from './types.js';

export interface RetentionOptions {
  /** Versions kept per model, newest first, besides aliased and deployed ones. */
  keepLast: number;
  /** List what would be deleted and change nothing (the audit log included). @default false */
  dryRun?: boolean;
  /** Only this model. @default every model */
  model?: string;
}

/** A model version. */
export interface VersionRef {
  model: string;
  version: number;
}

/** Why a version is kept. */
export type KeepReason =
  | { reason: 'recent' }
  | { reason: 'alias'; alias: string }
  | { reason: 'deployed'; target: string; role: 'live' | 'rollback' };

export interface RetentionReport {
  dryRun: boolean;
  keepLast: number;
  /** Versions the policy removes, oldest first per model (in a dry run: what would go). */
  wouldDelete: VersionRef[];
  /** Versions actually deleted: `wouldDelete` after a real run, [] after a dry run. */
  deleted: VersionRef[];
  /** Every version kept, with every reason it is kept. */
  kept: (VersionRef & { reasons: KeepReason[] })[];
}

export interface GarbageCollectionOptions {
  /** List the unreferenced blobs and change nothing (the audit log included). @default false */
  dryRun?: boolean;
}

export interface GarbageCollectionReport {
  dryRun: boolean;
  /** Blobs no version references (in a dry run: what would be deleted), sorted. */
  unreferenced: string[];
  /** Blobs deleted: `unreferenced` after a real run, [] after a dry run. */
  deleted: string[];
  /** Bytes the unreferenced blobs take (freed by a real run). */
  bytes: number;
}

/**
 * Keeps the last `keepLast` versions of each model plus every version an alias points at or a
 * deployment uses (live, or restored by its rollback); deletes the rest. Runs under the registry
 * lock so no alias or deployment moves between planning and deleting.
 */
export async function applyRetention(
  registry: Registry,
  options: RetentionOptions,
): Promise<RetentionReport> {
  const { keepLast, dryRun = false, model } = options;
  if (!Number.isSafeInteger(keepLast) || keepLast < 0) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `keepLast must be a whole number of versions (0 or more) to keep per model, got ${String(keepLast)}.`,
      model === undefined ? {} : { model },
    );
  }
  return registry.withLock(async () => {
    const models =
      model === undefined ? (await registry.listModels()).map((summary) => summary.name) : [model];
    const deployed = await deployedVersions(registry);
    const report: RetentionReport = { dryRun, keepLast, wouldDelete: [], deleted: [], kept: [] };
    for (const name of models) {
      const versions = await registry.listVersions(name);
      const newestFirst = [...versions].sort((a, b) => b.version - a.version);
      const plan: RetentionReport['kept'] = [];
      newestFirst.forEach((version, rank) => {
        const reasons: KeepReason[] = [];
        if (rank < keepLast) reasons.push({ reason: 'recent' });
        for (const alias of version.aliases) reasons.push({ reason: 'alias', alias });
        for (const use of deployed) {
          if (use.model === name && use.version === version.version) {
            reasons.push({ reason: 'deployed', target: use.target, role: use.role });
          }
        }
        if (reasons.length > 0) plan.push({ model: name, version: version.version, reasons });
        else report.wouldDelete.push({ model: name, version: version.version });
      });
      report.kept.push(...plan.reverse());
    }
    sortRefs(report.wouldDelete);
    if (dryRun) return report;
    for (const ref of report.wouldDelete) {
      await registry.deleteVersion(ref.model, ref.version, {
        reason: `retention: keep the last ${keepLast} versions plus aliased and deployed ones`,
      });
      report.deleted.push(ref);
    }
    await registry.appendAudit({
      action: 'retention',
      ...(model !== undefined ? { model } : {}),
      details: { keepLast, deleted: report.deleted, kept: report.kept.length },
    });
    return report;
  });
}

/**
 * Deletes blobs that no version (nor a registration in progress) references. Runs under the
 * registry lock, so a registration cannot commit a reference to a blob while it is deleted.
 */
export async function collectGarbage(
  registry: Registry,
  options: GarbageCollectionOptions = {},
): Promise<GarbageCollectionReport> {
  const { dryRun = false } = options;
  return registry.withLock(async () => {
    const referenced = await registry.referencedBlobs();
    const unreferenced = (await registry.listBlobs()).filter((hash) => !referenced.has(hash));
    unreferenced.sort();
    let bytes = 0;
    for (const hash of unreferenced) bytes += (await registry.store.blobSize(hash)) ?? 0;
    const report: GarbageCollectionReport = { dryRun, unreferenced, deleted: [], bytes };
    if (dryRun) return report;
    for (const hash of unreferenced) {
      await registry.deleteBlob(hash);
      report.deleted.push(hash);
    }
    await registry.appendAudit({
      action: 'gc',
      details: { deletedBlobs: report.deleted.length, bytes, blobs: report.deleted },
    });
    return report;
  });
}

function sortRefs(refs: VersionRef[]): void {
  refs.sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.version - b.version));
}
