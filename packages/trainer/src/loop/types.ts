// Types of the training loop: the step contract it drives, its options, events, history and result.
import type { TensorData } from '../ir/types.js';
import type { ReduceOnPlateau } from '../schedules/reduce-on-plateau.js';
import type { Schedule, ScheduleOptions } from '../schedules/schedule.js';
import type { TrainingStep as FullTrainingStep } from '../step/types.js';

/** A batch: named input tensors, fed to the step as they are. */
export type Batch = Record<string, TensorData>;

export type { OptimizerState } from '../step/types.js';

/**
 * The part of a compiled TrainingStep (createTrainingStep) the loop drives; any object with these
 * members can be trained, e.g. a hand-written step in tests.
 */
export type TrainingStep = Pick<
  FullTrainingStep,
  | 'run'
  | 'evaluate'
  | 'getParameters'
  | 'setParameters'
  | 'getOptimizerState'
  | 'setOptimizerState'
  | 'optimizerSteps'
  | 'trainableParameters'
  | 'release'
>;

/** A dataset the loop can index: `batch(indices)` assembles the samples at those indices. */
export interface BatchSource {
  /** Number of samples. */
  size: number;
  batch(indices: number[]): Batch | Promise<Batch>;
}

/**
 * An evaluation metric accumulator: a fresh one is made for every evaluation, fed every eval
 * batch, then asked for its values (reported with an `eval_` prefix).
 */
export interface Metric {
  update(outputs: Record<string, TensorData>, batch: Batch, batchSize: number): void;
  compute(): Record<string, number>;
}

/** Makes a fresh metric accumulator (one per evaluation). */
export type MetricFactory = () => Metric;

/**
 * The learning rate: a constant, Hugging Face schedule options (totalSteps filled in from
 * maxSteps or epochs × batches per epoch when absent), a schedule from createSchedule, any
 * `(optimizerStep) => lr` function, or a ReduceOnPlateau fed the best-model metric at each
 * evaluation.
 */
export type LrOption =
  | number
  | ScheduleOptions
  | Schedule
  | ((step: number) => number)
  | ReduceOnPlateau;

export interface EarlyStoppingOptions {
  /** Metric to watch, as reported in eval history entries. @default 'eval_loss' */
  metric?: string;
  /** Whether lower or higher is better. @default 'min' */
  mode?: 'min' | 'max';
  /** Evaluations in a row without improvement after which training stops. */
  patience: number;
  /** Minimum absolute change that counts as an improvement. @default 0 */
  threshold?: number;
}

/** Where progress lines go: a writable with an optional `isTTY` (process.stdout is one). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface TrainOptions {
  /** The compiled training step (parameters and optimizer state live in it). */
  step: TrainingStep;
  /** Training samples, and optionally evaluation samples. */
  data: { train: BatchSource; eval?: BatchSource };
  /** Samples per micro-batch (what one `step.run` call sees). */
  batchSize: number;
  /** Samples per evaluation batch. @default batchSize */
  evalBatchSize?: number;
  /** Passes over the training set. @default 1 when maxSteps is not set, otherwise unbounded */
  epochs?: number;
  /** Stop after this many optimizer steps (wins when it comes before the epochs end). */
  maxSteps?: number;
  /** Seed of the shuffling: epoch e visits a createRng(`${seed}:${e}`) shuffle of 0..n-1. @default 0 */
  seed?: number | string;
  /** Shuffle the training set every epoch. @default true */
  shuffle?: boolean;
  /** Drop each epoch's last batch when it is smaller than batchSize. @default false */
  dropLast?: boolean;
  /** Learning rate or schedule. */
  lr: LrOption;
  /** Evaluate every this many optimizer steps (needs data.eval). @default none */
  evalSteps?: number;
  /** Evaluate at the end of each epoch. @default true when data.eval is given and evalSteps is not */
  evalEveryEpoch?: boolean;
  /** Evaluation metrics on top of eval_loss (see meanMetrics for per-batch functions). */
  metrics?: MetricFactory;
  /** Metric that picks the best checkpoint and drives ReduceOnPlateau. @default earlyStopping.metric ?? 'eval_loss' */
  metricForBestModel?: string;
  /** Direction of metricForBestModel. @default earlyStopping.mode ?? 'min' */
  bestModelMode?: 'min' | 'max';
  /** Stop when the watched metric stops improving. @default off */
  earlyStopping?: EarlyStoppingOptions;
  /** Folder for checkpoints and history.json. @default none: nothing is written */
  outputDir?: string;
  /** Write `checkpoint-<step>/` every this many optimizer steps (and once at the end). @default none */
  saveSteps?: number;
  /** Keep only the newest this many checkpoints, plus the best one. @default all */
  saveTotalLimit?: number;
  /** Continue from `outputDir`'s newest checkpoint ('latest') or a checkpoint folder. */
  resumeFrom?: 'latest' | string;
  /**
   * Load the best checkpoint's parameters into the step when training ends. A checkpoint is also
   * written after every evaluation that improves the best metric, so the best model is on disk.
   * @default false
   */
  loadBestModelAtEnd?: boolean;
  /** A history entry and a progress line every this many optimizer steps. @default 10 */
  logEvery?: number;
  /** Progress output; false silences it. @default true (process.stdout) */
  progress?: boolean | { stream: ProgressStream };
  /** Tokens in a batch: progress and history then report tokens/s. */
  tokensPerBatch?: (batch: Batch) => number;
  /** Called (and awaited) on every training event. */
  onEvent?: (event: TrainEvent) => void | Promise<void>;
  /**
   * NaN/Inf loss or gradient norm (returned, or refused by the step with NON_FINITE_LOSS): throw
   * TrainerError NON_FINITE_LOSS naming the optimizer step and epoch, or 'skip': restore the
   * parameters and optimizer state copied before that micro-batch (copies are made only in this
   * mode), count it in `skippedSteps`, and go on. Restoring optimizer state starts a fresh
   * accumulation cycle, so with gradient accumulation the cycle's earlier micro-batches are
   * dropped too.
   * @default 'error'
   */
  onNonFinite?: 'error' | 'skip';
}

/** One training log entry: means over the optimizer steps since the previous entry. */
export interface TrainLogEntry {
  type: 'train';
  /** Optimizer steps completed. */
  step: number;
  /** Fractional epoch: completed epochs + fraction of the current one. */
  epoch: number;
  loss: number;
  /** Learning rate of the last optimizer step. */
  lr: number;
  gradNorm?: number;
  samplesPerSecond: number;
  tokensPerSecond?: number;
  /** Non-finite steps skipped so far (including mixed-precision updates skipped on overflow). */
  skippedSteps: number;
}

/** One evaluation: eval_loss plus the user metrics, each prefixed `eval_`. */
export interface EvalLogEntry {
  type: 'eval';
  step: number;
  epoch: number;
  metrics: Record<string, number>;
  samplesPerSecond: number;
}

export type HistoryEntry = TrainLogEntry | EvalLogEntry;

export type TrainEvent =
  | {
      type: 'step';
      step: number;
      epoch: number;
      loss: number;
      lr: number;
      gradNorm?: number;
      /**
       * True when a non-finite loss was undone ('skip' mode; `step` did not advance), or when a
       * mixed-precision update overflowed and the step skipped it (`step` advanced, as HF counts it).
       */
      skipped: boolean;
    }
  | { type: 'eval'; step: number; epoch: number; metrics: Record<string, number> }
  | { type: 'checkpoint'; step: number; path: string }
  | { type: 'early_stop'; step: number; metric: string; best: number; evaluations: number }
  | { type: 'end'; result: TrainResult };

export interface TrainResult {
  /** Optimizer steps completed (including those before a resume). */
  steps: number;
  /** Fractional epochs completed. */
  epochs: number;
  /** Best value of metricForBestModel, or null without evaluations. */
  bestMetric: number | null;
  /** Absolute path of the best checkpoint, or null when none was saved at a best evaluation. */
  bestCheckpoint: string | null;
  history: HistoryEntry[];
  skippedSteps: number;
  stoppedEarly: boolean;
}
