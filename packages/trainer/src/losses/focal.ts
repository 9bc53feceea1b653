// Multi-class focal loss (Lin et al. 2017, "Focal Loss for Dense Object Detection") over logits
// [N, C] or [N, T, C] with integer targets; usable per token with ignore_index.
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

export interface FocalOptions extends LossOptions {
  /** Focusing parameter γ: (1 − p_t)^γ down-weights well-classified targets; 0 gives cross-entropy. @default 2 */
  gamma?: number;
  /** Balance factor α_t: one number for every class, or one per class (length C). @default 1 (none) */
  alpha?: number | readonly number[];
  /** Targets equal to this contribute nothing and are not counted by the mean. @default -100 */
  ignoreIndex?: number;
}

/**
 * ℓᵢ = −α_{yᵢ}·(1 − p_{i,yᵢ})^γ·log p_{i,yᵢ}, 0 where yᵢ is ignored; `mean` divides by the number
 * of kept targets (α does not enter the divisor, as in the paper and torchvision/kornia), and is
 * 0 when every target is ignored. With γ = 0 and no α it equals cross-entropy.
 */
export const focalLoss: Loss<FocalOptions> = (b, inputs, options = {}) => {
  const { gamma = 2, alpha = 1, ignoreIndex = -100, reduction = 'mean', name } = options;
  checkFinite('ignoreIndex', ignoreIndex);
  if (!(gamma >= 0) || !Number.isFinite(gamma)) {
    throw new TrainerError('INVALID_ARGUMENT', `gamma must be a finite number ≥ 0, got ${gamma}`);
  }
  const dtype = floatDTypeOf(b, inputs.input, options.dtype);
  const logp = b.op('LogSoftmax', [inputs.input], { axis: -1 });
  const { mask, safeTarget } = ignoreMask(b, inputs.target, ignoreIndex, dtype);
  const hot = oneHot(b, inputs.input, safeTarget, dtype);
  const logpT = pickClass(b, logp, hot);

  let perTarget = b.op('Neg', [b.op('Mul', [logpT, mask])]);
  if (gamma > 0) {
    // 1 − p_t ≥ 0 since log-softmax ≤ 0; γ = 1 needs no Pow (whose base gradient γ·x^(γ−1) is
    // undefined at x = 0 for γ < 1 — a target predicted with certainty).
    const oneMinusP = b.op('Sub', [b.scalar(dtype, 1), b.op('Exp', [logpT])]);
    const modulator = gamma === 1 ? oneMinusP : b.op('Pow', [oneMinusP, b.scalar(dtype, gamma)]);
    perTarget = b.op('Mul', [perTarget, modulator]);
  }
  if (typeof alpha === 'number') {
    checkFinite('alpha', alpha);
    if (alpha !== 1) perTarget = b.op('Mul', [perTarget, b.scalar(dtype, alpha)]);
  } else {
    const alphaT = pickClass(b, floatVector(b, 'alpha', alpha, dtype), hot);
    perTarget = b.op('Mul', [perTarget, alphaT]);
  }
  if (reduction !== 'mean') return named(b, reduce(b, perTarget, reduction), name);
  const count = b.op('Max', [reduce(b, mask, 'sum'), b.scalar(dtype, 1)]);
  return named(b, b.op('Div', [reduce(b, perTarget, 'sum'), count]), name);
};
