// The conformance suite every StudyStorage passes: each implementation's test file calls
// `testStorage(...)`, so memory, journal, Redis and PostgreSQL all obey the same rules.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HpoError, type HpoErrorCode } from '../errors.js';
import type { Distribution, FloatDistribution, FrozenTrial, StudyStorage } from '../types.js';

export interface StorageConformanceOptions {
  /**
   * Opens a client of the storage under test. Within one test every call must reach the same data
   * (same file, same server and prefix/schema); `cleanup` wipes it between tests.
   */
  create: () => Promise<StudyStorage>;
  /** Removes everything the last test stored (file, keys, schema). */
  cleanup?: () => Promise<void>;
  /**
   * Whether separately created clients share data, as separate processes would. Turns the
   * concurrency tests into races between several clients instead of within one.
   * @default false
   */
  multiProcess?: boolean;
}

const float: FloatDistribution = { type: 'float', low: 0, high: 1, log: false };
const logFloat: Distribution = { type: 'float', low: 1e-5, high: 1, log: true };
const int: Distribution = { type: 'int', low: 1, high: 9, log: false, step: 2 };
const cat: Distribution = { type: 'categorical', choices: ['adam', 1, true, null] };

async function expectCode(promise: Promise<unknown>, code: HpoErrorCode): Promise<HpoError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HpoError);
  expect((error as HpoError).code).toBe(code);
  return error as HpoError;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function testStorage(options: StorageConformanceOptions): void {
  const { create, cleanup, multiProcess = false } = options;
  let storage: StudyStorage;
  const clients: StudyStorage[] = [];

  /** `n` clients that share data: fresh ones when the storage is multi-process, else `storage`. */
  async function clientsOf(n: number): Promise<StudyStorage[]> {
    if (!multiProcess) return Array.from({ length: n }, () => storage);
    const out = [storage];
    for (let i = 1; i < n; i++) {
      const client = await create();
      clients.push(client);
      out.push(client);
    }
    return out;
  }

  beforeEach(async () => {
    storage = await create();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    await storage.close();
    await cleanup?.();
  });

  describe('studies', () => {
    it('creates, gets, lists and deletes studies', async () => {
      const info = await storage.createStudy('s1', ['minimize']);
      expect(info).toMatchObject({
        name: 's1',
        directions: ['minimize'],
        userAttrs: {},
        systemAttrs: {},
      });
      expect(Number.isNaN(Date.parse(info.createdAt))).toBe(false);
      await storage.createStudy('s:2/ü', ['maximize', 'minimize']);
      expect(await storage.getStudy('s1')).toEqual(info);
      expect(await storage.getStudy('missing')).toBeUndefined();
      await storage.createStudy('S0', ['minimize']);
      // Sorted by name in code-unit order (uppercase before lowercase), whatever the backend.
      const listed = (await storage.listStudies()).map((s) => [s.name, s.directions]);
      expect(listed).toEqual([
        ['S0', ['minimize']],
        ['s1', ['minimize']],
        ['s:2/ü', ['maximize', 'minimize']],
      ]);
      await storage.deleteStudy('s1');
      expect(await storage.getStudy('s1')).toBeUndefined();
      expect((await storage.listStudies()).map((s) => s.name)).toEqual(['S0', 's:2/ü']);
    });

    it('rejects a taken name with ALREADY_EXISTS and bad arguments with INVALID_ARGUMENT', async () => {
      await storage.createStudy('dup', ['minimize']);
      const error = await expectCode(storage.createStudy('dup', ['maximize']), 'ALREADY_EXISTS');
      expect(error.study).toBe('dup');
      expect((await storage.getStudy('dup'))?.directions).toEqual(['minimize']);
      await expectCode(storage.createStudy('', ['minimize']), 'INVALID_ARGUMENT');
      await expectCode(storage.createStudy('x', []), 'INVALID_ARGUMENT');
      await expectCode(
        storage.createStudy('x', ['up' as unknown as 'minimize']),
        'INVALID_ARGUMENT',
      );
      expect(await storage.getStudy('x')).toBeUndefined();
    });

    it('deleting removes the trials; a study of the same name starts again at #0', async () => {
      await storage.createStudy('again', ['minimize']);
      await storage.createTrial('again', { state: 'running' });
      await storage.createTrial('again', { state: 'waiting' });
      await storage.deleteStudy('again');
      await expectCode(storage.getAllTrials('again'), 'NOT_FOUND');
      await storage.createStudy('again', ['maximize']);
      expect(await storage.getAllTrials('again')).toEqual([]);
      expect((await storage.createTrial('again', { state: 'running' })).number).toBe(0);
    });

    it('stores study attributes as JSON and rejects what JSON cannot hold', async () => {
      await storage.createStudy('attrs', ['minimize']);
      const nested = { a: [], b: {}, c: [1, 'two', null, true, { d: -0.5 }], e: 'ü∑😀' };
      await storage.setStudyUserAttr('attrs', 'nested', nested);
      await storage.setStudyUserAttr('attrs', 'n', 1e-300);
      await storage.setStudySystemAttr('attrs', 'sys', [0.1, 0.30000000000000004]);
      await storage.setStudyUserAttr('attrs', 'n', 2);
      const info = await storage.getStudy('attrs');
      expect(info?.userAttrs).toEqual({ nested, n: 2 });
      expect(info?.systemAttrs).toEqual({ sys: [0.1, 0.30000000000000004] });
      await expectCode(storage.setStudyUserAttr('attrs', 'bad', Number.NaN), 'INVALID_ARGUMENT');
      await expectCode(
        storage.setStudyUserAttr('attrs', 'bad', { x: undefined }),
        'INVALID_ARGUMENT',
      );
      await expectCode(storage.setStudyUserAttr('attrs', 'bad', new Date(0)), 'INVALID_ARGUMENT');
      await expectCode(storage.setStudyUserAttr('missing', 'k', 1), 'NOT_FOUND');
      expect(Object.keys((await storage.getStudy('attrs'))?.userAttrs ?? {}).sort()).toEqual([
        'n',
        'nested',
      ]);
    });

    it('throws NOT_FOUND for every operation on a missing study or trial', async () => {
      await expectCode(storage.deleteStudy('nope'), 'NOT_FOUND');
      await expectCode(storage.setStudySystemAttr('nope', 'k', 1), 'NOT_FOUND');
      await expectCode(storage.createTrial('nope', { state: 'running' }), 'NOT_FOUND');
      await expectCode(storage.popWaitingTrial('nope'), 'NOT_FOUND');
      await expectCode(storage.getAllTrials('nope'), 'NOT_FOUND');
      await expectCode(storage.failStaleTrials('nope', 0), 'NOT_FOUND');
      const error = await expectCode(storage.getTrial('nope', 0), 'NOT_FOUND');
      expect(error.study).toBe('nope');
      await storage.createStudy('here', ['minimize']);
      const missing = await expectCode(storage.getTrial('here', 3), 'NOT_FOUND');
      expect(missing.trial).toBe(3);
      await expectCode(storage.setTrialParam('here', 0, 'x', 0.5, float), 'NOT_FOUND');
      await expectCode(storage.setTrialIntermediateValue('here', 0, 0, 1), 'NOT_FOUND');
      await expectCode(storage.setTrialUserAttr('here', 0, 'k', 1), 'NOT_FOUND');
      await expectCode(storage.setTrialSystemAttr('here', 0, 'k', 1), 'NOT_FOUND');
      await expectCode(storage.finishTrial('here', 0, { state: 'fail' }), 'NOT_FOUND');
      await expectCode(storage.recordHeartbeat('here', 0), 'NOT_FOUND');
    });
  });

  describe('trials', () => {
    it('numbers trials 0, 1, 2 … and starts running ones now', async () => {
      await storage.createStudy('t', ['minimize']);
      const before = Date.now();
      const a = await storage.createTrial('t', { state: 'running' });
      const b = await storage.createTrial('t', {
        state: 'waiting',
        params: { x: 0.25 },
        distributions: { x: float },
        userAttrs: { u: 1 },
        systemAttrs: { fixed_params: { x: 0.25 } },
      });
      const c = await storage.createTrial('t', { state: 'running' });
      expect([a.number, b.number, c.number]).toEqual([0, 1, 2]);
      expect(a).toEqual({
        number: 0,
        state: 'running',
        params: {},
        distributions: {},
        intermediateValues: {},
        userAttrs: {},
        systemAttrs: {},
        datetimeStart: a.datetimeStart,
      });
      expect(Date.parse(a.datetimeStart ?? '')).toBeGreaterThanOrEqual(before - 1000);
      expect(b).toEqual({
        number: 1,
        state: 'waiting',
        params: { x: 0.25 },
        distributions: { x: float },
        intermediateValues: {},
        userAttrs: { u: 1 },
        systemAttrs: { fixed_params: { x: 0.25 } },
      });
      expect(await storage.getTrial('t', 1)).toEqual(b);
      await expectCode(
        storage.createTrial('t', { state: 'complete' as 'running' }),
        'INVALID_ARGUMENT',
      );
      expect((await storage.getAllTrials('t')).map((t) => t.number)).toEqual([0, 1, 2]);
    });

    it('keeps numbers dense and unique under concurrent creation', async () => {
      await storage.createStudy('dense', ['minimize']);
      const cs = await clientsOf(4);
      const created = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          (cs[i % cs.length] as StudyStorage).createTrial('dense', {
            state: i % 3 === 0 ? 'waiting' : 'running',
            userAttrs: { i },
          }),
        ),
      );
      const numbers = created.map((t) => t.number).sort((x, y) => x - y);
      expect(numbers).toEqual(Array.from({ length: 40 }, (_, i) => i));
      const stored = await storage.getAllTrials('dense');
      expect(stored.map((t) => t.number)).toEqual(numbers);
      // Each stored trial is the one its creator got back.
      for (const trial of created) expect(stored[trial.number]).toEqual(trial);
    });

    it('pops the oldest waiting trial, and each one to exactly one caller', async () => {
      await storage.createStudy('pop', ['minimize']);
      expect(await storage.popWaitingTrial('pop')).toBeUndefined();
      await storage.createTrial('pop', { state: 'running' });
      for (let i = 0; i < 10; i++) {
        await storage.createTrial('pop', { state: 'waiting', params: { i }, distributions: {} });
      }
      const first = await storage.popWaitingTrial('pop');
      expect(first?.number).toBe(1);
      expect(first?.state).toBe('running');
      expect(first?.params).toEqual({ i: 0 });
      expect(typeof first?.datetimeStart).toBe('string');
      // A waiting trial that is finished directly is never popped.
      await storage.finishTrial('pop', 2, { state: 'fail', error: 'cancelled' });
      const cs = await clientsOf(4);
      const popped = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          (cs[i % cs.length] as StudyStorage).popWaitingTrial('pop'),
        ),
      );
      const got = popped.filter((t): t is FrozenTrial => t !== undefined).map((t) => t.number);
      expect(got.sort((x, y) => x - y)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
      expect(popped.filter((t) => t === undefined)).toHaveLength(16);
      const states = (await storage.getAllTrials('pop')).map((t) => t.state);
      expect(states).toEqual(['running', 'running', 'fail', ...Array(8).fill('running')]);
    });

    it('stores params and checks distribution compatibility across trials', async () => {
      await storage.createStudy('p', ['minimize']);
      const t0 = await storage.createTrial('p', { state: 'running' });
      await storage.setTrialParam('p', t0.number, 'lr', 0.001, logFloat);
      await storage.setTrialParam('p', t0.number, 'layers', 3, int);
      await storage.setTrialParam('p', t0.number, 'opt', 'adam', cat);
      await storage.setTrialParam('p', t0.number, 'x', 0.5, float);
      const t1 = await storage.createTrial('p', { state: 'running' });
      // Another range of the same kind is fine (as in Optuna) …
      await storage.setTrialParam('p', t1.number, 'x', 2, { ...float, high: 3 });
      // … another kind, log setting or choice list is not.
      const e1 = await expectCode(
        storage.setTrialParam('p', t1.number, 'lr', 0.1, float),
        'INCOMPATIBLE_DISTRIBUTION',
      );
      expect(e1.param).toBe('lr');
      await expectCode(
        storage.setTrialParam('p', t1.number, 'layers', 0.5, float),
        'INCOMPATIBLE_DISTRIBUTION',
      );
      await expectCode(
        storage.setTrialParam('p', t1.number, 'opt', 'sgd', {
          type: 'categorical',
          choices: ['sgd'],
        }),
        'INCOMPATIBLE_DISTRIBUTION',
      );
      await expectCode(
        storage.createTrial('p', {
          state: 'waiting',
          params: { lr: 0.5 },
          distributions: { lr: float },
        }),
        'INCOMPATIBLE_DISTRIBUTION',
      );
      await expectCode(
        storage.setTrialParam('p', t1.number, 'y', Number.NaN, float),
        'INVALID_ARGUMENT',
      );
      await expectCode(
        storage.setTrialParam('p', t1.number, 'y', 1, {
          type: 'normal',
        } as unknown as Distribution),
        'INVALID_DISTRIBUTION',
      );
      expect(await storage.getTrial('p', 0)).toMatchObject({
        params: { lr: 0.001, layers: 3, opt: 'adam', x: 0.5 },
        distributions: { lr: logFloat, layers: int, opt: cat, x: float },
      });
      // Documented defaults are filled in: `log: false`, int `step: 1`.
      await storage.setTrialParam('p', t1.number, 'n', 4, {
        type: 'int',
        low: 0,
        high: 8,
      } as unknown as Distribution);
      expect((await storage.getTrial('p', 1)).distributions.n).toEqual({
        type: 'int',
        low: 0,
        high: 8,
        log: false,
        step: 1,
      });
      expect((await storage.getTrial('p', 1)).params).toEqual({ x: 2, n: 4 });
      expect((await storage.getAllTrials('p')).length).toBe(2);
    });

    it('records intermediate values by step (a repeated step overwrites)', async () => {
      await storage.createStudy('iv', ['maximize']);
      const t = await storage.createTrial('iv', { state: 'running' });
      await storage.setTrialIntermediateValue('iv', t.number, 0, 0.5);
      await storage.setTrialIntermediateValue('iv', t.number, 10, -1.25);
      await storage.setTrialIntermediateValue('iv', t.number, 3, 0.75);
      await storage.setTrialIntermediateValue('iv', t.number, 3, 0.8);
      expect((await storage.getTrial('iv', t.number)).intermediateValues).toEqual({
        '0': 0.5,
        '3': 0.8,
        '10': -1.25,
      });
      await expectCode(
        storage.setTrialIntermediateValue('iv', t.number, 4, Number.NaN),
        'INVALID_VALUE',
      );
      await expectCode(
        storage.setTrialIntermediateValue('iv', t.number, 5, Number.POSITIVE_INFINITY),
        'INVALID_VALUE',
      );
      await expectCode(
        storage.setTrialIntermediateValue('iv', t.number, -1, 1),
        'INVALID_ARGUMENT',
      );
      await expectCode(
        storage.setTrialIntermediateValue('iv', t.number, 1.5, 1),
        'INVALID_ARGUMENT',
      );
    });

    it('stores trial attributes, overwriting by key', async () => {
      await storage.createStudy('ta', ['minimize']);
      const t = await storage.createTrial('ta', { state: 'running', userAttrs: { keep: 'me' } });
      await storage.setTrialUserAttr('ta', t.number, 'fold', [0.1, [], {}]);
      await storage.setTrialUserAttr('ta', t.number, 'fold', [0.2]);
      await storage.setTrialSystemAttr('ta', t.number, 'nsga2:generation', 3);
      const got = await storage.getTrial('ta', t.number);
      expect(got.userAttrs).toEqual({ keep: 'me', fold: [0.2] });
      expect(got.systemAttrs).toEqual({ 'nsga2:generation': 3 });
      await expectCode(storage.setTrialUserAttr('ta', t.number, '', 1), 'INVALID_ARGUMENT');
      await expectCode(
        storage.setTrialUserAttr('ta', t.number, 'f', () => 1),
        'INVALID_ARGUMENT',
      );
    });

    it('validates results: one finite value per direction', async () => {
      await storage.createStudy('r', ['minimize', 'maximize']);
      const t = await storage.createTrial('r', { state: 'running' });
      await expectCode(storage.finishTrial('r', t.number, { state: 'complete' }), 'INVALID_VALUE');
      await expectCode(
        storage.finishTrial('r', t.number, { state: 'complete', values: [1] }),
        'INVALID_VALUE',
      );
      await expectCode(
        storage.finishTrial('r', t.number, { state: 'complete', values: [1, Number.NaN] }),
        'INVALID_VALUE',
      );
      await expectCode(
        storage.finishTrial('r', t.number, { state: 'fail', values: [1, 2] }),
        'INVALID_ARGUMENT',
      );
      await expectCode(
        storage.finishTrial('r', t.number, { state: 'running' as 'fail' }),
        'INVALID_ARGUMENT',
      );
      expect((await storage.getTrial('r', t.number)).state).toBe('running');
      const pruned = await storage.finishTrial('r', t.number, { state: 'pruned', values: [3, 4] });
      expect(pruned.state).toBe('pruned');
      expect(pruned.values).toEqual([3, 4]);
    });

    it('never changes a finished trial (TRIAL_FINISHED)', async () => {
      await storage.createStudy('fin', ['minimize']);
      const t = await storage.createTrial('fin', { state: 'running' });
      await storage.setTrialParam('fin', t.number, 'x', 0.5, float);
      await storage.setTrialIntermediateValue('fin', t.number, 1, 0.9);
      const done = await storage.finishTrial('fin', t.number, {
        state: 'complete',
        values: [0.125],
        constraints: [-1, 0],
      });
      expect(done).toMatchObject({ state: 'complete', values: [0.125], constraints: [-1, 0] });
      expect(Date.parse(done.datetimeComplete ?? '')).toBeGreaterThanOrEqual(
        Date.parse(done.datetimeStart ?? ''),
      );
      const e = await expectCode(
        storage.setTrialParam('fin', t.number, 'y', 0.1, float),
        'TRIAL_FINISHED',
      );
      expect(e.trial).toBe(t.number);
      await expectCode(storage.setTrialIntermediateValue('fin', t.number, 2, 1), 'TRIAL_FINISHED');
      await expectCode(storage.setTrialUserAttr('fin', t.number, 'k', 1), 'TRIAL_FINISHED');
      await expectCode(storage.setTrialSystemAttr('fin', t.number, 'k', 1), 'TRIAL_FINISHED');
      await expectCode(storage.recordHeartbeat('fin', t.number), 'TRIAL_FINISHED');
      await expectCode(
        storage.finishTrial('fin', t.number, { state: 'complete', values: [9] }),
        'TRIAL_FINISHED',
      );
      await expectCode(storage.finishTrial('fin', t.number, { state: 'fail' }), 'TRIAL_FINISHED');
      expect(await storage.getTrial('fin', t.number)).toEqual(done);
    });

    it('lets exactly one of several concurrent finishers win', async () => {
      await storage.createStudy('race', ['minimize']);
      const t = await storage.createTrial('race', { state: 'running' });
      const cs = await clientsOf(4);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          (cs[i % cs.length] as StudyStorage)
            .finishTrial('race', t.number, { state: 'complete', values: [i] })
            .then(
              (trial) => ({ won: trial.values?.[0] }),
              (error: unknown) => ({ code: (error as HpoError).code }),
            ),
        ),
      );
      const winners = outcomes.filter((o) => 'won' in o);
      expect(winners).toHaveLength(1);
      expect(outcomes.filter((o) => 'code' in o && o.code === 'TRIAL_FINISHED')).toHaveLength(7);
      const stored = await storage.getTrial('race', t.number);
      expect(stored.values).toEqual([(winners[0] as { won: number }).won]);
    });

    it('fails running trials whose heartbeat is older than the grace period', async () => {
      // Only lower bounds on elapsed time are asserted, so a slow machine cannot flip a result.
      await storage.createStudy('hb', ['minimize']);
      const stale = await storage.createTrial('hb', { state: 'running' });
      const silent = await storage.createTrial('hb', { state: 'running' });
      const done = await storage.createTrial('hb', { state: 'running' });
      await storage.recordHeartbeat('hb', stale.number);
      await storage.recordHeartbeat('hb', done.number);
      const beat = (await storage.getTrial('hb', stale.number)).heartbeatAt ?? 0;
      expect(Math.abs(beat - Date.now())).toBeLessThan(60_000);
      await storage.finishTrial('hb', done.number, { state: 'complete', values: [1] });
      await sleep(100);
      expect(await storage.failStaleTrials('hb', 600_000)).toEqual([]);
      const failed = await storage.failStaleTrials('hb', 50);
      expect(failed.map((t) => t.number)).toEqual([stale.number]);
      expect(failed[0]).toMatchObject({
        state: 'fail',
        error: 'heartbeat lost',
        heartbeatAt: beat,
      });
      expect(typeof failed[0]?.datetimeComplete).toBe('string');
      expect(await storage.getTrial('hb', stale.number)).toEqual(failed[0]);
      expect((await storage.getTrial('hb', silent.number)).state).toBe('running');
      expect((await storage.getTrial('hb', done.number)).state).toBe('complete');
      // Fractional grace periods work too (a bigint column must not choke on them).
      expect(await storage.failStaleTrials('hb', 50.5)).toEqual([]);
      await expectCode(storage.failStaleTrials('hb', -1), 'INVALID_ARGUMENT');
      // A later heartbeat moves the timestamp forward.
      const beating = await storage.createTrial('hb', { state: 'running' });
      await storage.recordHeartbeat('hb', beating.number);
      const first = (await storage.getTrial('hb', beating.number)).heartbeatAt ?? 0;
      await sleep(5);
      await storage.recordHeartbeat('hb', beating.number);
      expect((await storage.getTrial('hb', beating.number)).heartbeatAt).toBeGreaterThan(first);
    });

    it('lets a finish and a stale-trial sweep race with exactly one winner', async () => {
      await storage.createStudy('sweep', ['minimize']);
      const trials = [];
      for (let i = 0; i < 6; i++) {
        const t = await storage.createTrial('sweep', { state: 'running' });
        await storage.recordHeartbeat('sweep', t.number);
        trials.push(t);
      }
      await sleep(30);
      const cs = await clientsOf(3);
      const [finishes, swept] = await Promise.all([
        Promise.all(
          trials.map((t, i) =>
            (cs[i % cs.length] as StudyStorage)
              .finishTrial('sweep', t.number, { state: 'complete', values: [i] })
              .then(
                () => 'finished' as const,
                (error: HpoError) => error.code,
              ),
          ),
        ),
        (cs[cs.length - 1] as StudyStorage).failStaleTrials('sweep', 10),
      ]);
      const sweptNumbers = new Set(swept.map((t) => t.number));
      const stored = await storage.getAllTrials('sweep');
      for (const [i, t] of trials.entries()) {
        const outcome = finishes[i];
        if (sweptNumbers.has(t.number)) {
          expect(outcome).toBe('TRIAL_FINISHED');
          expect(stored[i]).toMatchObject({ state: 'fail', error: 'heartbeat lost' });
        } else {
          expect(outcome).toBe('finished');
          expect(stored[i]).toMatchObject({ state: 'complete', values: [i] });
        }
      }
    });

    it('filters getAllTrials by state, in number order', async () => {
      await storage.createStudy('f', ['minimize']);
      const plan = ['complete', 'waiting', 'pruned', 'running', 'fail', 'complete'] as const;
      for (const state of plan) {
        const t = await storage.createTrial('f', {
          state: state === 'waiting' ? 'waiting' : 'running',
        });
        if (state === 'complete' || state === 'pruned' || state === 'fail') {
          await storage.finishTrial('f', t.number, {
            state,
            ...(state === 'fail' ? {} : { values: [t.number] }),
          });
        }
      }
      const numbers = async (states?: Parameters<StudyStorage['getAllTrials']>[1]) =>
        (await storage.getAllTrials('f', states)).map((t) => t.number);
      expect(await numbers()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(await numbers(['complete'])).toEqual([0, 5]);
      expect(await numbers(['fail', 'waiting'])).toEqual([1, 4]);
      expect(await numbers(['running', 'pruned'])).toEqual([2, 3]);
      expect(await numbers([])).toEqual([]);
      await expectCode(storage.getAllTrials('f', ['done' as 'complete']), 'INVALID_ARGUMENT');
    });

    it('round-trips every field of a trial through JSON unchanged', async () => {
      await storage.createStudy('json', ['minimize', 'maximize']);
      const t = await storage.createTrial('json', {
        state: 'waiting',
        params: { fixed: 'x' },
        distributions: { fixed: { type: 'categorical', choices: ['x', 'y'] } },
        userAttrs: { note: 'enqueued', deep: { a: [[], {}, [null]] } },
        systemAttrs: { fixed_params: { fixed: 'x' }, retried_from: 7 },
      });
      const running = await storage.popWaitingTrial('json');
      expect(running?.number).toBe(t.number);
      await storage.setTrialParam('json', t.number, 'lr', Math.PI / 1e7, logFloat);
      await storage.setTrialParam('json', t.number, 'layers', 7, int);
      await storage.setTrialParam('json', t.number, 'flag', true, {
        type: 'categorical',
        choices: [true, false],
      });
      await storage.setTrialParam('json', t.number, 'none', null, cat);
      await storage.setTrialParam('json', t.number, 'q', 0.75, { ...float, step: 0.25 });
      await storage.setTrialIntermediateValue('json', t.number, 0, 0.1 + 0.2);
      await storage.setTrialIntermediateValue('json', t.number, 2, -1e-310);
      await storage.setTrialUserAttr('json', t.number, 'text', 'line\nbreak "quoted" ü😀');
      await storage.setTrialSystemAttr('json', t.number, 'big', Number.MAX_VALUE);
      await storage.recordHeartbeat('json', t.number);
      const done = await storage.finishTrial('json', t.number, {
        state: 'complete',
        values: [Number.MIN_VALUE, -123456.789],
        constraints: [0, -2.5],
      });
      const expected: FrozenTrial = {
        number: t.number,
        state: 'complete',
        values: [Number.MIN_VALUE, -123456.789],
        params: {
          fixed: 'x',
          lr: Math.PI / 1e7,
          layers: 7,
          flag: true,
          none: null,
          q: 0.75,
        },
        distributions: {
          fixed: { type: 'categorical', choices: ['x', 'y'] },
          lr: logFloat,
          layers: int,
          flag: { type: 'categorical', choices: [true, false] },
          none: cat,
          q: { ...float, step: 0.25 },
        },
        intermediateValues: { '0': 0.30000000000000004, '2': -1e-310 },
        userAttrs: {
          note: 'enqueued',
          deep: { a: [[], {}, [null]] },
          text: 'line\nbreak "quoted" ü😀',
        },
        systemAttrs: { fixed_params: { fixed: 'x' }, retried_from: 7, big: Number.MAX_VALUE },
        constraints: [0, -2.5],
        datetimeStart: running?.datetimeStart as string,
        datetimeComplete: done.datetimeComplete as string,
        heartbeatAt: done.heartbeatAt as number,
      };
      expect(typeof expected.datetimeComplete).toBe('string');
      expect(typeof expected.heartbeatAt).toBe('number');
      expect(done).toEqual(expected);
      const stored = await storage.getTrial('json', t.number);
      expect(stored).toEqual(expected);
      expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
      // No `undefined`-valued keys sneak in: they would vanish in a JSON round trip.
      expect(Object.keys(stored).sort()).toEqual(Object.keys(expected).sort());
      const [other] = await clientsOf(2).then((cs) => cs.slice(1));
      if (other) expect(await other.getAllTrials('json')).toEqual([expected]);
    });

    it('hands out copies: mutating a returned trial changes nothing stored', async () => {
      await storage.createStudy('copy', ['minimize']);
      const template = { state: 'running' as const, userAttrs: { list: [1] } };
      const t = await storage.createTrial('copy', template);
      template.userAttrs.list.push(2);
      t.params.x = 1;
      (t.userAttrs.list as number[]).push(3);
      const info = await storage.getStudy('copy');
      info?.directions.push('maximize');
      expect(await storage.getTrial('copy', t.number)).toMatchObject({
        params: {},
        userAttrs: { list: [1] },
      });
      expect((await storage.getStudy('copy'))?.directions).toEqual(['minimize']);
    });
  });
}
