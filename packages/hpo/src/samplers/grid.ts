// Grid sampler: every combination of the given values once, in a seeded random order, parallel
// safe through the `grid_id` each trial records (Optuna's GridSampler); the study stops when done.
import { createRng } from '@ft/data';
import { isJsonChoice } from '../distributions.js';
import { HpoError } from '../errors.js';
import type { CategoricalChoice, ParamValue, Sampler, StudyView } from '../types.js';
import { checkSeedOption, osSeed } from './random.js';

/** Options of `createGridSampler`. */
export interface GridSamplerOptions {
  /** The values to try per parameter; every combination becomes one trial. */
  searchSpace: Record<string, readonly CategoricalChoice[]>;
  /** Integer seed of the visiting order. @default a seed from the OS */
  seed?: number;
}

/**
 * A sampler that can tell the study to stop starting trials (grid exhausted). The study checks
 * `shouldStop` after each finished trial; this is an extension of the shared `Sampler` contract.
 */
export interface StoppingSampler extends Sampler {
  shouldStop(study: StudyView): boolean;
}

/** True when `sampler` implements the optional `shouldStop` extension. */
export function isStoppingSampler(sampler: Sampler): sampler is StoppingSampler {
  return typeof (sampler as Partial<StoppingSampler>).shouldStop === 'function';
}

/** A grid sampler; it also exposes the full grid in visiting-independent (product) order. */
export interface GridSampler extends StoppingSampler {
  /** All combinations, parameter names sorted, the last name varying fastest. */
  readonly grid: readonly Record<string, ParamValue>[];
}

/**
 * Tries every combination of `searchSpace` once, in an order seeded by `seed`; the study stops
 * starting trials once every combination ran or is running.
 */
export function createGridSampler(options: GridSamplerOptions): GridSampler {
  const { searchSpace } = options ?? {};
  if (searchSpace === null || typeof searchSpace !== 'object' || Array.isArray(searchSpace)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      'createGridSampler: searchSpace must be an object of value lists, e.g. { lr: [0.1, 0.01] }',
    );
  }
  checkSeedOption(options.seed, 'createGridSampler');
  const { seed = osSeed() } = options;
  const names = Object.keys(searchSpace).sort();
  if (names.length === 0) {
    throw new HpoError('INVALID_ARGUMENT', 'createGridSampler: searchSpace has no parameters');
  }
  const space: Record<string, CategoricalChoice[]> = {};
  for (const name of names) {
    const values = searchSpace[name];
    if (!Array.isArray(values) || values.length === 0) {
      throw new HpoError('INVALID_DISTRIBUTION', 'grid values must be a non-empty array', {
        param: name,
      });
    }
    for (const value of values) {
      if (!isJsonChoice(value)) {
        throw new HpoError(
          'INVALID_DISTRIBUTION',
          `grid value ${String(value)} is not a string, finite number, boolean or null`,
          { param: name },
        );
      }
    }
    space[name] = [...values];
  }
  // itertools.product order over sorted names, like Optuna.
  let grid: Record<string, ParamValue>[] = [{}];
  for (const name of names) {
    const next: Record<string, ParamValue>[] = [];
    for (const partial of grid) {
      for (const value of space[name] ?? []) next.push({ ...partial, [name]: value });
    }
    grid = next;
  }
  const spaceKey = JSON.stringify(space);
  const rng = createRng(seed);

  const sameSpace = (attr: unknown) => JSON.stringify(attr) === spaceKey;

  /** Grid ids by status in the snapshot, counting only trials of this very grid. */
  function census(study: StudyView): { finished: Set<number>; running: Set<number> } {
    const finished = new Set<number>();
    const running = new Set<number>();
    for (const trial of study.trials) {
      const id = trial.systemAttrs.grid_id;
      if (typeof id !== 'number' || !sameSpace(trial.systemAttrs.search_space)) continue;
      if (trial.state === 'running') running.add(id);
      else if (trial.state !== 'waiting') finished.add(id);
    }
    return { finished, running };
  }

  return {
    name: 'grid',
    grid,
    beforeTrial(study, trial) {
      // Enqueued trials bring their own parameters; retried ones keep their original grid id.
      if ('grid_id' in trial.systemAttrs || 'fixed_params' in trial.systemAttrs) return;
      const { finished, running } = census(study);
      const ids = [...grid.keys()];
      let targets = ids.filter((id) => !finished.has(id) && !running.has(id));
      // Exhausted: re-run an unfinished grid point (a race between workers) or, failing that, any.
      if (targets.length === 0) targets = ids.filter((id) => !finished.has(id));
      if (targets.length === 0) targets = ids;
      trial.systemAttrs.grid_id = targets[rng.int(targets.length)];
      trial.systemAttrs.search_space = space;
    },
    sampleIndependent(study, trial, paramName) {
      const id = trial.systemAttrs.grid_id;
      if (typeof id !== 'number') {
        throw new HpoError(
          'INVALID_ARGUMENT',
          'an enqueued trial under the grid sampler must fix every parameter; add it to enqueueTrial()',
          { study: study.name, trial: trial.number, param: paramName },
        );
      }
      const point = grid[id];
      if (!point || !Object.hasOwn(point, paramName)) {
        throw new HpoError(
          'INVALID_ARGUMENT',
          `parameter is not in the grid (${names.join(', ')}); add it to searchSpace`,
          { study: study.name, trial: trial.number, param: paramName },
        );
      }
      return point[paramName] as ParamValue;
    },
    shouldStop(study) {
      const { finished, running } = census(study);
      return grid.every((_, id) => finished.has(id) || running.has(id));
    },
  };
}
