// A small cross-process lock file: created exclusively (link, or O_EXCL), holds pid + host + time,
// and is broken when its holder is provably gone (dead pid on this host), or, when the holder
// can't be checked (another host, unreadable content), once it is older than `staleMs`.
import { randomUUID } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { DataError } from '../errors.js';
import { createRng } from '../random.js';

export interface FileLockOptions {
  /** Give up with a `LOCKED` DataError after waiting this long. @default 10000 */
  timeoutMs?: number;
  /**
   * A lock older than this is taken as abandoned when its holder cannot be checked (another host,
   * unreadable content). A holder on this host is checked by its pid instead, however old the
   * lock is. Holders keep locks for milliseconds, so this is generous.
   * @default 30000
   */
  staleMs?: number;
  /** First wait between attempts; doubles up to `maxRetryMs`, with jitter. @default 2 */
  minRetryMs?: number;
  /** Longest wait between attempts. @default 100 */
  maxRetryMs?: number;
}

/** What a lock file holds. */
export interface LockInfo {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  time: string;
  /** Unique per acquisition, so a holder never removes a lock that is no longer its own. */
  nonce: string;
}

/** A held lock. */
export interface FileLock {
  readonly path: string;
  readonly info: LockInfo;
  /** Removes the lock file if it is still this holder's. Safe to call twice. */
  release(): Promise<void>;
}

// Jitter keeps processes that collided from retrying in lockstep; seeding by pid differs per
// process, which is all jitter needs (no Math.random in this package).
const jitter = createRng(`lock-jitter-${process.pid}`);

/** Takes the lock at `lockPath` (e.g. `journal.jsonl.lock`), waiting with backoff while it is held. */
export async function acquireFileLock(
  lockPath: string,
  options: FileLockOptions = {},
): Promise<FileLock> {
  const { timeoutMs = 10_000, staleMs = 30_000, minRetryMs = 2, maxRetryMs = 100 } = options;
  const info: LockInfo = {
    pid: process.pid,
    host: hostname(),
    time: new Date().toISOString(),
    nonce: randomUUID(),
  };
  const started = Date.now();
  let wait = minRetryMs;
  for (;;) {
    info.time = new Date().toISOString();
    if (await tryCreate(lockPath, info)) return makeLock(lockPath, info);
    const holder = await readLockInfo(lockPath);
    if (holder !== 'missing' && (await isStale(lockPath, holder, staleMs))) {
      await breakStaleLock(lockPath, holder);
      continue;
    }
    if (Date.now() - started >= timeoutMs) {
      const who =
        holder === 'missing' || holder === 'unreadable'
          ? 'another process'
          : `pid ${holder.pid} on ${holder.host} since ${holder.time}`;
      throw new DataError(
        'LOCKED',
        `could not take the lock within ${timeoutMs} ms: it is held by ${who}. Wait for that process to finish; if it is gone, delete the lock file.`,
        { file: lockPath },
      );
    }
    await sleep(wait * (0.5 + jitter.next()));
    wait = Math.min(maxRetryMs, wait * 2);
  }
}

/** Runs `fn` while holding the lock, releasing it afterwards even when `fn` throws. */
export async function withFileLock<T>(
  lockPath: string,
  fn: () => Promise<T>,
  options?: FileLockOptions,
): Promise<T> {
  const lock = await acquireFileLock(lockPath, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * Creates the lock file with its content in one step: the content goes to a private temporary
 * file that is then hard-linked to the lock path (link fails with EEXIST like O_EXCL). A plain
 * O_EXCL create followed by a write leaves an empty lock file if the process dies in between,
 * and an empty lock names no pid to check. Filesystems without hard links fall back to O_EXCL.
 */
async function tryCreate(lockPath: string, info: LockInfo): Promise<boolean> {
  const temp = `${lockPath}.${info.pid}.${info.nonce}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(info), { flag: 'wx' });
    try {
      await link(temp, lockPath);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    return await createExclusive(lockPath, info);
  } catch (error) {
    throw new DataError('IO_ERROR', `could not create the lock file: ${(error as Error).message}`, {
      file: lockPath,
      cause: error,
    });
  }
}

async function createExclusive(lockPath: string, info: LockInfo): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(lockPath, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(JSON.stringify(info));
  } finally {
    await handle.close();
  }
  return true;
}

function makeLock(lockPath: string, info: LockInfo): FileLock {
  let released = false;
  return {
    path: lockPath,
    info,
    async release() {
      if (released) return;
      released = true;
      const current = await readLockInfo(lockPath);
      // Only remove our own lock: if it was judged stale and taken over, the file is theirs now.
      if (current !== 'missing' && current !== 'unreadable' && current.nonce === info.nonce) {
        await unlink(lockPath).catch(ignoreMissing);
      }
    },
  };
}

async function readLockInfo(lockPath: string): Promise<LockInfo | 'missing' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as Partial<LockInfo>;
    if (
      typeof parsed.pid === 'number' &&
      typeof parsed.host === 'string' &&
      typeof parsed.time === 'string' &&
      typeof parsed.nonce === 'string'
    ) {
      return parsed as LockInfo;
    }
  } catch {
    // Empty or half-written: its creator may be between open and write; decided by age below.
  }
  return 'unreadable';
}

async function isStale(
  lockPath: string,
  holder: LockInfo | 'unreadable',
  staleMs: number,
): Promise<boolean> {
  if (holder !== 'unreadable' && holder.host === hostname()) {
    // On this host the pid tells for sure: a live holder keeps its lock however long it works
    // (breaking it would let two writers in), a dead one loses it at once.
    return !isProcessAlive(holder.pid);
  }
  const taken =
    holder === 'unreadable'
      ? await stat(lockPath).then(
          (s) => s.mtimeMs,
          () => Date.now(),
        )
      : Date.parse(holder.time);
  return Date.now() - taken > staleMs;
}

/** Whether a process with this pid exists on this host (EPERM: it exists but is not ours). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a stale lock without removing a fresh one: two processes may both judge the same lock
 * stale, and the slower must not delete the lock the faster one has just created. So the lock is
 * first renamed aside (atomic), then checked; a lock that turns out not to be the stale one is
 * put back with link(), which fails rather than overwrite a lock created in the meantime.
 */
async function breakStaleLock(lockPath: string, stale: LockInfo | 'unreadable'): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomUUID()}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    ignoreMissing(error);
    return;
  }
  const moved = await readLockInfo(aside).catch(() => 'unreadable' as const);
  const same =
    stale === 'unreadable'
      ? moved === 'unreadable'
      : moved !== 'missing' && moved !== 'unreadable' && moved.nonce === stale.nonce;
  if (!same) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(ignoreMissing);
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
