// The contract between the autodiff engine and the per-op gradient builders.
import type { GraphBuilder } from '../ir/builder.js';
import type { Node, ValueInfo } from '../ir/types.js';

/** What a gradient builder gets for one forward node. */
export interface GradientContext {
  /** The forward node. */
  readonly node: Node;
  /** dLoss/dOutput for each of the node's outputs; undefined where an output does not reach the loss. */
  readonly gradOutputs: ReadonlyArray<string | undefined>;
  /** For each input: whether the engine needs its gradient (float, on a path from a parameter). */
  readonly needsGrad: readonly boolean[];
  /** Emits gradient nodes into the same graph. */
  readonly builder: GraphBuilder;
  /** Static dtype and shape of a forward value (from shape inference); undefined when unknown. */
  info(value: string): ValueInfo | undefined;
}

/**
 * Returns dLoss/dInput for each input of the node (same order as `node.inputs`), or undefined for
 * inputs that need none. Must emit standard ONNX ops only: onnxruntime-node does not register
 * the contrib gradient kernels.
 */
export type GradientBuilder = (ctx: GradientContext) => Array<string | undefined>;
