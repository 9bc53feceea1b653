// Helpers shared by the loss subgraphs: float dtype lookup, typed constants and reductions.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import { isFloatDType, tensor } from '../ir/tensor.js';
import type { DType, Shape } from '../ir/types.js';

/** The float element types a loss or an optimizer can be emitted in. */
export type FloatDType = 'float32' | 'float64';

/** How per-element losses are combined, as in PyTorch's `reduction` argument. */
export type Reduction = 'mean' | 'sum' | 'none';

/**
 * The dtype of a value already in the builder's graph: declared inputs/outputs, initializers,
 * inferred value info, or — when the value is an intermediate without recorded info — the dtype
 * carried through its producer (a Cast's `to`, a Constant's tensor, else the first input's).
 */
export function valueDType(b: GraphBuilder, name: string): DType | undefined {
  const graph = b.graph;
  const seen = new Set<string>();
  let current: string | undefined = name;
  while (current !== undefined && !seen.has(current)) {
    seen.add(current);
    const declared =
      graph.inputs.find((v) => v.name === current) ??
      graph.valueInfo.get(current) ??
      graph.outputs.find((v) => v.name === current);
    if (declared) return declared.dtype;
    const init = graph.initializers.get(current);
    if (init) return init.dtype;
    const value: string = current;
    const producer = graph.nodes.find((n) => n.outputs.includes(value));
    if (!producer) return undefined;
    if (producer.opType === 'Cast') {
      const to = producer.attributes.to;
      if (to?.type === 'int')
        return to.value === 11 ? 'float64' : to.value === 1 ? 'float32' : undefined;
      return undefined;
    }
    if (producer.opType === 'Constant') {
      const v = producer.attributes.value;
      return v?.type === 'tensor' ? v.value.dtype : undefined;
    }
    current = producer.inputs[0];
  }
  return undefined;
}

/** The float dtype to emit constants in: an explicit choice, else the value's, else float32. */
export function floatDTypeOf(b: GraphBuilder, name: string, explicit?: FloatDType): FloatDType {
  if (explicit) return explicit;
  const found = valueDType(b, name);
  if (found === undefined) return 'float32';
  if (found === 'float32' || found === 'float64') return found;
  throw new TrainerError(
    'INVALID_ARGUMENT',
    isFloatDType(found)
      ? `value "${name}" is ${found}; losses and optimizers are emitted in float32 or float64 — cast it first`
      : `value "${name}" is ${found}, but a float tensor is needed here`,
  );
}

/** ONNX TensorProto data type code of a float dtype (Cast's `to`). */
export function onnxFloatCode(dtype: FloatDType): number {
  return dtype === 'float64' ? 11 : 1;
}

/** Reduces a tensor to a scalar (`mean`/`sum`) or returns it unchanged (`none`). */
export function reduce(b: GraphBuilder, value: string, reduction: Reduction): string {
  if (reduction === 'none') return value;
  if (reduction !== 'mean' && reduction !== 'sum') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `reduction must be 'mean', 'sum' or 'none', got ${JSON.stringify(reduction)}`,
    );
  }
  // No axes input: ONNX reduces over every axis (noop_with_empty_axes defaults to 0).
  return b.op(reduction === 'mean' ? 'ReduceMean' : 'ReduceSum', [value], { keepdims: 0 });
}

/** |x| as Max(x, −x): the gradient set ships no Abs builder, Max/Neg have one. */
export function absolute(b: GraphBuilder, x: string): string {
  return b.op('Max', [x, b.op('Neg', [x])]);
}

/**
 * For integer class targets: `{ mask, safeTarget }` where mask (float, same shape as target) is 1
 * for targets ≠ ignoreIndex and safeTarget replaces ignored targets by class 0 so that indexing
 * by them stays in range.
 */
export function ignoreMask(
  b: GraphBuilder,
  target: string,
  ignoreIndex: number,
  dtype: FloatDType,
): { mask: string; keep: string; safeTarget: string } {
  const targetType = valueDType(b, target) ?? 'int64';
  const keep = b.op('Not', [
    b.op('Equal', [target, b.scalar(targetType, toIndex(targetType, ignoreIndex))]),
  ]);
  const safeTarget = b.op('Where', [keep, target, b.scalar(targetType, toIndex(targetType, 0))]);
  const mask = b.op('Cast', [keep], { to: onnxFloatCode(dtype) });
  return { mask, keep, safeTarget };
}

function toIndex(dtype: DType, value: number): number | bigint {
  return dtype === 'int64' ? BigInt(value) : value;
}

/** The declared static shape of a graph input/output, initializer or inferred value, if any. */
export function valueShape(b: GraphBuilder, name: string): Shape | undefined {
  const graph = b.graph;
  const declared =
    graph.inputs.find((v) => v.name === name) ??
    graph.valueInfo.get(name) ??
    graph.outputs.find((v) => v.name === name);
  if (declared) return declared.shape;
  return graph.initializers.get(name)?.dims;
}

/**
 * One-hot rows (float, `[..., C]`) for integer targets `[...]` against logits `[..., C]`. The class
 * count is a constant when the logits' last dim is known statically, else read with Shape at run
 * time; the int64 one-hot is cast to float, so the integer path carries no gradient.
 */
export function oneHot(b: GraphBuilder, logits: string, target: string, dtype: FloatDType): string {
  const classes = valueShape(b, logits)?.at(-1);
  const depth =
    typeof classes === 'number' ? b.int64s([classes]) : b.op('Shape', [logits], { start: -1 });
  const targetType = valueDType(b, target);
  const indices = targetType === 'int64' ? target : b.op('Cast', [target], { to: 7 });
  // ONNX Runtime's CPU OneHot writes float32 directly; for [tokens, vocab] logits that saves an
  // int64 tensor and a Cast the size of the logits (about 75 ms a step on the GPT-mini bench).
  // It has no float64 kernel, so float64 graphs (gradient checks) go through int64 and Cast.
  if (dtype === 'float32') {
    return b.op('OneHot', [indices, depth, b.constant(tensor('float32', [2], [0, 1]))], {
      axis: -1,
    });
  }
  const hot = b.op('OneHot', [indices, depth, b.int64s([0, 1])], { axis: -1 });
  return b.op('Cast', [hot], { to: onnxFloatCode(dtype) });
}

/** Picks `x[..., target]` from a `[..., C]` tensor as a `[...]` tensor. */
export function pickClass(b: GraphBuilder, x: string, hot: string): string {
  return b.op('ReduceSum', [b.op('Mul', [x, hot]), b.int64s([-1])], { keepdims: 0 });
}

/** Numbers that must be finite (loss options); names the option in the error. */
export function checkFinite(what: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new TrainerError('INVALID_ARGUMENT', `${what} must be a finite number, got ${value}`);
  }
}

/** Gives the loss value its requested name (through an Identity), or returns it as is. */
export function named(b: GraphBuilder, value: string, name: string | undefined): string {
  return name === undefined ? value : b.op('Identity', [value], {}, { outputs: [name] });
}

/** A 1-D float constant (per-class weights), checked for finiteness. */
export function floatVector(
  b: GraphBuilder,
  what: string,
  values: readonly number[],
  dtype: FloatDType,
): string {
  if (values.length === 0) {
    throw new TrainerError('INVALID_ARGUMENT', `${what} must hold at least one value`);
  }
  for (const [i, v] of values.entries()) checkFinite(`${what}[${i}]`, v);
  return b.constant(tensor(dtype, [values.length], values));
}
