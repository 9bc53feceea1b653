// Public types of the compiled training step: its options and the TrainingStep the loop drives.
import type { Graph, TensorData } from '../ir/types.js';
import type { LossScalerState } from '../mixed-precision/loss-scaler.js';
import type { MixedPrecisionOptions } from '../mixed-precision/options.js';
import type { ExecutionProvider } from '../runtime/providers.js';

/** Picks parameters by name: a list, a pattern, or a predicate. */
export type ParamSelector = readonly string[] | RegExp | ((name: string) => boolean);

/** AdamW (torch.optim.AdamW semantics: decoupled weight decay, bias correction). */
export interface AdamWOptimizerOptions {
  type: 'adamw';
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** @default 1e-8 */
  eps?: number;
  /** Decoupled weight decay λ. @default 0.01 */
  weightDecay?: number;
  /** Parameters exempt from weight decay. @default defaultNoDecay (biases and norm weights) */
  noDecay?: (name: string) => boolean;
}

/** SGD (torch.optim.SGD semantics: L2 weight decay added to the gradient, momentum). */
export interface SgdOptimizerOptions {
  type: 'sgd';
  /** @default 0 */
  momentum?: number;
  /** @default 0 */
  dampening?: number;
  /** @default false */
  nesterov?: boolean;
  /** @default 0 */
  weightDecay?: number;
  /** Parameters exempt from weight decay. @default defaultNoDecay (biases and norm weights) */
  noDecay?: (name: string) => boolean;
}

export type OptimizerOptions = AdamWOptimizerOptions | SgdOptimizerOptions;

export interface StepSessionOptions {
  /** Intra-op threads. @default 0 (one per core) */
  threads?: number;
  /** @default 'cpu' */
  executionProvider?: ExecutionProvider;
  /** With 'cuda': fail with PROVIDER_UNAVAILABLE instead of falling back to the CPU. @default false */
  requireCuda?: boolean;
  /** ONNX Runtime's memory-pattern planning; off for training steps (it doubled peak memory). @default false */
  memoryPattern?: boolean;
}

export interface TrainingStepOptions {
  /** The forward graph; its trainable parameters are initializers, and `loss` is one of its values. */
  graph: Graph;
  /** Name of the scalar loss value (reduced: mean or sum). */
  loss: string;
  /** Trainable parameters among the float32/float64 initializers. @default all of them */
  params?: ParamSelector;
  /** Parameters to keep fixed (stay initializers, folded by ONNX Runtime). @default none */
  frozen?: ParamSelector;
  optimizer: OptimizerOptions;
  /** Clip the global L2 norm of the gradients to this value. @default no clipping */
  maxGradNorm?: number;
  /**
   * Micro-batches per optimizer update. Their gradients are summed and divided by this number,
   * which equals one large batch's gradient when the loss is a mean over equal-size micro-batches.
   * @default 1
   */
  gradientAccumulationSteps?: number;
  /** Extra forward values to return from `run` and `evaluate` (e.g. `'logits'`). @default [] */
  outputs?: readonly string[];
  /**
   * The forward graph for `evaluate` (dropout off), with the same parameter names.
   * @default `graph` with Dropout nodes made identities (see createEvalGraph)
   */
  evalGraph?: Graph;
  /** Seed of the per-step dropout seeds (see dropoutSeedFor). @default 0 */
  seed?: number;
  /** @default {} (CPU, one thread per core) */
  session?: StepSessionOptions;
  /**
   * float16 matrix products with the parameters kept as they are (master weights) and dynamic
   * loss scaling; CUDA only (see MixedPrecisionOptions.onCpu). Training steps only: `evaluate`
   * runs `evalGraph` (or `graph`) as given, in full precision. @default off
   */
  mixedPrecision?: MixedPrecisionOptions;
}

export interface TrainingStepResult {
  /** The micro-batch's loss. */
  loss: number;
  /**
   * Global L2 norm of the (averaged, unscaled) gradients before clipping; set when `updated`
   * and not `skipped` (an overflowed norm is not reported).
   */
  gradNorm?: number;
  /** Whether this call ended an accumulation cycle (and updated the parameters unless `skipped`). */
  updated: boolean;
  /**
   * Dynamic loss scaling only: the gradients overflowed, so parameters, optimizer state and its
   * step count were left as they were and the loss scale backed off.
   */
  skipped?: boolean;
  /** With loss scaling, when `updated`: the scale this update's gradients were computed with. */
  lossScale?: number;
  /** The requested extra outputs. */
  outputs: Record<string, TensorData>;
}

/** Optimizer tensors plus the optimizer's update count (AdamW bias correction depends on it). */
export interface OptimizerState {
  tensors: Map<string, TensorData>;
  step: number;
  /** The dynamic loss scaler's state (mixed precision); absent without one. */
  lossScaler?: LossScalerState;
}

export interface TrainingStep {
  /** Runs one micro-batch: forward, backward and (every `gradientAccumulationSteps` calls) an optimizer update with learning rate `lr`. */
  run(batch: Record<string, TensorData>, lr: number): Promise<TrainingStepResult>;
  /** Forward only with dropout off (a separate eval graph), for evaluation. */
  evaluate(
    batch: Record<string, TensorData>,
  ): Promise<{ loss: number; outputs: Record<string, TensorData> }>;
  /** Copies of the current parameter values. */
  getParameters(): Map<string, TensorData>;
  /** Overwrites parameters (any subset); TrainerError CHECKPOINT naming the param on a mismatch. */
  setParameters(values: Map<string, TensorData>): void;
  /** Copies of the optimizer state (`<param>.exp_avg`/`.exp_avg_sq`, or `.momentum_buffer`). */
  getOptimizerState(): OptimizerState;
  /** Restores optimizer state saved by getOptimizerState; starts a fresh accumulation cycle. */
  setOptimizerState(state: OptimizerState): void;
  /** Optimizer updates done so far. */
  readonly optimizerSteps: number;
  /** Micro-batches run since the last update (0 ≤ n < gradientAccumulationSteps). */
  readonly pendingMicroBatches: number;
  readonly trainableParameters: readonly string[];
  /** The provider the training sessions run on (after any CUDA → CPU fallback). */
  readonly executionProvider: ExecutionProvider;
  release(): Promise<void>;
}
