// Shape helpers shared by shape inference and the autodiff engine: broadcasting of symbolic
// shapes, ranks, and dimension arithmetic that keeps symbols where numbers are not known.
import { TrainerError } from '../errors.js';
import type { Dim, Shape, ValueInfo } from '../ir/types.js';

/** Where a shape problem is, for error messages. */
export interface ShapeSite {
  node?: string;
  op?: string;
}

export function formatShape(shape: readonly Dim[] | undefined): string {
  if (shape === undefined) return '<unknown rank>';
  return `[${shape.map((d) => (typeof d === 'number' ? String(d) : `'${d}'`)).join(', ')}]`;
}

/** The rank of a value, or undefined when its rank is unknown. */
export function rankOf(info: ValueInfo | undefined): number | undefined {
  return info?.shape?.length;
}

/**
 * One broadcast dimension. Numbers follow numpy rules; a symbol against 1 stays the symbol, a
 * symbol against n > 1 becomes n (the symbol must be n or 1), two different symbols keep the
 * first (they must be equal or one is 1 at run time; nothing can be checked statically).
 */
function broadcastDim(a: Dim, b: Dim): Dim | undefined {
  if (a === b) return a;
  if (typeof a === 'number' && typeof b === 'number') {
    if (a === 1) return b;
    if (b === 1) return a;
    return undefined;
  }
  if (typeof a === 'number') return a === 1 ? b : a;
  if (typeof b === 'number') return b === 1 ? a : b;
  return a;
}

/**
 * Numpy-style broadcast of two shapes (right-aligned). Throws INVALID_GRAPH naming both shapes
 * (and the node/op in `site`) when two fixed dimensions differ and neither is 1.
 */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[], site: ShapeSite = {}): Shape {
  const rank = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    const d = broadcastDim(da, db);
    if (d === undefined) {
      throw new TrainerError(
        'INVALID_GRAPH',
        `shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast (dimension ${i} of the result: ${da} vs ${db})`,
        site,
      );
    }
    out.push(d);
  }
  return out;
}

/**
 * Two dimensions that must be equal (MatMul's inner dimension, Concat's other axes). Returns the
 * merged dimension (a number wins over a symbol; of two symbols the first), or undefined when
 * both are fixed and differ.
 */
export function unifyDims(a: Dim, b: Dim): Dim | undefined {
  if (a === b) return a;
  if (typeof a === 'number' && typeof b === 'number') return undefined;
  if (typeof a === 'number') return a;
  if (typeof b === 'number') return b;
  return a;
}

/** Product of dimensions when all are numbers, else undefined. */
export function numericSize(shape: readonly Dim[]): number | undefined {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number') return undefined;
    n *= d;
  }
  return n;
}

/** Normalises a possibly negative axis against a rank; undefined when out of range. */
export function normalizeAxis(axis: number, rank: number): number | undefined {
  const a = axis < 0 ? axis + rank : axis;
  return a >= 0 && a < rank ? a : undefined;
}

/** True when every dimension is a number. */
export function isStaticShape(shape: readonly Dim[] | undefined): shape is number[] {
  return shape?.every((d) => typeof d === 'number') === true;
}

/** The axes a broadcast input's gradient is summed over (see broadcastAxes). */
export interface BroadcastAxes {
  /** Output axes to ReduceSum over (then Reshape to the input's shape). */
  axes: number[];
  /**
   * Output axes where the input has a symbolic dim and the output a different one: a sum is
   * needed only if the input's dim turns out to be 1 at run time, which no static shape says.
   */
  uncertain: number[];
}

/**
 * For an input of shape `input` broadcast to `output`: the output axes along which the input
 * was repeated (leading axes it lacks, and axes where it has a fixed 1 and the output does not).
 */
export function broadcastAxes(input: readonly Dim[], output: readonly Dim[]): BroadcastAxes {
  const lead = output.length - input.length;
  if (lead < 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `input ${formatShape(input)} has a higher rank than the broadcast result ${formatShape(output)}`,
    );
  }
  const axes: number[] = [];
  const uncertain: number[] = [];
  output.forEach((d, i) => {
    if (i < lead) {
      axes.push(i);
      return;
    }
    const own = input[i - lead] as Dim;
    if (own === d) return;
    if (own === 1) axes.push(i);
    else if (typeof own === 'string' && !(typeof d === 'number' && d === 1)) uncertain.push(i);
  });
  return { axes, uncertain };
}
