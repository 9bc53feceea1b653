// Rewrites ops whose ONNX Runtime (CPU) implementation is slow into equivalent standard ops, on
// a copy of the graph, just before it becomes a session.

import { crossEntropyTargets } from '../autodiff/grads/nn.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import type { Graph, Node } from '../ir/types.js';
import { foldCrossEntropyGradient } from './lower-cross-entropy-grad.js';
import { mergeCommonSubexpressions } from './lower-cse.js';
import { sumLeadingAxesWithGemm } from './lower-reduce-sum.js';
import { foldScatterAddIntoSum } from './lower-scatter-sum.js';
import { swapTransposedMatMuls } from './lower-transposed-matmul.js';

const present = (name: string | undefined): name is string => name !== undefined && name !== '';

/**
 * SoftmaxCrossEntropyLoss → LogSoftmax over the class axis + per-target picks. ONNX Runtime's
 * inference build has no kernel for the op and expands its ONNX function, which reshapes the
 * scores to [N, C, 1] first, so the LogSoftmax normalises a middle axis: on GPT-mini's
 * [2048, 8000] logits it took ~37 ms where a LogSoftmax over the last axis of the 2-D scores takes
 * ~10 ms (bench/, kernel profile). Then loss_i = −w_i · log p_{t_i} with w_i = weight[t_i] (1
 * without weights) and 0 for ignore_index, reduced as the op says ('mean' divides by Σ w_i).
 * A gradient's softmax of the same scores becomes Exp of these log-probabilities (see
 * lower-cross-entropy-grad.ts). Nodes whose `log_prob` output is read are left alone.
 */
function lowerSoftmaxCrossEntropy(b: GraphBuilder, node: Node, used: Set<string>): boolean {
  if (b.graph.opset < 15) return false; // CastLike (dtype-agnostic masks) arrives in opset 15
  if (present(node.outputs[1]) && used.has(node.outputs[1])) return false;
  const [scores, labels, weights] = node.inputs as [string, string, string | undefined];
  const reductionAttr = node.attributes.reduction;
  const reduction = reductionAttr?.type === 'string' ? reductionAttr.value : 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') return false;
  const ignoreAttr = node.attributes.ignore_index;
  const { target, weight } = crossEntropyTargets(b, {
    labels,
    weights,
    ignoreIndex: ignoreAttr?.type === 'int' ? ignoreAttr.value : undefined,
    toFloat: (mask) => b.op('CastLike', [mask, scores]),
  });
  const index = b.op('Unsqueeze', [target, b.int64s([1])]);
  const logProbs = b.op('LogSoftmax', [scores], { axis: 1 });
  const logProb = b.op('GatherElements', [logProbs, index], { axis: 1 });
  let nll = b.op('Neg', [b.op('Squeeze', [logProb, b.int64s([1])])]);
  if (weight !== undefined) nll = b.op('Mul', [nll, weight]);

  const output = node.outputs[0] as string;
  if (reduction === 'none') {
    b.op('Identity', [nll], {}, { outputs: [output] });
    return true;
  }
  const total = b.op('ReduceSum', [nll], { keepdims: 0 });
  if (reduction === 'sum') {
    b.op('Identity', [total], {}, { outputs: [output] });
    return true;
  }
  const count =
    weight === undefined
      ? b.op('CastLike', [b.op('Size', [labels]), scores])
      : b.op('ReduceSum', [weight], { keepdims: 0 });
  b.op('Div', [total, count], {}, { outputs: [output] });
  return true;
}

/**
 * The graph ONNX Runtime should run for `graph`: the same computation with slow ops rewritten
 * (see lowerSoftmaxCrossEntropy), the loss's gradient folded into the linear layers it feeds
 * (foldCrossEntropyGradient), transposed products turned into products of transposes
 * (swapTransposedMatMuls), an embedding's scattered gradient added into the weight's other
 * gradients (foldScatterAddIntoSum), sums over leading axes into products with ones
 * (sumLeadingAxesWithGemm) and repeated shape computations merged (mergeCommonSubexpressions,
 * dropout's element indices above all). Returns `graph` itself when nothing applies; never
 * mutates it.
 */
export function lowerForOrt(graph: Graph): Graph {
  const candidates = new Set([
    'SoftmaxCrossEntropyLoss',
    'ScatterElements',
    'Softmax',
    'Transpose',
    'ReduceSum',
    'Sum',
    'Size',
  ]);
  if (!graph.nodes.some((n) => candidates.has(n.opType) && n.domain === '')) return graph;
  const used = new Set<string>(graph.outputs.map((o) => o.name));
  for (const n of graph.nodes) for (const i of n.inputs) used.add(i);
  // The builder works on a copy holding every other node, so the names it makes are fresh; the
  // replaced node is taken out first (its outputs are made again) and the new nodes are moved to
  // where it stood, which keeps the list in topological order.
  const lowered: Graph = { ...graph, nodes: [...graph.nodes] };
  const b = createGraphBuilder({ graph: lowered });
  let changed = false;
  for (const node of graph.nodes) {
    if (node.opType !== 'SoftmaxCrossEntropyLoss' || node.domain !== '') continue;
    const at = lowered.nodes.indexOf(node);
    lowered.nodes.splice(at, 1);
    const start = lowered.nodes.length;
    const replaced = lowerSoftmaxCrossEntropy(b, node, used);
    changed ||= replaced;
    const added = lowered.nodes.splice(start);
    lowered.nodes.splice(at, 0, ...(replaced ? added : [node]));
  }
  if (foldCrossEntropyGradient(b)) changed = true;
  if (swapTransposedMatMuls(b)) changed = true;
  if (foldScatterAddIntoSum(b)) changed = true;
  if (sumLeadingAxesWithGemm(b)) changed = true;
  if (mergeCommonSubexpressions(b)) changed = true;
  if (!changed) return graph;
  dropUnreadNodes(lowered);
  return lowered;
}

/**
 * Removes nodes none of whose outputs is read or returned, until none is left: what the rewrites
 * replaced (an operand's old Transpose, a scatter's zeros, a sum's axes), and the constants only
 * those read — ONNX Runtime warns about every initializer nothing reads.
 */
function dropUnreadNodes(graph: Graph): void {
  for (;;) {
    const read = new Set<string>(graph.outputs.map((o) => o.name));
    for (const n of graph.nodes) for (const i of n.inputs) if (i) read.add(i);
    const kept = graph.nodes.filter((n) => n.outputs.some((o) => o !== '' && read.has(o)));
    if (kept.length === graph.nodes.length) return;
    graph.nodes = kept;
  }
}
