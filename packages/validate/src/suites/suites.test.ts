// Regression suites: the file store's layout and errors, per-kind gates on hand-built model
// versions (paired-t p-values checked against scipy in fixtures/paired-t.json), history and trends.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFileSuiteStore,
  DEFAULT_THRESHOLDS,
  leastSquaresSlope,
  renderReport,
  resolveThresholds,
  runSuite,
  type SuiteRunResult,
  type SuiteStore,
  suiteReportInput,
  suiteTrends,
  type TestExample,
  ValidateError,
} from '../index.js';
import reference from './fixtures/paired-t.json' with { type: 'json' };

type Input = { q: string };
const examples = (prefix: string, n: number): TestExample<Input, string>[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `${prefix}${i + 1}`,
    input: { q: `${prefix}${i + 1}` },
    expected: 'yes',
  }));

/** A "model version" answers every query right except the listed ones. */
const model = (wrong: string[]) => async (inputs: Input[]) =>
  inputs.map((input) => (wrong.includes(input.q) ? 'no' : 'yes'));
const exact = (output: string, expected: string) => (output === expected ? 1 : 0);

let clock = 0;
const now = () => new Date(Date.UTC(2026, 0, 1, 0, 0, clock++));

const dirs: string[] = [];
async function freshStore(): Promise<{ store: SuiteStore; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'ft-suites-'));
  dirs.push(dir);
  return { store: createFileSuiteStore({ dir, now }), dir };
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function expectError(
  promise: Promise<unknown>,
  code: string,
  match: RegExp,
): Promise<ValidateError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidateError);
  expect((error as ValidateError).code).toBe(code);
  expect((error as ValidateError).message).toMatch(match);
  return error as ValidateError;
}

describe('thresholds', () => {
  it('has the per-kind defaults and applies overrides, null switching a check off', () => {
    expect(DEFAULT_THRESHOLDS.critical).toMatchObject({ maxAggregateDrop: 0, maxDegradedShare: 0 });
    expect(DEFAULT_THRESHOLDS.benchmark).toMatchObject({
      maxAggregateDrop: 0.01,
      requireSignificance: true,
    });
    expect(DEFAULT_THRESHOLDS['edge-case']).toMatchObject({
      maxAggregateDrop: null,
      maxDegradedShare: 0.1,
    });
    expect(resolveThresholds('benchmark', { maxAggregateDrop: null, alpha: 0.01 })).toEqual({
      maxAggregateDrop: null,
      maxDegradedShare: null,
      sampleTolerance: 0,
      requireSignificance: true,
      alpha: 0.01,
      test: 'paired-t',
    });
  });
});

describe('file suite store', () => {
  it('stores sets as JSONL with a manifest and replaces a set registered again', async () => {
    const { store, dir } = await freshStore();
    const info = await store.registerTestSet('intents', {
      name: 'safety',
      kind: 'critical',
      examples: examples('s', 3),
      description: 'must never regress',
    });
    expect(info).toMatchObject({ name: 'safety', kind: 'critical', count: 3, thresholds: {} });
    const text = await readFile(join(dir, 'intents', 'sets', 'safety.jsonl'), 'utf8');
    expect(text.split('\n')).toEqual([
      '{"id":"s1","input":{"q":"s1"},"expected":"yes"}',
      '{"id":"s2","input":{"q":"s2"},"expected":"yes"}',
      '{"id":"s3","input":{"q":"s3"},"expected":"yes"}',
      '',
    ]);
    expect(info.sha256).toMatch(/^[0-9a-f]{64}$/);
    await store.registerTestSet('intents', {
      name: 'edge',
      kind: 'edge-case',
      examples: examples('e', 2),
    });
    await store.registerTestSet('intents', {
      name: 'safety',
      kind: 'critical',
      examples: examples('s', 2),
      thresholds: { sampleTolerance: 0.5 },
    });
    const sets = await store.listTestSets('intents');
    expect(sets.map((s) => [s.name, s.count, s.thresholds])).toEqual([
      ['safety', 2, { sampleTolerance: 0.5 }],
      ['edge', 2, {}],
    ]);
    expect(await store.loadExamples('intents', 'safety')).toEqual(examples('s', 2));
    expect(await store.listSuites()).toEqual(['intents']);
    expect((await readdir(join(dir, 'intents'))).sort()).toEqual(['sets', 'sets.jsonl']);
  });

  it('rejects bad definitions, naming the field', async () => {
    const { store } = await freshStore();
    const reg = (set: unknown, suite = 'ok') => store.registerTestSet(suite, set as never);
    await expectError(
      reg({ name: 'a', kind: 'critical', examples: [] }),
      'EMPTY_INPUT',
      /set\.examples/,
    );
    await expectError(
      reg({ name: '../x', kind: 'critical', examples: examples('a', 1) }),
      'INVALID_ARGUMENT',
      /set\.name/,
    );
    await expectError(
      reg({ name: 'a', kind: 'critical', examples: examples('a', 1) }, 'a/b'),
      'INVALID_ARGUMENT',
      /suite/,
    );
    await expectError(
      reg({ name: 'a', kind: 'smoke', examples: examples('a', 1) }),
      'INVALID_ARGUMENT',
      /set\.kind.*benchmark, critical, edge-case/,
    );
    await expectError(
      reg({
        name: 'a',
        kind: 'critical',
        examples: [...examples('a', 2), { id: 'a1', input: 1, expected: 1 }],
      }),
      'INVALID_ARGUMENT',
      /set\.examples\[2\]\.id: duplicate id "a1"/,
    );
    await expectError(
      reg({
        name: 'a',
        kind: 'critical',
        examples: [{ id: 'x', input: { v: Number.NaN }, expected: 1 }],
      }),
      'INVALID_ARGUMENT',
      /set\.examples\[0\]\.input: must be a JSON value: it\.v is NaN/,
    );
    await expectError(
      reg({ name: 'a', kind: 'critical', examples: [{ id: 'x', expected: 1 }] }),
      'INVALID_ARGUMENT',
      /set\.examples\[0\]\.input/,
    );
    await expectError(
      reg({
        name: 'a',
        kind: 'edge-case',
        examples: examples('a', 1),
        thresholds: { maxDegradedShare: 2 },
      }),
      'INVALID_CONFIG',
      /set\.thresholds\.maxDegradedShare/,
    );
    await expectError(store.listTestSets('ok'), 'NOT_FOUND', /no test sets/);
  });

  it('names the file and line of malformed stored files', async () => {
    const { store, dir } = await freshStore();
    await store.registerTestSet('s', { name: 'a', kind: 'critical', examples: examples('a', 3) });
    const setFile = join(dir, 's', 'sets', 'a.jsonl');
    const lines = (await readFile(setFile, 'utf8')).split('\n');
    await writeFile(setFile, [lines[0], '{"id":"a2","input":1', lines[2], ''].join('\n'));
    const e1 = await expectError(
      store.loadExamples('s', 'a'),
      'INVALID_CONFIG',
      /a\.jsonl line 2: not valid JSON/,
    );
    expect(e1.path).toBe(setFile);
    expect(e1.message).toContain(setFile);

    await writeFile(setFile, [lines[0], '{"id":"a2","input":1}', lines[2], ''].join('\n'));
    await expectError(
      store.loadExamples('s', 'a'),
      'INVALID_CONFIG',
      /a\.jsonl line 2: not a valid test example entry \(field expected: expected is missing\)/,
    );

    const history = join(dir, 's', 'history.jsonl');
    await writeFile(setFile, lines.join('\n'));
    await runSuite(store, 's', { modelVersion: 'v1', predict: model([]), score: exact, now });
    await writeFile(history, `${await readFile(history, 'utf8')}{"run":2,"suite":"s"}\n`);
    const e3 = await expectError(
      store.readHistory('s'),
      'INVALID_CONFIG',
      /history\.jsonl line 2: not a valid run history entry \(field modelVersion/,
    );
    expect(e3.path).toBe(history);

    await runSuite(store, 's', {
      modelVersion: 'v/1',
      predict: model([]),
      score: exact,
      saveBaseline: true,
      record: false,
      now,
    });
    expect(await store.listBaselines('s')).toEqual(['v/1']);
    const baselineFile = join(dir, 's', 'baselines', 'v%2F1.jsonl');
    const baselineLines = (await readFile(baselineFile, 'utf8')).split('\n');
    expect(baselineLines[1]).toBe('{"set":"a","id":"a1","scores":{"score":1}}');
    baselineLines[3] = '{"set":"a","id":"a3","scores":{"score":"high"}}';
    await writeFile(baselineFile, baselineLines.join('\n'));
    await expectError(
      store.loadBaseline('s', 'v/1'),
      'INVALID_CONFIG',
      /v%2F1\.jsonl line 4: not a valid baseline sample entry \(field scores\.score/,
    );
    await expectError(
      store.loadBaseline('s', 'v9'),
      'NOT_FOUND',
      /no baseline for model version "v9"/,
    );
  });

  it('numbers concurrent appends uniquely under the lock', async () => {
    const { store, dir } = await freshStore();
    const record = (i: number) => ({
      suite: 'c',
      modelVersion: `m${i}`,
      baselineVersion: null,
      startedAt: 't',
      finishedAt: 't',
      passed: true,
      sets: [],
    });
    const appended = await Promise.all(
      Array.from({ length: 8 }, (_, i) => store.appendRun(record(i))),
    );
    expect(appended.map((r) => r.run).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const history = await store.readHistory('c');
    expect(history.map((r) => r.run)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(history.map((r) => r.modelVersion)).size).toBe(8);
    expect((await readdir(join(dir, 'c'))).filter((f) => f.includes('lock'))).toEqual([]);
  });
  it('numbers appends from several processes uniquely', async () => {
    const { store, dir } = await freshStore();
    const child = fileURLToPath(new URL('./fixtures/append-runs.ts', import.meta.url));
    await Promise.all(
      ['a', 'b', 'c'].map((tag) =>
        promisify(execFile)(process.execPath, ['--import', 'tsx', child, dir, tag, '5']),
      ),
    );
    const history = await store.readHistory('c');
    expect(history.map((r) => r.run)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
    for (const tag of ['a', 'b', 'c']) {
      // Each process's own appends stay in its order.
      expect(
        history.filter((r) => r.modelVersion.startsWith(tag)).map((r) => r.modelVersion),
      ).toEqual([0, 1, 2, 3, 4].map((i) => `${tag}-${i}`));
    }
  });
});

describe('runSuite', () => {
  let store: SuiteStore;
  let v1: SuiteRunResult;
  let v2: SuiteRunResult;
  let v3: SuiteRunResult;
  const set = (r: SuiteRunResult, name: string) => r.sets.find((s) => s.set === name)!;

  beforeAll(async () => {
    ({ store } = await freshStore());
    await store.registerTestSet('intents', {
      name: 'safety',
      kind: 'critical',
      examples: examples('s', 4),
    });
    await store.registerTestSet('intents', {
      name: 'bench',
      kind: 'benchmark',
      examples: examples('b', 20),
    });
    await store.registerTestSet('intents', {
      name: 'edge',
      kind: 'edge-case',
      examples: examples('e', 10),
    });
    const run = (modelVersion: string, wrong: string[], extra = {}) =>
      runSuite(store, 'intents', {
        modelVersion,
        predict: model(wrong),
        score: exact,
        batchSize: 7,
        now,
        ...extra,
      });
    v1 = await run('v1', ['s4', 'e10'], { saveBaseline: true });
    // v2: fixes s4 and e10, breaks b1 and e1.
    v2 = await run('v2', ['b1', 'e1'], { baselineVersion: 'v1' });
    // v3: swaps s4 for s2, breaks b1–b8, e1 and e2.
    v3 = await run(
      'v3',
      ['s2', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8', 'e1', 'e2', 'e10'],
      {
        baselineVersion: 'v1',
      },
    );
  });

  it('records scores without comparing when there is no baseline, and saves the baseline', async () => {
    expect(v1.passed).toBe(true);
    expect(v1.run).toBe(1);
    expect(v1.sets.map((s) => [s.set, s.status, s.aggregate.score])).toEqual([
      ['safety', 'no-baseline', 0.75],
      ['bench', 'no-baseline', 1],
      ['edge', 'no-baseline', 0.9],
    ]);
    const baseline = await store.loadBaseline('intents', 'v1');
    expect(baseline.sets.safety?.scores).toEqual({
      s1: { score: 1 },
      s2: { score: 1 },
      s3: { score: 1 },
      s4: { score: 0 },
    });
    expect(baseline.sets.edge?.aggregate).toEqual({ score: 0.9 });
    expect(baseline.sets.bench?.higherIsBetter).toEqual({ score: true });
  });

  it('passes a critical set that only improved', () => {
    const safety = set(v2, 'safety');
    expect(safety.status).toBe('pass');
    expect(safety.degraded).toEqual([]);
    expect(safety.gate.rules.find((r) => r.id === 'score.drop<=0')?.actual).toBeCloseTo(-0.25, 12);
  });

  it('tolerates a benchmark drop beyond 0.01 that is not significant (scipy p = 0.33)', () => {
    const bench = set(v2, 'bench');
    const c = bench.comparisons[0]!;
    const ref = reference.drop1of20;
    expect(c.delta).toBeCloseTo(ref.delta, 12);
    expect(c.pValue).toBeCloseTo(ref.pValue, 10);
    expect(c.ci.low).toBeCloseTo(ref.ciLow, 10);
    expect(c.ci.high).toBeCloseTo(ref.ciHigh, 10);
    expect(bench.status).toBe('pass');
    expect(bench.gate.rules.find((r) => r.id === 'score.drop<=0.01')?.reason).toMatch(
      /drop 0\.0500 > allowed 0\.0100; not significant \(paired-t p = 0\.3299 ≥ 0\.05\), so tolerated/,
    );
  });

  it('passes an edge-case set at exactly the allowed degraded share', () => {
    const edge = set(v2, 'edge');
    expect(edge.degraded.map((d) => d.id)).toEqual(['e1']);
    expect(edge.degradedShare).toBe(0.1);
    expect(edge.status).toBe('pass');
    expect(v2.passed).toBe(true);
  });

  it('fails a critical set on one degraded sample even when the mean is unchanged', () => {
    const safety = set(v3, 'safety');
    expect(safety.aggregate.score).toBe(0.75);
    expect(safety.status).toBe('fail');
    expect(safety.gate.rules.map((r) => [r.id, r.passed])).toEqual([
      ['coverage', true],
      ['score.drop<=0', true],
      ['degraded<=0', false],
    ]);
    expect(safety.reasons).toEqual([
      'safety [critical] degraded<=0: 1 of 4 samples got worse (25%, allowed 0%): s2 (score 1 → 0)',
    ]);
  });

  it('fails a significant benchmark drop (scipy p = 0.0021) and an edge-case share of 0.2', () => {
    const bench = set(v3, 'bench');
    const ref = reference.drop8of20;
    expect(bench.comparisons[0]?.pValue).toBeCloseTo(ref.pValue, 10);
    expect(bench.comparisons[0]?.verdict).toBe('worse');
    expect(bench.status).toBe('fail');
    expect(bench.reasons[0]).toMatch(
      /drop 0\.4000 > allowed 0\.0100; significantly worse \(paired-t p = 0\.0021 < 0\.05\)/,
    );
    const edge = set(v3, 'edge');
    expect(edge.degraded.map((d) => d.id)).toEqual(['e1', 'e2']);
    expect(edge.degradedShare).toBe(0.2);
    expect(edge.status).toBe('fail');
    expect(v3.passed).toBe(false);
  });

  it('keeps an append-only history and computes trends per set', async () => {
    const history = await store.readHistory('intents');
    expect(history.map((r) => [r.run, r.modelVersion, r.baselineVersion, r.passed])).toEqual([
      [1, 'v1', null, true],
      [2, 'v2', 'v1', true],
      [3, 'v3', 'v1', false],
    ]);
    expect(history[2]?.sets.find((s) => s.set === 'edge')).toMatchObject({
      degradedCount: 2,
      failed: ['degraded<=0.1'],
    });
    const trends = suiteTrends(history);
    const bench = trends.find((t) => t.set === 'bench')!;
    // Means 1, 0.95, 0.6 at runs 1, 2, 3: slope = (0.6 − 1) / 2.
    expect(bench.points.map((p) => p.value)).toEqual([1, 0.95, 0.6]);
    expect(bench.slope).toBeCloseTo(-0.2, 12);
    expect(bench.change).toBeCloseTo(-0.4, 12);
    expect(bench.direction).toBe('declining');
    expect(trends.find((t) => t.set === 'safety')?.direction).toBe('flat');
    expect(suiteTrends(history, { set: 'edge', lastRuns: 2 })).toEqual([
      {
        set: 'edge',
        metric: 'score',
        higherIsBetter: true,
        points: [
          { run: 2, modelVersion: 'v2', value: 0.9 },
          { run: 3, modelVersion: 'v3', value: 0.7 },
        ],
        slope: expect.closeTo(-0.2, 12),
        change: expect.closeTo(-0.2, 12),
        direction: 'declining',
      },
    ]);
  });

  it('turns a run into a report', async () => {
    const input = suiteReportInput(v3, { history: await store.readHistory('intents') });
    expect(input.gates?.passed).toBe(false);
    expect(input.metrics).toEqual({ 'safety/score': 0.75, 'bench/score': 0.6, 'edge/score': 0.7 });
    expect(input.history?.map((p) => p.run)).toEqual(['#1 v1', '#2 v2', '#3 v3']);
    const md = await renderReport(input);
    expect(md).toContain('| degraded&lt;=0 (safety \\[critical\\]) | **FAIL** | 0.2500 | 0 |');
    expect(md).toContain('| bench/score | 1 | 0.6000 | -0.4000 |');
  });

  it('reports bad predict and score results and unknown names', async () => {
    const opts = { modelVersion: 'x', predict: model([]), score: exact, record: false };
    await expectError(
      runSuite(store, 'intents', {
        ...opts,
        predict: async (inputs: Input[]) => inputs.slice(1).map(() => 'yes'),
      }),
      'LENGTH_MISMATCH',
      /predict returned 3 outputs for 4 inputs of set "safety"/,
    );
    await expectError(
      runSuite(store, 'intents', { ...opts, score: () => Number.NaN }),
      'NOT_FINITE',
      /score\(safety\/s1\): metric "score" is NaN/,
    );
    let calls = 0;
    await expectError(
      runSuite(store, 'intents', {
        ...opts,
        score: (): Record<string, number> => (calls++ === 0 ? { a: 1 } : { b: 1 }),
      }),
      'INVALID_ARGUMENT',
      /score\(safety\/s2\): returned metrics \[b\] but earlier samples returned \[a\]/,
    );
    await expectError(
      runSuite(store, 'intents', { ...opts, baselineVersion: 'v0' }),
      'NOT_FOUND',
      /no baseline for model version "v0"/,
    );
    await expectError(
      runSuite(store, 'intents', { ...opts, sets: ['nope'] }),
      'NOT_FOUND',
      /options\.sets\[0\]: .*has no test set "nope"/,
    );
    await expectError(
      runSuite(store, 'intents', { ...opts, batchSize: 0 }),
      'INVALID_ARGUMENT',
      /options\.batchSize/,
    );
    await expectError(runSuite(store, 'nosuite', opts), 'NOT_FOUND', /no test sets/);
    await expectError(
      runSuite(store, 'intents', { ...opts, sets: [] }),
      'EMPTY_INPUT',
      /options\.sets/,
    );
    await expectError(
      runSuite(store, 'intents', { ...opts, baselineVersion: 'v1', score: () => ({ other: 1 }) }),
      'INVALID_ARGUMENT',
      /returned metrics \[other\] but baseline v1 stored \[score\]/,
    );
  });
});

describe('saving baselines', () => {
  it('merges the sets of one version saved by separate runs', async () => {
    const { store } = await freshStore();
    await store.registerTestSet('m', { name: 'a', kind: 'critical', examples: examples('a', 2) });
    await store.registerTestSet('m', { name: 'b', kind: 'edge-case', examples: examples('b', 2) });
    const run = (sets: string[], wrong: string[]) =>
      runSuite(store, 'm', {
        modelVersion: 'v1',
        predict: model(wrong),
        score: exact,
        sets,
        saveBaseline: true,
        record: false,
        now,
      });
    await run(['a'], []);
    await run(['b'], ['b2']);
    await run(['a'], ['a1']);
    const baseline = await store.loadBaseline('m', 'v1');
    expect(baseline.sets.a?.scores).toEqual({ a1: { score: 0 }, a2: { score: 1 } });
    expect(baseline.sets.b?.scores).toEqual({ b1: { score: 1 }, b2: { score: 0 } });
    expect(baseline.sets.b?.kind).toBe('edge-case');
    expect(await store.readHistory('m')).toEqual([]);
  });
});

describe('runSuite with several metrics', () => {
  it('treats lowerIsBetter metrics as dropping when they rise and compares only ids in the baseline', async () => {
    const { store } = await freshStore();
    const werOf: Record<string, Record<string, number>> = {
      v1: { u1: 0, u2: 0.1, u3: 0.2, u4: 0.1 },
      v2: { u1: 0, u2: 0.1, u3: 0.3, u4: 0.2, u5: 0.5 },
    };
    const register = (n: number) =>
      store.registerTestSet('asr', {
        name: 'calls',
        kind: 'benchmark',
        examples: Array.from({ length: n }, (_, i) => ({
          id: `u${i + 1}`,
          input: `u${i + 1}`,
          expected: '',
        })),
        thresholds: { maxAggregateDrop: 0.04, requireSignificance: false },
      });
    const run = (version: string, extra = {}) =>
      runSuite<string, number, string>(store, 'asr', {
        modelVersion: version,
        predict: (inputs) => inputs.map((u) => werOf[version]?.[u] ?? 1),
        score: (wer) => ({ wer, exact: wer === 0 ? 1 : 0 }),
        lowerIsBetter: ['wer'],
        now,
        ...extra,
      });
    await register(4);
    await run('v1', { saveBaseline: true });
    await register(5);
    const result = await run('v2', { baselineVersion: 'v1' });
    const calls = result.sets[0]!;
    expect(calls.higherIsBetter).toEqual({ wer: false, exact: true });
    expect(calls.n).toBe(5);
    expect(calls.compared).toBe(4);
    expect(calls.gate.rules[0]?.reason).toBe(
      '4 of 5 examples compared; 1 have no baseline score (added after the baseline)',
    );
    const wer = calls.gate.rules.find((r) => r.id === 'wer.drop<=0.04')!;
    expect(wer.passed).toBe(false);
    // Mean WER over u1–u4: 0.1 → 0.15.
    expect(wer.actual).toBeCloseTo(0.05, 12);
    expect(calls.gate.rules.find((r) => r.id === 'exact.drop<=0.04')?.passed).toBe(true);
    expect(calls.degraded.map((d) => [d.metric, d.id, d.delta])).toEqual([
      // Worst first; u3's 0.3 − 0.2 comes out a hair below u4's 0.2 − 0.1 in floating point.
      ['wer', 'u4', expect.closeTo(0.1, 12)],
      ['wer', 'u3', expect.closeTo(0.1, 12)],
    ]);
    expect(calls.comparisons.map((c) => [c.metric, c.higherIsBetter, c.n])).toEqual([
      ['wer', false, 4],
      ['exact', true, 4],
    ]);
    expect(calls.aggregate.wer).toBeCloseTo((0 + 0.1 + 0.3 + 0.2 + 0.5) / 5, 12);
    const [trend] = suiteTrends(await store.readHistory('asr'), { metric: 'wer' });
    expect(trend?.direction).toBe('declining');
  });

  it('computes least-squares slopes like the closed form', () => {
    // y = 2x + 1 exactly, then a hand-computed noisy case: x̄ = 2.5, ȳ = 2.5, Sxy = 4, Sxx = 5.
    expect(leastSquaresSlope([1, 2, 3, 4], [3, 5, 7, 9])).toBeCloseTo(2, 12);
    expect(leastSquaresSlope([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(leastSquaresSlope([5], [1])).toBe(0);
    expect(() => leastSquaresSlope([1, 2, 3], [1, 2])).toThrow(/y: has 2 value\(s\) but x has 3/);
  });
});
