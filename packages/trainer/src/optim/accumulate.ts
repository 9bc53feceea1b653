// Gradient accumulation as an ONNX subgraph: a grad graph runs per micro-batch, this adds its
// gradients into accumulators that the optimizer graph reads once per effective batch.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import { type FloatDType, floatDTypeOf } from '../losses/utils.js';

export interface GradAccumulateOptions {
  /** This micro-batch's gradients. */
  grads: readonly string[];
  /** Running sums, one per gradient, same shapes (zeros at the start of an effective batch). */
  accumulators: readonly string[];
  /**
   * Multiplies each gradient before adding it: 1/k averages k micro-batches whose losses are
   * means. @default 1
   */
  scale?: number;
  /** Float dtype of the gradients; read from the graph when omitted. */
  dtype?: FloatDType;
}

/** acc ← acc + scale·g for each pair; returns the new accumulators in order. */
export function buildGradAccumulate(b: GraphBuilder, options: GradAccumulateOptions): string[] {
  const { grads, accumulators, scale = 1 } = options;
  if (grads.length !== accumulators.length) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `buildGradAccumulate got ${grads.length} gradients but ${accumulators.length} accumulators`,
    );
  }
  if (!Number.isFinite(scale)) {
    throw new TrainerError('INVALID_ARGUMENT', `scale must be a finite number, got ${scale}`);
  }
  const scaleValues = new Map<FloatDType, string>();
  return grads.map((g, i) => {
    const acc = accumulators[i] as string;
    if (scale === 1) return b.op('Add', [acc, g]);
    const dtype = floatDTypeOf(b, g, options.dtype);
    let s = scaleValues.get(dtype);
    if (s === undefined) {
      s = b.scalar(dtype, scale);
      scaleValues.set(dtype, s);
    }
    return b.op('Add', [acc, b.op('Mul', [g, s])]);
  });
}
