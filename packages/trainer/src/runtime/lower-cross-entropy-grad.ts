// Rewrites the cross-entropy gradient that feeds a linear layer (an LM head above all) so the
// one-hot correction and the per-row factor run on the layer's small operands instead of the
// [tokens, classes] gradient, and the softmax of the gradient reuses the loss's log-softmax.

import { type GraphBuilder, numericAttr } from '../ir/builder.js';
import { indexGraph } from '../ir/graph-index.js';
import type { Graph, Node, Shape } from '../ir/types.js';
import { inferShapes } from '../shape/infer.js';

/** Whether the op works along axis 1 (the classes) of a rank-`rank` tensor. */
const isClassAxis = (node: Node, rank: number) => {
  const axis = numericAttr(node, 'axis', node.opType === 'Softmax' ? -1 : 0);
  return axis === 1 || axis === 1 - rank;
};

/** A per-row factor broadcasts along the class axis: a scalar, [1], or [N, 1]. */
const isRowFactor = (shape: Shape | undefined) =>
  shape !== undefined &&
  (shape.length === 0 ||
    (shape.length === 1 && shape[0] === 1) ||
    (shape.length === 2 && shape[1] === 1));

interface Match {
  /** Softmax(Z) over the classes: p. */
  prob: string;
  /** Per-row factor r (the loss's dLoss · weight · kept-mask), broadcasting over classes. */
  factor: string;
  /** Targets as [N, 1] int64 (ignored rows point at class 0 and have r = 0). */
  index: string;
  /** The gradient's own nodes, dropped once every reader is rewritten. */
  chain: Node[];
  /** The linear layers reading the gradient as their A operand. */
  gemms: Node[];
}

/**
 * Finds dScores = ScatterElements(p·r, t, p_t·r − r) — the form autodiff/grads/nn.ts gives
 * (p − onehot(t))·r — read, through row-preserving Reshapes, only as input A of Gemms.
 */
function match(
  scatter: Node,
  producer: Map<string, Node>,
  consumers: Map<string, Node[]>,
  shapes: Map<string, { shape?: Shape }>,
  graphOutputs: Set<string>,
): Match | undefined {
  if (scatter.opType !== 'ScatterElements' || scatter.domain !== '') return undefined;
  const reduction = scatter.attributes.reduction;
  if (reduction !== undefined && !(reduction.type === 'string' && reduction.value === 'none')) {
    return undefined;
  }
  const [scaled, index, updates] = scatter.inputs as [string, string, string];
  const mul = producer.get(scaled);
  const sub = producer.get(updates);
  if (mul?.opType !== 'Mul' || sub?.opType !== 'Sub') return undefined;
  const [prob, factor] = mul.inputs as [string, string];
  const picked = producer.get(sub.inputs[0] as string);
  if (
    sub.inputs[1] !== factor ||
    picked?.opType !== 'GatherElements' ||
    picked.inputs[0] !== scaled ||
    picked.inputs[1] !== index
  ) {
    return undefined;
  }
  const softmax = producer.get(prob);
  const scoresShape = shapes.get(softmax?.inputs[0] ?? '')?.shape;
  const classes = scoresShape?.[1];
  if (softmax?.opType !== 'Softmax' || scoresShape?.length !== 2 || typeof classes !== 'number') {
    return undefined;
  }
  if (!isClassAxis(softmax, 2) || !isClassAxis(scatter, 2) || !isClassAxis(picked, 2)) {
    return undefined;
  }
  if (!isRowFactor(shapes.get(factor)?.shape)) return undefined;
  // The gradient's own nodes are dropped, so nothing else may read them (and p·r kept alive for
  // another reader would save nothing anyway).
  const onlyReaders = (value: string, allowed: Node[]) =>
    (consumers.get(value) ?? []).every((n) => allowed.includes(n));
  if (
    !onlyReaders(scaled, [scatter, picked]) ||
    !onlyReaders(picked.outputs[0] as string, [sub]) ||
    !onlyReaders(updates, [scatter])
  ) {
    return undefined;
  }

  const chain: Node[] = [mul, picked, sub, scatter];
  const gemms: Node[] = [];
  const pending = [scatter.outputs[0] as string];
  while (pending.length > 0) {
    const value = pending.pop() as string;
    if (graphOutputs.has(value)) return undefined;
    for (const reader of consumers.get(value) ?? []) {
      const readsAsA = reader.inputs[0] === value && !reader.inputs.slice(1).includes(value);
      if (reader.opType === 'Reshape' && readsAsA) {
        // Rows stay rows, in order, when the class dimension survives as the last one.
        const out = shapes.get(reader.outputs[0] as string)?.shape;
        if (out === undefined || out.length < 2 || out[out.length - 1] !== classes) {
          return undefined;
        }
        chain.push(reader);
        pending.push(reader.outputs[0] as string);
      } else if (
        reader.opType === 'Gemm' &&
        readsAsA &&
        (reader.inputs[2] ?? '') === '' &&
        numericAttr(reader, 'alpha', 1) === 1
      ) {
        gemms.push(reader);
      } else {
        return undefined;
      }
    }
  }
  if (gemms.length === 0) return undefined;
  return { prob, factor, index, chain, gemms };
}

/**
 * Emits, for a Gemm that read dScores = (p − onehot(t))·r as A, the same output from p:
 * without transA, dScores·B' = r·(p·B' − B'[t]) (B' = B or Bᵀ; B'[t] gathers its rows);
 * with transA, dScoresᵀ·B' = pᵀ·(r·B') minus r·B' scatter-added into the rows t.
 * The transA form needs ScatterND's reduction (opset ≥ 16); the caller checks. Returns the
 * value holding the result (a fresh name: the Gemm still holds its own until it is dropped).
 */
function rewriteGemm(b: GraphBuilder, m: Match, gemm: Node, targets: string): string {
  const transA = numericAttr(gemm, 'transA', 0) === 1;
  const transB = numericAttr(gemm, 'transB', 0) === 1;
  const operand = gemm.inputs[1] as string;
  if (!transA) {
    const product = b.op('Gemm', [m.prob, operand], { transB: transB ? 1 : 0 });
    const rows = transB
      ? b.op('Transpose', [b.op('Gather', [operand, targets], { axis: 1 })], { perm: [1, 0] })
      : b.op('Gather', [operand, targets], { axis: 0 });
    return b.op('Mul', [b.op('Sub', [product, rows]), m.factor]);
  }
  const perRow = transB ? b.op('Transpose', [operand], { perm: [1, 0] }) : operand;
  const weighted = b.op('Mul', [perRow, m.factor]);
  const product = b.op('Gemm', [m.prob, weighted], { transA: 1 });
  return b.op('ScatterND', [product, m.index, b.op('Neg', [weighted])], { reduction: 'add' });
}

/**
 * In place on `graph` (a copy the caller owns), for ONNX Runtime: the cross-entropy gradient
 * that only feeds linear layers (GPT's tied LM head: dHidden and dEmbedding) is folded into them,
 * so the two [tokens, vocab] passes that scale it and subtract the one-hot (a Mul and a
 * ScatterElements that copies the whole tensor) become a Gather or a scatter-add on the [tokens,
 * hidden] and [vocab, hidden] operands; and a Softmax whose input also has a LogSoftmax earlier
 * in the graph (the lowered loss) becomes Exp of it, one pass instead of three, as PyTorch's
 * log_softmax backward does. Same values up to rounding (tests compare with the unlowered graph).
 * Returns whether anything changed.
 */
export function foldCrossEntropyGradient(b: GraphBuilder): boolean {
  const graph: Graph = b.graph;
  const { producer, consumers } = indexGraph(graph);
  // Shape inference only when a candidate exists: most graphs have neither pattern.
  const logSoftmaxInputs = new Set(
    graph.nodes.filter((n) => n.opType === 'LogSoftmax').map((n) => n.inputs[0]),
  );
  const candidate = graph.nodes.some(
    (n) =>
      (n.opType === 'ScatterElements' && producer.get(n.inputs[0] as string)?.opType === 'Mul') ||
      (n.opType === 'Softmax' && logSoftmaxInputs.has(n.inputs[0])),
  );
  if (!candidate) return false;
  const shapes = inferShapes(graph, { store: false });
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  let changed = false;

  for (const scatter of graph.nodes.filter((n) => n.opType === 'ScatterElements')) {
    const m = match(scatter, producer, consumers, shapes, graphOutputs);
    if (!m) continue;
    // ScatterND's reduction (the transA form) arrives in opset 16.
    if (m.gemms.some((g) => numericAttr(g, 'transA', 0) === 1) && graph.opset < 16) continue;
    // Built at the end, then each Gemm's nodes put where it stood (everything they read — p, r,
    // the targets, its B — is defined before it), the targets before the first of them; the
    // last new node takes over the Gemm's output name.
    const start = graph.nodes.length;
    const targets = b.op('Reshape', [m.index, b.int64s([-1])]);
    const targetNodes = graph.nodes.splice(start);
    const replacements = new Map<Node, Node[]>();
    for (const gemm of m.gemms) {
      const from = graph.nodes.length;
      const result = rewriteGemm(b, m, gemm, targets);
      const nodes = graph.nodes.splice(from);
      const last = nodes[nodes.length - 1] as Node;
      last.outputs = last.outputs.map((o) => (o === result ? (gemm.outputs[0] as string) : o));
      replacements.set(gemm, nodes);
    }
    const dropped = new Set<Node>(m.chain);
    const original = graph.nodes;
    const rebuilt: Node[] = [];
    for (const n of original) {
      const replacement = replacements.get(n);
      if (replacement) rebuilt.push(...targetNodes.splice(0), ...replacement);
      else if (!dropped.has(n)) rebuilt.push(n);
    }
    graph.nodes = rebuilt;
    changed = true;
  }

  // Softmax(Z) → Exp(LogSoftmax(Z)) when that LogSoftmax already ran earlier. From opset 13 on
  // both normalise one axis (before, they flattened from it and defaulted to axis 1).
  if (graph.opset < 13) return changed;
  const logSoftmaxOf = new Map<string, { node: Node; position: number }>();
  graph.nodes.forEach((n, position) => {
    if (n.opType === 'LogSoftmax' && n.domain === '') {
      logSoftmaxOf.set(n.inputs[0] as string, { node: n, position });
    }
  });
  for (const [position, node] of graph.nodes.entries()) {
    if (node.opType !== 'Softmax' || node.domain !== '') continue;
    const log = logSoftmaxOf.get(node.inputs[0] as string);
    const rank = shapes.get(node.inputs[0] as string)?.shape?.length;
    if (!log || log.position > position || rank === undefined) continue;
    const axisOf = (n: Node) => {
      const axis = numericAttr(n, 'axis', -1);
      return axis < 0 ? axis + rank : axis;
    };
    if (axisOf(node) !== axisOf(log.node)) continue;
    graph.nodes[position] = {
      name: node.name,
      opType: 'Exp',
      domain: '',
      inputs: [log.node.outputs[0] as string],
      outputs: [...node.outputs],
      attributes: {},
    };
    changed = true;
  }
  return changed;
}
