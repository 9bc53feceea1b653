// The local-filesystem store: the conformance suite, plus its on-disk layout and crash leftovers.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLocalStore, type RegistryStore } from '../index.js';
import { testStore } from './conformance.js';

testStore({
  name: 'local-fs',
  create: async () => {
    const dir = await createTempDir('ft-store-');
    return { store: createLocalStore({ root: dir.path }), cleanup: dir.cleanup };
  },
});

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('local-fs layout and recovery', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  let store: RegistryStore;
  beforeEach(async () => {
    dir = await createTempDir('ft-store-');
    store = createLocalStore({ root: dir.path });
  });
  afterEach(() => dir.cleanup());

  it('stores blobs at blobs/sha256/<2 hex>/<62 hex>, read-only', async () => {
    const { sha256 } = await store.putBlob(new TextEncoder().encode('abc'));
    const path = join(dir.path, 'blobs', 'sha256', sha256.slice(0, 2), sha256.slice(2));
    expect(await readFile(path, 'utf8')).toBe('abc');
    expect((await stat(path)).mode & 0o777).toBe(0o444);
    expect(await readdir(join(dir.path, 'tmp'))).toEqual([]);
  });

  it('stores documents as pretty JSON under docs/', async () => {
    await store.writeDoc('models/m/model', { a: 1 });
    expect(await readFile(join(dir.path, 'docs', 'models', 'm', 'model.json'), 'utf8')).toBe(
      '{\n  "a": 1\n}\n',
    );
  });

  it('reports a corrupted document as INTEGRITY with its path', async () => {
    await mkdir(join(dir.path, 'docs'), { recursive: true });
    await writeFile(join(dir.path, 'docs', 'bad.json'), '{"half": ');
    await expect(store.readDoc('bad')).rejects.toMatchObject({
      code: 'INTEGRITY',
      path: join(dir.path, 'docs', 'bad.json'),
    });
  });

  it('recover() removes temporary files of dead writers only', async () => {
    const tag = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
    const uuid = '0f0e0d0c-0b0a-4908-8706-050403020100';
    await mkdir(join(dir.path, 'tmp'), { recursive: true });
    const dead = `${deadPid()}-${tag}-${uuid}.tmp`;
    const live = `${process.pid}-${tag}-${uuid}.tmp`;
    await writeFile(join(dir.path, 'tmp', dead), 'half a blob');
    await writeFile(join(dir.path, 'tmp', live), 'in progress');
    expect(await store.recover()).toEqual({ removedTemp: 1, repairedLogs: 0 });
    expect(await readdir(join(dir.path, 'tmp'))).toEqual([live]);
  });

  it('never breaks a lock held by a live process on this host, however old', async () => {
    const strict = createLocalStore({ root: dir.path, staleMs: 1 });
    const held = await strict.lock('registry');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(strict.lock('registry', { timeoutMs: 30 })).rejects.toMatchObject({
      code: 'LOCKED',
    });
    await held.release();
    await (await strict.lock('registry', { timeoutMs: 30 })).release();
  });

  it('skips a record torn by a crash and repairs the log tail', async () => {
    await store.appendLog('audit', { n: 1 });
    const path = join(dir.path, 'logs', 'audit.jsonl');
    await writeFile(path, '{"n":1}\n{"n":2,"tor', { flag: 'w' });
    expect(await store.readLog('audit')).toEqual([{ n: 1 }]);
    // An append after the torn record starts on a fresh line, so it is not lost.
    await store.appendLog('audit', { n: 3 });
    expect(await store.readLog('audit')).toEqual([{ n: 1 }, { n: 3 }]);
    await writeFile(path, '{"n":1}\n{"n":2,"tor');
    expect(await store.recover()).toEqual({ removedTemp: 0, repairedLogs: 1 });
    expect(await readFile(path, 'utf8')).toBe('{"n":1}\n');
  });
});
