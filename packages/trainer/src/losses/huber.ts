// Huber loss, as PyTorch's F.huber_loss: quadratic within delta of the target, linear beyond.
import { TrainerError } from '../errors.js';
import type { Loss, LossOptions } from './types.js';
import { absolute, floatDTypeOf, named, reduce } from './utils.js';

export interface HuberOptions extends LossOptions {
  /** Where the loss turns from quadratic to linear (> 0). @default 1 */
  delta?: number;
}

/**
 * ℓ = ½d² for |d| < δ, δ·(|d| − ½δ) otherwise (d = x − y). Written as ½q² + δ·(|d| − q) with
 * q = min(|d|, δ), which is the same function without a branch (Where) on d.
 */
export const huberLoss: Loss<HuberOptions> = (b, inputs, options = {}) => {
  const { delta = 1, reduction = 'mean', name } = options;
  if (!(delta > 0) || !Number.isFinite(delta)) {
    throw new TrainerError('INVALID_ARGUMENT', `delta must be a finite number > 0, got ${delta}`);
  }
  const dtype = floatDTypeOf(b, inputs.input, options.dtype);
  const abs = absolute(b, b.op('Sub', [inputs.input, inputs.target]));
  const deltaValue = b.scalar(dtype, delta);
  const q = b.op('Min', [abs, deltaValue]);
  const perElement = b.op('Add', [
    b.op('Mul', [b.op('Mul', [q, q]), b.scalar(dtype, 0.5)]),
    b.op('Mul', [deltaValue, b.op('Sub', [abs, q])]),
  ]);
  return named(b, reduce(b, perElement, reduction), name);
};
