// Cross-entropy over logits [N, C] or [N, T, C] with integer targets, as PyTorch's F.cross_entropy
// defines it: ignore_index, class weights, label smoothing and their weighted mean.
import { TrainerError } from '../errors.js';
import type { Loss, LossOptions } from './types.js';
import {
  checkFinite,
  floatDTypeOf,
  floatVector,
  ignoreMask,
  named,
  oneHot,
  pickClass,
  reduce,
} from './utils.js';

export interface CrossEntropyOptions extends LossOptions {
  /** Targets equal to this contribute nothing, neither to the sum nor to the mean's divisor. @default -100 */
  ignoreIndex?: number;
  /** Mixes the one-hot target with the uniform distribution: (1−ε)·nll + ε·mean_c(−w_c·log p_c). @default 0 */
  labelSmoothing?: number;
  /** Per-class weights (length C); the mean divides by the summed weights of the kept targets. */
  weight?: readonly number[];
}

/**
 * Per-target loss ℓᵢ = (1−ε)·w_{yᵢ}·(−log p_{i,yᵢ}) + ε/C·Σ_c w_c·(−log p_{i,c}) (0 where yᵢ is
 * ignored). `mean` = Σℓᵢ / Σ w_{yᵢ} over kept targets — PyTorch's definition, also for the smoothing
 * term. Where every target is ignored PyTorch returns NaN (0/0); this returns 0 so a batch of
 * padding cannot poison the parameters.
 */
export const crossEntropyLoss: Loss<CrossEntropyOptions> = (b, inputs, options = {}) => {
  const { ignoreIndex = -100, labelSmoothing = 0, weight, reduction = 'mean', name } = options;
  checkFinite('ignoreIndex', ignoreIndex);
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `labelSmoothing must be in [0, 1], got ${labelSmoothing}`,
    );
  }
  const dtype = floatDTypeOf(b, inputs.input, options.dtype);
  const logits = inputs.input;
  const logp = b.op('LogSoftmax', [logits], { axis: -1 });
  const { mask, safeTarget } = ignoreMask(b, inputs.target, ignoreIndex, dtype);
  const hot = oneHot(b, logits, safeTarget, dtype);
  const weights = weight ? floatVector(b, 'weight', weight, dtype) : undefined;

  // w_{yᵢ} for kept targets, 0 for ignored ones: the mean's divisor and the nll's factor.
  const targetWeight = weights ? b.op('Mul', [pickClass(b, weights, hot), mask]) : mask;
  const nll = b.op('Neg', [b.op('Mul', [pickClass(b, logp, hot), targetWeight])]);

  let perTarget = nll;
  if (labelSmoothing > 0) {
    const weighted = weights ? b.op('Mul', [logp, weights]) : logp;
    // ReduceMean over classes is Σ_c(·)/C without needing C as a number.
    const smooth = b.op('Neg', [
      b.op('Mul', [b.op('ReduceMean', [weighted, b.int64s([-1])], { keepdims: 0 }), mask]),
    ]);
    perTarget = b.op('Add', [
      b.op('Mul', [nll, b.scalar(dtype, 1 - labelSmoothing)]),
      b.op('Mul', [smooth, b.scalar(dtype, labelSmoothing)]),
    ]);
  }
  if (reduction !== 'mean') return named(b, reduce(b, perTarget, reduction), name);
  const total = reduce(b, perTarget, 'sum');
  const divisor = b.op('Max', [reduce(b, targetWeight, 'sum'), b.scalar(dtype, 1e-12)]);
  return named(b, b.op('Div', [total, divisor]), name);
};
