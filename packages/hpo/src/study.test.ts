import { describe, expect, it } from 'vitest';
import {
  createInMemoryStorage,
  createRandomSampler,
  createStudy,
  type FrozenTrial,
  HpoError,
  loadStudy,
  type ObjectiveTrial,
  type Pruner,
  type Sampler,
  TrialPruned,
} from './index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<HpoError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HpoError);
  expect((error as HpoError).code).toBe(code);
  return error as HpoError;
}

function throwsWith(fn: () => unknown, code: string): HpoError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(HpoError);
  expect((caught as HpoError).code).toBe(code);
  return caught as HpoError;
}

/** Prunes once a reported value exceeds `threshold`. */
const thresholdPruner = (threshold: number): Pruner => ({
  name: 'threshold',
  prune(_study, trial) {
    const steps = Object.keys(trial.intermediateValues).map(Number);
    if (steps.length === 0) return false;
    return (trial.intermediateValues[String(Math.max(...steps))] as number) > threshold;
  },
});

describe('createStudy / loadStudy', () => {
  it('creates a minimizing in-memory study by default and reloads it by name', async () => {
    const storage = createInMemoryStorage();
    const study = await createStudy({ name: 'a', storage });
    expect(study.directions).toEqual(['minimize']);
    expect(study.direction).toBe('minimize');
    expect(study.sampler.name).toBe('tpe');
    await rejectsWith(createStudy({ name: 'a', storage }), 'ALREADY_EXISTS');
    const again = await createStudy({ name: 'a', storage, loadIfExists: true });
    await again.setUserAttr('owner', 'me');
    expect(await (await loadStudy('a', storage)).userAttrs()).toEqual({ owner: 'me' });
    await rejectsWith(loadStudy('missing', storage), 'NOT_FOUND');
    await rejectsWith(
      createStudy({ name: 'a', storage, loadIfExists: true, direction: 'maximize' }),
      'INVALID_ARGUMENT',
    );
  });

  it('lets processes that start together with loadIfExists all join one study', async () => {
    const storage = createInMemoryStorage();
    // All four look the study up before any creates it; three then lose the create race.
    const studies = await Promise.all(
      Array.from({ length: 4 }, () =>
        createStudy({ name: 'together', storage, loadIfExists: true, direction: 'maximize' }),
      ),
    );
    expect(studies.map((s) => s.directions)).toEqual(Array(4).fill(['maximize']));
    expect((await storage.listStudies()).map((info) => info.name)).toEqual(['together']);
    await rejectsWith(
      Promise.all([
        createStudy({ name: 'alone', storage }),
        createStudy({ name: 'alone', storage }),
      ]),
      'ALREADY_EXISTS',
    );
  });

  it('validates directions and options', async () => {
    await rejectsWith(
      createStudy({ direction: 'minimize', directions: ['maximize'] }),
      'INVALID_ARGUMENT',
    );
    await rejectsWith(createStudy({ directions: [] }), 'INVALID_ARGUMENT');
    await rejectsWith(createStudy({ direction: 'up' as never }), 'INVALID_ARGUMENT');
    await rejectsWith(createStudy({ heartbeat: { intervalMs: 0 } }), 'INVALID_ARGUMENT');
    await rejectsWith(createStudy({ retry: { maxRetries: -1 } }), 'INVALID_ARGUMENT');
    const multi = await createStudy({ directions: ['minimize', 'maximize'] });
    expect(() => multi.direction).toThrow(/single-objective/);
  });
});

describe('ask / tell', () => {
  it('records values, params and state; a finished trial cannot be told again', async () => {
    const study = await createStudy({ seed: 1 });
    const trial = await study.ask();
    const x = trial.suggestFloat('x', -1, 1);
    const frozen = await study.tell(trial, x * 2);
    expect(frozen).toMatchObject({ number: 0, state: 'complete', values: [x * 2], params: { x } });
    expect(frozen.distributions.x).toEqual({ type: 'float', low: -1, high: 1, log: false });
    await rejectsWith(study.tell(trial, 1), 'TRIAL_FINISHED');
    await rejectsWith(study.tell(0, 1), 'TRIAL_FINISHED');
    throwsWith(() => trial.suggestInt('y', 0, 3), 'TRIAL_FINISHED');
    await rejectsWith(trial.report(1, 0), 'TRIAL_FINISHED');
  });

  it('rejects values that are not one finite number per direction', async () => {
    const study = await createStudy({ directions: ['minimize', 'maximize'] });
    const trial = await study.ask();
    await rejectsWith(study.tell(trial, 1), 'INVALID_VALUE');
    await rejectsWith(study.tell(trial, [1, Number.NaN]), 'INVALID_VALUE');
    await rejectsWith(study.tell(trial, [1, 2, 3]), 'INVALID_VALUE');
    await rejectsWith(study.tell(trial, { state: 'done' } as never), 'INVALID_VALUE');
    // The trial is still running, so a correct tell (by number) works.
    expect((await study.tell(trial.number, [1, 2])).values).toEqual([1, 2]);
  });

  it('tells pruned (keeping the last report) and failed trials', async () => {
    const study = await createStudy();
    const a = await study.ask();
    await a.report(0.9, 0);
    await a.report(0.7, 3);
    await a.report(0.1, 3); // a repeated step keeps its first value, like Optuna
    const pruned = await study.tell(a, { state: 'pruned' });
    expect(pruned).toMatchObject({
      state: 'pruned',
      values: [0.7],
      intermediateValues: { '0': 0.9, '3': 0.7 },
    });
    const b = await study.ask();
    const failed = await study.tell(b, { state: 'fail', error: 'out of memory' });
    expect(failed).toMatchObject({ state: 'fail', error: 'out of memory' });
    await rejectsWith(study.bestTrial(), 'NOT_FOUND');
  });

  it('returns the same value when a name is suggested again in a trial', async () => {
    const study = await createStudy({ seed: 5 });
    const trial = await study.ask();
    const first = trial.suggestFloat('lr', 1e-5, 1, { log: true });
    expect(trial.suggestFloat('lr', 1e-5, 1, { log: true })).toBe(first);
    // A changed range is compatible (Optuna allows it) and still returns the stored value.
    expect(trial.suggestFloat('lr', 1e-4, 1, { log: true })).toBe(first);
    const error = throwsWith(() => trial.suggestInt('lr', 1, 10), 'INCOMPATIBLE_DISTRIBUTION');
    expect(error.param).toBe('lr');
    expect(error.message).toContain('int[1, 10]');
    expect(error.message).toContain('float[0.00001, 1, log]');
  });

  it('rejects a parameter whose distribution changes kind across trials of the study', async () => {
    const study = await createStudy({ seed: 5 });
    const t0 = await study.ask();
    t0.suggestCategorical('act', ['relu', 'gelu']);
    await study.tell(t0, 1);
    const t1 = await study.ask();
    const error = throwsWith(
      () => t1.suggestCategorical('act', ['relu', 'tanh']),
      'INCOMPATIBLE_DISTRIBUTION',
    );
    expect(error.message).toMatch(
      /param act: .*categorical\("relu", "tanh"\).*categorical\("relu", "gelu"\)/,
    );
    expect(t1.suggestFloat('other', 0, 1)).toBeGreaterThanOrEqual(0);
  });

  it('names the parameter of an invalid search space', async () => {
    const study = await createStudy();
    const trial = await study.ask();
    const error = throwsWith(
      () => trial.suggestFloat('wd', 0, 1, { log: true }),
      'INVALID_DISTRIBUTION',
    );
    expect(error.param).toBe('wd');
    throwsWith(() => trial.suggestInt('n', 5, 1), 'INVALID_DISTRIBUTION');
    throwsWith(() => trial.suggestFloat('f', 0, 1, { step: 0 }), 'INVALID_DISTRIBUTION');
    throwsWith(() => trial.suggestCategorical('c', []), 'INVALID_DISTRIBUTION');
    throwsWith(() => trial.suggestCategorical('c', ['a', 'a']), 'INVALID_DISTRIBUTION');
  });

  it('suggests single-valued spaces without the sampler and snaps stepped values', async () => {
    const study = await createStudy({ seed: 9 });
    const trial = await study.ask();
    expect(trial.suggestInt('fixed', 4, 5, { step: 2 })).toBe(4);
    expect(trial.suggestCategorical('only', ['x'])).toBe('x');
    const v = trial.suggestFloat('stepped', 0, 1, { step: 0.25 });
    expect([0, 0.25, 0.5, 0.75, 1]).toContain(v);
    const frozen = await study.tell(trial, 0);
    expect(frozen.params).toEqual({ fixed: 4, only: 'x', stepped: v });
  });

  it('suggests fixedDistributions at ask() time', async () => {
    const study = await createStudy({ seed: 2 });
    const trial = await study.ask({
      units: { type: 'int', low: 16, high: 64, log: false, step: 16 },
      opt: { type: 'categorical', choices: ['adam', 'sgd'] },
    });
    expect(Object.keys(trial.params).sort()).toEqual(['opt', 'units']);
    expect([16, 32, 48, 64]).toContain(trial.params.units);
    await rejectsWith(
      study.ask({ bad: { type: 'float', low: 1, high: 0, log: false } }),
      'INVALID_DISTRIBUTION',
    );
  });
});

describe('ask() that cannot prepare its trial', () => {
  it('fails the trial it started instead of leaving it running', async () => {
    const broken: Sampler = {
      name: 'broken',
      beforeTrial() {
        throw new Error('sampler state is corrupt');
      },
      sampleIndependent: () => 0,
    };
    const study = await createStudy({ sampler: broken });
    await expect(study.ask()).rejects.toThrow('sampler state is corrupt');
    const [failed] = await study.getTrials();
    expect(failed?.state).toBe('fail');
    expect(failed?.error).toMatch(/^Error: sampler state is corrupt/);

    const ok = await createStudy({ seed: 1 });
    const first = await ok.ask();
    first.suggestFloat('lr', 0, 1);
    await ok.tell(first, 1);
    await rejectsWith(
      ok.ask({ lr: { type: 'categorical', choices: ['a', 'b'] } }),
      'INCOMPATIBLE_DISTRIBUTION',
    );
    expect((await ok.getTrials()).map((t) => t.state)).toEqual(['complete', 'fail']);
  });
});

describe('enqueueTrial', () => {
  it('runs waiting trials first with their fixed params and user attrs', async () => {
    const study = await createStudy({ seed: 3 });
    await study.enqueueTrial({ x: 0.5, act: 'gelu' }, { userAttrs: { source: 'manual' } });
    await study.enqueueTrial({ x: 2 }); // outside the range: used as given, like Optuna
    expect((await study.getTrials(['waiting'])).map((t) => t.number)).toEqual([0, 1]);
    const seen: Record<string, unknown>[] = [];
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', -1, 1);
        const act = t.suggestCategorical('act', ['relu', 'gelu']);
        seen.push({ x, act });
        return x;
      },
      { nTrials: 3 },
    );
    expect(seen[0]).toEqual({ x: 0.5, act: 'gelu' });
    expect(seen[1]?.x).toBe(2);
    const trials = await study.getTrials();
    expect(trials.map((t) => t.state)).toEqual(['complete', 'complete', 'complete']);
    expect(trials[0]?.userAttrs).toEqual({ source: 'manual' });
    expect(trials[0]?.systemAttrs.fixed_params).toEqual({ x: 0.5, act: 'gelu' });
  });

  it('rejects an enqueued categorical value that is not a choice, naming the param', async () => {
    const study = await createStudy();
    await study.enqueueTrial({ act: 'swish' });
    const trial = await study.ask();
    const error = throwsWith(
      () => trial.suggestCategorical('act', ['relu', 'gelu']),
      'INVALID_ARGUMENT',
    );
    expect(error.param).toBe('act');
    await rejectsWith(study.enqueueTrial({ x: Number.NaN }), 'INVALID_ARGUMENT');
  });
});

describe('optimize', () => {
  const quadratic = (t: ObjectiveTrial) => (t.suggestFloat('x', -5, 5) - 1) ** 2;

  it('runs nTrials and finds a reasonable minimum', async () => {
    const study = await createStudy({ seed: 7 });
    await study.optimize(quadratic, { nTrials: 40 });
    expect(await study.getTrials(['complete'])).toHaveLength(40);
    const best = await study.bestTrial();
    const values = (await study.getTrials()).map((t) => t.values?.[0] as number);
    expect(best.values?.[0]).toBe(Math.min(...values));
    expect(await study.bestValue()).toBeLessThan(0.1);
    expect(Math.abs(((await study.bestParams()).x as number) - 1)).toBeLessThan(0.32);
  });

  it('respects the concurrency limit and actually overlaps', async () => {
    const study = await createStudy({ seed: 1 });
    let running = 0;
    let peak = 0;
    await study.optimize(
      async (t) => {
        running++;
        peak = Math.max(peak, running);
        await sleep(10);
        running--;
        return t.suggestFloat('x', 0, 1);
      },
      { nTrials: 9, concurrency: 3 },
    );
    expect(peak).toBe(3);
    expect(await study.getTrials()).toHaveLength(9);
  });

  it('records every error as a failed trial by default and goes on', async () => {
    const study = await createStudy({ seed: 1 });
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', 0, 1);
        if (t.number === 1) throw new RangeError('diverged');
        if (t.number === 2) return Number.NaN;
        if (t.number === 3) return [1, 2];
        return x;
      },
      { nTrials: 5 },
    );
    const trials = await study.getTrials();
    expect(trials.map((t) => t.state)).toEqual(['complete', 'fail', 'fail', 'fail', 'complete']);
    expect(trials[1]?.error).toMatch(/^RangeError: diverged/);
    expect(trials[2]?.error).toContain('must give 1 finite number(s)');
    expect(trials[3]?.error).toContain('got [1,2]');
  });

  it('rethrows errors that catch() does not accept, after recording the trial', async () => {
    const study = await createStudy();
    const error = await study
      .optimize(
        (t) => {
          if (t.number === 2) throw new TypeError('bug');
          if (t.number === 1) throw new RangeError('expected');
          return 0;
        },
        { nTrials: 10, catch: (e) => e instanceof RangeError },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((await study.getTrials()).map((t) => t.state)).toEqual(['complete', 'fail', 'fail']);
  });

  it('ends pruned trials and calls callbacks, which may stop the study', async () => {
    // Random sampling spreads x over [0, 1], so some trials are pruned and some complete.
    const study = await createStudy({
      sampler: createRandomSampler({ seed: 4 }),
      pruner: thresholdPruner(0.5),
    });
    const seen: FrozenTrial[] = [];
    await study.optimize(
      async (t) => {
        const x = t.suggestFloat('x', 0, 1);
        for (let step = 0; step < 3; step++) {
          await t.report(x + step * 0.2, step);
          if (await t.shouldPrune()) throw new TrialPruned();
        }
        return x;
      },
      {
        nTrials: 100,
        callbacks: [
          (s, trial) => {
            seen.push(trial);
            if (seen.length === 6) s.stop();
          },
        ],
      },
    );
    const trials = await study.getTrials();
    expect(trials).toHaveLength(6);
    expect(seen.map((t) => t.state)).toEqual(trials.map((t) => t.state));
    for (const t of trials) {
      const x = t.params.x as number;
      // Reports x, x+0.2, x+0.4: pruned at the first step whose value exceeds 0.5.
      const firstOver = [0, 1, 2].find((s) => x + s * 0.2 > 0.5);
      expect(t.state).toBe(firstOver === undefined ? 'complete' : 'pruned');
      if (firstOver !== undefined) expect(t.values).toEqual([x + firstOver * 0.2]);
    }
    expect(new Set(trials.map((t) => t.state)).size).toBe(2);
  });

  it('starts no trial after timeoutMs; running ones finish', async () => {
    const study = await createStudy();
    await study.optimize(
      async (t) => {
        await sleep(20);
        return t.suggestFloat('x', 0, 1);
      },
      { timeoutMs: 60, nTrials: 1000 },
    );
    const trials = await study.getTrials();
    expect(trials.length).toBeGreaterThanOrEqual(1);
    expect(trials.length).toBeLessThan(1000);
    expect(trials.every((t) => t.state === 'complete')).toBe(true);
  });

  it('validates its options', async () => {
    const study = await createStudy();
    await rejectsWith(study.optimize(quadratic, { nTrials: -1 }), 'INVALID_ARGUMENT');
    await rejectsWith(study.optimize(quadratic, { concurrency: 0 }), 'INVALID_ARGUMENT');
    await rejectsWith(study.optimize(quadratic, { timeoutMs: Number.NaN }), 'INVALID_ARGUMENT');
    await rejectsWith(study.optimize(quadratic, { processes: true }), 'INVALID_ARGUMENT');
    await rejectsWith(study.optimize({ module: './nope.mjs' }, { nTrials: 1 }), 'INVALID_ARGUMENT');
  });
});

describe('report / shouldPrune misuse', () => {
  it('rejects bad reports; records multi-objective reports (pruners pick the objective)', async () => {
    const study = await createStudy();
    const trial = await study.ask();
    await rejectsWith(trial.report(Number.NaN, 0), 'INVALID_VALUE');
    await rejectsWith(trial.report(1, -1), 'INVALID_ARGUMENT');
    await rejectsWith(trial.report(1, 0.5), 'INVALID_ARGUMENT');
    expect(await trial.shouldPrune()).toBe(false); // no pruner by default
    const multi = await createStudy({ directions: ['minimize', 'minimize'] });
    const m = await multi.ask();
    // Since pruners take an `objective` index (pruners/study.e2e.test.ts), reports are allowed.
    await m.report(1, 0);
    expect((await multi.getTrials())[0]?.intermediateValues).toEqual({ '0': 1 });
    expect(await m.shouldPrune()).toBe(false); // no pruner by default
    throwsWith(() => m.setConstraints([Number.NaN]), 'INVALID_VALUE');
  });
});

describe('best trial with constraints, user attrs, trials table', () => {
  it('picks the best feasible trial of a maximizing study', async () => {
    const study = await createStudy({ direction: 'maximize' });
    for (const [value, c] of [
      [5, [1]],
      [3, [-1]],
      [4, [0]],
      [4, [-2]],
    ] as const) {
      const t = await study.ask();
      t.setConstraints(c);
      t.setUserAttr('value', value);
      await study.tell(t, value);
    }
    const best = await study.bestTrial();
    expect(best.number).toBe(2); // 5 is infeasible; the first of the two 4s wins
    expect(best.constraints).toEqual([0]);
    expect(best.userAttrs).toEqual({ value: 4 });
    const table = await study.trialsTable();
    expect(table.map((r) => [r.number, r.state, r.values])).toEqual([
      [0, 'complete', [5]],
      [1, 'complete', [3]],
      [2, 'complete', [4]],
      [3, 'complete', [4]],
    ]);
    expect(table.every((r) => typeof r.durationMs === 'number' && r.durationMs >= 0)).toBe(true);

    const none = await createStudy();
    const t = await none.ask();
    t.setConstraints([0.1]);
    await none.tell(t, 1);
    await rejectsWith(none.bestTrial(), 'NOT_FOUND');
  });
});

describe('heartbeats and retries', () => {
  it('fails a trial whose heartbeat stopped and re-runs its params (retried_from / retry_count)', async () => {
    const storage = createInMemoryStorage();
    // "Process A": beats once at ask() and then never again (interval far in the future).
    const a = await createStudy({
      name: 'hb',
      storage,
      heartbeat: { intervalMs: 3_600_000 },
      seed: 1,
    });
    const lost = await a.ask();
    const x = lost.suggestFloat('x', 0, 1);
    await lost.flush();
    expect((await storage.getTrial('hb', 0)).heartbeatAt).toBeTypeOf('number');
    await sleep(60);
    // "Process B" shares the storage and reaps stale trials on ask().
    const b = await loadStudy('hb', storage, {
      heartbeat: { intervalMs: 10, graceMs: 40 },
      retry: { maxRetries: 1 },
    });
    const retry = await b.ask();
    expect(retry.number).toBe(1);
    expect(retry.suggestFloat('x', 0, 1)).toBe(x);
    expect(retry.systemAttrs).toMatchObject({ retried_from: 0, retry_count: 1 });
    expect(await storage.getTrial('hb', 0)).toMatchObject({
      state: 'fail',
      error: 'heartbeat lost',
    });
    await b.tell(retry, 0.25);
    expect((await b.getTrials()).map((t) => t.state)).toEqual(['fail', 'complete']);
  });

  it("applies optimize's own retry policy to trials reaped during that call", async () => {
    const storage = createInMemoryStorage();
    const a = await createStudy({ name: 'hb2', storage, heartbeat: { intervalMs: 3_600_000 } });
    const lost = await a.ask();
    const x = lost.suggestFloat('x', 0, 1);
    await lost.flush();
    await sleep(60);
    // The study itself has no retry policy; only this optimize() call does.
    const b = await loadStudy('hb2', storage, { heartbeat: { intervalMs: 10, graceMs: 40 } });
    const seen: number[] = [];
    await b.optimize(
      (t) => {
        seen.push(t.suggestFloat('x', 0, 1));
        return 0;
      },
      { nTrials: 1, retry: { maxRetries: 1 } },
    );
    const trials = await b.getTrials();
    expect(trials.map((t) => t.state)).toEqual(['fail', 'complete', 'complete']);
    expect(trials[1]?.systemAttrs).toMatchObject({ retried_from: 0, retry_count: 1 });
    expect(seen[0]).toBe(x);
  });

  it('stops retrying after maxRetries', async () => {
    const storage = createInMemoryStorage();
    const study = await createStudy({
      name: 'r',
      storage,
      heartbeat: { intervalMs: 3_600_000, graceMs: 30 },
      retry: { maxRetries: 1 },
    });
    const t0 = await study.ask();
    t0.suggestInt('n', 1, 9);
    await t0.flush();
    // The heartbeat timer of a live trial would keep it fresh; simulate its process dying.
    t0.markFinished();
    await sleep(50);
    const t1 = await study.ask(); // reaps #0, pops its retry
    expect(t1.systemAttrs).toMatchObject({ retried_from: 0, retry_count: 1 });
    await t1.flush();
    t1.markFinished();
    await sleep(50);
    const t2 = await study.ask(); // reaps #1 (retry_count 1 = max): no further retry
    expect(t2.systemAttrs).toEqual({});
    expect((await study.getTrials()).map((t) => t.state)).toEqual(['fail', 'fail', 'running']);
  });
});

describe('optimize edge cases', () => {
  it('stops every worker when one of them fails outside the objective', async () => {
    const study = await createStudy({ seed: 4 });
    let calls = 0;
    const failing = study.optimize(
      async (t) => {
        await sleep(1);
        return t.suggestFloat('x', 0, 1);
      },
      {
        concurrency: 2,
        callbacks: [
          () => {
            calls++;
            if (calls === 1) throw new Error('callback broke');
          },
        ],
      },
    );
    // Unbounded (no nTrials, no timeout): before the fix the other worker never stopped.
    await expect(failing).rejects.toThrow('callback broke');
    expect((await study.getTrials()).length).toBeLessThanOrEqual(3);
  });

  it('keeps going when another process already finished a running trial', async () => {
    const storage = createInMemoryStorage();
    const study = await createStudy({ name: 'race', storage, seed: 2 });
    await study.optimize(
      async (t) => {
        const x = t.suggestFloat('x', 0, 1);
        // Simulate another worker's heartbeat reaper failing this trial mid-run.
        if (t.number === 0)
          await storage.finishTrial('race', 0, { state: 'fail', error: 'heartbeat lost' });
        return x;
      },
      { nTrials: 3 },
    );
    expect((await study.getTrials()).map((t) => [t.state, t.error])).toEqual([
      ['fail', 'heartbeat lost'],
      ['complete', undefined],
      ['complete', undefined],
    ]);
  });

  it('imports an objective module by path and runs it in-process', async () => {
    const study = await createStudy({ pruner: { name: 'never', prune: () => false } });
    await study.enqueueTrial({ x: 6 });
    await study.optimize(
      {
        module: new URL('./optimize/fixtures/objectives.ts', import.meta.url).href,
        exportName: 'reporting',
      },
      { nTrials: 1 },
    );
    const [trial] = await study.getTrials();
    expect(trial).toMatchObject({
      state: 'complete',
      values: [1.5],
      constraints: [1],
      intermediateValues: { '0': 6, '1': 3 },
    });
  });

  it('copies sampler bookkeeping into retries and records the retry history', async () => {
    const storage = createInMemoryStorage();
    const study = await createStudy({
      name: 'h',
      storage,
      heartbeat: { intervalMs: 3_600_000, graceMs: 20 },
      retry: { maxRetries: 2 },
    });
    const t0 = await study.ask();
    t0.suggestInt('n', 1, 9);
    await storage.setTrialSystemAttr('h', 0, 'generation', 3);
    await t0.flush();
    t0.markFinished();
    await sleep(40);
    const t1 = await study.ask();
    await t1.flush();
    t1.markFinished();
    await sleep(40);
    const t2 = await study.ask();
    expect(t2.systemAttrs).toMatchObject({
      generation: 3,
      retried_from: 1,
      retry_count: 2,
      retry_history: [0, 1],
    });
    expect(t2.suggestInt('n', 1, 9)).toBe((await storage.getTrial('h', 0)).params.n);
  });
});

describe('sampler protocol', () => {
  it('calls beforeTrial, relative sampling, independent fallback and afterTrial in order', async () => {
    const calls: string[] = [];
    const sampler: Sampler = {
      name: 'recording',
      beforeTrial(study, trial) {
        calls.push(`before #${trial.number} (${study.trials.length} trials)`);
        trial.systemAttrs.generation = trial.number + 10;
      },
      inferRelativeSearchSpace(_study, trial) {
        calls.push(`infer #${trial.number} generation=${String(trial.systemAttrs.generation)}`);
        return { a: { type: 'float', low: 0, high: 1, log: false } };
      },
      sampleRelative(_study, trial, space) {
        calls.push(`relative #${trial.number} [${Object.keys(space).join()}]`);
        return { a: 0.25 };
      },
      sampleIndependent(_study, trial, name) {
        calls.push(`independent #${trial.number} ${name}`);
        return 0.75;
      },
      afterTrial(study, trial) {
        const self = study.trials.find((t) => t.number === trial.number);
        calls.push(
          `after #${trial.number} ${trial.state} ${JSON.stringify(trial.values)} view=${self?.state}`,
        );
      },
    };
    const study = await createStudy({ sampler });
    await study.optimize(
      (t) => t.suggestFloat('a', 0, 1) + t.suggestFloat('b', 0, 1) + t.suggestFloat('a2', 0, 0.5),
      { nTrials: 1 },
    );
    expect(calls).toEqual([
      'before #0 (1 trials)',
      'infer #0 generation=10',
      'relative #0 [a]',
      'independent #0 b',
      'independent #0 a2',
      'after #0 complete [1.75] view=complete',
    ]);
    // The relative value was used for `a`; the attribute the sampler added was persisted.
    const [trial] = await study.getTrials();
    expect(trial?.params).toEqual({ a: 0.25, b: 0.75, a2: 0.75 });
    expect(trial?.systemAttrs).toEqual({ generation: 10 });
  });

  it('falls back to independent sampling when the relative value is outside the new range', async () => {
    const sampler: Sampler = {
      name: 'stale-relative',
      inferRelativeSearchSpace: () => ({ a: { type: 'float', low: 0, high: 1, log: false } }),
      sampleRelative: () => ({ a: 0.9 }),
      sampleIndependent: () => 0.1,
    };
    const study = await createStudy({ sampler });
    const trial = await study.ask();
    expect(trial.suggestFloat('a', 0, 0.5)).toBe(0.1);
    const other = await study.ask();
    expect(other.suggestFloat('a', 0, 1)).toBe(0.9);
  });
});
