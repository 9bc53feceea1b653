// Global-norm gradient clipping as an ONNX subgraph, as torch.nn.utils.clip_grad_norm_ (L2 norm).
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import { type FloatDType, floatDTypeOf } from '../losses/utils.js';

export interface GlobalNormClipOptions {
  /** Added to the norm in the coefficient's divisor (torch's constant). @default 1e-6 */
  eps?: number;
  /** Float dtype of the gradients; read from the graph when omitted. */
  dtype?: FloatDType;
}

export interface GlobalNormClip {
  /** The clipped gradients, in the order given. */
  grads: string[];
  /** Scalar L2 norm of all gradients together, before clipping (log it). */
  totalNorm: string;
}

/**
 * ‖g‖ = √(Σᵢ Σ gᵢ²) over every gradient; each gradient is multiplied by
 * min(1, maxNorm / (‖g‖ + 1e-6)), so gradients under the limit pass unchanged.
 */
export function buildGlobalNormClip(
  b: GraphBuilder,
  grads: readonly string[],
  maxNorm: number,
  options: GlobalNormClipOptions = {},
): GlobalNormClip {
  const { coef, totalNorm } = buildGlobalNormClipCoefficient(b, grads, maxNorm, options);
  return { grads: grads.map((g) => b.op('Mul', [g, coef])), totalNorm };
}

/**
 * The global norm and the clip coefficient min(1, maxNorm / (‖g‖ + 1e-6)) alone, for a consumer
 * that folds the coefficient into its own scalars (AdamW's `gradScale`) rather than multiplying
 * every gradient element by it.
 */
export function buildGlobalNormClipCoefficient(
  b: GraphBuilder,
  grads: readonly string[],
  maxNorm: number,
  options: GlobalNormClipOptions = {},
): { coef: string; totalNorm: string } {
  const { eps = 1e-6 } = options;
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `maxNorm must be a finite number > 0, got ${maxNorm}`,
    );
  }
  const first = grads[0];
  if (first === undefined) {
    throw new TrainerError('INVALID_ARGUMENT', 'buildGlobalNormClip needs at least one gradient');
  }
  const dtype = floatDTypeOf(b, first, options.dtype);
  const totalNorm = buildGlobalNorm(b, grads);
  const coef = b.op('Min', [
    b.op('Div', [b.scalar(dtype, maxNorm), b.op('Add', [totalNorm, b.scalar(dtype, eps)])]),
    b.scalar(dtype, 1),
  ]);
  return { coef, totalNorm };
}

/** ‖g‖ = √(Σᵢ Σ gᵢ²) over every gradient, as a scalar (logged even when nothing is clipped). */
export function buildGlobalNorm(b: GraphBuilder, grads: readonly string[]): string {
  if (grads.length === 0) {
    throw new TrainerError('INVALID_ARGUMENT', 'the global norm needs at least one gradient');
  }
  // ReduceSumSquare without axes sums over every element into a scalar.
  const squares = grads.map((g) => b.op('ReduceSumSquare', [g], { keepdims: 0 }));
  const sumSq = squares.reduce((acc, s) => b.op('Add', [acc, s]));
  return b.op('Sqrt', [sumSq]);
}
