// numpyArgsort against np.argsort (fixtures/numpy_argsort.py): the same permutation, ties included.

import { describe, expect, it } from 'vitest';
import reference from './fixtures/numpy_argsort.json' with { type: 'json' };
import { numpyArgsort } from './numpy-argsort.js';

describe('numpyArgsort (numpy 1.24 np.argsort reference)', () => {
  it('returns the permutation np.argsort returns, equal values in its (unstable) order', () => {
    let unstable = 0;
    for (const { values, order } of reference.cases) {
      expect(Array.from(numpyArgsort(values))).toEqual(order);
      const stable = values
        .map((_, i) => i)
        .sort((a, b) => (values[a] as number) - (values[b] as number) || a - b);
      if (stable.join() !== order.join()) unstable++;
    }
    // The reference really exercises tie order: most cases differ from a stable sort. The last
    // case is numpy's degraded-quicksort input, which takes the heapsort fallback.
    expect(unstable).toBeGreaterThan(reference.cases.length / 2);
  });

  it('sorts NaN last and handles empty input', () => {
    expect(Array.from(numpyArgsort([2, Number.NaN, 1]))).toEqual([2, 0, 1]);
    expect(Array.from(numpyArgsort([]))).toEqual([]);
  });
});
