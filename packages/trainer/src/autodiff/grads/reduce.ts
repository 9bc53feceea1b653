// Gradient builders for ReduceSum and ReduceMean: dY broadcast back over the reduced axes
// (÷ the reduced element count for the mean), for axes given as an input (opset 13/18+) or attribute.

import { constantInts } from '../../ir/graph-index.js';
import type { Node } from '../../ir/types.js';
import type { GradientBuilder, GradientContext } from '../types.js';
import { intAttr, normalizeAxis } from '../utils.js';
import { intsAttr, scalarLike, shapeOf } from './shape.js';

/** The reduced axes: a constant list, `[]` for "none given", or the run-time value's name. */
type Axes = { kind: 'static'; axes: number[] } | { kind: 'dynamic'; value: string };

function reducedAxes(ctx: GradientContext, node: Node): Axes {
  // ReduceSum takes axes as an input from opset 13, ReduceMean from 18; older ones an attribute.
  const input = node.inputs[1];
  if (input) {
    const values = constantInts(ctx.builder.graph, input);
    return values === undefined
      ? { kind: 'dynamic', value: input }
      : { kind: 'static', axes: values };
  }
  return { kind: 'static', axes: intsAttr(node, 'axes') ?? [] };
}

/**
 * The mean's divisor: the product of the reduced dims when they are static, else
 * Size(X) / Size(Y) at run time (exact in int64, then cast to dY's dtype).
 */
function meanCount(ctx: GradientContext, x: string, y: string, axes: Axes, dY: string): string {
  const b = ctx.builder;
  const shape = shapeOf(ctx, x);
  if (axes.kind === 'static' && shape !== undefined) {
    const list =
      axes.axes.length === 0
        ? shape.map((_, i) => i)
        : axes.axes.map((a) => normalizeAxis(ctx, a, shape.length));
    const dims = list.map((a) => shape[a]);
    if (dims.every((d): d is number => typeof d === 'number')) {
      return scalarLike(
        ctx,
        dims.reduce((p, d) => p * d, 1),
        dY,
      );
    }
  }
  const count = b.op('Div', [b.op('Size', [x]), b.op('Size', [y])]);
  return b.op('CastLike', [count, dY]);
}

function reduceGradient(mean: boolean): GradientBuilder {
  return (ctx) => {
    const { node, builder: b } = ctx;
    const dY = ctx.gradOutputs[0];
    const x = node.inputs[0];
    const y = node.outputs[0];
    const grads: Array<string | undefined> = node.inputs.map(() => undefined);
    if (dY === undefined || x === undefined || y === undefined || !ctx.needsGrad[0]) return grads;
    const keepdims = intAttr(ctx, 'keepdims', 1);
    const noop = intAttr(ctx, 'noop_with_empty_axes', 0);
    const axes = reducedAxes(ctx, node);
    if (axes.kind === 'static' && axes.axes.length === 0 && noop === 1) {
      // No axes and noop_with_empty_axes: the op is the identity.
      grads[0] = b.op('Identity', [dY]);
      return grads;
    }
    let g = dY;
    if (mean) g = b.op('Div', [g, meanCount(ctx, x, y, axes, dY)]);
    // With keepdims=0 the reduced axes are put back as size 1 so Expand lines dY up with X.
    // Unsqueeze reads negative axes against its output rank, which is X's rank, as the Reduce
    // op does. Reducing every axis gives a scalar, which Expand broadcasts as it is.
    if (keepdims === 0) {
      if (axes.kind === 'dynamic') g = b.op('Unsqueeze', [g, axes.value]);
      else if (axes.axes.length > 0) g = b.op('Unsqueeze', [g, b.int64s(axes.axes)]);
    }
    grads[0] = b.op('Expand', [g, b.op('Shape', [x])]);
    return grads;
  };
}

/** Gradient builders for reductions, keyed by ONNX op type (default domain). */
export const reduceGradients: Record<string, GradientBuilder> = {
  ReduceSum: reduceGradient(false),
  ReduceMean: reduceGradient(true),
};
