// Types of the regression suites: registered test sets, per-kind thresholds, stored baselines,
// run results and the run history the trends are computed from.
import type { ComparisonTest } from '../compare/baseline.js';
import type { ComparisonResult, DegradedSample, GateResult } from '../types.js';

/**
 * - `critical`: must never get worse — any degraded sample or any aggregate drop fails.
 * - `benchmark`: broad quality — fails on an aggregate drop beyond a tolerance that a paired test
 *   finds significant.
 * - `edge-case`: known hard inputs — fails when too large a share of samples got worse.
 */
export type TestSetKind = 'benchmark' | 'critical' | 'edge-case';

/** One stored example; `input` and `expected` are any JSON values. */
export interface TestExample<I = unknown, E = unknown> {
  /** Unique within its set; baselines are matched to runs by id. */
  id: string;
  input: I;
  expected: E;
}

/** Per-set overrides of the kind's default thresholds; `null` switches a check off. */
export interface SetThresholds {
  /**
   * Largest allowed drop of a metric's mean over the compared samples (in the metric's units,
   * whichever way is better).
   * @default 0 for critical, 0.01 for benchmark, null (not checked) for edge-case
   */
  maxAggregateDrop?: number | null;
  /**
   * Largest allowed share (0–1) of compared samples that got worse on any metric.
   * @default 0 for critical, null (not checked) for benchmark, 0.1 for edge-case
   */
  maxDegradedShare?: number | null;
  /** A sample counts as degraded when its score gets worse by more than this. @default 0 */
  sampleTolerance?: number;
  /**
   * Fail an aggregate drop beyond `maxAggregateDrop` only when the paired test also finds the
   * difference significantly worse at `alpha` (so noise on a small set does not fail the run).
   * @default true for benchmark, false otherwise
   */
  requireSignificance?: boolean;
  /** Significance level of the paired test. @default 0.05 */
  alpha?: number;
  /** Paired test behind the comparison's p-value. @default 'paired-t' */
  test?: ComparisonTest;
}

/** Thresholds after the kind's defaults were applied. */
export interface ResolvedThresholds {
  maxAggregateDrop: number | null;
  maxDegradedShare: number | null;
  sampleTolerance: number;
  requireSignificance: boolean;
  alpha: number;
  test: ComparisonTest;
}

/** What `registerTestSet` takes. */
export interface TestSetDefinition<I = unknown, E = unknown> {
  /** Letters, digits, `.`, `_`, `-`; starts with a letter or digit. */
  name: string;
  kind: TestSetKind;
  examples: ReadonlyArray<TestExample<I, E>>;
  thresholds?: SetThresholds;
  description?: string;
}

/** A registered set as the suite manifest lists it. */
export interface TestSetInfo {
  name: string;
  kind: TestSetKind;
  /** Only the overrides given at registration; the kind's defaults fill the rest at run time. */
  thresholds: SetThresholds;
  description?: string;
  /** Number of examples. */
  count: number;
  /** sha256 of the stored examples file, so runs and baselines record which examples they saw. */
  sha256: string;
  registeredAt: string;
}

/** Stored per-sample scores and their means for one set under one model version. */
export interface SetBaseline {
  kind: TestSetKind;
  /** sha256 of the examples file the scores were taken on. */
  examplesSha256: string;
  /** Metric name → whether larger is better. */
  higherIsBetter: Record<string, boolean>;
  /** Metric name → mean over the set. */
  aggregate: Record<string, number>;
  /** Example id → metric name → score. */
  scores: Record<string, Record<string, number>>;
}

/** All sets' scores of one model version. */
export interface SuiteBaseline {
  suite: string;
  modelVersion: string;
  createdAt: string;
  sets: Record<string, SetBaseline>;
}

/** A degraded sample with the metric it got worse on. */
export interface SuiteDegradedSample extends DegradedSample {
  metric: string;
}

export type SetRunStatus = 'pass' | 'fail' | 'no-baseline';

/** One set's outcome in a run. */
export interface SetRunResult {
  set: string;
  kind: TestSetKind;
  /** `no-baseline` passes: there was nothing to compare with (first run, or a new set). */
  status: SetRunStatus;
  passed: boolean;
  /** Every check as a gate rule (id, passed, reason with the numbers); the set fails if any fails. */
  gate: GateResult;
  /** One line per failed check, for logs. */
  reasons: string[];
  thresholds: ResolvedThresholds;
  /** Examples scored. */
  n: number;
  /** Examples that had a baseline score and were compared. */
  compared: number;
  /** Metric name → mean over all scored examples. */
  aggregate: Record<string, number>;
  higherIsBetter: Record<string, boolean>;
  /** Paired comparison per metric over the compared examples (needs at least 2). */
  comparisons: ComparisonResult[];
  /** Compared samples that got worse by more than `sampleTolerance`, worst first per metric. */
  degraded: SuiteDegradedSample[];
  /** Share of compared samples degraded on at least one metric. */
  degradedShare: number;
  /** Example id → metric name → score. */
  scores: Record<string, Record<string, number>>;
  examplesSha256: string;
}

export interface SuiteRunResult {
  /** Sequence number in the suite's history (1, 2, …); absent when the run was not recorded. */
  run?: number;
  suite: string;
  modelVersion: string;
  baselineVersion?: string;
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  sets: SetRunResult[];
}

/** One set's summary in a history record. */
export interface SetRunSummary {
  set: string;
  kind: TestSetKind;
  status: SetRunStatus;
  n: number;
  compared: number;
  aggregate: Record<string, number>;
  higherIsBetter: Record<string, boolean>;
  degradedCount: number;
  /** Ids of the failed checks. */
  failed: string[];
  examplesSha256: string;
}

/** One line of a suite's append-only `history.jsonl`. */
export interface SuiteRunRecord {
  run: number;
  suite: string;
  modelVersion: string;
  baselineVersion: string | null;
  startedAt: string;
  finishedAt: string;
  passed: boolean;
  sets: SetRunSummary[];
}

/** Storage of suites; `createFileSuiteStore` is the folder-backed implementation. */
export interface SuiteStore {
  /** Adds a set to a suite (creating the suite), or replaces the set of that name. */
  registerTestSet<I, E>(suite: string, set: TestSetDefinition<I, E>): Promise<TestSetInfo>;
  listSuites(): Promise<string[]>;
  /** The suite's sets in registration order; NOT_FOUND when the suite has none. */
  listTestSets(suite: string): Promise<TestSetInfo[]>;
  loadExamples(suite: string, set: string): Promise<TestExample[]>;
  /**
   * Stores the baseline of `baseline.modelVersion`, replacing the stored one, or with
   * `merge: true` replacing only the sets it holds and keeping the stored baseline's other sets.
   */
  saveBaseline(baseline: SuiteBaseline, options?: { merge?: boolean }): Promise<void>;
  /** NOT_FOUND when there is none for that version. */
  loadBaseline(suite: string, modelVersion: string): Promise<SuiteBaseline>;
  listBaselines(suite: string): Promise<string[]>;
  /** Appends a run to the history, numbering it after the last one. */
  appendRun(record: Omit<SuiteRunRecord, 'run'>): Promise<SuiteRunRecord>;
  /** Runs in the order they were appended; empty when there are none. */
  readHistory(suite: string): Promise<SuiteRunRecord[]>;
}

export interface FileSuiteStoreOptions {
  /** Folder holding one sub-folder per suite; created on first write. */
  dir: string;
  /** How long a write waits for another process's lock on the suite. @default 10000 */
  lockTimeoutMs?: number;
  /** Clock for `registeredAt`. @default () => new Date() */
  now?: () => Date;
}

export interface RunSuiteOptions<I = unknown, O = unknown, E = unknown> {
  /** Version of the model under test; recorded and used as the key when saving a baseline. */
  modelVersion: string;
  /** Predicts a batch of inputs; must return one output per input, in order. */
  predict: (inputs: I[], context: { set: string; kind: TestSetKind }) => Promise<O[]> | O[];
  /**
   * Scores one output against its expected value: a number (metric `score`) or several named
   * metrics. Every sample of a set must return the same metric names.
   */
  score: (output: O, expected: E, example: TestExample<I, E>) => number | Record<string, number>;
  /** Model version whose stored baseline the run is compared with; without it nothing is compared. */
  baselineVersion?: string;
  /** Metrics where smaller is better (e.g. `wer`, `loss`). @default [] */
  lowerIsBetter?: string[];
  /** Only run these sets. @default every set of the suite */
  sets?: string[];
  /** Inputs per `predict` call. @default 64 */
  batchSize?: number;
  /** Store this run's scores as the baseline of `modelVersion`. @default false */
  saveBaseline?: boolean;
  /** Append the run to the suite's history. @default true */
  record?: boolean;
  /** Seed of the bootstrap or permutation test, when a set uses one. @default 0 */
  seed?: number;
  /** Clock for `startedAt` / `finishedAt`. @default () => new Date() */
  now?: () => Date;
}

/** One metric of one set over the recorded runs. */
export interface SuiteTrend {
  set: string;
  metric: string;
  higherIsBetter: boolean;
  points: Array<{ run: number; modelVersion: string; value: number }>;
  /** Least-squares slope of the value per run (over the run sequence numbers). */
  slope: number;
  /** Last value − first value. */
  change: number;
  /** From the slope and which way is better; `flat` when |slope| ≤ tolerance. */
  direction: 'improving' | 'declining' | 'flat';
}

export interface SuiteTrendsOptions {
  /** Only this set. @default every set */
  set?: string;
  /** Only this metric. @default every metric */
  metric?: string;
  /** Only the last this many runs that include the set. @default all */
  lastRuns?: number;
  /** Largest |slope| still called flat. @default 1e-9 */
  tolerance?: number;
}
