// Gradient builders for data-movement ops (Gather, Reshape, Transpose, Slice, Concat, Split, …):
// each routes dY back to the input elements it was read from, in standard ONNX ops only.
import { TrainerError } from '../../errors.js';
import { constantInts } from '../../ir/graph-index.js';
import { isFloatDType, ONNX_DTYPE_CODE, tensor } from '../../ir/tensor.js';
import type { DType, Node, Shape } from '../../ir/types.js';
import type { GradientBuilder, GradientContext } from '../types.js';
import { constantScalar, intAttr, normalizeAxis, reduceGradToInput } from '../utils.js';

/** An ints attribute, or undefined when the node does not set it. */
export function intsAttr(node: Node, name: string): number[] | undefined {
  const attr = node.attributes[name];
  return attr?.type === 'ints' ? attr.value : undefined;
}

/** The static shape of a value, or undefined when its rank is unknown. */
export function shapeOf(ctx: GradientContext, value: string): Shape | undefined {
  return ctx.info(value)?.shape;
}

/** The rank of a value; throws a TrainerError naming the node when shape inference left it open. */
export function requireRank(ctx: GradientContext, value: string, why: string): number {
  const shape = shapeOf(ctx, value);
  if (shape === undefined) {
    throw new TrainerError(
      'INVALID_GRAPH',
      `the rank of "${value}" is unknown, but ${why}; give the graph inputs ranked shapes so shape inference can propagate them`,
      { node: ctx.node.name, op: ctx.node.opType },
    );
  }
  return shape.length;
}

/** A float dtype for constants mixed with `value`, when shape inference knows it. */
function floatDTypeOf(ctx: GradientContext, value: string): DType | undefined {
  const dtype = ctx.info(value)?.dtype;
  return dtype !== undefined && isFloatDType(dtype) ? dtype : undefined;
}

/** A scalar constant of `like`'s float dtype (CastLike when that dtype is not known statically). */
export function scalarLike(ctx: GradientContext, value: number, like: string): string {
  const b = ctx.builder;
  const dtype = floatDTypeOf(ctx, like);
  // constantScalar encodes float16 as half bits.
  if (dtype !== undefined) return constantScalar(b, dtype, value);
  return b.op('CastLike', [b.scalar('float32', value), like]);
}

/** Zeros of `like`'s dtype with the run-time shape held in the 1-D int64 value `shape`. */
export function zerosOfShape(ctx: GradientContext, like: string, shape: string): string {
  const b = ctx.builder;
  const dtype = floatDTypeOf(ctx, like);
  if (dtype !== undefined) {
    return b.op('ConstantOfShape', [shape], { value: tensor(dtype, [1], [0]) });
  }
  return b.op('CastLike', [b.op('ConstantOfShape', [shape]), like]);
}

/** One result per input: none of them gets a gradient. */
function none(node: Node): Array<string | undefined> {
  return node.inputs.map(() => undefined);
}

/** Reshape, Flatten, Squeeze, Unsqueeze: the data input's gradient is dY in the input's shape. */
const reshapeLike: GradientBuilder = (ctx) => {
  const { node, builder: b } = ctx;
  const dY = ctx.gradOutputs[0];
  const x = node.inputs[0];
  const grads = none(node);
  // Shape/axes inputs are stop-gradient; Shape(X) at run time covers 0/-1, allowzero and
  // symbolic dims without re-deriving the op's shape rules.
  if (dY !== undefined && x !== undefined && ctx.needsGrad[0]) {
    grads[0] = b.op('Reshape', [dY, b.op('Shape', [x])]);
  }
  return grads;
};

const transpose: GradientBuilder = (ctx) => {
  const { node, builder: b } = ctx;
  const dY = ctx.gradOutputs[0];
  if (dY === undefined || !ctx.needsGrad[0]) return none(node);
  const perm = intsAttr(node, 'perm');
  // Without perm the axes are reversed, which is its own inverse.
  if (perm === undefined) return [b.op('Transpose', [dY])];
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return [b.op('Transpose', [dY], { perm: inverse })];
};

/**
 * Gather: dX = zeros(X) with dY scattered back, duplicates summed (`reduction: 'add'`, opset 16+).
 * Axis 0 (embeddings) uses ScatterND, which adds whole rows [D] per index — no int64 tensor of
 * dY's size and no OneHot [N, vocab] matrix. Other axes use ScatterElements on dY reshaped to
 * X's rank (index dims flattened into the gathered axis) with the indices expanded to match.
 */
const gather: GradientBuilder = (ctx) => {
  const { node, builder: b } = ctx;
  const dY = ctx.gradOutputs[0];
  const [x, indices] = node.inputs;
  if (dY === undefined || x === undefined || indices === undefined || !ctx.needsGrad[0]) {
    return none(node);
  }
  if (b.graph.opset < 16) {
    throw new TrainerError(
      'INVALID_GRAPH',
      `the Gather gradient sums duplicate indices with ScatterND/ScatterElements reduction 'add', which needs opset 16 or later (the graph has ${b.graph.opset}); re-export the model at opset 18`,
      { node: node.name, op: node.opType },
    );
  }
  let axis = intAttr(ctx, 'axis', 0);
  const needRank = axis !== 0;
  const rank = needRank ? requireRank(ctx, x, 'Gather on an axis other than 0 needs it') : 0;
  if (needRank) axis = normalizeAxis(ctx, axis, rank);
  const shapeX = b.op('Shape', [x]);
  const zeros = zerosOfShape(ctx, x, shapeX);
  const idx64 =
    ctx.info(indices)?.dtype === 'int64'
      ? indices
      : b.op('Cast', [indices], { to: ONNX_DTYPE_CODE.int64 });
  // Mod with fmod=0 takes the divisor's sign, so an index in [-n, n) lands in [0, n).
  const size = b.op('Gather', [shapeX, b.scalar('int64', axis)]);
  const idx = b.op('Mod', [idx64, size]);
  if (axis === 0) {
    const nd = b.op('Unsqueeze', [idx, b.int64s([-1])]);
    return [b.op('ScatterND', [zeros, nd, dY], { reduction: 'add' }), undefined];
  }
  const before = b.op('Slice', [shapeX, b.int64s([0]), b.int64s([axis])]);
  const after = b.op('Slice', [shapeX, b.int64s([axis + 1]), b.int64s([rank])]);
  const updatesShape = b.op('Concat', [before, b.int64s([-1]), after], { axis: 0 });
  const updates = b.op('Reshape', [dY, updatesShape]);
  const column = Array.from({ length: rank }, (_, i) => (i === axis ? -1 : 1));
  const flatIdx = b.op('Reshape', [idx, b.int64s(column)]);
  const fullIdx = b.op('Expand', [flatIdx, b.op('Shape', [updates])]);
  const dX = b.op('ScatterElements', [zeros, fullIdx, updates], { axis, reduction: 'add' });
  return [dX, undefined];
};

/** Static Pad amounts for a step-1 Slice with constant parameters and known dims, else undefined. */
function staticSlicePads(ctx: GradientContext): number[] | undefined {
  const { node } = ctx;
  const [x, startsIn, endsIn, axesIn, stepsIn] = node.inputs;
  if (x === undefined || !startsIn || !endsIn) return undefined;
  const shape = shapeOf(ctx, x);
  const starts = constantInts(ctx.builder.graph, startsIn);
  const ends = constantInts(ctx.builder.graph, endsIn);
  if (shape === undefined || starts === undefined || ends === undefined) return undefined;
  const axes = axesIn ? constantInts(ctx.builder.graph, axesIn) : starts.map((_, i) => i);
  const steps = stepsIn ? constantInts(ctx.builder.graph, stepsIn) : starts.map(() => 1);
  if (axes === undefined || steps === undefined || steps.some((s) => s !== 1)) return undefined;
  const rank = shape.length;
  const pads = new Array<number>(2 * rank).fill(0);
  for (let i = 0; i < axes.length; i++) {
    const axis = normalizeAxis(ctx, axes[i] as number, rank);
    const dim = shape[axis];
    if (typeof dim !== 'number') return undefined;
    // ONNX Slice, positive step: negative bounds count from the end, then clamp to [0, dim].
    const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + dim : v, 0), dim);
    const start = clamp(starts[i] as number);
    const end = Math.max(clamp(ends[i] as number), start);
    pads[axis] = start;
    pads[axis + rank] = dim - end;
  }
  return pads;
}

/**
 * Slice. With constant starts/ends/axes, all steps 1 and static dims on the sliced axes, dX is
 * Pad(dY) with amounts computed here. Otherwise (any steps, negative or clamped bounds, run-time
 * parameters) the same Slice is applied to a grid of flat element indices of X, which yields
 * exactly the positions Y was read from, and dY is scattered there (ScatterElements on the
 * flattened zeros; the positions are distinct, so no reduction is needed). This reuses ORT's own
 * Slice semantics instead of re-deriving clamping rules in graph ops, at the cost of one int64
 * tensor of X's size.
 */
const slice: GradientBuilder = (ctx) => {
  const { node, builder: b } = ctx;
  const dY = ctx.gradOutputs[0];
  const x = node.inputs[0];
  if (dY === undefined || x === undefined || !ctx.needsGrad[0]) return none(node);
  const grads = none(node);
  const pads = staticSlicePads(ctx);
  if (pads !== undefined) {
    grads[0] = pads.every((p) => p === 0)
      ? b.op('Identity', [dY])
      : b.op('Pad', [dY, b.int64s(pads)], { mode: 'constant' });
    return grads;
  }
  const shapeX = b.op('Shape', [x]);
  const count = b.op('Size', [x]);
  const flat = b.op('Range', [b.scalar('int64', 0), count, b.scalar('int64', 1)]);
  const grid = b.op('Reshape', [flat, shapeX]);
  const positions = b.op('Slice', [grid, ...node.inputs.slice(1)]);
  const minusOne = b.int64s([-1]);
  const zeros = zerosOfShape(ctx, x, b.op('Reshape', [count, minusOne]));
  const scattered = b.op(
    'ScatterElements',
    [zeros, b.op('Reshape', [positions, minusOne]), b.op('Reshape', [dY, minusOne])],
    { axis: 0 },
  );
  grads[0] = b.op('Reshape', [scattered, shapeX]);
  return grads;
};

/** Concat: dY split back along the axis, by static sizes when known, else Shape at run time. */
const concat: GradientBuilder = (ctx) => {
  const { node, builder: b } = ctx;
  const dY = ctx.gradOutputs[0];
  if (dY === undefined || !ctx.needsGrad.some(Boolean)) return none(node);
  const axisAttr = intAttr(ctx, 'axis', 0);
  const first = node.inputs[0] as string;
  const rank =
    axisAttr < 0 ? requireRank(ctx, first, 'Concat with a negative axis needs it') : undefined;
  const axis = rank === undefined ? axisAttr : normalizeAxis(ctx, axisAttr, rank);
  if (node.inputs.length === 1) return [b.op('Identity', [dY])];
  const staticSizes = node.inputs.map((input) => shapeOf(ctx, input)?.[axis]);
  const sizes = staticSizes.every((d): d is number => typeof d === 'number')
    ? b.int64s(staticSizes)
    : b.op(
        'Concat',
        node.inputs.map((input) =>
          b.op('Gather', [b.op('Shape', [input]), b.int64s([axis])], { axis: 0 }),
        ),
        { axis: 0 },
      );
  const parts = b.opN('Split', [dY, sizes], node.inputs.length, { axis });
  return parts.map((part, i) => (ctx.needsGrad[i] ? part : undefined));
};

/**
 * Split: dX = Concat of the output gradients along the axis; outputs that do not reach the loss
 * contribute zeros of their run-time shape, so split sizes (input or num_outputs) never matter.
 */
const split: GradientBuilder = (ctx) => {
  const { node, builder: b } = ctx;
  const x = node.inputs[0];
  if (x === undefined || !ctx.needsGrad[0] || ctx.gradOutputs.every((g) => g === undefined)) {
    return none(node);
  }
  const axis = intAttr(ctx, 'axis', 0);
  const parts = node.outputs.map(
    (out, i) => ctx.gradOutputs[i] ?? zerosOfShape(ctx, x, b.op('Shape', [out])),
  );
  const grads = none(node);
  grads[0] = parts.length === 1 ? b.op('Identity', parts) : b.op('Concat', parts, { axis });
  return grads;
};

/**
 * Expand: dX = ReduceSum of dY over the broadcast axes (leading axes, and axes where X has size 1),
 * reshaped to X's shape — the shared broadcast reduction, which decides the axes from static
 * shapes and falls back to run-time shapes when a symbolic dim may or may not be 1.
 */
const expand: GradientBuilder = (ctx) => {
  const { node } = ctx;
  const dY = ctx.gradOutputs[0];
  const x = node.inputs[0];
  const y = node.outputs[0];
  if (dY === undefined || x === undefined || y === undefined || !ctx.needsGrad[0]) {
    return none(node);
  }
  const grads = none(node);
  grads[0] = reduceGradToInput(ctx, dY, x, y);
  return grads;
};

/** Gradient builders for shape and data-movement ops, keyed by ONNX op type (default domain). */
export const shapeGradients: Record<string, GradientBuilder> = {
  Gather: gather,
  Reshape: reshapeLike,
  Flatten: reshapeLike,
  Squeeze: reshapeLike,
  Unsqueeze: reshapeLike,
  Transpose: transpose,
  Slice: slice,
  Concat: concat,
  Split: split,
  Expand: expand,
};
