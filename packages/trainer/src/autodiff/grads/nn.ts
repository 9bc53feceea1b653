// Gradient builders for neural-network ops: Softmax, LogSoftmax, LayerNormalization, Dropout and
// SoftmaxCrossEntropyLoss, each expressed in standard ONNX ops (no contrib *Grad kernels).
import type { GraphBuilder } from '../../ir/builder.js';
import { ONNX_DTYPE_CODE } from '../../ir/tensor.js';
import type { Node } from '../../ir/types.js';
import type { GradientBuilder, GradientContext } from '../types.js';
import {
  constantScalar,
  dtypeOf,
  gradError,
  intAttr,
  normalizeAxis,
  reduceGradToInput,
  requireShape,
} from '../utils.js';
import { floatAttr, reduce, unsqueeze } from './linalg.js';

const present = (name: string | undefined): name is string => name !== undefined && name !== '';

/**
 * The axes a Softmax/LogSoftmax normalises over: the single `axis` from opset 13 (default -1);
 * before 13 the input was flattened to 2-D at `axis` (default 1), i.e. axes [axis, rank).
 */
function softmaxAxes(ctx: GradientContext, rank: number): number[] {
  const opset = ctx.builder.graph.opset;
  const axis = normalizeAxis(ctx, intAttr(ctx, 'axis', opset >= 13 ? -1 : 1), rank);
  if (opset >= 13) return [axis];
  return Array.from({ length: rank - axis }, (_, i) => axis + i);
}

/** Softmax: dX = Y ⊙ (dY − Σ_axis dY ⊙ Y), using the forward output Y. */
const softmaxGrad: GradientBuilder = (ctx) => {
  const b = ctx.builder;
  const dY = ctx.gradOutputs[0];
  if (dY === undefined || !ctx.needsGrad[0]) return [undefined];
  const y = ctx.node.outputs[0] as string;
  const axes = softmaxAxes(ctx, requireShape(ctx, ctx.node.inputs[0] as string).length);
  const dot = reduce(b, 'ReduceSum', b.op('Mul', [dY, y]), axes);
  return [b.op('Mul', [y, b.op('Sub', [dY, dot])])];
};

/** LogSoftmax: dX = dY − exp(Y) ⊙ Σ_axis dY, with exp(Y) the softmax recovered from the output. */
const logSoftmaxGrad: GradientBuilder = (ctx) => {
  const b = ctx.builder;
  const dY = ctx.gradOutputs[0];
  if (dY === undefined || !ctx.needsGrad[0]) return [undefined];
  const y = ctx.node.outputs[0] as string;
  const axes = softmaxAxes(ctx, requireShape(ctx, ctx.node.inputs[0] as string).length);
  const total = reduce(b, 'ReduceSum', dY, axes);
  return [b.op('Sub', [dY, b.op('Mul', [b.op('Exp', [y]), total])])];
};

/**
 * LayerNormalization (opset 17): mean and inverse std are recomputed from X with standard ops
 * (the optional Mean/InvStdDev outputs may be absent), then with x̂ = (X − μ)·σ⁻¹ and g = dY ⊙ scale:
 * dX = σ⁻¹ ⊙ (g − mean(g) − x̂ ⊙ mean(g ⊙ x̂)) over the normalised axes [axis, rank);
 * dScale = Σ dY ⊙ x̂ and dB = Σ dY over the other axes (and any axis Scale/B broadcast over).
 */
const layerNormGrad: GradientBuilder = (ctx) => {
  const b = ctx.builder;
  const [x, scale, bias] = ctx.node.inputs as [string, string, string | undefined];
  const out: Array<string | undefined> = ctx.node.inputs.map(() => undefined);
  if (present(ctx.gradOutputs[1]) || present(ctx.gradOutputs[2])) {
    throw gradError(
      ctx,
      'gradients through the Mean/InvStdDev outputs are not supported; use the normalised output only',
    );
  }
  const dY = ctx.gradOutputs[0];
  if (dY === undefined) return out;
  const y = ctx.node.outputs[0] as string;
  const shapeX = requireShape(ctx, x);
  const rank = shapeX.length;
  const axis = normalizeAxis(ctx, intAttr(ctx, 'axis', -1), rank);
  const epsilon = floatAttr(ctx, 'epsilon', 1e-5);
  const dtype = dtypeOf(ctx, x);
  const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);

  let centred: string;
  let invStd: string;
  if (dtype === 'float32') {
    // The forward kernel computes μ and σ⁻¹ anyway: read them from its optional outputs (added to
    // the forward node here when absent, like Dropout's mask) instead of three more passes over X.
    // float32 only: the outputs' stash_type is float32, too coarse for float64 gradient checks.
    const [mean, savedInvStd] = layerNormStatistics(b, ctx.node);
    centred = b.op('Sub', [x, mean]);
    invStd = savedInvStd;
  } else {
    centred = b.op('Sub', [x, reduce(b, 'ReduceMean', x, axes)]);
    const variance = reduce(b, 'ReduceMean', b.op('Mul', [centred, centred]), axes);
    invStd = b.op('Reciprocal', [
      b.op('Sqrt', [b.op('Add', [variance, constantScalar(b, dtype, epsilon)])]),
    ]);
  }
  const xHat = b.op('Mul', [centred, invStd]);

  if (ctx.needsGrad[0]) {
    const g = b.op('Mul', [dY, scale]);
    const meanG = reduce(b, 'ReduceMean', g, axes);
    const meanGx = reduce(b, 'ReduceMean', b.op('Mul', [g, xHat]), axes);
    const inner = b.op('Sub', [b.op('Sub', [g, meanG]), b.op('Mul', [xHat, meanGx])]);
    out[0] = b.op('Mul', [inner, invStd]);
  }
  if (ctx.needsGrad[1]) {
    out[1] = reduceGradToInput(ctx, b.op('Mul', [dY, xHat]), scale, y);
  }
  if (present(bias) && ctx.needsGrad[2]) {
    out[2] = reduceGradToInput(ctx, dY, bias, y);
  }
  return out;
};

/**
 * The Mean and InvStdDev outputs of a forward LayerNormalization node, added to the node in
 * `builder.graph` under fresh names when it did not request them (stash_type stays float32).
 */
function layerNormStatistics(b: GraphBuilder, node: Node): [string, string] {
  const target = graphNode(b, node);
  const outputs = [...target.outputs];
  for (const [i, suffix] of [
    [1, 'mean'],
    [2, 'inv_std'],
  ] as const) {
    if (!present(outputs[i])) outputs[i] = b.uniqueName(`${target.name}_${suffix}`);
  }
  target.outputs = outputs;
  if (node !== target) node.outputs = outputs;
  return [outputs[1] as string, outputs[2] as string];
}

/**
 * The forward node as it sits in the graph being built (the engine may hand builders the same
 * object or a copy; outputs added to the mask must land on the graph's node).
 */
function graphNode(b: GraphBuilder, node: Node): Node {
  return b.graph.nodes.find((n) => n.name === node.name) ?? node;
}

/**
 * Dropout (opset 12+; inputs data, ratio, training_mode; outputs output, mask).
 * dX = dY ⊙ mask / (1 − ratio) in training mode, and dY in inference mode (ORT then copies the
 * data and fills the mask with true). The gradient must use the very mask the forward pass drew,
 * so it reads the node's `mask` output; when the forward node did not request one, this builder
 * ADDS a second output to the forward node (a fresh name `<node>_mask_<i>` from the builder) —
 * this mutates the forward node in `builder.graph` and is visible to the caller.
 */
const dropoutGrad: GradientBuilder = (ctx) => {
  const b = ctx.builder;
  const [x, ratio, training] = ctx.node.inputs as [string, string | undefined, string | undefined];
  const dY = ctx.gradOutputs[0];
  if (dY === undefined || !ctx.needsGrad[0]) return ctx.node.inputs.map(() => undefined);
  const out: Array<string | undefined> = ctx.node.inputs.map(() => undefined);
  // No training_mode input means inference mode: Dropout is the identity.
  if (!present(training)) {
    out[0] = dY;
    return out;
  }
  const node = graphNode(b, ctx.node);
  let mask = node.outputs[1];
  if (!present(mask)) {
    mask = b.uniqueName(`${node.name}_mask`);
    node.outputs[1] = mask;
    if (ctx.node !== node) ctx.node.outputs[1] = mask;
  }
  const dtype = dtypeOf(ctx, x);
  const to = ONNX_DTYPE_CODE[dtype];
  const masked = b.op('Mul', [dY, b.op('Cast', [mask], { to })]);
  const ratioValue = present(ratio) ? b.op('Cast', [ratio], { to }) : constantScalar(b, dtype, 0.5);
  const keep = b.op('Sub', [constantScalar(b, dtype, 1), ratioValue]);
  const scaled = b.op('Div', [masked, keep]);
  out[0] = b.op('Where', [training, scaled, masked]);
  return out;
};

/**
 * SoftmaxCrossEntropyLoss's per-target picks, shared by its gradient and its rewrite for ONNX
 * Runtime (runtime/lower.ts): labels as int64 `target` with ignored ones (ignore_index, often
 * −100) swapped for class 0 so Gather stays in range, and `weight` = weight[t] (when class
 * weights are given) times 0 for ignored targets — undefined when every target counts 1.
 * `toFloat` turns the bool keep-mask into the scores' float type.
 */
export function crossEntropyTargets(
  b: GraphBuilder,
  options: {
    labels: string;
    weights: string | undefined;
    ignoreIndex: number | undefined;
    toFloat: (mask: string) => string;
  },
): { target: string; weight: string | undefined } {
  const { labels, weights, ignoreIndex, toFloat } = options;
  const labels64 = b.op('Cast', [labels], { to: ONNX_DTYPE_CODE.int64 });
  let target = labels64;
  let kept: string | undefined;
  if (ignoreIndex !== undefined) {
    const ignored = b.op('Equal', [labels64, b.scalar('int64', ignoreIndex)]);
    kept = toFloat(b.op('Not', [ignored]));
    target = b.op('Where', [ignored, b.scalar('int64', 0), labels64]);
  }
  let weight = present(weights) ? b.op('Gather', [weights, target], { axis: 0 }) : undefined;
  if (kept !== undefined) weight = weight === undefined ? kept : b.op('Mul', [weight, kept]);
  return { target, weight };
}

/**
 * SoftmaxCrossEntropyLoss (opset 13+), gradient w.r.t. the scores only. With p = softmax over
 * the class axis 1, w_i = weight[t_i] (1 without weights) and w_i = 0 where t_i = ignore_index:
 * dScores = (p − onehot(t)) ⊙ w_i ⊙ f, where f = dLoss for 'sum', dLoss_i for 'none', and
 * dLoss / Σ_i w_i for 'mean' (ONNX's weighted mean over non-ignored targets). A gradient reaching
 * the optional log_prob output adds the LogSoftmax gradient.
 */
const softmaxCrossEntropyGrad: GradientBuilder = (ctx) => {
  const b = ctx.builder;
  const [scores, labels, weights] = ctx.node.inputs as [string, string, string | undefined];
  const out: Array<string | undefined> = ctx.node.inputs.map(() => undefined);
  const dLoss = ctx.gradOutputs[0];
  const dLogProb = ctx.node.outputs.length > 1 ? ctx.gradOutputs[1] : undefined;
  if (!ctx.needsGrad[0] || (dLoss === undefined && dLogProb === undefined)) return out;
  if (b.graph.opset < 13) {
    throw gradError(ctx, `needs opset ≥ 13 (single-axis Softmax); the graph has ${b.graph.opset}`);
  }
  const rank = requireShape(ctx, scores).length;
  if (rank < 2) throw gradError(ctx, `scores must be [N, C, D1, …]; got rank ${rank}`);
  const dtype = dtypeOf(ctx, scores);
  const to = ONNX_DTYPE_CODE[dtype];
  const prob = b.op('Softmax', [scores], { axis: 1 });
  const terms: string[] = [];

  if (dLoss !== undefined) {
    const reduction = ctx.node.attributes.reduction;
    const mode = reduction?.type === 'string' ? reduction.value : 'mean';
    if (mode !== 'mean' && mode !== 'sum' && mode !== 'none') {
      throw gradError(ctx, `reduction "${mode}" is not one of mean, sum, none`);
    }
    const ignoreAttr = ctx.node.attributes.ignore_index;
    if (ignoreAttr !== undefined && ignoreAttr.type !== 'int') {
      throw gradError(ctx, 'attribute "ignore_index" must be an int');
    }
    const { target, weight: sampleWeight } = crossEntropyTargets(b, {
      labels,
      weights,
      ignoreIndex: ignoreAttr?.value,
      toFloat: (mask) => b.op('Cast', [mask], { to }),
    });

    let factor: string;
    if (mode === 'none') factor = dLoss;
    else if (mode === 'sum') factor = dLoss;
    else {
      const denominator =
        sampleWeight === undefined
          ? b.op('Cast', [b.op('Size', [labels])], { to })
          : b.op('ReduceSum', [sampleWeight], { keepdims: 0 });
      factor = b.op('Div', [dLoss, denominator]);
    }
    let perSample = factor;
    if (sampleWeight !== undefined) perSample = b.op('Mul', [sampleWeight, factor]);
    // Per-sample factors are [N, D…] (or a scalar); the class axis 1 is added to broadcast.
    const perSampleIsScalar = mode !== 'none' && sampleWeight === undefined;
    const broadcastable = perSampleIsScalar ? perSample : unsqueeze(b, perSample, [1]);
    // (p − onehot(t))·f without a one-hot: p·f everywhere, then the target entries overwritten
    // with p_t·f − f (read back with GatherElements). Two passes over [N, C, …] fewer than
    // building and subtracting a one-hot, which matters for [tokens, vocab] LM heads.
    const scaled = b.op('Mul', [prob, broadcastable]);
    const index = unsqueeze(b, target, [1]);
    const picked = b.op('GatherElements', [scaled, index], { axis: 1 });
    const updates = b.op('Sub', [picked, broadcastable]);
    terms.push(b.op('ScatterElements', [scaled, index, updates], { axis: 1 }));
  }
  if (dLogProb !== undefined) {
    const total = reduce(b, 'ReduceSum', dLogProb, [1]);
    terms.push(b.op('Sub', [dLogProb, b.op('Mul', [prob, total])]));
  }
  out[0] = terms.length === 1 ? terms[0] : b.op('Sum', terms);
  return out;
};

/** Gradient builders for neural-network ops, keyed by ONNX op type. */
export const nnGradients: Record<string, GradientBuilder> = {
  Softmax: softmaxGrad,
  LogSoftmax: logSoftmaxGrad,
  LayerNormalization: layerNormGrad,
  Dropout: dropoutGrad,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropyGrad,
};
