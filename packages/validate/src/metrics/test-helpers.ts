// Assertions shared by the metric tests (imported by *.test.ts only; not part of the build).
import { expect } from 'vitest';
import { ValidateError } from '../index.js';

/** Equal to a reference value within 1e-12, relative for values above 1 and absolute below. */
export function close(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
}

/** Runs `fn`, expects it to throw a ValidateError and returns the error's code. */
export function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidateError);
    return (error as ValidateError).code;
  }
  throw new Error('expected a ValidateError');
}

/** Averaged precision, recall and F-score against a fixture row that holds each as `[value]`. */
export function closeAveraged(
  got: { precision: number; recall: number; fScore: number },
  row: { precision: readonly number[]; recall: readonly number[]; fScore: readonly number[] },
): void {
  close(got.precision, row.precision[0]!);
  close(got.recall, row.recall[0]!);
  close(got.fScore, row.fScore[0]!);
}
