// Merges nodes that compute the same values from shapes and constants only: same op, attributes
// and inputs — counting small constants with equal values, and Shape/Size of values whose inferred
// shapes are equal (symbols included), as equal. Every dropout site builds its element indices
// from Size(x) (Add, Div, Cast, Range, Cast: ~0.35 ms per site on GPT-mini); sites of equally
// shaped activations then share one index vector. Nodes reading data are left alone: merging a
// backward recomputation into its forward twin would keep a large tensor alive between them.

import type { GraphBuilder } from '../ir/builder.js';
import { tensorBytes } from '../ir/tensor.js';
import type { Attribute, Graph, Node, TensorData } from '../ir/types.js';
import { inferShapes } from '../shape/infer.js';

/** Ops whose outputs are not a function of their inputs and attributes alone. */
const NONDETERMINISTIC = new Set([
  'RandomNormal',
  'RandomNormalLike',
  'RandomUniform',
  'RandomUniformLike',
  'Multinomial',
  'Bernoulli',
  'Dropout',
]);
/** Constants up to this many bytes are compared by value. */
const SMALL_CONSTANT_BYTES = 256;

function tensorKey(t: TensorData): string | undefined {
  const bytes = tensorBytes(t);
  if (bytes.byteLength > SMALL_CONSTANT_BYTES) return undefined;
  return `${t.dtype}[${t.dims.join(',')}]${Buffer.from(bytes).toString('hex')}`;
}

function attributeKey(name: string, a: Attribute): string | undefined {
  if (a.type === 'tensor') {
    const key = tensorKey(a.value);
    return key === undefined ? undefined : `${name}=${key}`;
  }
  return `${name}=${a.type}:${JSON.stringify(a.value)}`;
}

/**
 * Merges equivalent shape-derived nodes in place on `b.graph` (a copy the caller owns): Constant,
 * Shape and Size nodes and nodes reading only their (transitive) outputs. The first of each class
 * is kept and the readers of the others point at its outputs. Nodes producing graph outputs,
 * nondeterministic ops and constants over 256 bytes are never merged.
 * Shape/Size count as equal when their inputs' inferred shapes are known and equal (inferred
 * with exact broadcasting, so equal means equal at run time). Returns whether anything changed.
 */
export function mergeCommonSubexpressions(b: GraphBuilder): boolean {
  const graph: Graph = b.graph;
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  // Exact broadcasting: a symbol kept from a broadcast that may have widened it would make two
  // different sizes look equal.
  const shapes = inferShapes(graph, { store: false, exactBroadcast: true });
  const renamed = new Map<string, string>();
  const seen = new Map<string, Node>();
  const nodes: Node[] = [];
  // Values computed from shapes and constants alone.
  const shapeDerived = new Set<string>();
  let changed = false;

  for (const node of graph.nodes) {
    const inputs = node.inputs.map((i) => renamed.get(i) ?? i);
    const current = inputs.every((v, i) => v === node.inputs[i]) ? node : { ...node, inputs };
    const derived =
      node.domain === '' &&
      (node.opType === 'Constant' ||
        node.opType === 'Shape' ||
        node.opType === 'Size' ||
        (inputs.length > 0 && inputs.every((i) => i === '' || shapeDerived.has(i))));
    if (derived) for (const o of current.outputs) if (o) shapeDerived.add(o);
    const key = derived ? nodeKey(current, shapes) : undefined;
    const first = key === undefined ? undefined : seen.get(key);
    if (
      first !== undefined &&
      first.outputs.length === current.outputs.length &&
      !current.outputs.some((o) => graphOutputs.has(o))
    ) {
      current.outputs.forEach((o, i) => {
        if (o) renamed.set(o, first.outputs[i] as string);
      });
      changed = true;
      continue;
    }
    if (key !== undefined && first === undefined) seen.set(key, current);
    if (current !== node) changed = true;
    nodes.push(current);
  }
  if (changed) graph.nodes = nodes;
  return changed;
}

function nodeKey(node: Node, shapes: ReturnType<typeof inferShapes>): string | undefined {
  if (NONDETERMINISTIC.has(node.opType) && node.domain === '') return undefined;
  const attrs: string[] = [];
  for (const [name, a] of Object.entries(node.attributes).sort(([p], [q]) => (p < q ? -1 : 1))) {
    const key = attributeKey(name, a);
    if (key === undefined) return undefined;
    attrs.push(key);
  }
  let inputs = node.inputs.join('|');
  const shape = shapes.get(node.inputs[0] as string)?.shape;
  if (node.opType === 'Shape' && node.domain === '' && shape !== undefined) {
    inputs = `shape:${JSON.stringify(shape)}`;
  }
  if (node.opType === 'Size' && node.domain === '' && shape !== undefined) {
    // The element count as number × sorted symbol factors: [b, s, 256] and ['b*s', 256] agree.
    let count = 1;
    const factors: string[] = [];
    for (const d of shape) {
      if (typeof d === 'number') count *= d;
      else factors.push(...d.split('*'));
    }
    inputs = `size:${count}*${factors.sort().join('*')}`;
  }
  return `${node.domain}|${node.opType}|${attrs.join(';')}|${inputs}|${node.outputs.length}`;
}
