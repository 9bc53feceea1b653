// Who produces and who reads each value of a graph: the lookups graph rewrites start from.
import type { GraphBuilder } from './builder.js';
import type { Graph, Node } from './types.js';

export interface GraphIndex {
  /** The node producing each value (graph inputs and initializers have none). */
  producer: Map<string, Node>;
  /** The nodes reading each value, in graph order (a node reading it twice is listed twice). */
  consumers: Map<string, Node[]>;
}

/** Indexes `graph`'s nodes as they are now; rebuild it after editing the node list. */
export function indexGraph(graph: Graph): GraphIndex {
  const producer = new Map<string, Node>();
  const consumers = new Map<string, Node[]>();
  for (const node of graph.nodes) {
    for (const o of node.outputs) if (o) producer.set(o, node);
    for (const i of node.inputs) {
      if (!i) continue;
      const list = consumers.get(i);
      if (list) list.push(node);
      else consumers.set(i, [node]);
    }
  }
  return { producer, consumers };
}

/**
 * The values of an integer tensor that is constant in the graph (an initializer that is not also
 * a graph input, or a Constant node's output); undefined when it is computed at run time.
 */
export function constantInts(graph: Graph, value: string): number[] | undefined {
  // An initializer that is also a graph input is only a default: the caller may feed another value.
  if (graph.inputs.some((v) => v.name === value)) return undefined;
  let data = graph.initializers.get(value)?.data;
  if (data === undefined) {
    const producer = graph.nodes.find((n) => n.opType === 'Constant' && n.outputs[0] === value);
    const attr = producer?.attributes.value ?? producer?.attributes.value_ints;
    if (attr?.type === 'ints') return [...attr.value];
    if (attr?.type === 'int') return [attr.value];
    if (attr?.type === 'tensor') data = attr.value.data;
  }
  if (data === undefined || data instanceof Float32Array || data instanceof Float64Array) {
    return undefined;
  }
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

/**
 * The nodes `build` adds to `b.graph`, taken back out, the last renamed to produce `output` (the
 * value of the node they are to replace; the builder refuses a name still in use): a rewrite's
 * replacement for replaceNodes.
 */
export function takeBuiltNodes(b: GraphBuilder, output: string, build: () => void): Node[] {
  const start = b.graph.nodes.length;
  build();
  const added = b.graph.nodes.splice(start);
  (added[added.length - 1] as Node).outputs = [output];
  return added;
}

/**
 * Puts each replaced node's replacement where it stood (which keeps a topological order when the
 * replacement reads only values defined before the node).
 */
export function replaceNodes(graph: Graph, replacements: ReadonlyMap<Node, Node[]>): void {
  graph.nodes = graph.nodes.flatMap((n) => replacements.get(n) ?? [n]);
}
