// Mixed-precision options of createTrainingStep: validation, defaults, and what happens when the
// step would run on the CPU (refuse, or train in full precision with one warning).
import { TrainerError } from '../errors.js';
import { CUDA_INSTALL_HINT } from '../runtime/providers.js';
import {
  type ComputeDType,
  checkAutocastOps,
  DEFAULT_AUTOCAST_OPS,
  type MixedPrecisionTransformOptions,
} from './autocast.js';
import { createLossScaler, type LossScaler, type LossScalerOptions } from './loss-scaler.js';

export interface MixedPrecisionOptions extends LossScalerOptions {
  /** The compute dtype of matrix products (bfloat16 is not supported yet). */
  dtype: 'float16';
  /**
   * Loss scaling: 'dynamic' (GradScaler semantics: overflowing steps are skipped and the scale
   * backs off), a fixed scale (an overflow is a NON_FINITE_LOSS error), or false (none).
   * @default 'dynamic'
   */
  lossScaling?: 'dynamic' | number | false;
  /** Op types run in `dtype`. @default ['MatMul', 'Gemm'] */
  ops?: readonly string[];
  /**
   * When the step runs on the CPU (asked for, or after a CUDA → CPU fallback): 'error' throws,
   * 'fp32' warns once and trains in full precision. @default 'error'
   */
  onCpu?: 'error' | 'fp32';
}

/**
 * Key of an internal option (not part of TrainingStepOptions): runs the mixed-precision step with
 * this compute dtype on whatever provider the session gets, CPU included. Tests use it with
 * float64 master weights and float32 compute, which ONNX Runtime's CPU kernels execute.
 */
export const MIXED_PRECISION_COMPUTE = Symbol('ft.trainer.mixedPrecisionCompute');

/** The step's view of validated options. */
export interface ResolvedMixedPrecision {
  transform: MixedPrecisionTransformOptions;
  /** A loss scale input is compiled in unless scaling is off. */
  scaled: boolean;
  /** Host scaler for 'dynamic'; undefined for a fixed scale or none. */
  scaler: LossScaler | undefined;
  /** The fixed scale (1 when unscaled). */
  fixedScale: number;
  onCpu: 'error' | 'fp32';
  /** Set by the internal test hook: compute on the CPU too. */
  allowCpu: boolean;
}

export function resolveMixedPrecision(
  options: MixedPrecisionOptions,
  testCompute?: ComputeDType,
): ResolvedMixedPrecision {
  const { dtype, lossScaling = 'dynamic', ops = DEFAULT_AUTOCAST_OPS, onCpu = 'error' } = options;
  if (dtype !== 'float16') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `mixedPrecision.dtype must be 'float16', got ${JSON.stringify(dtype)}` +
        (String(dtype) === 'bfloat16'
          ? ' (bfloat16 compute is not supported yet: the graph IR has no bfloat16 dtype)'
          : ''),
    );
  }
  if (onCpu !== 'error' && onCpu !== 'fp32') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `mixedPrecision.onCpu must be 'error' or 'fp32', got ${JSON.stringify(onCpu)}`,
    );
  }
  const fixed = typeof lossScaling === 'number';
  if (lossScaling !== 'dynamic' && lossScaling !== false && !fixed) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `mixedPrecision.lossScaling must be 'dynamic', a number > 0 or false, got ${JSON.stringify(lossScaling)}`,
    );
  }
  if (fixed && !(lossScaling > 0 && Number.isFinite(lossScaling))) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `mixedPrecision.lossScaling must be a finite number > 0 when fixed, got ${lossScaling}`,
    );
  }
  checkAutocastOps(ops);
  // Validates initScale & co. even when they are unused (fixed or no scaling), so a bad value is
  // never silently ignored.
  const scaler = createLossScaler(options);
  return {
    transform: { computeDtype: testCompute ?? dtype, ops },
    scaled: lossScaling !== false,
    scaler: lossScaling === 'dynamic' ? scaler : undefined,
    fixedScale: fixed ? lossScaling : 1,
    onCpu,
    allowCpu: testCompute !== undefined,
  };
}

const warned = { cpu: false };

/**
 * Called when a mixed-precision step would run on the CPU: throws with `onCpu: 'error'`, else
 * warns once per process (the caller then builds the plain full-precision step).
 */
export function refuseOrWarnOnCpu(
  resolved: ResolvedMixedPrecision,
  requested: 'cpu' | 'cuda',
): void {
  const where =
    requested === 'cuda'
      ? 'the CUDA execution provider is not available, so the step fell back to the CPU'
      : "the step runs on the CPU (session.executionProvider is 'cpu')";
  // Measured with onnxruntime-node 1.30 (see mixed-precision.test.ts): a float16 MatMul, Gemm or
  // Add on the CPU runs a float32 kernel between inserted Casts, and the float32 → float16 → float32
  // pairs are then removed, so the forward pass comes out float32 bit for bit.
  const why =
    "onnxruntime-node's CPU build has no float16 MatMul/Gemm kernels (it inserts Casts and runs " +
    'its float32 kernels, removing most of the float16 rounding), so mixed precision there only adds ' +
    'Casts and gives no float16 speed or memory saving';
  if (resolved.onCpu === 'error') {
    throw new TrainerError(
      requested === 'cuda' ? 'PROVIDER_UNAVAILABLE' : 'INVALID_ARGUMENT',
      `mixedPrecision (float16 compute) needs the CUDA execution provider, but ${where}: ${why}. ` +
        `Fix: pass session: { executionProvider: 'cuda' } with the CUDA libraries (${CUDA_INSTALL_HINT}), ` +
        "or mixedPrecision.onCpu: 'fp32' to train in full precision on the CPU.",
    );
  }
  if (!warned.cpu) {
    warned.cpu = true;
    console.warn(
      `[@ft/trainer] mixedPrecision is ignored: ${where}, and ${why}. Training in full precision (mixedPrecision.onCpu: 'fp32').`,
    );
  }
}
