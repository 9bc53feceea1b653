// Per-op shape rules: output dtype, symbolic shape and (for small int tensors that describe
// shapes) folded element values, so Shape→Gather→Concat→Reshape chains keep their dimensions.
import type { Attribute, Dim, DType, Node, Shape, TensorData } from '../ir/types.js';
import { formatShape, normalizeAxis, numericSize, unifyDims } from './utils.js';

/**
 * What a rule knows about one output. `value` holds the elements of a rank-0/1 integer tensor
 * whose entries are known (numbers) or symbolic (dims); the engine keeps it for later folding.
 */
export interface InferredOutput {
  dtype: DType;
  shape?: Shape;
  value?: Dim[];
}

/** What a rule sees of a node. */
export interface RuleContext {
  readonly node: Node;
  /** Default-domain opset of the graph. */
  readonly opset: number;
  /** Number of inputs present (trailing omitted inputs excluded). */
  readonly inputCount: number;
  dtype(i: number): DType | undefined;
  /** Input shape; undefined when omitted, unknown, or of unknown rank. */
  shape(i: number): Shape | undefined;
  /** Folded elements of a small rank-0/1 integer input (may contain symbols). */
  value(i: number): Dim[] | undefined;
  /** Folded elements when every one is a number. */
  ints(i: number): number[] | undefined;
  /** A constant tensor input (initializer, Constant output). */
  tensor(i: number): TensorData | undefined;
  attr(name: string): Attribute | undefined;
  int(name: string, fallback: number): number;
  ints_(name: string): number[] | undefined;
  str(name: string, fallback: string): string;
  /** A fresh symbolic dimension ('unk_3'). */
  fresh(): string;
  /** Broadcast with this node named in the error. */
  broadcast(a: readonly Dim[], b: readonly Dim[]): Shape;
  /** Throws INVALID_GRAPH naming this node and op. */
  fail(problem: string): never;
}

export type ShapeRule = (ctx: RuleContext) => Array<InferredOutput | undefined>;

const DTYPE_BY_ONNX_CODE: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  6: 'int32',
  7: 'int64',
  9: 'bool',
  10: 'float16',
  11: 'float64',
};

/** Most values tracked for folding; larger int tensors are never shape descriptions. */
export const MAX_FOLDED_ELEMENTS = 64;

const isInt = (dtype: DType | undefined): boolean => dtype === 'int64' || dtype === 'int32';

/** Elements of a concrete small integer tensor as numbers (int64 read through Number). */
export function foldedElements(t: TensorData): Dim[] | undefined {
  if (!isInt(t.dtype) || t.dims.length > 1 || t.data.length > MAX_FOLDED_ELEMENTS) return undefined;
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

// ---------------------------------------------------------------------------------------------
// Elementwise

const sameAsInput =
  (index = 0, dtype?: DType): ShapeRule =>
  (ctx: RuleContext) => {
    const d = dtype ?? ctx.dtype(index);
    if (d === undefined) return [];
    const shape = ctx.shape(index);
    return [shape ? { dtype: d, shape } : { dtype: d }];
  };

/** Broadcast of all present inputs from `first`; dtype from input `dtypeFrom` or fixed. */
const broadcasting =
  (options: { first?: number; dtypeFrom?: number; dtype?: DType; fold?: FoldFn } = {}): ShapeRule =>
  (ctx: RuleContext) => {
    const { first = 0, dtypeFrom = first } = options;
    const dtype = options.dtype ?? ctx.dtype(dtypeFrom) ?? ctx.dtype(first);
    if (dtype === undefined) return [];
    let shape: Shape | undefined = [];
    for (let i = first; i < ctx.inputCount; i++) {
      const s = ctx.shape(i);
      if (s === undefined) {
        shape = undefined;
        break;
      }
      shape = ctx.broadcast(shape, s);
    }
    // Rank is still known when some input is unknown only if nothing else can widen it; keep
    // undefined then (the engine decides).
    const out: InferredOutput = shape ? { dtype, shape } : { dtype };
    if (options.fold && shape && shape.length <= 1 && isInt(dtype)) {
      const value = foldElementwise(ctx, first, shape, options.fold);
      if (value) out.value = value;
    }
    return [out];
  };

type FoldFn = (args: Dim[], ctx: RuleContext) => Dim;

function foldElementwise(
  ctx: RuleContext,
  first: number,
  shape: Shape,
  fn: FoldFn,
): Dim[] | undefined {
  const size = numericSize(shape);
  if (size === undefined || size > MAX_FOLDED_ELEMENTS) return undefined;
  const inputs: Dim[][] = [];
  for (let i = first; i < ctx.inputCount; i++) {
    const v = ctx.value(i);
    if (v === undefined) return undefined;
    inputs.push(v);
  }
  const out: Dim[] = [];
  for (let k = 0; k < size; k++) {
    out.push(
      fn(
        inputs.map((v) => (v.length === 1 ? (v[0] as Dim) : (v[k] as Dim))),
        ctx,
      ),
    );
  }
  return out;
}

const arith =
  (op: (a: number, b: number) => number, identity?: { right: number; left?: number }): FoldFn =>
  ([a, b], ctx) => {
    if (typeof a === 'number' && typeof b === 'number') return op(a, b);
    // x + 0, x * 1, x / 1 keep the symbol.
    if (identity && b === identity.right && a !== undefined) return a;
    if (identity?.left !== undefined && a === identity.left && b !== undefined) return b;
    return ctx.fresh();
  };

const compare =
  (op: (a: number, b: number) => boolean): FoldFn =>
  ([a, b], ctx) => {
    if (typeof a === 'number' && typeof b === 'number') return op(a, b) ? 1 : 0;
    if (a === b) return op(0, 0) ? 1 : 0;
    return ctx.fresh();
  };

// ---------------------------------------------------------------------------------------------
// Linear algebra

const matMul: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  if (!a || !b) return [{ dtype }];
  if (a.length === 0 || b.length === 0) ctx.fail('MatMul inputs must have rank ≥ 1');
  const a2 = a.length === 1 ? [1, a[0] as Dim] : a;
  const b2 = b.length === 1 ? [b[0] as Dim, 1] : b;
  const k1 = a2[a2.length - 1] as Dim;
  const k2 = b2[b2.length - 2] as Dim;
  if (unifyDims(k1, k2) === undefined) {
    ctx.fail(`inner dimensions differ: ${formatShape(a)} × ${formatShape(b)} (${k1} vs ${k2})`);
  }
  const batch = ctx.broadcast(a2.slice(0, -2), b2.slice(0, -2));
  const shape: Shape = [...batch];
  if (a.length > 1) shape.push(a2[a2.length - 2] as Dim);
  if (b.length > 1) shape.push(b2[b2.length - 1] as Dim);
  return [{ dtype, shape }];
};

const gemm: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const a = ctx.shape(0);
  const b = ctx.shape(1);
  if (!a || !b) return [{ dtype }];
  if (a.length !== 2 || b.length !== 2) {
    ctx.fail(`Gemm needs rank-2 A and B, got ${formatShape(a)} and ${formatShape(b)}`);
  }
  const [m, ka] = ctx.int('transA', 0) ? [a[1], a[0]] : [a[0], a[1]];
  const [kb, n] = ctx.int('transB', 0) ? [b[1], b[0]] : [b[0], b[1]];
  if (unifyDims(ka as Dim, kb as Dim) === undefined) {
    ctx.fail(`inner dimensions differ: A ${formatShape(a)}, B ${formatShape(b)} (${ka} vs ${kb})`);
  }
  const shape: Shape = [m as Dim, n as Dim];
  const c = ctx.shape(2);
  // C must broadcast to [M, N]; the broadcast also checks it.
  if (c) ctx.broadcast(shape, c);
  return [{ dtype, shape }];
};

// ---------------------------------------------------------------------------------------------
// Shape manipulation

const reshape: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const target = ctx.value(1);
  const input = ctx.shape(0);
  const value = foldValueThrough(ctx, 0);
  if (!target) {
    // Rank is the length of the shape tensor even when its elements are not known.
    const len = ctx.shape(1)?.[0];
    if (typeof len === 'number') {
      return [{ dtype, shape: Array.from({ length: len }, () => ctx.fresh()) }];
    }
    return [{ dtype }];
  }
  const allowZero = ctx.int('allowzero', 0) === 1;
  const shape: Shape = target.map((d, i) => {
    if (d === 0 && !allowZero) {
      const copied = input?.[i];
      return copied ?? ctx.fresh();
    }
    return d;
  });
  const minus = shape.indexOf(-1);
  if (minus >= 0) {
    if (shape.indexOf(-1, minus + 1) >= 0) ctx.fail('Reshape target has more than one -1');
    const total = input ? numericSize(input) : undefined;
    const rest = numericSize(shape.filter((_, i) => i !== minus));
    shape[minus] =
      total !== undefined && rest !== undefined && rest > 0
        ? total / rest
        : (inferMinusOne(input, shape, minus) ?? ctx.fresh());
  }
  const total = input ? numericSize(input) : undefined;
  const size = numericSize(shape);
  if (total !== undefined && size !== undefined && total !== size) {
    ctx.fail(`cannot reshape ${formatShape(input)} (${total} elements) to ${formatShape(shape)}`);
  }
  return [value ? { dtype, shape, value } : { dtype, shape }];
};

/**
 * Symbolic -1: cancel equal symbols and numbers between the input and the other target dims
 * (['batch', 'seq', 768] → ['batch', 'seq', 12, -1] gives 64). Symbols left over name their
 * product, factors sorted and joined by '*' (['batch', 'seq', 768] → [-1, 768] gives
 * 'batch*seq'), so every flattening of the same dims gets the same symbol and, say, two residual
 * branches reshaped to [-1, hidden] separately still add without a run-time broadcast check.
 * Such names are split back into factors when they meet a later reshape.
 */
function inferMinusOne(input: Shape | undefined, target: Shape, minus: number): Dim | undefined {
  if (!input) return undefined;
  const symbols = new Map<string, number>();
  let num = 1;
  for (const d of input) {
    if (typeof d === 'number') num *= d;
    else for (const f of d.split('*')) symbols.set(f, (symbols.get(f) ?? 0) + 1);
  }
  let den = 1;
  for (let i = 0; i < target.length; i++) {
    if (i === minus) continue;
    const d = target[i] as Dim;
    if (typeof d === 'number') den *= d;
    else {
      for (const f of d.split('*')) {
        const count = symbols.get(f) ?? 0;
        if (count === 0) return undefined;
        symbols.set(f, count - 1);
      }
    }
  }
  if (den === 0 || num % den !== 0) return undefined;
  const left = [...symbols.entries()]
    .filter(([, c]) => c > 0)
    .flatMap(([f, c]) => Array.from({ length: c }, () => f))
    .sort();
  if (left.length === 0) return num / den;
  if (num === den) return left.join('*');
  return undefined;
}

/** Keeps folded elements through ops that only change the tensor's (rank ≤ 1) shape. */
function foldValueThrough(ctx: RuleContext, i: number): Dim[] | undefined {
  return ctx.value(i);
}

const transpose: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  if (!input) return [{ dtype }];
  const perm = ctx.ints_('perm') ?? input.map((_, i) => input.length - 1 - i);
  if (perm.length !== input.length) {
    ctx.fail(`perm [${perm.join(', ')}] does not match input rank ${input.length}`);
  }
  const shape = perm.map((p) => {
    const d = input[p];
    if (d === undefined)
      ctx.fail(`perm [${perm.join(', ')}] is out of range for rank ${input.length}`);
    return d;
  });
  return [{ dtype, shape }];
};

/** Axes from the input (opset ≥ 13) or the `axes` attribute. */
function axesOf(ctx: RuleContext, inputIndex: number): number[] | undefined | 'unknown' {
  if (ctx.inputCount > inputIndex) return ctx.ints(inputIndex) ?? 'unknown';
  return ctx.ints_('axes');
}

const unsqueeze: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  const axes = axesOf(ctx, 1);
  if (!input || axes === undefined || axes === 'unknown') {
    const n = ctx.shape(1)?.[0];
    if (input && typeof n === 'number') {
      return [{ dtype, shape: Array.from({ length: input.length + n }, () => ctx.fresh()) }];
    }
    return [{ dtype }];
  }
  const rank = input.length + axes.length;
  const norm = axes.map((a) => {
    const n = normalizeAxis(a, rank);
    if (n === undefined) ctx.fail(`axis ${a} is out of range for output rank ${rank}`);
    return n;
  });
  const shape: Shape = [];
  let k = 0;
  for (let i = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : (input[k++] as Dim));
  const value = ctx.value(0);
  return [value && rank <= 1 ? { dtype, shape, value } : { dtype, shape }];
};

const squeeze: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  const axes = axesOf(ctx, 1);
  if (!input || axes === 'unknown') return [{ dtype }];
  let shape: Shape;
  if (axes === undefined || axes.length === 0) {
    // Without axes every size-1 dim goes; a symbol might be 1, so the rank is unknown.
    if (input.some((d) => typeof d !== 'number')) return [{ dtype }];
    shape = input.filter((d) => d !== 1);
  } else {
    const norm = axes.map((a) => {
      const n = normalizeAxis(a, input.length);
      if (n === undefined) ctx.fail(`axis ${a} is out of range for input ${formatShape(input)}`);
      const d = input[n];
      if (typeof d === 'number' && d !== 1) {
        ctx.fail(`cannot squeeze axis ${a} of size ${d} in ${formatShape(input)}`);
      }
      return n;
    });
    shape = input.filter((_, i) => !norm.includes(i));
  }
  const value = ctx.value(0);
  return [value && shape.length <= 1 ? { dtype, shape, value } : { dtype, shape }];
};

const flatten: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  if (!input) return [{ dtype, shape: [ctx.fresh(), ctx.fresh()] }];
  const axis = ctx.int('axis', 1);
  const a = axis < 0 ? axis + input.length : axis;
  if (a < 0 || a > input.length) ctx.fail(`axis ${axis} is out of range for ${formatShape(input)}`);
  const part = (dims: Shape): Dim => {
    if (dims.length === 1) return dims[0] as Dim;
    return numericSize(dims) ?? ctx.fresh();
  };
  return [{ dtype, shape: [part(input.slice(0, a)), part(input.slice(a))] }];
};

function reduceRule(axesFromInputSince: number): ShapeRule {
  return (ctx: RuleContext) => {
    const dtype = ctx.dtype(0);
    if (dtype === undefined) return [];
    const input = ctx.shape(0);
    const keep = ctx.int('keepdims', 1) === 1;
    const noopEmpty = ctx.int('noop_with_empty_axes', 0) === 1;
    const fromInput = ctx.opset >= axesFromInputSince;
    const axes = fromInput
      ? ctx.inputCount > 1
        ? (ctx.ints(1) ?? 'unknown')
        : undefined
      : ctx.ints_('axes');
    if (!input) return [{ dtype }];
    if (axes === 'unknown') {
      return [keep ? { dtype, shape: input.map(() => ctx.fresh()) } : { dtype }];
    }
    if (axes === undefined || axes.length === 0) {
      if (noopEmpty) return [{ dtype, shape: input }];
      return [{ dtype, shape: keep ? input.map(() => 1) : [] }];
    }
    const norm = axes.map((a) => {
      const n = normalizeAxis(a, input.length);
      if (n === undefined) ctx.fail(`axis ${a} is out of range for input ${formatShape(input)}`);
      return n;
    });
    const shape: Shape = [];
    input.forEach((d, i) => {
      if (!norm.includes(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    return [{ dtype, shape }];
  };
}

const argReduce: ShapeRule = (ctx: RuleContext) => {
  const input = ctx.shape(0);
  if (!input) return [{ dtype: 'int64' }];
  const axis = normalizeAxis(ctx.int('axis', 0), input.length);
  if (axis === undefined) ctx.fail(`axis is out of range for ${formatShape(input)}`);
  const keep = ctx.int('keepdims', 1) === 1;
  const shape = keep
    ? input.map((d, i) => (i === axis ? 1 : d))
    : input.filter((_, i) => i !== axis);
  return [{ dtype: 'int64', shape }];
};

const gather: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const data = ctx.shape(0);
  const indices = ctx.shape(1);
  if (!data || !indices) return [{ dtype }];
  const axis = normalizeAxis(ctx.int('axis', 0), data.length);
  if (axis === undefined)
    ctx.fail(`axis ${ctx.int('axis', 0)} is out of range for ${formatShape(data)}`);
  const shape = [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
  const out: InferredOutput = { dtype, shape };
  const values = ctx.value(0);
  const idx = ctx.ints(1);
  if (values && idx && data.length === 1 && shape.length <= 1) {
    const len = values.length;
    const picked = idx.map((i) => values[i < 0 ? i + len : i]);
    if (picked.every((v) => v !== undefined)) out.value = picked as Dim[];
  }
  return [out];
};

const concat: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const shapes: Shape[] = [];
  for (let i = 0; i < ctx.inputCount; i++) {
    const s = ctx.shape(i);
    if (!s) return [{ dtype }];
    shapes.push(s);
  }
  const first = shapes[0];
  if (!first) return [{ dtype }];
  const axis = normalizeAxis(ctx.int('axis', 0), first.length);
  if (axis === undefined)
    ctx.fail(`axis ${ctx.int('axis', 0)} is out of range for ${formatShape(first)}`);
  const shape: Shape = [...first];
  let total: number | undefined = 0;
  for (const s of shapes) {
    if (s.length !== first.length) {
      ctx.fail(`inputs have different ranks: ${shapes.map(formatShape).join(', ')}`);
    }
    for (let d = 0; d < s.length; d++) {
      if (d === axis) continue;
      const merged = unifyDims(shape[d] as Dim, s[d] as Dim);
      if (merged === undefined) {
        ctx.fail(`inputs differ outside axis ${axis}: ${shapes.map(formatShape).join(', ')}`);
      }
      shape[d] = merged;
    }
    const along = s[axis];
    total = typeof along === 'number' && total !== undefined ? total + along : undefined;
  }
  // One non-empty input along a symbolic axis (others of size 0) keeps that symbol.
  shape[axis] = total ?? concatSymbolic(shapes, axis) ?? ctx.fresh();
  const out: InferredOutput = { dtype, shape };
  if (shape.length === 1) {
    const parts: Dim[] = [];
    for (let i = 0; i < ctx.inputCount; i++) {
      const v = ctx.value(i);
      if (!v) return [out];
      parts.push(...v);
    }
    out.value = parts;
  }
  return [out];
};

function concatSymbolic(shapes: Shape[], axis: number): Dim | undefined {
  const nonZero = shapes.map((s) => s[axis] as Dim).filter((d) => d !== 0);
  return nonZero.length === 1 ? nonZero[0] : undefined;
}

// Exporters write INT64_MAX or INT32_MAX for "to the end".
const END_OF_AXIS = 2 ** 31 - 1;

const slice: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  if (!input) return [{ dtype }];
  // Opset ≥ 10: starts/ends/axes/steps are inputs; before, attributes.
  const fromInputs = ctx.opset >= 10;
  const starts = fromInputs ? ctx.ints(1) : ctx.ints_('starts');
  const ends = fromInputs ? ctx.ints(2) : ctx.ints_('ends');
  const axesIn = fromInputs
    ? ctx.inputCount > 3
      ? ctx.ints(3)
      : null
    : (ctx.ints_('axes') ?? null);
  const stepsIn = fromInputs && ctx.inputCount > 4 ? ctx.ints(4) : null;
  if (!starts || !ends || axesIn === undefined || stepsIn === undefined) {
    // Unknown bounds: rank kept, sliced axes unknown. Without axes, any axis may change.
    const known = axesIn ?? undefined;
    if (known && known.length > 0) {
      const touched = known.map((a) => normalizeAxis(a, input.length));
      return [{ dtype, shape: input.map((d, i) => (touched.includes(i) ? ctx.fresh() : d)) }];
    }
    return [{ dtype, shape: input.map(() => ctx.fresh()) }];
  }
  const axes = axesIn ?? starts.map((_, i) => i);
  const steps = stepsIn ?? starts.map(() => 1);
  if (
    starts.length !== ends.length ||
    axes.length !== starts.length ||
    steps.length !== starts.length
  ) {
    ctx.fail('starts, ends, axes and steps must have the same length');
  }
  const shape: Shape = [...input];
  const value = ctx.value(0);
  let sliced: Dim[] | undefined = value && input.length === 1 ? [...value] : undefined;
  axes.forEach((a, k) => {
    const axis = normalizeAxis(a, input.length);
    if (axis === undefined) ctx.fail(`axis ${a} is out of range for ${formatShape(input)}`);
    const step = steps[k] as number;
    if (step === 0) ctx.fail('Slice step cannot be 0');
    const dim = input[axis] as Dim;
    const start = starts[k] as number;
    const end = ends[k] as number;
    if (typeof dim !== 'number') {
      // A full slice of a symbolic axis keeps the symbol; anything else is unknown.
      const full = step === 1 && start === 0 && end >= END_OF_AXIS;
      shape[axis] = full ? dim : ctx.fresh();
      sliced = undefined;
      return;
    }
    const range = sliceRange(dim, start, end, step);
    shape[axis] = range.length;
    if (sliced) sliced = range.map((i) => sliced?.[i] as Dim);
  });
  return [sliced ? { dtype, shape, value: sliced } : { dtype, shape }];
};

/** The indices a slice selects on an axis of size `dim` (ONNX clamping rules). */
function sliceRange(dim: number, start: number, end: number, step: number): number[] {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim);
    e = clamp(e, 0, dim);
  } else {
    s = clamp(s, 0, dim - 1);
    e = clamp(e, -1, dim - 1);
  }
  const out: number[] = [];
  if (step > 0) for (let i = s; i < e; i += step) out.push(i);
  else for (let i = s; i > e; i += step) out.push(i);
  return out;
}

const split: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  const count = ctx.node.outputs.length;
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  if (!input) return ctx.node.outputs.map(() => ({ dtype }));
  const axis = normalizeAxis(ctx.int('axis', 0), input.length);
  if (axis === undefined)
    ctx.fail(`axis ${ctx.int('axis', 0)} is out of range for ${formatShape(input)}`);
  const sizes = ctx.inputCount > 1 ? ctx.ints(1) : ctx.ints_('split');
  const dim = input[axis] as Dim;
  let parts: Dim[];
  if (ctx.inputCount > 1 && sizes === undefined) {
    parts = ctx.node.outputs.map(() => ctx.fresh());
  } else if (sizes) {
    if (sizes.length !== count) ctx.fail(`split has ${sizes.length} sizes for ${count} outputs`);
    const total = sizes.reduce((x, y) => x + y, 0);
    if (typeof dim === 'number' && total !== dim) {
      ctx.fail(`split sizes [${sizes.join(', ')}] do not add up to dimension ${dim}`);
    }
    parts = sizes;
  } else if (typeof dim === 'number') {
    // Equal parts; opset 18's num_outputs lets the last one be smaller.
    const chunk = Math.ceil(dim / count);
    parts = ctx.node.outputs.map((_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
    if (ctx.opset < 18 && dim % count !== 0) {
      ctx.fail(`dimension ${dim} does not split into ${count} equal parts`);
    }
  } else {
    parts = ctx.node.outputs.map(() => ctx.fresh());
  }
  return parts.map((p) => ({ dtype, shape: input.map((d, i) => (i === axis ? p : d)) }));
};

const expand: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  const target = ctx.value(1);
  if (!input) return [{ dtype }];
  if (!target) {
    const len = ctx.shape(1)?.[0];
    if (typeof len === 'number') {
      const rank = Math.max(len, input.length);
      // Dims of size > 1 in the input survive; the rest are unknown.
      return [
        {
          dtype,
          shape: Array.from({ length: rank }, (_, i) => {
            const d = input[i - (rank - input.length)];
            return typeof d === 'number' && d > 1 ? d : ctx.fresh();
          }),
        },
      ];
    }
    return [{ dtype }];
  }
  return [{ dtype, shape: ctx.broadcast(input, target) }];
};

const tile: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  if (!input) return [{ dtype }];
  const repeats = ctx.value(1);
  if (!repeats) return [{ dtype, shape: input.map(() => ctx.fresh()) }];
  if (repeats.length !== input.length) ctx.fail('repeats length must equal the input rank');
  return [
    {
      dtype,
      shape: input.map((d, i) => {
        const r = repeats[i] as Dim;
        if (r === 1) return d;
        return typeof d === 'number' && typeof r === 'number' ? d * r : ctx.fresh();
      }),
    },
  ];
};

const shapeOp: ShapeRule = (ctx: RuleContext) => {
  const input = ctx.shape(0);
  if (!input) return [{ dtype: 'int64', shape: [ctx.fresh()] }];
  const rank = input.length;
  const clampAxis = (a: number) => Math.min(Math.max(a < 0 ? a + rank : a, 0), rank);
  const start = clampAxis(ctx.int('start', 0));
  const end = ctx.attr('end') ? clampAxis(ctx.int('end', rank)) : rank;
  const value = input.slice(start, Math.max(start, end));
  return [{ dtype: 'int64', shape: [value.length], value }];
};

const sizeOp: ShapeRule = (ctx: RuleContext) => {
  const input = ctx.shape(0);
  const n = input ? numericSize(input) : undefined;
  return [{ dtype: 'int64', shape: [], value: [n ?? ctx.fresh()] }];
};

const constantOfShape: ShapeRule = (ctx: RuleContext) => {
  const valueAttr = ctx.attr('value');
  const fill = valueAttr?.type === 'tensor' ? valueAttr.value : undefined;
  const dtype: DType = fill?.dtype ?? 'float32';
  const target = ctx.value(0);
  if (!target) {
    const len = ctx.shape(0)?.[0];
    if (typeof len === 'number')
      return [{ dtype, shape: Array.from({ length: len }, () => ctx.fresh()) }];
    return [{ dtype }];
  }
  const out: InferredOutput = { dtype, shape: target };
  const size = numericSize(target);
  if (fill && target.length <= 1 && size !== undefined && size <= MAX_FOLDED_ELEMENTS) {
    const v = foldedElements(fill);
    if (v?.[0] !== undefined) out.value = Array.from({ length: size }, () => v[0] as Dim);
  }
  return [out];
};

const range: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const [start, limit, delta] = [ctx.ints(0)?.[0], ctx.ints(1)?.[0], ctx.ints(2)?.[0]];
  if (start === undefined || limit === undefined || delta === undefined || delta === 0) {
    return [{ dtype, shape: [ctx.fresh()] }];
  }
  const n = Math.max(Math.ceil((limit - start) / delta), 0);
  const out: InferredOutput = { dtype, shape: [n] };
  if (n <= MAX_FOLDED_ELEMENTS) out.value = Array.from({ length: n }, (_, i) => start + i * delta);
  return [out];
};

const constant: ShapeRule = (ctx: RuleContext) => {
  const a =
    ctx.attr('value') ??
    ctx.attr('value_float') ??
    ctx.attr('value_floats') ??
    ctx.attr('value_int') ??
    ctx.attr('value_ints');
  if (!a) return [];
  switch (a.type) {
    case 'tensor': {
      const value = foldedElements(a.value);
      return [
        value
          ? { dtype: a.value.dtype, shape: [...a.value.dims], value }
          : { dtype: a.value.dtype, shape: [...a.value.dims] },
      ];
    }
    case 'float':
      return [{ dtype: 'float32', shape: [] }];
    case 'floats':
      return [{ dtype: 'float32', shape: [a.value.length] }];
    case 'int':
      return [{ dtype: 'int64', shape: [], value: [a.value] }];
    case 'ints':
      return [{ dtype: 'int64', shape: [a.value.length], value: [...a.value] }];
    default:
      return [];
  }
};

const cast: ShapeRule = (ctx: RuleContext) => {
  const to = DTYPE_BY_ONNX_CODE[ctx.int('to', 0)];
  if (to === undefined) return [];
  const shape = ctx.shape(0);
  const value = ctx.value(0);
  const out: InferredOutput = shape ? { dtype: to, shape } : { dtype: to };
  if (value && isInt(to)) out.value = value;
  return [out];
};

const castLike: ShapeRule = (ctx: RuleContext) => {
  const to = ctx.dtype(1);
  if (to === undefined) return [];
  const shape = ctx.shape(0);
  return [shape ? { dtype: to, shape } : { dtype: to }];
};

const identity: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const shape = ctx.shape(0);
  const value = ctx.value(0);
  const out: InferredOutput = shape ? { dtype, shape } : { dtype };
  if (value) out.value = value;
  return [out];
};

const dropout: ShapeRule = (ctx: RuleContext) => {
  const [y] = sameAsInput()(ctx);
  if (!y) return [];
  return [y, y.shape ? { dtype: 'bool', shape: y.shape } : { dtype: 'bool' }];
};

const layerNorm: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  const stash = DTYPE_BY_ONNX_CODE[ctx.int('stash_type', 1)] ?? 'float32';
  if (!input) return [{ dtype }, { dtype: stash }, { dtype: stash }];
  const axis = normalizeAxis(ctx.int('axis', -1), input.length);
  if (axis === undefined)
    ctx.fail(`axis ${ctx.int('axis', -1)} is out of range for ${formatShape(input)}`);
  const normalized = input.slice(axis);
  const scale = ctx.shape(1);
  if (scale) ctx.broadcast(normalized, scale);
  const stats = input.map((d, i) => (i < axis ? d : 1));
  return [
    { dtype, shape: input },
    { dtype: stash, shape: stats },
    { dtype: stash, shape: stats },
  ];
};

const softmaxCrossEntropy: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const scores = ctx.shape(0);
  const labels = ctx.shape(1);
  const reduction = ctx.str('reduction', 'mean');
  if (scores && labels) {
    const expected = [scores[0] as Dim, ...scores.slice(2)];
    if (scores.length < 2 || labels.length !== expected.length) {
      ctx.fail(
        `labels ${formatShape(labels)} do not match scores ${formatShape(scores)} (expect [N, d1, …])`,
      );
    }
    expected.forEach((d, i) => {
      if (unifyDims(d, labels[i] as Dim) === undefined) {
        ctx.fail(`labels ${formatShape(labels)} do not match scores ${formatShape(scores)}`);
      }
    });
  }
  const loss: InferredOutput =
    reduction === 'none'
      ? scores
        ? { dtype, shape: [scores[0] as Dim, ...scores.slice(2)] }
        : { dtype }
      : { dtype, shape: [] };
  return [loss, scores ? { dtype, shape: scores } : { dtype }];
};

const where: ShapeRule = (ctx: RuleContext) => {
  const [out] = broadcasting({ first: 0, dtypeFrom: 1 })(ctx);
  if (!out) return [];
  const cond = ctx.value(0);
  const x = ctx.value(1);
  const y = ctx.value(2);
  if (cond && x && y && out.shape && out.shape.length <= 1) {
    const size = numericSize(out.shape);
    if (size !== undefined) {
      const at = (v: Dim[], k: number) => (v.length === 1 ? v[0] : v[k]) as Dim;
      const value: Dim[] = [];
      for (let k = 0; k < size; k++) {
        const c = at(cond, k);
        value.push(typeof c === 'number' ? (c ? at(x, k) : at(y, k)) : ctx.fresh());
      }
      out.value = value;
    }
  }
  return [out];
};

const trilu = sameAsInput();

const pad: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(0);
  if (dtype === undefined) return [];
  const input = ctx.shape(0);
  if (!input) return [{ dtype }];
  const pads = ctx.inputCount > 1 ? ctx.ints(1) : ctx.ints_('pads');
  const axes = ctx.inputCount > 3 ? ctx.ints(3) : input.map((_, i) => i);
  if (!pads || !axes) return [{ dtype, shape: input.map(() => ctx.fresh()) }];
  const shape = [...input];
  axes.forEach((a, k) => {
    const axis = normalizeAxis(a, input.length);
    if (axis === undefined) return;
    const add = (pads[k] as number) + (pads[k + axes.length] as number);
    const d = shape[axis] as Dim;
    shape[axis] = add === 0 ? d : typeof d === 'number' ? d + add : ctx.fresh();
  });
  return [{ dtype, shape }];
};

const oneHot: ShapeRule = (ctx: RuleContext) => {
  const dtype = ctx.dtype(2);
  const indices = ctx.shape(0);
  if (dtype === undefined) return [];
  if (!indices) return [{ dtype }];
  const depth = ctx.ints(1)?.[0] ?? ctx.fresh();
  const rank = indices.length + 1;
  const axis = normalizeAxis(ctx.int('axis', -1), rank) ?? rank - 1;
  const shape = [...indices];
  shape.splice(axis, 0, depth);
  return [{ dtype, shape }];
};

const UNARY = [
  'Abs',
  'Acos',
  'Asin',
  'Atan',
  'Ceil',
  'Celu',
  'Cos',
  'Cosh',
  'CumSum',
  'Elu',
  'Erf',
  'Exp',
  'FastGelu',
  'Floor',
  'Gelu',
  'HardSigmoid',
  'HardSwish',
  'LeakyRelu',
  'Log',
  'LogSoftmax',
  'Mish',
  'Neg',
  'QuickGelu',
  'Reciprocal',
  'Relu',
  'Round',
  'Selu',
  'Sigmoid',
  'Sign',
  'Sin',
  'Sinh',
  'Softmax',
  'Softplus',
  'Softsign',
  'Sqrt',
  'Tan',
  'Tanh',
  'ThresholdedRelu',
  'Clip',
  'BiasGelu',
] as const;

const trunc = (x: number) => Math.trunc(x);

/** The rule table, keyed by op type (domain-independent: contrib ops reuse ONNX names rarely). */
export const SHAPE_RULES: Record<string, ShapeRule> = {
  ...Object.fromEntries(UNARY.map((op) => [op, sameAsInput()])),
  Identity: identity,
  Not: sameAsInput(0, 'bool'),
  IsNaN: sameAsInput(0, 'bool'),
  IsInf: sameAsInput(0, 'bool'),
  Dropout: dropout,
  Add: broadcasting({ fold: arith((a, b) => a + b, { right: 0, left: 0 }) }),
  Sub: broadcasting({ fold: arith((a, b) => a - b, { right: 0 }) }),
  Mul: broadcasting({ fold: arith((a, b) => a * b, { right: 1, left: 1 }) }),
  Div: broadcasting({ fold: arith((a, b) => trunc(a / b), { right: 1 }) }),
  Pow: broadcasting({ dtypeFrom: 0 }),
  Mod: broadcasting(),
  PRelu: broadcasting(),
  BitShift: broadcasting(),
  Max: broadcasting({ fold: arith(Math.max) }),
  Min: broadcasting({ fold: arith(Math.min) }),
  Sum: broadcasting(),
  Mean: broadcasting(),
  And: broadcasting({ dtype: 'bool' }),
  Or: broadcasting({ dtype: 'bool' }),
  Xor: broadcasting({ dtype: 'bool' }),
  Equal: broadcasting({ dtype: 'bool', fold: compare((a, b) => a === b) }),
  Less: broadcasting({ dtype: 'bool', fold: compare((a, b) => a < b) }),
  LessOrEqual: broadcasting({ dtype: 'bool', fold: compare((a, b) => a <= b) }),
  Greater: broadcasting({ dtype: 'bool', fold: compare((a, b) => a > b) }),
  GreaterOrEqual: broadcasting({ dtype: 'bool', fold: compare((a, b) => a >= b) }),
  Where: where,
  MatMul: matMul,
  Gemm: gemm,
  Reshape: reshape,
  Transpose: transpose,
  Unsqueeze: unsqueeze,
  Squeeze: squeeze,
  Flatten: flatten,
  ReduceSum: reduceRule(13),
  ReduceMean: reduceRule(18),
  ReduceMax: reduceRule(18),
  ReduceMin: reduceRule(18),
  ReduceProd: reduceRule(18),
  ReduceL1: reduceRule(18),
  ReduceL2: reduceRule(18),
  ReduceLogSum: reduceRule(18),
  ReduceLogSumExp: reduceRule(18),
  ReduceSumSquare: reduceRule(18),
  ArgMax: argReduce,
  ArgMin: argReduce,
  Gather: gather,
  GatherElements: (ctx: RuleContext) => {
    const dtype = ctx.dtype(0);
    if (dtype === undefined) return [];
    const shape = ctx.shape(1);
    return [shape ? { dtype, shape } : { dtype }];
  },
  // Scatters write into a copy of their data input.
  ScatterND: sameAsInput(),
  ScatterElements: sameAsInput(),
  Concat: concat,
  Slice: slice,
  Split: split,
  Expand: expand,
  Tile: tile,
  Shape: shapeOp,
  Size: sizeOp,
  ConstantOfShape: constantOfShape,
  Range: range,
  Constant: constant,
  Cast: cast,
  CastLike: castLike,
  LayerNormalization: layerNorm,
  SoftmaxCrossEntropyLoss: softmaxCrossEntropy,
  Trilu: trilu,
  Pad: pad,
  OneHot: oneHot,
};
