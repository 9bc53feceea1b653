// Mean squared error, as PyTorch's F.mse_loss: (x − y)² per element.
import type { Loss, LossOptions } from './types.js';
import { named, reduce } from './utils.js';

export type MseOptions = LossOptions;

/** ℓ = (x − y)²; `mean` averages over all elements. */
export const mseLoss: Loss<MseOptions> = (b, inputs, options = {}) => {
  const { reduction = 'mean', name } = options;
  const diff = b.op('Sub', [inputs.input, inputs.target]);
  return named(b, reduce(b, b.op('Mul', [diff, diff]), reduction), name);
};
