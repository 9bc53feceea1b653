// Regression and correlation metrics against scikit-learn 1.2 / SciPy 1.10 values
// (fixtures/regression.py) and the scikit-learn docstring examples.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  meanAbsoluteError,
  meanSquaredError,
  pearson,
  r2Score,
  rankAverage,
  rootMeanSquaredError,
  spearman,
} from '../index.js';
import { codeOf } from './test-helpers.js';

interface Case {
  yTrue: number[];
  yPred: number[];
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
  pearson?: [number, number];
  spearman?: [number, number];
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/regression.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
  r2ConstantPerfect: number;
  weighted: Array<{
    yTrue: number[];
    yPred: number[];
    sampleWeight: number[];
    mse: number;
    rmse: number;
    mae: number;
    r2: number;
  }>;
};

function close(actual: number, expected: number, rel = 1e-12): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected) + 1e-300);
}

describe('regression metrics', () => {
  it('match the scikit-learn docstring example', () => {
    const yTrue = [3, -0.5, 2, 7];
    const yPred = [2.5, 0, 2, 8];
    expect(meanSquaredError(yTrue, yPred)).toBe(0.375);
    expect(meanAbsoluteError(yTrue, yPred)).toBe(0.5);
    close(rootMeanSquaredError(yTrue, yPred), Math.sqrt(0.375));
    close(r2Score(yTrue, yPred), 0.9486081370449679);
  });

  fixture.cases.forEach((c, i) => {
    it(`case ${i} matches scikit-learn and SciPy`, () => {
      close(meanSquaredError(c.yTrue, c.yPred), c.mse);
      close(rootMeanSquaredError(c.yTrue, c.yPred), c.rmse);
      close(meanAbsoluteError(c.yTrue, c.yPred), c.mae);
      if (c.r2 === 0) expect(r2Score(c.yTrue, c.yPred)).toBe(0);
      else close(r2Score(c.yTrue, c.yPred), c.r2);
      if (c.pearson !== undefined && c.spearman !== undefined) {
        const p = pearson(c.yTrue, c.yPred);
        close(p.r, c.pearson[0]);
        // SciPy's p-value goes through the beta distribution, ours through Student's t.
        close(p.pValue, c.pearson[1], 1e-10);
        const s = spearman(c.yTrue, c.yPred);
        close(s.r, c.spearman[0]);
        close(s.pValue, c.spearman[1], 1e-10);
      }
    });
  });

  fixture.weighted.forEach((c, i) => {
    it(`weighted case ${i} matches scikit-learn (one weight is 0)`, () => {
      const options = { sampleWeight: c.sampleWeight };
      close(meanSquaredError(c.yTrue, c.yPred, options), c.mse);
      close(rootMeanSquaredError(c.yTrue, c.yPred, options), c.rmse);
      close(meanAbsoluteError(c.yTrue, c.yPred, options), c.mae);
      close(r2Score(c.yTrue, c.yPred, options), c.r2);
    });
  });

  it('handles a constant target like scikit-learn', () => {
    expect(r2Score([2, 2, 2], [2, 2, 2])).toBe(fixture.r2ConstantPerfect);
    expect(r2Score([2, 2, 2], [2, 2, 3])).toBe(0);
    expect(r2Score([2, 2, 2], [2, 2, 3], { forceFinite: false })).toBe(Number.NEGATIVE_INFINITY);
    expect(r2Score([2, 2, 2], [2, 2, 2], { forceFinite: false })).toBeNaN();
  });

  it('ranks ties by their average rank', () => {
    expect(rankAverage([10, 20, 10, 30, 20, 20])).toEqual([1.5, 4, 1.5, 6, 4, 4]);
  });

  it('correlations of perfectly monotonic data are ±1 with p = 0', () => {
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toEqual({ r: 1, pValue: 0 });
    expect(pearson([1, 2], [5, 3])).toEqual({ r: -1, pValue: 1 });
  });

  it('rejects bad input', () => {
    expect(codeOf(() => meanSquaredError([1, 2], [1]))).toBe('LENGTH_MISMATCH');
    expect(codeOf(() => meanAbsoluteError([], []))).toBe('EMPTY_INPUT');
    expect(codeOf(() => r2Score([1], [1]))).toBe('EMPTY_INPUT');
    expect(codeOf(() => meanSquaredError([1, Number.NaN], [1, 2]))).toBe('NOT_FINITE');
    expect(codeOf(() => meanSquaredError([1, 2], [1, 2], { sampleWeight: [1] }))).toBe(
      'LENGTH_MISMATCH',
    );
    expect(codeOf(() => pearson([1, 1, 1], [1, 2, 3]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => spearman([1, 2], [1, 2]))).toBe('EMPTY_INPUT');
    expect(() => pearson([1, 2, 3], [1, 2, Number.POSITIVE_INFINITY])).toThrow(/y\[2\]/);
  });
});
