// Gradient builders for MatMul (N-D, numpy broadcasting, 1-D operands) and Gemm, in standard ONNX
// ops; plus the small helpers (float attributes, opset-aware reductions) that nn.ts shares.
import type { GraphBuilder } from '../../ir/builder.js';
import { float } from '../../ir/builder.js';
import type { DType, Shape } from '../../ir/types.js';
import type { GradientBuilder, GradientContext } from '../types.js';
import {
  constantScalar,
  dtypeOf,
  gradError,
  intAttr,
  reduceGradToInput,
  requireShape,
} from '../utils.js';

/**
 * Float attribute of the forward node, or the default, rounded to float32 as ONNX stores it: the
 * forward kernel sees the rounded value, so constants derived from it must too (in float64 graphs
 * 1.3 and fround(1.3) differ by 4e-8).
 */
export function floatAttr(ctx: GradientContext, name: string, fallback: number): number {
  const attr = ctx.node.attributes[name];
  if (attr === undefined) return Math.fround(fallback);
  if (attr.type !== 'float' && attr.type !== 'int') {
    throw gradError(ctx, `attribute "${name}" must be a float`);
  }
  return Math.fround(attr.value);
}

/**
 * A Reduce* node over static axes with keepdims. Axes are an input from opset 13 for ReduceSum
 * and from 18 for the others; older graphs take them as an attribute.
 */
export function reduce(
  b: GraphBuilder,
  op: 'ReduceSum' | 'ReduceMean',
  x: string,
  axes: readonly number[],
  keepdims = true,
): string {
  const inputSince = op === 'ReduceSum' ? 13 : 18;
  const keep = keepdims ? 1 : 0;
  if (b.graph.opset >= inputSince) return b.op(op, [x, b.int64s(axes)], { keepdims: keep });
  return b.op(op, [x], { axes: [...axes], keepdims: keep });
}

/** Unsqueeze at static axes (an input from opset 13, an attribute before). */
export function unsqueeze(b: GraphBuilder, x: string, axes: readonly number[]): string {
  if (b.graph.opset >= 13) return b.op('Unsqueeze', [x, b.int64s(axes)]);
  return b.op('Unsqueeze', [x], { axes: [...axes] });
}

/** Multiplies by a constant of the given dtype (float16 included); skips the node for 1. */
export function scaleBy(b: GraphBuilder, x: string, dtype: DType, factor: number): string {
  if (factor === 1) return x;
  return b.op('Mul', [x, constantScalar(b, dtype, factor)]);
}

/**
 * Sums a MatMul operand's gradient (rank `gradRank`) over the operand's broadcast batch axes: the
 * leading axes it lacks and every batch axis where its static dim is 1 (summing a size-1 axis is
 * harmless, so this is exact whatever the other operand's dim was; a symbolic dim is taken not
 * to have broadcast). The last two (matrix) axes are never summed. `promoted` marks a 1-D operand
 * seen as 2-D, whose extra axis the final Reshape to the operand's run-time Shape drops.
 */
function sumBatchAxes(
  b: GraphBuilder,
  grad: string,
  gradRank: number,
  operand: string,
  shape2: Shape,
  promoted: boolean,
): string {
  const lead = gradRank - shape2.length;
  const axes: number[] = [];
  for (let i = 0; i < gradRank - 2; i++) {
    if (i < lead || shape2[i - lead] === 1) axes.push(i);
  }
  if (axes.length === 0 && lead === 0 && !promoted) return grad;
  const summed = axes.length > 0 ? reduce(b, 'ReduceSum', grad, axes) : grad;
  return b.op('Reshape', [summed, b.op('Shape', [operand])]);
}

/** Transposes the last two axes of a rank-`rank` tensor. */
function transposeLast2(b: GraphBuilder, x: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return b.op('Transpose', [x], { perm });
}

/**
 * MatMul, numpy semantics. A 1-D A is promoted to [1, K] and a 1-D B to [K, 1] (their added axis
 * is re-inserted into dY), so every case reduces to the batched 2-D one:
 * dA = dY·Bᵀ and dB = Aᵀ·dY, then summed over A's / B's broadcast batch axes.
 */
const matMulGrad: GradientBuilder = (ctx) => {
  const b = ctx.builder;
  const [aName, bName] = ctx.node.inputs as [string, string];
  const dY = ctx.gradOutputs[0];
  if (dY === undefined) return [undefined, undefined];
  const shapeA = requireShape(ctx, aName);
  const shapeB = requireShape(ctx, bName);
  if (shapeA.length === 0 || shapeB.length === 0) {
    throw gradError(ctx, 'MatMul operands must have rank ≥ 1');
  }
  const aVec = shapeA.length === 1;
  const bVec = shapeB.length === 1;
  const shapeA2: Shape = aVec ? [1, ...shapeA] : shapeA;
  const shapeB2: Shape = bVec ? [...shapeB, 1] : shapeB;
  const rankOut = Math.max(shapeA2.length, shapeB2.length);
  const a2 = aVec ? unsqueeze(b, aName, [0]) : aName;
  const b2 = bVec ? unsqueeze(b, bName, [1]) : bName;
  const restore: number[] = [];
  if (aVec) restore.push(-2);
  if (bVec) restore.push(-1);
  // Unsqueeze's negative axes count in the output rank, so [-2], [-1] and [-2, -1] all land right.
  const dY2 = restore.length > 0 ? unsqueeze(b, dY, restore) : dY;

  const out: Array<string | undefined> = [undefined, undefined];
  if (ctx.needsGrad[0]) {
    const full = b.op('MatMul', [dY2, transposeLast2(b, b2, shapeB2.length)]);
    out[0] = sumBatchAxes(b, full, rankOut, aName, shapeA2, aVec);
  }
  if (ctx.needsGrad[1]) {
    const full = b.op('MatMul', [transposeLast2(b, a2, shapeA2.length), dY2]);
    out[1] = sumBatchAxes(b, full, rankOut, bName, shapeB2, bVec);
  }
  return out;
};

/**
 * Gemm: Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A (and B' likewise). Each of the four
 * transpose combinations maps to one Gemm whose trans flags absorb the transposes; C is
 * unidirectionally broadcast to [M, N], so dC = beta·dY summed down to C's shape.
 */
const gemmGrad: GradientBuilder = (ctx) => {
  const b = ctx.builder;
  const [aName, bName, cName] = ctx.node.inputs as [string, string, string | undefined];
  const dY = ctx.gradOutputs[0];
  if (dY === undefined) return ctx.node.inputs.map(() => undefined);
  const alpha = floatAttr(ctx, 'alpha', 1);
  const beta = floatAttr(ctx, 'beta', 1);
  const transA = intAttr(ctx, 'transA', 0) !== 0;
  const transB = intAttr(ctx, 'transB', 0) !== 0;
  const attrs = (ta: boolean, tb: boolean) => ({
    alpha: float(alpha),
    beta: float(0),
    transA: ta ? 1 : 0,
    transB: tb ? 1 : 0,
  });

  const out: Array<string | undefined> = ctx.node.inputs.map(() => undefined);
  if (ctx.needsGrad[0]) {
    // dA' = alpha·dY·B'ᵀ; with transA, dA = (dA')ᵀ = alpha·B'·dYᵀ.
    out[0] = transA
      ? b.op('Gemm', [bName, dY], attrs(transB, true))
      : b.op('Gemm', [dY, bName], attrs(false, !transB));
  }
  if (ctx.needsGrad[1]) {
    // dB' = alpha·A'ᵀ·dY; with transB, dB = (dB')ᵀ = alpha·dYᵀ·A'.
    out[1] = transB
      ? b.op('Gemm', [dY, aName], attrs(true, transA))
      : b.op('Gemm', [aName, dY], attrs(!transA, false));
  }
  if (cName !== undefined && cName !== '' && ctx.needsGrad[2]) {
    const scaled = scaleBy(b, dY, dtypeOf(ctx, cName), beta);
    out[2] = reduceGradToInput(ctx, scaled, cName, ctx.node.outputs[0] as string);
  }
  return out;
};

/** Gradient builders for linear-algebra ops, keyed by ONNX op type. */
export const linalgGradients: Record<string, GradientBuilder> = {
  MatMul: matMulGrad,
  Gemm: gemmGrad,
};
