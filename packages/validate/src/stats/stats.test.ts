// Statistics against SciPy 1.10 reference values (fixtures/stats.py → fixtures/stats.json) and
// hand-computed cases.
import { describe, expect, it } from 'vitest';
import {
  type Alternative,
  benjaminiHochberg,
  bootstrap,
  cohensDIndependent,
  cohensDPaired,
  createMeanDifference,
  createMetricDifference,
  createPairedStatistic,
  createSufficientStatisticsMetric,
  holmCorrection,
  mcnemarFromCounts,
  mcnemarTest,
  pairedTTest,
  permutationTest,
  resampleIndices,
  signTest,
  ValidateError,
  wilcoxonSignedRank,
  type ZeroMethod,
} from '../index.js';
import fixtures from './fixtures/stats.json' with { type: 'json' };

const close = (actual: number, expected: number, tol = 1e-6) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));

describe('pairedTTest', () => {
  it.each(fixtures.ttest.map((c, i) => [i, c] as const))(
    'matches scipy.stats.ttest_rel case %i',
    (_, c) => {
      const res = pairedTTest(c.x, c.y, { alternative: c.alternative as Alternative });
      close(res.statistic, c.statistic, 1e-9);
      close(res.pValue, c.pValue, 1e-6);
      expect(res.df).toBe(c.x.length - 1);
    },
  );

  it('hand-computed: differences 1, 2, 3 give t = 2/√(1/3) = 3.4641', () => {
    const res = pairedTTest([2, 4, 6], [1, 2, 3]);
    close(res.statistic, 2 / Math.sqrt(1 / 3), 1e-12);
    expect(res.meanDifference).toBe(2);
  });

  it('treats identical samples as no difference and a constant shift as certain', () => {
    expect(pairedTTest([1, 2, 3], [1, 2, 3])).toMatchObject({ statistic: 0, pValue: 1 });
    expect(pairedTTest([2, 3, 4], [1, 2, 3])).toMatchObject({
      statistic: Number.POSITIVE_INFINITY,
      pValue: 0,
    });
  });

  it('rejects bad input with typed errors', () => {
    expect(() => pairedTTest([1, 2, 3], [1, 2])).toThrow(
      expect.objectContaining({ code: 'LENGTH_MISMATCH' }),
    );
    expect(() => pairedTTest([1], [1])).toThrow(expect.objectContaining({ code: 'EMPTY_INPUT' }));
    expect(() => pairedTTest([1, Number.NaN], [1, 2])).toThrow(
      expect.objectContaining({ code: 'NOT_FINITE', field: 'x[1]' }),
    );
    expect(() => pairedTTest([1, 2], [1, 2], { alternative: 'bigger' as Alternative })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'alternative' }),
    );
  });
});

describe('wilcoxonSignedRank', () => {
  it.each(fixtures.wilcoxon.map((c, i) => [i, c] as const))(
    'matches scipy.stats.wilcoxon case %i',
    (_, c) => {
      const res = wilcoxonSignedRank(c.x, c.y, {
        alternative: c.alternative as Alternative,
        zeroMethod: c.zeroMethod as ZeroMethod,
        correction: c.correction,
        method: c.method as 'auto' | 'approx',
      });
      expect(res.method).toBe(c.used);
      close(res.statistic, c.statistic, 1e-12);
      close(res.pValue, c.pValue, 1e-6);
    },
  );

  it('hand-computed exact case: n = 4 all positive gives one-sided p = 1/16', () => {
    const res = wilcoxonSignedRank([1, 2, 3, 4], [0, 0, 0, 0], { alternative: 'greater' });
    expect(res.method).toBe('exact');
    expect(res.rPlus).toBe(10);
    close(res.pValue, 1 / 16, 1e-15);
  });

  it('falls back to the normal approximation with ties, and refuses all-zero differences', () => {
    expect(wilcoxonSignedRank([1, 2, 3, 4], [0, 1, 2, 2]).method).toBe('approx');
    expect(() => wilcoxonSignedRank([1, 2], [1, 2])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    const big = Array.from({ length: 1001 }, (_, i) => i + 1);
    expect(() => wilcoxonSignedRank(big, new Array(1001).fill(0), { method: 'exact' })).toThrow(
      expect.objectContaining({ field: 'method' }),
    );
    expect(wilcoxonSignedRank(big, new Array(1001).fill(0)).method).toBe('approx');
    expect(() => wilcoxonSignedRank([1, 2], [1, 2], { zeroMethod: 'nope' as ZeroMethod })).toThrow(
      expect.objectContaining({ field: 'zeroMethod' }),
    );
  });
});

describe('McNemar and sign test', () => {
  it.each(fixtures.mcnemar.map((c, i) => [i, c] as const))(
    'matches statsmodels formulas case %i',
    (_, c) => {
      const res = mcnemarFromCounts(c.b, c.c, { exact: c.exact, correction: c.correction });
      close(res.statistic, c.statistic, 1e-12);
      close(res.pValue, c.pValue, 1e-6);
    },
  );

  it('counts discordant pairs from correctness arrays', () => {
    // b = 2 (only baseline right), c = 1 (only candidate right).
    const res = mcnemarTest([1, 1, 0, 1, 0], [0, 0, 1, 1, 0]);
    expect(res).toMatchObject({ b: 2, c: 1, statistic: 1 });
    close(res.pValue, 1, 1e-12);
    expect(() => mcnemarTest([1, 2], [0, 1])).toThrow(
      expect.objectContaining({ field: 'baselineCorrect[1]' }),
    );
    expect(() => mcnemarFromCounts(-1, 2)).toThrow(expect.objectContaining({ field: 'b' }));
  });

  it.each(fixtures.sign.map((c, i) => [i, c] as const))(
    'matches scipy.stats.binomtest case %i',
    (_, c) => {
      close(
        signTest(c.x, c.y, { alternative: c.alternative as Alternative }).pValue,
        c.pValue,
        1e-6,
      );
    },
  );
});

describe("Cohen's d", () => {
  it('matches NumPy', () => {
    const { x, y, z } = fixtures.cohen;
    close(cohensDPaired(x, y), fixtures.cohen.paired, 1e-9);
    close(cohensDIndependent(x, z), fixtures.cohen.independent, 1e-9);
  });

  it('hand-computed: pooled sd of [1,2,3] and [3,4,5] is 1, so d = −2', () => {
    close(cohensDIndependent([1, 2, 3], [3, 4, 5]), -2, 1e-12);
  });
});

describe('multiple-comparison corrections', () => {
  it.each(fixtures.corrections.map((c, i) => [i, c] as const))(
    'matches statsmodels multipletests case %i',
    (_, c) => {
      const holm = holmCorrection(c.p, { alpha: c.alpha });
      const bh = benjaminiHochberg(c.p, { alpha: c.alpha });
      for (const [i, v] of holm.adjusted.entries()) close(v, c.holm[i] as number, 1e-12);
      for (const [i, v] of bh.adjusted.entries()) close(v, c.bh[i] as number, 1e-12);
      expect(holm.reject).toEqual(c.holmReject);
      expect(bh.reject).toEqual(c.bhReject);
    },
  );

  it('rejects p-values outside [0, 1]', () => {
    expect(() => holmCorrection([0.1, 1.2])).toThrow(
      expect.objectContaining({ field: 'pValues[1]' }),
    );
    expect(() => benjaminiHochberg([])).toThrow(expect.objectContaining({ code: 'EMPTY_INPUT' }));
  });
});

interface BootCase {
  resamples: number;
  seed: number;
  level: number;
  percentile: [number, number];
  bca: [number, number];
  bias: number;
  acceleration: number;
}
interface MeanCase extends BootCase {
  baseline: number[];
  candidate: number[];
  standardError: number;
  firstIndices: number[];
  medianPercentile: [number, number];
}
interface CorpusCase extends BootCase {
  baseline: number[][];
  candidate: number[][];
  estimate: number;
  pValue: number;
  pLess: number;
  pGreater: number;
}

describe('paired bootstrap', () => {
  const mean = fixtures.bootstrap[0] as unknown as MeanCase;
  const corpus = fixtures.bootstrap[1] as unknown as CorpusCase;

  it('draws the same resample indices as the NumPy port of sfc32', () => {
    expect(Array.from(resampleIndices(30, 1, mean.seed).subarray(0, 10))).toEqual(
      mean.firstIndices,
    );
  });

  it('percentile and BCa intervals of a mean match NumPy over the same resamples', () => {
    const stat = createMeanDifference(mean.baseline, mean.candidate);
    const options = { resamples: mean.resamples, seed: mean.seed, level: mean.level };
    const pct = bootstrap(stat, { ...options, method: 'percentile' });
    close(pct.ci.low, mean.percentile[0], 1e-9);
    close(pct.ci.high, mean.percentile[1], 1e-9);
    close(pct.standardError, mean.standardError, 1e-9);
    const bca = bootstrap(stat, { ...options, method: 'bca' });
    close(bca.bias as number, mean.bias, 1e-9);
    close(bca.acceleration as number, mean.acceleration, 1e-9);
    close(bca.ci.low, mean.bca[0], 1e-9);
    close(bca.ci.high, mean.bca[1], 1e-9);
    // The generic index path (no meanOf shortcut) must give the very same interval.
    const generic = bootstrap(
      { n: stat.n, resample: stat.resample },
      { ...options, method: 'bca' },
    );
    close(generic.ci.low, bca.ci.low, 1e-12);
    close(generic.ci.high, bca.ci.high, 1e-12);
  });

  it('bootstraps any statistic of the paired values, e.g. the median difference', () => {
    const median = (b: Float64Array, c: Float64Array) => {
      const d = c.map((v, i) => v - (b[i] as number)).sort();
      const h = d.length >> 1;
      return d.length % 2 ? (d[h] as number) : ((d[h - 1] as number) + (d[h] as number)) / 2;
    };
    const stat = createPairedStatistic(mean.baseline, mean.candidate, median);
    const res = bootstrap(stat, {
      resamples: mean.resamples,
      seed: mean.seed,
      level: 0.9,
      method: 'percentile',
    });
    close(res.ci.low, mean.medianPercentile[0], 1e-9);
    close(res.ci.high, mean.medianPercentile[1], 1e-9);
    // Swapping every pair negates the median difference.
    close(stat.swapped?.(new Uint8Array(30).fill(1)) as number, -res.estimate, 1e-12);
  });

  it('BCa agrees with scipy.stats.bootstrap within Monte Carlo error', () => {
    const res = bootstrap(createMeanDifference(mean.baseline, mean.candidate), {
      resamples: 20000,
      level: 0.9,
      seed: 3,
    });
    expect(Math.abs(res.ci.low - fixtures.scipyBootstrap.low)).toBeLessThan(0.004);
    expect(Math.abs(res.ci.high - fixtures.scipyBootstrap.high)).toBeLessThan(0.004);
  });

  it('recomputes a corpus metric per resample from sufficient statistics', () => {
    const precision = (t: Float64Array) => (t[0] as number) / ((t[0] as number) + (t[1] as number));
    const metric = createSufficientStatisticsMetric({
      baseline: corpus.baseline,
      candidate: corpus.candidate,
      finalize: precision,
    });
    const stat = createMetricDifference(metric);
    const options = { resamples: corpus.resamples, seed: corpus.seed, level: corpus.level };
    const pct = bootstrap(stat, { ...options, method: 'percentile' });
    close(pct.estimate, corpus.estimate, 1e-12);
    close(pct.ci.low, corpus.percentile[0], 1e-9);
    close(pct.ci.high, corpus.percentile[1], 1e-9);
    close(pct.pValue, corpus.pValue, 1e-12);
    const less = bootstrap(stat, { ...options, method: 'percentile', alternative: 'less' });
    const greater = bootstrap(stat, { ...options, method: 'percentile', alternative: 'greater' });
    close(less.pValue, corpus.pLess, 1e-12);
    close(greater.pValue, corpus.pGreater, 1e-12);
    const bca = bootstrap(stat, { ...options, method: 'bca' });
    close(bca.ci.low, corpus.bca[0], 1e-9);
    close(bca.ci.high, corpus.bca[1], 1e-9);
    close(bca.acceleration as number, corpus.acceleration, 1e-9);
    // Rescoring each leave-one-out corpus (no leaveOneOut shortcut) gives the same acceleration.
    const generic = bootstrap(
      { n: stat.n, resample: stat.resample },
      { ...options, method: 'bca' },
    );
    close(generic.acceleration as number, corpus.acceleration, 1e-9);
  });

  it('is reproducible from the seed and rejects bad options', () => {
    const stat = createMeanDifference(mean.baseline, mean.candidate);
    expect(bootstrap(stat, { resamples: 200, seed: 'a' }).ci).toEqual(
      bootstrap(stat, { resamples: 200, seed: 'a' }).ci,
    );
    expect(() => bootstrap(stat, { level: 1.5 })).toThrow(
      expect.objectContaining({ field: 'level' }),
    );
    expect(() => bootstrap(stat, { resamples: 1.5 })).toThrow(
      expect.objectContaining({ field: 'resamples' }),
    );
    expect(() => bootstrap({ n: 3, resample: () => Number.NaN })).toThrow(
      expect.objectContaining({ code: 'NOT_FINITE' }),
    );
    expect(() => createMeanDifference([1, 2], [1])).toThrow(ValidateError);
    expect(() =>
      createSufficientStatisticsMetric({
        baseline: [[1, 2], [1]],
        candidate: [
          [1, 2],
          [1, 2],
        ],
        finalize: () => 0,
      }),
    ).toThrow(expect.objectContaining({ code: 'LENGTH_MISMATCH', field: 'baseline[1]' }));
  });
});

describe('paired permutation test', () => {
  it.each(fixtures.permutation.map((c, i) => [i, c] as const))(
    'exact sign-flip p-value matches scipy.stats.permutation_test case %i',
    (_, c) => {
      const res = permutationTest(createMeanDifference(c.baseline, c.candidate), {
        alternative: c.alternative as Alternative,
      });
      expect(res.exact).toBe(true);
      close(res.pValue, c.pValue, 1e-12);
    },
  );

  it('random flips approximate the exact p-value, and sufficient statistics support swapping', () => {
    const c = fixtures.permutation[0] as (typeof fixtures.permutation)[0];
    const stat = createMeanDifference(c.baseline, c.candidate);
    const approx = permutationTest(stat, { resamples: 500, seed: 1 });
    expect(approx.exact).toBe(false);
    expect(Math.abs(approx.pValue - c.pValue)).toBeLessThan(0.06);
    // Mean of per-sample scores as a one-column "corpus" metric gives the same exact p-value.
    const metric = createSufficientStatisticsMetric({
      baseline: c.baseline.map((v) => [v]),
      candidate: c.candidate.map((v) => [v]),
      finalize: (t) => (t[0] as number) / c.baseline.length,
    });
    close(permutationTest(createMetricDifference(metric)).pValue, c.pValue, 1e-12);
    expect(() => permutationTest({ n: 3, resample: () => 0 })).toThrow(
      expect.objectContaining({ field: 'statistic.swapped' }),
    );
  });
});
