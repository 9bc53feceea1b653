// Spearman/Pearson correlation against scipy.stats.spearmanr (fixtures/spearman.json), average
// ranks by hand, and the input checks.
import { describe, expect, it } from 'vitest';
import { tensor } from '../ir/tensor.js';
import {
  averageRanks,
  cosineSimilarities,
  pearsonCorrelation,
  spearmanCorrelation,
} from './correlation.js';
import fixture from './fixtures/spearman.json' with { type: 'json' };

describe('correlation', () => {
  it('average ranks share tied positions', () => {
    expect(Array.from(averageRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(averageRanks([3, 1, 3, 3, 2]))).toEqual([4, 1, 4, 4, 2]);
  });

  it.each(fixture.cases.map((c, i) => [i, c] as const))(
    'case %i matches scipy.stats.spearmanr to 1e-12',
    (_i, c) => {
      expect(Math.abs(spearmanCorrelation(c.x, c.y) - c.rho)).toBeLessThan(1e-12);
    },
  );

  it('Pearson by hand; constant lists give NaN; bad input names the problem', () => {
    // x = [1, 2, 3], y = [2, 4, 7]: sxy = 5, sxx = 2, syy = 12.667 → r = 5 / √25.333.
    expect(pearsonCorrelation([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(2 * (38 / 3)), 14);
    expect(spearmanCorrelation([1, 1, 1], [1, 2, 3])).toBeNaN();
    expect(() => spearmanCorrelation([1, 2], [1])).toThrow(/same length, got 2 and 1/);
    expect(() => spearmanCorrelation([1], [1])).toThrow(/at least 2 pairs/);
    expect(() => spearmanCorrelation([1, Number.NaN], [1, 2])).toThrow(
      /first list has a non-finite value NaN at index 1/,
    );
  });

  it('cosineSimilarities by hand', () => {
    const a = tensor('float32', [3, 2], [1, 0, 1, 1, 0, 0]);
    const b = tensor('float32', [3, 2], [2, 0, -1, 0, 1, 1]);
    const cos = Array.from(cosineSimilarities(a, b));
    expect(cos[0]).toBeCloseTo(1, 12);
    expect(cos[1]).toBeCloseTo(-Math.SQRT1_2, 12);
    expect(cos[2]).toBe(0);
    expect(() => cosineSimilarities(a, tensor('float32', [2, 2], [1, 2, 3, 4]))).toThrow(
      /same shape, got \[3, 2\] and \[2, 2\]/,
    );
  });
});
