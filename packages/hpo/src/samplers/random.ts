// Random sampler: independent uniform draws with Optuna's RandomSampler semantics (log scale,
// step grids with half-step margins, ints rounded), seeded through @ft/data's createRng.
import { createRng, type Rng } from '@ft/data';
import { HpoError } from '../errors.js';
import type { Distribution, ParamValue, Sampler } from '../types.js';

/** Options of `createRandomSampler`. */
export interface RandomSamplerOptions {
  /** Integer seed; the same seed gives the same parameters. @default a seed from the OS */
  seed?: number;
}

/** A random 32-bit seed from the OS (library code never uses Math.random). */
export function osSeed(): number {
  const buf = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buf);
  return buf[0] ?? 0;
}

/** Checks an optional integer seed option. */
export function checkSeedOption(seed: unknown, where: string): void {
  if (seed !== undefined && (typeof seed !== 'number' || !Number.isSafeInteger(seed))) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${where}: seed must be an integer, got ${String(seed)}; pass e.g. { seed: 42 }`,
    );
  }
}

function clip(x: number, low: number, high: number): number {
  return Math.min(Math.max(x, low), high);
}

/** Largest double below `x`, like numpy's nextafter(x, -inf), so a draw never equals `high`. */
function below(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}

/**
 * One uniform draw from `distribution` in Optuna's transformed space: log bounds in log space,
 * step/int bounds widened by half a step and rounded back onto the grid.
 */
export function sampleUniform(rng: Rng, distribution: Distribution): ParamValue {
  const uniform = (a: number, b: number) => a + (b - a) * rng.next();
  switch (distribution.type) {
    case 'categorical':
      return distribution.choices[rng.int(distribution.choices.length)] as ParamValue;
    case 'float': {
      const { low, high, log, step } = distribution;
      if (low === high) return low;
      if (log) return Math.min(Math.exp(uniform(Math.log(low), Math.log(high))), below(high));
      if (step !== undefined) {
        const x = uniform(low - 0.5 * step, high + 0.5 * step);
        return clip(Math.round((x - low) / step) * step + low, low, high);
      }
      return Math.min(uniform(low, high), below(high));
    }
    case 'int': {
      const { low, high, log, step } = distribution;
      if (log) {
        const x = uniform(Math.log(low - 0.5), Math.log(high + 0.5));
        return clip(Math.round(Math.exp(x)), low, high);
      }
      const x = uniform(low - 0.5 * step, high + 0.5 * step);
      return clip(Math.round((x - low) / step) * step + low, low, high);
    }
  }
}

/** Samples every parameter independently and uniformly (Optuna's RandomSampler). */
export function createRandomSampler(options: RandomSamplerOptions = {}): Sampler {
  checkSeedOption(options.seed, 'createRandomSampler');
  const { seed = osSeed() } = options;
  const rng = createRng(seed);
  return {
    name: 'random',
    sampleIndependent(_study, _trial, _paramName, distribution) {
      return sampleUniform(rng, distribution);
    },
  };
}
