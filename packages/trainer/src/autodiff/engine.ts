// Reverse-mode autodiff over the graph IR: appends standard-ONNX gradient nodes for dLoss/dParam
// to the same graph, one registered gradient builder per forward op.
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { isFloatDType } from '../ir/tensor.js';
import type { Graph, Node, ValueInfo } from '../ir/types.js';
import { inferShapes, topologicalOrder } from '../shape/infer.js';
import { gradientBuilders, gradientKey } from './registry.js';
import type { GradientContext } from './types.js';
import { filledLike } from './utils.js';

export interface BuildGradientsOptions {
  /**
   * The value to differentiate. Must be a float tensor holding one element (rank 0, or all dims
   * 1): reduce a vector loss yourself (ReduceMean/ReduceSum) — an implicit sum would hide a
   * forgotten reduction. A loss whose shape is unknown statically is seeded with ones like it.
   */
  loss: string;
  /**
   * The gradient of the final objective with respect to `loss` (a vector-Jacobian product seed),
   * shaped like `loss`; with it, `loss` may have any shape. @default ones like the loss
   */
  lossGrad?: string;
  /** The values (parameters, usually graph inputs or initializers) to get dLoss/dValue for. */
  wrt: string[];
  /** The name of each gradient value in the graph. @default (v) => `${v}_grad` */
  gradName?: (value: string) => string;
  /** Values that block gradient flow (treated as constants), in addition to the built-in rules. */
  stopGradient?: string[];
  /**
   * Static types and shapes of the graph's values.
   * @default inferShapes(graph, { store: false })
   */
  shapes?: Map<string, ValueInfo>;
}

export interface GradientResult {
  /** For each `wrt` value: the name of its gradient value (same dtype and shape). */
  grads: Map<string, string>;
}

/**
 * Inputs that never carry gradient (ONNX Runtime's gradient builder treats them the same way):
 * indices, shapes, axes, conditions, counts. Integer and bool inputs are excluded by dtype anyway;
 * these entries also cover float inputs that are control values (Clip bounds, Pow's exponent,
 * Dropout's ratio, BatchNormalization's running statistics).
 */
export const NON_DIFFERENTIABLE_INPUTS: Readonly<Record<string, readonly number[]>> = {
  Gather: [1],
  GatherElements: [1],
  GatherND: [1],
  ScatterElements: [1],
  ScatterND: [1],
  Reshape: [1],
  Expand: [1],
  Tile: [1],
  Slice: [1, 2, 3, 4],
  Unsqueeze: [1],
  Squeeze: [1],
  Split: [1],
  Pad: [1, 2, 3],
  Resize: [1, 2, 3],
  TopK: [1],
  CumSum: [1],
  Trilu: [1],
  ReduceSum: [1],
  ReduceMean: [1],
  ReduceMax: [1],
  ReduceMin: [1],
  ReduceProd: [1],
  ReduceL1: [1],
  ReduceL2: [1],
  ReduceLogSum: [1],
  ReduceLogSumExp: [1],
  ReduceSumSquare: [1],
  Where: [0],
  Clip: [1, 2],
  Pow: [1],
  Dropout: [1, 2],
  CastLike: [1],
  BatchNormalization: [3, 4],
  SoftmaxCrossEntropyLoss: [1, 2],
  NegativeLogLikelihoodLoss: [1, 2],
};

/** Ops whose outputs carry no gradient (piecewise constant, or shape/index producers). */
const NON_DIFFERENTIABLE_OPS = new Set([
  'Shape',
  'Size',
  'ConstantOfShape',
  'Range',
  'NonZero',
  'ArgMax',
  'ArgMin',
  'Floor',
  'Ceil',
  'Round',
  'Sign',
  'OneHot',
  'EyeLike',
  'RandomNormalLike',
  'RandomUniformLike',
  'Bernoulli',
]);

/**
 * Appends gradient nodes computing dLoss/dValue for every `wrt` value to `graph` (in place) and
 * returns their names. Walks the nodes on paths from `wrt` to `loss` in reverse topological
 * order, calls each op's registered builder, and sums fan-in with one `Sum` node per value.
 * Gradients flow only through float tensors and not through the inputs listed in
 * {@link NON_DIFFERENTIABLE_INPUTS} or `stopGradient`. A `wrt` value that does not reach the
 * loss gets a zero gradient of its shape (PyTorch's `allow_unused` with zero-filled results), so
 * an optimizer can treat every parameter alike. Only standard-domain ONNX ops are emitted.
 *
 * @throws TrainerError 'UNSUPPORTED_OP' for an op on the path without a gradient builder.
 */
export function buildGradients(graph: Graph, options: BuildGradientsOptions): GradientResult {
  const { loss, wrt, lossGrad, gradName = (v: string) => `${v}_grad`, stopGradient = [] } = options;
  const shapes = options.shapes ?? inferShapes(graph, { store: false });
  const info = (value: string): ValueInfo | undefined => shapes.get(value);
  const stopped = new Set(stopGradient);
  const order = topologicalOrder(graph);

  const isFloat = (value: string): boolean => {
    const t = info(value);
    return t !== undefined && isFloatDType(t.dtype);
  };
  const lossInfo = info(loss);
  if (lossInfo === undefined && !order.some((n) => n.outputs.includes(loss))) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `the loss "${loss}" is not a value of graph "${graph.name}"`,
    );
  }
  if (lossInfo !== undefined && !isFloatDType(lossInfo.dtype)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `the loss "${loss}" is ${lossInfo.dtype}; it must be a float tensor`,
    );
  }
  if (lossGrad === undefined && lossInfo?.shape?.some((d) => d !== 1)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `the loss "${loss}" has shape [${lossInfo.shape.join(', ')}]; it must hold one element — reduce it with ReduceMean or ReduceSum first`,
    );
  }
  for (const w of wrt) {
    if (info(w) === undefined) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `cannot differentiate with respect to "${w}": its type is unknown`,
      );
    }
    if (!isFloat(w)) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `cannot differentiate with respect to "${w}": it is ${info(w)?.dtype}, not a float tensor`,
      );
    }
  }

  // An edge (node input i) carries gradient when the input is a float tensor, not stopped, and
  // not a control input of its op.
  const differentiable = (node: Node, i: number): boolean => {
    const input = node.inputs[i] as string;
    if (input === '' || stopped.has(input)) return false;
    if (info(input) !== undefined && !isFloat(input)) return false;
    if (node.domain !== '' && node.domain !== 'ai.onnx') return true;
    if (NON_DIFFERENTIABLE_OPS.has(node.opType)) return false;
    return !(NON_DIFFERENTIABLE_INPUTS[node.opType] ?? []).includes(i);
  };

  // Forward pass: values that depend differentiably on a wrt value.
  const fromWrt = new Set(wrt.filter((w) => !stopped.has(w)));
  for (const node of order) {
    const reached = node.inputs.some((input, i) => fromWrt.has(input) && differentiable(node, i));
    if (!reached) continue;
    for (const o of node.outputs) {
      // Unknown types propagate as maybe-float; the backward pass rejects them if they matter.
      if (o !== '' && (info(o) === undefined || isFloat(o)) && !stopped.has(o)) fromWrt.add(o);
    }
  }
  // Backward pass: values the loss depends on differentiably, restricted to the forward set.
  const active = new Set<string>();
  if (fromWrt.has(loss)) active.add(loss);
  const pathNodes: Node[] = [];
  for (let k = order.length - 1; k >= 0; k--) {
    const node = order[k] as Node;
    if (!node.outputs.some((o) => active.has(o))) continue;
    let any = false;
    node.inputs.forEach((input, i) => {
      if (fromWrt.has(input) && differentiable(node, i)) {
        // An unknown dtype would decide silently whether gradient flows; make the gap visible.
        if (info(input) === undefined) {
          throw new TrainerError(
            'INVALID_GRAPH',
            `the type of "${input}" (input ${i}) is unknown, so whether gradient flows through it cannot be decided; run shape inference or declare it in graph.valueInfo`,
            { node: node.name, op: gradientKey(node.opType, node.domain) },
          );
        }
        active.add(input);
        any = true;
      }
    });
    if (any) pathNodes.push(node);
  }

  const b = createGraphBuilder({ graph });
  // Gradient contributions per value; finalized (summed) once all consumers have been visited,
  // which reverse topological order guarantees before the value's producer is visited.
  const contributions = new Map<string, string[]>();
  const finalized = new Map<string, string>();
  const finalize = (value: string): string | undefined => {
    const done = finalized.get(value);
    if (done !== undefined) return done;
    const parts = contributions.get(value);
    if (parts === undefined || parts.length === 0) return undefined;
    const total = parts.length === 1 ? (parts[0] as string) : b.op('Sum', parts);
    finalized.set(value, total);
    return total;
  };

  if (active.has(loss)) {
    const dtype = lossInfo?.dtype ?? 'float32';
    contributions.set(loss, [lossGrad ?? filledLike(b, loss, dtype, 1)]);
  }

  for (const node of pathNodes) {
    const key = gradientKey(node.opType, node.domain);
    const builder = gradientBuilders.get(key);
    if (builder === undefined) {
      throw new TrainerError(
        'UNSUPPORTED_OP',
        `no gradient builder for op ${key} on the path from [${wrt.join(', ')}] to the loss "${loss}"; register one with registerGradients or stop the gradient before it`,
        { node: node.name, op: key },
      );
    }
    const gradOutputs = node.outputs.map((o) => (active.has(o) ? finalize(o) : undefined));
    const needsGrad = node.inputs.map((input, i) => active.has(input) && differentiable(node, i));
    const ctx: GradientContext = { node, gradOutputs, needsGrad, builder: b, info };
    const gradInputs = builder(ctx);
    needsGrad.forEach((needed, i) => {
      if (!needed) return;
      const g = gradInputs[i];
      if (g === undefined) {
        throw new TrainerError(
          'UNSUPPORTED_OP',
          `the gradient builder of op ${key} returned no gradient for input ${i} ("${node.inputs[i]}"), which needs one`,
          { node: node.name, op: key },
        );
      }
      const input = node.inputs[i] as string;
      const list = contributions.get(input);
      if (list) list.push(g);
      else contributions.set(input, [g]);
    });
  }

  const grads = new Map<string, string>();
  for (const w of wrt) {
    if (grads.has(w)) continue;
    const name = gradName(w);
    const total = finalize(w);
    if (total === undefined) {
      const zeros = filledLike(b, w, info(w)?.dtype ?? 'float32', 0);
      b.op('Identity', [zeros], {}, { outputs: [name] });
    } else {
      b.op('Identity', [total], {}, { outputs: [name] });
    }
    grads.set(w, name);
  }
  return { grads };
}
