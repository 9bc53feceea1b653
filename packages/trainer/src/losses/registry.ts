// The string-keyed loss registry (`loss: cross_entropy` in a config) and the multi-head weighted sum.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import { bceWithLogitsLoss } from './bce-with-logits.js';
import { crossEntropyLoss } from './cross-entropy.js';
import { focalLoss } from './focal.js';
import { huberLoss } from './huber.js';
import { mseLoss } from './mse.js';
import type { LossInputs } from './types.js';
import { floatDTypeOf } from './utils.js';

/** Every loss by its config name; the name union is derived from this object. */
export const losses = {
  cross_entropy: crossEntropyLoss,
  focal: focalLoss,
  bce_with_logits: bceWithLogitsLoss,
  mse: mseLoss,
  huber: huberLoss,
} as const;

export type LossName = keyof typeof losses;

/** The options object of the loss registered under `N`. */
export type InferLossOptions<N extends LossName> = NonNullable<Parameters<(typeof losses)[N]>[2]>;

export function isLossName(name: string): name is LossName {
  return Object.hasOwn(losses, name);
}

/** Emits the loss named `name` (e.g. from a config file); throws listing the known names. */
export function buildLoss<N extends LossName>(
  b: GraphBuilder,
  name: N,
  inputs: LossInputs,
  options?: InferLossOptions<N>,
): string {
  if (!isLossName(name)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `unknown loss ${JSON.stringify(name)}; known losses: ${Object.keys(losses).join(', ')}`,
    );
  }
  const loss = losses[name] as (b: GraphBuilder, i: LossInputs, o?: InferLossOptions<N>) => string;
  return loss(b, inputs, options);
}

/** One head's scalar loss and its weight in the total. */
export interface WeightedLoss {
  /** Name of a scalar loss value. */
  loss: string;
  /** Its weight in the sum. @default 1 */
  weight?: number;
}

/** Σ weightᵢ·lossᵢ over the heads of a multi-head model (Mul/Add, both differentiable). */
export function weightedLossSum(
  b: GraphBuilder,
  terms: readonly WeightedLoss[],
  options: { name?: string } = {},
): string {
  const first = terms[0];
  if (first === undefined) {
    throw new TrainerError('INVALID_ARGUMENT', 'weightedLossSum needs at least one loss');
  }
  const dtype = floatDTypeOf(b, first.loss);
  let total: string | undefined;
  for (const { loss, weight = 1 } of terms) {
    if (!Number.isFinite(weight)) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `weight of loss "${loss}" must be a finite number, got ${weight}`,
      );
    }
    const term = weight === 1 ? loss : b.op('Mul', [loss, b.scalar(dtype, weight)]);
    total = total === undefined ? term : b.op('Add', [total, term]);
  }
  const result = total as string;
  // A single unweighted head would otherwise return its own name; an Identity gives a new value.
  if (options.name !== undefined || result === first.loss) {
    return b.op('Identity', [result], {}, options.name ? { outputs: [options.name] } : {});
  }
  return result;
}
