// Deployment of registry versions to a folder readers load from, with an atomic switch, the
// previous deployment kept as the backup, one-call rollback and a durable deployment history.
//
// Layout (POSIX): `<target>` is a symlink to `<target>.versions/<id>`, a complete copy of the
// version plus `.ft-deployment.json`. A switch builds the new folder first, then renames a fresh
// symlink over `<target>` (rename(2) is atomic), so a reader resolving `<target>` sees the old
// folder or the new one, never a half-written one. Folders stay after a switch (the last
// `keepFolders`), so a reader that resolved `<target>` a moment ago keeps reading complete files,
// and rollback is a symlink switch. A reader that needs several files from one version resolves
// `realpath(<target>)` once and reads them all from there.
import { randomUUID } from 'node:crypto';
import {
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  symlink,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '@ft/data';
import { RegistryError } from './errors.js';
import type { FileEntry, Registry } from './types.js';

/** The store log that holds deployment records, one JSON record per switch. */
export const DEPLOYMENT_LOG = 'deployments';
/** The file written into every deployment folder: its record and manifest. */
export const DEPLOYMENT_MANIFEST = '.ft-deployment.json';

/** One switch of a target: a deployment or a rollback. */
export interface DeploymentRecord {
  /** Unique id of this switch (sortable by time). */
  id: string;
  /** `deploy` put a version in place; `rollback` reactivated an earlier deployment's folder. */
  action: 'deploy' | 'rollback';
  model: string;
  version: number;
  /** Absolute path of the target (the symlink readers load from). */
  target: string;
  /** Absolute path of the folder the target points at after this switch. */
  folder: string;
  /** ISO time of the switch. */
  time: string;
  /** Who switched, when known. */
  by?: string;
  /** Id of the record that was live before this switch: what `rollback` returns to. */
  previous?: string;
  /** Where content found at the target that this module did not put there was moved to. */
  backup?: string;
}

/** What `.ft-deployment.json` in a deployment folder holds. */
export interface DeploymentManifest {
  deployment: DeploymentRecord;
  /** The version's files with their sha256, as registered. */
  files: FileEntry[];
}

export interface DeployOptions {
  /** The model to deploy. */
  model: string;
  /** A version number, numeric string, alias or `'latest'`. */
  ref: number | string;
  /** Folder path readers load from; it becomes a symlink to the live deployment folder. */
  target: string;
  /**
   * Deployment folders kept in `<target>.versions/`, the live one and the rollback one included;
   * older ones are removed (a later rollback to them materializes the version again). @default 3
   */
  keepFolders?: number;
}

export interface RollbackOptions {
  /** The deployed target. */
  target: string;
  /**
   * Id of an earlier record of this target to return to.
   * @default the record that was live before the current one
   */
  to?: string;
}

export interface DeploymentHistoryOptions {
  /** Only this target's records. @default every target */
  target?: string;
}

/** A version some target needs: the live one, or the one its rollback would restore. */
export interface DeployedVersion {
  model: string;
  version: number;
  target: string;
  role: 'live' | 'rollback';
  /** The record that put it there. */
  deploymentId: string;
}

/**
 * Deploys a version to `target`: materializes it into a new folder beside the target, then
 * switches the target's symlink to it atomically. What was live before stays as the backup that
 * `rollback` returns to; anything else found at the target is moved into `<target>.versions/`.
 * Holds the registry lock throughout, so retention never deletes a version mid-deploy.
 */
export async function deploy(
  registry: Registry,
  options: DeployOptions,
): Promise<DeploymentRecord> {
  const { model, ref, keepFolders = 3 } = options;
  const target = resolveTarget(registry, options.target);
  if (!Number.isSafeInteger(keepFolders) || keepFolders < 2) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `keepFolders must be a whole number of at least 2 (the live folder and the rollback one), got ${String(keepFolders)}.`,
      { path: target },
    );
  }
  return registry.withLock(async () => {
    const version = await registry.getVersion(model, ref);
    if (version.files.some((file) => file.path === DEPLOYMENT_MANIFEST)) {
      throw new RegistryError(
        'INVALID_ARTIFACT',
        `the version has a file named ${DEPLOYMENT_MANIFEST}, which deployment writes itself; register it without that file.`,
        { model, version: version.version, path: DEPLOYMENT_MANIFEST },
      );
    }
    const history = await targetHistory(registry, target);
    const current = await prepareTarget(target, history);
    const id = newId();
    const record: DeploymentRecord = {
      id,
      action: 'deploy',
      model: version.model,
      version: version.version,
      target,
      folder: join(versionsDir(target), id),
      time: new Date().toISOString(),
      ...(registry.user !== undefined ? { by: registry.user } : {}),
      ...(current.live ? { previous: current.live.id } : {}),
      ...(current.backup !== undefined ? { backup: current.backup } : {}),
    };
    await buildFolder(registry, record, version.files);
    await commitSwitch(registry, record);
    await pruneFolders(target, [...history, record], keepFolders);
    return record;
  });
}

/**
 * Switches `target` back to the deployment that was live before the current one (or to `to`).
 * Rolling back twice returns to where it started, like `kubectl rollout undo`; pass `to` to go
 * further back.
 */
export async function rollback(
  registry: Registry,
  options: RollbackOptions,
): Promise<DeploymentRecord> {
  const target = resolveTarget(registry, options.target);
  return registry.withLock(async () => {
    const history = await targetHistory(registry, target);
    const current = await prepareTarget(target, history);
    if (!current.live) {
      throw new RegistryError(
        'NOT_FOUND',
        'nothing was deployed here, so there is nothing to roll back; deploy a version first.',
        { path: target },
      );
    }
    const wanted = options.to ?? current.live.previous;
    if (wanted === undefined) {
      const kept = current.live.backup ?? history.find((r) => r.backup !== undefined)?.backup;
      throw new RegistryError(
        'NOT_FOUND',
        `the live deployment ${current.live.id} is the first one here, so there is no earlier deployment to roll back to${kept ? `; what was at the target before it is kept at ${kept}` : ''}.`,
        { model: current.live.model, version: current.live.version, path: target },
      );
    }
    const earlier = history.find((record) => record.id === wanted);
    if (!earlier) {
      throw new RegistryError(
        'NOT_FOUND',
        `no deployment ${JSON.stringify(wanted)} of this target; see deploymentHistory() for the ids.`,
        { path: target },
      );
    }
    if (earlier.id === current.live.id) {
      throw new RegistryError(
        'INVALID_ARGUMENT',
        `deployment ${earlier.id} is the live one already; name an earlier one.`,
        { path: target },
      );
    }
    const id = newId();
    const folderExists = await isDirectory(earlier.folder);
    const record: DeploymentRecord = {
      id,
      action: 'rollback',
      model: earlier.model,
      version: earlier.version,
      target,
      // A folder pruned since is materialized again from the registry.
      folder: folderExists ? earlier.folder : join(versionsDir(target), id),
      time: new Date().toISOString(),
      ...(registry.user !== undefined ? { by: registry.user } : {}),
      previous: current.live.id,
      ...(current.backup !== undefined ? { backup: current.backup } : {}),
    };
    if (!folderExists) {
      const version = await registry.getVersion(earlier.model, earlier.version);
      await buildFolder(registry, record, version.files);
    }
    await commitSwitch(registry, record);
    return record;
  });
}

/** Deployment records, oldest first (every target, or one). */
export async function deploymentHistory(
  registry: Registry,
  options: DeploymentHistoryOptions = {},
): Promise<DeploymentRecord[]> {
  const records = await readHistory(registry);
  if (options.target === undefined) return records;
  const target = resolveTarget(registry, options.target);
  return records.filter((record) => record.target === target);
}

/** The record live at `target` now, or undefined when nothing was deployed there. */
export async function currentDeployment(
  registry: Registry,
  options: { target: string },
): Promise<DeploymentRecord | undefined> {
  const history = await deploymentHistory(registry, options);
  return history.at(-1);
}

/** Versions in use by deployments: each target's live version and the one rollback restores. */
export async function deployedVersions(registry: Registry): Promise<DeployedVersion[]> {
  const records = await readHistory(registry);
  const byId = new Map(records.map((record) => [record.id, record]));
  const live = new Map<string, DeploymentRecord>();
  for (const record of records) live.set(record.target, record);
  const out: DeployedVersion[] = [];
  for (const record of live.values()) {
    out.push(inUse(record, 'live'));
    const previous = record.previous === undefined ? undefined : byId.get(record.previous);
    if (previous) out.push(inUse(previous, 'rollback'));
  }
  return out;
}

function inUse(record: DeploymentRecord, role: DeployedVersion['role']): DeployedVersion {
  const { model, version, target, id } = record;
  return { model, version, target, role, deploymentId: id };
}

function resolveTarget(registry: Registry, target: unknown): string {
  if (typeof target !== 'string' || target.length === 0 || target.includes('\u0000')) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `target must be a folder path (a non-empty string without NUL), got ${JSON.stringify(target)}.`,
    );
  }
  const absolute = resolve(target);
  if (dirname(absolute) === absolute) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      'target cannot be a filesystem root; name a folder inside it.',
      { path: absolute },
    );
  }
  const root = resolve(registry.root);
  const inside = relative(root, absolute);
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `target ${absolute} is inside the registry root ${root}; deploy to a folder outside it.`,
      { path: absolute },
    );
  }
  const aroundRoot = relative(absolute, root);
  if (!aroundRoot.startsWith('..') && !isAbsolute(aroundRoot)) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `target ${absolute} contains the registry root ${root}; deploy to a folder outside it.`,
      { path: absolute },
    );
  }
  return absolute;
}

function versionsDir(target: string): string {
  return `${target}.versions`;
}

/** Sortable, unique, and safe as a folder name. */
function newId(): string {
  const time = new Date().toISOString().replace(/[:.]/g, '-');
  return `${time}-${randomUUID().slice(0, 8)}`;
}

async function readHistory(registry: Registry): Promise<DeploymentRecord[]> {
  const raw = await registry.store.readLog(DEPLOYMENT_LOG);
  return raw.map((record, index) => parseRecord(record, index, registry.store.location));
}

async function targetHistory(registry: Registry, target: string): Promise<DeploymentRecord[]> {
  return (await readHistory(registry)).filter((record) => record.target === target);
}

function parseRecord(value: unknown, index: number, location: string): DeploymentRecord {
  const bad = (problem: string): RegistryError =>
    new RegistryError(
      'INTEGRITY',
      `record ${index + 1} of the deployment log is malformed: ${problem}. The log was edited or damaged; restore it from a backup or remove that record.`,
      { path: `${location} log ${DEPLOYMENT_LOG}` },
    );
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw bad('it is not an object');
  }
  const r = value as Record<string, unknown>;
  for (const key of ['id', 'model', 'target', 'folder', 'time'] as const) {
    if (typeof r[key] !== 'string' || (r[key] as string).length === 0) {
      throw bad(`"${key}" is not a non-empty string`);
    }
  }
  if (r.action !== 'deploy' && r.action !== 'rollback')
    throw bad('"action" is not deploy/rollback');
  if (typeof r.version !== 'number' || !Number.isSafeInteger(r.version) || r.version < 1) {
    throw bad('"version" is not a whole number from 1');
  }
  for (const key of ['by', 'previous', 'backup'] as const) {
    if (r[key] !== undefined && typeof r[key] !== 'string') throw bad(`"${key}" is not a string`);
  }
  if (!isAbsolute(r.target as string) || !isAbsolute(r.folder as string)) {
    throw bad('"target" and "folder" must be absolute paths');
  }
  return r as unknown as DeploymentRecord;
}

/** The name a symlink made by this module points at, relative to the target's folder. */
function linkValue(target: string, folder: string): string {
  return relative(dirname(target), folder);
}

/**
 * Brings the target in line with the history before a switch: the history is written after the
 * new folder is complete and before the symlink moves, so a crash in between leaves the link one
 * step behind, and it is moved forward here. Content this module did not put at the target is
 * moved into `<target>.versions/backup-<id>` (kept, never pruned). Leftovers of interrupted
 * folder builds are removed.
 */
async function prepareTarget(
  target: string,
  history: DeploymentRecord[],
): Promise<{ live?: DeploymentRecord; backup?: string }> {
  const dir = versionsDir(target);
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    if (name.startsWith('.tmp-')) await rm(join(dir, name), { recursive: true, force: true });
  }
  const live = history.at(-1);
  const found = await lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw ioError(`could not inspect the target: ${error.message}`, target, error);
  });
  let backup: string | undefined;
  if (found) {
    const ours =
      found.isSymbolicLink() && (await readlink(target)).startsWith(`${basename(dir)}${sep}`);
    if (found.isDirectory() && (await isEmptyDir(target))) {
      await rm(target, { recursive: true });
    } else if (!ours) {
      backup = join(dir, `backup-${newId()}`);
      await rename(target, backup);
    }
  }
  if (live && (await isDirectory(live.folder))) {
    const now = await readlink(target).catch(() => undefined);
    if (now !== linkValue(target, live.folder)) await pointTarget(target, live.folder);
  }
  return { ...(live ? { live } : {}), ...(backup !== undefined ? { backup } : {}) };
}

async function buildFolder(
  registry: Registry,
  record: DeploymentRecord,
  files: FileEntry[],
): Promise<void> {
  const temp = join(dirname(record.folder), `.tmp-${record.id}`);
  try {
    await registry.materialize(record.model, record.version, temp);
    const manifest: DeploymentManifest = { deployment: record, files };
    await writeFileAtomic(join(temp, DEPLOYMENT_MANIFEST), (path) =>
      writeFileText(path, `${JSON.stringify(manifest, null, 2)}\n`),
    );
    // The folder must be on disk before the history names it and the target points at it.
    await syncTree(temp);
    await rename(temp, record.folder);
    await syncDir(dirname(record.folder));
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (error instanceof RegistryError) throw error;
    throw ioError(
      `could not build the deployment folder: ${(error as Error).message}`,
      record.folder,
      error,
    );
  }
}

/** History first, then the switch: see prepareTarget for how a crash in between is repaired. */
async function commitSwitch(registry: Registry, record: DeploymentRecord): Promise<void> {
  await registry.store.appendLog(DEPLOYMENT_LOG, record);
  await pointTarget(record.target, record.folder);
  await registry.appendAudit({
    action: record.action,
    model: record.model,
    version: record.version,
    details: {
      id: record.id,
      target: record.target,
      folder: record.folder,
      ...(record.previous !== undefined ? { previous: record.previous } : {}),
      ...(record.backup !== undefined ? { backup: record.backup } : {}),
    },
  });
}

/** Points `target` at `folder` by renaming a fresh symlink over it: atomic on POSIX. */
async function pointTarget(target: string, folder: string): Promise<void> {
  const link = join(dirname(target), `.${basename(target)}.link-${randomUUID()}`);
  try {
    await symlink(linkValue(target, folder), link, 'dir');
    await rename(link, target);
  } catch (error) {
    await rm(link, { force: true });
    throw ioError(
      `could not switch the target to ${folder}: ${(error as Error).message}`,
      target,
      error,
    );
  }
  await syncDir(dirname(target));
}

/**
 * Keeps the folders of the last `keep` distinct live deployments. Only folders the history names
 * are removed: backups, and folders some other registry deployed here, are left alone.
 */
async function pruneFolders(
  target: string,
  history: DeploymentRecord[],
  keep: number,
): Promise<void> {
  const keepNames = new Set<string>();
  for (let i = history.length - 1; i >= 0 && keepNames.size < keep; i--) {
    keepNames.add(basename((history[i] as DeploymentRecord).folder));
  }
  const known = new Set(history.map((record) => basename(record.folder)));
  const dir = versionsDir(target);
  for (const name of await readdir(dir)) {
    if (known.has(name) && !keepNames.has(name)) {
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
}

async function isDirectory(path: string): Promise<boolean> {
  const found = await lstat(path).catch(() => undefined);
  return found?.isDirectory() ?? false;
}

async function isEmptyDir(path: string): Promise<boolean> {
  return (await readdir(path)).length === 0;
}

async function writeFileText(path: string, text: string): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
}

async function syncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(path);
    else if (entry.isFile()) {
      const handle = await open(path, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}

function ioError(problem: string, path: string, cause: unknown): RegistryError {
  return new RegistryError(
    'IO_ERROR',
    `${problem}. Check the folder's permissions and free space.`,
    {
      path,
      cause,
    },
  );
}

/** Reads a deployment folder's manifest (for readers and tests that check what is live). */
export async function readDeploymentManifest(folder: string): Promise<DeploymentManifest> {
  const path = join(folder, DEPLOYMENT_MANIFEST);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RegistryError(
      'NOT_FOUND',
      `no ${DEPLOYMENT_MANIFEST} here: the folder is not a deployment made by @ft/registry.`,
      { path, cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RegistryError('INTEGRITY', 'the deployment manifest is not valid JSON.', {
      path,
      cause: error,
    });
  }
  const manifest = parsed as Partial<DeploymentManifest>;
  if (
    typeof manifest !== 'object' ||
    manifest === null ||
    !Array.isArray(manifest.files) ||
    typeof manifest.deployment !== 'object'
  ) {
    throw new RegistryError(
      'INTEGRITY',
      'the deployment manifest lacks "deployment" or "files"; it was edited or damaged.',
      { path },
    );
  }
  parseRecord(manifest.deployment, 0, path);
  return manifest as DeploymentManifest;
}
