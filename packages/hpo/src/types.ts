// Public types of @ft/hpo: search-space distributions, trials as stored, and the three swappable
// interfaces (Sampler, Pruner, StudyStorage). Every implementation lives in its own folder.

// ---------------------------------------------------------------------------------------------
// Search space

/** A categorical choice must survive a JSON round trip unchanged (storages are JSON). */
export type CategoricalChoice = string | number | boolean | null;
/** The value of one suggested parameter. */
export type ParamValue = number | string | boolean | null;

export interface FloatDistribution {
  type: 'float';
  low: number;
  high: number;
  /** Sample uniformly in log space; requires `low > 0`. @default false */
  log: boolean;
  /** Discretise to `low + k * step`; not combinable with `log`. */
  step?: number;
}

export interface IntDistribution {
  type: 'int';
  low: number;
  high: number;
  /** @default false */
  log: boolean;
  /** @default 1 */
  step: number;
}

export interface CategoricalDistribution {
  type: 'categorical';
  choices: readonly CategoricalChoice[];
}

export type Distribution = FloatDistribution | IntDistribution | CategoricalDistribution;

// ---------------------------------------------------------------------------------------------
// Trials

export type StudyDirection = 'minimize' | 'maximize';

/**
 * `waiting`: enqueued, not started; `running`: being evaluated; `complete`: has values;
 * `pruned`: stopped early by a pruner; `fail`: threw, crashed or lost its heartbeat.
 */
export type TrialState = 'waiting' | 'running' | 'complete' | 'pruned' | 'fail';

/** A trial as stored: plain JSON data, the same for every storage. */
export interface FrozenTrial {
  /** 0-based, unique and dense within the study, in creation order. */
  number: number;
  state: TrialState;
  /** One value per study direction; present when `complete` (and for `pruned`, the last report). */
  values?: number[];
  /** Suggested (or enqueued/fixed) parameters in external form, e.g. the categorical choice itself. */
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  /** `trial.report(value, step)`; keys are steps (JSON object keys, so strings). */
  intermediateValues: Record<string, number>;
  userAttrs: Record<string, unknown>;
  /** Internal bookkeeping: sampler state (e.g. NSGA-II generation), `retried_from`, `fixed_params`, … */
  systemAttrs: Record<string, unknown>;
  /** Constraint values: a trial is feasible when every value is ≤ 0. */
  constraints?: number[];
  /** ISO timestamps. */
  datetimeStart?: string;
  datetimeComplete?: string;
  /** Last heartbeat, ms since the epoch (only when heartbeats are on). */
  heartbeatAt?: number;
  /** Why a `fail` trial failed: the error message (and stack) or the crash. */
  error?: string;
}

/** The study as seen by samplers and pruners: its directions and a snapshot of all its trials. */
export interface StudyView {
  readonly name: string;
  readonly directions: readonly StudyDirection[];
  readonly trials: readonly FrozenTrial[];
}

// ---------------------------------------------------------------------------------------------
// Samplers

/**
 * Proposes parameter values. Methods are synchronous and pure apart from the sampler's own seeded
 * RNG, so a study with a seeded sampler and `concurrency: 1` is reproducible.
 *
 * Like Optuna: once per trial the study calls `inferRelativeSearchSpace` and `sampleRelative`
 * (joint sampling, e.g. multivariate TPE, CMA-ES), then each `suggestXxx` whose parameter was not
 * sampled jointly falls back to `sampleIndependent`.
 */
export interface Sampler {
  readonly name: string;
  inferRelativeSearchSpace?(study: StudyView, trial: FrozenTrial): Record<string, Distribution>;
  sampleRelative?(
    study: StudyView,
    trial: FrozenTrial,
    searchSpace: Record<string, Distribution>,
  ): Record<string, ParamValue>;
  sampleIndependent(
    study: StudyView,
    trial: FrozenTrial,
    paramName: string,
    distribution: Distribution,
  ): ParamValue;
  /** Called when a trial starts (after it got its number), e.g. for grid bookkeeping. */
  beforeTrial?(study: StudyView, trial: FrozenTrial): void;
  /** Called when a trial finishes, with its final state and values. */
  afterTrial?(study: StudyView, trial: FrozenTrial): void;
}

// ---------------------------------------------------------------------------------------------
// Pruners

/** Decides from intermediate values whether a running trial should stop early. */
export interface Pruner {
  readonly name: string;
  /** `trial` is the running trial with its latest report included in `intermediateValues`. */
  prune(study: StudyView, trial: FrozenTrial): boolean;
}

// ---------------------------------------------------------------------------------------------
// Storage

export interface StudyInfo {
  name: string;
  directions: StudyDirection[];
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  /** ISO timestamp. */
  createdAt: string;
}

/** Fields a new trial may start with (enqueued trials, retries). */
export interface TrialTemplate {
  state: 'waiting' | 'running';
  params?: Record<string, ParamValue>;
  distributions?: Record<string, Distribution>;
  userAttrs?: Record<string, unknown>;
  systemAttrs?: Record<string, unknown>;
}

/** What finishing a trial records. */
export interface TrialResult {
  state: 'complete' | 'pruned' | 'fail';
  values?: number[];
  constraints?: number[];
  error?: string;
}

/**
 * Where studies live. Every method is atomic on its own; several processes (journal file) or
 * machines (Redis, PostgreSQL) may use one storage at once, so numbers are assigned by the
 * storage, waiting trials are popped by exactly one caller, and a finished trial never changes.
 * All implementations pass the shared conformance suite (`storages/conformance.ts`).
 */
export interface StudyStorage {
  /** Short name for messages: `memory`, `journal`, `redis`, `postgres`. */
  readonly kind: string;
  /** Throws `ALREADY_EXISTS` when the name is taken. */
  createStudy(name: string, directions: StudyDirection[]): Promise<StudyInfo>;
  /** `undefined` when there is no such study. */
  getStudy(name: string): Promise<StudyInfo | undefined>;
  listStudies(): Promise<StudyInfo[]>;
  deleteStudy(name: string): Promise<void>;
  setStudyUserAttr(study: string, key: string, value: unknown): Promise<void>;
  setStudySystemAttr(study: string, key: string, value: unknown): Promise<void>;

  /** Creates a trial with the next number; `running` trials get `datetimeStart` now. */
  createTrial(study: string, template: TrialTemplate): Promise<FrozenTrial>;
  /** Atomically moves the oldest `waiting` trial to `running` and returns it; `undefined` if none. */
  popWaitingTrial(study: string): Promise<FrozenTrial | undefined>;
  /** Throws `TRIAL_FINISHED` when the trial is no longer running. */
  setTrialParam(
    study: string,
    trial: number,
    name: string,
    value: ParamValue,
    distribution: Distribution,
  ): Promise<void>;
  setTrialIntermediateValue(
    study: string,
    trial: number,
    step: number,
    value: number,
  ): Promise<void>;
  setTrialUserAttr(study: string, trial: number, key: string, value: unknown): Promise<void>;
  setTrialSystemAttr(study: string, trial: number, key: string, value: unknown): Promise<void>;
  /** Finishes a running trial; throws `TRIAL_FINISHED` if it already finished (first writer wins). */
  finishTrial(study: string, trial: number, result: TrialResult): Promise<FrozenTrial>;
  recordHeartbeat(study: string, trial: number): Promise<void>;
  /**
   * Marks `running` trials whose last heartbeat is older than `graceMs` as `fail` (error
   * "heartbeat lost") and returns them. Trials that never sent a heartbeat are left alone.
   */
  failStaleTrials(study: string, graceMs: number): Promise<FrozenTrial[]>;

  getTrial(study: string, trial: number): Promise<FrozenTrial>;
  /** All trials in number order, optionally only those in `states`. */
  getAllTrials(study: string, states?: readonly TrialState[]): Promise<FrozenTrial[]>;
  /** Releases connections, file handles and locks. */
  close(): Promise<void>;
}
