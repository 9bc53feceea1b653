// Cross-entropy over logits [N, C] or [N, T, C] with integer targets, as PyTorch's F.cross_entropy
// defines it: ignore_index, class weights, label smoothing and their weighted mean.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { Loss, LossInputs, LossOptions, Reduction } from './types.js';
import {
  checkFinite,
  type FloatDType,
  floatDTypeOf,
  floatVector,
  ignoreMask,
  named,
  oneHot,
  pickClass,
  reduce,
  valueDType,
  valueShape,
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
  if (labelSmoothing === 0) {
    const fused = fusedCrossEntropy(b, inputs, ignoreIndex, weight, reduction, dtype);
    if (fused !== undefined) return named(b, fused, name);
  }
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

/**
 * Cross-entropy without label smoothing through ONNX's SoftmaxCrossEntropyLoss: one kernel does
 * log-softmax and the pick, and its gradient (autodiff/grads/nn.ts) scatters into p·f instead of
 * materialising a [targets, classes] one-hot — for an LM head that is a few passes over a
 * [tokens, vocab] tensor less per step. The op's own 'mean' would be NaN when every target is
 * ignored, so the sum is divided here, as in the general path. `undefined` when the op does not
 * apply (class count not static, non-integer targets): the general path handles those.
 */
function fusedCrossEntropy(
  b: GraphBuilder,
  inputs: LossInputs,
  ignoreIndex: number,
  weight: readonly number[] | undefined,
  reduction: Reduction,
  dtype: FloatDType,
): string | undefined {
  const shape = valueShape(b, inputs.input);
  const classes = shape?.at(-1);
  const targetType = valueDType(b, inputs.target);
  if (shape === undefined || shape.length < 2 || typeof classes !== 'number') return undefined;
  if (targetType !== 'int64' && targetType !== 'int32') return undefined;
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    return reduce(b, inputs.input, reduction); // throws the shared message
  }
  const scores = b.op('Reshape', [inputs.input, b.int64s([-1, classes])]);
  const labels = b.op('Reshape', [inputs.target, b.int64s([-1])]);
  const weights = weight ? floatVector(b, 'weight', weight, dtype) : undefined;
  const loss = b.op(
    'SoftmaxCrossEntropyLoss',
    weights ? [scores, labels, weights] : [scores, labels],
    {
      reduction: reduction === 'none' ? 'none' : 'sum',
      ignore_index: ignoreIndex,
    },
  );
  if (reduction === 'none') return b.op('Reshape', [loss, b.op('Shape', [inputs.target])]);
  if (reduction === 'sum') return loss;
  const { mask, safeTarget } = ignoreMask(b, inputs.target, ignoreIndex, dtype);
  const targetWeight = weights
    ? b.op('Mul', [b.op('Gather', [weights, safeTarget], { axis: 0 }), mask])
    : mask;
  const divisor = b.op('Max', [reduce(b, targetWeight, 'sum'), b.scalar(dtype, 1e-12)]);
  return b.op('Div', [loss, divisor]);
}
