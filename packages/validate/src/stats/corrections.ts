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

/**
 * Checks `alpha` and the p-values, then lets `adjust` fill the adjusted values from the p-values'
 * ascending order (stable, so equal p-values keep input order).
 */
function correct(
  pValues: readonly number[],
  options: CorrectionOptions,
  method: CorrectionResult['method'],
  adjust: (order: number[], m: number) => number[],
): CorrectionResult {
  const { alpha = 0.05 } = options;
  assertProbability(alpha, 'alpha');
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
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const adjusted = adjust(order, pValues.length);
  return { adjusted, reject: adjusted.map((p) => p <= alpha), method, alpha };
}

/** Holm's step-down correction: adjusted p_(i) = max over j ≤ i of min(1, (m − j + 1)·p_(j)). */
export function holmCorrection(
  pValues: readonly number[],
  options: CorrectionOptions = {},
): CorrectionResult {
  return correct(pValues, options, 'holm', (order, m) => {
    const adjusted = new Array<number>(m);
    let running = 0;
    order.forEach((idx, rank) => {
      running = Math.max(running, Math.min(1, (m - rank) * pValues[idx]!));
      adjusted[idx] = running;
    });
    return adjusted;
  });
}

/** Benjamini–Hochberg step-up correction: adjusted p_(i) = min over j ≥ i of min(1, m·p_(j) / j). */
export function benjaminiHochberg(
  pValues: readonly number[],
  options: CorrectionOptions = {},
): CorrectionResult {
  return correct(pValues, options, 'benjamini-hochberg', (order, m) => {
    const adjusted = new Array<number>(m);
    let running = 1;
    for (let rank = m - 1; rank >= 0; rank--) {
      const idx = order[rank]!;
      running = Math.min(running, (m * pValues[idx]!) / (rank + 1));
      adjusted[idx] = running;
    }
    return adjusted;
  });
}
