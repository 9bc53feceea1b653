// A running trial as objectives see it: synchronous suggestXxx backed by the ask-time snapshot,
// with storage writes queued and awaited at report/shouldPrune/tell (errors surface there).
import {
  categoricalDistribution,
  checkDistributionCompatibility,
  contains,
  describeDistribution,
  floatDistribution,
  intDistribution,
  isSingle,
  singleValue,
  toInternal,
} from './distributions.js';
import { HpoError } from './errors.js';
import type {
  CategoricalChoice,
  Distribution,
  FrozenTrial,
  ParamValue,
  Pruner,
  Sampler,
  StudyDirection,
  StudyStorage,
  StudyView,
} from './types.js';

/** Throw this from an objective to end the trial as `pruned` (what `shouldPrune()` suggests). */
export class TrialPruned extends Error {
  override readonly name = 'TrialPruned';
  constructor(message = 'trial was pruned') {
    super(message);
  }
}

/** Options of `suggestFloat`. */
export interface SuggestFloatOptions {
  /** Sample uniformly in log space; needs `low > 0`. @default false */
  log?: boolean;
  /** Discretise to `low + k * step`; not combinable with `log`. @default undefined (continuous) */
  step?: number;
}

/** Options of `suggestInt`. */
export interface SuggestIntOptions {
  /** Sample uniformly in log space; needs `low ≥ 1` and step 1. @default false */
  log?: boolean;
  /** Only `low + k * step` values. @default 1 */
  step?: number;
}

/**
 * What an objective receives. The in-process `Trial` and the worker-process proxy both implement
 * it, so one objective module runs either way.
 */
export interface ObjectiveTrial {
  readonly number: number;
  /** Parameters suggested so far (external form). */
  readonly params: Readonly<Record<string, ParamValue>>;
  suggestFloat(name: string, low: number, high: number, options?: SuggestFloatOptions): number;
  suggestInt(name: string, low: number, high: number, options?: SuggestIntOptions): number;
  suggestCategorical<T extends CategoricalChoice>(name: string, choices: readonly T[]): T;
  /**
   * Records an intermediate value at an integer step ≥ 0. In multi-objective studies it is the
   * learning curve of the objective a pruner was given as `objective`.
   */
  report(value: number, step: number): Promise<void>;
  /** Asks the study's pruner, on a fresh snapshot, whether to stop now. */
  shouldPrune(): Promise<boolean>;
  /** Stored with the trial; the write is queued (errors surface at report/shouldPrune/tell). */
  setUserAttr(key: string, value: unknown): void;
  /** Constraint values recorded when the trial finishes; feasible when every value is ≤ 0. */
  setConstraints(values: readonly number[]): void;
}

/** What a trial needs from its study (internal wiring between study.ts and trial.ts). */
export interface TrialHost {
  readonly studyName: string;
  readonly directions: readonly StudyDirection[];
  readonly storage: StudyStorage;
  readonly sampler: Sampler;
  readonly pruner: Pruner | undefined;
}

/** What `study.ask()` prepared for a trial: the snapshot and the sampler's joint proposal. */
export interface TrialSetup {
  frozen: FrozenTrial;
  view: StudyView;
  relativeSearchSpace: Record<string, Distribution>;
  relativeParams: Record<string, ParamValue>;
}

function copyJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** A running trial of an in-process study. Create it with `study.ask()`. */
export class Trial implements ObjectiveTrial {
  readonly number: number;
  readonly #host: TrialHost;
  readonly #frozen: FrozenTrial;
  readonly #view: StudyView;
  readonly #studyDistributions = new Map<string, Distribution>();
  readonly #relativeSearchSpace: Record<string, Distribution>;
  readonly #relativeParams: Record<string, ParamValue>;
  #pending: Promise<void> = Promise.resolve();
  #writeError: unknown;
  #constraints: number[] | undefined;
  #finished = false;
  #heartbeat: ReturnType<typeof setInterval> | undefined;

  /** @internal Use `study.ask()`. */
  constructor(host: TrialHost, setup: TrialSetup) {
    this.#host = host;
    this.#frozen = setup.frozen;
    this.number = setup.frozen.number;
    this.#view = setup.view;
    this.#relativeSearchSpace = setup.relativeSearchSpace;
    this.#relativeParams = setup.relativeParams;
    for (const trial of setup.view.trials) {
      for (const [name, distribution] of Object.entries(trial.distributions)) {
        if (!this.#studyDistributions.has(name)) this.#studyDistributions.set(name, distribution);
      }
    }
  }

  get params(): Readonly<Record<string, ParamValue>> {
    return { ...this.#frozen.params };
  }

  get distributions(): Readonly<Record<string, Distribution>> {
    return copyJson(this.#frozen.distributions);
  }

  get userAttrs(): Readonly<Record<string, unknown>> {
    return copyJson(this.#frozen.userAttrs);
  }

  get systemAttrs(): Readonly<Record<string, unknown>> {
    return copyJson(this.#frozen.systemAttrs);
  }

  /** The constraints set with `setConstraints`, if any. */
  get constraints(): readonly number[] | undefined {
    return this.#constraints ? [...this.#constraints] : undefined;
  }

  /** True once the study recorded the trial as complete, pruned or failed. */
  get finished(): boolean {
    return this.#finished;
  }

  suggestFloat(name: string, low: number, high: number, options: SuggestFloatOptions = {}): number {
    const context = this.#context(name);
    return this.#suggest(name, floatDistribution(low, high, options, context)) as number;
  }

  suggestInt(name: string, low: number, high: number, options: SuggestIntOptions = {}): number {
    const context = this.#context(name);
    return this.#suggest(name, intDistribution(low, high, options, context)) as number;
  }

  suggestCategorical<T extends CategoricalChoice>(name: string, choices: readonly T[]): T {
    const context = this.#context(name);
    return this.#suggest(name, categoricalDistribution(choices, context)) as T;
  }

  /** Suggests from an already built distribution (used by `ask(fixedDistributions)`). */
  suggest(name: string, distribution: Distribution): ParamValue {
    const context = this.#context(name);
    if (distribution?.type === 'float') {
      const { low, high, log, step } = distribution;
      return this.#suggest(
        name,
        floatDistribution(low, high, step === undefined ? { log } : { log, step }, context),
      );
    }
    if (distribution?.type === 'int') {
      const { low, high, log, step } = distribution;
      return this.#suggest(name, intDistribution(low, high, { log, step }, context));
    }
    if (distribution?.type === 'categorical') {
      return this.#suggest(name, categoricalDistribution(distribution.choices, context));
    }
    throw new HpoError(
      'INVALID_DISTRIBUTION',
      `unknown distribution ${JSON.stringify(distribution)}; use float, int or categorical`,
      context,
    );
  }

  async report(value: number, step: number): Promise<void> {
    const context = this.#context();
    this.#assertRunning('report');
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new HpoError(
        'INVALID_VALUE',
        `report(value, ${step}): value must be a finite number, got ${String(value)}`,
        context,
      );
    }
    if (!Number.isSafeInteger(step) || step < 0) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `report(value, step): step must be an integer ≥ 0, got ${String(step)}`,
        context,
      );
    }
    // Like Optuna, a second report for the same step keeps the first value.
    if (String(step) in this.#frozen.intermediateValues) return this.flush();
    this.#frozen.intermediateValues[String(step)] = value;
    const { storage, studyName } = this.#host;
    this.#queue(() => storage.setTrialIntermediateValue(studyName, this.number, step, value));
    return this.flush();
  }

  async shouldPrune(): Promise<boolean> {
    this.#assertRunning('shouldPrune');
    const { directions, pruner, storage, studyName } = this.#host;
    await this.flush();
    if (!pruner) return false;
    const trials = await storage.getAllTrials(studyName);
    const current = trials.find((t) => t.number === this.number) ?? copyJson(this.#frozen);
    return pruner.prune({ name: studyName, directions, trials }, current);
  }

  setUserAttr(key: string, value: unknown): void {
    this.#assertRunning('setUserAttr');
    if (typeof key !== 'string' || key === '') {
      throw new HpoError(
        'INVALID_ARGUMENT',
        'setUserAttr(key, value): key must be a non-empty string',
        this.#context(),
      );
    }
    this.#frozen.userAttrs[key] = value;
    const { storage, studyName } = this.#host;
    this.#queue(() => storage.setTrialUserAttr(studyName, this.number, key, value));
  }

  setConstraints(values: readonly number[]): void {
    this.#assertRunning('setConstraints');
    if (
      !Array.isArray(values) ||
      values.some((v) => typeof v !== 'number' || !Number.isFinite(v))
    ) {
      throw new HpoError(
        'INVALID_VALUE',
        `setConstraints(values): expected an array of finite numbers (≤ 0 means satisfied), got ${JSON.stringify(values)}`,
        this.#context(),
      );
    }
    this.#constraints = [...values];
  }

  /** Waits for queued storage writes; rethrows the first one that failed. */
  async flush(): Promise<void> {
    await this.#pending;
    if (this.#writeError !== undefined) throw this.#writeError;
  }

  /** @internal Waits for queued writes, ignoring their errors (the trial is failing anyway). */
  async settle(): Promise<void> {
    await this.#pending;
  }

  /** @internal The trial as the study knows it locally (params, intermediate values, attrs). */
  snapshot(): FrozenTrial {
    return copyJson(this.#frozen);
  }

  /** @internal Sends a heartbeat now and every `intervalMs` until the trial finishes. */
  startHeartbeat(intervalMs: number): void {
    const { storage, studyName } = this.#host;
    // A lost heartbeat write is not the objective's problem: the stale-trial reaper decides.
    const beat = () => storage.recordHeartbeat(studyName, this.number).catch(() => undefined);
    this.#queue(beat);
    this.#heartbeat = setInterval(beat, intervalMs);
    this.#heartbeat.unref();
  }

  /** @internal Marks the trial finished and stops its heartbeat. */
  markFinished(): void {
    this.#finished = true;
    if (this.#heartbeat !== undefined) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }

  #context(param?: string): { study: string; trial: number; param?: string } {
    return param === undefined
      ? { study: this.#host.studyName, trial: this.number }
      : { study: this.#host.studyName, trial: this.number, param };
  }

  #assertRunning(what: string, param?: string): void {
    if (this.#finished) {
      throw new HpoError(
        'TRIAL_FINISHED',
        `${what}() on a finished trial; ask() for a new trial instead`,
        this.#context(param),
      );
    }
  }

  #queue(write: () => Promise<unknown>): void {
    this.#pending = this.#pending.then(write).then(
      () => undefined,
      (error: unknown) => {
        this.#writeError ??= error;
      },
    );
  }

  #suggest(name: string, distribution: Distribution): ParamValue {
    const context = this.#context(name);
    this.#assertRunning('suggest', name);
    const frozen = this.#frozen;
    const previousHere = frozen.distributions[name];
    if (previousHere !== undefined) {
      // Re-suggesting within one trial returns the value it already has.
      checkDistributionCompatibility(previousHere, distribution, context);
      return frozen.params[name] as ParamValue;
    }
    const previousInStudy = this.#studyDistributions.get(name);
    if (previousInStudy !== undefined) {
      checkDistributionCompatibility(previousInStudy, distribution, context);
    }
    const value = this.#pick(name, distribution);
    frozen.params[name] = value;
    frozen.distributions[name] = distribution;
    this.#studyDistributions.set(name, distribution);
    const { storage, studyName } = this.#host;
    this.#queue(() => storage.setTrialParam(studyName, this.number, name, value, distribution));
    return value;
  }

  #pick(name: string, distribution: Distribution): ParamValue {
    const context = this.#context(name);
    const fixed = this.#frozen.systemAttrs.fixed_params as Record<string, ParamValue> | undefined;
    if (fixed && Object.hasOwn(fixed, name)) {
      const value = fixed[name] as ParamValue;
      // Like Optuna, an enqueued number outside the range is used as given; a wrong type is not.
      toInternal(distribution, value, context);
      if (distribution.type === 'int' && !Number.isInteger(value)) {
        throw new HpoError(
          'INVALID_ARGUMENT',
          `enqueued value ${String(value)} is not an integer for ${describeDistribution(distribution)}`,
          context,
        );
      }
      return value;
    }
    if (isSingle(distribution)) return singleValue(distribution);
    const relative = this.#relativeSearchSpace[name];
    if (relative !== undefined && Object.hasOwn(this.#relativeParams, name)) {
      checkDistributionCompatibility(relative, distribution, context);
      const value = this.#relativeParams[name] as ParamValue;
      if (contains(distribution, value)) return value;
    }
    return this.#host.sampler.sampleIndependent(this.#view, this.#frozen, name, distribution);
  }
}
