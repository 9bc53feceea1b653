// Journal storage: the conformance suite on one shared file, plus real child processes racing on
// it, a child killed mid-study, torn-tail recovery and corrupt-line detection.
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJournalStorage, HpoError } from '../index.js';
import { testStorage } from './conformance.js';

const child = fileURLToPath(new URL('./journal-child.ts', import.meta.url));
let dir: string;
let counter = 0;
const nextPath = () => join(dir, `journal-${counter++}.jsonl`);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ft-hpo-journal-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Finished {
  number: number;
  value: number;
}

function spawnChild(args: string[], onFinished: (message: Finished, proc: ChildProcess) => void) {
  const proc = fork(child, args, { execArgv: ['--import', 'tsx'], stdio: 'pipe' });
  let stderr = '';
  proc.stderr?.on('data', (data: Buffer) => {
    stderr += data.toString();
  });
  proc.on('message', (message) => onFinished(message as Finished, proc));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    proc.on('exit', (code, signal) => done({ code, signal })),
  );
  return { proc, exited, stderr: () => stderr };
}

describe('createJournalStorage: conformance', () => {
  let path = '';
  testStorage({
    create: async () => {
      if (!path) path = nextPath();
      return createJournalStorage({ path });
    },
    cleanup: async () => {
      path = '';
    },
    multiProcess: true,
  });
});

describe('createJournalStorage: processes and crashes', () => {
  it('gives dense unique numbers to trials created by 4 processes at once', async () => {
    const path = nextPath();
    const storage = createJournalStorage({ path });
    await storage.createStudy('shared', ['minimize']);
    const got: Finished[] = [];
    const children = Array.from({ length: 4 }, () =>
      spawnChild(['create', path, 'shared', '10'], (message) => got.push(message)),
    );
    for (const c of children) {
      const { code } = await c.exited;
      expect(code, c.stderr()).toBe(0);
    }
    expect(got.map((m) => m.number).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i),
    );
    const trials = await storage.getAllTrials('shared');
    expect(trials.map((t) => t.state)).toEqual(Array(40).fill('complete'));
    for (const m of got) expect(trials[m.number]?.values).toEqual([m.value]);
    // Each process's values are its pid * 1000 + 0..9, so all 4 wrote all of theirs.
    const perPid = new Map<number, number[]>();
    for (const m of got) {
      const pid = Math.floor(m.value / 1000);
      perPid.set(pid, [...(perPid.get(pid) ?? []), m.value % 1000]);
    }
    expect([...perPid.values()].map((v) => v.sort((a, b) => a - b))).toEqual(
      Array(4).fill(Array.from({ length: 10 }, (_, i) => i)),
    );
    await storage.close();
  });

  it('loses no finished trial when a process is killed mid-study, and the study resumes', async () => {
    const path = nextPath();
    const setup = createJournalStorage({ path });
    await setup.createStudy('crash', ['minimize']);
    await setup.close();
    const finished: Finished[] = [];
    const c = spawnChild(['study', path, 'crash'], (message, proc) => {
      finished.push(message);
      if (finished.length === 6) proc.kill('SIGKILL');
    });
    const { signal } = await c.exited;
    expect(signal, c.stderr()).toBe('SIGKILL');

    const resumed = createJournalStorage({ path });
    const trials = await resumed.getAllTrials('crash');
    expect(trials.map((t) => t.number)).toEqual(trials.map((_, i) => i));
    for (const m of finished) {
      expect(trials[m.number]).toMatchObject({
        state: 'complete',
        values: [m.value],
        intermediateValues: { '0': m.value % 1000 },
      });
    }
    // Beyond the reported ones (the kill lands a little later): finished trials, then at most
    // one left running where the kill struck mid-trial.
    const extra = trials.slice(finished.length);
    expect(extra.slice(0, -1).every((t) => t.state === 'complete')).toBe(true);
    expect(['complete', 'running', undefined]).toContain(extra.at(-1)?.state);
    await new Promise((done) => setTimeout(done, 20));
    const failed = await resumed.failStaleTrials('crash', 10);
    const orphans = extra.filter((t) => t.state === 'running' && t.heartbeatAt !== undefined);
    expect(failed.map((t) => t.number)).toEqual(orphans.map((t) => t.number));
    const next = await resumed.createTrial('crash', { state: 'running' });
    expect(next.number).toBe(trials.length);
    await resumed.finishTrial('crash', next.number, { state: 'complete', values: [42] });
    const reopened = createJournalStorage({ path });
    expect((await reopened.getTrial('crash', next.number)).values).toEqual([42]);
    expect((await reopened.getAllTrials('crash', ['complete'])).length).toBeGreaterThanOrEqual(7);
    await resumed.close();
    await reopened.close();
  });

  it('ignores a torn last line and lets the next writer cut it off', async () => {
    const path = nextPath();
    const first = createJournalStorage({ path });
    await first.createStudy('torn', ['maximize']);
    await first.createTrial('torn', { state: 'running' });
    await first.finishTrial('torn', 0, { state: 'complete', values: [1.5] });
    const intact = await readFile(path, 'utf8');
    const lastLine = intact.trimEnd().split('\n').at(-1) ?? '';
    // What a writer killed halfway through a line leaves behind: a partial line and its lock.
    await appendFile(path, lastLine.slice(0, 25));
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((done) => dead.on('exit', done));
    const abandoned = {
      pid: dead.pid,
      host: hostname(),
      time: new Date().toISOString(),
      nonce: 'd',
    };
    await writeFile(`${path}.lock`, JSON.stringify(abandoned));

    const second = createJournalStorage({ path });
    expect((await second.getAllTrials('torn')).map((t) => t.values)).toEqual([[1.5]]);
    // The first instance has replayed up to the torn part and must not consume it either.
    expect((await first.getAllTrials('torn')).length).toBe(1);
    const t1 = await second.createTrial('torn', { state: 'running' });
    expect(t1.number).toBe(1);

    const text = await readFile(path, 'utf8');
    expect(text.startsWith(intact)).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n').length - 1).toBe(intact.split('\n').length);
    const third = createJournalStorage({ path });
    expect((await third.getAllTrials('torn')).map((t) => [t.number, t.state])).toEqual([
      [0, 'complete'],
      [1, 'running'],
    ]);
    expect((await first.getTrial('torn', 1)).state).toBe('running');
    for (const s of [first, second, third]) await s.close();
  });

  it('replays only new lines: a reader that has caught up does not re-read old ones', async () => {
    const path = nextPath();
    const writer = createJournalStorage({ path });
    const reader = createJournalStorage({ path });
    await writer.createStudy('inc', ['minimize']);
    await writer.createTrial('inc', { state: 'running', userAttrs: { tag: 'aaaa' } });
    expect((await reader.getTrial('inc', 0)).userAttrs).toEqual({ tag: 'aaaa' });
    // Damage a line the reader has replayed already (same length, so offsets stay valid).
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"aaaa"', '"bbbb"'));
    // The writer has replayed that line too, so it appends after it; the reader picks up only
    // the new line and keeps its own copy of the old one.
    expect((await writer.createTrial('inc', { state: 'waiting' })).number).toBe(1);
    expect((await reader.getAllTrials('inc')).map((t) => [t.number, t.userAttrs])).toEqual([
      [0, { tag: 'aaaa' }],
      [1, {}],
    ]);
    const fresh = await createJournalStorage({ path })
      .getTrial('inc', 0)
      .catch((e: unknown) => e);
    expect((fresh as HpoError).message).toContain('line 2 is corrupt');
    for (const s of [writer, reader]) await s.close();
  });

  it('reports a corrupt line in the middle with the file and line number', async () => {
    const path = nextPath();
    const storage = createJournalStorage({ path });
    await storage.createStudy('bad', ['minimize']);
    await storage.createTrial('bad', { state: 'running', userAttrs: { v: 12345 } });
    await storage.createTrial('bad', { state: 'running' });
    await storage.close();
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('12345', '12346'));
    const error = await createJournalStorage({ path })
      .getAllTrials('bad')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HpoError);
    expect((error as HpoError).code).toBe('STORAGE_ERROR');
    expect((error as HpoError).path).toBe(path);
    expect((error as HpoError).message).toContain('line 2 is corrupt');
    expect((error as HpoError).message).toContain(path);

    await writeFile(path, `${text}not json\n`);
    const last = await createJournalStorage({ path })
      .getStudy('bad')
      .catch((e: unknown) => e);
    expect((last as HpoError).message).toContain('line 4 is corrupt');
  });

  it('fails with STORAGE_ERROR when the lock stays held past lockTimeoutMs', async () => {
    const path = nextPath();
    const storage = createJournalStorage({ path, lockTimeoutMs: 30 });
    await storage.createStudy('locked', ['minimize']);
    // A live holder (this very process, another acquisition) that never lets go.
    const held = { pid: process.pid, host: hostname(), time: new Date().toISOString(), nonce: 'x' };
    await writeFile(`${path}.lock`, JSON.stringify(held));
    const error = await storage
      .createTrial('locked', { state: 'running' })
      .catch((e: unknown) => e);
    expect((error as HpoError).code).toBe('STORAGE_ERROR');
    expect((error as HpoError).message).toContain(`${path}.lock`);
    // Reading needs no lock.
    expect(await storage.getAllTrials('locked')).toEqual([]);
    await rm(`${path}.lock`);
    expect((await storage.createTrial('locked', { state: 'running' })).number).toBe(0);
    await storage.close();
  });

  it('rejects bad options and use after close', async () => {
    expect(() => createJournalStorage({ path: '' })).toThrow(/needs `path`/);
    expect(() => createJournalStorage({ path: nextPath(), lockTimeoutMs: -1 })).toThrow(
      /lockTimeoutMs/,
    );
    const storage = createJournalStorage({ path: nextPath() });
    await storage.close();
    const error = await storage.listStudies().catch((e: unknown) => e);
    expect((error as HpoError).code).toBe('STORAGE_ERROR');
  });
});
