// Wilcoxon pruner (Optuna ≥ 3.6's WilcoxonPruner; Optuna 3.1 has none): for objectives that
// report one score per fold or per sample (step = fold/sample index), prune when a Wilcoxon
// signed-rank test says the trial is worse than the best complete trial on the same steps.
//
// Multi-objective rule: pass `objective`, the index whose direction ranks the reports and picks
// the best trial; without it `prune` throws for multi-objective studies.

import { createRequire } from 'node:module';
import { HpoError } from '../errors.js';
import type { FrozenTrial, Pruner, StudyView } from '../types.js';
import {
  bestTrial,
  checkFinite,
  checkInteger,
  checkObjective,
  rankingDirection,
  reportedSteps,
} from './utils.js';

type NormalDistributions = typeof import('@stdlib/stats-base-dists-normal');
let normalModule: NormalDistributions | undefined;

/** Standard normal CDF; @stdlib's normal module takes ~0.5 s to load, so only on first use. */
function normalCdf(z: number): number {
  normalModule ??= createRequire(import.meta.url)(
    '@stdlib/stats-base-dists-normal',
  ) as NormalDistributions;
  return normalModule.cdf(z, 0, 1);
}

export interface WilcoxonPrunerOptions {
  /** Prune when the one-sided p-value is below this. @default 0.1 */
  pThreshold?: number;
  /** Never prune before this many steps are shared with the best trial. @default 2 */
  nStartupSteps?: number;
  /** Multi-objective studies: index of the objective whose direction ranks the reports. */
  objective?: number;
}

export type WilcoxonAlternative = 'two-sided' | 'greater' | 'less';

export interface WilcoxonResult {
  /** R+ (sum of ranks of positive differences, zeros split half/half); min(R+, R-) for two-sided. */
  statistic: number;
  pvalue: number;
  /** 'exact' (n ≤ 50, no zero and no tied |difference|) or 'approx' (normal, tie-corrected). */
  method: 'exact' | 'approx';
}

/** Average ranks (1-based) of `values`, ties sharing the mean rank. */
function rankData(values: readonly number[]): number[] {
  const order = values.map((v, i) => [v, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(values.length).fill(0);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (
      j + 1 < order.length &&
      (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]
    )
      j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[(order[k] as readonly [number, number])[1]] = rank;
    i = j + 1;
  }
  return ranks;
}

/** P(R+ = k) for k = 0..n(n+1)/2 under H0: counts of subsets of {1..n} summing to k over 2^n. */
function signedRankPmf(n: number): number[] {
  const max = (n * (n + 1)) / 2;
  const counts = new Array<number>(max + 1).fill(0);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) {
    for (let k = max; k >= r; k--) counts[k] = (counts[k] as number) + (counts[k - r] as number);
  }
  const total = 2 ** n;
  return counts.map((c) => c / total);
}

/**
 * One-sample Wilcoxon signed-rank test of `diffs` (scipy's `wilcoxon(d, zero_method="zsplit")`):
 * 'greater' tests whether the differences tend to be positive. Exact distribution for n ≤ 50
 * without zeros or ties, normal approximation with tie correction otherwise (scipy ≥ 1.13's
 * `method="auto"`; scipy 1.10 also used the exact table with ties).
 */
export function wilcoxonSignedRankTest(
  diffs: readonly number[],
  alternative: WilcoxonAlternative = 'two-sided',
): WilcoxonResult {
  if (diffs.length === 0) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      'wilcoxonSignedRankTest: diffs is empty; pass at least one difference.',
    );
  }
  diffs.forEach((d, i) => {
    if (!Number.isFinite(d)) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `wilcoxonSignedRankTest: diffs[${i}] is ${d}; pass finite numbers only.`,
      );
    }
  });
  const n = diffs.length;
  const ranks = rankData(diffs.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  let nZero = 0;
  diffs.forEach((d, i) => {
    const r = ranks[i] as number;
    if (d > 0) rPlus += r;
    else if (d < 0) rMinus += r;
    else {
      nZero++;
      rPlus += r / 2;
      rMinus += r / 2;
    }
  });
  const statistic = alternative === 'two-sided' ? Math.min(rPlus, rMinus) : rPlus;
  const hasTies = new Set(ranks).size < n;

  if (n <= 50 && nZero === 0 && !hasTies) {
    const pmf = signedRankPmf(n);
    const sumRange = (from: number, to: number): number => {
      let s = 0;
      for (let k = from; k <= to; k++) s += pmf[k] as number;
      return s;
    };
    const last = pmf.length - 1;
    let p: number;
    if (alternative === 'greater') p = sumRange(rPlus, last);
    else if (alternative === 'less') p = sumRange(0, rPlus);
    else if (rPlus === last / 2) p = 1;
    else p = 2 * Math.min(sumRange(rPlus, last), sumRange(0, rPlus));
    return { statistic, pvalue: Math.min(Math.max(p, 0), 1), method: 'exact' };
  }

  const mean = (n * (n + 1)) / 4;
  let variance = n * (n + 1) * (2 * n + 1);
  const tieSizes = new Map<number, number>();
  for (const r of ranks) tieSizes.set(r, (tieSizes.get(r) ?? 0) + 1);
  for (const t of tieSizes.values()) if (t > 1) variance -= 0.5 * t * (t * t - 1);
  const se = Math.sqrt(variance / 24);
  const z = (statistic - mean) / se;
  let p: number;
  if (alternative === 'greater') p = normalCdf(-z);
  else if (alternative === 'less') p = normalCdf(z);
  else p = 2 * normalCdf(-Math.abs(z));
  return { statistic, pvalue: p, method: 'approx' };
}

/** Prunes when the trial's per-step scores are significantly worse than the best trial's. */
export function createWilcoxonPruner(options: WilcoxonPrunerOptions = {}): Pruner {
  const factory = 'createWilcoxonPruner';
  const { pThreshold = 0.1, nStartupSteps = 2, objective } = options;
  checkFinite(factory, 'pThreshold', pThreshold);
  if (pThreshold < 0 || pThreshold > 1) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${factory}: option pThreshold must be in [0, 1], got ${pThreshold}.`,
    );
  }
  checkInteger(factory, 'nStartupSteps', nStartupSteps, 0);
  checkObjective(factory, objective);

  return {
    name: 'wilcoxon',
    prune(study: StudyView, trial: FrozenTrial): boolean {
      const direction = rankingDirection('wilcoxon', study, objective);
      const current = reportedSteps(trial);
      // Non-finite scores cannot be ranked; Optuna declines to prune rather than guess.
      if (current.length === 0 || current.some(([, v]) => !Number.isFinite(v))) return false;
      const best = bestTrial(study, direction, objective);
      if (best === undefined || best.number === trial.number) return false;
      const reference = reportedSteps(best);
      if (reference.length === 0 || reference.some(([, v]) => !Number.isFinite(v))) return false;

      const referenceByStep = new Map(reference);
      const diffs: number[] = [];
      for (const [step, value] of current) {
        const other = referenceByStep.get(step);
        if (other !== undefined) diffs.push(value - other);
      }
      if (diffs.length === 0 || diffs.length < nStartupSteps) return false;

      const mean = (pairs: Array<[number, number]>): number =>
        pairs.reduce((s, [, v]) => s + v, 0) / pairs.length;
      const alternative = direction === 'maximize' ? 'less' : 'greater';
      // Safety net from Optuna: never prune a trial whose average beats the best trial's.
      const averageIsBest =
        direction === 'maximize'
          ? mean(reference) <= mean(current)
          : mean(reference) >= mean(current);
      const { pvalue } = wilcoxonSignedRankTest(diffs, alternative);
      return pvalue < pThreshold && !averageIsBest;
    },
  };
}
