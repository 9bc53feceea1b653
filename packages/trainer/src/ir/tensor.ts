// Tensor helpers: dtype ↔ typed array ↔ ONNX data type codes, and small constructors.
import { TrainerError } from '../errors.js';
import type { DType, TensorArray, TensorData } from './types.js';

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE_CODE: Record<DType, number> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  float64: 11,
};

const DTYPE_BY_CODE = new Map<number, DType>(
  Object.entries(ONNX_DTYPE_CODE).map(([dtype, code]) => [code, dtype as DType]),
);

export function dtypeFromOnnxCode(code: number): DType {
  const dtype = DTYPE_BY_CODE.get(code);
  if (dtype === undefined) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `ONNX data type ${code} is not supported (supported: ${[...DTYPE_BY_CODE.values()].join(', ')})`,
    );
  }
  return dtype;
}

export function isFloatDType(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

/** Bytes per element. */
export function dtypeSize(dtype: DType): number {
  switch (dtype) {
    case 'float64':
    case 'int64':
      return 8;
    case 'float32':
    case 'int32':
      return 4;
    case 'float16':
      return 2;
    default:
      return 1;
  }
}

export function allocate(dtype: DType, length: number): TensorArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(length);
    case 'float64':
      return new Float64Array(length);
    case 'float16':
      return new Uint16Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'int8':
      return new Int8Array(length);
    default:
      return new Uint8Array(length);
  }
}

export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/**
 * A tensor from values. Numbers are converted to the dtype (BigInt for int64, 0/1 for bool).
 * Throws when the value count does not match the dims.
 */
export function tensor(
  dtype: DType,
  dims: number[],
  values: ArrayLike<number | bigint> | TensorArray,
): TensorData {
  const n = sizeOf(dims);
  if (values.length !== n) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `tensor of dims [${dims.join(', ')}] needs ${n} values, got ${values.length}`,
    );
  }
  const data = allocate(dtype, n);
  if (data instanceof BigInt64Array) {
    for (let i = 0; i < n; i++) data[i] = BigInt(values[i] as number | bigint);
  } else {
    for (let i = 0; i < n; i++) (data as Float64Array)[i] = Number(values[i]);
  }
  return { dtype, dims: [...dims], data };
}

/** A scalar (rank-0) tensor. */
export function scalar(dtype: DType, value: number | bigint): TensorData {
  return tensor(dtype, [], [value]);
}

/** Raw little-endian bytes of a tensor's data (what ONNX `raw_data` and safetensors hold). */
export function tensorBytes(t: TensorData): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Builds a tensor over a copy of raw little-endian bytes. */
export function tensorFromBytes(dtype: DType, dims: number[], bytes: Uint8Array): TensorData {
  const expected = sizeOf(dims) * dtypeSize(dtype);
  if (bytes.byteLength !== expected) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `${dtype} tensor of dims [${dims.join(', ')}] needs ${expected} bytes, got ${bytes.byteLength}`,
    );
  }
  const data = allocate(dtype, sizeOf(dims));
  new Uint8Array(data.buffer).set(bytes);
  return { dtype, dims: [...dims], data };
}
