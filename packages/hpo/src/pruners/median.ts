// Median stopping rule (Optuna's MedianPruner): the percentile pruner at the 50th percentile.
// Multi-objective studies need `objective`, as for the percentile pruner.

import type { Pruner } from '../types.js';
import { buildPercentilePruner, type PercentilePrunerOptions } from './percentile.js';

export type MedianPrunerOptions = Omit<PercentilePrunerOptions, 'percentile'>;

/** Prunes trials whose best report is worse than the median of completed trials at that step. */
export function createMedianPruner(options: MedianPrunerOptions = {}): Pruner {
  return buildPercentilePruner('median', 'createMedianPruner', { ...options, percentile: 50 });
}
