// Resume after a failure, cancellation, and a process killed with SIGKILL; the run folder lock.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are YAML with ${VAR} references.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createStepRegistry,
  type PipelineEvent,
  readRunEvents,
  readRunState,
  resumeRun,
  runPipeline,
} from '../index.js';
import { testSteps } from './fixtures/steps.js';

let dir: string;
let runsDir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-pipeline-resume-'));
  runsDir = join(dir, 'runs');
});
afterEach(() => cleanup());

const registry = createStepRegistry(testSteps);

async function pipeline(lines: string[]): Promise<string> {
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, lines.join('\n'));
  return file;
}

function waitPipeline(started: string): Promise<string> {
  return pipeline([
    'name: wait',
    'steps:',
    '  - id: first',
    '    type: write',
    '    params: { text: one }',
    '  - id: wait',
    '    type: wait',
    '    needs: [first]',
    `    params: { started: "${started}" }`,
    '  - id: last',
    '    type: concat',
    '    needs: [first]',
  ]);
}

const starts = (events: PipelineEvent[]) =>
  events.filter((event) => event.type === 'step-start').map((event) => event.step);

describe('resumeRun', () => {
  it('reruns from the failed step and keeps the steps that succeeded', async () => {
    const counter = join(dir, 'counter');
    const file = await pipeline([
      'name: resume',
      'steps:',
      '  - id: first',
      '    type: write',
      '    params: { text: one }',
      '  - id: flaky',
      '    type: flaky',
      '    needs: [first]',
      `    params: { counter: "${counter}", failures: 1 }`,
      '  - id: last',
      '    type: concat',
      '    needs: [first, flaky]',
      '  - id: word',
      '    type: write',
      '    needs: [flaky]',
      '    params: { text: "${WORD}" }',
    ]);
    const failed = await runPipeline(file, {
      runsDir,
      runId: 'r1',
      registry,
      cache: false,
      env: { WORD: 'saved' },
    });
    expect(failed.status).toBe('failed');
    expect(failed.steps.flaky).toMatchObject({ status: 'failed', error: 'planned failure 1 of 1' });
    expect(failed.steps.last).toEqual({ status: 'pending', attempts: 0 });

    // A torn last journal line (a crash mid-append) is ignored.
    await appendFile(join(runsDir, 'r1/journal.jsonl'), '{"kind":"step","st');
    expect(await readRunState(join(runsDir, 'r1'))).toEqual(failed);

    const events: PipelineEvent[] = [];
    const resumed = await resumeRun(join(runsDir, 'r1'), {
      registry,
      cache: false,
      onEvent: (event) => events.push(event),
    });
    expect(starts(events)).toEqual(['flaky', 'last', 'word']);
    // The env given to runPipeline was saved with the run and used again.
    expect(resumed.steps.word!.output!.values).toEqual({ chars: 5 });
    expect(resumed.status).toBe('succeeded');
    expect(resumed.createdAt).toBe(failed.createdAt);
    expect(resumed.steps.first).toEqual(failed.steps.first);
    expect(resumed.steps.flaky!.output!.values).toEqual({ calls: 2 });
    expect(resumed.steps.last!.output!.values).toEqual({ text: 'one' });
    // Both sessions' events are in events.jsonl, in order.
    const all = await readRunEvents(join(runsDir, 'r1'));
    expect(all.filter((event) => event.type === 'run-end').map((event) => event.status)).toEqual([
      'failed',
      'succeeded',
    ]);
    // A finished run is returned untouched.
    expect(await resumeRun(join(runsDir, 'r1'), { registry })).toEqual(resumed);
  });

  it('cancels through the signal, then resumes', async () => {
    const started = join(dir, 'started');
    const file = await waitPipeline(started);
    const controller = new AbortController();
    const events: PipelineEvent[] = [];
    const state = await runPipeline(file, {
      runsDir,
      runId: 'r1',
      registry,
      signal: controller.signal,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'log' && event.message === 'waiting') controller.abort();
      },
    });
    expect(state.status).toBe('cancelled');
    expect(state.steps.first!.status).toBe('succeeded');
    expect(state.steps.wait).toMatchObject({
      status: 'cancelled',
      error: 'cancelled: stopped: the run was cancelled',
    });
    expect(state.steps.last).toEqual({ status: 'pending', attempts: 0 });
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'cancelled' });

    const resumed = await resumeRun(join(runsDir, 'r1'), { registry });
    expect(resumed.status).toBe('succeeded');
    expect(resumed.steps.wait!.output!.values).toEqual({ resumed: true });
  });

  it('locks the run folder against a second process', async () => {
    const started = join(dir, 'started');
    const file = await waitPipeline(started);
    const controller = new AbortController();
    let second: Promise<unknown> | undefined;
    const running = runPipeline(file, {
      runsDir,
      runId: 'r1',
      registry,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'log' && event.message === 'waiting') {
          second = resumeRun(join(runsDir, 'r1'), { registry }).catch((error: unknown) => error);
          void second.then(() => controller.abort());
        }
      },
    });
    expect((await running).status).toBe('cancelled');
    expect(await second).toMatchObject({ name: 'PipelineError', code: 'LOCKED' });
  });

  it('resumes a run whose process was killed with SIGKILL', async () => {
    const started = join(dir, 'started');
    const file = await waitPipeline(started);
    const child = fork(
      fileURLToPath(new URL('./fixtures/sigkill-child.ts', import.meta.url)),
      [file, runsDir, 'r1'],
      { execArgv: ['--import', 'tsx'], stdio: 'pipe' },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((done) => {
      child.on('exit', (_code, signal) => done(signal));
    });
    // The wait step writes `started` and then waits: kill the process in the middle of it.
    const deadline = Date.now() + 45_000;
    while (!existsSync(started) && child.exitCode === null && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 20));
    }
    child.kill('SIGKILL');
    const signal = await exited;
    // stderr explains a child that died before reaching the step.
    expect(existsSync(started), stderr).toBe(true);
    expect(signal).toBe('SIGKILL');

    const runDir = join(runsDir, 'r1');
    const killed = await readRunState(runDir);
    expect(killed.status).toBe('running');
    expect(killed.steps.first!.status).toBe('succeeded');
    expect(killed.steps.wait).toMatchObject({ status: 'running', attempts: 1 });

    const events: PipelineEvent[] = [];
    const resumed = await resumeRun(runDir, { registry, onEvent: (event) => events.push(event) });
    expect(starts(events)).toEqual(['wait', 'last']);
    expect(resumed.status).toBe('succeeded');
    expect(resumed.steps.first).toEqual(killed.steps.first);
    expect(resumed.steps.wait).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(resumed.steps.wait!.output!.values).toEqual({ resumed: true });
    expect(resumed.steps.last!.output!.values).toEqual({ text: 'one' });
  });

  it('throws NOT_FOUND for a folder without a run', async () => {
    await expect(resumeRun(join(dir, 'nothing'), { registry })).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});
