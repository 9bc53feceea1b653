// Asynchronous Successive Halving pruner (Optuna's SuccessiveHalvingPruner, ASHA): at each rung's
// completion step a trial is promoted only if it is in the top 1/reductionFactor of the trials
// that reached that rung, otherwise it is pruned.
//
// Difference from Optuna: Optuna writes `completed_rung_<k>` system attributes through the
// storage from inside `prune`. Our Pruner contract is a pure function of a StudyView snapshot, so
// a trial's rung-k value is derived from its reports instead: the value at its first reported
// step ≥ the rung's completion step. With `should_prune` called after every report (the normal
// use) this gives the same values as Optuna, except that a trial pruned at a step covering two
// rungs at once (sparse reports) is counted at the lower rung only. With `minResource: 'auto'`
// trials that finished before the first complete trial finished never took part (Optuna could
// not evaluate them yet), so they are left out of the competition the same way.
// Multi-objective studies need `objective` (see utils.ts).

import type { FrozenTrial, Pruner, StudyDirection, StudyView } from '../types.js';
import {
  checkBootstrapCount,
  checkInteger,
  checkObjective,
  lastStep,
  maxCompleteLastStep,
  rankingDirection,
  reportedSteps,
  valueAt,
} from './utils.js';

export interface SuccessiveHalvingPrunerOptions {
  /** Steps before the first rung (r in the ASHA paper); 'auto' = max(last step of the first completed trials / 100, 1). @default 'auto' */
  minResource?: number | 'auto';
  /** About 1/reductionFactor of the trials at a rung are promoted (η in the paper). @default 4 */
  reductionFactor?: number;
  /** Minimum early-stopping rate (s in the paper): the first rung ends at minResource·η^s. @default 0 */
  minEarlyStoppingRate?: number;
  /** Trials that must reach a rung before any is promoted from it; needs a numeric minResource. @default 0 */
  bootstrapCount?: number;
  /** Multi-objective studies: index of the objective whose direction ranks the reports. */
  objective?: number;
}

/** The settings of one successive-halving bracket (Hyperband runs several). */
export interface RungSettings {
  minResource: number;
  reductionFactor: number;
  minEarlyStoppingRate: number;
  bootstrapCount: number;
  direction: StudyDirection;
}

function promotionStep(settings: RungSettings, rung: number): number {
  return settings.minResource * settings.reductionFactor ** (settings.minEarlyStoppingRate + rung);
}

/**
 * Rung values a trial recorded, derived from its reports (see the file header). `upTo` limits the
 * reports looked at to steps < upTo (the current trial's earlier reports).
 */
function recordedRungValues(trial: FrozenTrial, settings: RungSettings, upTo?: number): number[] {
  const reports = reportedSteps(trial).filter(([step]) => upTo === undefined || step < upTo);
  const last = reports[reports.length - 1]?.[0];
  const values: number[] = [];
  let i = 0;
  for (let rung = 0; ; rung++) {
    const target = promotionStep(settings, rung);
    while (i < reports.length && (reports[i] as [number, number])[0] < target) i++;
    const report = reports[i];
    if (report === undefined || Number.isNaN(report[1])) break;
    values.push(report[1]);
    // A pruned trial lost at the rung its final report completed (the lowest, when it covers several).
    if (upTo === undefined && trial.state === 'pruned' && report[0] === last) break;
  }
  return values;
}

function isPromotable(value: number, competing: number[], settings: RungSettings): boolean {
  let index = Math.floor(competing.length / settings.reductionFactor) - 1;
  // Trials cannot be suspended, so the first η-1 arrivals are promoted only when best so far.
  if (index === -1) index = 0;
  competing.sort((a, b) => a - b);
  if (settings.direction === 'maximize') {
    return value >= (competing[competing.length - 1 - index] as number);
  }
  return value <= (competing[index] as number);
}

/**
 * Trials that finished no later than the first complete trial: with an 'auto' resource they ended
 * before the pruner could run, so they never entered a rung. Uses completion times when every
 * trial concerned has one, trial numbers otherwise.
 */
export function finishedBeforeFirstComplete(trials: readonly FrozenTrial[]): Set<number> {
  const excluded = new Set<number>();
  let first: FrozenTrial | undefined;
  for (const t of trials) {
    if (t.state !== 'complete') continue;
    if (first === undefined || finishedBefore(t, first)) first = t;
  }
  if (first === undefined) return excluded;
  for (const t of trials) {
    if (t.state === 'waiting' || t.state === 'running') continue;
    if (t === first || finishedBefore(t, first)) excluded.add(t.number);
  }
  return excluded;
}

function finishedBefore(a: FrozenTrial, b: FrozenTrial): boolean {
  if (a.datetimeComplete !== undefined && b.datetimeComplete !== undefined) {
    const ta = Date.parse(a.datetimeComplete);
    const tb = Date.parse(b.datetimeComplete);
    if (ta !== tb) return ta < tb;
  }
  return a.number < b.number;
}

/**
 * The successive-halving decision for `trial` against `trials` (the competitors, which may
 * include `trial` itself), skipping trial numbers in `excluded`.
 */
export function successiveHalvingPrune(
  trials: readonly FrozenTrial[],
  trial: FrozenTrial,
  settings: RungSettings,
  excluded: ReadonlySet<number>,
): boolean {
  const step = lastStep(trial);
  if (step === undefined) return false;
  const value = valueAt(trial, step) as number;
  let rung = recordedRungValues(trial, settings, step).length;
  let others: number[][] | undefined;
  for (;;) {
    if (step < promotionStep(settings, rung)) return false;
    if (Number.isNaN(value)) return true;
    others ??= trials
      .filter((t) => t.number !== trial.number && !excluded.has(t.number))
      .map((t) => recordedRungValues(t, settings));
    const competing: number[] = [];
    for (const values of others) {
      const v = values[rung];
      if (v !== undefined) competing.push(v);
    }
    competing.push(value);
    if (competing.length <= settings.bootstrapCount) return true;
    if (!isPromotable(value, competing, settings)) return true;
    rung += 1;
  }
}

/** Prunes by Asynchronous Successive Halving. */
export function createSuccessiveHalvingPruner(
  options: SuccessiveHalvingPrunerOptions = {},
): Pruner {
  const factory = 'createSuccessiveHalvingPruner';
  const {
    minResource = 'auto',
    reductionFactor = 4,
    minEarlyStoppingRate = 0,
    bootstrapCount = 0,
    objective,
  } = options;
  if (minResource !== 'auto') checkInteger(factory, 'minResource', minResource, 1);
  checkInteger(factory, 'reductionFactor', reductionFactor, 2);
  checkInteger(factory, 'minEarlyStoppingRate', minEarlyStoppingRate, 0);
  checkBootstrapCount(factory, bootstrapCount, 'minResource', minResource);
  checkObjective(factory, objective);
  // Like Optuna, an 'auto' resource is estimated once, from the trials complete at that moment.
  let resolved: number | undefined = minResource === 'auto' ? undefined : minResource;

  return {
    name: 'successive-halving',
    prune(study: StudyView, trial: FrozenTrial): boolean {
      const direction = rankingDirection('successive-halving', study, objective);
      if (lastStep(trial) === undefined) return false;
      if (resolved === undefined) {
        const maxLast = maxCompleteLastStep(study);
        if (maxLast === undefined) return false;
        resolved = Math.max(Math.floor(maxLast / 100), 1);
      }
      const excluded =
        minResource === 'auto' ? finishedBeforeFirstComplete(study.trials) : new Set<number>();
      return successiveHalvingPrune(
        study.trials,
        trial,
        { minResource: resolved, reductionFactor, minEarlyStoppingRate, bootstrapCount, direction },
        excluded,
      );
    },
  };
}
