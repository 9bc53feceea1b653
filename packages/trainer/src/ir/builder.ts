// A small builder over the graph IR: inputs, initializers, constants and ops with unique names.
import { TrainerError } from '../errors.js';
import { scalar, tensor } from './tensor.js';
import type { Attribute, DType, Graph, Node, Shape, TensorData, ValueInfo } from './types.js';

/** Marks a number attribute as ONNX float even when it is integral (`alpha: float(1)`). */
export interface FloatAttr {
  readonly float: number;
}
export function float(value: number): FloatAttr {
  return { float: value };
}

/** Plain attribute values: integral numbers become ints, others floats; arrays likewise. */
export type AttrValue =
  | number
  | string
  | number[]
  | string[]
  | FloatAttr
  | FloatAttr[]
  | TensorData
  | Attribute;

/** A node's int or float attribute as a number, or `fallback` when the node does not set it. */
export function numericAttr(node: Node, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a && (a.type === 'int' || a.type === 'float') ? a.value : fallback;
}

export function toAttribute(name: string, value: AttrValue): Attribute {
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { type: 'int', value } : { type: 'float', value };
  }
  if (typeof value === 'string') return { type: 'string', value };
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string'))
      return { type: 'strings', value: value as string[] };
    if (value.every((v) => typeof v === 'object' && v !== null && 'float' in v)) {
      return { type: 'floats', value: (value as FloatAttr[]).map((v) => v.float) };
    }
    const numbers = value as number[];
    return numbers.every(Number.isInteger)
      ? { type: 'ints', value: numbers }
      : { type: 'floats', value: numbers };
  }
  if ('float' in value) return { type: 'float', value: value.float };
  if ('type' in value && 'value' in value) return value;
  if ('dims' in value && 'data' in value) return { type: 'tensor', value };
  throw new TrainerError(
    'INVALID_ARGUMENT',
    `attribute "${name}" has a value the builder cannot encode`,
  );
}

export interface OpOptions {
  /** Node name; a unique one is generated from the op type when omitted. */
  name?: string;
  /** Operator domain. @default '' (standard ONNX) */
  domain?: string;
  /** Output names; generated when omitted. */
  outputs?: string[];
}

export interface GraphBuilder {
  /** Declares a graph input and returns its name. */
  input(name: string, dtype: DType, shape?: Shape): string;
  /** Adds an initializer (a named weight) and returns its name. */
  initializer(name: string, value: TensorData): string;
  /** Adds a Constant node holding `value` and returns its output name. */
  constant(value: TensorData, name?: string): string;
  /** A scalar constant (e.g. `b.scalar('float32', 0.5)`). */
  scalar(dtype: DType, value: number | bigint): string;
  /** A 1-D int64 constant (axes, shapes, starts/ends). */
  int64s(values: readonly number[]): string;
  /** Adds a node with one output and returns that output's name. */
  op(
    opType: string,
    inputs: readonly string[],
    attributes?: Record<string, AttrValue>,
    options?: OpOptions,
  ): string;
  /** Adds a node with `count` outputs and returns their names. */
  opN(
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes?: Record<string, AttrValue>,
    options?: OpOptions,
  ): string[];
  /** Marks a value as a graph output. */
  output(name: string, dtype: DType, shape?: Shape): void;
  /** A fresh value name with the given prefix. */
  uniqueName(prefix: string): string;
  /** The graph being built (live: later calls keep adding to it). */
  readonly graph: Graph;
}

export interface GraphBuilderOptions {
  /** Graph name. @default 'graph' */
  name?: string;
  /** Default-domain opset. @default 18 */
  opset?: number;
  /** Continue building on an existing graph (its names are reserved). */
  graph?: Graph;
}

interface NameState {
  names: Set<string>;
  /** graph.nodes/inputs/initializers sizes at the last scan. */
  counts: [number, number, number];
}
const nameStates = new WeakMap<Graph, NameState>();

function scan(graph: Graph): NameState {
  const names = new Set<string>();
  for (const v of graph.inputs) names.add(v.name);
  for (const n of graph.initializers.keys()) names.add(n);
  for (const node of graph.nodes) {
    names.add(node.name);
    for (const o of node.outputs) names.add(o);
  }
  return { names, counts: [graph.nodes.length, graph.inputs.length, graph.initializers.size] };
}

/** The live set of names in a graph, rescanned when the graph grew behind the builders' backs. */
function namesOf(graph: Graph): { has(name: string): boolean; add(name: string): void } {
  const current = (): NameState => {
    let state = nameStates.get(graph);
    const counts = [graph.nodes.length, graph.inputs.length, graph.initializers.size];
    if (!state || state.counts.some((c, i) => c !== counts[i])) {
      state = scan(graph);
      nameStates.set(graph, state);
    }
    return state;
  };
  return {
    has: (name) => current().names.has(name),
    add: (name) => {
      current().names.add(name);
    },
  };
}

/** Keeps the shared name state's counts in step with additions made through a builder. */
function noteAdded(graph: Graph): void {
  const state = nameStates.get(graph);
  if (state) state.counts = [graph.nodes.length, graph.inputs.length, graph.initializers.size];
}

/** Creates a builder for a new graph, or for adding nodes to an existing one. */
export function createGraphBuilder(options: GraphBuilderOptions = {}): GraphBuilder {
  const { name = 'graph', opset = 18 } = options;
  const graph: Graph = options.graph ?? {
    name,
    opset,
    extraOpsets: {},
    nodes: [],
    inputs: [],
    outputs: [],
    initializers: new Map(),
    valueInfo: new Map(),
  };
  // Names are shared by every builder over the same graph (autodiff, losses and optimizers each
  // make their own builder); a rescan catches nodes added to the graph by other means.
  const used = namesOf(graph);
  const counters = new Map<string, number>();
  const uniqueName = (prefix: string): string => {
    let i = counters.get(prefix) ?? 0;
    let candidate = `${prefix}_${i}`;
    while (used.has(candidate)) candidate = `${prefix}_${++i}`;
    counters.set(prefix, i + 1);
    used.add(candidate);
    return candidate;
  };
  const claim = (value: string, what: string): string => {
    if (used.has(value)) {
      throw new TrainerError(
        'INVALID_GRAPH',
        `${what} name "${value}" is already used in graph "${graph.name}"`,
      );
    }
    used.add(value);
    return value;
  };

  const addNode = (
    opType: string,
    inputs: readonly string[],
    count: number,
    attributes: Record<string, AttrValue> = {},
    opOptions: OpOptions = {},
  ): string[] => {
    const nodeName =
      opOptions.name !== undefined ? claim(opOptions.name, 'node') : uniqueName(opType);
    const outputs = opOptions.outputs
      ? opOptions.outputs.map((o) => claim(o, 'value'))
      : Array.from({ length: count }, (_, i) => uniqueName(`${nodeName}_out${count > 1 ? i : ''}`));
    const attrs: Record<string, Attribute> = {};
    for (const [key, value] of Object.entries(attributes)) attrs[key] = toAttribute(key, value);
    const node: Node = {
      name: nodeName,
      opType,
      domain: opOptions.domain ?? '',
      inputs: [...inputs],
      outputs,
      attributes: attrs,
    };
    graph.nodes.push(node);
    noteAdded(graph);
    return outputs;
  };

  return {
    graph,
    uniqueName,
    input(inputName, dtype, shape) {
      claim(inputName, 'input');
      const info: ValueInfo = shape
        ? { name: inputName, dtype, shape: [...shape] }
        : { name: inputName, dtype };
      graph.inputs.push(info);
      noteAdded(graph);
      return inputName;
    },
    initializer(initName, value) {
      claim(initName, 'initializer');
      graph.initializers.set(initName, value);
      noteAdded(graph);
      return initName;
    },
    constant(value, constName) {
      const [out] = addNode(
        'Constant',
        [],
        1,
        { value },
        constName ? { outputs: [constName] } : {},
      );
      return out as string;
    },
    scalar(dtype, value) {
      return this.constant(scalar(dtype, value));
    },
    int64s(values) {
      return this.constant(tensor('int64', [values.length], values));
    },
    op(opType, inputs, attributes, opOptions) {
      return addNode(opType, inputs, 1, attributes, opOptions)[0] as string;
    },
    opN(opType, inputs, count, attributes, opOptions) {
      return addNode(opType, inputs, count, attributes, opOptions);
    },
    output(outputName, dtype, shape) {
      graph.outputs.push(
        shape ? { name: outputName, dtype, shape: [...shape] } : { name: outputName, dtype },
      );
    },
  };
}
