// Input checks and small numeric helpers shared by the statistics, comparison and CV code.
import { ValidateError } from '../errors.js';

/** Throws unless `values` is a non-empty array of finite numbers; `name` is the argument name. */
export function assertFiniteArray(values: ArrayLike<number>, name: string, minLength = 1): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `expected an array of numbers, got ${typeof values}`,
      {
        field: name,
      },
    );
  }
  if (values.length < minLength) {
    throw new ValidateError(
      'EMPTY_INPUT',
      `needs at least ${minLength} value(s), got ${values.length}; pass more samples`,
      { field: name },
    );
  }
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ValidateError(
        'NOT_FINITE',
        `must be a finite number, got ${String(v)}; drop or fix this sample`,
        { field: `${name}[${i}]` },
      );
    }
  }
}

/** Throws LENGTH_MISMATCH unless both arrays have the same length. */
export function assertSameLength(
  a: ArrayLike<unknown>,
  b: ArrayLike<unknown>,
  nameA: string,
  nameB: string,
): void {
  if (a.length !== b.length) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `${nameA} has ${a.length} value(s) but ${nameB} has ${b.length}; they must pair up one to one`,
      { field: nameB },
    );
  }
}

/** Throws INVALID_ARGUMENT unless `level` is a probability strictly between 0 and 1. */
export function assertProbability(value: number, name: string): void {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `must be a number strictly between 0 and 1, got ${String(value)}`,
      { field: name },
    );
  }
}

/** Throws INVALID_ARGUMENT unless `value` is one of `allowed`. */
export function assertOneOf<T extends string>(
  value: unknown,
  allowed: readonly T[],
  name: string,
): asserts value is T {
  if (!allowed.includes(value as T)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(value)}`,
      { field: name },
    );
  }
}

/** Throws INVALID_ARGUMENT unless `value` is an integer ≥ `min`. */
export function assertInteger(value: number, name: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `must be an integer ≥ ${min}, got ${String(value)}`,
      { field: name },
    );
  }
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return sum / values.length;
}

/** Sample variance (n − 1 denominator), two-pass for accuracy. */
export function sampleVariance(values: ArrayLike<number>): number {
  const m = mean(values);
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const d = (values[i] as number) - m;
    ss += d * d;
  }
  return ss / (values.length - 1);
}

/** Element-wise `a − b` into a Float64Array. */
export function differences(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] as number) - (b[i] as number);
  return out;
}

/** Average ranks (1-based, ties get the mean rank) like scipy.stats.rankdata; also tie group sizes. */
export function rankAverage(values: ArrayLike<number>): { ranks: Float64Array; ties: number[] } {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort(
    (i, j) => (values[i] as number) - (values[j] as number),
  );
  const ranks = new Float64Array(n);
  const ties: number[] = [];
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end] as number] === values[order[start] as number]) end++;
    const avg = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k] as number] = avg;
    if (end - start > 1) ties.push(end - start);
    start = end;
  }
  return { ranks, ties };
}
