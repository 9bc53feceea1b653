// Threshold pruner (Optuna's ThresholdPruner): stop a trial whose latest report is NaN or leaves
// [lower, upper]. It ranks nothing, so it works unchanged for multi-objective studies: the
// bounds apply to whatever scalar the objective reports.

import { HpoError } from '../errors.js';
import type { FrozenTrial, Pruner, StudyView } from '../types.js';
import { checkFinite, checkInteger, isFirstInIntervalStep, lastStep, valueAt } from './utils.js';

export interface ThresholdPrunerOptions {
  /** Prune when a report is below this. At least one of `lower`/`upper` is required. */
  lower?: number;
  /** Prune when a report is above this. */
  upper?: number;
  /** Pruning is off for steps below this. @default 0 */
  nWarmupSteps?: number;
  /** Check every `intervalSteps` steps after the warmup. @default 1 */
  intervalSteps?: number;
}

/** Prunes as soon as the latest report is NaN, below `lower` or above `upper`. */
export function createThresholdPruner(options: ThresholdPrunerOptions): Pruner {
  const factory = 'createThresholdPruner';
  const { lower, upper, nWarmupSteps = 0, intervalSteps = 1 } = options;
  if (lower === undefined && upper === undefined) {
    throw new HpoError('INVALID_ARGUMENT', `${factory}: pass lower, upper or both.`);
  }
  if (lower !== undefined) checkFinite(factory, 'lower', lower);
  if (upper !== undefined) checkFinite(factory, 'upper', upper);
  const lo = lower ?? Number.NEGATIVE_INFINITY;
  const hi = upper ?? Number.POSITIVE_INFINITY;
  if (lo > hi) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${factory}: lower (${lo}) is greater than upper (${hi}); swap them.`,
    );
  }
  checkInteger(factory, 'nWarmupSteps', nWarmupSteps, 0);
  checkInteger(factory, 'intervalSteps', intervalSteps, 1);

  return {
    name: 'threshold',
    prune(_study: StudyView, trial: FrozenTrial): boolean {
      const step = lastStep(trial);
      if (step === undefined || step < nWarmupSteps) return false;
      const steps = Object.keys(trial.intermediateValues).map(Number);
      if (!isFirstInIntervalStep(step, steps, nWarmupSteps, intervalSteps)) return false;
      const latest = valueAt(trial, step) as number;
      return Number.isNaN(latest) || latest < lo || latest > hi;
    },
  };
}
