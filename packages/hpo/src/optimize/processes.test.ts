import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStudy, type Pruner, workerEntryPath } from '../index.js';

const objectives = new URL('./fixtures/objectives.ts', import.meta.url).href;
const markers = await mkdtemp(join(tmpdir(), 'hpo-workers-'));
afterAll(() => rm(markers, { recursive: true, force: true }));

const lastAbove = (threshold: number): Pruner => ({
  name: 'last-above',
  prune(_study, trial) {
    const steps = Object.keys(trial.intermediateValues).map(Number);
    return (
      steps.length > 0 &&
      (trial.intermediateValues[String(Math.max(...steps))] as number) > threshold
    );
  },
});

describe('optimize with worker processes', () => {
  it('finds the worker entry from sources', () => {
    expect(workerEntryPath()).toMatch(/src[/\\]optimize[/\\]worker\.ts$/);
  });

  it('runs trials in child processes, concurrently but at most `concurrency` at once', async () => {
    process.env.HPO_TEST_MARKERS = markers;
    const study = await createStudy({ seed: 8 });
    await study.optimize(objectives, { nTrials: 3, concurrency: 2, processes: true });
    const trials = await study.getTrials();
    expect(trials.map((t) => t.state)).toEqual(['complete', 'complete', 'complete']);
    for (const t of trials) {
      const x = t.params.x as number;
      expect(t.values).toEqual([(x - 1) ** 2]);
      expect(t.userAttrs.pid).not.toBe(process.pid);
      expect(t.userAttrs.seen as number).toBeLessThanOrEqual(2);
    }
    // Trials 0 and 1 waited for each other, so two processes ran at the same time.
    expect(trials.slice(0, 2).map((t) => t.userAttrs.seen)).toEqual([2, 2]);
    expect(new Set(trials.map((t) => t.userAttrs.pid)).size).toBe(3);
  });

  it('records throws, crashes and kills as failed trials, retrying lost processes', async () => {
    const study = await createStudy({ seed: 1, retry: { maxRetries: 1 } });
    for (const mode of ['throw', 'kill', 'exit', 'incompatible'])
      await study.enqueueTrial({ mode });
    await study.optimize(
      { module: objectives, exportName: 'misbehave' },
      { nTrials: 4, concurrency: 4, processes: true },
    );
    const trials = await study.getTrials();
    const byMode = (mode: string) => trials.filter((t) => t.params.mode === mode);
    expect(trials.every((t) => t.state === 'fail')).toBe(true);
    // An objective error is not retried; a lost process is, once (maxRetries: 1).
    expect(byMode('throw').map((t) => t.error?.split('\n')[0])).toEqual([
      'RangeError: objective blew up',
    ]);
    expect(byMode('kill').map((t) => t.error)).toEqual([
      'worker process was killed by SIGKILL',
      'worker process was killed by SIGKILL',
    ]);
    expect(byMode('exit').map((t) => t.error)).toEqual([
      'worker process exited with code 1 before returning a value',
      'worker process exited with code 1 before returning a value',
    ]);
    const [killed, killedRetry] = byMode('kill');
    expect(killedRetry?.systemAttrs).toMatchObject({
      retried_from: killed?.number,
      retry_count: 1,
    });
    expect(byMode('incompatible')[0]?.error).toMatch(
      /HpoError: .*param mode: suggested with a different kind/,
    );
    expect(trials).toHaveLength(6);
  });

  it('records a worker that breaks the call protocol as failed instead of waiting forever', async () => {
    const study = await createStudy({ seed: 5 });
    await study.optimize(
      { module: objectives, exportName: 'garbage' },
      { nTrials: 1, processes: true },
    );
    const [trial] = await study.getTrials();
    expect(trial?.state).toBe('fail');
    expect(trial?.error).toMatch(/^worker protocol error: SyntaxError/);
  });

  it('answers report/shouldPrune/setConstraints over IPC with the parent pruner', async () => {
    const study = await createStudy({ pruner: lastAbove(4.5) });
    await study.enqueueTrial({ x: 10 });
    await study.enqueueTrial({ x: 2 });
    await study.optimize(
      { module: objectives, exportName: 'reporting' },
      { nTrials: 2, concurrency: 2, processes: true },
    );
    const [pruned, complete] = await study.getTrials();
    expect(pruned).toMatchObject({
      state: 'pruned',
      values: [5],
      intermediateValues: { '0': 10, '1': 5 },
    });
    expect(complete).toMatchObject({
      state: 'complete',
      values: [0.5],
      constraints: [-3],
      intermediateValues: { '0': 2, '1': 1 },
    });
  });
});
