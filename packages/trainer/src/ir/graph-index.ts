// Who produces and who reads each value of a graph: the lookups graph rewrites start from.
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
