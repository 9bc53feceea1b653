// NSGA-II sampler with Optuna 3.1 semantics: generations recorded in each trial's systemAttrs,
// elitist selection by non-dominated sort and crowding distance, binary tournaments, uniform /
// BLX-α / SBX crossover, per-parameter mutation (resampled at random), constrained domination.

import { contains, isSingle } from '../distributions.js';
import { HpoError } from '../errors.js';
import { dominates as paretoDominates } from '../multi-objective.js';
import type {
  Distribution,
  FrozenTrial,
  ParamValue,
  Sampler,
  StudyDirection,
  StudyView,
} from '../types.js';
import {
  checkSeed,
  intersectionSearchSpace,
  sampleUniform,
  seededRng,
  transformedBounds,
  transformValue,
  violation,
} from './sampler-utils.js';

/** systemAttrs key holding the generation a trial was sampled for. */
export const NSGA2_GENERATION_KEY = 'nsga2:generation';

export type Nsga2Crossover = 'uniform' | 'blxalpha' | 'sbx';

export interface Nsga2SamplerOptions {
  /** Seed of the sampler's RNG. */
  seed?: number;
  /** Individuals per generation (≥ 2). @default 50 */
  populationSize?: number;
  /** Probability of resampling each parameter at random. @default 1 / number of parameters */
  mutationProb?: number;
  /** How two parents mix their numeric parameters. @default 'uniform' */
  crossover?: Nsga2Crossover;
  /** Probability of crossover; otherwise a parent is copied. @default 0.9 */
  crossoverProb?: number;
  /** Probability of taking a gene from the second parent in uniform crossover. @default 0.5 */
  swappingProb?: number;
  /** Spread of BLX-α crossover. @default 0.5 */
  blxAlpha?: number;
  /** Distribution index of SBX. @default 20 for several objectives, 2 for one */
  sbxEta?: number;
  /**
   * Constraint values of a finished trial (feasible when all ≤ 0); trials that carry
   * `constraints` use those. Turns on constrained domination.
   */
  constraintsFunc?: (trial: FrozenTrial) => readonly number[];
}

interface Context {
  directions: readonly StudyDirection[];
  signs: number[];
  constrained: boolean;
  constraintsOf: (t: FrozenTrial) => readonly number[] | undefined;
}

function losses(t: FrozenTrial, signs: readonly number[]): number[] {
  return (t.values ?? []).map((v, i) => (signs[i] ?? 1) * v);
}

function dominates(a: FrozenTrial, b: FrozenTrial, ctx: Context): boolean {
  if (!ctx.constrained) {
    if (a.state !== 'complete') return false;
    if (b.state !== 'complete') return true;
    return paretoDominates(a.values ?? [], b.values ?? [], ctx.directions);
  }
  // Deb's constrained domination: feasible beats infeasible, smaller violation beats larger.
  const ca = ctx.constraintsOf(a);
  const cb = ctx.constraintsOf(b);
  if (ca === undefined && cb === undefined) {
    return dominates(a, b, { ...ctx, constrained: false });
  }
  if (ca !== undefined && cb === undefined) return true;
  if (ca === undefined) return false;
  if (cb === undefined) return true;
  if (ca.length !== cb.length) {
    throw new HpoError(
      'INVALID_VALUE',
      `trials #${a.number} and #${b.number} have ${ca.length} and ${cb.length} constraints; return the same number for every trial`,
    );
  }
  if (a.state !== 'complete') return false;
  if (b.state !== 'complete') return true;
  const va = violation(ca);
  const vb = violation(cb);
  if (va === 0 && vb === 0) return paretoDominates(a.values ?? [], b.values ?? [], ctx.directions);
  if (va === 0) return true;
  if (vb === 0) return false;
  return va < vb;
}

/** Fronts of the population, best first (Deb's fast non-dominated sort). */
function nonDominatedSort(population: FrozenTrial[], ctx: Context): FrozenTrial[][] {
  const n = population.length;
  const count = new Array<number>(n).fill(0);
  const dominated: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const p = population[i] as FrozenTrial;
      const q = population[j] as FrozenTrial;
      if (dominates(p, q, ctx)) {
        (dominated[i] as number[]).push(j);
        count[j] = (count[j] as number) + 1;
      } else if (dominates(q, p, ctx)) {
        (dominated[j] as number[]).push(i);
        count[i] = (count[i] as number) + 1;
      }
    }
  }
  const fronts: FrozenTrial[][] = [];
  let current: number[] = [];
  for (let i = 0; i < n; i++) if (count[i] === 0) current.push(i);
  while (current.length > 0) {
    fronts.push(current.map((i) => population[i] as FrozenTrial));
    const next: number[] = [];
    for (const i of current) {
      for (const j of dominated[i] as number[]) {
        count[j] = (count[j] as number) - 1;
        if (count[j] === 0) next.push(j);
      }
    }
    current = next;
  }
  return fronts;
}

/** Optuna's crowding distance: per objective, neighbour gap over the finite value range. */
export function crowdingDistances(front: readonly (readonly number[])[]): number[] {
  const n = front.length;
  const dist = new Array<number>(n).fill(0);
  if (n === 0) return dist;
  const m = (front[0] as readonly number[]).length;
  for (let k = 0; k < m; k++) {
    const order = Array.from(front.keys()).sort(
      (a, b) => ((front[a] as number[])[k] as number) - ((front[b] as number[])[k] as number),
    );
    const vs = [
      Number.NEGATIVE_INFINITY,
      ...order.map((i) => (front[i] as number[])[k] as number),
      Number.POSITIVE_INFINITY,
    ];
    if (vs[1] === vs[n]) continue;
    const finite = vs.filter((v) => Number.isFinite(v));
    let width = finite.length > 0 ? Math.max(...finite) - Math.min(...finite) : 0;
    if (width <= 0) width = 1;
    for (let j = 0; j < n; j++) {
      const lo = vs[j] as number;
      const hi = vs[j + 2] as number;
      const gap = lo === hi ? 0 : hi - lo;
      const i = order[j] as number;
      dist[i] = (dist[i] as number) + gap / width;
    }
  }
  return dist;
}

/** Creates Optuna's NSGAIISampler. */
export function createNsga2Sampler(options: Nsga2SamplerOptions = {}): Sampler {
  const {
    seed,
    populationSize = 50,
    mutationProb,
    crossover = 'uniform',
    crossoverProb = 0.9,
    swappingProb = 0.5,
    blxAlpha = 0.5,
    sbxEta,
    constraintsFunc,
  } = options;
  checkSeed(seed, 'createNsga2Sampler');
  if (!Number.isInteger(populationSize) || populationSize < 2) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createNsga2Sampler: populationSize must be an integer ≥ 2, got ${populationSize}`,
    );
  }
  const probability = (name: string, v: number | undefined): void => {
    if (v !== undefined && !(v >= 0 && v <= 1)) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `createNsga2Sampler: ${name} must be in [0, 1], got ${v}`,
      );
    }
  };
  probability('mutationProb', mutationProb);
  probability('crossoverProb', crossoverProb);
  probability('swappingProb', swappingProb);
  if (!['uniform', 'blxalpha', 'sbx'].includes(crossover)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createNsga2Sampler: unknown crossover "${crossover}"; use 'uniform', 'blxalpha' or 'sbx'`,
    );
  }
  const rng = seededRng(seed, 'nsga2');
  const randomRng = seededRng(seed, 'nsga2-random');
  // Elite selections are pure functions of the trials involved; memoised per process.
  const eliteCache = new Map<string, number[]>();

  function context(study: StudyView): Context {
    const constraintsOf = (t: FrozenTrial) => t.constraints ?? constraintsFunc?.(t);
    return {
      directions: study.directions,
      signs: study.directions.map((d) => (d === 'minimize' ? 1 : -1)),
      constrained:
        constraintsFunc !== undefined || study.trials.some((t) => t.constraints !== undefined),
      constraintsOf,
    };
  }

  function selectElite(population: FrozenTrial[], ctx: Context): FrozenTrial[] {
    const elite: FrozenTrial[] = [];
    for (const front of nonDominatedSort(population, ctx)) {
      if (elite.length + front.length < populationSize) {
        elite.push(...front);
        continue;
      }
      const d = crowdingDistances(front.map((t) => losses(t, ctx.signs)));
      const order = Array.from(front.keys()).sort((a, b) => (d[b] as number) - (d[a] as number));
      for (const i of order.slice(0, populationSize - elite.length))
        elite.push(front[i] as FrozenTrial);
      break;
    }
    return elite;
  }

  function parentPopulation(study: StudyView, ctx: Context): [number, FrozenTrial[]] {
    const byGeneration = new Map<number, FrozenTrial[]>();
    for (const t of study.trials) {
      const g = t.systemAttrs[NSGA2_GENERATION_KEY];
      if (typeof g !== 'number' || t.state !== 'complete') continue;
      const list = byGeneration.get(g) ?? [];
      list.push(t);
      byGeneration.set(g, list);
    }
    const byNumber = new Map(study.trials.map((t) => [t.number, t]));
    let parentGeneration = -1;
    let parents: FrozenTrial[] = [];
    for (;;) {
      const generation = parentGeneration + 1;
      const population = byGeneration.get(generation) ?? [];
      if (population.length < populationSize) break;
      const key = `${generation}|${population.map((t) => t.number).join(',')}|${parents.map((t) => t.number).join(',')}`;
      const cached = eliteCache.get(key);
      const elite =
        cached?.map((n) => byNumber.get(n) as FrozenTrial) ??
        selectElite([...population, ...parents], ctx);
      if (cached === undefined)
        eliteCache.set(
          key,
          elite.map((t) => t.number),
        );
      parentGeneration = generation;
      parents = elite;
    }
    return [parentGeneration, parents];
  }

  function tournament(pool: FrozenTrial[], ctx: Context): FrozenTrial {
    const a = pool[rng.int(pool.length)] as FrozenTrial;
    const b = pool[rng.int(pool.length)] as FrozenTrial;
    return dominates(a, b, ctx) ? a : b;
  }

  function numericCrossover(
    p0: Float64Array,
    p1: Float64Array,
    bounds: [number, number][],
    multiObjective: boolean,
  ): Float64Array {
    const n = bounds.length;
    const child = new Float64Array(n);
    if (crossover === 'uniform') {
      for (let i = 0; i < n; i++)
        child[i] = rng.next() >= swappingProb ? (p1[i] as number) : (p0[i] as number);
      return child;
    }
    if (crossover === 'blxalpha') {
      for (let i = 0; i < n; i++) {
        const lo = Math.min(p0[i] as number, p1[i] as number);
        const hi = Math.max(p0[i] as number, p1[i] as number);
        const d = blxAlpha * (hi - lo);
        child[i] = lo - d + (hi - lo + 2 * d) * rng.next();
      }
      return child;
    }
    // SBX (Deb & Agrawal), bounded form as in Optuna's SBXCrossover.
    const eta = sbxEta ?? (multiObjective ? 20 : 2);
    const c1 = new Float64Array(n);
    const c2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const [xl, xu] = bounds[i] as [number, number];
      const xmin = Math.min(p0[i] as number, p1[i] as number);
      const xmax = Math.max(p0[i] as number, p1[i] as number);
      const diff = Math.max(xmax - xmin, 1e-10);
      const beta1 = 1 + (2 * (xmin - xl)) / diff;
      const beta2 = 1 + (2 * (xu - xmax)) / diff;
      const alpha1 = 2 - beta1 ** -(eta + 1);
      const alpha2 = 2 - beta2 ** -(eta + 1);
      const u = rng.next();
      const bq1 =
        u > 1 / alpha1
          ? (1 / (2 - u * alpha1)) ** (1 / (eta + 1))
          : (u * alpha1) ** (1 / (eta + 1));
      const bq2 =
        u > 1 / alpha2
          ? (1 / (2 - u * alpha2)) ** (1 / (eta + 1))
          : (u * alpha2) ** (1 / (eta + 1));
      c1[i] = 0.5 * (xmin + xmax - bq1 * diff);
      c2[i] = 0.5 * (xmin + xmax + bq2 * diff);
    }
    for (let i = 0; i < n; i++) {
      if (rng.next() < 0.5) child[i] = rng.next() < 0.5 ? (c1[i] as number) : (c2[i] as number);
      else child[i] = rng.next() < 0.5 ? (p0[i] as number) : (p1[i] as number);
    }
    return child;
  }

  function untransformNumeric(dist: Distribution, t: number): ParamValue {
    if (dist.type === 'categorical') return null;
    if (dist.type === 'float') {
      if (dist.step !== undefined && !dist.log) {
        const k = Math.round((t - dist.low) / dist.step);
        return Math.min(Math.max(dist.low + k * dist.step, dist.low), dist.high);
      }
      // Like Optuna: clipped above only, so children below `low` are rejected and redrawn.
      const v = dist.log ? Math.exp(t) : t;
      return dist.low === dist.high ? v : Math.min(v, dist.high);
    }
    const v = dist.log
      ? Math.round(Math.exp(t))
      : Math.round((t - dist.low) / dist.step) * dist.step + dist.low;
    return Math.min(Math.max(v, dist.low), dist.high);
  }

  function crossoverChild(
    study: StudyView,
    parents: FrozenTrial[],
    space: Record<string, Distribution>,
    ctx: Context,
  ): Record<string, ParamValue> {
    const names = Object.keys(space);
    const numeric = names.filter((n) => (space[n] as Distribution).type !== 'categorical');
    const categorical = names.filter((n) => (space[n] as Distribution).type === 'categorical');
    const bounds = numeric.map((n) => transformedBounds(space[n] as Distribution));
    for (let attempt = 0; ; attempt++) {
      const first = tournament(parents, ctx);
      const rest = parents.filter((t) => t !== first);
      const second = tournament(rest.length > 0 ? rest : parents, ctx);
      const child: Record<string, ParamValue> = {};
      for (const name of categorical) {
        child[name] = (rng.next() >= swappingProb ? second : first).params[name] ?? null;
      }
      const vec = (t: FrozenTrial) =>
        Float64Array.from(numeric, (n) =>
          transformValue(space[n] as Distribution, t.params[n] as number),
        );
      const c = numericCrossover(vec(first), vec(second), bounds, study.directions.length > 1);
      numeric.forEach((name, i) => {
        child[name] = untransformNumeric(space[name] as Distribution, c[i] as number);
      });
      const ok = names.every((n) => contains(space[n] as Distribution, child[n] ?? null));
      if (ok) return child;
      if (attempt >= 1000) {
        // Pathological bounds: give up on crossover for the offending genes.
        for (const n of names) {
          if (!contains(space[n] as Distribution, child[n] ?? null)) {
            child[n] = first.params[n] ?? null;
          }
        }
        return child;
      }
    }
  }

  return {
    name: 'nsga2',

    inferRelativeSearchSpace(study) {
      const out: Record<string, Distribution> = {};
      for (const [name, d] of Object.entries(intersectionSearchSpace(study.trials, ['complete']))) {
        if (!isSingle(d)) out[name] = d;
      }
      return out;
    },

    sampleRelative(study, trial, searchSpace) {
      const ctx = context(study);
      const [parentGeneration, parents] = parentPopulation(study, ctx);
      // The study persists systemAttrs written here (see report: contract note).
      trial.systemAttrs[NSGA2_GENERATION_KEY] = parentGeneration + 1;
      if (parentGeneration < 0 || Object.keys(searchSpace).length === 0) return {};
      let child: Record<string, ParamValue>;
      if (rng.next() < crossoverProb) {
        child = crossoverChild(study, parents, searchSpace, ctx);
      } else {
        const p = parents[rng.int(parents.length)] as FrozenTrial;
        child = {};
        for (const name of Object.keys(searchSpace)) child[name] = p.params[name] ?? null;
      }
      const names = Object.keys(child);
      const pm = mutationProb ?? 1 / Math.max(1, names.length);
      const params: Record<string, ParamValue> = {};
      // A mutated parameter is left out, so the study samples it independently (at random).
      for (const name of names) if (rng.next() >= pm) params[name] = child[name] ?? null;
      return params;
    },

    sampleIndependent(_study, _trial, _name, distribution) {
      return sampleUniform(randomRng, distribution);
    },
  };
}
