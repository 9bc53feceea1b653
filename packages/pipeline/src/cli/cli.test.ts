// The `ft` CLI: as a child process (tsx src/cli.ts) for bad usage, a failing run and `serve`
// (exit codes, streams, signals); in-process through main() for the other commands, because each
// tsx child costs seconds of start-up on a busy machine.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRegistry } from '@ft/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobStore, type RunState } from '../index.js';
import { call } from '../server/fixtures/client.js';
import { main } from './main.js';

const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
const steps = fileURLToPath(new URL('../jobs/fixtures/steps.ts', import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function start(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', tsx, cli, ...args], {
    cwd: home,
    env: { ...process.env, FT_HOME: join(home, 'home'), FT_TOKEN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function ft(...args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = start(args);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The same command through main() in this process, with captured output. */
async function ftHere(...args: string[]): Promise<Result> {
  return ftHereOn(false, ...args);
}

async function ftHereOn(isTTY: boolean, ...args: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    out: {
      write: (text) => {
        stdout += text;
      },
      isTTY,
    },
    err: {
      write: (text) => {
        stderr += text;
      },
      isTTY: false,
    },
    env: { FT_HOME: join(home, 'home') },
    cwd: home,
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

let home: string;
const pipelines = {
  failing:
    'name: demo\nsteps:\n  - id: a\n    type: count\n    params: { n: 3 }\n  - id: b\n    type: boom\n    params: { message: nope }\n    needs: [a]\n',
  passing: 'name: ok\nsteps:\n  - id: a\n    type: count\n    params: { n: 4 }\n',
};

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'ft-cli-'));
  await writeFile(join(home, 'failing.yaml'), pipelines.failing);
  await writeFile(join(home, 'passing.yaml'), pipelines.passing);
});
afterAll(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('ft', () => {
  it('answers bad usage with exit code 2 and the help, --help with 0', async () => {
    const [help, unknown, badFlag, missing, noSub] = await Promise.all([
      ft('--help'),
      ft('bogus'),
      ft('run', 'failing.yaml', '--bad-flag'),
      ftHere('run'),
      ftHere('registry'),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: ft <command>');
    expect(help.stdout).toContain('ft registry deploy <model> <ref> --target <dir>');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "bogus"');
    expect(unknown.stderr).toContain('Usage: ft <command>');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Unknown option '--bad-flag'");
    expect(badFlag.stderr).toContain('Usage: ft run <pipeline.yaml>');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing <pipeline>');
    expect(noSub.code).toBe(2);
    expect(noSub.stderr).toContain('Usage: ft registry <list|show|deploy|rollback>');
  });

  it('runs pipelines, then shows status, runs, reports and events with the right exit codes', async () => {
    const failed = await ft('run', 'failing.yaml', '--run-id', 'r1', '--steps', steps, '--json');
    expect(failed.code).toBe(1);
    const state = JSON.parse(failed.stdout) as RunState;
    expect(state.status).toBe('failed');
    expect(state.steps.a?.status).toBe('succeeded');
    expect(state.steps.a?.output?.values).toEqual({ sum: 6 });
    expect(state.steps.b?.status).toBe('failed');
    expect(state.steps.b?.error).toContain('nope');

    const passed = await ftHere('run', 'passing.yaml', '--run-id', 'r2', '--steps', steps);
    expect(passed.code).toBe(0);
    // Not a TTY: plain lines, no carriage returns.
    expect(passed.stdout).not.toContain('\r');
    const lines = passed.stdout.split('\n');
    expect(lines).toContain('run r2: pipeline ok');
    expect(lines).toContain('[a] 1/4 items');
    expect(lines).toContain('[a] 4/4 items');
    expect(lines).toContain('[a] sum=10');
    expect(lines).toContain('run r2 succeeded');

    // On a TTY, progress rewrites one line in place; the next event starts a fresh line.
    await writeFile(join(home, 'tty.yaml'), pipelines.passing.replace('n: 4', 'n: 2'));
    const tty = await ftHereOn(true, 'run', 'tty.yaml', '--run-id', 'r3', '--steps', steps);
    expect(tty.code).toBe(0);
    expect(tty.stdout).toContain('\r\x1b[2K[a] 1/2 items\r\x1b[2K[a] 2/2 items\n[a] sum=3\n');

    const runDir = join(home, 'home', 'runs', 'r1');
    const [status, latest, missing, runs, report, watch] = await Promise.all([
      ftHere('status', 'r1', '--json'),
      ftHere('status'),
      ftHere('status', 'nope'),
      ftHere('runs', '--json'),
      ftHere('report', runDir),
      ftHere('watch', 'r1', '--json'),
    ]);
    expect(status.code).toBe(1);
    expect((JSON.parse(status.stdout) as RunState).runId).toBe('r1');
    expect(latest.code).toBe(0);
    expect(latest.stdout).toContain('run r3: ok succeeded');
    expect(latest.stdout).toMatch(/^a\s+succeeded\s+1\s+/m);
    expect(missing.code).toBe(3);
    expect((JSON.parse(runs.stdout) as RunState[]).map((r) => r.runId)).toEqual(['r3', 'r2', 'r1']);
    expect(report.code).toBe(0);
    expect(report.stdout.trim().split('\n')).toEqual(
      ['report.md', 'report.html', 'report.json'].map((name) => join(runDir, 'report', name)),
    );
    const markdown = await readFile(join(runDir, 'report', 'report.md'), 'utf8');
    expect(markdown).toContain('# Run r1: demo (failed)');
    expect(markdown).toContain('| a.sum | 6 |');
    expect(markdown).toContain('b: failed');
    expect(watch.code).toBe(1);
    const events = watch.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(events[0]).toMatchObject({ type: 'run-start', runId: 'r1', pipeline: 'demo' });
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'failed' });
  });

  it('runs one retraining tick from a config file: nothing due without feedback; a bad config exits 1', async () => {
    await writeFile(
      join(home, 'retrain.yaml'),
      [
        'pipeline: retrain-pipeline.yaml',
        'feedback: retrain-feedback.jsonl',
        'trainingData: train.jsonl',
        'registry: retrain-registry',
        'model: clf',
        'target: retrain-serving',
        'policies: [{ type: min-corrections, count: 5 }]',
      ].join('\n'),
    );
    const idle = await ftHere('retrain', 'retrain.yaml', '--json');
    expect(idle.code).toBe(0);
    expect(JSON.parse(idle.stdout)).toMatchObject({ action: 'none' });
    await writeFile(join(home, 'bad-retrain.yaml'), 'pipeline: p.yaml\npolicies: []\n');
    const bad = await ftHere('retrain', 'bad-retrain.yaml');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/bad-retrain\.yaml/);
  });

  it('manages the registry and the feedback store', async () => {
    const registry = await createRegistry({ root: join(home, 'home', 'registry'), user: 'test' });
    await registry.register('clf', {
      source: { 'model.bin': new Uint8Array([1]) },
      metrics: { f1: 0.8 },
    });
    await registry.register('clf', {
      source: { 'model.bin': new Uint8Array([2]) },
      metrics: { f1: 0.9 },
    });
    const target = join(home, 'serving');
    const [list, show, missing, noTarget, added] = await Promise.all([
      ftHere('registry', 'list', '--json'),
      ftHere('registry', 'show', 'clf', '1'),
      ftHere('registry', 'show', 'nope'),
      ftHere('registry', 'deploy', 'clf', '1'),
      ftHere(
        'feedback',
        'add',
        '--input',
        '{"text":"hi"}',
        '--prediction',
        'neg',
        '--model-version',
        '2',
        '--label',
        'pos',
      ),
    ]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([
      { name: 'clf', latestVersion: 2, versionCount: 2 },
    ]);
    expect(show.stdout).toContain('clf v1');
    expect(show.stdout).toContain('metrics: f1=0.8');
    expect(missing.code).toBe(3);
    expect(noTarget.code).toBe(2);
    expect(added.code).toBe(0);
    expect(added.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);

    expect((await ftHere('registry', 'deploy', 'clf', '1', '--target', target)).code).toBe(0);
    expect((await ftHere('registry', 'deploy', 'clf', 'latest', '--target', target)).code).toBe(0);
    const back = await ftHere('registry', 'rollback', '--target', target);
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('clf v1');
    const manifest = JSON.parse(
      await readFile(join(home, 'serving', '.ft-deployment.json'), 'utf8'),
    ) as { deployment: { version: number } };
    expect(manifest.deployment.version).toBe(1);
    expect(await readlink(target)).toContain('serving.versions');

    const stats = await ftHere('feedback', 'stats', '--json');
    expect(JSON.parse(stats.stdout)).toMatchObject({
      predictions: 1,
      labeled: 1,
      errors: 1,
      errorRate: 1,
    });
    const badWindow = await ftHere('feedback', 'stats', '--window-ms', 'soon');
    expect(badWindow.code).toBe(2);
  });

  it('approves and rejects waiting jobs, and serves the API until SIGTERM', async () => {
    const store = createJobStore({ home: join(home, 'home') });
    const job = await store.create({ pipelinePath: join(home, 'passing.yaml') });
    const other = await store.create({ pipelinePath: join(home, 'passing.yaml') });
    expect(
      (await ftHere('run', 'passing.yaml', '--run-id', job.runId, '--steps', steps)).code,
    ).toBe(0);
    await store.update(job.id, () => ({ status: 'waiting-approval' }));
    await store.update(other.id, () => ({ status: 'waiting-approval' }));
    const [approved, rejected, notWaiting] = await Promise.all([
      ftHere('approve', job.id, '--by', 'alice', '--steps', steps, '--json'),
      ftHere('reject', other.id, '--by', 'bob'),
      ftHere('approve', 'job-nope'),
    ]);
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({
      status: 'succeeded',
      approval: { decision: 'approved', by: 'alice' },
    });
    expect(rejected.code).toBe(0);
    expect(rejected.stdout).toBe(`job ${other.id} failed: rejected by bob\n`);
    expect(notWaiting.code).toBe(3);

    const server = start(['serve', '--port', '0', '--json']);
    const url = await new Promise<string>((resolve, reject) => {
      let text = '';
      server.stdout?.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('\n'))
          resolve((JSON.parse(text.split('\n')[0] ?? '') as { url: string }).url);
      });
      server.on('exit', (code) => reject(new Error(`serve exited early with ${code}`)));
    });
    const jobs = await call(url, 'GET', '/v1/jobs');
    expect(jobs.status).toBe(200);
    expect(
      jobs
        .json()
        .jobs.map((j: { id: string }) => j.id)
        .sort(),
    ).toEqual([job.id, other.id].sort());
    const exit = new Promise<number | null>((resolve) =>
      server.on('exit', (code) => resolve(code)),
    );
    server.kill('SIGTERM');
    expect(await exit).toBe(0);
  });
});
