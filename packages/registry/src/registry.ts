// The model registry over a RegistryStore: registration (blobs staged first, the version document
// written last as the commit point), aliases, tags, search, audit, integrity checks and recovery.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import { lstat, mkdir, open, readdir, realpath, rename, unlink } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { isProcessAlive, sha256Hex } from '@ft/data';
import { AUDIT_LOG, makeAuditEvent, readAuditLog } from './audit.js';
import { deployedVersions } from './deploy.js';
import { RegistryError } from './errors.js';
import {
  assertAlias,
  assertArtifactPath,
  assertModelName,
  assertTags,
  assertVersionNumber,
} from './names.js';
import { pickOnnxFile, readOnnxSignature } from './signature.js';
import { collectSources, hashSource, readSource, readSourceBytes } from './sources.js';
import { createLocalStore } from './stores/local-fs.js';
import { hostTag } from './stores/utils.js';
import type {
  AuditEvent,
  BlobProblem,
  DeleteVersionOptions,
  FileEntry,
  Lineage,
  MaterializeOptions,
  ModelSummary,
  ModelVersion,
  RecoveryReport,
  RegisterOptions,
  Registry,
  RegistryOptions,
  SearchQuery,
  VerifyReport,
} from './types.js';

/** What a model document holds (`models/<name>/model`). */
interface ModelDoc {
  name: string;
  createdAt: string;
  tags: Record<string, string>;
  aliases: Record<string, number>;
  /** Highest number ever given, so numbers are never reused after a delete. */
  lastVersion: number;
}

/** A registration in progress (`staging/<id>`): which blobs it may have stored, and whose it is. */
interface StagingDoc {
  id: string;
  model: string;
  pid: number;
  hostTag: string;
  time: string;
  hashes: string[];
}

type VersionDoc = Omit<ModelVersion, 'aliases'>;

const LOCK_NAME = 'registry';
const MAX_DESCRIPTION_LENGTH = 100_000;

const modelKey = (model: string) => `models/${model}/model`;
const versionsPrefix = (model: string) => `models/${model}/versions/`;
const versionKey = (model: string, version: number) =>
  `${versionsPrefix(model)}${String(version).padStart(10, '0')}`;

/** Opens (creating when needed) a registry and cleans up after crashed registrations. */
export async function createRegistry(options: RegistryOptions): Promise<Registry> {
  const {
    lockTimeoutMs = 30_000,
    staleRegistrationMs = 86_400_000,
    user = defaultUser(),
  } = options;
  if (options.store === undefined && (typeof options.root !== 'string' || options.root === '')) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      'createRegistry needs `root` (a folder for the local store) or a `store`.',
    );
  }
  const store = options.store ?? createLocalStore({ root: options.root! });

  // Reentrancy: code running inside withLock (e.g. a deploy calling setAlias) already holds the
  // lock; taking the file lock again would wait for itself.
  const lockContext = new AsyncLocalStorage<symbol>();
  const token = Symbol('registry-lock');
  // Calls from this process queue here, so only one of them polls the file lock at a time.
  let queue: Promise<unknown> = Promise.resolve();

  async function withLock<T>(fn: () => Promise<T>): Promise<T> {
    if (lockContext.getStore() === token) return fn();
    const run = async () => {
      const held = await store.lock(LOCK_NAME, { timeoutMs: lockTimeoutMs });
      try {
        return await lockContext.run(token, fn);
      } finally {
        await held.release();
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  }

  async function audit(event: Omit<AuditEvent, 'time'>): Promise<void> {
    await store.appendLog(AUDIT_LOG, makeAuditEvent(event, user));
  }

  async function readModelDoc(model: string): Promise<ModelDoc | undefined> {
    const value = await store.readDoc(modelKey(model));
    if (value === undefined) return undefined;
    return parseModelDoc(value, model);
  }

  async function versionNumbers(model: string): Promise<number[]> {
    const keys = await store.listDocs(versionsPrefix(model));
    return keys
      .map((key) => key.slice(versionsPrefix(model).length))
      .filter((name) => /^\d{10}$/.test(name))
      .map(Number)
      .sort((a, b) => a - b);
  }

  /** The model document, synthesised when a crash left versions without one. */
  async function requireModel(model: string): Promise<{ doc: ModelDoc; versions: number[] }> {
    assertModelName(model);
    const [doc, versions] = await Promise.all([readModelDoc(model), versionNumbers(model)]);
    if (doc) return { doc, versions };
    if (versions.length === 0) {
      throw new RegistryError(
        'NOT_FOUND',
        'no such model in the registry; check the name with listModels() or register a version first.',
        { model },
      );
    }
    const first = await readVersionDoc(model, versions[0]!);
    return {
      doc: {
        name: model,
        createdAt: first?.createdAt ?? new Date(0).toISOString(),
        tags: {},
        aliases: {},
        lastVersion: versions[versions.length - 1]!,
      },
      versions,
    };
  }

  async function readVersionDoc(model: string, version: number): Promise<VersionDoc | undefined> {
    const value = await store.readDoc(versionKey(model, version));
    if (value === undefined) return undefined;
    return parseVersionDoc(value, model, version);
  }

  function withAliases(doc: VersionDoc, model: ModelDoc): ModelVersion {
    const aliases = Object.entries(model.aliases)
      .filter(([, version]) => version === doc.version)
      .map(([alias]) => alias)
      .sort();
    return { ...doc, aliases };
  }

  async function resolveRef(model: string, ref: number | string): Promise<number> {
    if (typeof ref === 'number') {
      assertVersionNumber(ref, model);
      return ref;
    }
    if (typeof ref !== 'string') {
      throw new RegistryError(
        'INVALID_ARGUMENT',
        `version reference ${String(ref)} must be a number, a numeric string, an alias or 'latest'.`,
        { model },
      );
    }
    if (/^\d+$/.test(ref)) {
      const version = Number(ref);
      assertVersionNumber(version, model);
      return version;
    }
    const { doc, versions } = await requireModel(model);
    if (ref === 'latest') {
      const latest = versions[versions.length - 1];
      if (latest === undefined) {
        throw new RegistryError(
          'NOT_FOUND',
          "has no versions left, so 'latest' names none; register a version.",
          { model },
        );
      }
      return latest;
    }
    assertAlias(ref, model);
    const version = doc.aliases[ref];
    if (version === undefined) {
      const known = Object.keys(doc.aliases).sort();
      throw new RegistryError(
        'NOT_FOUND',
        `alias '${ref}' is not set (aliases: ${known.length > 0 ? known.join(', ') : 'none'}); set it with setAlias().`,
        { model },
      );
    }
    return version;
  }

  async function getVersion(model: string, ref: number | string): Promise<ModelVersion> {
    assertModelName(model);
    const version = await resolveRef(model, ref);
    const [doc, { doc: modelDoc }] = await Promise.all([
      readVersionDoc(model, version),
      requireModel(model),
    ]);
    if (!doc) {
      throw new RegistryError(
        'NOT_FOUND',
        'no such version (it was never registered or has been deleted); see listVersions().',
        { model, version },
      );
    }
    return withAliases(doc, modelDoc);
  }

  async function listVersions(model: string): Promise<ModelVersion[]> {
    const { doc: modelDoc, versions } = await requireModel(model);
    const docs = await Promise.all(versions.map((version) => readVersionDoc(model, version)));
    return docs
      .filter((doc): doc is VersionDoc => doc !== undefined)
      .map((doc) => withAliases(doc, modelDoc));
  }

  async function listModelNames(): Promise<string[]> {
    const names = await store.listPrefixes('models/');
    return names.filter((name) => {
      try {
        assertModelName(name);
        return true;
      } catch {
        return false;
      }
    });
  }

  async function allVersions(): Promise<ModelVersion[]> {
    const lists = await Promise.all((await listModelNames()).map((name) => listVersions(name)));
    return lists.flat();
  }

  async function stagingDocs(): Promise<{ key: string; doc: StagingDoc }[]> {
    const keys = await store.listDocs('staging/');
    const docs = await Promise.all(
      keys.map(async (key) => ({
        key,
        doc: parseStagingDoc(await store.readDoc(key).catch(() => undefined)),
      })),
    );
    return docs.filter(
      (entry): entry is { key: string; doc: StagingDoc } => entry.doc !== undefined,
    );
  }

  function isAbandoned(doc: StagingDoc): boolean {
    if (doc.hostTag === hostTag) return doc.pid !== process.pid && !isProcessAlive(doc.pid);
    return Date.now() - Date.parse(doc.time) > staleRegistrationMs;
  }

  async function referencedBlobs(): Promise<Set<string>> {
    const referenced = new Set<string>();
    for (const version of await allVersions()) {
      for (const file of version.files) referenced.add(file.sha256);
    }
    // A registration in progress has stored blobs that no version references yet.
    for (const { doc } of await stagingDocs()) {
      if (!isAbandoned(doc)) for (const hash of doc.hashes) referenced.add(hash);
    }
    return referenced;
  }

  async function recover(): Promise<RecoveryReport> {
    return withLock(async () => {
      const { removedTemp, repairedLogs } = await store.recover();
      const staging = await stagingDocs();
      const abandoned = staging.filter(({ doc }) => isAbandoned(doc));
      let removedBlobs = 0;
      if (abandoned.length > 0) {
        const referenced = new Set<string>();
        for (const version of await allVersions()) {
          for (const file of version.files) referenced.add(file.sha256);
        }
        for (const { doc } of staging) {
          if (!isAbandoned(doc)) for (const hash of doc.hashes) referenced.add(hash);
        }
        for (const { key, doc } of abandoned) {
          for (const hash of doc.hashes) {
            if (!referenced.has(hash) && (await store.deleteBlob(hash))) removedBlobs++;
          }
          await store.deleteDoc(key);
        }
      }
      // Staging documents that no longer parse cannot protect anything; drop them.
      for (const key of await store.listDocs('staging/')) {
        if (parseStagingDoc(await store.readDoc(key).catch(() => undefined)) === undefined) {
          await store.deleteDoc(key);
        }
      }
      const report = {
        abandonedRegistrations: abandoned.length,
        removedBlobs,
        removedTemp,
        repairedLogs,
      };
      if (abandoned.length + removedTemp + repairedLogs > 0) {
        await audit({
          action: 'recover',
          details: {
            ...report,
            models: [...new Set(abandoned.map(({ doc }) => doc.model))].sort(),
          },
        });
      }
      return report;
    });
  }

  async function register(model: string, options: RegisterOptions): Promise<ModelVersion> {
    assertModelName(model);
    if (typeof options !== 'object' || options === null) {
      throw new RegistryError(
        'INVALID_ARGUMENT',
        'register needs an options object with `source`.',
        { model },
      );
    }
    const metrics = checkMetrics(options.metrics ?? {}, model);
    const params = checkParams(options.params ?? {}, model);
    const tags = options.tags ?? {};
    assertTags(tags, { model });
    const lineage = checkLineage(options.lineage ?? {}, model);
    const description = checkOptionalString(options.description, 'description', model);
    const createdBy = checkOptionalString(options.createdBy, 'createdBy', model) ?? user;

    const sources = await collectSources(options.source, model);
    const files: FileEntry[] = [];
    for (const source of sources) {
      const { sha256, size } = await hashSource(source, model);
      files.push({ path: source.path, sha256, size });
    }
    const onnxFile = pickOnnxFile(files.map((file) => file.path));
    const signature =
      onnxFile === undefined
        ? undefined
        : readOnnxSignature(
            await readSourceBytes(sources.find((source) => source.path === onnxFile)!, model),
            onnxFile,
            model,
          );

    // The staging document goes first: it names every blob this registration may store, so a
    // crash anywhere below leaves a record that recover() uses to remove exactly those blobs.
    const stagingKey = `staging/${process.pid}-${randomUUID()}`;
    const staging: StagingDoc = {
      id: stagingKey.slice('staging/'.length),
      model,
      pid: process.pid,
      hostTag,
      time: new Date().toISOString(),
      hashes: [...new Set(files.map((file) => file.sha256))].sort(),
    };
    await store.writeDoc(stagingKey, staging);
    const created = new Set<string>();
    let committed = false;
    try {
      await storeBlobs(sources, files, model, created);
      return await withLock(async () => {
        // Garbage collection may have removed a blob this registration found already stored
        // (before its staging record existed); put back whatever is missing while holding the lock.
        await storeBlobs(sources, files, model, created);
        const [modelDoc, versions] = await Promise.all([
          readModelDoc(model),
          versionNumbers(model),
        ]);
        const version = Math.max(modelDoc?.lastVersion ?? 0, versions.at(-1) ?? 0) + 1;
        const doc: VersionDoc = {
          model,
          version,
          createdAt: new Date().toISOString(),
          ...(createdBy !== undefined ? { createdBy } : {}),
          files,
          metrics,
          params,
          tags: { ...(tags as Record<string, string>) },
          ...(description !== undefined ? { description } : {}),
          lineage,
          ...(signature !== undefined ? { signature } : {}),
        };
        // The commit point: one atomic create-only write. Before it the version does not exist.
        committed = await store.writeDoc(versionKey(model, version), doc, { ifAbsent: true });
        if (!committed) {
          throw new RegistryError(
            'ALREADY_EXISTS',
            'this version number exists already although the registry lock was held; another program writes to the registry without the lock. Stop it and register again.',
            { model, version },
          );
        }
        const nextModelDoc: ModelDoc = modelDoc
          ? { ...modelDoc, lastVersion: version }
          : { name: model, createdAt: doc.createdAt, tags: {}, aliases: {}, lastVersion: version };
        await store.writeDoc(modelKey(model), nextModelDoc);
        await audit({
          action: 'register',
          model,
          version,
          ...(createdBy !== undefined ? { by: createdBy } : {}),
          details: {
            files: files.length,
            bytes: files.reduce((sum, file) => sum + file.size, 0),
            ...(lineage.parentVersion !== undefined
              ? { parentVersion: lineage.parentVersion }
              : {}),
          },
        });
        return withAliases(doc, nextModelDoc);
      });
    } catch (error) {
      // A failed registration (not a crash) cleans up after itself at once: the blobs it created
      // go unless another version or a registration in progress uses them meanwhile.
      if (!committed && created.size > 0) {
        await store.deleteDoc(stagingKey);
        await withLock(async () => {
          const referenced = await referencedBlobs();
          for (const hash of created) if (!referenced.has(hash)) await store.deleteBlob(hash);
        }).catch(() => undefined);
      }
      throw error;
    } finally {
      await store.deleteDoc(stagingKey);
    }
  }

  async function storeBlobs(
    sources: Awaited<ReturnType<typeof collectSources>>,
    files: FileEntry[],
    model: string,
    created: Set<string>,
  ): Promise<void> {
    const done = new Set<string>();
    for (let i = 0; i < files.length; i++) {
      const file = files[i]!;
      if (done.has(file.sha256)) continue;
      done.add(file.sha256);
      // putBlob skips the read entirely when the blob is already stored (shared files).
      const result = await store
        .putBlob(readSource(sources[i]!, model), { expectedSha256: file.sha256 })
        .catch((error: unknown) => {
          // Store errors know the blob, not the artifact: name the model and file for the user.
          if (!(error instanceof RegistryError) || error.model !== undefined) throw error;
          throw new RegistryError(error.code, error.problem, {
            model,
            path: file.path,
            cause: error,
          });
        });
      if (result.created) created.add(file.sha256);
    }
  }

  async function setAlias(model: string, alias: string, version: number): Promise<void> {
    assertModelName(model);
    assertAlias(alias, model);
    assertVersionNumber(version, model);
    await withLock(async () => {
      const { doc } = await requireModel(model);
      if (!(await readVersionDoc(model, version))) {
        throw new RegistryError(
          'NOT_FOUND',
          `cannot point alias '${alias}' at a version that does not exist; see listVersions().`,
          { model, version },
        );
      }
      const previous = doc.aliases[alias];
      // One document write moves the alias: readers see the old target or the new, never neither.
      await store.writeDoc(modelKey(model), {
        ...doc,
        aliases: { ...doc.aliases, [alias]: version },
      });
      await audit({
        action: 'set-alias',
        model,
        version,
        details: { alias, ...(previous !== undefined ? { previousVersion: previous } : {}) },
      });
    });
  }

  async function deleteAlias(model: string, alias: string): Promise<void> {
    assertModelName(model);
    assertAlias(alias, model);
    await withLock(async () => {
      const { doc } = await requireModel(model);
      const previous = doc.aliases[alias];
      if (previous === undefined) {
        throw new RegistryError(
          'NOT_FOUND',
          `alias '${alias}' is not set, so there is nothing to delete.`,
          { model },
        );
      }
      const aliases = { ...doc.aliases };
      delete aliases[alias];
      await store.writeDoc(modelKey(model), { ...doc, aliases });
      await audit({ action: 'delete-alias', model, version: previous, details: { alias } });
    });
  }

  async function setModelTags(model: string, tags: Record<string, string | null>) {
    assertModelName(model);
    assertTags(tags, { model }, true);
    await withLock(async () => {
      const { doc } = await requireModel(model);
      await store.writeDoc(modelKey(model), { ...doc, tags: mergeTags(doc.tags, tags) });
      await audit({ action: 'set-model-tags', model, details: { tags } });
    });
  }

  async function setVersionTags(
    model: string,
    version: number,
    tags: Record<string, string | null>,
  ): Promise<void> {
    assertModelName(model);
    assertVersionNumber(version, model);
    assertTags(tags, { model, version }, true);
    await withLock(async () => {
      const doc = await readVersionDoc(model, version);
      if (!doc) {
        throw new RegistryError('NOT_FOUND', 'no such version; see listVersions().', {
          model,
          version,
        });
      }
      await store.writeDoc(versionKey(model, version), {
        ...doc,
        tags: mergeTags(doc.tags, tags),
      });
      await audit({ action: 'set-version-tags', model, version, details: { tags } });
    });
  }

  async function fileEntry(model: string, version: number, path: string): Promise<FileEntry> {
    assertArtifactPath(path, { model, version });
    const found = (await getVersion(model, version)).files;
    const entry = found.find((file) => file.path === path);
    if (!entry) {
      const names = found.map((file) => file.path);
      throw new RegistryError(
        'NOT_FOUND',
        `the version has no file ${path} (it has ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}).`,
        { model, version, path },
      );
    }
    return entry;
  }

  async function readFile(model: string, version: number, path: string): Promise<Uint8Array> {
    assertModelName(model);
    assertVersionNumber(version, model);
    const entry = await fileEntry(model, version, path);
    const bytes = await store.getBlob(entry.sha256).catch((error: unknown) => {
      throw blobError(error, model, version, path);
    });
    const actual = sha256Hex(bytes);
    if (actual !== entry.sha256) {
      throw new RegistryError(
        'INTEGRITY',
        `the stored bytes hash to ${actual}, not the manifest's ${entry.sha256}: the blob is corrupted. Run verify() and register this version again from its source.`,
        { model, version, path },
      );
    }
    return bytes;
  }

  async function materialize(
    model: string,
    version: number,
    targetDir: string,
    options: MaterializeOptions = {},
  ): Promise<void> {
    const { overwrite = false } = options;
    assertModelName(model);
    assertVersionNumber(version, model);
    const doc = await getVersion(model, version);
    await mkdir(resolve(targetDir), { recursive: true });
    const target = await realpath(resolve(targetDir));
    if (!overwrite && (await readdir(target)).length > 0) {
      throw new RegistryError(
        'ALREADY_EXISTS',
        `target folder ${target} is not empty; give an empty or new folder, or pass { overwrite: true } to replace files at the version's paths.`,
        { model, version, path: target },
      );
    }
    for (const file of doc.files) {
      // The manifest was validated when written, but it is read back from disk: check again.
      const segments = assertArtifactPath(file.path, { model, version }).split('/');
      const name = segments.pop()!;
      let dir = target;
      for (const segment of segments) {
        dir = join(dir, segment);
        await ensureRealDir(dir, model, version, file.path);
      }
      const dest = join(dir, name);
      const existing = await lstat(dest).catch(() => undefined);
      if (existing?.isDirectory()) {
        throw new RegistryError(
          'ALREADY_EXISTS',
          `${dest} is a folder where the version has a file; remove it or use an empty target folder.`,
          { model, version, path: file.path },
        );
      }
      // Written beside its destination then renamed over it: rename replaces a symlink there
      // rather than writing through it, and a reader never sees a half-written file.
      const temp = join(dir, `.${name.slice(0, 200)}.${randomUUID()}.tmp`);
      try {
        await store.copyBlobToFile(file.sha256, temp).catch((error: unknown) => {
          throw blobError(error, model, version, file.path);
        });
        const actual = await hashFile(temp);
        if (actual !== file.sha256) {
          throw new RegistryError(
            'INTEGRITY',
            `the stored bytes hash to ${actual}, not the manifest's ${file.sha256}: the blob is corrupted. Run verify() and register this version again.`,
            { model, version, path: file.path },
          );
        }
        await rename(temp, dest);
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw error;
      }
    }
  }

  async function deleteVersion(
    model: string,
    version: number,
    options: DeleteVersionOptions = {},
  ): Promise<void> {
    const { force = false, reason } = options;
    assertModelName(model);
    assertVersionNumber(version, model);
    await withLock(async () => {
      const { doc: modelDoc } = await requireModel(model);
      if (!(await readVersionDoc(model, version))) {
        throw new RegistryError('NOT_FOUND', 'no such version, so nothing was deleted.', {
          model,
          version,
        });
      }
      const aliases = Object.keys(modelDoc.aliases)
        .filter((alias) => modelDoc.aliases[alias] === version)
        .sort();
      // A deployed version (live, or what a rollback restores) is as much in use as an aliased
      // one: a rollback to it re-materializes from the registry once its folder is pruned.
      const uses = (await deployedVersions(registry)).filter(
        (use) => use.model === model && use.version === version,
      );
      if (uses.length > 0 && !force) {
        const where = uses.map((use) => `${use.target} (${use.role})`).join(', ');
        throw new RegistryError(
          'INVALID_ARGUMENT',
          `the version is deployed at ${where}; deploy another version there first, or pass { force: true } to delete it anyway.`,
          { model, version },
        );
      }
      if (aliases.length > 0) {
        if (!force) {
          throw new RegistryError(
            'INVALID_ARGUMENT',
            `the version is the target of alias(es) ${aliases.join(', ')}; move or delete them first, or pass { force: true } to delete them with it.`,
            { model, version },
          );
        }
        const remaining = { ...modelDoc.aliases };
        for (const alias of aliases) delete remaining[alias];
        // Aliases go first: a crash in between leaves a version without aliases, never an alias
        // pointing at nothing.
        await store.writeDoc(modelKey(model), { ...modelDoc, aliases: remaining });
      }
      await store.deleteDoc(versionKey(model, version));
      await audit({
        action: 'delete-version',
        model,
        version,
        details: {
          ...(reason !== undefined ? { reason } : {}),
          ...(aliases.length > 0 ? { removedAliases: aliases } : {}),
        },
      });
    });
  }

  async function verify(): Promise<VerifyReport> {
    const uses = new Map<string, { paths: string[]; sizes: Set<number> }>();
    let checkedFiles = 0;
    for (const version of await allVersions()) {
      for (const file of version.files) {
        checkedFiles++;
        const use = uses.get(file.sha256) ?? { paths: [], sizes: new Set<number>() };
        use.paths.push(`${version.model}@v${version.version}:${file.path}`);
        use.sizes.add(file.size);
        uses.set(file.sha256, use);
      }
    }
    const corrupted: BlobProblem[] = [];
    const missing: BlobProblem[] = [];
    const stored = await store.listBlobs();
    const hashes = [...new Set([...uses.keys(), ...stored])].sort();
    let checkedBlobs = 0;
    for (const hash of hashes) {
      const paths = uses.get(hash)?.paths ?? [];
      if (!(await store.hasBlob(hash))) {
        missing.push({ hash, paths });
        continue;
      }
      checkedBlobs++;
      const digest = createHash('sha256');
      let size = 0;
      for await (const chunk of store.readBlob(hash)) {
        digest.update(chunk);
        size += chunk.byteLength;
      }
      const sizes = uses.get(hash)?.sizes;
      if (digest.digest('hex') !== hash || (sizes !== undefined && !sizes.has(size))) {
        corrupted.push({ hash, paths });
      }
    }
    return {
      ok: corrupted.length === 0 && missing.length === 0,
      corrupted,
      missing,
      checkedFiles,
      checkedBlobs,
    };
  }

  async function search(query: SearchQuery = {}): Promise<ModelVersion[]> {
    const { name, tags, alias, metric, orderBy, limit } = query;
    if (tags !== undefined) assertTags(tags, {});
    if (alias !== undefined) assertAlias(alias);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new RegistryError('INVALID_ARGUMENT', `limit ${limit} must be a whole number ≥ 0.`);
    }
    const matchesName = (model: string) =>
      name === undefined
        ? true
        : typeof name === 'string'
          ? model === name
          : new RegExp(name.source, name.flags.replace(/[gy]/g, '')).test(model);
    const models = (await listModelNames()).filter(matchesName);
    let results: ModelVersion[] = [];
    for (const model of models) {
      if (alias !== undefined) {
        const { doc } = await requireModel(model);
        const version = doc.aliases[alias];
        const found = version === undefined ? undefined : await readVersionDoc(model, version);
        if (found) results.push(withAliases(found, doc));
      } else {
        results.push(...(await listVersions(model)).reverse());
      }
    }
    results = results.filter((version) => {
      if (tags && !Object.entries(tags).every(([key, value]) => version.tags[key] === value)) {
        return false;
      }
      if (metric) {
        const value = version.metrics[metric.name];
        if (value === undefined) return false;
        if (metric.min !== undefined && value < metric.min) return false;
        if (metric.max !== undefined && value > metric.max) return false;
      }
      return true;
    });
    if (orderBy) {
      const sign = orderBy.direction === 'asc' ? 1 : -1;
      results.sort((a, b) => {
        const x = a.metrics[orderBy.metric];
        const y = b.metrics[orderBy.metric];
        if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
        return (x - y) * sign;
      });
    }
    return limit === undefined ? results : results.slice(0, limit);
  }

  async function listModels(): Promise<ModelSummary[]> {
    const names = await listModelNames();
    const summaries = await Promise.all(
      names.map(async (name): Promise<ModelSummary | undefined> => {
        try {
          const { doc, versions } = await requireModel(name);
          return {
            name,
            tags: doc.tags,
            latestVersion: versions.at(-1) ?? 0,
            versionCount: versions.length,
            aliases: doc.aliases,
            createdAt: doc.createdAt,
          };
        } catch (error) {
          // A folder left empty (e.g. every document removed by hand) is not a model.
          if (error instanceof RegistryError && error.code === 'NOT_FOUND') return undefined;
          throw error;
        }
      }),
    );
    return summaries.filter((summary): summary is ModelSummary => summary !== undefined);
  }

  const registry: Registry = {
    root: store.location,
    store,
    user,
    register,
    getVersion,
    listVersions,
    listModels,
    search,
    setAlias,
    deleteAlias,
    setModelTags,
    setVersionTags,
    readFile,
    materialize,
    deleteVersion,
    listBlobs: () => store.listBlobs(),
    referencedBlobs,
    async deleteBlob(hash) {
      await store.deleteBlob(hash);
    },
    verify,
    recover,
    audit: () => readAuditLog(store),
    appendAudit: (event) => withLock(() => audit(event)),
    withLock,
  };
  await recover();
  return registry;
}

function defaultUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    // No passwd entry (some containers): the user is simply unknown.
    return undefined;
  }
}

function mergeTags(
  current: Record<string, string>,
  changes: Record<string, string | null>,
): Record<string, string> {
  const out = { ...current };
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete out[key];
    else out[key] = value;
  }
  return out;
}

async function ensureRealDir(dir: string, model: string, version: number, path: string) {
  const info = await lstat(dir).catch(() => undefined);
  if (info === undefined) {
    await mkdir(dir);
    return;
  }
  if (info.isSymbolicLink() || !info.isDirectory()) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      `${dir} in the target folder is ${info.isSymbolicLink() ? 'a symlink' : 'not a folder'}; files are never written through it. Remove it or use an empty target folder.`,
      { model, version, path },
    );
  }
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  const handle = await open(path, 'r');
  try {
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk);
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

function blobError(error: unknown, model: string, version: number, path: string): RegistryError {
  if (error instanceof RegistryError && error.code === 'NOT_FOUND') {
    return new RegistryError(
      'INTEGRITY',
      `${error.problem.replace(/;.*$/, '')}: the version's file is gone from the store. Run verify() and register this version again.`,
      { model, version, path, cause: error },
    );
  }
  return error as RegistryError;
}

function checkMetrics(metrics: unknown, model: string): Record<string, number> {
  if (typeof metrics !== 'object' || metrics === null || Array.isArray(metrics)) {
    throw new RegistryError('INVALID_ARGUMENT', 'metrics must be an object of numbers.', { model });
  }
  for (const [name, value] of Object.entries(metrics)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RegistryError(
        'INVALID_ARGUMENT',
        `metric '${name}' must be a finite number, got ${String(value)}; leave out metrics that were not measured.`,
        { model },
      );
    }
  }
  return { ...(metrics as Record<string, number>) };
}

function checkParams(params: unknown, model: string): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new RegistryError('INVALID_ARGUMENT', 'params must be an object of JSON values.', {
      model,
    });
  }
  try {
    return JSON.parse(JSON.stringify(params)) as Record<string, unknown>;
  } catch (error) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `params cannot be stored as JSON (${(error as Error).message}); convert BigInts and cycles to plain values.`,
      { model, cause: error },
    );
  }
}

function checkLineage(lineage: unknown, model: string): Lineage {
  if (typeof lineage !== 'object' || lineage === null || Array.isArray(lineage)) {
    throw new RegistryError('INVALID_ARGUMENT', 'lineage must be an object.', { model });
  }
  const { datasetFingerprint, parentVersion, runId, codeVersion, ...rest } = lineage as Lineage;
  const unknownKeys = Object.keys(rest);
  if (unknownKeys.length > 0) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `lineage has unknown field(s) ${unknownKeys.join(', ')}; use datasetFingerprint, parentVersion, runId, codeVersion (put anything else in params or tags).`,
      { model },
    );
  }
  const out: Lineage = {};
  if (parentVersion !== undefined) {
    assertVersionNumber(parentVersion, model);
    out.parentVersion = parentVersion;
  }
  for (const [key, value] of Object.entries({ datasetFingerprint, runId, codeVersion })) {
    const checked = checkOptionalString(value, `lineage.${key}`, model);
    if (checked !== undefined) (out as Record<string, unknown>)[key] = checked;
  }
  return out;
}

function checkOptionalString(value: unknown, what: string, model: string): string | undefined {
  if (value === undefined) return undefined;
  if (
    typeof value !== 'string' ||
    value.length > MAX_DESCRIPTION_LENGTH ||
    value.includes('\u0000')
  ) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `${what} must be a string without NUL characters of at most ${MAX_DESCRIPTION_LENGTH} characters.`,
      { model },
    );
  }
  return value;
}

function parseModelDoc(value: unknown, model: string): ModelDoc {
  const doc = value as Partial<ModelDoc>;
  if (
    typeof doc !== 'object' ||
    doc === null ||
    doc.name !== model ||
    typeof doc.tags !== 'object' ||
    typeof doc.aliases !== 'object' ||
    typeof doc.lastVersion !== 'number'
  ) {
    throw new RegistryError(
      'INTEGRITY',
      'the model document is malformed; restore it from a backup (the versions are untouched).',
      { model, path: modelKey(model) },
    );
  }
  return doc as ModelDoc;
}

function parseVersionDoc(value: unknown, model: string, version: number): VersionDoc {
  const doc = value as Partial<VersionDoc>;
  if (
    typeof doc !== 'object' ||
    doc === null ||
    doc.model !== model ||
    doc.version !== version ||
    !Array.isArray(doc.files) ||
    typeof doc.metrics !== 'object' ||
    typeof doc.tags !== 'object'
  ) {
    throw new RegistryError(
      'INTEGRITY',
      'the version document is malformed or belongs to another model/version; restore it from a backup or delete it and register again.',
      { model, version, path: versionKey(model, version) },
    );
  }
  const { aliases: _ignored, ...rest } = doc as VersionDoc & { aliases?: unknown };
  return rest as VersionDoc;
}

function parseStagingDoc(value: unknown): StagingDoc | undefined {
  const doc = value as Partial<StagingDoc> | undefined;
  if (
    typeof doc !== 'object' ||
    doc === null ||
    typeof doc.pid !== 'number' ||
    typeof doc.hostTag !== 'string' ||
    typeof doc.time !== 'string' ||
    typeof doc.model !== 'string' ||
    !Array.isArray(doc.hashes) ||
    !doc.hashes.every((hash) => typeof hash === 'string' && /^[0-9a-f]{64}$/.test(hash))
  ) {
    return undefined;
  }
  return doc as StagingDoc;
}
