// Test-only helpers for the sampler tests: a minimal synchronous ask/tell loop that builds
// FrozenTrial snapshots the way a study does, so samplers can be exercised on their own.

import type {
  Distribution,
  FrozenTrial,
  ParamValue,
  Sampler,
  StudyDirection,
  StudyView,
} from '../types.js';

export interface LoopContext {
  trial: FrozenTrial;
  suggest(name: string, distribution: Distribution): ParamValue;
  suggestFloat(name: string, low: number, high: number, log?: boolean): number;
  report(step: number, value: number): void;
}

/** What an objective returns: values, or a pruned/failed outcome. */
export type LoopOutcome =
  | number
  | number[]
  | { state: 'pruned' }
  | { state: 'fail' }
  | { values: number[]; constraints: number[] };

export interface LoopOptions {
  sampler: Sampler;
  nTrials: number;
  objective: (ctx: LoopContext) => LoopOutcome;
  /** @default ['minimize'] */
  directions?: StudyDirection[];
  /** Trials already in the study (e.g. running ones for constant-liar tests). */
  trials?: FrozenTrial[];
}

/** Runs `nTrials` sequential trials and returns every trial of the study. */
export function runLoop(options: LoopOptions): FrozenTrial[] {
  const { sampler, nTrials, objective, directions = ['minimize'] } = options;
  const trials: FrozenTrial[] = [...(options.trials ?? [])];
  const study: StudyView = { name: 'test', directions, trials };
  for (let k = 0; k < nTrials; k++) {
    const trial: FrozenTrial = {
      number: trials.length,
      state: 'running',
      params: {},
      distributions: {},
      intermediateValues: {},
      userAttrs: {},
      systemAttrs: {},
    };
    trials.push(trial);
    sampler.beforeTrial?.(study, trial);
    const space = sampler.inferRelativeSearchSpace?.(study, trial) ?? {};
    // Like Optuna, sampleRelative runs even for an empty space (NSGA-II tags the generation).
    const relative = sampler.sampleRelative?.(study, trial, space) ?? {};
    const suggest = (name: string, distribution: Distribution): ParamValue => {
      const existing = trial.params[name];
      if (existing !== undefined) return existing;
      const fromRelative = relative[name];
      const value =
        fromRelative !== undefined && space[name] !== undefined
          ? fromRelative
          : sampler.sampleIndependent(study, trial, name, distribution);
      trial.params[name] = value;
      trial.distributions[name] = distribution;
      return value;
    };
    const ctx: LoopContext = {
      trial,
      suggest,
      suggestFloat: (name, low, high, log = false) =>
        suggest(name, { type: 'float', low, high, log }) as number,
      report(step, value) {
        trial.intermediateValues[String(step)] = value;
      },
    };
    const outcome = objective(ctx);
    if (typeof outcome === 'number') {
      trial.state = 'complete';
      trial.values = [outcome];
    } else if (Array.isArray(outcome)) {
      trial.state = 'complete';
      trial.values = outcome;
    } else if ('state' in outcome) {
      trial.state = outcome.state;
    } else {
      trial.state = 'complete';
      trial.values = outcome.values;
      trial.constraints = outcome.constraints;
    }
    sampler.afterTrial?.(study, trial);
  }
  return trials;
}

/** Best (lowest) first objective value among complete trials. */
export function bestValue(trials: readonly FrozenTrial[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (const t of trials) {
    const v = t.values?.[0];
    if (t.state === 'complete' && v !== undefined && v < best) best = v;
  }
  return best;
}
