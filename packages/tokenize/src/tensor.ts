// Internal: wraps an int32 buffer as a BatchTensor of the requested dtype (shared by encodeBatch and collate).
import type { BatchTensor, TensorData, TensorDtype } from './types.js';

/** Returns `values` itself for int32; otherwise a widened BigInt64Array copy. */
export function toTensor<D extends TensorDtype>(
  values: Int32Array,
  dtype: D,
  dims: [number, number],
): BatchTensor<D> {
  if (dtype === 'int32') return { dtype, data: values as TensorData<D>, dims };
  // A plain loop is as fast as BigInt64Array.from or writing the two 32-bit halves in V8, and needs
  // no endianness check.
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i] as number);
  return { dtype, data: data as TensorData<D>, dims };
}
