// Static shape inference over the graph IR: dtype and symbolic shape of every value, with small
// integer shape tensors folded so Reshape/Expand targets built from Shape chains stay known.
import { TrainerError } from '../errors.js';
import type {
  Attribute,
  Dim,
  DType,
  Graph,
  Node,
  Shape,
  TensorData,
  ValueInfo,
} from '../ir/types.js';
import {
  foldedElements,
  type InferredOutput,
  MAX_FOLDED_ELEMENTS,
  type RuleContext,
  SHAPE_RULES,
} from './rules.js';
import { broadcastShapes } from './utils.js';

export interface InferShapesOptions {
  /** Write the inferred types of node outputs into `graph.valueInfo`. @default true */
  store?: boolean;
  /** Prefix of fresh symbols given to dimensions that cannot be known statically. @default 'unk' */
  unknownPrefix?: string;
  /**
   * Broadcasting two different symbols a, b gives the symbol 'bcast(a,b)' rather than a (wrong
   * when a is 1 at run time), so equal symbols always mean equal run-time sizes: for rewrites
   * that merge computations by shape. @default false
   */
  exactBroadcast?: boolean;
}

/** Contrib-domain ops whose output has the shape and dtype of their first input. */
const CONTRIB_RULES = new Set(['Gelu', 'FastGelu', 'BiasGelu', 'QuickGelu']);

/**
 * Infers dtype and (symbolic) shape of every value in the graph: inputs, initializers and node
 * outputs. Unknown ops never throw: their first output gets the first input's dtype and an
 * unknown rank. Fixed dimensions that cannot match throw INVALID_GRAPH naming node, op and
 * shapes. Declared types in `graph.valueInfo` fill in what inference leaves unknown.
 */
export function inferShapes(
  graph: Graph,
  options: InferShapesOptions = {},
): Map<string, ValueInfo> {
  const { store = true, unknownPrefix = 'unk', exactBroadcast = false } = options;
  const known = new Map<string, ValueInfo>();
  const values = new Map<string, Dim[]>();
  const tensors = new Map<string, TensorData>();

  const usedSymbols = new Set<string>();
  const collect = (info: ValueInfo) => {
    for (const d of info.shape ?? []) if (typeof d === 'string') usedSymbols.add(d);
  };
  graph.inputs.forEach(collect);
  graph.outputs.forEach(collect);
  graph.valueInfo.forEach(collect);
  let counter = 0;
  const freshNames = new Set<string>();
  const fresh = (): string => {
    let name = `${unknownPrefix}_${counter++}`;
    while (usedSymbols.has(name)) name = `${unknownPrefix}_${counter++}`;
    usedSymbols.add(name);
    freshNames.add(name);
    return name;
  };

  for (const input of graph.inputs) {
    known.set(input.name, input.shape ? { ...input, shape: [...input.shape] } : { ...input });
  }
  for (const [name, t] of graph.initializers) {
    known.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
    tensors.set(name, t);
    const v = foldedElements(t);
    if (v) values.set(name, v);
  }

  const declared = new Map<string, ValueInfo>(graph.valueInfo);
  for (const o of graph.outputs) if (o.shape && !declared.has(o.name)) declared.set(o.name, o);

  for (const node of topologicalOrder(graph)) {
    const outputs = inferNode(graph, node, { known, values, tensors, fresh, exactBroadcast });
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      const out = outputs[i];
      const merged = mergeDeclared(name, out, declared.get(name), freshNames);
      if (!merged) return;
      known.set(name, merged);
      if (out?.value && merged.shape && merged.shape.length <= 1) {
        const expected = merged.shape.length === 0 ? 1 : merged.shape[0];
        if (expected === out.value.length) values.set(name, out.value);
      }
      if (node.opType === 'Constant' && node.attributes.value?.type === 'tensor') {
        tensors.set(name, node.attributes.value.value);
      }
      if (store) graph.valueInfo.set(name, merged);
    });
  }
  return known;
}

const isIntDType = (dtype: DType): boolean => dtype === 'int64' || dtype === 'int32';

interface WalkState {
  known: Map<string, ValueInfo>;
  values: Map<string, Dim[]>;
  tensors: Map<string, TensorData>;
  fresh: () => string;
  exactBroadcast: boolean;
}

function inferNode(graph: Graph, node: Node, state: WalkState): Array<InferredOutput | undefined> {
  const { known, values, tensors, fresh, exactBroadcast } = state;
  const standard = node.domain === '' || node.domain === 'ai.onnx';
  const rule =
    standard || (node.domain === 'com.microsoft' && CONTRIB_RULES.has(node.opType))
      ? SHAPE_RULES[node.opType]
      : undefined;
  const info = (i: number): ValueInfo | undefined => {
    const name = node.inputs[i];
    return name ? known.get(name) : undefined;
  };
  if (!rule) {
    const dtype = info(0)?.dtype;
    return dtype === undefined ? [] : [{ dtype }];
  }
  let inputCount = node.inputs.length;
  while (inputCount > 0 && node.inputs[inputCount - 1] === '') inputCount--;
  const site = { node: node.name, op: node.opType };
  const attr = (name: string): Attribute | undefined => node.attributes[name];
  const ctx: RuleContext = {
    node,
    opset: graph.opset,
    inputCount,
    dtype: (i) => info(i)?.dtype,
    shape: (i) => info(i)?.shape,
    value: (i) => {
      const name = node.inputs[i];
      if (!name) return undefined;
      const v = values.get(name);
      if (v) return v;
      // A small int vector whose elements are not known still has a known length: fresh
      // symbols per element keep the rank of shapes built from it (Shape of an unknown dim).
      const t = known.get(name);
      const len = t?.shape?.length === 0 ? 1 : t?.shape?.length === 1 ? t.shape[0] : undefined;
      if (!t || !isIntDType(t.dtype) || typeof len !== 'number' || len > MAX_FOLDED_ELEMENTS) {
        return undefined;
      }
      const symbolic = Array.from({ length: len }, () => fresh());
      values.set(name, symbolic);
      return symbolic;
    },
    ints: (i) => {
      const name = node.inputs[i];
      const v = name ? values.get(name) : undefined;
      return v?.every((d) => typeof d === 'number') ? (v as number[]) : undefined;
    },
    tensor: (i) => {
      const name = node.inputs[i];
      return name ? tensors.get(name) : undefined;
    },
    attr,
    int: (name, fallback) => {
      const a = attr(name);
      return a?.type === 'int' ? a.value : fallback;
    },
    ints_: (name) => {
      const a = attr(name);
      return a?.type === 'ints' ? a.value : undefined;
    },
    str: (name, fallback) => {
      const a = attr(name);
      return a?.type === 'string' ? a.value : fallback;
    },
    fresh,
    broadcast: (a, b) => {
      const shape = broadcastShapes(a, b, site);
      if (!exactBroadcast) return shape;
      // Right-aligned dims of a and b that are two different symbols: either may be 1, so the
      // result is named by the pair (the same pair broadcasts to the same size).
      return shape.map((d, i) => {
        const da = a[a.length - shape.length + i];
        const db = b[b.length - shape.length + i];
        if (typeof da !== 'string' || typeof db !== 'string' || da === db) return d;
        return `bcast(${[da, db].sort().join(',')})`;
      });
    },
    fail: (problem) => {
      throw new TrainerError('INVALID_GRAPH', problem, site);
    },
  };
  return rule(ctx);
}

/**
 * Prefers inferred facts, but a dimension inference had to invent (a fresh symbol) takes the
 * declared one, and a value of unknown rank takes the declared shape.
 */
function mergeDeclared(
  name: string,
  inferred: InferredOutput | undefined,
  declared: ValueInfo | undefined,
  freshNames: ReadonlySet<string>,
): ValueInfo | undefined {
  if (!inferred) return declared ? { ...declared, name } : undefined;
  const dtype: DType = inferred.dtype;
  let shape: Shape | undefined = inferred.shape ? [...inferred.shape] : undefined;
  if (declared?.shape) {
    if (!shape) shape = [...declared.shape];
    else if (shape.length === declared.shape.length) {
      shape = shape.map((d, i) => {
        const decl = declared.shape?.[i] as Dim;
        return typeof d === 'string' && freshNames.has(d) ? decl : d;
      });
    }
  }
  return shape ? { name, dtype, shape } : { name, dtype };
}

/**
 * Nodes ordered so producers come before consumers, keeping the given order where it already
 * is valid (ONNX requires topological order, but graphs being edited may append out of order).
 */
export function topologicalOrder(graph: Graph): Node[] {
  const producer = new Map<string, Node>();
  for (const node of graph.nodes) for (const o of node.outputs) if (o) producer.set(o, node);
  const done = new Set<Node>();
  const visiting = new Set<Node>();
  const order: Node[] = [];
  const visit = (root: Node) => {
    // Iterative DFS: deep transformer graphs overflow a recursive walk.
    const stack: Array<{ node: Node; next: number }> = [{ node: root, next: 0 }];
    visiting.add(root);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { node: Node; next: number };
      if (top.next < top.node.inputs.length) {
        const input = top.node.inputs[top.next++] as string;
        const dep = input ? producer.get(input) : undefined;
        if (dep && !done.has(dep)) {
          if (visiting.has(dep)) {
            throw new TrainerError('INVALID_GRAPH', `graph has a cycle through value "${input}"`, {
              node: dep.name,
              op: dep.opType,
            });
          }
          visiting.add(dep);
          stack.push({ node: dep, next: 0 });
        }
      } else {
        stack.pop();
        visiting.delete(top.node);
        done.add(top.node);
        order.push(top.node);
      }
    }
  };
  for (const node of graph.nodes) if (!done.has(node)) visit(node);
  return order;
}
