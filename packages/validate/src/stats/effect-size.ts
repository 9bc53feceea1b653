// Standardised effect sizes: Cohen's d for paired and for independent samples.
import { ValidateError } from '../errors.js';
import { assertFiniteArray, assertSameLength, differences, mean, sampleVariance } from './utils.js';

/**
 * Cohen's d for paired samples (often called d_z): mean of `x − y` over the sample standard
 * deviation of `x − y`. Zero spread gives 0 for a zero mean and ±Infinity otherwise.
 */
export function cohensDPaired(x: ArrayLike<number>, y: ArrayLike<number>): number {
  assertFiniteArray(x, 'x', 2);
  assertFiniteArray(y, 'y', 2);
  assertSameLength(x, y, 'x', 'y');
  const d = differences(x, y);
  return standardise(mean(d), Math.sqrt(sampleVariance(d)));
}

/**
 * Cohen's d for independent samples: (mean x − mean y) over the pooled standard deviation
 * √(((nx − 1)·sx² + (ny − 1)·sy²) / (nx + ny − 2)).
 */
export function cohensDIndependent(x: ArrayLike<number>, y: ArrayLike<number>): number {
  assertFiniteArray(x, 'x', 1);
  assertFiniteArray(y, 'y', 1);
  const nx = x.length;
  const ny = y.length;
  if (nx + ny < 3) {
    throw new ValidateError(
      'EMPTY_INPUT',
      `needs at least 3 values in total to pool the variance, got ${nx + ny}`,
      {
        field: 'y',
      },
    );
  }
  const ssx = nx > 1 ? (nx - 1) * sampleVariance(x) : 0;
  const ssy = ny > 1 ? (ny - 1) * sampleVariance(y) : 0;
  return standardise(mean(x) - mean(y), Math.sqrt((ssx + ssy) / (nx + ny - 2)));
}

function standardise(difference: number, sd: number): number {
  if (sd > 0) return difference / sd;
  if (difference === 0) return 0;
  return difference > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}
