// Studies: create/load, ask/tell, enqueue, optimize (in-process async or worker processes),
// heartbeats with retries, best trials (single- and multi-objective) and a trials table.
import { randomUUID } from 'node:crypto';
import { isJsonChoice, validateDistribution } from './distributions.js';
import { HpoError } from './errors.js';
import { isFeasible, paretoFront } from './multi-objective.js';
import { importObjective } from './optimize/modules.js';
import { createProcessRunner } from './optimize/processes.js';
import type { ObjectiveModule, TrialOutcome } from './optimize/protocol.js';
import { isStoppingSampler } from './samplers/grid.js';
import { createTpeSampler } from './samplers/tpe.js';
import { createInMemoryStorage } from './storages/memory.js';
import { type ObjectiveTrial, Trial, type TrialHost, TrialPruned } from './trial.js';
import type {
  Distribution,
  FrozenTrial,
  ParamValue,
  Pruner,
  Sampler,
  StudyDirection,
  StudyInfo,
  StudyStorage,
  StudyView,
  TrialResult,
  TrialState,
} from './types.js';

/** Heartbeats let other processes notice a trial whose process died. */
export interface HeartbeatOptions {
  /** How often a running trial records a heartbeat. */
  intervalMs: number;
  /** A running trial whose last heartbeat is older than this is failed at the next ask(). @default 2 × intervalMs */
  graceMs?: number;
}

/** Re-run trials that failed because their process was lost (heartbeat, crash, kill). */
export interface RetryOptions {
  /** How many times one configuration is re-run. */
  maxRetries: number;
}

/** Options of `createStudy` and `loadStudy`. */
export interface StudyOptions {
  /** Proposes parameters. @default createTpeSampler({ seed }) (Optuna's default too) */
  sampler?: Sampler;
  /** Stops unpromising trials early. @default none (shouldPrune() is always false) */
  pruner?: Pruner;
  /** Heartbeat settings; off unless given. @default undefined */
  heartbeat?: HeartbeatOptions;
  /** Retry policy for lost trials; off unless given. @default undefined */
  retry?: RetryOptions;
  /** Seed of the default sampler (ignored when `sampler` is given). @default a seed from the OS */
  seed?: number;
}

/** Options of `createStudy`. */
export interface CreateStudyOptions extends StudyOptions {
  /** Study name, unique within the storage. @default `study-<uuid>` */
  name?: string;
  /** Single objective direction. @default 'minimize' */
  direction?: StudyDirection;
  /** One direction per objective (multi-objective); exclusive with `direction`. */
  directions?: StudyDirection[];
  /** Where trials live. @default createInMemoryStorage() */
  storage?: StudyStorage;
  /** Reuse an existing study of that name instead of failing with ALREADY_EXISTS. @default false */
  loadIfExists?: boolean;
}

/** What an objective returns: one number per direction (a bare number for one direction). */
export type ObjectiveValue = number | readonly number[];

/** An objective: a plain (async) function of a trial. */
export type Objective = (trial: ObjectiveTrial) => ObjectiveValue | Promise<ObjectiveValue>;

/** Called after each finished trial of `optimize`; may call `study.stop()`. */
export type OptimizeCallback = (study: Study, trial: FrozenTrial) => void | Promise<void>;

/** Options of `study.optimize`. */
export interface OptimizeOptions {
  /** Trials to run in this call (retries of lost trials come on top). @default unlimited (until timeout or stop) */
  nTrials?: number;
  /** No new trial starts after this long; running ones finish. @default unlimited */
  timeoutMs?: number;
  /** Trials run at once (async in-process, or worker processes). @default 1 */
  concurrency?: number;
  /**
   * Which objective errors mark the trial failed and let the study go on; any other error fails
   * the trial, lets running trials finish and is rethrown. A worker process that dies (exit,
   * signal) is always recorded as failed and retried under `retry`. @default () => true (every error)
   */
  catch?: (error: unknown) => boolean;
  /** Run after each finished trial, in order. @default [] */
  callbacks?: OptimizeCallback[];
  /** Run each trial in its own child process (needs an objective module). @default false */
  processes?: boolean;
  /** Retry policy for lost trials during this call. @default the study's `retry` */
  retry?: RetryOptions;
}

/** One row of `study.trialsTable()`. */
export interface TrialsTableRow {
  number: number;
  state: TrialState;
  values: number[] | undefined;
  params: Record<string, ParamValue>;
  /** Milliseconds from start to finish; undefined while running or waiting. */
  durationMs: number | undefined;
}

/** Options of `study.enqueueTrial`. */
export interface EnqueueTrialOptions {
  /** User attributes the trial starts with. @default {} */
  userAttrs?: Record<string, unknown>;
}

/** How a trial ends when it does not complete. */
export interface TellFailure {
  state: 'pruned' | 'fail';
  /** Why it failed (kept in the trial's `error`). */
  error?: string;
}

const DIRECTIONS: readonly StudyDirection[] = ['minimize', 'maximize'];

function invalidArgument(problem: string, study?: string, param?: string): HpoError {
  return new HpoError('INVALID_ARGUMENT', problem, { study, param });
}

function checkPositive(value: unknown, what: string, study: string, integer = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value <= 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw invalidArgument(
      `${what} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`,
      study,
    );
  }
  return value;
}

function checkRetry(retry: RetryOptions | undefined, study: string): RetryOptions | undefined {
  if (retry === undefined) return undefined;
  if (!Number.isSafeInteger(retry?.maxRetries) || retry.maxRetries < 0) {
    throw invalidArgument(
      `retry.maxRetries must be an integer ≥ 0, got ${String(retry?.maxRetries)}`,
      study,
    );
  }
  return { maxRetries: retry.maxRetries };
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return String(error);
}

/** An optimization study bound to a storage. Create it with `createStudy` or `loadStudy`. */
export class Study {
  readonly name: string;
  readonly directions: readonly StudyDirection[];
  readonly storage: StudyStorage;
  readonly sampler: Sampler;
  readonly pruner: Pruner | undefined;
  readonly #heartbeat: Required<HeartbeatOptions> | undefined;
  readonly #retry: RetryOptions | undefined;
  readonly #live = new Map<number, Trial>();
  readonly #host: TrialHost;
  #stopRequested = false;
  #retriesEnqueued = 0;

  /** @internal Use `createStudy` / `loadStudy`. */
  constructor(
    name: string,
    directions: readonly StudyDirection[],
    storage: StudyStorage,
    options: StudyOptions,
  ) {
    const {
      sampler = createTpeSampler({ seed: options.seed }),
      pruner,
      heartbeat,
      retry,
    } = options;
    this.name = name;
    this.directions = [...directions];
    this.storage = storage;
    this.sampler = sampler;
    this.pruner = pruner;
    if (heartbeat !== undefined) {
      const intervalMs = checkPositive(heartbeat?.intervalMs, 'heartbeat.intervalMs', name);
      const graceMs = checkPositive(heartbeat.graceMs ?? 2 * intervalMs, 'heartbeat.graceMs', name);
      this.#heartbeat = { intervalMs, graceMs };
    }
    this.#retry = checkRetry(retry, name);
    this.#host = {
      studyName: name,
      directions: this.directions,
      storage,
      sampler,
      pruner,
    };
  }

  /** The single direction; INVALID_ARGUMENT for multi-objective studies. */
  get direction(): StudyDirection {
    this.#assertSingleObjective('direction');
    return this.directions[0] as StudyDirection;
  }

  /**
   * Starts a trial: pops an enqueued (waiting) trial or creates one, lets the sampler prepare
   * (beforeTrial, relative sampling) on a fresh snapshot, and suggests `fixedDistributions` now.
   * With heartbeats on, it first fails stale running trials (and enqueues retries). If preparing
   * fails (a sampler error, an incompatible fixed distribution), the trial is recorded as failed
   * and the error rethrown.
   */
  async ask(fixedDistributions: Record<string, Distribution> = {}): Promise<Trial> {
    return this.#ask(fixedDistributions, this.#retry);
  }

  /** `ask()` with the retry policy in force: `optimize`'s own `retry` may override the study's. */
  async #ask(
    fixedDistributions: Record<string, Distribution>,
    retry: RetryOptions | undefined,
  ): Promise<Trial> {
    for (const [param, distribution] of Object.entries(fixedDistributions)) {
      validateDistribution(distribution, { study: this.name, param });
    }
    await this.#reapStaleTrials(retry);
    const frozen =
      (await this.storage.popWaitingTrial(this.name)) ??
      (await this.storage.createTrial(this.name, { state: 'running' }));
    let trial: Trial | undefined;
    try {
      const trials = await this.storage.getAllTrials(this.name);
      const view: StudyView = { name: this.name, directions: this.directions, trials };
      const before = { ...frozen.systemAttrs };
      this.sampler.beforeTrial?.(view, frozen);
      const relativeSearchSpace = this.sampler.inferRelativeSearchSpace?.(view, frozen) ?? {};
      const relativeParams = this.sampler.sampleRelative?.(view, frozen, relativeSearchSpace) ?? {};
      // Samplers keep bookkeeping (grid ids, generations) in systemAttrs; persist what they added.
      for (const [key, value] of Object.entries(frozen.systemAttrs)) {
        if (JSON.stringify(before[key]) !== JSON.stringify(value)) {
          await this.storage.setTrialSystemAttr(this.name, frozen.number, key, value);
        }
      }
      trial = new Trial(this.#host, { frozen, view, relativeSearchSpace, relativeParams });
      this.#live.set(trial.number, trial);
      if (this.#heartbeat) trial.startHeartbeat(this.#heartbeat.intervalMs);
      for (const [param, distribution] of Object.entries(fixedDistributions)) {
        trial.suggest(param, distribution);
      }
      return trial;
    } catch (error) {
      // Nobody holds the trial now: fail it, or it would stay running forever (no heartbeat yet,
      // or one that this process keeps sending).
      trial?.markFinished();
      await trial?.settle();
      this.#live.delete(frozen.number);
      await this.storage
        .finishTrial(this.name, frozen.number, { state: 'fail', error: errorText(error) })
        .catch(() => undefined);
      throw error;
    }
  }

  /**
   * Finishes a running trial with its values (one finite number per direction) or as pruned /
   * failed. A pruned single-objective trial keeps its last reported value, like Optuna.
   */
  async tell(
    trialOrNumber: Trial | number,
    result: ObjectiveValue | TellFailure,
  ): Promise<FrozenTrial> {
    const number = typeof trialOrNumber === 'number' ? trialOrNumber : trialOrNumber?.number;
    if (!Number.isSafeInteger(number) || (number as number) < 0) {
      throw invalidArgument(
        `tell(trial, …): expected a Trial or a trial number, got ${String(trialOrNumber)}`,
        this.name,
      );
    }
    const live = trialOrNumber instanceof Trial ? trialOrNumber : this.#live.get(number as number);
    const context = { study: this.name, trial: number as number };
    if (live?.finished) {
      throw new HpoError('TRIAL_FINISHED', 'tell() on a trial that is already finished', context);
    }
    const stored = await this.storage.getTrial(this.name, number as number);
    if (stored.state !== 'running') {
      if (stored.state !== 'waiting') {
        // Finished elsewhere (e.g. failed by another process's heartbeat reaper): stop beating.
        live?.markFinished();
        this.#live.delete(number as number);
      }
      throw new HpoError(
        stored.state === 'waiting' ? 'INVALID_ARGUMENT' : 'TRIAL_FINISHED',
        stored.state === 'waiting'
          ? 'tell() on a waiting trial; ask() for it first'
          : `tell() on a trial that is already ${stored.state}`,
        context,
      );
    }
    const outcome = this.#toResult(result, context);
    const constraints = live?.constraints;
    if (outcome.state === 'complete') {
      await live?.flush();
    } else {
      await live?.settle();
    }
    if (outcome.state === 'pruned' && this.directions.length === 1) {
      const intermediate = live?.snapshot().intermediateValues ?? stored.intermediateValues;
      const steps = Object.keys(intermediate).map(Number);
      if (steps.length > 0) outcome.values = [intermediate[String(Math.max(...steps))] as number];
    }
    if (constraints && outcome.state !== 'fail') outcome.constraints = [...constraints];
    live?.markFinished();
    this.#live.delete(number as number);
    const frozen = await this.storage.finishTrial(this.name, number as number, outcome);
    if (this.sampler.afterTrial || isStoppingSampler(this.sampler)) {
      const trials = await this.storage.getAllTrials(this.name);
      const view: StudyView = { name: this.name, directions: this.directions, trials };
      this.sampler.afterTrial?.(view, frozen);
      if (isStoppingSampler(this.sampler) && this.sampler.shouldStop(view)) this.stop();
    }
    return frozen;
  }

  /** Adds a waiting trial whose parameters are fixed; the next ask() runs it before new ones. */
  async enqueueTrial(
    params: Record<string, ParamValue>,
    options: EnqueueTrialOptions = {},
  ): Promise<void> {
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      throw invalidArgument(
        'enqueueTrial(params): params must be an object of parameter values',
        this.name,
      );
    }
    for (const [param, value] of Object.entries(params)) {
      if (!isJsonChoice(value)) {
        throw invalidArgument(
          `enqueued value ${String(value)} is not a finite number, string, boolean or null`,
          this.name,
          param,
        );
      }
    }
    const { userAttrs = {} } = options;
    await this.storage.createTrial(this.name, {
      state: 'waiting',
      userAttrs,
      systemAttrs: { fixed_params: { ...params } },
    });
  }

  /** Stops `optimize` from starting new trials; running ones finish. */
  stop(): void {
    this.#stopRequested = true;
  }

  /**
   * Runs trials until `nTrials`, `timeoutMs`, `stop()` or an exhausted grid. The objective is a
   * function (in-process), or a module reference (`'./objective.ts'` or `{ module, exportName }`)
   * that runs in this process or, with `processes: true`, in one child process per trial.
   */
  async optimize(
    objective: Objective | string | ObjectiveModule,
    options: OptimizeOptions = {},
  ): Promise<void> {
    const {
      nTrials = Number.POSITIVE_INFINITY,
      timeoutMs = Number.POSITIVE_INFINITY,
      concurrency = 1,
      catch: shouldCatch = () => true,
      callbacks = [],
      processes = false,
      retry = this.#retry,
    } = options;
    if (nTrials !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(nTrials) || nTrials < 0)) {
      throw invalidArgument(
        `optimize: nTrials must be an integer ≥ 0, got ${String(nTrials)}`,
        this.name,
      );
    }
    if (timeoutMs !== Number.POSITIVE_INFINITY)
      checkPositive(timeoutMs, 'optimize: timeoutMs', this.name);
    checkPositive(concurrency, 'optimize: concurrency', this.name, true);
    const retryPolicy = checkRetry(retry, this.name);
    const run = await this.#runner(objective, processes);

    const deadline = Date.now() + timeoutMs;
    const retriesAtStart = this.#retriesEnqueued;
    let started = 0;
    let fatal: { error: unknown } | undefined;
    this.#stopRequested = false;
    const canStart = () =>
      !this.#stopRequested &&
      fatal === undefined &&
      started < nTrials + (this.#retriesEnqueued - retriesAtStart) &&
      Date.now() < deadline;

    const worker = async () => {
      try {
        while (canStart()) {
          started++;
          const trial = await this.#ask({}, retryPolicy);
          const outcome = await run(trial);
          const frozen = await this.#record(trial, outcome, retryPolicy);
          if (outcome.kind === 'error' && !shouldCatch(outcome.error)) {
            fatal ??= { error: outcome.error };
          }
          for (const callback of callbacks) await callback(this, frozen);
        }
      } catch (error) {
        // A storage or callback error ends this worker; the others must not start new trials
        // either, or an unbounded optimize() would never return to report it.
        fatal ??= { error };
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    if (fatal) throw fatal.error;
  }

  /** All trials in number order, optionally only those in `states`. */
  async getTrials(states?: readonly TrialState[]): Promise<FrozenTrial[]> {
    return this.storage.getAllTrials(this.name, states);
  }

  /**
   * The best complete trial of a single-objective study. When trials carry constraints only
   * feasible ones count (NOT_FOUND if there is none).
   */
  async bestTrial(): Promise<FrozenTrial> {
    this.#assertSingleObjective('bestTrial()');
    const complete = await this.storage.getAllTrials(this.name, ['complete']);
    const candidates = complete.filter((t) => t.values !== undefined && isFeasible(t));
    if (candidates.length === 0) {
      throw new HpoError(
        'NOT_FOUND',
        complete.length === 0
          ? 'no complete trial yet; run optimize() or tell() values first'
          : 'no feasible complete trial (every one violates a constraint)',
        { study: this.name },
      );
    }
    const sign = this.directions[0] === 'maximize' ? -1 : 1;
    let best = candidates[0] as FrozenTrial;
    for (const t of candidates) {
      // Strictly better only, so the earliest of equal trials wins (as in Optuna).
      if (sign * (t.values?.[0] as number) < sign * (best.values?.[0] as number)) best = t;
    }
    return best;
  }

  async bestValue(): Promise<number> {
    return (await this.bestTrial()).values?.[0] as number;
  }

  async bestParams(): Promise<Record<string, ParamValue>> {
    return (await this.bestTrial()).params;
  }

  /** The Pareto front (constrained domination: feasible trials first), in number order. */
  async bestTrials(): Promise<FrozenTrial[]> {
    const complete = await this.storage.getAllTrials(this.name, ['complete']);
    return paretoFront(complete, this.directions);
  }

  async setUserAttr(key: string, value: unknown): Promise<void> {
    if (typeof key !== 'string' || key === '') {
      throw invalidArgument('setUserAttr(key, value): key must be a non-empty string', this.name);
    }
    await this.storage.setStudyUserAttr(this.name, key, value);
  }

  async userAttrs(): Promise<Record<string, unknown>> {
    const info = await this.storage.getStudy(this.name);
    if (!info)
      throw new HpoError('NOT_FOUND', 'the study was deleted from its storage', {
        study: this.name,
      });
    return info.userAttrs;
  }

  /** One row per trial: number, state, values, params and duration. */
  async trialsTable(): Promise<TrialsTableRow[]> {
    const trials = await this.storage.getAllTrials(this.name);
    return trials.map((t) => ({
      number: t.number,
      state: t.state,
      values: t.values,
      params: t.params,
      durationMs:
        t.datetimeStart !== undefined && t.datetimeComplete !== undefined
          ? Date.parse(t.datetimeComplete) - Date.parse(t.datetimeStart)
          : undefined,
    }));
  }

  #assertSingleObjective(what: string): void {
    if (this.directions.length !== 1) {
      throw invalidArgument(
        `${what} is for single-objective studies; use bestTrials() for the Pareto front`,
        this.name,
      );
    }
  }

  #toResult(
    result: ObjectiveValue | TellFailure,
    context: { study: string; trial: number },
  ): TrialResult {
    if (typeof result === 'number' || Array.isArray(result)) {
      const values = typeof result === 'number' ? [result] : [...(result as readonly number[])];
      const ok =
        values.length === this.directions.length &&
        values.every((v) => typeof v === 'number' && Number.isFinite(v));
      if (!ok) {
        throw new HpoError(
          'INVALID_VALUE',
          `the objective must give ${this.directions.length} finite number(s), one per direction (${this.directions.join(', ')}), got ${JSON.stringify(result)}`,
          context,
        );
      }
      return { state: 'complete', values };
    }
    const failure = result as TellFailure | null;
    if (failure && (failure.state === 'pruned' || failure.state === 'fail')) {
      return failure.error === undefined || failure.state === 'pruned'
        ? { state: failure.state }
        : { state: 'fail', error: String(failure.error) };
    }
    throw new HpoError(
      'INVALID_VALUE',
      `tell() needs values or { state: 'pruned' | 'fail' }, got ${JSON.stringify(result)}`,
      context,
    );
  }

  /** Records how a trial run ended; lost processes are retried under the retry policy. */
  async #record(
    trial: Trial,
    outcome: TrialOutcome,
    retry: RetryOptions | undefined,
  ): Promise<FrozenTrial> {
    try {
      return await this.#recordOutcome(trial, outcome, retry);
    } catch (error) {
      // Another process finished the trial first (its heartbeat reaper): keep that record, go on.
      if (error instanceof HpoError && error.code === 'TRIAL_FINISHED') {
        return this.storage.getTrial(this.name, trial.number);
      }
      throw error;
    }
  }

  async #recordOutcome(
    trial: Trial,
    outcome: TrialOutcome,
    retry: RetryOptions | undefined,
  ): Promise<FrozenTrial> {
    if (outcome.kind === 'value') {
      try {
        return await this.tell(trial, outcome.value as ObjectiveValue);
      } catch (error) {
        if (trial.finished) throw error;
        // Like Optuna: a bad return value (NaN, wrong count) or a failed write fails the trial.
        return this.tell(trial, { state: 'fail', error: errorText(error) });
      }
    }
    if (outcome.kind === 'pruned') return this.tell(trial, { state: 'pruned' });
    const error = outcome.kind === 'crash' ? outcome.error : errorText(outcome.error);
    const frozen = await this.tell(trial, { state: 'fail', error });
    if (outcome.kind === 'crash') await this.#enqueueRetry(frozen, retry);
    return frozen;
  }

  async #reapStaleTrials(retry: RetryOptions | undefined): Promise<void> {
    if (!this.#heartbeat) return;
    const failed = await this.storage.failStaleTrials(this.name, this.#heartbeat.graceMs);
    for (const frozen of failed) {
      this.#live.get(frozen.number)?.markFinished();
      this.#live.delete(frozen.number);
      await this.#enqueueRetry(frozen, retry);
    }
  }

  async #enqueueRetry(failed: FrozenTrial, retry: RetryOptions | undefined): Promise<void> {
    const count =
      typeof failed.systemAttrs.retry_count === 'number' ? failed.systemAttrs.retry_count : 0;
    if (!retry || count >= retry.maxRetries) return;
    const fixed = (failed.systemAttrs.fixed_params ?? {}) as Record<string, ParamValue>;
    const history = Array.isArray(failed.systemAttrs.retry_history)
      ? (failed.systemAttrs.retry_history as number[])
      : [];
    await this.storage.createTrial(this.name, {
      state: 'waiting',
      userAttrs: failed.userAttrs,
      // Sampler bookkeeping (e.g. a grid id) carries over, as in Optuna's RetryFailedTrialCallback.
      systemAttrs: {
        ...failed.systemAttrs,
        fixed_params: { ...fixed, ...failed.params },
        retried_from: failed.number,
        retry_count: count + 1,
        retry_history: [...history, failed.number],
      },
    });
    this.#retriesEnqueued++;
  }

  async #runner(
    objective: Objective | string | ObjectiveModule,
    processes: boolean,
  ): Promise<(trial: Trial) => Promise<TrialOutcome>> {
    if (typeof objective === 'function') {
      if (processes) {
        throw invalidArgument(
          'optimize: processes: true needs the objective as a module path or { module, exportName }, not a function',
          this.name,
        );
      }
      return runInProcess(objective);
    }
    if (processes) return createProcessRunner(objective, { study: this.name });
    return runInProcess(await importObjective<Objective>(objective, this.name));
  }
}

function runInProcess(objective: Objective): (trial: Trial) => Promise<TrialOutcome> {
  return async (trial) => {
    try {
      return { kind: 'value', value: await objective(trial) };
    } catch (error) {
      if (error instanceof TrialPruned) return { kind: 'pruned' };
      return { kind: 'error', error };
    }
  };
}

function checkDirections(options: CreateStudyOptions, name: string): StudyDirection[] {
  const { direction, directions } = options;
  if (direction !== undefined && directions !== undefined) {
    throw invalidArgument('give either direction or directions, not both', name);
  }
  const list = directions ?? [direction ?? 'minimize'];
  if (!Array.isArray(list) || list.length === 0) {
    throw invalidArgument('directions must be a non-empty array of minimize/maximize', name);
  }
  for (const d of list) {
    if (!DIRECTIONS.includes(d)) {
      throw invalidArgument(
        `direction must be 'minimize' or 'maximize', got ${JSON.stringify(d)}`,
        name,
      );
    }
  }
  return [...list];
}

/** Creates a study (or, with `loadIfExists`, loads the one of that name). */
export async function createStudy(options: CreateStudyOptions = {}): Promise<Study> {
  const {
    name = `study-${randomUUID()}`,
    storage = createInMemoryStorage(),
    loadIfExists = false,
  } = options;
  if (typeof name !== 'string' || name === '') {
    throw invalidArgument(`name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
  const directions = checkDirections(options, name);
  const join = (info: StudyInfo): Study => {
    const explicit = options.direction !== undefined || options.directions !== undefined;
    if (explicit && info.directions.join() !== directions.join()) {
      throw invalidArgument(
        `the stored study optimizes [${info.directions.join(', ')}], not [${directions.join(', ')}]; drop direction(s) or use another name`,
        name,
      );
    }
    return new Study(name, info.directions, storage, options);
  };
  const existing = loadIfExists ? await storage.getStudy(name) : undefined;
  if (existing) return join(existing);
  try {
    const info = await storage.createStudy(name, directions);
    return new Study(info.name, info.directions, storage, options);
  } catch (error) {
    // Processes starting together all see no study, then all but one lose the create race.
    if (!(loadIfExists && error instanceof HpoError && error.code === 'ALREADY_EXISTS')) {
      throw error;
    }
    const created = await storage.getStudy(name);
    if (!created) throw error;
    return join(created);
  }
}

/** Loads an existing study from `storage`; NOT_FOUND when there is none. */
export async function loadStudy(
  name: string,
  storage: StudyStorage,
  options: StudyOptions = {},
): Promise<Study> {
  const info = await storage.getStudy(name);
  if (!info) {
    throw new HpoError(
      'NOT_FOUND',
      `no such study in the ${storage.kind} storage; create it with createStudy()`,
      { study: name },
    );
  }
  return new Study(info.name, info.directions, storage, options);
}
