// Helpers shared by the TPE, CMA-ES and NSGA-II samplers: the transformed (log, half-step) space,
// Optuna-style random sampling, intersection search spaces and hypervolume. Internal/external
// values, single-valued distributions and Pareto dominance come from ../distributions.ts and
// ../multi-objective.ts.

import { createRng, type Rng } from '@ft/data';
import { distributionsEqual, fromInternal } from '../distributions.js';
import { HpoError } from '../errors.js';
import type { Distribution, FrozenTrial, ParamValue, TrialState } from '../types.js';

/** A 32-bit seed from the OS (never Math.random). */
export function osSeed(): number {
  const buf = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buf);
  return buf[0] ?? 0;
}

/** Seeds a sampler RNG; an omitted seed draws one from the OS. */
export function seededRng(seed: number | undefined, stream: string): Rng {
  return createRng(`${seed ?? osSeed()}:${stream}`);
}

/** Checks a sampler's seed option: an integer (or omitted). */
export function checkSeed(seed: number | undefined, sampler: string): void {
  if (seed !== undefined && !Number.isInteger(seed)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${sampler}: seed must be an integer, got ${String(seed)}; pass e.g. { seed: 42 }`,
    );
  }
}

/** Rounds to `low + k*step` and clips to the bounds, as Optuna's untransform does. */
export function roundToStep(value: number, low: number, high: number, step: number): number {
  const k = Math.round((value - low) / step);
  const v = low + k * step;
  return Math.min(Math.max(v, low), high);
}

/**
 * Continuous bounds of a numeric distribution in the space samplers work in: log applied, and
 * half a step added on each side of stepped/int ranges so the end values get fair mass.
 */
export function transformedBounds(dist: Distribution): [number, number] {
  if (dist.type === 'categorical') return [0, dist.choices.length];
  if (dist.type === 'float') {
    if (dist.log) return [Math.log(dist.low), Math.log(dist.high)];
    if (dist.step !== undefined) return [dist.low - 0.5 * dist.step, dist.high + 0.5 * dist.step];
    return [dist.low, dist.high];
  }
  if (dist.log) return [Math.log(dist.low - 0.5), Math.log(dist.high + 0.5)];
  return [dist.low - 0.5 * dist.step, dist.high + 0.5 * dist.step];
}

export function transformValue(dist: Distribution, value: number): number {
  return dist.type !== 'categorical' && dist.log ? Math.log(value) : value;
}

/** Back from the transformed space to a valid value of `dist` (rounded, clipped). */
export function untransformValue(dist: Distribution, t: number): ParamValue {
  if (dist.type === 'categorical') {
    return fromInternal(dist, Math.min(Math.max(Math.floor(t), 0), dist.choices.length - 1));
  }
  if (dist.type === 'float') {
    if (dist.log) return Math.min(Math.max(Math.exp(t), dist.low), dist.high);
    if (dist.step !== undefined) return roundToStep(t, dist.low, dist.high, dist.step);
    return Math.min(Math.max(t, dist.low), dist.high);
  }
  if (dist.log) return Math.min(Math.max(Math.round(Math.exp(t)), dist.low), dist.high);
  return roundToStep(t, dist.low, dist.high, dist.step);
}

/** Optuna's RandomSampler: uniform in the transformed space, then rounded back. */
export function sampleUniform(rng: Rng, dist: Distribution): ParamValue {
  if (dist.type === 'categorical') return dist.choices[rng.int(dist.choices.length)] ?? null;
  const [low, high] = transformedBounds(dist);
  return untransformValue(dist, low + (high - low) * rng.next());
}

/**
 * Optuna's IntersectionSearchSpace: the parameters every finished trial of `states` has, with the
 * same distribution. Sorted by name so joint samplers see a stable order.
 */
export function intersectionSearchSpace(
  trials: readonly FrozenTrial[],
  states: readonly TrialState[],
): Record<string, Distribution> {
  let space: Map<string, Distribution> | undefined;
  for (const t of trials) {
    if (!states.includes(t.state)) continue;
    if (space === undefined) {
      space = new Map(Object.entries(t.distributions));
      continue;
    }
    for (const [name, dist] of space) {
      const other = t.distributions[name];
      if (other === undefined || !distributionsEqual(dist, other)) space.delete(name);
    }
  }
  const out: Record<string, Distribution> = {};
  if (space === undefined) return out;
  for (const name of [...space.keys()].sort()) out[name] = space.get(name) as Distribution;
  return out;
}

/**
 * Optuna's group-decomposed search space: disjoint groups of parameters that always appear
 * together (for conditional spaces), each sampled jointly on its own.
 */
export function groupDecomposedSearchSpace(
  trials: readonly FrozenTrial[],
  states: readonly TrialState[],
): Record<string, Distribution>[] {
  let groups: Record<string, Distribution>[] = [];
  for (const t of trials) {
    if (!states.includes(t.state)) continue;
    const keys = new Set(Object.keys(t.distributions));
    const next: Record<string, Distribution>[] = [];
    for (const group of groups) {
      const inside: Record<string, Distribution> = {};
      const outside: Record<string, Distribution> = {};
      for (const [name, dist] of Object.entries(group)) {
        if (keys.has(name)) inside[name] = dist;
        else outside[name] = dist;
        keys.delete(name);
      }
      next.push(inside, outside);
    }
    const rest: Record<string, Distribution> = {};
    for (const name of keys) rest[name] = t.distributions[name] as Distribution;
    next.push(rest);
    groups = next.filter((g) => Object.keys(g).length > 0);
  }
  return groups;
}

/**
 * Exact hypervolume dominated by `points` (losses) up to `reference`, by slicing along the first
 * objective (HSO). Exponential only in the number of objectives; fine for the few objectives and
 * tens of points the samplers need.
 */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]) {
  const inside = points.filter((p) => p.every((v, i) => v < (reference[i] as number)));
  return hvRecursive(
    inside.map((p) => [...p]),
    [...reference],
  );
}

function hvRecursive(points: number[][], reference: number[]): number {
  if (points.length === 0) return 0;
  const d = reference.length;
  if (d === 1) return (reference[0] as number) - Math.min(...points.map((p) => p[0] as number));
  if (d === 2) {
    const sorted = [...points].sort((a, b) => (a[0] as number) - (b[0] as number));
    let volume = 0;
    let bestY = reference[1] as number;
    for (let i = 0; i < sorted.length; i++) {
      const p = sorted[i] as number[];
      const y = p[1] as number;
      if (y < bestY) {
        const nextX = (reference[0] as number) - (p[0] as number);
        volume += nextX * (bestY - y);
        bestY = y;
      }
    }
    return volume;
  }
  const sorted = [...points].sort((a, b) => (a[0] as number) - (b[0] as number));
  const rest = reference.slice(1);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const x = (sorted[i] as number[])[0] as number;
    const nextX =
      i + 1 < sorted.length ? ((sorted[i + 1] as number[])[0] as number) : (reference[0] as number);
    if (nextX <= x) continue;
    const slice = sorted.slice(0, i + 1).map((p) => p.slice(1));
    volume += (nextX - x) * hvRecursive(slice, rest);
  }
  return volume;
}

/** Optuna's reference point for hypervolume: 10% beyond the worst point, never exactly 0. */
export function referencePoint(losses: readonly (readonly number[])[]): number[] {
  const m = (losses[0] as readonly number[]).length;
  const ref: number[] = [];
  for (let k = 0; k < m; k++) {
    let worst = Number.NEGATIVE_INFINITY;
    for (const l of losses) worst = Math.max(worst, l[k] as number);
    const r = Math.max(1.1 * worst, 0.9 * worst);
    ref.push(r === 0 ? 1e-12 : r);
  }
  return ref;
}

/** Standard normal draw (Box–Muller) from a seeded RNG. */
export function gaussian(rng: Rng): number {
  let u = rng.next();
  while (u <= 0) u = rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Sum of the positive constraint values; `Infinity` when a trial has none recorded. */
export function violation(constraints: readonly number[] | undefined): number {
  if (constraints === undefined) return Number.POSITIVE_INFINITY;
  let sum = 0;
  for (const c of constraints) {
    if (Number.isNaN(c)) {
      throw new HpoError('INVALID_VALUE', 'a constraint value is NaN; return finite numbers');
    }
    if (c > 0) sum += c;
  }
  return sum;
}

/** Intermediate values sorted by step, as [step, value] pairs. */
export function lastIntermediate(trial: FrozenTrial): [number, number] | undefined {
  let best: [number, number] | undefined;
  for (const [key, value] of Object.entries(trial.intermediateValues)) {
    const step = Number(key);
    if (best === undefined || step > best[0]) best = [step, value];
  }
  return best;
}
