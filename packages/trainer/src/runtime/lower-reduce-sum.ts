// Sums over leading axes — the gradients of biases and LayerNorm parameters, Σ over every token —
// as a product with a row of ones: ONNX Runtime's ReduceSum over axis 0 of a [tokens, features]
// tensor runs about half as fast as MLAS's Gemm with M = 1 (isolated, 2 threads: 0.16 vs 0.075 ms
// for [2048, 256], 0.55 vs 0.24 ms for [2048, 1024]).

import { type GraphBuilder, numericAttr } from '../ir/builder.js';
import { constantInts, replaceNodes, takeBuiltNodes } from '../ir/graph-index.js';
import { tensor } from '../ir/tensor.js';
import type { Dim, Graph, Node } from '../ir/types.js';
import { inferShapes } from '../shape/infer.js';

/** The node's reduced axes when they are constant (input from opset 13, attribute before). */
function constantAxes(graph: Graph, node: Node): number[] | undefined {
  if (graph.opset >= 13) {
    const axes = node.inputs[1];
    return axes ? constantInts(graph, axes) : undefined;
  }
  const attr = node.attributes.axes;
  return attr?.type === 'ints' ? attr.value : undefined;
}

/**
 * Rewrites float32 ReduceSum(X, axes) whose axes are exactly X's first k (1 ≤ k < rank) and
 * whose other dims are static numbers C… into Gemm(ones[1, R], Reshape(X, [R, ΠC])), R the
 * product of the leading dims, reshaped to the ReduceSum's output. The row of ones is made once
 * per distinct leading shape (a constant when the dims are numbers, else ConstantOfShape of X's
 * row count, placed before the first sum that needs it). Same values up to the order of the
 * additions. Returns whether anything changed; edits `b.graph` in place.
 */
export function sumLeadingAxesWithGemm(b: GraphBuilder): boolean {
  const graph: Graph = b.graph;
  const sums = graph.nodes.filter((n) => n.opType === 'ReduceSum' && n.domain === '');
  if (sums.length === 0) return false;
  const shapes = inferShapes(graph, { store: false });
  const onesByRows = new Map<string, string>();
  const replacements = new Map<Node, Node[]>();

  for (const node of sums) {
    const x = node.inputs[0] as string;
    const info = shapes.get(x);
    const shape = info?.shape;
    const rawAxes = constantAxes(graph, node);
    if (info?.dtype !== 'float32' || shape === undefined || rawAxes === undefined) continue;
    const rank = shape.length;
    const axes = [...new Set(rawAxes.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
    const k = axes.length;
    if (k === 0 || k >= rank || axes.some((a, i) => a !== i)) continue;
    const leading = shape.slice(0, k);
    const trailing = shape.slice(k);
    if (!trailing.every((d): d is number => typeof d === 'number')) continue;
    const columns = trailing.reduce((p, d) => p * d, 1);
    if (columns === 0) continue; // [-1, 0] is not a reshape target

    const added = takeBuiltNodes(b, node.outputs[0] as string, () => {
      const matrix = rank === 2 ? x : b.op('Reshape', [x, b.int64s([-1, columns])]);
      const key = leading.join(',');
      let ones = onesByRows.get(key);
      if (ones === undefined) {
        ones = onesRow(b, leading, matrix);
        onesByRows.set(key, ones);
      }
      const row = b.op('Gemm', [ones, matrix]);
      const keepdims = numericAttr(node, 'keepdims', 1) === 1;
      const outShape = keepdims ? [...leading.map(() => 1), ...trailing] : trailing;
      if (!(rank === 2 && keepdims)) b.op('Reshape', [row, b.int64s(outShape)]);
    });
    replacements.set(node, added);
  }
  if (replacements.size === 0) return false;
  // Each sum's nodes (and a row of ones first made for it) stand where the sum stood: they read
  // only X, defined before it.
  replaceNodes(graph, replacements);
  return true;
}

/** A [1, R] float32 row of ones, R = Π`leading` (the rows of `matrix`, X as [R, C]). */
function onesRow(b: GraphBuilder, leading: readonly Dim[], matrix: string): string {
  if (leading.every((d): d is number => typeof d === 'number')) {
    const rows = leading.reduce((p, d) => p * d, 1);
    return b.constant(tensor('float32', [1, rows], new Float32Array(rows).fill(1)));
  }
  const rows = b.op('Slice', [b.op('Shape', [matrix]), b.int64s([0]), b.int64s([1])]);
  const dims = b.op('Concat', [b.int64s([1]), rows], { axis: 0 });
  return b.op('ConstantOfShape', [dims], { value: tensor('float32', [1], [1]) });
}
