// Percentile pruner (Optuna's PercentilePruner): stop a trial whose best report so far is worse
// than the given percentile of the completed trials' reports at the same step.
//
// Multi-objective rule: a report is one number, so for a study with several directions pass
// `objective` (the index whose direction ranks the reports); without it `prune` throws
// `INVALID_ARGUMENT`. Single-objective studies need no option.

import { HpoError } from '../errors.js';
import type { FrozenTrial, Pruner, StudyView } from '../types.js';
import {
  checkFinite,
  checkInteger,
  checkObjective,
  completedTrials,
  isFirstInIntervalStep,
  lastStep,
  nanPercentile,
  rankingDirection,
  valueAt,
} from './utils.js';

export interface PercentilePrunerOptions {
  /** Percentile in [0, 100]: 25 keeps the best quarter of trials at each step. */
  percentile: number;
  /** Pruning is off until this many trials completed. @default 5 */
  nStartupTrials?: number;
  /** Pruning is off for steps below this (steps are assumed to start at 0). @default 0 */
  nWarmupSteps?: number;
  /** Check every `intervalSteps` steps after the warmup; a check on an unreported step waits for the next report. @default 1 */
  intervalSteps?: number;
  /** Do not prune while fewer than this many completed trials reported at the step. @default 1 */
  nMinTrials?: number;
  /** Multi-objective studies: index of the objective whose direction ranks the reports. */
  objective?: number;
}

/** Shared by the percentile and median pruners; `factory` names the caller in error messages. */
export function buildPercentilePruner(
  name: string,
  factory: string,
  options: PercentilePrunerOptions,
): Pruner {
  const {
    percentile,
    nStartupTrials = 5,
    nWarmupSteps = 0,
    intervalSteps = 1,
    nMinTrials = 1,
    objective,
  } = options;
  checkFinite(factory, 'percentile', percentile);
  if (percentile < 0 || percentile > 100) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${factory}: option percentile must be between 0 and 100, got ${percentile}.`,
    );
  }
  checkInteger(factory, 'nStartupTrials', nStartupTrials, 0);
  checkInteger(factory, 'nWarmupSteps', nWarmupSteps, 0);
  checkInteger(factory, 'intervalSteps', intervalSteps, 1);
  checkInteger(factory, 'nMinTrials', nMinTrials, 1);
  checkObjective(factory, objective);

  return {
    name,
    prune(study: StudyView, trial: FrozenTrial): boolean {
      const direction = rankingDirection(name, study, objective);
      const completed = completedTrials(study);
      if (completed.length === 0 || completed.length < nStartupTrials) return false;
      const step = lastStep(trial);
      if (step === undefined || step < nWarmupSteps) return false;
      const steps = Object.keys(trial.intermediateValues).map(Number);
      if (!isFirstInIntervalStep(step, steps, nWarmupSteps, intervalSteps)) return false;

      // The trial's best report over all its steps, not just the latest one.
      let best = Number.NaN;
      for (const v of Object.values(trial.intermediateValues)) {
        if (Number.isNaN(best) || (direction === 'maximize' ? v > best : v < best)) best = v;
      }
      if (Number.isNaN(best)) return true;

      const others: number[] = [];
      for (const t of completed) {
        const v = valueAt(t, step);
        if (v !== undefined) others.push(v);
      }
      if (others.length < nMinTrials) return false;
      const q = direction === 'maximize' ? 100 - percentile : percentile;
      const threshold = nanPercentile(others, q);
      if (Number.isNaN(threshold)) return false;
      return direction === 'maximize' ? best < threshold : best > threshold;
    },
  };
}

/** Prunes trials whose best report is outside the top `percentile` at the same step. */
export function createPercentilePruner(options: PercentilePrunerOptions): Pruner {
  return buildPercentilePruner('percentile', 'createPercentilePruner', options);
}
