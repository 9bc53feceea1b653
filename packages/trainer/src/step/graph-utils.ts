// Graph surgery shared by the step compiler and the exporter: copies, dropout removal, pruning.
import { TrainerError } from '../errors.js';
import type { Graph, Node } from '../ir/types.js';
import { inferShapes } from '../shape/infer.js';

/** The graph input a stateless dropout reads its per-step seed from. */
export const DROPOUT_SEED_INPUT = 'dropout_seed';

/** A copy whose node, input, output and initializer containers can be edited freely. */
export function cloneGraph(graph: Graph): Graph {
  return {
    name: graph.name,
    opset: graph.opset,
    extraOpsets: { ...graph.extraOpsets },
    nodes: graph.nodes.map((n) => ({
      ...n,
      inputs: [...n.inputs],
      outputs: [...n.outputs],
      attributes: { ...n.attributes },
    })),
    inputs: graph.inputs.map((v) => ({ ...v, ...(v.shape ? { shape: [...v.shape] } : {}) })),
    outputs: graph.outputs.map((v) => ({ ...v, ...(v.shape ? { shape: [...v.shape] } : {}) })),
    initializers: new Map(graph.initializers),
    valueInfo: new Map(graph.valueInfo),
  };
}

/**
 * Keeps only the nodes the given outputs depend on, and the inputs and initializers those nodes
 * (or the outputs themselves) read.
 */
export function pruneGraph(graph: Graph): void {
  const producer = new Map<string, Node>();
  for (const node of graph.nodes) for (const o of node.outputs) if (o) producer.set(o, node);
  const needed = new Set<string>();
  const keep = new Set<Node>();
  const stack = graph.outputs.map((o) => o.name);
  while (stack.length > 0) {
    const value = stack.pop() as string;
    if (needed.has(value)) continue;
    needed.add(value);
    const node = producer.get(value);
    if (node && !keep.has(node)) {
      keep.add(node);
      for (const input of node.inputs) if (input) stack.push(input);
    }
  }
  graph.nodes = graph.nodes.filter((n) => keep.has(n));
  graph.inputs = graph.inputs.filter((v) => needed.has(v.name));
  for (const name of [...graph.initializers.keys()]) {
    if (!needed.has(name)) graph.initializers.delete(name);
  }
}

/**
 * In place: every standard Dropout node becomes an Identity of its input (inference
 * semantics), and a requested mask output becomes all-true of the input's shape.
 */
export function removeDropout(graph: Graph): number {
  const nodes: Node[] = [];
  let count = 0;
  for (const node of graph.nodes) {
    if (node.opType !== 'Dropout' || (node.domain !== '' && node.domain !== 'ai.onnx')) {
      nodes.push(node);
      continue;
    }
    count++;
    const [x] = node.inputs;
    const [y, mask] = node.outputs;
    if (!x) {
      throw new TrainerError('INVALID_GRAPH', 'Dropout has no data input', {
        node: node.name,
        op: 'Dropout',
      });
    }
    if (y) {
      nodes.push({
        name: node.name,
        opType: 'Identity',
        domain: '',
        inputs: [x],
        outputs: [y],
        attributes: {},
      });
    }
    if (mask) {
      const shape = `${node.name}__eval_shape`;
      nodes.push({
        name: `${node.name}__eval_shape`,
        opType: 'Shape',
        domain: '',
        inputs: [x],
        outputs: [shape],
        attributes: {},
      });
      nodes.push({
        name: `${node.name}__eval_mask`,
        opType: 'ConstantOfShape',
        domain: '',
        inputs: [shape],
        outputs: [mask],
        attributes: {
          value: { type: 'tensor', value: { dtype: 'bool', dims: [1], data: new Uint8Array([1]) } },
        },
      });
    }
  }
  graph.nodes = nodes;
  return count;
}

/** The first node reading `value`, if any. */
export function firstConsumer(graph: Graph, value: string): Node | undefined {
  return graph.nodes.find((n) => n.inputs.includes(value));
}

/**
 * The forward graph for evaluation and export: Dropout nodes are identities, only `outputs`
 * remain as graph outputs, unused nodes/inputs are pruned. Throws INVALID_GRAPH when the pruned
 * graph still reads `dropout_seed` (a custom stateless dropout this pass cannot recognise: pass
 * an explicit eval graph built without dropout).
 */
export function createEvalGraph(graph: Graph, outputs: readonly string[]): Graph {
  const g = cloneGraph(graph);
  removeDropout(g);
  const declared = new Map(g.outputs.map((v) => [v.name, v]));
  const inferred = inferShapes(g, { store: false });
  g.outputs = outputs.map((name) => {
    const info = declared.get(name) ?? inferred.get(name);
    if (info === undefined) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `output "${name}" is not a value of graph "${g.name}"`,
      );
    }
    return { ...info, name };
  });
  pruneGraph(g);
  const reader = firstConsumer(g, DROPOUT_SEED_INPUT);
  if (reader) {
    throw new TrainerError(
      'INVALID_GRAPH',
      `the eval graph still reads "${DROPOUT_SEED_INPUT}" after Dropout nodes were removed, so dropout would stay on during evaluation; build the model's eval graph without dropout and pass it as \`evalGraph\``,
      { node: reader.name, op: reader.opType },
    );
  }
  return g;
}
