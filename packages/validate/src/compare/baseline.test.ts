// compareToBaseline / compareCorpusToBaseline against SciPy 1.10 values (fixtures/compare.py)
// and the bootstrap reference of src/stats/fixtures, plus hand-computed degraded samples.
import { describe, expect, it } from 'vitest';
import {
  bootstrap,
  compareCorpusToBaseline,
  compareToBaseline,
  createMeanDifference,
  createSufficientStatisticsMetric,
  findDegradedSamples,
  permutationTest,
} from '../index.js';
import statsFixtures from '../stats/fixtures/stats.json' with { type: 'json' };
import fixtures from './fixtures/compare.json' with { type: 'json' };

const close = (actual: number, expected: number, tol = 1e-6) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));

describe('compareToBaseline', () => {
  it.each(fixtures.cases.map((c, i) => [i, c] as const))(
    'paired-t and wilcoxon match SciPy, case %i',
    (_, c) => {
      const t = compareToBaseline({
        baseline: c.baseline,
        candidate: c.candidate,
        metric: 'acc',
        alpha: c.alpha,
      });
      close(t.delta, c.delta, 1e-12);
      close(t.pValue, c.tP);
      close(t.ci.low, c.ci[0] as number);
      close(t.ci.high, c.ci[1] as number);
      expect(t.ci).toMatchObject({ level: 1 - c.alpha, method: 't' });
      close(t.effectSize, c.effectSize, 1e-9);
      const expected =
        c.tP < c.alpha ? (c.delta > 0 ? 'better' : 'worse') : 'no_significant_difference';
      expect(t.verdict).toBe(expected);
      const w = compareToBaseline({
        baseline: c.baseline,
        candidate: c.candidate,
        metric: 'acc',
        alpha: c.alpha,
        test: 'wilcoxon',
      });
      expect(w.test).toBe('wilcoxon');
      close(w.pValue, c.wilcoxonP);
    },
  );

  it('flips the verdict for lower-is-better metrics and lists degraded samples worst first', () => {
    // Binary-exact values, so the hand-computed deltas carry no rounding.
    const baseline = [0.25, 0.5, 0.25, 0.5, 0.75, 0.5, 0.25, 0.5];
    const deltas = [0.125, 0.25, 0.5, 0.0625, 0.125, -0.0625, 0.375, 0.0625];
    const candidate = baseline.map((b, i) => b + (deltas[i] as number));
    const res = compareToBaseline({
      baseline,
      candidate,
      metric: 'wer',
      higherIsBetter: false,
      degradationThreshold: 0.1,
      ids: ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'],
    });
    expect(res.pValue).toBeLessThan(0.05);
    expect(res.verdict).toBe('worse');
    // WER increases above 0.1, largest first (ties in input order): c, g, b, then a and e at +0.125.
    expect(res.degraded.map((d) => d.id)).toEqual(['c', 'g', 'b', 'a', 'e']);
    expect(res.degraded[0]).toEqual({
      index: 2,
      id: 'c',
      baseline: 0.25,
      candidate: 0.75,
      delta: 0.5,
    });
    const better = compareToBaseline({
      baseline,
      candidate,
      metric: 'acc',
      degradationThreshold: 0.05,
    });
    expect(better.verdict).toBe('better');
    expect(better.degraded).toEqual([
      { index: 5, baseline: 0.5, candidate: 0.4375, delta: -0.0625 },
    ]);
  });

  it('bootstrap and permutation variants reuse the seeded bootstrap and permutation test', () => {
    const c = fixtures.cases[0] as (typeof fixtures.cases)[0];
    const boot = compareToBaseline({
      baseline: c.baseline,
      candidate: c.candidate,
      metric: 'acc',
      test: 'bootstrap',
      resamples: 999,
      seed: 5,
    });
    const direct = bootstrap(createMeanDifference(c.baseline, c.candidate), {
      resamples: 999,
      seed: 5,
      level: 0.95,
    });
    expect(boot.ci).toEqual(direct.ci);
    expect(boot.pValue).toBe(direct.pValue);
    expect(boot).toMatchObject({ test: 'paired-bootstrap', verdict: 'better' });
    // CI brackets the mean difference and the t interval agrees within Monte Carlo error.
    expect(boot.ci.low).toBeLessThan(c.delta);
    expect(Math.abs(boot.ci.low - (c.ci[0] as number))).toBeLessThan(0.006);
    const perm = compareToBaseline({
      baseline: c.baseline,
      candidate: c.candidate,
      metric: 'acc',
      test: 'permutation',
      ciMethod: 'percentile',
      resamples: 999,
    });
    expect(perm.pValue).toBe(
      permutationTest(createMeanDifference(c.baseline, c.candidate), { resamples: 999 }).pValue,
    );
    expect(perm.ci.method).toBe('percentile');
  });

  it('reports identical systems as no difference', () => {
    const same = [0.5, 0.6, 0.7];
    for (const test of ['paired-t', 'wilcoxon', 'bootstrap', 'permutation'] as const) {
      const res = compareToBaseline({
        baseline: same,
        candidate: same,
        metric: 'acc',
        test,
        resamples: 99,
      });
      expect(res).toMatchObject({
        delta: 0,
        pValue: 1,
        verdict: 'no_significant_difference',
        effectSize: 0,
      });
      expect([res.ci.low, res.ci.high]).toEqual([0, 0]);
    }
  });

  it('rejects bad input', () => {
    const ok = { baseline: [1, 2, 3], candidate: [1, 2, 4], metric: 'acc' };
    expect(() => compareToBaseline({ ...ok, candidate: [1, 2] })).toThrow(
      expect.objectContaining({ code: 'LENGTH_MISMATCH' }),
    );
    expect(() => compareToBaseline({ ...ok, baseline: [] })).toThrow(
      expect.objectContaining({ code: 'EMPTY_INPUT' }),
    );
    expect(() => compareToBaseline({ ...ok, candidate: [1, Number.NaN, 2] })).toThrow(
      expect.objectContaining({ code: 'NOT_FINITE', field: 'candidate[1]' }),
    );
    expect(() => compareToBaseline({ ...ok, alpha: 0 })).toThrow(
      expect.objectContaining({ field: 'alpha' }),
    );
    expect(() => compareToBaseline({ ...ok, test: 'z' as 'paired-t' })).toThrow(
      expect.objectContaining({ field: 'test' }),
    );
    expect(() => compareToBaseline({ ...ok, ids: ['a'] })).toThrow(
      expect.objectContaining({ field: 'ids' }),
    );
    expect(() => findDegradedSamples([1], [0], { threshold: -1 })).toThrow(
      expect.objectContaining({ field: 'degradationThreshold' }),
    );
  });
});

describe('compareCorpusToBaseline', () => {
  interface CorpusCase {
    baseline: number[][];
    candidate: number[][];
    resamples: number;
    seed: number;
    estimate: number;
    bca: [number, number];
    pValue: number;
  }
  const c = statsFixtures.bootstrap[1] as unknown as CorpusCase;
  const corpus = createSufficientStatisticsMetric({
    baseline: c.baseline,
    candidate: c.candidate,
    finalize: (t) => (t[0] as number) / ((t[0] as number) + (t[1] as number)),
  });

  it('matches the NumPy reference of a micro-precision bootstrap', () => {
    const res = compareCorpusToBaseline({
      corpus,
      metric: 'precision',
      resamples: c.resamples,
      seed: c.seed,
    });
    const sum = (rows: number[][], j: number) => rows.reduce((s, r) => s + (r[j] as number), 0);
    close(res.baseline, sum(c.baseline, 0) / (sum(c.baseline, 0) + sum(c.baseline, 1)), 1e-12);
    close(res.delta, c.estimate, 1e-12);
    close(res.ci.low, c.bca[0], 1e-9);
    close(res.ci.high, c.bca[1], 1e-9);
    close(res.pValue, c.pValue, 1e-12);
    expect(res).toMatchObject({ test: 'paired-bootstrap', n: 30, degraded: [] });
    expect(res.verdict).toBe(
      c.pValue < 0.05 ? (c.estimate > 0 ? 'better' : 'worse') : 'no_significant_difference',
    );
  });

  it('accepts a plain callback over resampled indices with the same result', () => {
    const rows = { baseline: c.baseline, candidate: c.candidate };
    const callback = {
      n: 30,
      score: (system: 'baseline' | 'candidate', indices: Uint32Array) => {
        let tp = 0;
        let fp = 0;
        for (const i of indices) {
          const row = rows[system][i] as number[];
          tp += row[0] as number;
          fp += row[1] as number;
        }
        return tp / (tp + fp);
      },
    };
    const fromCallback = compareCorpusToBaseline({
      corpus: callback,
      metric: 'precision',
      resamples: c.resamples,
      seed: c.seed,
    });
    close(fromCallback.ci.low, c.bca[0], 1e-9);
    close(fromCallback.ci.high, c.bca[1], 1e-9);
    close(fromCallback.pValue, c.pValue, 1e-12);
  });

  it('supports the permutation test and per-sample degraded lists', () => {
    const res = compareCorpusToBaseline({
      corpus,
      metric: 'precision',
      test: 'permutation',
      resamples: 499,
      sampleScores: {
        baseline: Array.from({ length: 30 }, (_, i) => (i === 4 ? 1 : 0.5)),
        candidate: Array.from({ length: 30 }, () => 0.5),
      },
    });
    expect(res.test).toBe('paired-permutation');
    expect(res.degraded).toEqual([{ index: 4, baseline: 1, candidate: 0.5, delta: -0.5 }]);
    expect(res.pValue).toBeGreaterThan(0);
    expect(res.pValue).toBeLessThanOrEqual(1);
    expect(() =>
      compareCorpusToBaseline({
        corpus: { n: 3, score: () => 1 },
        metric: 'bleu',
        test: 'permutation',
      }),
    ).toThrow(expect.objectContaining({ field: 'corpus.scoreSwapped' }));
  });
});
