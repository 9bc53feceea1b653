// Multi-objective helpers: Pareto dominance, Deb's constrained domination (as in Optuna's NSGA-II)
// and non-dominated sorting, used for `study.bestTrials()` and available to samplers/analysis.
import { HpoError } from './errors.js';
import type { FrozenTrial, StudyDirection } from './types.js';

function checkLengths(
  a: readonly number[],
  b: readonly number[],
  directions: readonly StudyDirection[],
) {
  if (a.length !== directions.length || b.length !== directions.length) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `dominance needs one value per direction (${directions.length}), got ${a.length} and ${b.length}`,
    );
  }
}

/** True when `a` is no worse than `b` in every objective and strictly better in at least one. */
export function dominates(
  a: readonly number[],
  b: readonly number[],
  directions: readonly StudyDirection[],
): boolean {
  checkLengths(a, b, directions);
  let better = false;
  for (let i = 0; i < directions.length; i++) {
    const sign = directions[i] === 'maximize' ? -1 : 1;
    const x = sign * (a[i] as number);
    const y = sign * (b[i] as number);
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/** Sum of the positive constraint values: 0 for a feasible trial (or one without constraints). */
export function constraintViolation(constraints: readonly number[] | undefined): number {
  if (!constraints) return 0;
  let total = 0;
  for (const c of constraints) if (c > 0) total += c;
  return total;
}

/** A trial is feasible when it has no constraints or every constraint value is ≤ 0. */
export function isFeasible(trial: Pick<FrozenTrial, 'constraints'>): boolean {
  return (trial.constraints ?? []).every((c) => c <= 0);
}

/**
 * Deb's constrained domination (Optuna's `_constrained_dominates`): a complete trial beats an
 * unfinished one, a feasible one beats an infeasible one, two infeasible ones compare by total
 * violation, two feasible ones by Pareto dominance. A trial without constraints counts as feasible.
 */
export function constrainedDominates(
  a: Pick<FrozenTrial, 'state' | 'values' | 'constraints'>,
  b: Pick<FrozenTrial, 'state' | 'values' | 'constraints'>,
  directions: readonly StudyDirection[],
): boolean {
  const aComplete = a.state === 'complete' && a.values !== undefined;
  const bComplete = b.state === 'complete' && b.values !== undefined;
  if (!aComplete) return false;
  if (!bComplete) return true;
  const aFeasible = isFeasible(a);
  const bFeasible = isFeasible(b);
  if (aFeasible && bFeasible) return dominates(a.values ?? [], b.values ?? [], directions);
  if (aFeasible !== bFeasible) return aFeasible;
  return constraintViolation(a.constraints) < constraintViolation(b.constraints);
}

/**
 * Non-dominated sorting: returns fronts of indices into `points`, best front first (front 0 is
 * the Pareto front). Equal points share a front.
 */
export function nonDominatedSort(
  points: readonly (readonly number[])[],
  directions: readonly StudyDirection[],
): number[][] {
  const n = points.length;
  const dominatedBy = new Array<number>(n).fill(0);
  const dominatesList: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const p = points[i] as readonly number[];
      const q = points[j] as readonly number[];
      if (dominates(p, q, directions)) {
        dominatesList[i]?.push(j);
        dominatedBy[j] = (dominatedBy[j] ?? 0) + 1;
      } else if (dominates(q, p, directions)) {
        dominatesList[j]?.push(i);
        dominatedBy[i] = (dominatedBy[i] ?? 0) + 1;
      }
    }
  }
  const fronts: number[][] = [];
  let current = [...Array(n).keys()].filter((i) => dominatedBy[i] === 0);
  while (current.length > 0) {
    fronts.push(current);
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominatesList[i] ?? []) {
        dominatedBy[j] = (dominatedBy[j] ?? 0) - 1;
        if (dominatedBy[j] === 0) next.push(j);
      }
    }
    current = next.sort((x, y) => x - y);
  }
  return fronts;
}

/**
 * The complete trials that no other complete trial constrained-dominates, in number order: the
 * feasible Pareto front when any trial is feasible, else the least-violating trials.
 */
export function paretoFront<T extends Pick<FrozenTrial, 'state' | 'values' | 'constraints'>>(
  trials: readonly T[],
  directions: readonly StudyDirection[],
): T[] {
  const complete = trials.filter((t) => t.state === 'complete' && t.values !== undefined);
  return complete.filter(
    (candidate) => !complete.some((other) => constrainedDominates(other, candidate, directions)),
  );
}
