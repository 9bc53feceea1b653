// Helpers shared by the pruners: option checks, step bookkeeping, percentiles and the
// multi-objective rule (which objective's direction a scalar report is ranked by).

import { HpoError } from '../errors.js';
import type { FrozenTrial, StudyDirection, StudyView } from '../types.js';

/** Throws `INVALID_ARGUMENT` unless `value` is an integer ≥ `min`. */
export function checkInteger(factory: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${factory}: option ${name} must be an integer ≥ ${min}, got ${String(value)}; pass an integer of at least ${min}.`,
    );
  }
}

/** Throws `INVALID_ARGUMENT` unless `value` is a finite number. */
export function checkFinite(factory: string, name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${factory}: option ${name} must be a finite number, got ${String(value)}.`,
    );
  }
}

/**
 * The direction a pruner ranks reports by. A report is one number, so for a multi-objective study
 * the caller must say which objective it tracks (`objective`); guessing would silently prune by
 * the wrong criterion (Optuna raises here, optuna#3450).
 */
export function rankingDirection(
  pruner: string,
  study: StudyView,
  objective: number | undefined,
): StudyDirection {
  const n = study.directions.length;
  if (objective === undefined) {
    if (n !== 1) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `${pruner} pruner: the study has ${n} objectives, so it cannot tell which one the reported values track; create the pruner with { objective: <index 0..${n - 1}> }.`,
        { study: study.name },
      );
    }
    return study.directions[0] as StudyDirection;
  }
  const direction = study.directions[objective];
  if (direction === undefined) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${pruner} pruner: option objective is ${objective} but the study has ${n} objective(s); pass an index from 0 to ${n - 1}.`,
      { study: study.name },
    );
  }
  return direction;
}

/**
 * Checks `bootstrapCount` (an integer ≥ 0) and that, when positive, the resource it is counted
 * against (`resourceName`) is a number: with 'auto' the rungs are unknown until trials complete.
 */
export function checkBootstrapCount(
  factory: string,
  bootstrapCount: number,
  resourceName: 'minResource' | 'maxResource',
  resource: number | 'auto',
): void {
  checkInteger(factory, 'bootstrapCount', bootstrapCount, 0);
  if (bootstrapCount > 0 && resource === 'auto') {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${factory}: bootstrapCount > 0 needs a numeric ${resourceName}; pass ${resourceName}: <steps>.`,
    );
  }
}

/** Checks the `objective` option at construction time (the study is not known yet). */
export function checkObjective(factory: string, objective: number | undefined): void {
  if (objective !== undefined) checkInteger(factory, 'objective', objective, 0);
}

/** Reported steps in ascending order with their values. */
export function reportedSteps(trial: FrozenTrial): Array<[step: number, value: number]> {
  return Object.entries(trial.intermediateValues)
    .map(([key, value]): [number, number] => [Number(key), value])
    .sort((a, b) => a[0] - b[0]);
}

/** The largest reported step, or `undefined` when nothing was reported (Optuna's `last_step`). */
export function lastStep(trial: FrozenTrial): number | undefined {
  let last: number | undefined;
  for (const key of Object.keys(trial.intermediateValues)) {
    const step = Number(key);
    if (last === undefined || step > last) last = step;
  }
  return last;
}

/** The value reported at `step`, or `undefined`. */
export function valueAt(trial: FrozenTrial, step: number): number | undefined {
  return trial.intermediateValues[String(step)];
}

/**
 * Whether `step` is the first report at or after the latest pruning checkpoint
 * (`nWarmupSteps + k * intervalSteps`), so a check that fell on an unreported step is postponed
 * to the next report rather than skipped.
 */
export function isFirstInIntervalStep(
  step: number,
  steps: readonly number[],
  nWarmupSteps: number,
  intervalSteps: number,
): boolean {
  const checkpoint =
    Math.floor((step - nWarmupSteps) / intervalSteps) * intervalSteps + nWarmupSteps;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < checkpoint;
}

/** `numpy.nanpercentile` with linear interpolation; NaN when no value is a number. */
export function nanPercentile(values: readonly number[], q: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(index);
  const hi = Math.ceil(index);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  const t = index - lo;
  // numpy's lerp form: interpolating from the nearer end keeps results exact at the endpoints.
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}

/** The largest step any complete trial reported (what 'auto' resources are estimated from). */
export function maxCompleteLastStep(study: StudyView): number | undefined {
  let max: number | undefined;
  for (const trial of study.trials) {
    const last = trial.state === 'complete' ? lastStep(trial) : undefined;
    if (last !== undefined && (max === undefined || last > max)) max = last;
  }
  return max;
}

/** Trials in `complete` state. */
export function completedTrials(study: StudyView): FrozenTrial[] {
  return study.trials.filter((t) => t.state === 'complete');
}

/** The trial's objective value used for ranking (`values[objective ?? 0]`). */
export function objectiveValue(trial: FrozenTrial, objective: number | undefined): number {
  return trial.values?.[objective ?? 0] ?? Number.NaN;
}

/**
 * The best complete trial for `direction` on objective `objective` (first one on ties, like
 * Optuna's `best_trial`), or `undefined` when none completed.
 */
export function bestTrial(
  study: StudyView,
  direction: StudyDirection,
  objective: number | undefined,
): FrozenTrial | undefined {
  let best: FrozenTrial | undefined;
  let bestValue = Number.NaN;
  for (const trial of study.trials) {
    if (trial.state !== 'complete') continue;
    const value = objectiveValue(trial, objective);
    if (Number.isNaN(value)) continue;
    if (best === undefined || (direction === 'minimize' ? value < bestValue : value > bestValue)) {
      best = trial;
      bestValue = value;
    }
  }
  return best;
}
