// Helpers shared by the optimizer subgraphs: scalar graph inputs cast to the parameters' dtype.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import { type FloatDType, floatDTypeOf, onnxFloatCode, valueDType } from '../losses/utils.js';

/**
 * Casts a scalar graph value (lr, step — float or integer) to `dtype` once per dtype, so every
 * parameter of that dtype shares one Cast node.
 */
export function createScalarCache(b: GraphBuilder, value: string) {
  const cache = new Map<FloatDType, string>();
  return (dtype: FloatDType): string => {
    let cast = cache.get(dtype);
    if (cast === undefined) {
      cast =
        valueDType(b, value) === dtype
          ? value
          : b.op('Cast', [value], { to: onnxFloatCode(dtype) });
      cache.set(dtype, cast);
    }
    return cast;
  };
}

/** The dtype of a parameter, which its gradient and state must share. */
export function paramDType(b: GraphBuilder, param: string, explicit?: FloatDType): FloatDType {
  return floatDTypeOf(b, param, explicit);
}

/** Throws unless `value` is a finite number within [min, max] (max exclusive when `open`). */
export function checkRange(
  what: string,
  value: number,
  min: number,
  max: number,
  openMax = false,
): void {
  const ok = Number.isFinite(value) && value >= min && (openMax ? value < max : value <= max);
  if (!ok) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `${what} must be in [${min}, ${max}${openMax ? ')' : ']'}, got ${value}`,
    );
  }
}
