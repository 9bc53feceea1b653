// Cross-validation and the Nadeau–Bengio corrected resampled t-test against SciPy-based
// reference values (fixtures/cv.py) and hand-checked fold properties.
import { describe, expect, it } from 'vitest';
import {
  type Alternative,
  compareConfigurations,
  crossValidate,
  nadeauBengioTest,
  resolveFolds,
  summarize,
} from '../index.js';
import fixtures from './fixtures/cv.json' with { type: 'json' };

const close = (actual: number, expected: number, tol = 1e-9) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));

const y = fixtures.y;
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length / 2;
  return s.length % 2
    ? (s[Math.floor(m)] as number)
    : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const config = (predict: (train: number[]) => number) => ({
  train: async ({ train }: { train: number[] }) => predict(train.map((i) => y[i] as number)),
  evaluate: (prediction: number, { validation }: { validation: number[] }) => ({
    mae: mean(validation.map((i) => Math.abs((y[i] as number) - prediction))),
  }),
});

describe('crossValidate', () => {
  it('reports per-fold metrics, mean, sd and the t interval of SciPy', async () => {
    const res = await crossValidate({ folds: fixtures.folds, level: 0.9, ...config(mean) });
    expect(res.folds.map((f) => f.metrics.mae)).toEqual(
      fixtures.meanMae.map((v) => expect.closeTo(v, 12)),
    );
    expect(res.folds[0]).toMatchObject({ index: 0, trainSize: 12, validationSize: 4 });
    const mae = res.metrics.mae;
    close(mae?.mean as number, fixtures.meanSummary.mean);
    close(mae?.sd as number, fixtures.meanSummary.sd);
    close(mae?.ci.low as number, fixtures.meanSummary.ci[0] as number);
    close(mae?.ci.high as number, fixtures.meanSummary.ci[1] as number);
    expect(mae?.ci).toMatchObject({ level: 0.9, method: 't' });
  });

  it('generates stratified, seeded folds with @ft/data', async () => {
    const labels = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? 'a' : 'b'));
    const seen: number[][] = [];
    const res = await crossValidate({
      labels,
      k: 5,
      seed: 11,
      train: ({ train, validation }) => {
        expect(new Set([...train, ...validation]).size).toBe(30);
        expect(train.length + validation.length).toBe(30);
        return validation;
      },
      evaluate: (validation) => {
        seen.push(validation);
        return { shareA: validation.filter((i) => labels[i] === 'a').length / validation.length };
      },
    });
    // 10 'a' and 20 'b' over 5 folds: exactly 2 and 4 per fold.
    expect(res.metrics.shareA?.values).toEqual([1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3]);
    expect(seen.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(resolveFolds({ labels, k: 5, seed: 11 })).toEqual(
      resolveFolds({ labels, k: 5, seed: 11 }),
    );
    expect(resolveFolds({ labels, k: 5, seed: 11 })).not.toEqual(
      resolveFolds({ labels, k: 5, seed: 12 }),
    );
  });

  it('rejects bad folds, options and metric values', async () => {
    expect(() => summarize([1])).toThrow(
      expect.objectContaining({ code: 'EMPTY_INPUT', field: 'values' }),
    );
    expect(() => resolveFolds({})).toThrow(expect.objectContaining({ field: 'n' }));
    expect(() => resolveFolds({ n: 10, k: 1 })).toThrow(expect.objectContaining({ field: 'k' }));
    expect(() => resolveFolds({ n: 10, labels: ['a'] })).toThrow(
      expect.objectContaining({ code: 'LENGTH_MISMATCH' }),
    );
    expect(() => resolveFolds({ labels: ['a', 'a', 'a', 'b'], k: 2 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'labels' }),
    );
    expect(() =>
      resolveFolds({
        folds: [
          { train: [0], validation: [] },
          { train: [1], validation: [0] },
        ],
      }),
    ).toThrow(expect.objectContaining({ field: 'folds[0].validation' }));
    await expect(
      crossValidate({
        folds: fixtures.folds,
        train: () => 0,
        evaluate: () => ({ acc: Number.NaN }),
      }),
    ).rejects.toMatchObject({ code: 'NOT_FINITE', field: 'folds[0].metrics.acc' });
  });
});

describe('nadeauBengioTest', () => {
  for (const [i, c] of fixtures.nb.entries()) {
    for (const alternative of ['two-sided', 'less', 'greater'] as const) {
      it(`matches the hand-computed corrected t-test, case ${i} ${alternative}`, () => {
        const ref = c[alternative];
        const res = nadeauBengioTest(c.d, {
          testTrainRatio: c.ratio,
          level: c.level,
          alternative: alternative as Alternative,
        });
        close(res.statistic, ref.statistic);
        close(res.standardError, ref.se);
        close(res.pValue, ref.pValue, 1e-6);
        close(res.ci.low, ref.ci[0] as number);
        close(res.ci.high, ref.ci[1] as number);
      });
    }
  }

  it('hand-computed: d = [1, 2, 3], ratio 1/2 gives t = 2 / √((1/3 + 1/2)·1)', () => {
    close(
      nadeauBengioTest([1, 2, 3], { testTrainRatio: 0.5 }).statistic,
      2 / Math.sqrt(5 / 6),
      1e-12,
    );
    expect(() => nadeauBengioTest([1, 2], { testTrainRatio: 0 })).toThrow(
      expect.objectContaining({ field: 'testTrainRatio' }),
    );
  });
});

describe('compareConfigurations', () => {
  it('compares configurations on the same folds with the corrected test', async () => {
    const res = await compareConfigurations({
      folds: fixtures.folds,
      configurations: { mean: config(mean), median: config(median) },
      metric: 'mae',
      higherIsBetter: false,
      alpha: 0.1,
    });
    expect(res.baseline).toBe('mean');
    const cmp = res.comparisons.median;
    close(cmp?.delta as number, mean(fixtures.medianMae) - mean(fixtures.meanMae), 1e-12);
    close(cmp?.pValue as number, fixtures.comparison.pValue, 1e-6);
    close(cmp?.ci.low as number, fixtures.comparison.ci[0] as number);
    close(cmp?.ci.high as number, fixtures.comparison.ci[1] as number);
    expect(cmp).toMatchObject({
      test: 'nadeau-bengio',
      n: 4,
      verdict: 'no_significant_difference',
    });
    // Median is worse (larger MAE) on fold 0 only.
    expect(cmp?.degraded.map((d) => d.id)).toEqual(['fold-0']);
    expect(res.results.median?.metrics.mae?.values).toEqual(fixtures.medianMae);
    await expect(
      compareConfigurations({
        folds: fixtures.folds,
        configurations: { a: config(mean) },
        metric: 'mae',
      }),
    ).rejects.toMatchObject({ field: 'configurations' });
    await expect(
      compareConfigurations({
        folds: fixtures.folds,
        configurations: { a: config(mean), b: config(median) },
        metric: 'f1',
      }),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', field: 'metric' });
    await expect(
      compareConfigurations({
        folds: fixtures.folds,
        configurations: { a: config(mean), b: config(median) },
        metric: 'mae',
        degradationThreshold: Number.NaN,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'degradationThreshold' });
  });
});
