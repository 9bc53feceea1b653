// Test entry to the mixed-precision step with a compute dtype the CPU runs (float32 under float64
// master weights, or float16): the same code path as CUDA's, without the CPU refusal.
import { createTrainingStep } from '../step/training-step.js';
import type { TrainingStep, TrainingStepOptions } from '../step/types.js';
import type { ComputeDType } from './autocast.js';
import { MIXED_PRECISION_COMPUTE } from './options.js';

/** createTrainingStep with `options.mixedPrecision` computing in `computeDtype`, CPU allowed. */
export function createMixedPrecisionTestStep(
  options: TrainingStepOptions & {
    mixedPrecision: NonNullable<TrainingStepOptions['mixedPrecision']>;
  },
  computeDtype: ComputeDType,
): Promise<TrainingStep> {
  const internal = { ...options, [MIXED_PRECISION_COMPUTE]: computeDtype };
  return createTrainingStep(internal);
}
