// Journal-file storage: an append-only JSONL log of operations that several processes on one
// machine share; writers append under a cross-process file lock, readers replay new lines only.
import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DataError, sha256Hex, withFileLock } from '@ft/data';
import { HpoError } from '../errors.js';
import type { StudyStorage } from '../types.js';
import { createStateStorage, type StorageOp, StorageState } from './utils.js';

export interface JournalStorageOptions {
  /** The journal file (JSONL, one operation a line); created with its folder when missing. */
  path: string;
  /**
   * Give up with `STORAGE_ERROR` when another process has held the write lock this long.
   * @default 10000
   */
  lockTimeoutMs?: number;
}

// Each line is `{"sum":"<16 hex>","op":<operation JSON>}`: the checksum covers the exact bytes of
// the operation, so a line damaged anywhere is detected without re-serialising it.
const PREFIX = '{"sum":"';
const SUM_LENGTH = 16;
const MIDDLE = '","op":';
const OP_START = PREFIX.length + SUM_LENGTH + MIDDLE.length;
const NEWLINE = 0x0a;

function encodeLine(op: StorageOp): string {
  const json = JSON.stringify(op);
  return `${PREFIX}${sha256Hex(json).slice(0, SUM_LENGTH)}${MIDDLE}${json}}\n`;
}

/** The operation on a line, or `undefined` when the line is damaged. */
function decodeLine(line: string): StorageOp | undefined {
  if (!line.startsWith(PREFIX) || !line.endsWith('}') || line.length <= OP_START + 1) {
    return undefined;
  }
  if (line.slice(PREFIX.length + SUM_LENGTH, OP_START) !== MIDDLE) return undefined;
  const json = line.slice(OP_START, -1);
  if (
    sha256Hex(json).slice(0, SUM_LENGTH) !== line.slice(PREFIX.length, PREFIX.length + SUM_LENGTH)
  ) {
    return undefined;
  }
  try {
    const op = JSON.parse(json) as StorageOp;
    return op !== null && typeof op === 'object' && typeof op.op === 'string' ? op : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A storage in one JSONL file, safe for several processes on one machine (like Optuna's
 * JournalFileStorage). Every mutation is one fsynced line written under `<path>.lock`. A crash
 * mid-write leaves an unterminated last line: readers ignore it and the next writer cuts it off
 * before appending. A damaged line before the end is reported, never skipped.
 */
export function createJournalStorage(options: JournalStorageOptions): StudyStorage {
  const { path: given, lockTimeoutMs = 10_000 } = options ?? ({} as JournalStorageOptions);
  if (typeof given !== 'string' || given.length === 0) {
    throw new HpoError('INVALID_ARGUMENT', 'createJournalStorage needs `path`, the journal file');
  }
  if (typeof lockTimeoutMs !== 'number' || !(lockTimeoutMs >= 0)) {
    throw new HpoError('INVALID_ARGUMENT', 'lockTimeoutMs must be a number ≥ 0', { path: given });
  }
  const path = resolve(given);
  const lockPath = `${path}.lock`;
  const state = new StorageState();
  /** Bytes of the file replayed so far: always the end of a complete line. */
  let offset = 0;
  /** Lines replayed so far, for error messages. */
  let lines = 0;
  let closed = false;
  // Replaying must not interleave within this process (two catch-ups would apply lines twice).
  let queue: Promise<unknown> = Promise.resolve();

  function serial<T>(fn: () => Promise<T>): Promise<T> {
    if (closed) {
      return Promise.reject(
        new HpoError('STORAGE_ERROR', 'this journal storage is closed; open a new one', { path }),
      );
    }
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  }

  /** Replays lines appended since the last call; returns the length of a torn tail, if any. */
  async function catchUp(): Promise<number> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' && offset === 0) return 0;
      throw storageError(`cannot open the journal: ${(error as Error).message}`, error);
    }
    let chunk: Buffer;
    try {
      const { size } = await handle.stat();
      if (size < offset) {
        throw storageError(
          `the journal shrank from ${offset} to ${size} bytes; it was replaced or truncated by something else — open a new storage on the intended file`,
        );
      }
      chunk = Buffer.alloc(size - offset);
      let read = 0;
      while (read < chunk.length) {
        const { bytesRead } = await handle.read(chunk, read, chunk.length - read, offset + read);
        if (bytesRead === 0) break;
        read += bytesRead;
      }
      chunk = chunk.subarray(0, read);
    } finally {
      await handle.close();
    }
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const text = chunk.toString('utf8', start, end);
      const op = decodeLine(text);
      if (!op) {
        throw storageError(
          `line ${lines + 1} is corrupt (bad checksum or JSON); only an unterminated last line counts as a torn write, so restore the file from a backup or cut it before that line`,
        );
      }
      try {
        state.apply(op);
      } catch (error) {
        throw storageError(
          `line ${lines + 1} cannot be replayed (${(error as Error).message}); the journal was written by an incompatible writer`,
          error,
        );
      }
      lines += 1;
      offset += end - start + 1;
      start = end + 1;
    }
    return chunk.length - start;
  }

  function storageError(problem: string, cause?: unknown): HpoError {
    return new HpoError('STORAGE_ERROR', problem, { path, cause });
  }

  /** Forgets the replayed state so the next call rebuilds it from the file. */
  function reset(): void {
    state.clear();
    offset = 0;
    lines = 0;
  }

  async function append(ops: StorageOp[], tornTail: number): Promise<void> {
    const text = ops.map(encodeLine).join('');
    const handle = await open(path, 'a');
    try {
      // A crashed writer's partial line would otherwise glue onto ours and corrupt both.
      if (tornTail > 0) await handle.truncate(offset);
      await handle.write(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    offset += Buffer.byteLength(text);
    lines += ops.length;
  }

  async function locked<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await mkdir(dirname(path), { recursive: true });
      return await withFileLock(lockPath, fn, { timeoutMs: lockTimeoutMs });
    } catch (error) {
      if (error instanceof DataError) {
        throw storageError(`cannot take the journal lock ${lockPath}: ${error.message}`, error);
      }
      throw error;
    }
  }

  return createStateStorage({
    kind: 'journal',
    read: (fn) =>
      serial(async () => {
        await catchUp();
        return fn(state);
      }),
    write: (fn) =>
      serial(() =>
        locked(async () => {
          const tornTail = await catchUp();
          const ops: StorageOp[] = [];
          let result: ReturnType<typeof fn>;
          try {
            result = fn(state, (op) => {
              const applied = state.apply(op);
              ops.push(op);
              return applied;
            });
          } catch (error) {
            // Operations applied before the failure were never written: rebuild from the file.
            if (ops.length > 0) reset();
            throw error;
          }
          if (ops.length === 0) return result;
          try {
            await append(ops, tornTail);
          } catch (error) {
            reset();
            throw storageError(`cannot append to the journal: ${(error as Error).message}`, error);
          }
          return result;
        }),
      ),
    async close() {
      if (closed) return;
      // Refuse new calls first: one queued behind close() would take the lock after it returned.
      closed = true;
      await queue;
    },
  });
}
