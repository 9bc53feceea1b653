// Adds an embedding's scattered gradient straight into the other gradients of the same weight
// instead of scattering into zeros first: GPT's tied word embedding gets its gradient from the LM
// head's product and from the input lookup, which autodiff sums as
// Sum(dHead, ScatterND(zeros, ids, dRows, 'add')) — a zero fill, a copy and an add over the whole
// [vocab, hidden] table (~4 ms per GPT-mini step) for a few thousand rows of work.

import type { GraphBuilder } from '../ir/builder.js';
import { indexGraph, replaceNodes, takeBuiltNodes } from '../ir/graph-index.js';
import type { Graph, Node } from '../ir/types.js';
import { inferShapes } from '../shape/infer.js';

/** Whether `node` is ConstantOfShape filled with 0 (its default fill is 0 too). */
function isZeros(node: Node | undefined): boolean {
  if (node?.opType !== 'ConstantOfShape' || node.domain !== '') return false;
  const value = node.attributes.value;
  if (value === undefined) return true;
  if (value.type !== 'tensor') return false;
  return Array.from(value.value.data as ArrayLike<number | bigint>).every((v) => Number(v) === 0);
}

/**
 * Rewrites Sum(A…, ScatterND(zeros, I, U, reduction 'add')…) — each scatter read only by the Sum,
 * every operand of the Sum the same shape (no broadcasting) — into ScatterND(Sum(A…), I, U, 'add')
 * chained over the scatters (ScatterND(A, I, U, 'add') for a single A). Same values up to the
 * order of the additions (lowerForOrt then drops the zeros if nothing else reads them). Returns
 * whether anything
 * changed; edits `b.graph` in place.
 */
export function foldScatterAddIntoSum(b: GraphBuilder): boolean {
  const graph: Graph = b.graph;
  const { producer, consumers } = indexGraph(graph);
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const isZeroScatter = (value: string) => {
    const node = producer.get(value);
    const reduction = node?.attributes.reduction;
    return (
      node?.opType === 'ScatterND' &&
      node.domain === '' &&
      reduction?.type === 'string' &&
      reduction.value === 'add' &&
      isZeros(producer.get(node.inputs[0] as string)) &&
      !graphOutputs.has(value) &&
      consumers.get(value)?.length === 1
    );
  };
  const sums = graph.nodes.filter(
    (n) =>
      n.opType === 'Sum' &&
      n.domain === '' &&
      n.inputs.some(isZeroScatter) &&
      n.inputs.some((i) => !isZeroScatter(i)),
  );
  if (sums.length === 0) return false;
  const shapes = inferShapes(graph, { store: false });
  const sameShape = (values: readonly string[]) => {
    const known = values.map((v) => shapes.get(v)?.shape);
    const first = JSON.stringify(known[0]);
    return known[0] !== undefined && known.every((s) => JSON.stringify(s) === first);
  };

  const replacements = new Map<Node, Node[]>();
  for (const sum of sums) {
    if (!sameShape(sum.inputs as string[])) continue;
    const scatters = sum.inputs.filter(isZeroScatter).map((v) => producer.get(v) as Node);
    const rest = sum.inputs.filter((v) => !isZeroScatter(v)) as string[];
    const added = takeBuiltNodes(b, sum.outputs[0] as string, () => {
      let total = rest.length === 1 ? (rest[0] as string) : b.op('Sum', rest);
      for (const scatter of scatters) {
        total = b.op('ScatterND', [total, ...scatter.inputs.slice(1)], { reduction: 'add' });
      }
    });
    replacements.set(sum, added);
  }
  if (replacements.size === 0) return false;
  // The new nodes read what the Sum and its scatters read, all defined before the Sum; the old
  // scatters, now unread, go with lowerForOrt's sweep.
  replaceNodes(graph, replacements);
  return true;
}
