// applyMixedPrecision: a torch.autocast-style graph transform — matrix products (and chosen ops)
// run in a low-precision compute dtype between Casts, everything else stays in the master dtype.
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { isFloatDType, ONNX_DTYPE_CODE } from '../ir/tensor.js';
import type { DType, Graph, Node } from '../ir/types.js';
import { inferShapes } from '../shape/infer.js';
import { cloneGraph } from '../step/graph-utils.js';

/** The float dtypes a graph can compute in (float16 for real; float32 stands in on the CPU). */
export type ComputeDType = 'float16' | 'float32';

/** Ops that autocast runs in the compute dtype by default: torch.autocast's matmul list. */
export const DEFAULT_AUTOCAST_OPS: readonly string[] = ['MatMul', 'Gemm'];

/**
 * Ops that may be added to `ops`: elementwise arithmetic and activations whose result keeps the
 * input's range. Reductions, Softmax, normalisation, exp/log and losses are not here: like
 * torch.autocast's float32 list they lose too much (or overflow) in float16.
 */
export const AUTOCASTABLE_OPS: ReadonlySet<string> = new Set([
  'MatMul',
  'Gemm',
  'Add',
  'Sub',
  'Mul',
  'Relu',
  'Gelu',
  'Tanh',
  'Sigmoid',
  'Erf',
  'Neg',
]);

/** TrainerError INVALID_ARGUMENT naming the first op that must stay in the master dtype. */
export function checkAutocastOps(ops: readonly string[]): void {
  for (const op of ops) {
    if (!AUTOCASTABLE_OPS.has(op)) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `mixedPrecision.ops has "${op}", which must stay in the master dtype (reductions, Softmax, normalisation and losses lose precision or overflow in float16); allowed: ${[...AUTOCASTABLE_OPS].join(', ')}`,
      );
    }
  }
}

export interface MixedPrecisionTransformOptions {
  /** The dtype the chosen ops run in. */
  computeDtype: ComputeDType;
  /** Op types (default ONNX domain) run in `computeDtype`. @default DEFAULT_AUTOCAST_OPS */
  ops?: readonly string[];
}

/**
 * A copy of `graph` in which every node of `ops` with float inputs in another dtype reads
 * `Cast(input, computeDtype)` (one Cast per value, shared by its readers) and writes its float
 * outputs through a Cast back to their original dtype, so every other node, the parameters
 * (initializers) and the graph's outputs keep their dtypes. Autodiff then differentiates through
 * the Casts, so the gradients of master-dtype parameters come out in the master dtype.
 */
export function applyMixedPrecision(graph: Graph, options: MixedPrecisionTransformOptions): Graph {
  const { computeDtype, ops = DEFAULT_AUTOCAST_OPS } = options;
  if (computeDtype !== 'float16' && computeDtype !== 'float32') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `mixed precision computeDtype must be 'float16' (or 'float32' for the CPU test path), got ${JSON.stringify(computeDtype)}`,
    );
  }
  checkAutocastOps(ops);
  const selected = new Set(ops);
  const g = cloneGraph(graph);
  const infos = inferShapes(g, { store: false });
  const b = createGraphBuilder({ graph: g });
  const dtypeOf = (value: string): DType | undefined => infos.get(value)?.dtype;
  const needsCast = (value: string): boolean => {
    const dtype = value ? dtypeOf(value) : undefined;
    return dtype !== undefined && isFloatDType(dtype) && dtype !== computeDtype;
  };
  const castNode = (input: string, output: string, to: DType): Node => ({
    name: b.uniqueName(`${output}/Cast`),
    opType: 'Cast',
    domain: '',
    inputs: [input],
    outputs: [output],
    attributes: { to: { type: 'int', value: ONNX_DTYPE_CODE[to] } },
  });

  // Value → its compute-dtype copy; the Cast is emitted before its first reader, so the node
  // list stays topologically ordered.
  const lowered = new Map<string, string>();
  const nodes: Node[] = [];
  for (const node of g.nodes) {
    const inDomain = node.domain === '' || node.domain === 'ai.onnx';
    if (!inDomain || !selected.has(node.opType) || !node.inputs.some(needsCast)) {
      nodes.push(node);
      continue;
    }
    const inputs = node.inputs.map((input) => {
      if (!needsCast(input)) return input;
      let low = lowered.get(input);
      if (low === undefined) {
        low = b.uniqueName(`${input}/${computeDtype}`);
        lowered.set(input, low);
        nodes.push(castNode(input, low, computeDtype));
      }
      return low;
    });
    const back: Node[] = [];
    const outputs = node.outputs.map((output) => {
      const dtype = output ? dtypeOf(output) : undefined;
      if (dtype === undefined || !isFloatDType(dtype) || dtype === computeDtype) return output;
      const low = b.uniqueName(`${output}/${computeDtype}`);
      back.push(castNode(low, output, dtype));
      return low;
    });
    nodes.push({ ...node, inputs, outputs }, ...back);
  }
  g.nodes = nodes;
  return g;
}
