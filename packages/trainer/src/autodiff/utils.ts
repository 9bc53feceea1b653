// Shared helpers for gradient builders: the broadcast reduction (gradient of a broadcast input)
// and small emitters for constants, ones and zeros of a given dtype.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { DType, Shape, TensorData, ValueInfo } from '../ir/types.js';
import {
  normalizeAxis as normalizeAxisOrUndefined,
  broadcastAxes as staticBroadcastAxes,
} from '../shape/utils.js';
import type { GradientContext } from './types.js';

/** A TrainerError naming the node and op of the builder's context. */
export function gradError(ctx: GradientContext, problem: string): TrainerError {
  return new TrainerError('INVALID_GRAPH', problem, { node: ctx.node.name, op: ctx.node.opType });
}

/** Normalises a possibly negative axis against a rank, naming the node when it is out of range. */
export function normalizeAxis(ctx: GradientContext, axis: number, rank: number): number {
  const a = normalizeAxisOrUndefined(axis, rank);
  if (a === undefined) throw gradError(ctx, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** Integer attribute of the forward node, or the default when the node does not set it. */
export function intAttr(ctx: GradientContext, name: string, fallback: number): number {
  const attr = ctx.node.attributes[name];
  if (attr === undefined) return fallback;
  if (attr.type !== 'int') throw gradError(ctx, `attribute "${name}" must be an int`);
  return attr.value;
}

/** IEEE 754 half-precision bits of a number (round to nearest even), for float16 constants. */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const x = new Uint32Array(f32.buffer)[0] as number;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && (half & 1) === 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
  e = half >>> 10;
  return sign | half;
}

/** A tensor of `dims` filled with `value` in `dtype` (float16 encoded as half bits). */
export function filledTensor(dtype: DType, dims: number[], value: number): TensorData {
  let n = 1;
  for (const d of dims) n *= d;
  const v = dtype === 'float16' ? toFloat16Bits(value) : value;
  return tensor(dtype, dims, new Array<number>(n).fill(v));
}

/** A scalar constant of `dtype` (float16 handled), e.g. `constantScalar(b, 'float64', 0.5)`. */
export function constantScalar(b: GraphBuilder, dtype: DType, value: number): string {
  return b.constant(filledTensor(dtype, [], value));
}

/** A tensor shaped like `value` (at run time) and filled with `fill` of `dtype`. */
export function filledLike(b: GraphBuilder, value: string, dtype: DType, fill: number): string {
  const shape = b.op('Shape', [value]);
  return b.op('ConstantOfShape', [shape], { value: filledTensor(dtype, [1], fill) });
}

/** Ones shaped like `value`. */
export function onesLike(b: GraphBuilder, value: string, dtype: DType): string {
  return filledLike(b, value, dtype, 1);
}

/** Zeros shaped like `value`. */
export function zerosLike(b: GraphBuilder, value: string, dtype: DType): string {
  return filledLike(b, value, dtype, 0);
}

/** The static info of a forward value, or an INVALID_GRAPH error naming the node. */
export function requireInfo(ctx: GradientContext, value: string): ValueInfo {
  const info = ctx.info(value);
  if (info === undefined) {
    throw new TrainerError(
      'INVALID_GRAPH',
      `the type of value "${value}" is unknown; run shape inference or declare it in valueInfo`,
      { node: ctx.node.name, op: ctx.node.opType },
    );
  }
  return info;
}

/** The dtype of a forward value (see {@link requireInfo}). */
export function dtypeOf(ctx: GradientContext, value: string): DType {
  return requireInfo(ctx, value).dtype;
}

/** The rank-known shape of a forward value, or an INVALID_GRAPH error naming the node. */
export function requireShape(ctx: GradientContext, value: string): Shape {
  const shape = requireInfo(ctx, value).shape;
  if (shape === undefined) {
    throw new TrainerError(
      'INVALID_GRAPH',
      `the rank of value "${value}" is unknown; the gradient needs it (run shape inference)`,
      { node: ctx.node.name, op: ctx.node.opType },
    );
  }
  return shape;
}

/** The shape of a forward value as a 1-D int64 value: a constant when static, else `Shape(v)`. */
export function shapeValue(ctx: GradientContext, value: string): string {
  const shape = ctx.info(value)?.shape;
  if (shape?.every((d): d is number => typeof d === 'number')) return ctx.builder.int64s(shape);
  return ctx.builder.op('Shape', [value]);
}

/**
 * The broadcast axes of `inputShape` against `outputShape` (NumPy rules), or undefined when a
 * symbolic dimension makes it undecidable statically. The axes are shape/utils' broadcastAxes;
 * on top of it, fixed dims that cannot broadcast are refused.
 */
export function broadcastAxes(inputShape: Shape, outputShape: Shape): number[] | undefined {
  const { axes, uncertain } = staticBroadcastAxes(inputShape, outputShape);
  const offset = outputShape.length - inputShape.length;
  inputShape.forEach((inDim, i) => {
    const outDim = outputShape[i + offset];
    if (
      typeof inDim === 'number' &&
      inDim !== 1 &&
      typeof outDim === 'number' &&
      inDim !== outDim
    ) {
      throw new TrainerError('INVALID_GRAPH', `dimension ${inDim} cannot broadcast to ${outDim}`);
    }
  });
  return uncertain.length > 0 ? undefined : axes;
}

/**
 * The gradient of a broadcast input: sums `grad` (shaped like `outputValue`) over the axes along
 * which `inputValue` was broadcast, then reshapes to the input's shape. The axes come from the
 * static shapes; when a symbolic dimension makes that undecidable, they are computed in the graph
 * from the run-time shapes instead. Emits nothing (returns `grad`) when the shapes match.
 */
export function reduceGradToInput(
  ctx: GradientContext,
  grad: string,
  inputValue: string,
  outputValue: string,
): string {
  const b = ctx.builder;
  const inShape = requireShape(ctx, inputValue);
  const outShape = requireShape(ctx, outputValue);
  let axes: number[] | undefined;
  try {
    axes = broadcastAxes(inShape, outShape);
  } catch (error) {
    if (!(error instanceof TrainerError)) throw error;
    throw new TrainerError(
      'INVALID_GRAPH',
      `input "${inputValue}" [${inShape.join(', ')}] does not broadcast to output "${outputValue}" [${outShape.join(', ')}]: ${error.problem}`,
      { node: ctx.node.name, op: ctx.node.opType },
    );
  }
  if (axes === undefined)
    return reduceGradDynamic(ctx, grad, inputValue, outputValue, inShape.length, outShape.length);
  if (axes.length === 0) return grad;
  const summed = b.op('ReduceSum', [grad, b.int64s(axes)], { keepdims: 1 });
  if (inShape.length === outShape.length) return summed;
  return b.op('Reshape', [summed, shapeValue(ctx, inputValue)]);
}

/** Run-time broadcast reduction: axes where the padded input dim is 1 and the output dim is not. */
function reduceGradDynamic(
  ctx: GradientContext,
  grad: string,
  inputValue: string,
  outputValue: string,
  inRank: number,
  outRank: number,
): string {
  const b = ctx.builder;
  let inShape = b.op('Shape', [inputValue]);
  if (outRank > inRank) {
    inShape = b.op('Concat', [b.int64s(new Array<number>(outRank - inRank).fill(1)), inShape], {
      axis: 0,
    });
  }
  const outShape = b.op('Shape', [outputValue]);
  const one = b.int64s([1]);
  const mask = b.op('And', [
    b.op('Equal', [inShape, one]),
    b.op('Not', [b.op('Equal', [outShape, one])]),
  ]);
  // Leading axes the input lacks are 1 after padding, so the mask covers them too.
  const axes = b.op('Reshape', [b.op('NonZero', [mask]), b.int64s([-1])]);
  const summed = b.op('ReduceSum', [grad, axes], { keepdims: 1, noop_with_empty_axes: 1 });
  return b.op('Reshape', [summed, b.op('Shape', [inputValue])]);
}
