// Host-side learning-rate schedules (the lr is a graph input): Hugging Face get_scheduler formulas,
// with their configuration serialisable to JSON for checkpoints.
import { TrainerError } from '../errors.js';
import {
  type LambdaParams,
  NEEDS_TOTAL,
  type ScheduleName,
  scheduleLambdas,
} from './hf-lambdas.js';

export type { ScheduleName } from './hf-lambdas.js';

export interface ScheduleOptions {
  /** Hugging Face `lr_scheduler_type`. */
  name: ScheduleName;
  /** Peak learning rate (the optimizer's lr in Hugging Face). */
  baseLr: number;
  /** Number of optimizer steps in the run; required by linear, cosine, cosine_with_restarts, polynomial and warmupRatio. */
  totalSteps?: number;
  /** Linear warmup steps from 0 to baseLr; wins over warmupRatio when > 0 (as TrainingArguments). @default 0 */
  warmupSteps?: number;
  /** Warmup as a fraction of totalSteps, rounded up: ceil(totalSteps · ratio). @default 0 */
  warmupRatio?: number;
  /** Cosine waves: 0.5 decays once to 0 (cosine); restarts count (cosine_with_restarts). @default 0.5 for cosine, 1 for cosine_with_restarts */
  numCycles?: number;
  /** Polynomial decay exponent. @default 1 */
  power?: number;
  /** Polynomial final learning rate (must be below baseLr). @default 1e-7 */
  lrEnd?: number;
  /** inverse_sqrt timescale. @default warmupSteps, or 10_000 when there is no warmup */
  timescale?: number;
}

/** A schedule's resolved configuration: JSON-safe, and valid ScheduleOptions to recreate it. */
export interface ScheduleState {
  name: ScheduleName;
  baseLr: number;
  totalSteps: number | null;
  warmupSteps: number;
  numCycles: number;
  power: number;
  lrEnd: number;
  timescale: number;
}

/**
 * `schedule(step)` is the learning rate for the optimizer step taken after `step` completed steps
 * (0 for the first), i.e. baseLr·λ(step) as LambdaLR gives it when `scheduler.step()` follows
 * each `optimizer.step()` — so with warmup the very first step uses lr 0, as in Hugging Face.
 */
export interface Schedule {
  (step: number): number;
  /** The resolved configuration (for checkpoints). */
  state(): ScheduleState;
  /** Adopts a configuration saved by `state()`, so a resumed run continues the same curve. */
  restore(state: ScheduleState): void;
}

function invalid(problem: string): never {
  throw new TrainerError('INVALID_ARGUMENT', problem);
}

function resolve(options: ScheduleOptions): { state: ScheduleState; params: LambdaParams } {
  const { name, baseLr, totalSteps, warmupRatio = 0, power = 1, lrEnd = 1e-7 } = options;
  if (!Object.hasOwn(scheduleLambdas, name)) {
    invalid(
      `unknown schedule ${JSON.stringify(name)}; known schedules: ${Object.keys(scheduleLambdas).join(', ')}`,
    );
  }
  if (!(baseLr >= 0) || !Number.isFinite(baseLr))
    invalid(`baseLr must be a finite number ≥ 0, got ${baseLr}`);
  const total = totalSteps ?? null;
  if (total !== null && !(Number.isInteger(total) && total > 0)) {
    invalid(`totalSteps must be a positive integer, got ${total}`);
  }
  if (total === null && NEEDS_TOTAL.has(name)) invalid(`schedule "${name}" needs totalSteps`);
  if (!(warmupRatio >= 0 && warmupRatio <= 1))
    invalid(`warmupRatio must be in [0, 1], got ${warmupRatio}`);
  let warmupSteps = options.warmupSteps ?? 0;
  if (!(Number.isInteger(warmupSteps) && warmupSteps >= 0)) {
    invalid(`warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  }
  if (warmupSteps === 0 && warmupRatio > 0) {
    if (total === null) invalid('warmupRatio needs totalSteps');
    // TrainingArguments.get_warmup_steps: math.ceil(num_training_steps * warmup_ratio)
    warmupSteps = Math.ceil(total * warmupRatio);
  }
  const numCycles = options.numCycles ?? (name === 'cosine_with_restarts' ? 1 : 0.5);
  if (!(numCycles > 0) || !Number.isFinite(numCycles))
    invalid(`numCycles must be > 0, got ${numCycles}`);
  if (!Number.isFinite(power)) invalid(`power must be a finite number, got ${power}`);
  if (name === 'polynomial' && !(baseLr > lrEnd)) {
    // get_polynomial_decay_schedule_with_warmup raises the same way.
    invalid(`lrEnd (${lrEnd}) must be smaller than baseLr (${baseLr})`);
  }
  if (name === 'polynomial' && total !== null && warmupSteps >= total) {
    invalid(`polynomial decay needs warmupSteps (${warmupSteps}) < totalSteps (${total})`);
  }
  // get_inverse_sqrt_schedule: timescale = num_warmup_steps or 10_000
  const timescale = options.timescale ?? (warmupSteps > 0 ? warmupSteps : 10_000);
  if (!(timescale > 0) || !Number.isFinite(timescale))
    invalid(`timescale must be > 0, got ${timescale}`);
  const state: ScheduleState = {
    name,
    baseLr,
    totalSteps: total,
    warmupSteps,
    numCycles,
    power,
    lrEnd,
    timescale,
  };
  const params: LambdaParams = {
    totalSteps: total ?? Number.POSITIVE_INFINITY,
    warmupSteps,
    numCycles,
    power,
    endRatio: baseLr > 0 ? lrEnd / baseLr : 0,
    timescale,
  };
  return { state, params };
}

/** Creates `step → lr` for a Hugging Face schedule type. */
export function createSchedule(options: ScheduleOptions): Schedule {
  let { state, params } = resolve(options);
  const schedule = (step: number): number => {
    if (!(Number.isInteger(step) && step >= 0)) invalid(`step must be an integer ≥ 0, got ${step}`);
    return state.baseLr * scheduleLambdas[state.name](step, params);
  };
  return Object.assign(schedule, {
    state: (): ScheduleState => ({ ...state }),
    restore(saved: ScheduleState): void {
      ({ state, params } = resolve({ ...saved, totalSteps: saved.totalSteps ?? undefined }));
    },
  });
}
