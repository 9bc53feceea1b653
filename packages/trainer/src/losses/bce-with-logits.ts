// Binary cross-entropy on logits for multi-label targets [N, C] (floats in [0, 1]), as PyTorch's
// F.binary_cross_entropy_with_logits, in the overflow-free form.
import type { Loss, LossOptions } from './types.js';
import { absolute, checkFinite, floatDTypeOf, floatVector, named, reduce } from './utils.js';

export interface BceWithLogitsOptions extends LossOptions {
  /** Weight of positive targets: one number, or one per class (length C, the last axis). @default 1 */
  posWeight?: number | readonly number[];
  /** Per-class rescaling of each element's loss (length C, broadcast on the last axis). */
  weight?: readonly number[];
}

/**
 * ℓ = max(x, 0) − x·y + log(1 + exp(−|x|)); with a positive weight pw PyTorch's
 * ℓ = (1 − y)·x + (1 + (pw − 1)·y)·(log(1 + exp(−|x|)) + max(−x, 0)). |x| is Max(x, −x) and
 * max(±x, 0) is Relu so every op has a gradient builder; `mean` averages over all elements.
 */
export const bceWithLogitsLoss: Loss<BceWithLogitsOptions> = (b, inputs, options = {}) => {
  const { posWeight, weight, reduction = 'mean', name } = options;
  const dtype = floatDTypeOf(b, inputs.input, options.dtype);
  const x = inputs.input;
  const y = inputs.target;
  // log(1 + e^{−|x|}) never overflows: the exponent is ≤ 0.
  const softplusNegAbs = b.op('Log', [
    b.op('Add', [b.scalar(dtype, 1), b.op('Exp', [b.op('Neg', [absolute(b, x)])])]),
  ]);
  let perElement: string;
  if (posWeight === undefined) {
    perElement = b.op('Add', [
      b.op('Sub', [b.op('Relu', [x]), b.op('Mul', [x, y])]),
      softplusNegAbs,
    ]);
  } else {
    let pw: string;
    if (typeof posWeight === 'number') {
      checkFinite('posWeight', posWeight);
      pw = b.scalar(dtype, posWeight);
    } else {
      pw = floatVector(b, 'posWeight', posWeight, dtype);
    }
    const one = b.scalar(dtype, 1);
    const logWeight = b.op('Add', [one, b.op('Mul', [b.op('Sub', [pw, one]), y])]);
    perElement = b.op('Add', [
      b.op('Mul', [b.op('Sub', [one, y]), x]),
      b.op('Mul', [logWeight, b.op('Add', [softplusNegAbs, b.op('Relu', [b.op('Neg', [x])])])]),
    ]);
  }
  if (weight) perElement = b.op('Mul', [perElement, floatVector(b, 'weight', weight, dtype)]);
  return named(b, reduce(b, perElement, reduction), name);
};
