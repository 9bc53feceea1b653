// The cross-process lock file: exclusion, timeouts, and breaking locks of dead or old holders.
import { spawn } from 'node:child_process';
import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireFileLock, DataError, isProcessAlive, withFileLock } from '../index.js';

let dir: { path: string; cleanup: () => Promise<void> };
let lockPath: string;
beforeEach(async () => {
  dir = await createTempDir('ft-lock-');
  lockPath = join(dir.path, 'journal.lock');
});
afterEach(() => dir.cleanup());

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('file lock', () => {
  it('writes pid, host and time, and removes the file on release', async () => {
    const lock = await acquireFileLock(lockPath);
    const info = JSON.parse(await readFile(lockPath, 'utf8'));
    expect(info).toMatchObject({ pid: process.pid, host: hostname(), nonce: lock.info.nonce });
    expect(Date.parse(info.time)).not.toBeNaN();
    await lock.release();
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
    await lock.release();
  });

  it('times out with LOCKED while a live process holds it', async () => {
    const lock = await acquireFileLock(lockPath);
    const error = await acquireFileLock(lockPath, { timeoutMs: 40 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error).toMatchObject({ code: 'LOCKED', file: lockPath });
    expect((error as DataError).message).toContain(`pid ${process.pid}`);
    await lock.release();
    const second = await acquireFileLock(lockPath, { timeoutMs: 40 });
    expect(second.info.nonce).not.toBe(lock.info.nonce);
    await second.release();
  });

  it('serialises critical sections', async () => {
    const log: string[] = [];
    const section = (name: string) =>
      withFileLock(lockPath, async () => {
        log.push(`${name}:in`);
        await new Promise((resolve) => setTimeout(resolve, 15));
        log.push(`${name}:out`);
      });
    await Promise.all([section('a'), section('b'), section('c')]);
    for (let i = 0; i < log.length; i += 2) {
      expect(log[i]!.replace(':in', '')).toBe(log[i + 1]!.replace(':out', ''));
    }
    expect(log).toHaveLength(6);
  });

  it('breaks a lock whose holder pid is dead', async () => {
    const pid = await deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    expect(isProcessAlive(process.pid)).toBe(true);
    await writeFile(
      lockPath,
      JSON.stringify({ pid, host: hostname(), time: new Date().toISOString(), nonce: 'old' }),
    );
    const lock = await acquireFileLock(lockPath, { timeoutMs: 2000 });
    expect(JSON.parse(await readFile(lockPath, 'utf8')).pid).toBe(process.pid);
    await lock.release();
  });

  it('never breaks the lock of a live holder on this host, however old it is', async () => {
    // A slow holder (e.g. a registry copying a large model) must keep its lock past staleMs.
    const held = {
      pid: process.pid,
      host: hostname(),
      time: new Date(Date.now() - 3_600_000).toISOString(),
      nonce: 'live',
    };
    await writeFile(lockPath, JSON.stringify(held));
    await expect(acquireFileLock(lockPath, { staleMs: 10, timeoutMs: 50 })).rejects.toThrow(
      /LOCKED|held/i,
    );
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(held);
  });

  it('breaks an old lock of another host but waits on a fresh one', async () => {
    const old = {
      pid: 1,
      host: 'elsewhere',
      time: new Date(Date.now() - 60_000).toISOString(),
      nonce: 'o',
    };
    await writeFile(lockPath, JSON.stringify(old));
    const lock = await acquireFileLock(lockPath, { staleMs: 30_000, timeoutMs: 2000 });
    await lock.release();
    const fresh = { ...old, time: new Date().toISOString() };
    await writeFile(lockPath, JSON.stringify(fresh));
    await expect(acquireFileLock(lockPath, { timeoutMs: 30 })).rejects.toThrow(
      /pid 1 on elsewhere/,
    );
    expect(JSON.parse(await readFile(lockPath, 'utf8'))).toEqual(fresh);
  });

  it('breaks an empty lock file only once it is older than staleMs', async () => {
    await writeFile(lockPath, '');
    await expect(acquireFileLock(lockPath, { timeoutMs: 30 })).rejects.toThrow(/another process/);
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPath, old, old);
    const lock = await acquireFileLock(lockPath, { staleMs: 30_000, timeoutMs: 2000 });
    expect(JSON.parse(await readFile(lockPath, 'utf8')).nonce).toBe(lock.info.nonce);
    await lock.release();
    // No temporary or set-aside files are left behind.
    expect(await readdir(dir.path)).toEqual([]);
  });
});
