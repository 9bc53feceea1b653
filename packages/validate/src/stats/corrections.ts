// Multiple-comparison corrections of p-values: Holm (family-wise error) and Benjamini–Hochberg
// (false discovery rate), matching statsmodels' `multipletests`.
import { ValidateError } from '../errors.js';
import { assertProbability } from './utils.js';

export interface CorrectionOptions {
  /** Family-wise error rate (Holm) or false discovery rate (BH) to control. @default 0.05 */
  alpha?: number;
}

export interface CorrectionResult {
  /** Adjusted p-values, in input order, capped at 1. */
  adjusted: number[];
  /** Whether each hypothesis is rejected at `alpha` (adjusted p ≤ alpha, as statsmodels). */
  reject: boolean[];
  method: 'holm' | 'benjamini-hochberg';
  alpha: number;
}

function checkPValues(pValues: readonly number[]): number[] {
  if (!Array.isArray(pValues) || pValues.length === 0) {
    throw new ValidateError('EMPTY_INPUT', 'needs at least one p-value', { field: 'pValues' });
  }
  pValues.forEach((p, i) => {
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new ValidateError('NOT_FINITE', `must be a p-value in [0, 1], got ${String(p)}`, {
        field: `pValues[${i}]`,
      });
    }
  });
  // Ascending p-value order; stable so equal p-values keep input order.
  return pValues.map((_, i) => i).sort((a, b) => (pValues[a] as number) - (pValues[b] as number));
}

/** Holm's step-down correction: adjusted p_(i) = max over j ≤ i of min(1, (m − j + 1)·p_(j)). */
export function holmCorrection(
  pValues: readonly number[],
  options: CorrectionOptions = {},
): CorrectionResult {
  const { alpha = 0.05 } = options;
  assertProbability(alpha, 'alpha');
  const order = checkPValues(pValues);
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * (pValues[idx] as number)));
    adjusted[idx] = running;
  });
  return { adjusted, reject: adjusted.map((p) => p <= alpha), method: 'holm', alpha };
}

/** Benjamini–Hochberg step-up correction: adjusted p_(i) = min over j ≥ i of min(1, m·p_(j) / j). */
export function benjaminiHochberg(
  pValues: readonly number[],
  options: CorrectionOptions = {},
): CorrectionResult {
  const { alpha = 0.05 } = options;
  assertProbability(alpha, 'alpha');
  const order = checkPValues(pValues);
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const idx = order[rank] as number;
    running = Math.min(running, (m * (pValues[idx] as number)) / (rank + 1));
    adjusted[idx] = running;
  }
  return { adjusted, reject: adjusted.map((p) => p <= alpha), method: 'benjamini-hochberg', alpha };
}
