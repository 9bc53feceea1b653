// The JSON document `trainer_state.json` in every checkpoint: everything besides tensors that a
// resumed run needs to continue exactly where the checkpoint was taken.
import type { ReduceOnPlateauState } from '../schedules/reduce-on-plateau.js';
import type { ScheduleState } from '../schedules/schedule.js';
import type { ImprovementState } from './improvement.js';
import type { HistoryEntry } from './types.js';

/** How the learning rate was produced; only schedules with state can be restored. */
export type SchedulerState =
  | { kind: 'constant'; lr: number }
  | { kind: 'schedule'; state: ScheduleState }
  | { kind: 'plateau'; state: ReduceOnPlateauState }
  /** A user `(step) => lr` function: stateless by contract, nothing to restore. */
  | { kind: 'function' };

/** Running sums for the next train history entry (saved so history is identical on resume). */
export interface LogWindow {
  steps: number;
  lossSum: number;
  samples: number;
  tokens: number;
  seconds: number;
  lastLr: number;
  lastGradNorm: number | null;
}

export interface TrainerState {
  format: 'ft-trainer-state';
  version: 1;
  /** Optimizer steps completed. */
  optimizerStep: number;
  /** Completed epochs. */
  epoch: number;
  /** Micro-batches of epoch `epoch` already consumed. */
  batchInEpoch: number;
  /** epoch + batchInEpoch / batchesPerEpoch. */
  epochProgress: number;
  samplesSeen: number;
  /** What fixes the batch order: a resume must use the same values. */
  data: {
    trainSize: number;
    batchSize: number;
    batchesPerEpoch: number;
    seed: number | string;
    shuffle: boolean;
    dropLast: boolean;
    /** createRng key of the current epoch's shuffle. */
    rngKey: string;
  };
  scheduler: SchedulerState;
  best: {
    metric: string;
    mode: 'min' | 'max';
    value: number | null;
    step: number | null;
    /** Folder name (inside outputDir) of the best checkpoint, or null. */
    checkpoint: string | null;
  };
  earlyStopping:
    | (ImprovementState & {
        metric: string;
        mode: 'min' | 'max';
        patience: number;
        threshold: number;
      })
    | null;
  skippedSteps: number;
  logWindow: LogWindow;
  history: HistoryEntry[];
}
