// Input checks shared by every metric in src/metrics: paired lengths, non-empty inputs and
// finite numbers, each failing with a ValidateError that names the argument and the fix.

import { ValidateError } from '../errors.js';

/**
 * Throws `EMPTY_INPUT` when `values` has fewer than `min` items.
 * @param field Argument name used in the message, e.g. `references`.
 */
export function checkNonEmpty(values: ArrayLike<unknown>, field: string, min = 1): void {
  if (values.length < min) {
    throw new ValidateError(
      'EMPTY_INPUT',
      min === 1
        ? 'is empty; pass at least one sample'
        : `has ${values.length} item(s); pass at least ${min}`,
      { field },
    );
  }
}

/**
 * Throws `LENGTH_MISMATCH` when the two inputs differ in length, `EMPTY_INPUT` when they are empty.
 * @param names The two argument names, e.g. `['yTrue', 'yPred']`.
 */
export function checkPaired(
  a: ArrayLike<unknown>,
  b: ArrayLike<unknown>,
  names: readonly [string, string],
): void {
  if (a.length !== b.length) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `has ${b.length} item(s) but ${names[0]} has ${a.length}; pass one per sample`,
      { field: names[1] },
    );
  }
  checkNonEmpty(a, names[0]);
}

/** Throws `NOT_FINITE` naming the first entry of `values` that is NaN, ±Infinity or not a number. */
export function checkFiniteArray(values: ArrayLike<unknown>, field: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValidateError('NOT_FINITE', `is ${String(v)}; pass a finite number`, {
        field: `${field}[${i}]`,
      });
    }
  }
}

/** Throws `INVALID_ARGUMENT` unless `value` is an integer >= `min`. */
export function checkInteger(value: number, field: string, min = 1): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ValidateError('INVALID_ARGUMENT', `is ${value}; pass an integer >= ${min}`, {
      field,
    });
  }
}

/**
 * Per-sample weights as scikit-learn's `sample_weight`: one finite weight >= 0 per sample, not
 * all zero. Returns ones when `weights` is undefined.
 */
export function checkSampleWeights(
  weights: readonly number[] | undefined,
  n: number,
): Float64Array {
  if (weights === undefined) return new Float64Array(n).fill(1);
  if (weights.length !== n) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `has ${weights.length} weight(s) but there are ${n} samples; pass one weight per sample`,
      { field: 'options.sampleWeight' },
    );
  }
  checkFiniteArray(weights, 'options.sampleWeight');
  let total = 0;
  weights.forEach((w, i) => {
    if (w < 0) {
      throw new ValidateError('INVALID_ARGUMENT', `is ${w}; weights must be >= 0`, {
        field: `options.sampleWeight[${i}]`,
      });
    }
    total += w;
  });
  if (total === 0) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'sums to 0; give at least one sample a positive weight',
      {
        field: 'options.sampleWeight',
      },
    );
  }
  return Float64Array.from(weights);
}
