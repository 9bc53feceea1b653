// The local-filesystem RegistryStore: content-addressed blobs under `blobs/sha256/ab/cdef…`,
// JSON documents under `docs/<key>.json`, logs under `logs/<name>.jsonl`; every write is
// temp file + fsync + rename (or link, for create-only) + folder fsync.
import { createHash, randomUUID } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import {
  chmod,
  copyFile,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  stat,
  truncate,
  unlink,
} from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { acquireFileLock, isProcessAlive } from '@ft/data';
import { RegistryError } from '../errors.js';
import type {
  BlobData,
  PutBlobOptions,
  PutBlobResult,
  RegistryStore,
  StoreLock,
  StoreLockOptions,
  StoreRecovery,
  WriteDocOptions,
} from './types.js';
import { assertBlobHash, assertKey, assertPrefix, assertSegment, hostTag } from './utils.js';

export interface LocalStoreOptions {
  /** The registry folder; created when absent. */
  root: string;
  /**
   * A lock or temporary file of another host (whose process cannot be checked) counts as
   * abandoned after this long. @default 600000 (10 minutes)
   */
  staleMs?: number;
}

// Temporary names carry the writer's pid and a host tag, so recover() can tell a dead writer's
// leftovers from a live writer's file in progress.
const TEMP_NAME = /^(\d+)-([0-9a-f]{8})-[0-9a-f-]{36}\.tmp$/;

/** A store in a local folder; safe for several processes on this machine at once. */
export function createLocalStore(options: LocalStoreOptions): RegistryStore {
  const { staleMs = 600_000 } = options;
  const root = resolve(options.root);
  const blobsDir = join(root, 'blobs', 'sha256');
  const docsDir = join(root, 'docs');
  const logsDir = join(root, 'logs');
  const locksDir = join(root, 'locks');
  const tempDir = join(root, 'tmp');

  const blobPath = (hash: string) => join(blobsDir, hash.slice(0, 2), hash.slice(2));
  const docPath = (key: string) => join(docsDir, `${key}.json`);

  async function newTempPath(): Promise<string> {
    await mkdir(tempDir, { recursive: true });
    return join(tempDir, `${process.pid}-${hostTag}-${randomUUID()}.tmp`);
  }

  async function blobSize(hash: string): Promise<number | undefined> {
    assertBlobHash(hash);
    try {
      return (await stat(blobPath(hash))).size;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw ioError(`could not read blob ${hash}`, blobPath(hash), error);
    }
  }

  const store: RegistryStore = {
    location: root,

    async putBlob(data: BlobData, putOptions: PutBlobOptions = {}): Promise<PutBlobResult> {
      const { expectedSha256 } = putOptions;
      if (expectedSha256 !== undefined) {
        assertBlobHash(expectedSha256);
        // Already stored: the bytes are not even read (this is what makes re-registering cheap).
        const size = await blobSize(expectedSha256);
        if (size !== undefined) return { sha256: expectedSha256, size, created: false };
      }
      const temp = await newTempPath();
      const hash = createHash('sha256');
      let size = 0;
      try {
        const handle = await open(temp, 'wx', 0o644);
        try {
          for await (const chunk of toChunks(data)) {
            hash.update(chunk);
            size += chunk.byteLength;
            await handle.write(chunk);
          }
          await handle.sync();
        } finally {
          await handle.close();
        }
        const sha256 = hash.digest('hex');
        if (expectedSha256 !== undefined && sha256 !== expectedSha256) {
          throw new RegistryError(
            'INTEGRITY',
            `the bytes hash to ${sha256}, not the expected ${expectedSha256}: the source changed while it was being stored. Register again once it is no longer being written.`,
          );
        }
        const target = blobPath(sha256);
        if ((await blobSize(sha256)) !== undefined) {
          await unlink(temp);
          return { sha256, size, created: false };
        }
        // Read-only, so an accidental write through the path is refused rather than corrupting
        // every version that shares this blob.
        await chmod(temp, 0o444);
        await mkdir(dirname(target), { recursive: true });
        await rename(temp, target);
        await syncDir(dirname(target));
        return { sha256, size, created: true };
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        if (error instanceof RegistryError) throw error;
        throw ioError('could not store a blob', temp, error);
      }
    },

    async hasBlob(hash) {
      return (await blobSize(hash)) !== undefined;
    },

    async getBlob(hash) {
      assertBlobHash(hash);
      try {
        return new Uint8Array(await readFile(blobPath(hash)));
      } catch (error) {
        throw blobReadError(hash, blobPath(hash), error);
      }
    },

    readBlob(hash) {
      assertBlobHash(hash);
      const path = blobPath(hash);
      return (async function* () {
        try {
          for await (const chunk of createReadStream(path)) yield chunk as Uint8Array;
        } catch (error) {
          throw blobReadError(hash, path, error);
        }
      })();
    },

    blobSize,

    async copyBlobToFile(hash, filePath) {
      assertBlobHash(hash);
      try {
        // FICLONE: a copy-on-write clone where the filesystem can, else a plain copy. Never a
        // hard link: editing a deployed file must not change the stored blob.
        await copyFile(
          blobPath(hash),
          filePath,
          constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE,
        );
        await chmod(filePath, 0o644);
        const handle = await open(filePath, 'r+');
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        if (isMissing(error) && (await blobSize(hash)) === undefined) {
          throw blobReadError(hash, blobPath(hash), error);
        }
        throw ioError(`could not copy blob ${hash} to ${filePath}`, filePath, error);
      }
    },

    async deleteBlob(hash) {
      assertBlobHash(hash);
      try {
        await unlink(blobPath(hash));
        return true;
      } catch (error) {
        if (isMissing(error)) return false;
        throw ioError(`could not delete blob ${hash}`, blobPath(hash), error);
      }
    },

    async listBlobs() {
      const hashes: string[] = [];
      for (const prefix of await listNames(blobsDir, 'dir')) {
        if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
        for (const rest of await listNames(join(blobsDir, prefix), 'file')) {
          if (/^[0-9a-f]{62}$/.test(rest)) hashes.push(prefix + rest);
        }
      }
      return hashes.sort();
    },

    async readDoc(key) {
      assertKey(key);
      const path = docPath(key);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if (isMissing(error)) return undefined;
        throw ioError(`could not read document ${key}`, path, error);
      }
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new RegistryError(
          'INTEGRITY',
          `document ${key} is not valid JSON (${(error as Error).message}); restore it from a backup or delete it.`,
          { path, cause: error },
        );
      }
    },

    async writeDoc(key, value, writeOptions: WriteDocOptions = {}) {
      const { ifAbsent = false } = writeOptions;
      assertKey(key);
      const path = docPath(key);
      const temp = await newTempPath();
      try {
        const handle = await open(temp, 'wx', 0o644);
        try {
          await handle.writeFile(`${JSON.stringify(value, null, 2)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
        await mkdir(dirname(path), { recursive: true });
        if (ifAbsent) {
          // link() fails with EEXIST instead of replacing: an atomic create-only write.
          try {
            await link(temp, path);
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
            throw error;
          } finally {
            await unlink(temp).catch(() => undefined);
          }
        } else {
          await rename(temp, path);
        }
        await syncDir(dirname(path));
        return true;
      } catch (error) {
        await unlink(temp).catch(() => undefined);
        throw ioError(`could not write document ${key}`, path, error);
      }
    },

    async deleteDoc(key) {
      assertKey(key);
      try {
        await unlink(docPath(key));
        await syncDir(dirname(docPath(key)));
        return true;
      } catch (error) {
        if (isMissing(error)) return false;
        throw ioError(`could not delete document ${key}`, docPath(key), error);
      }
    },

    async listDocs(prefix) {
      assertPrefix(prefix);
      const names = await listNames(join(docsDir, prefix), 'file');
      return names
        .filter((name) => name.endsWith('.json'))
        .map((name) => prefix + name.slice(0, -'.json'.length))
        .sort();
    },

    async listPrefixes(prefix) {
      assertPrefix(prefix);
      return (await listNames(join(docsDir, prefix), 'dir')).sort();
    },

    async appendLog(name, record) {
      assertSegment(name, 'log name');
      const path = join(logsDir, `${name}.jsonl`);
      try {
        await mkdir(logsDir, { recursive: true });
        const handle = await open(path, 'a+', 0o644);
        try {
          // A record torn by a crash has no newline: start on a fresh line so it stays one bad
          // line (skipped when read) instead of corrupting this record too.
          const { size } = await handle.stat();
          let prefix = '';
          if (size > 0) {
            const last = Buffer.alloc(1);
            await handle.read(last, 0, 1, size - 1);
            if (last[0] !== 0x0a) prefix = '\n';
          }
          // One write call with O_APPEND: concurrent appenders never interleave within a line.
          await handle.write(`${prefix}${JSON.stringify(record)}\n`);
          await handle.sync();
        } finally {
          await handle.close();
        }
      } catch (error) {
        throw ioError(`could not append to log ${name}`, path, error);
      }
    },

    async readLog(name) {
      assertSegment(name, 'log name');
      const path = join(logsDir, `${name}.jsonl`);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if (isMissing(error)) return [];
        throw ioError(`could not read log ${name}`, path, error);
      }
      const records: unknown[] = [];
      for (const line of text.split('\n')) {
        if (line === '') continue;
        try {
          records.push(JSON.parse(line));
        } catch {
          // A record torn by a crash mid-append: its append never returned, so it never happened.
        }
      }
      return records;
    },

    async lock(name, lockOptions: StoreLockOptions = {}): Promise<StoreLock> {
      const { timeoutMs = 30_000 } = lockOptions;
      assertSegment(name, 'lock name');
      const path = join(locksDir, `${name}.lock`);
      await mkdir(locksDir, { recursive: true });
      try {
        const held = await acquireFileLock(path, { timeoutMs, staleMs });
        return { release: () => held.release() };
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'LOCKED') {
          const problem = (error as { problem?: string }).problem ?? (error as Error).message;
          throw new RegistryError('LOCKED', problem, { path, cause: error });
        }
        throw ioError(`could not take lock ${name}`, path, error);
      }
    },

    async recover(): Promise<StoreRecovery> {
      let removedTemp = 0;
      for (const name of await listNames(tempDir, 'file')) {
        const match = TEMP_NAME.exec(name);
        const path = join(tempDir, name);
        let abandoned: boolean;
        if (match && match[2] === hostTag) {
          abandoned = Number(match[1]) !== process.pid && !isProcessAlive(Number(match[1]));
        } else {
          const info = await stat(path).catch(() => undefined);
          abandoned = info !== undefined && Date.now() - info.mtimeMs > staleMs;
        }
        if (
          abandoned &&
          (await unlink(path).then(
            () => true,
            () => false,
          ))
        )
          removedTemp++;
      }
      let repairedLogs = 0;
      for (const name of await listNames(logsDir, 'file')) {
        const path = join(logsDir, name);
        const bytes = await readFile(path);
        if (bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a) {
          await truncate(path, bytes.lastIndexOf(0x0a) + 1);
          repairedLogs++;
        }
      }
      return { removedTemp, repairedLogs };
    },
  };
  return store;
}

async function* toChunks(data: BlobData): AsyncIterable<Uint8Array> {
  if (data instanceof Uint8Array) yield data;
  else yield* data;
}

async function listNames(dir: string, kind: 'file' | 'dir'): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((entry) => (kind === 'dir' ? entry.isDirectory() : entry.isFile()))
      .map((entry) => entry.name);
  } catch (error) {
    if (isMissing(error)) return [];
    throw ioError('could not list a store folder', dir, error);
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

function blobReadError(hash: string, path: string, error: unknown): RegistryError {
  if (isMissing(error)) {
    return new RegistryError(
      'NOT_FOUND',
      `blob ${hash} is not in the store; run verify() to see which versions are affected and register them again.`,
      { path, cause: error },
    );
  }
  return ioError(`could not read blob ${hash}`, path, error);
}

function ioError(what: string, path: string, error: unknown): RegistryError {
  return new RegistryError(
    'IO_ERROR',
    `${what}: ${(error as Error).message}. Check that the registry folder exists, is writable and has free space.`,
    { path, cause: error },
  );
}
