// Reads a model signature (graph input/output names, dtypes, shapes) from ONNX ModelProto bytes.
import onnxProto from 'onnx-proto';
import { RegistryError } from './errors.js';
import type { Signature, TensorSpec } from './types.js';

// onnx-proto ships CommonJS protobufjs classes; this is its one import site in the package.
const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };

/** TensorProto.DataType numbers → dtype names (onnx.proto, including the float8/int4 additions). */
const DTYPES: Record<number, string> = {
  0: 'undefined',
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  4: 'uint16',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
  12: 'uint32',
  13: 'uint64',
  14: 'complex64',
  15: 'complex128',
  16: 'bfloat16',
  17: 'float8e4m3fn',
  18: 'float8e4m3fnuz',
  19: 'float8e5m2',
  20: 'float8e5m2fnuz',
  21: 'uint4',
  22: 'int4',
};

/**
 * The ONNX file a version's signature is read from: `onnx/model.onnx` (transformers.js layout),
 * else `model.onnx`, else the first `.onnx` file by path; undefined when there is none.
 */
export function pickOnnxFile(paths: readonly string[]): string | undefined {
  for (const preferred of ['onnx/model.onnx', 'model.onnx']) {
    if (paths.includes(preferred)) return preferred;
  }
  return [...paths].sort().find((path) => path.toLowerCase().endsWith('.onnx'));
}

/** Parses ModelProto bytes; INVALID_ARTIFACT when they are not an ONNX model with a graph. */
export function readOnnxSignature(bytes: Uint8Array, file: string, model?: string): Signature {
  let proto: import('onnx-proto').onnx.ModelProto;
  try {
    proto = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw notOnnx(
      file,
      `it does not parse as an ONNX ModelProto (${(error as Error).message})`,
      model,
      error,
    );
  }
  const inputs = proto.graph?.input ?? [];
  const outputs = proto.graph?.output ?? [];
  if (inputs.length === 0 && outputs.length === 0) {
    throw notOnnx(file, 'it holds no graph with inputs or outputs', model);
  }
  // Before IR version 4 initializers were also listed as graph inputs; they are weights, not inputs.
  const initializers = new Set((proto.graph?.initializer ?? []).map((tensor) => tensor.name));
  return {
    file,
    inputs: inputs
      .filter((v) => !initializers.has(v.name ?? ''))
      .map((v) => toSpec(v, file, model)),
    outputs: outputs.map((v) => toSpec(v, file, model)),
  };
}

function toSpec(
  value: import('onnx-proto').onnx.IValueInfoProto,
  file: string,
  model: string | undefined,
): TensorSpec {
  const name = value.name ?? '';
  if (name === '') throw notOnnx(file, 'a graph input or output has no name', model);
  const type = value.type;
  const tensor = type?.tensorType ?? type?.sparseTensorType;
  if (!tensor) {
    const kind = type?.sequenceType
      ? 'sequence'
      : type?.mapType
        ? 'map'
        : type?.optionalType
          ? 'optional'
          : 'unknown';
    return { name, dtype: kind, shape: [] };
  }
  const elemType = tensor.elemType ?? 0;
  return {
    name,
    dtype: DTYPES[elemType] ?? `type${elemType}`,
    shape: (tensor.shape?.dim ?? []).map((dim) => {
      if (dim.dimParam) return dim.dimParam;
      if (dim.dimValue !== null && dim.dimValue !== undefined) return toNumber(dim.dimValue);
      return '?';
    }),
  };
}

function toNumber(value: number | { toNumber(): number }): number {
  return typeof value === 'number' ? value : value.toNumber();
}

function notOnnx(
  file: string,
  problem: string,
  model: string | undefined,
  cause?: unknown,
): RegistryError {
  return new RegistryError(
    'INVALID_ARTIFACT',
    `${problem}. Files ending in .onnx must be ONNX models (their signature is read from them); rename or replace the file.`,
    { model, path: file, cause },
  );
}
