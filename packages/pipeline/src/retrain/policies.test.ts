// Trigger policies, the retrain config file and the state file: validation errors and
// evaluateTriggers on a real feedback store with a fixed clock (expected values worked out by hand).
import { join } from 'node:path';
import { type FeedbackStore, openFeedbackStore } from '@ft/data';
import { createTempDir } from '@ft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createRetrainLoop,
  evaluateTriggers,
  loadRetrainConfig,
  PipelineError,
  parseTriggerPolicies,
  readRetrainState,
  type TriggerState,
  writeRetrainState,
} from '../index.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600_000;
let clock = T0;
let dir: string;
let cleanup: () => Promise<void>;
let store: FeedbackStore;

beforeAll(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-retrain-policies-'));
  store = await openFeedbackStore({ path: join(dir, 'feedback.jsonl'), clock: () => clock });
  // p1..p4 predicted 'pos'; p5 predicted 'pos' and was recorded with its (right) label.
  for (const id of ['p1', 'p2', 'p3', 'p4']) {
    await store.record({ id, input: `text ${id}`, modelVersion: '1', prediction: 'pos' });
  }
  await store.record({
    id: 'p5',
    input: 'text p5',
    modelVersion: '2',
    prediction: 'pos',
    label: 'pos',
  });
  clock = T0 + 60_000;
  await store.correct('p1', 'neg');
  await store.correct('p2', 'pos'); // a confirmation, not an error
  await store.correct('p3', 'neg');
  await store.correct('p4', 'neg');
});
afterAll(async () => {
  await store.close();
  await cleanup();
});

const fresh = (extra: Partial<TriggerState> = {}): TriggerState => ({
  consumedIds: [],
  startedAt: new Date(T0).toISOString(),
  ...extra,
});

describe('evaluateTriggers', () => {
  it('counts new errors and corrections, skipping consumed ones', async () => {
    const policies = parseTriggerPolicies([
      { type: 'min-errors', count: 3 },
      { type: 'min-corrections', count: 4 },
    ]);
    const all = await evaluateTriggers(store, policies, fresh(), { now: clock });
    expect(all).toEqual({
      fire: true,
      reasons: ['min-errors: 3 new errors >= 3', 'min-corrections: 4 new corrections >= 4'],
      newIds: ['p1', 'p2', 'p3', 'p4'],
    });
    const consumed = await evaluateTriggers(store, policies, fresh({ consumedIds: ['p1'] }), {
      now: clock,
    });
    expect(consumed).toEqual({ fire: false, reasons: [], newIds: ['p2', 'p3', 'p4'] });
  });

  it('error rate over the last N corrections and over the last T hours', async () => {
    const policies = parseTriggerPolicies([
      { type: 'error-rate', threshold: 0.9, window: { records: 2 } },
      { type: 'error-rate', threshold: 0.6, window: { hours: 1 }, minLabeled: 5 },
    ]);
    // Last two corrections: p3, p4, both wrong (2/2). Hour window: p1..p5 labeled, 3 errors (3/5).
    const decision = await evaluateTriggers(store, policies, fresh(), { now: clock });
    expect(decision.reasons).toEqual([
      'error-rate: 2/2 = 1 >= 0.9 over the last 2 new corrections',
      'error-rate: 3/5 = 0.6 >= 0.6 over the last 1 h',
    ]);
    // Predictions before the last retrain do not count again.
    const after = await evaluateTriggers(
      store,
      policies,
      fresh({ lastRetrainAt: new Date(T0 + 1000).toISOString() }),
      { now: clock },
    );
    expect(after.reasons).toEqual(['error-rate: 2/2 = 1 >= 0.9 over the last 2 new corrections']);
    // Only model version 2: p5 is right, and it has no corrections.
    const v2 = parseTriggerPolicies([
      { type: 'error-rate', threshold: 0.1, window: { hours: 1 }, modelVersion: '2' },
      { type: 'error-rate', threshold: 0.1, window: { records: 5 }, modelVersion: '2' },
    ]);
    expect((await evaluateTriggers(store, v2, fresh(), { now: clock })).fire).toBe(false);
  });

  it('a later correction re-orders and re-judges a case', async () => {
    clock = T0 + 120_000;
    await store.correct('p1', 'pos');
    // Latest corrections in order: p2 (right), p3, p4 (wrong), p1 (now right).
    const policies = parseTriggerPolicies([
      { type: 'min-errors', count: 3 },
      { type: 'error-rate', threshold: 0.5, window: { records: 3 } },
    ]);
    const decision = await evaluateTriggers(store, policies, fresh(), { now: clock });
    expect(decision.newIds).toEqual(['p2', 'p3', 'p4', 'p1']);
    expect(decision.reasons).toEqual([
      'error-rate: 2/3 = 0.6667 >= 0.5 over the last 3 new corrections',
    ]);
  });

  it('schedules fire every T hours, with new data unless told otherwise', async () => {
    const every2h = parseTriggerPolicies([{ type: 'schedule', everyHours: 2 }]);
    const now = T0 + 3 * HOUR;
    expect((await evaluateTriggers(store, every2h, fresh(), { now })).reasons).toEqual([
      'schedule: 3 h since the loop started >= 2 h',
    ]);
    const consumedAll = fresh({ consumedIds: ['p1', 'p2', 'p3', 'p4'] });
    expect((await evaluateTriggers(store, every2h, consumedAll, { now })).fire).toBe(false);
    const always = parseTriggerPolicies([
      { type: 'schedule', everyHours: 2, requireNewData: false },
    ]);
    expect((await evaluateTriggers(store, always, consumedAll, { now })).fire).toBe(true);
    const recent = fresh({ lastRetrainAt: new Date(T0 + 2 * HOUR).toISOString() });
    expect((await evaluateTriggers(store, always, recent, { now })).fire).toBe(false);
  });
});

describe('parseTriggerPolicies', () => {
  it('names the offending policy field', () => {
    const error = (raw: unknown) => {
      try {
        parseTriggerPolicies(raw);
      } catch (caught) {
        return caught as PipelineError;
      }
      throw new Error('expected an error');
    };
    expect(error([{ type: 'min-errors', count: 0 }])).toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'policies[0].count',
    });
    expect(error([{ type: 'min-errors', count: 1 }, { type: 'weekly' }]).field).toBe(
      'policies[1].type',
    );
    expect(error([{ type: 'error-rate', threshold: 1.5, window: { records: 3 } }]).field).toBe(
      'policies[0].threshold',
    );
    const extra = error([{ type: 'schedule', everyHours: 1, cron: '* * *' }]);
    expect(extra.message).toContain('cron');
    expect(error([])).toBeInstanceOf(PipelineError);
    expect(error('min-errors').field).toBe('policies');
  });

  it('fills defaults', () => {
    expect(
      parseTriggerPolicies([{ type: 'error-rate', threshold: 0.2, window: { hours: 24 } }]),
    ).toEqual([{ type: 'error-rate', threshold: 0.2, window: { hours: 24 }, minLabeled: 1 }]);
  });
});

describe('retrain state file', () => {
  it('starts idle, round-trips, and rejects a damaged file', async () => {
    const home = join(dir, 'home');
    const initial = await readRetrainState(home, new Date(T0));
    expect(initial).toEqual({
      format: 1,
      startedAt: '2026-01-01T00:00:00.000Z',
      consumedIds: [],
      retrains: 0,
      phase: 'idle',
      history: [],
    });
    await writeRetrainState(home, { ...initial, consumedIds: ['a'], phase: 'monitoring' });
    expect(await readRetrainState(home)).toMatchObject({ consumedIds: ['a'], phase: 'monitoring' });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(home, 'retrain', 'state.json'), '{"format": 1, ');
    await expect(readRetrainState(home)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      path: join(home, 'retrain', 'state.json'),
    });
  });
});

describe('loadRetrainConfig', () => {
  it('validates the file and resolves paths against its folder', async () => {
    const { writeFile } = await import('node:fs/promises');
    const file = join(dir, 'retrain-config.yaml');
    await writeFile(
      file,
      `pipeline: retrain.yaml
feedback: feedback.jsonl
trainingData: data/train.jsonl
registry: /srv/registry
model: reviews
target: serving/reviews
replayRatio: 2
autoApprove: true
policies:
  - { type: min-errors, count: 20 }
  - { type: error-rate, threshold: 0.15, window: { hours: 24 }, minLabeled: 50 }
monitor: { minLabeled: 30, maxRelativeIncrease: 0.1 }
`,
    );
    expect(await loadRetrainConfig(file)).toEqual({
      pipeline: join(dir, 'retrain.yaml'),
      feedback: join(dir, 'feedback.jsonl'),
      trainingData: join(dir, 'data/train.jsonl'),
      registry: '/srv/registry',
      model: 'reviews',
      target: join(dir, 'serving/reviews'),
      replayRatio: 2,
      autoApprove: true,
      policies: [
        { type: 'min-errors', count: 20 },
        { type: 'error-rate', threshold: 0.15, window: { hours: 24 }, minLabeled: 50 },
      ],
      monitor: { minLabeled: 30, maxRelativeIncrease: 0.1 },
    });

    const bad = async (text: string) => {
      await writeFile(file, text);
      return (await loadRetrainConfig(file).catch((e: unknown) => e)) as PipelineError;
    };
    const base =
      'pipeline: p.yaml\nfeedback: f\ntrainingData: d\nregistry: r\nmodel: m\ntarget: t\n';
    expect(await bad(`${base}policies: [{ type: min-errors, count: -1 }]\n`)).toMatchObject({
      code: 'INVALID_CONFIG',
      path: file,
      field: 'policies[0].count',
    });
    expect(await bad(`${base}policies: []\n`)).toMatchObject({ field: 'policies' });
    expect(
      await bad(`${base}policies: [{ type: schedule, everyHours: 1 }]\nretries: 3\n`),
    ).toMatchObject({
      field: 'retries',
    });
    expect(await bad('pipeline: [unclosed\n')).toMatchObject({
      code: 'INVALID_CONFIG',
      path: file,
    });
    expect(
      await bad(`${base.replace('model: m\n', '')}policies: [{ type: schedule, everyHours: 1 }]\n`),
    ).toMatchObject({
      field: 'model',
    });
    await expect(loadRetrainConfig(join(dir, 'missing.yaml'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });
});

describe('createRetrainLoop options', () => {
  it('rejects invalid options naming the field', () => {
    const base = {
      home: join(dir, 'loop-home'),
      feedback: store,
      policies: [{ type: 'min-errors' as const, count: 1 }],
      pipeline: 'retrain.yaml',
      trainingData: 'data.jsonl',
      registry: 'registry',
      model: 'reviews',
      target: 'serving',
    };
    const error = (extra: object) => {
      try {
        createRetrainLoop({ ...base, ...extra });
      } catch (caught) {
        return caught as PipelineError;
      }
      throw new Error('expected an error');
    };
    expect(error({ replayRatio: -1 })).toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'replayRatio',
    });
    expect(error({ target: '' })).toMatchObject({ code: 'INVALID_ARGUMENT', field: 'target' });
    expect(error({ monitor: { minLabeled: 50, windowLabeled: 10 } }).field).toBe(
      'monitor.minLabeled',
    );
    expect(error({ monitor: { maxRelativeIncrease: Number.NaN } }).field).toBe('monitor');
    expect(error({ policies: [{ type: 'min-errors', count: 1.5 }] })).toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'policies[0].count',
    });
  });

  it('refuses approve/reject when nothing waits', async () => {
    const loop = createRetrainLoop({
      home: join(dir, 'loop-home'),
      feedback: store,
      policies: [{ type: 'min-errors', count: 100 }],
      pipeline: 'retrain.yaml',
      trainingData: 'data.jsonl',
      registry: 'registry',
      model: 'reviews',
      target: 'serving',
      now: () => clock,
    });
    const tick = await loop.tick();
    expect(tick.action).toBe('none');
    expect(tick.state.phase).toBe('idle');
    await expect(loop.approve()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'phase',
    });
  });
});
