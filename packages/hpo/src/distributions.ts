// Search-space distributions: validation, compatibility, membership and the internal (numeric)
// representation samplers work in, with Optuna 3.1's semantics.
import { HpoError } from './errors.js';
import type {
  CategoricalChoice,
  CategoricalDistribution,
  Distribution,
  FloatDistribution,
  IntDistribution,
  ParamValue,
} from './types.js';

/** Where a distribution comes from, for error messages. */
export interface DistributionContext {
  /** The parameter name. */
  param?: string;
  /** The study name. */
  study?: string;
}

function describeChoice(choice: unknown): string {
  try {
    return JSON.stringify(choice) ?? String(choice);
  } catch {
    return String(choice);
  }
}

/** Human-readable form used in error messages, e.g. `float[1e-5, 1, log]`. */
export function describeDistribution(distribution: Distribution): string {
  switch (distribution.type) {
    case 'float':
    case 'int': {
      const extras: string[] = [];
      if (distribution.log) extras.push('log');
      if (
        distribution.step !== undefined &&
        !(distribution.type === 'int' && distribution.step === 1)
      )
        extras.push(`step=${distribution.step}`);
      return `${distribution.type}[${distribution.low}, ${distribution.high}${extras.length > 0 ? `, ${extras.join(', ')}` : ''}]`;
    }
    case 'categorical':
      return `categorical(${distribution.choices.map(describeChoice).join(', ')})`;
  }
}

function invalid(problem: string, context: DistributionContext): HpoError {
  return new HpoError('INVALID_DISTRIBUTION', problem, context);
}

/** A finite number, string, boolean or null: what survives every storage's JSON unchanged. */
export function isJsonChoice(choice: unknown): choice is CategoricalChoice {
  return (
    choice === null ||
    typeof choice === 'string' ||
    typeof choice === 'boolean' ||
    (typeof choice === 'number' && Number.isFinite(choice))
  );
}

/**
 * Throws `INVALID_DISTRIBUTION` (naming the parameter) when the distribution cannot be sampled:
 * non-finite bounds, low > high, log with low ≤ 0 (int: low < 1), step ≤ 0, step with log,
 * non-integer int bounds/step, or empty, duplicate or non-JSON categorical choices.
 */
export function validateDistribution(
  distribution: Distribution,
  context: DistributionContext = {},
): void {
  if (distribution === null || typeof distribution !== 'object') {
    throw invalid(`expected a distribution object, got ${describeChoice(distribution)}`, context);
  }
  switch (distribution.type) {
    case 'float':
    case 'int': {
      const { low, high, log, step } = distribution;
      if (typeof low !== 'number' || !Number.isFinite(low)) {
        throw invalid(`low must be a finite number, got ${describeChoice(low)}`, context);
      }
      if (typeof high !== 'number' || !Number.isFinite(high)) {
        throw invalid(`high must be a finite number, got ${describeChoice(high)}`, context);
      }
      if (typeof log !== 'boolean') {
        throw invalid(`log must be a boolean, got ${describeChoice(log)}`, context);
      }
      if (low > high) {
        throw invalid(`low (${low}) must be ≤ high (${high}); swap them`, context);
      }
      if (distribution.type === 'int') {
        if (!Number.isSafeInteger(low) || !Number.isSafeInteger(high)) {
          throw invalid(`int bounds must be integers, got [${low}, ${high}]`, context);
        }
        if (!Number.isSafeInteger(step)) {
          throw invalid(`int step must be an integer, got ${describeChoice(step)}`, context);
        }
      }
      if (step !== undefined) {
        if (typeof step !== 'number' || !Number.isFinite(step) || step <= 0) {
          throw invalid(`step must be a positive number, got ${describeChoice(step)}`, context);
        }
        if (log && !(distribution.type === 'int' && step === 1)) {
          throw invalid(
            `step (${step}) cannot be combined with log; drop one of them (log ints need step 1)`,
            context,
          );
        }
      }
      if (log && (distribution.type === 'int' ? low < 1 : low <= 0)) {
        throw invalid(
          `log needs low ${distribution.type === 'int' ? '≥ 1' : '> 0'}, got low=${low}`,
          context,
        );
      }
      return;
    }
    case 'categorical': {
      const { choices } = distribution;
      if (!Array.isArray(choices) || choices.length === 0) {
        throw invalid('categorical choices must be a non-empty array', context);
      }
      const seen = new Set<string>();
      for (const choice of choices) {
        if (!isJsonChoice(choice)) {
          throw invalid(
            `choice ${describeChoice(choice)} is not a string, finite number, boolean or null (storages are JSON)`,
            context,
          );
        }
        const key = JSON.stringify(choice);
        if (seen.has(key)) throw invalid(`choice ${key} appears twice; list it once`, context);
        seen.add(key);
      }
      return;
    }
    default:
      throw invalid(
        `unknown distribution type ${describeChoice((distribution as { type?: unknown }).type)}; use float, int or categorical`,
        context,
      );
  }
}

/** Float step ranges are snapped down like Optuna: high = low + floor((high - low) / step) * step. */
function snapHigh(low: number, high: number, step: number): number {
  // Work in decimal-ish integer units to avoid 0.1 + 0.2 style drift.
  const scale = 10 ** Math.max(decimals(low), decimals(high), decimals(step));
  if (!Number.isFinite(scale) || scale > 1e12) return Math.floor((high - low) / step) * step + low;
  const l = Math.round(low * scale);
  const h = Math.round(high * scale);
  const s = Math.round(step * scale);
  return (Math.floor((h - l) / s) * s + l) / scale;
}

function decimals(x: number): number {
  const text = String(x);
  if (text.includes('e-'))
    return Number(text.split('e-')[1]) + (text.split('.')[1]?.split('e')[0]?.length ?? 0);
  return text.split('.')[1]?.length ?? 0;
}

/** A float distribution, validated, with `high` snapped onto the step grid. */
export function floatDistribution(
  low: number,
  high: number,
  options: { log?: boolean; step?: number } = {},
  context: DistributionContext = {},
): FloatDistribution {
  const { log = false, step } = options;
  const distribution: FloatDistribution =
    step === undefined
      ? { type: 'float', low, high, log }
      : { type: 'float', low, high, log, step };
  validateDistribution(distribution, context);
  if (step !== undefined) distribution.high = snapHigh(low, high, step);
  return distribution;
}

/** An int distribution, validated, with `high` snapped onto the step grid. */
export function intDistribution(
  low: number,
  high: number,
  options: { log?: boolean; step?: number } = {},
  context: DistributionContext = {},
): IntDistribution {
  const { log = false, step = 1 } = options;
  const distribution: IntDistribution = { type: 'int', low, high, log, step };
  validateDistribution(distribution, context);
  distribution.high = Math.floor((high - low) / step) * step + low;
  return distribution;
}

/** A categorical distribution, validated; the choices are copied. */
export function categoricalDistribution(
  choices: readonly CategoricalChoice[],
  context: DistributionContext = {},
): CategoricalDistribution {
  const distribution: CategoricalDistribution = {
    type: 'categorical',
    choices: Array.isArray(choices) ? [...choices] : choices,
  };
  validateDistribution(distribution, context);
  return distribution;
}

/** Structural equality (same type, bounds, log, step and choices in the same order). */
export function distributionsEqual(a: Distribution, b: Distribution): boolean {
  if (a.type === 'categorical' || b.type === 'categorical') {
    if (a.type !== 'categorical' || b.type !== 'categorical') return false;
    return (
      a.choices.length === b.choices.length &&
      a.choices.every((choice, i) => choice === b.choices[i])
    );
  }
  return (
    a.type === b.type &&
    a.low === b.low &&
    a.high === b.high &&
    a.log === b.log &&
    a.step === b.step
  );
}

/**
 * Like Optuna's `check_distribution_compatibility`: the same parameter name in one study must keep
 * its kind, its log flag and (categorical) its choices; numeric ranges may change between trials.
 * Throws `INCOMPATIBLE_DISTRIBUTION` naming the parameter and both distributions.
 */
export function checkDistributionCompatibility(
  previous: Distribution,
  next: Distribution,
  context: DistributionContext = {},
): void {
  let problem: string | undefined;
  if (previous.type !== next.type) problem = 'a different kind';
  else if (previous.type !== 'categorical' && next.type !== 'categorical') {
    if (previous.log !== next.log) problem = 'a different log setting';
  } else if (!distributionsEqual(previous, next)) problem = 'different choices';
  if (problem !== undefined) {
    throw new HpoError(
      'INCOMPATIBLE_DISTRIBUTION',
      `suggested with ${problem}: ${describeDistribution(next)} after ${describeDistribution(previous)}; use a new parameter name or the same distribution`,
      context,
    );
  }
}

function categoricalIndex(distribution: CategoricalDistribution, value: unknown): number {
  return (distribution.choices as readonly unknown[]).indexOf(value);
}

/** Whether `value` (external form) lies in the distribution, on its step grid / among its choices. */
export function contains(distribution: Distribution, value: unknown): boolean {
  switch (distribution.type) {
    case 'float': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return false;
      if (value < distribution.low || value > distribution.high) return false;
      if (distribution.step === undefined) return true;
      const k = (value - distribution.low) / distribution.step;
      return Math.abs(k - Math.round(k)) < 1e-8;
    }
    case 'int':
      return (
        typeof value === 'number' &&
        Number.isInteger(value) &&
        value >= distribution.low &&
        value <= distribution.high &&
        (value - distribution.low) % distribution.step === 0
      );
    case 'categorical':
      return categoricalIndex(distribution, value) >= 0;
  }
}

/** External → internal: numbers stay numbers, a categorical choice becomes its index. */
export function toInternal(
  distribution: Distribution,
  value: ParamValue,
  context: DistributionContext = {},
): number {
  if (distribution.type === 'categorical') {
    const index = categoricalIndex(distribution, value);
    if (index < 0) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `${describeChoice(value)} is not one of the choices of ${describeDistribution(distribution)}`,
        context,
      );
    }
    return index;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${describeChoice(value)} is not a finite number for ${describeDistribution(distribution)}`,
      context,
    );
  }
  return value;
}

/** Internal → external: a categorical index becomes its choice; int values are rounded. */
export function fromInternal(
  distribution: Distribution,
  internal: number,
  context: DistributionContext = {},
): ParamValue {
  switch (distribution.type) {
    case 'categorical': {
      const index = Math.round(internal);
      if (index < 0 || index >= distribution.choices.length || !Number.isFinite(internal)) {
        throw new HpoError(
          'INVALID_ARGUMENT',
          `index ${internal} is out of range for ${describeDistribution(distribution)}`,
          context,
        );
      }
      return distribution.choices[index] as CategoricalChoice;
    }
    case 'int':
      return Math.round(internal);
    case 'float':
      return internal;
  }
}

/** True when the distribution admits exactly one value (then no sampler is asked). */
export function isSingle(distribution: Distribution): boolean {
  switch (distribution.type) {
    case 'categorical':
      return distribution.choices.length === 1;
    case 'int':
      if (distribution.log) return distribution.low === distribution.high;
      return (
        distribution.low === distribution.high ||
        distribution.high - distribution.low < distribution.step
      );
    case 'float':
      if (distribution.low === distribution.high) return true;
      if (distribution.step === undefined) return false;
      return (
        snapHigh(distribution.low, distribution.high, distribution.step) - distribution.low <
        distribution.step
      );
  }
}

/** The only value of a single-valued distribution (Optuna's `_get_single_value`). */
export function singleValue(distribution: Distribution): ParamValue {
  return distribution.type === 'categorical'
    ? (distribution.choices[0] as CategoricalChoice)
    : distribution.low;
}
