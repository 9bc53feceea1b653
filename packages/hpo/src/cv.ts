// Cross-validated objectives: evaluate folds in order, report the running aggregate after each
// fold (step = fold index) and prune between folds when the study's pruner says so.
import { HpoError } from './errors.js';
import { type ObjectiveTrial, TrialPruned } from './trial.js';

/** Options of `kFoldObjective`. */
export interface KFoldObjectiveOptions<T extends ObjectiveTrial = ObjectiveTrial> {
  /** Number of folds (≥ 2). */
  k: number;
  /** Scores one fold (0-based) with the trial's parameters; must return a finite number. */
  evaluateFold: (trial: T, fold: number) => number | Promise<number>;
  /** How fold scores combine. @default 'mean' */
  aggregate?: 'mean' | 'median';
  /** Report the running aggregate and ask the pruner after each fold. @default true */
  prune?: boolean;
}

function aggregateScores(scores: readonly number[], how: 'mean' | 'median'): number {
  if (how === 'mean') return scores.reduce((sum, s) => sum + s, 0) / scores.length;
  const sorted = [...scores].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * An objective that runs `evaluateFold` for folds 0..k-1 and returns the aggregate score. After
 * fold i it reports the aggregate of folds 0..i at step i; when `shouldPrune()` is true it throws
 * `TrialPruned` so the remaining folds are skipped.
 */
export function kFoldObjective<T extends ObjectiveTrial = ObjectiveTrial>(
  options: KFoldObjectiveOptions<T>,
): (trial: T) => Promise<number> {
  const {
    k,
    evaluateFold,
    aggregate = 'mean',
    prune = true,
  } = options ?? ({} as KFoldObjectiveOptions<T>);
  if (!Number.isSafeInteger(k) || k < 2) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `kFoldObjective: k must be an integer ≥ 2, got ${String(k)}`,
    );
  }
  if (typeof evaluateFold !== 'function') {
    throw new HpoError(
      'INVALID_ARGUMENT',
      'kFoldObjective: evaluateFold must be a function (trial, fold) => score',
    );
  }
  if (aggregate !== 'mean' && aggregate !== 'median') {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `kFoldObjective: aggregate must be 'mean' or 'median', got ${String(aggregate)}`,
    );
  }
  return async (trial) => {
    const scores: number[] = [];
    for (let fold = 0; fold < k; fold++) {
      const score = await evaluateFold(trial, fold);
      if (typeof score !== 'number' || !Number.isFinite(score)) {
        throw new HpoError(
          'INVALID_VALUE',
          `kFoldObjective: evaluateFold returned ${String(score)} for fold ${fold}; return a finite number`,
          { trial: trial.number },
        );
      }
      scores.push(score);
      if (prune && fold < k - 1) {
        await trial.report(aggregateScores(scores, aggregate), fold);
        if (await trial.shouldPrune()) {
          throw new TrialPruned(`pruned after fold ${fold} of ${k}`);
        }
      }
    }
    const result = aggregateScores(scores, aggregate);
    if (prune) await trial.report(result, k - 1);
    return result;
  };
}
