// classWeights against scikit-learn's compute_class_weight and Cui et al.'s formula
// (fixtures/generate.py), by hand for 'inverse', and its input checks.
import { describe, expect, it } from 'vitest';
import { tensor } from '../ir/tensor.js';
import { classCounts, classWeights } from './class-weights.js';
import fixture from './fixtures/class-weights.json' with { type: 'json' };

const close = (got: number[], want: number[], tol = 1e-12) => {
  expect(got).toHaveLength(want.length);
  got.forEach((g, i) => {
    expect(Math.abs(g - (want[i] as number))).toBeLessThan(tol);
  });
};

describe('classWeights', () => {
  it.each(fixture.cases.map((c) => [c.name, c] as const))(
    '%s labels: counts, balanced and given weights match scikit-learn; effective matches Cui et al.',
    (_name, c) => {
      const labels = c.labels as number[] | number[][];
      expect(classCounts(labels)).toEqual(c.counts);
      close(classWeights(labels), c.balanced);
      close(classWeights(labels, { method: 'given', weights: c.given.weights }), c.given.expected);
      for (const [beta, want] of Object.entries(c.effective)) {
        close(classWeights(labels, { method: 'effective', beta: Number(beta) }), want, 1e-9);
      }
    },
  );

  it("'inverse' is N / nᶜ; balanced weights of a balanced set are all 1; int tensors work", () => {
    // Counts [3, 1] of N = 4: inverse [4/3, 4], balanced [4/6, 4/2].
    expect(classWeights([0, 0, 1, 0], { method: 'inverse' })).toEqual([4 / 3, 4]);
    expect(classWeights([0, 0, 1, 0])).toEqual([4 / 6, 2]);
    expect(classWeights([2, 0, 1, 1, 0, 2])).toEqual([1, 1, 1]);
    const t = tensor('int64', [2, 3], [0n, 1n, -100n, 0n, 0n, -100n]);
    expect(classCounts(t)).toEqual([3, 1]);
    expect(classWeights(t, { numClasses: 2 })).toEqual([4 / 6, 2]);
    // β = 0: every class weighs the same (effective number 1).
    expect(classWeights([0, 0, 0, 1], { method: 'effective', beta: 0 })).toEqual([1, 1]);
    // Given as an array; numClasses beyond the largest label keeps the trailing classes.
    expect(classWeights([0, 1], { method: 'given', weights: [1, 2, 3], numClasses: 3 })).toEqual([
      1, 2, 3,
    ]);
  });

  it('bad labels and options get errors that name the problem', () => {
    expect(() => classWeights([0, 2, 2])).toThrow(/class 1 has no example/);
    expect(() => classWeights([0, 1.5])).toThrow(/label 1.5 at flat position 1 is not a class id/);
    expect(() => classWeights([0, -1])).toThrow(/label -1 at flat position 1/);
    expect(() => classWeights([0, 3], { numClasses: 2 })).toThrow(
      /label 3 is out of range for numClasses 2/,
    );
    expect(() => classWeights([-100, -100])).toThrow(/every label is the ignore index/);
    expect(() => classWeights(tensor('float32', [2], [0, 1]))).toThrow(
      /label tensor is float32; class labels must be int64 or int32/,
    );
    expect(() => classWeights([0, 1], { method: 'effective', beta: 1 })).toThrow(
      /beta must be in \[0, 1\), got 1/,
    );
    expect(() => classWeights([0, 1], { method: 'given' })).toThrow(/needs `weights`/);
    expect(() => classWeights([0, 1], { method: 'given', weights: [1] })).toThrow(
      /weights has 1 values but there are 2 classes/,
    );
    expect(() => classWeights([0, 1], { method: 'given', weights: { 5: 2 } })).toThrow(
      /names class "5", which is not in 0..1/,
    );
    expect(() => classWeights([0, 1], { method: 'sqrt' as unknown as 'balanced' })).toThrow(
      /method must be 'balanced', 'inverse', 'effective' or 'given', got "sqrt"/,
    );
  });
});
