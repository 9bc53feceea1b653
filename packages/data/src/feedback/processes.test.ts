// The feedback journal under real child processes: a writer killed with SIGKILL mid-loop, and
// two writers appending at once. Children run writer-child.ts through `node --import tsx`.
import { type ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openFeedbackStore } from '../index.js';

// `--import tsx` resolves from the child's cwd, the package folder (tsx is a workspace devDependency).
const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const writerScript = fileURLToPath(new URL('./writer-child.ts', import.meta.url));

let dir: { path: string; cleanup: () => Promise<void> };
let journal: string;
beforeEach(async () => {
  dir = await createTempDir('ft-feedback-proc-');
  journal = join(dir.path, 'feedback.jsonl');
});
afterEach(() => dir.cleanup());

interface Writer {
  child: ChildProcess;
  /** Appends the child has reported durable so far. */
  written: () => number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves once the child has opened the journal; it then waits for `go()`. */
  ready: Promise<void>;
  go: () => void;
}

function startWriter(prefix: string, count: number, pad = 0): Writer {
  const child = fork(writerScript, [journal, prefix, String(count), String(pad)], {
    cwd: packageDir,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let written = 0;
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((resolve) => {
    ready = resolve;
  });
  child.on('message', (message: { written?: number; ready?: boolean }) => {
    if (message.ready) ready();
    if (message.written !== undefined) written = message.written;
  });
  const exited = new Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    stderr: string;
  }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return {
    child,
    written: () => written,
    exited,
    ready: isReady,
    go: () => child.send({ go: true }),
  };
}

/** Every line of the journal, each checked against its checksum from the documented format. */
async function verifiedEvents(): Promise<{ id: string; modelVersion: string }[]> {
  const text = await readFile(journal, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => {
      const match = /^\{"c":"([0-9a-f]{16})","e":(.*)\}$/.exec(line);
      expect(match).not.toBeNull();
      const payload = match![2]!;
      expect(createHash('sha256').update(payload).digest('hex').slice(0, 16)).toBe(match![1]);
      return JSON.parse(payload);
    });
}

describe('feedback journal with child processes', () => {
  it('loses at most the record in flight when a writer is killed with SIGKILL', async () => {
    const writer = startWriter('k', Number.POSITIVE_INFINITY);
    await new Promise<void>((resolve, reject) => {
      writer.child.on('message', () => {
        if (writer.written() >= 40) resolve();
      });
      void writer.exited.then((exit) => reject(new Error(`writer exited early: ${exit.stderr}`)));
      void writer.ready.then(writer.go);
    });
    writer.child.kill('SIGKILL');
    const reported = writer.written();
    const exit = await writer.exited;
    expect(exit.signal).toBe('SIGKILL');

    // Reopening may have to break the dead writer's lock and cut a torn tail.
    const store = await openFeedbackStore({ path: journal, lock: { timeoutMs: 5000 } });
    const stats = await store.stats();
    await store.close();
    const events = await verifiedEvents();
    expect(stats.predictions).toBe(events.length);
    expect(events.length).toBeGreaterThanOrEqual(reported);
    // Appends are in order, so the journal is exactly k-0 … k-(n-1): nothing skipped.
    expect(events.map((e) => e.id)).toEqual(
      Array.from({ length: events.length }, (_, i) => `k-${i}`),
    );
  });

  it('keeps every event whole when two processes append at once', async () => {
    const reader = await openFeedbackStore({ path: journal });
    const perWriter = 120;
    // 6000-byte inputs: longer than PIPE_BUF, so only the lock keeps lines from interleaving.
    const writers = [startWriter('a', perWriter, 6000), startWriter('b', perWriter, 6000)];
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.go();
    const exits = await Promise.all(writers.map((w) => w.exited));
    for (const exit of exits) expect(exit).toMatchObject({ code: 0, signal: null });

    // The reader opened before the writers and sees their events without reopening.
    const stats = await reader.stats();
    expect(stats.predictions).toBe(2 * perWriter);
    expect(Object.keys(stats.byModelVersion)).toEqual(['a', 'b']);
    await reader.close();

    const events = await verifiedEvents();
    expect(events).toHaveLength(2 * perWriter);
    for (const prefix of ['a', 'b']) {
      const ids = events.filter((e) => e.modelVersion === prefix).map((e) => e.id);
      expect(ids).toEqual(Array.from({ length: perWriter }, (_, i) => `${prefix}-${i}`));
    }
    // Both writers ran at the same time: their events alternate somewhere rather than in two blocks.
    const switches = events.filter(
      (e, i) => i > 0 && e.modelVersion !== events[i - 1]!.modelVersion,
    );
    expect(switches.length).toBeGreaterThan(1);
  });
});
