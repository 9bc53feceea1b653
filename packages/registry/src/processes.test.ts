// The registry under real child processes: registrations killed with SIGKILL mid-way, and
// several processes registering versions of one model at once. Children run register-child.ts.
import { type ChildProcess, fork } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry } from './index.js';

// `--import tsx` resolves from the child's cwd, the package folder.
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const childScript = fileURLToPath(new URL('./register-child.ts', import.meta.url));

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-registry-proc-');
});
afterEach(() => dir.cleanup());

interface Child {
  child: ChildProcess;
  registered: number[];
  ready: Promise<void>;
  paused: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  go: () => void;
}

function startChild(writer: string, count: number, files: number, hook = 'none'): Child {
  const child = fork(childScript, [dir.path, 'bert', writer, String(count), String(files), hook], {
    cwd: packageDir,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  const registered: number[] = [];
  let onReady: () => void = () => undefined;
  let onPaused: (where: string) => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    onReady = resolve;
  });
  const paused = new Promise<string>((resolve) => {
    onPaused = resolve;
  });
  child.on('message', (message: { ready?: boolean; registered?: number; paused?: string }) => {
    if (message.ready) onReady();
    if (message.registered !== undefined) registered.push(message.registered);
    if (message.paused !== undefined) onPaused(message.paused);
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
  }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, registered, ready, paused, exited, go: () => child.send({ go: true }) };
}

async function killAt(hook: string, files: number): Promise<void> {
  const writer = startChild('killed', 1, files, hook);
  await writer.ready;
  writer.go();
  expect(await writer.paused).toBe(hook);
  writer.child.kill('SIGKILL');
  expect((await writer.exited).signal).toBe('SIGKILL');
}

describe('crash safety', () => {
  it('a registration killed while storing blobs leaves nothing visible, and is cleaned at open', async () => {
    const registry = await createRegistry({ root: dir.path });
    await registry.register('bert', {
      source: { 'shared.txt': new TextEncoder().encode('shared by every version\n') },
    });
    const before = await registry.listBlobs();
    // Killed after its 3rd new blob: a staging record and 3 orphan blobs are on disk.
    await killAt('blob:3', 6);
    expect((await registry.listBlobs()).length).toBe(before.length + 3);
    expect(await readdir(join(dir.path, 'docs', 'staging'))).toHaveLength(1);
    // Readers never see the half-registered version.
    expect((await registry.listVersions('bert')).map((v) => v.version)).toEqual([1]);

    const reopened = await createRegistry({ root: dir.path });
    expect(await readdir(join(dir.path, 'docs', 'staging'))).toEqual([]);
    // The shared blob (used by v1) stays; only the dead registration's own blobs go.
    expect(await reopened.listBlobs()).toEqual(before);
    expect([...(await reopened.referencedBlobs())].sort()).toEqual(before);
    expect(await readdir(join(dir.path, 'tmp'))).toEqual([]);
    expect((await reopened.verify()).ok).toBe(true);
    const recovered = (await reopened.audit()).filter((e) => e.action === 'recover');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.details).toMatchObject({ abandonedRegistrations: 1, removedBlobs: 3 });
    // The next registration takes the next number; nothing was half-taken.
    const next = await reopened.register('bert', { source: { 'a.txt': new Uint8Array([1]) } });
    expect(next.version).toBe(2);
  });

  it('a registration killed right after its commit point is complete and kept', async () => {
    const registry = await createRegistry({ root: dir.path });
    await registry.register('bert', { source: { 'v1.txt': new Uint8Array([1]) } });
    await killAt('version-doc', 2);
    const reopened = await createRegistry({ root: dir.path });
    const versions = await reopened.listVersions('bert');
    expect(versions.map((v) => v.version)).toEqual([1, 2]);
    expect(versions[1]!.tags).toEqual({ writer: 'killed', index: '0' });
    expect(versions[1]!.files.map((f) => f.path)).toEqual([
      'part-0.bin',
      'part-1.bin',
      'shared.txt',
    ]);
    expect(new TextDecoder().decode(await reopened.readFile('bert', 2, 'shared.txt'))).toBe(
      'shared by every version\n',
    );
    expect(await readdir(join(dir.path, 'docs', 'staging'))).toEqual([]);
    expect((await reopened.verify()).ok).toBe(true);
    // The model document was not updated before the kill; numbering still continues after 2.
    expect(
      (await reopened.register('bert', { source: { 'c.txt': new Uint8Array([3]) } })).version,
    ).toBe(3);
  });
});

describe('concurrency', () => {
  it('several processes registering one model get unique consecutive versions, nothing lost', async () => {
    const writers = ['a', 'b', 'c', 'd'].map((name) => startChild(name, 4, 3));
    await Promise.all(writers.map((w) => w.ready));
    for (const writer of writers) writer.go();
    const exits = await Promise.all(writers.map((w) => w.exited));
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, stderr: '' });

    const registry = await createRegistry({ root: dir.path });
    const versions = await registry.listVersions('bert');
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    const reported = writers.flatMap((w) => w.registered).sort((a, b) => a - b);
    expect(reported).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    // Every version holds exactly its own writer's bytes.
    for (const version of versions) {
      const { writer, index } = version.tags;
      const bytes = await registry.readFile('bert', version.version, 'part-2.bin');
      expect(new TextDecoder().decode(bytes)).toBe(`${writer}:${index}:2:`.repeat(2000));
      expect(writers.find((w) => w.child.spawnargs.includes(writer!))!.registered).toContain(
        version.version,
      );
    }
    // 4 writers × 4 versions × 3 unique files, plus the one shared file stored once.
    expect((await registry.listBlobs()).length).toBe(4 * 4 * 3 + 1);
    const registers = (await registry.audit()).filter((e) => e.action === 'register');
    expect(registers.map((e) => e.version).sort((a, b) => a! - b!)).toEqual(reported);
    expect(new Set(registers.map((e) => e.by))).toEqual(
      new Set(['writer-a', 'writer-b', 'writer-c', 'writer-d']),
    );
    expect((await registry.verify()).ok).toBe(true);
  });
});
