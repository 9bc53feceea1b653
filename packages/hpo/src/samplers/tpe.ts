// Tree-structured Parzen Estimator sampler with Optuna 3.1 semantics: univariate or multivariate
// (optionally group-decomposed) kernels, pruned trials ranked by their last report, constant liar,
// constraints, and multi-objective splits by Pareto rank plus hypervolume contribution.

import type { Rng } from '@ft/data';
import { fromInternal, isSingle, toInternal } from '../distributions.js';
import { HpoError } from '../errors.js';
import { nonDominatedSort } from '../multi-objective.js';
import type {
  Distribution,
  FrozenTrial,
  ParamValue,
  Sampler,
  StudyView,
  TrialState,
} from '../types.js';
import { numpyRandomState } from './numpy-random.js';
import {
  checkSeed,
  groupDecomposedSearchSpace,
  hypervolume,
  intersectionSearchSpace,
  lastIntermediate,
  osSeed,
  referencePoint,
  sampleUniform,
  seededRng,
  violation,
} from './sampler-utils.js';
import { createParzenEstimator, type ParzenEstimatorParameters } from './tpe/parzen-estimator.js';

const EPS = 1e-12;
const SPACE_STATES: readonly TrialState[] = ['complete', 'pruned'];

/** Optuna's default: the best 10% of trials (rounded up, at most 25) form the "good" group. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** hyperopt 0.1.2's split size: ceil(0.25·√n), at most 25. */
export function hyperoptDefaultGamma(n: number): number {
  return Math.min(Math.ceil(0.25 * Math.sqrt(n)), 25);
}

/** Optuna's default weights: flat for the newest 25 observations, a linear ramp before them. */
export function defaultWeights(n: number): Float64Array {
  const w = new Float64Array(n).fill(1);
  if (n < 25) return w;
  const ramp = n - 25;
  // np.linspace(1/n, 1, num=n-25)
  for (let i = 0; i < ramp; i++) {
    w[i] = ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1);
  }
  return w;
}

export interface TpeSamplerOptions {
  /** Seed of the sampler's RNG; the same seed and trial history give the same suggestions. */
  seed?: number;
  /**
   * Where the random numbers come from. 'numpy': NumPy's legacy `RandomState(seed)` stream, the one
   * Optuna 3.1's `TPESampler(seed=seed)` draws from — with the same seed and history the two make
   * the same suggestions (float, int, stepped and log parameters; exact ties between categorical
   * scores may break differently, as they depend on BLAS summation order in Optuna). Useful to
   * compare with, or migrate from, Optuna run for run. @default 'ft' (our seeded generator)
   */
  randomSource?: 'ft' | 'numpy';
  /** Trials sampled at random before TPE takes over. @default 10 */
  nStartupTrials?: number;
  /** Candidates drawn from the "good" density per suggestion. @default 24 */
  nEiCandidates?: number;
  /** Size of the "good" group given the number of finished trials. @default defaultGamma */
  gamma?: (n: number) => number;
  /** Observation weights, oldest first. @default defaultWeights */
  weights?: (n: number) => ArrayLike<number>;
  /** Add a prior component to each density. @default true */
  considerPrior?: boolean;
  /** Weight of the prior component. @default 1 */
  priorWeight?: number;
  /** Let edge kernels reach the search-space bounds. @default false */
  considerEndpoints?: boolean;
  /** Floor kernel widths at range / min(100, n + 1). @default true */
  considerMagicClip?: boolean;
  /**
   * Properly normalised continuous kernels (Optuna ≥ 3.5). Optuna 3.1 omits the −log σ term of
   * each kernel's density; `false` reproduces 3.1. @default false
   */
  normalizedKernels?: boolean;
  /** Sample all parameters of the intersection search space jointly. @default false */
  multivariate?: boolean;
  /** With `multivariate`, sample groups of co-occurring parameters jointly. @default false */
  group?: boolean;
  /** Treat running trials as the worst results so parallel workers spread out. @default false */
  constantLiar?: boolean;
  /**
   * Constraint values of a finished trial (feasible when all ≤ 0). Trials that carry
   * `constraints` use those; when neither is there, constraints are off.
   */
  constraintsFunc?: (trial: FrozenTrial) => readonly number[];
  /** Warn when a parameter falls back to independent sampling in multivariate mode. @default true */
  warnIndependentSampling?: boolean;
  /** Where warnings go. @default console.warn */
  logger?: (message: string) => void;
}

/** A trial's parameter in internal form; NaN when it is not a valid value (Optuna skips those). */
function internalOrNaN(dist: Distribution | undefined, value: ParamValue | undefined): number {
  if (dist === undefined || value === undefined) return Number.NaN;
  try {
    return toInternal(dist, value);
  } catch {
    return Number.NaN;
  }
}

/** A loss key: Optuna's (−step, value) so complete trials (step −∞) rank before pruned ones. */
interface Score {
  step: number;
  values: number[];
}

interface Observations {
  /** Per parameter: internal values per observed trial, NaN where the trial lacks it. */
  values: Record<string, Float64Array>;
  scores: Score[];
  violations: Float64Array | undefined;
  /** Complete and pruned trials (running ones under constant liar are not counted). */
  nFinished: number;
}

function getObservations(
  study: StudyView,
  names: readonly string[],
  constantLiar: boolean,
  constraintsFunc: ((trial: FrozenTrial) => readonly number[]) | undefined,
): Observations {
  const signs = study.directions.map((d) => (d === 'minimize' ? 1 : -1));
  const multi = study.directions.length > 1;
  const sign0 = signs[0] ?? 1;
  const picked: FrozenTrial[] = [];
  const scores: Score[] = [];
  let constraintsOn = constraintsFunc !== undefined;
  let nFinished = 0;
  for (const trial of study.trials) {
    let score: Score;
    if (trial.state === 'complete') {
      if (trial.values === undefined) continue;
      score = {
        step: Number.NEGATIVE_INFINITY,
        values: trial.values.map((v, i) => (signs[i] ?? 1) * v),
      };
      nFinished++;
    } else if (trial.state === 'pruned') {
      if (multi) continue;
      const last = lastIntermediate(trial);
      if (last === undefined) score = { step: 1, values: [0] };
      else if (Number.isNaN(last[1]))
        score = { step: -last[0], values: [Number.POSITIVE_INFINITY] };
      else score = { step: -last[0], values: [sign0 * last[1]] };
      nFinished++;
    } else if (trial.state === 'running' && constantLiar) {
      if (multi) continue;
      score = { step: Number.POSITIVE_INFINITY, values: [Number.POSITIVE_INFINITY] };
    } else {
      continue;
    }
    if (trial.constraints !== undefined) constraintsOn = true;
    picked.push(trial);
    scores.push(score);
  }
  const values: Record<string, Float64Array> = {};
  for (const name of names) {
    const arr = new Float64Array(picked.length);
    for (let i = 0; i < picked.length; i++) {
      const t = picked[i] as FrozenTrial;
      arr[i] = internalOrNaN(t.distributions[name], t.params[name]);
    }
    values[name] = arr;
  }
  let violations: Float64Array | undefined;
  if (constraintsOn) {
    violations = new Float64Array(picked.length);
    for (let i = 0; i < picked.length; i++) {
      const t = picked[i] as FrozenTrial;
      violations[i] =
        t.state === 'running'
          ? Number.POSITIVE_INFINITY
          : violation(t.constraints ?? constraintsFunc?.(t));
    }
  }
  return { values, scores, violations, nFinished };
}

/** Greedy hypervolume subset selection (Optuna's `_solve_hssp`). */
function solveHssp(
  losses: number[][],
  indices: number[],
  subsetSize: number,
  reference: number[],
): number[] {
  const contributions = losses.map((l) => hypervolume([l], reference));
  const selectedVecs: number[][] = [];
  const selected: number[] = [];
  let hvSelected = 0;
  while (selected.length < subsetSize) {
    let best = 0;
    for (let j = 1; j < contributions.length; j++) {
      if ((contributions[j] as number) > (contributions[best] as number)) best = j;
    }
    contributions[best] = -1;
    const vec = losses[best] as number[];
    for (let j = 0; j < losses.length; j++) {
      if (contributions[j] === -1) continue;
      const p = vec.map((v, k) => Math.max(v, (losses[j] as number[])[k] as number));
      contributions[j] =
        (contributions[j] as number) - (hypervolume([...selectedVecs, p], reference) - hvSelected);
    }
    selectedVecs.push(vec);
    selected.push(indices[best] as number);
    hvSelected = hypervolume(selectedVecs, reference);
  }
  return selected;
}

/** Splits observation indices into the good (below) and bad (above) groups, each sorted. */
export function splitObservations(
  scores: readonly Score[],
  nBelow: number,
  violations: Float64Array | undefined,
): { below: number[]; above: number[] } {
  if (violations !== undefined) {
    const order = Array.from(violations.keys()).sort(
      (a, b) => (violations[a] as number) - (violations[b] as number) || a - b,
    );
    const pivot = order[nBelow];
    if (nBelow >= order.length || (pivot !== undefined && (violations[pivot] as number) > 0)) {
      return {
        below: order.slice(0, nBelow).sort((a, b) => a - b),
        above: order.slice(nBelow).sort((a, b) => a - b),
      };
    }
    const feasible: number[] = [];
    const infeasible: number[] = [];
    for (let i = 0; i < violations.length; i++) {
      if (violations[i] === 0) feasible.push(i);
      else infeasible.push(i);
    }
    const inner = splitObservations(
      feasible.map((i) => scores[i] as Score),
      nBelow,
      undefined,
    );
    return {
      below: inner.below.map((i) => feasible[i] as number).sort((a, b) => a - b),
      above: [...inner.above.map((i) => feasible[i] as number), ...infeasible].sort(
        (a, b) => a - b,
      ),
    };
  }
  const nObjectives = scores[0]?.values.length ?? 1;
  if (nObjectives <= 1) {
    const n = scores.length;
    const steps = new Float64Array(n);
    const vals = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const sc = scores[i] as Score;
      steps[i] = sc.step;
      // NaN ranks last, as in numpy's sort.
      const v = sc.values[0] as number;
      vals[i] = Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
    }
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort(
      (a, b) =>
        (steps[a] as number) - (steps[b] as number) ||
        (vals[a] as number) - (vals[b] as number) ||
        a - b,
    );
    const below = Array.from(order.subarray(0, nBelow)).sort((a, b) => a - b);
    const above = Array.from(order.subarray(nBelow)).sort((a, b) => a - b);
    return { below, above };
  }
  const losses = scores.map((s) => s.values);
  // Losses are already minimised, so every direction is 'minimize' here.
  const ranks = new Array<number>(losses.length).fill(-1);
  const minimize = losses[0]?.map(() => 'minimize' as const) ?? [];
  nonDominatedSort(losses, minimize).forEach((front, r) => {
    for (const i of front) ranks[i] = r;
  });
  const below: number[] = [];
  let rank = 0;
  for (;;) {
    const members = ranks.flatMap((r, i) => (r === rank ? [i] : []));
    if (below.length >= nBelow || below.length + members.length > nBelow) break;
    below.push(...members);
    rank++;
  }
  const subsetSize = nBelow - below.length;
  if (subsetSize > 0) {
    const members = ranks.flatMap((r, i) => (r === rank ? [i] : []));
    const memberLosses = members.map((i) => losses[i] as number[]);
    below.push(...solveHssp(memberLosses, members, subsetSize, referencePoint(memberLosses)));
  }
  const belowSet = new Set(below);
  return {
    below: [...below].sort((a, b) => a - b),
    above: Array.from(scores.keys()).filter((i) => !belowSet.has(i)),
  };
}

/** MOTPE weights: each good trial's hypervolume contribution, scaled to a max of 1. */
function multiObjectiveWeights(
  scores: readonly Score[],
  below: readonly number[],
  violations: Float64Array | undefined,
): Float64Array {
  const feasible = below.map((i) => violations === undefined || violations[i] === 0);
  const losses = below.filter((_, k) => feasible[k]).map((i) => (scores[i] as Score).values);
  const out = new Float64Array(below.length).fill(EPS);
  let w: number[];
  if (losses.length === 0) w = [];
  else if (losses.length === 1) w = [1];
  else {
    const ref = referencePoint(losses);
    const total = hypervolume(losses, ref);
    const contributions = losses.map(
      (_, i) =>
        total -
        hypervolume(
          losses.filter((__, j) => j !== i),
          ref,
        ) +
        EPS,
    );
    const max = Math.max(...contributions);
    w = contributions.map((c) => Math.min(Math.max(c / max, 0), 1));
  }
  let k = 0;
  for (let i = 0; i < below.length; i++) if (feasible[i]) out[i] = w[k++] as number;
  return out;
}

/** Creates Optuna's TPESampler. */
export function createTpeSampler(options: TpeSamplerOptions = {}): Sampler {
  const {
    seed,
    randomSource = 'ft',
    nStartupTrials = 10,
    nEiCandidates = 24,
    gamma = defaultGamma,
    weights = defaultWeights,
    considerPrior = true,
    priorWeight = 1,
    considerEndpoints = false,
    considerMagicClip = true,
    normalizedKernels = false,
    multivariate = false,
    group = false,
    constantLiar = false,
    constraintsFunc,
    warnIndependentSampling = true,
    logger = console.warn,
  } = options;
  checkSeed(seed, 'createTpeSampler');
  if (randomSource !== 'ft' && randomSource !== 'numpy') {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createTpeSampler: randomSource must be 'ft' or 'numpy', got ${JSON.stringify(randomSource)}`,
    );
  }
  if (!Number.isInteger(nStartupTrials) || nStartupTrials < 0) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createTpeSampler: nStartupTrials must be an integer ≥ 0, got ${nStartupTrials}`,
    );
  }
  if (!Number.isInteger(nEiCandidates) || nEiCandidates < 1) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createTpeSampler: nEiCandidates must be an integer ≥ 1, got ${nEiCandidates}`,
    );
  }
  if (!(priorWeight > 0) || !Number.isFinite(priorWeight)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createTpeSampler: priorWeight must be a finite number > 0, got ${priorWeight}`,
    );
  }
  if (group && !multivariate) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      'createTpeSampler: `group` needs `multivariate: true`; enable both or neither',
    );
  }
  const parameters: ParzenEstimatorParameters = {
    considerPrior,
    priorWeight,
    considerMagicClip,
    considerEndpoints,
    weights,
    multivariate,
    normalizedKernels,
  };
  // Optuna 3.1 seeds its startup RandomSampler and the TPE RandomState with the same seed, so
  // the first TPE draws replay the startup draws (same uniforms in the same order: one per
  // numeric parameter at startup; nEiCandidates component picks, then as many truncnorm
  // percentiles per TPE suggestion). Two generators on one seed reproduce that coupling, which
  // changes results: Optuna on Rosenbrock-10 (30 seeds × 100 trials) reaches a median best of
  // 2469 with it and 6141 with its startup stream reseeded. Without a seed both streams are
  // independent OS-seeded ones, as in Optuna (seededRng draws a fresh OS seed per call).
  const numpySeed = seed ?? osSeed();
  const stream = () =>
    randomSource === 'numpy' ? numpyRandomState(numpySeed) : seededRng(seed, 'tpe');
  const rng = stream();
  const randomRng = stream();

  function gammaOf(n: number): number {
    const g = gamma(n);
    if (!Number.isInteger(g) || g < 0) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `TPE gamma(${n}) returned ${g}; return an integer ≥ 0`,
      );
    }
    return Math.min(g, n);
  }

  /** One TPE step over `space`: fit l(x) on good and g(x) on bad trials, maximise l/g. */
  function sampleWith(
    study: StudyView,
    space: Record<string, Distribution>,
    obs: Observations,
    sampleRng: Rng,
  ): Record<string, number> {
    const names = Object.keys(space);
    const { below, above } = splitObservations(obs.scores, gammaOf(obs.nFinished), obs.violations);
    const columns = names.map((name) => obs.values[name] as Float64Array);
    const present = (i: number): boolean => columns.every((col) => !Number.isNaN(col[i] as number));
    const belowKept = below.filter(present);
    const aboveKept = above.filter(present);
    const pick = (idx: readonly number[]): Record<string, Float64Array> => {
      const out: Record<string, Float64Array> = {};
      names.forEach((name, k) => {
        const all = columns[k] as Float64Array;
        const picked = new Float64Array(idx.length);
        for (let i = 0; i < idx.length; i++) picked[i] = all[idx[i] as number] as number;
        out[name] = picked;
      });
      return out;
    };
    let weightsBelow: Float64Array | undefined;
    if (study.directions.length > 1) {
      const w = multiObjectiveWeights(obs.scores, below, obs.violations);
      weightsBelow = Float64Array.from(
        below.flatMap((i, k) => (present(i) ? [w[k] as number] : [])),
      );
    }
    const l = createParzenEstimator(pick(belowKept), space, parameters, weightsBelow);
    const g = createParzenEstimator(pick(aboveKept), space, parameters);
    const candidates = l.sample(sampleRng, nEiCandidates);
    const logL = l.logPdf(candidates);
    const logG = g.logPdf(candidates);
    let best = 0;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < nEiCandidates; i++) {
      const s = (logL[i] as number) - (logG[i] as number);
      if (s > bestScore) {
        bestScore = s;
        best = i;
      }
    }
    const out: Record<string, number> = {};
    for (const name of names) out[name] = (candidates[name] as Float64Array)[best] as number;
    return out;
  }

  function relativeSpace(study: StudyView): Record<string, Distribution>[] {
    if (group) {
      return groupDecomposedSearchSpace(study.trials, SPACE_STATES).map((sub) => {
        const kept: Record<string, Distribution> = {};
        for (const name of Object.keys(sub).sort()) {
          const d = sub[name] as Distribution;
          if (!isSingle(d)) kept[name] = d;
        }
        return kept;
      });
    }
    const kept: Record<string, Distribution> = {};
    for (const [name, d] of Object.entries(intersectionSearchSpace(study.trials, SPACE_STATES))) {
      if (!isSingle(d)) kept[name] = d;
    }
    return [kept];
  }

  return {
    name: 'tpe',

    inferRelativeSearchSpace(study) {
      if (!multivariate) return {};
      return Object.assign({}, ...relativeSpace(study)) as Record<string, Distribution>;
    },

    sampleRelative(study, _trial, searchSpace) {
      if (!multivariate || Object.keys(searchSpace).length === 0) return {};
      const spaces = group
        ? relativeSpace(study).map((sub) => {
            const kept: Record<string, Distribution> = {};
            for (const [name, d] of Object.entries(sub)) {
              if (searchSpace[name] !== undefined) kept[name] = d;
            }
            return kept;
          })
        : [searchSpace];
      const params: Record<string, ParamValue> = {};
      for (const space of spaces) {
        const names = Object.keys(space);
        if (names.length === 0) continue;
        const obs = getObservations(study, names, constantLiar, constraintsFunc);
        if (obs.nFinished < nStartupTrials) return {};
        const sampled = sampleWith(study, space, obs, rng);
        for (const name of names)
          params[name] = fromInternal(space[name] as Distribution, sampled[name] as number);
      }
      return params;
    },

    sampleIndependent(study, trial, paramName, distribution) {
      const obs = getObservations(study, [paramName], constantLiar, constraintsFunc);
      if (multivariate && warnIndependentSampling && obs.nFinished >= Math.max(nStartupTrials, 1)) {
        const seen = (obs.values[paramName] as Float64Array).some((v) => !Number.isNaN(v));
        if (seen) {
          logger(
            `[@ft/hpo] trial #${trial.number} param ${paramName}: sampled independently instead of by multivariate TPE (optimisation may be slower); pass warnIndependentSampling: false if this is intended`,
          );
        }
      }
      if (obs.nFinished < nStartupTrials) return sampleUniform(randomRng, distribution);
      const sampled = sampleWith(study, { [paramName]: distribution }, obs, rng);
      return fromInternal(distribution, sampled[paramName] as number);
    },
  };
}
