// Reads ONNX ModelProto bytes or files into the graph IR: opsets, nodes, attributes, initializers
// (raw, typed-field and external data), inputs/outputs and value_info.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { TrainerError } from '../errors.js';
import {
  createExternalDataReader,
  type ExternalDataReader,
  parseExternalData,
} from './external-data.js';
import { onnx } from './onnx-proto.js';
import { allocate, dtypeSize, ONNX_DTYPE_CODE, sizeOf } from './tensor.js';
import type { Attribute, Dim, DType, Graph, Node, TensorData, ValueInfo } from './types.js';

export interface FromOnnxBytesOptions {
  /** Folder that external data locations are relative to; required when the model has any. */
  baseDir?: string;
  /** File name used in error messages. @default 'ONNX model' */
  file?: string;
}

/** protobufjs gives int64 fields as Long objects (or numbers without the long package). */
type LongLike = number | string | { low: number; high: number; unsigned?: boolean };

function toBigInt(v: LongLike): bigint {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string') return BigInt(v);
  const u = (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

function toNumber(v: LongLike, what: string, file: string): number {
  const n = toBigInt(v);
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
    // INT64_MAX/MIN are common "to the end" markers in Slice attributes; keep them approximate.
    if (what === 'attribute') return Number(n);
    throw new TrainerError('ONNX_IO', `${what} ${n} does not fit a JavaScript number`, { file });
  }
  return Number(n);
}

const DTYPE_BY_CODE = new Map<number, DType>(
  Object.entries(ONNX_DTYPE_CODE).map(([dtype, code]) => [code, dtype as DType]),
);
const ONNX_TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED',
  4: 'UINT16',
  5: 'INT16',
  8: 'STRING',
  12: 'UINT32',
  13: 'UINT64',
  14: 'COMPLEX64',
  15: 'COMPLEX128',
  16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN',
  18: 'FLOAT8E4M3FNUZ',
  19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ',
  21: 'UINT4',
  22: 'INT4',
};

function dtypeOf(code: number | null | undefined, where: string, file: string): DType {
  const dtype = DTYPE_BY_CODE.get(code ?? 0);
  if (dtype === undefined) {
    const name = ONNX_TYPE_NAMES[code ?? 0] ?? String(code);
    throw new TrainerError(
      'ONNX_IO',
      `${where} has ONNX data type ${name} (${code}), which @ft/trainer does not support (supported: ${[...DTYPE_BY_CODE.values()].join(', ')})`,
      { file },
    );
  }
  return dtype;
}

interface DecodeContext {
  file: string;
  external: () => ExternalDataReader;
}

/** Decodes a TensorProto from any of its storage forms into a TensorData. */
function decodeTensor(t: import('onnx-proto').onnx.ITensorProto, ctx: DecodeContext): TensorData {
  const name = t.name || '<unnamed>';
  const where = `tensor "${name}"`;
  const dtype = dtypeOf(t.dataType, where, ctx.file);
  const dims = (t.dims ?? []).map((d) => toNumber(d as LongLike, `${where} dimension`, ctx.file));
  if (dims.some((d) => d < 0)) {
    throw new TrainerError('ONNX_IO', `${where} has a negative dimension [${dims.join(', ')}]`, {
      file: ctx.file,
    });
  }
  const n = sizeOf(dims);
  if (t.segment) {
    throw new TrainerError('ONNX_IO', `${where} is segmented, which is not supported`, {
      file: ctx.file,
    });
  }
  const fromRaw = (bytes: Uint8Array): TensorData => {
    const expected = n * dtypeSize(dtype);
    if (bytes.byteLength !== expected) {
      throw new TrainerError(
        'ONNX_IO',
        `${where} (${dtype} [${dims.join(', ')}]) needs ${expected} bytes of data, found ${bytes.byteLength}`,
        { file: ctx.file },
      );
    }
    const data = allocate(dtype, n);
    // Copy: the source may be an unaligned view into the model buffer.
    new Uint8Array(data.buffer, data.byteOffset, data.byteLength).set(bytes);
    return { dtype, dims, data };
  };
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const ref = parseExternalData(t.externalData ?? [], { tensor: name, file: ctx.file });
    return fromRaw(ctx.external().read(ref, name));
  }
  if (t.rawData && t.rawData.byteLength > 0) return fromRaw(t.rawData);
  const data = allocate(dtype, n);
  const typed = (values: ArrayLike<unknown> | null | undefined, field: string) => {
    const count = values?.length ?? 0;
    if (count !== n) {
      throw new TrainerError(
        'ONNX_IO',
        `${where} (${dtype} [${dims.join(', ')}]) needs ${n} values, found ${count} in ${field}`,
        { file: ctx.file },
      );
    }
    return values as ArrayLike<unknown>;
  };
  switch (dtype) {
    case 'float32': {
      const v = typed(t.floatData, 'float_data');
      for (let i = 0; i < n; i++) (data as Float32Array)[i] = v[i] as number;
      break;
    }
    case 'float64': {
      const v = typed(t.doubleData, 'double_data');
      for (let i = 0; i < n; i++) (data as Float64Array)[i] = v[i] as number;
      break;
    }
    case 'int64': {
      const v = typed(t.int64Data as LongLike[] | null | undefined, 'int64_data');
      for (let i = 0; i < n; i++) (data as BigInt64Array)[i] = toBigInt(v[i] as LongLike);
      break;
    }
    default: {
      // int32, int8, uint8, bool and float16 (as its 16 bits) all live in int32_data.
      const v = typed(t.int32Data, 'int32_data');
      for (let i = 0; i < n; i++) (data as Int32Array)[i] = v[i] as number;
    }
  }
  return { dtype, dims, data };
}

const T = onnx.AttributeProto.AttributeType;
const ATTRIBUTE_TYPE_NAMES: Record<number, string> = {
  5: 'GRAPH',
  9: 'TENSORS',
  10: 'GRAPHS',
  11: 'SPARSE_TENSOR',
  12: 'SPARSE_TENSORS',
  13: 'TYPE_PROTO',
  14: 'TYPE_PROTOS',
};

function decodeAttribute(
  a: import('onnx-proto').onnx.IAttributeProto,
  node: string,
  op: string,
  ctx: DecodeContext,
): Attribute {
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  let type = a.type ?? T.UNDEFINED;
  if (type === T.UNDEFINED) {
    // Models from old exporters leave the type unset; infer it from the field that is filled.
    if (a.t) type = T.TENSOR;
    else if (a.s && a.s.byteLength > 0) type = T.STRING;
    else if (a.ints && a.ints.length > 0) type = T.INTS;
    else if (a.floats && a.floats.length > 0) type = T.FLOATS;
    else if (a.strings && a.strings.length > 0) type = T.STRINGS;
    else if (a.f !== undefined && a.f !== null && a.f !== 0) type = T.FLOAT;
    else type = T.INT;
  }
  switch (type) {
    case T.INT:
      return { type: 'int', value: toNumber((a.i ?? 0) as LongLike, 'attribute', ctx.file) };
    case T.FLOAT:
      return { type: 'float', value: a.f ?? 0 };
    case T.STRING:
      return { type: 'string', value: text(a.s ?? new Uint8Array()) };
    case T.INTS:
      return {
        type: 'ints',
        value: (a.ints ?? []).map((v) => toNumber(v as LongLike, 'attribute', ctx.file)),
      };
    case T.FLOATS:
      return { type: 'floats', value: [...(a.floats ?? [])] };
    case T.STRINGS:
      return { type: 'strings', value: (a.strings ?? []).map(text) };
    case T.TENSOR:
      return { type: 'tensor', value: decodeTensor(a.t ?? {}, ctx) };
    default:
      throw new TrainerError(
        'ONNX_IO',
        `attribute "${a.name}" has type ${ATTRIBUTE_TYPE_NAMES[type] ?? type}, which the graph IR cannot hold (subgraph and sparse attributes are not supported)`,
        { file: ctx.file, node, op },
      );
  }
}

function decodeValueInfo(
  v: import('onnx-proto').onnx.IValueInfoProto,
  ctx: DecodeContext,
): ValueInfo {
  const name = v.name ?? '';
  const tensorType = v.type?.tensorType;
  if (!tensorType) {
    throw new TrainerError(
      'ONNX_IO',
      `value "${name}" is not a tensor (sequence, map and optional types are not supported)`,
      { file: ctx.file },
    );
  }
  const dtype = dtypeOf(tensorType.elemType, `value "${name}"`, ctx.file);
  if (!tensorType.shape) return { name, dtype };
  const shape: Dim[] = (tensorType.shape.dim ?? []).map((d, i) => {
    if (d.dimParam) return d.dimParam;
    if (d.dimValue !== undefined && d.dimValue !== null) {
      return toNumber(d.dimValue as LongLike, `value "${name}" dimension`, ctx.file);
    }
    // A dimension with neither value nor name: give it a name of its own.
    return `${name}_dim${i}`;
  });
  return { name, dtype, shape };
}

/**
 * Decodes ONNX model bytes into a graph. External data is read relative to `baseDir`
 * (locations outside it are rejected). Initializers listed among the graph inputs are
 * dropped from the inputs.
 */
export function fromOnnxBytes(bytes: Uint8Array, options: FromOnnxBytesOptions = {}): Graph {
  const { baseDir, file = 'ONNX model' } = options;
  let model: import('onnx-proto').onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new TrainerError(
      'ONNX_IO',
      `not a valid ONNX model (truncated or corrupt protobuf: ${(error as Error).message})`,
      { file, cause: error },
    );
  }
  const g = model.graph;
  if (!g) {
    throw new TrainerError('ONNX_IO', 'the model has no graph (is this an ONNX file?)', { file });
  }
  let opset: number | undefined;
  const extraOpsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) {
    const version = toNumber((o.version ?? 0) as LongLike, 'opset version', file);
    if (!o.domain || o.domain === 'ai.onnx') opset = version;
    else extraOpsets[o.domain] = version;
  }
  if (opset === undefined) {
    throw new TrainerError('ONNX_IO', 'the model imports no default-domain (ai.onnx) opset', {
      file,
    });
  }

  let reader: ExternalDataReader | undefined;
  const ctx: DecodeContext = {
    file,
    external: () => {
      if (reader) return reader;
      if (baseDir === undefined) {
        throw new TrainerError(
          'ONNX_IO',
          'the model keeps tensors in external data files; load it with loadOnnxFile(path) or pass { baseDir }',
          { file },
        );
      }
      reader = createExternalDataReader(baseDir, file);
      return reader;
    },
  };
  try {
    const initializers = new Map<string, TensorData>();
    for (const t of g.initializer ?? []) {
      const name = t.name ?? '';
      if (initializers.has(name)) {
        throw new TrainerError('ONNX_IO', `initializer "${name}" is defined twice`, { file });
      }
      initializers.set(name, decodeTensor(t, ctx));
    }
    if ((g.sparseInitializer ?? []).length > 0) {
      throw new TrainerError('ONNX_IO', 'sparse initializers are not supported', { file });
    }

    // ONNX allows empty and repeated node names; the IR names nodes uniquely for errors.
    const allNames = new Set<string>();
    for (const n of g.node ?? []) if (n.name) allNames.add(n.name);
    const assigned = new Set<string>();
    const nodes: Node[] = (g.node ?? []).map((n, index) => {
      const opType = n.opType ?? '';
      let name = n.name ?? '';
      if (!name || assigned.has(name)) {
        let k = index;
        name = `${opType}_${k}`;
        while (allNames.has(name) || assigned.has(name)) name = `${opType}_${++k}`;
      }
      assigned.add(name);
      const attributes: Record<string, Attribute> = {};
      for (const a of n.attribute ?? []) {
        attributes[a.name ?? ''] = decodeAttribute(a, name, opType, ctx);
      }
      return {
        name,
        opType,
        domain: n.domain === 'ai.onnx' ? '' : (n.domain ?? ''),
        inputs: [...(n.input ?? [])],
        outputs: [...(n.output ?? [])],
        attributes,
      };
    });

    const valueInfo = new Map<string, ValueInfo>();
    for (const v of g.valueInfo ?? []) {
      const info = decodeValueInfo(v, ctx);
      valueInfo.set(info.name, info);
    }
    return {
      name: g.name ?? 'graph',
      opset,
      extraOpsets,
      nodes,
      inputs: (g.input ?? [])
        .filter((v) => !initializers.has(v.name ?? ''))
        .map((v) => decodeValueInfo(v, ctx)),
      outputs: (g.output ?? []).map((v) => decodeValueInfo(v, ctx)),
      initializers,
      valueInfo,
    };
  } finally {
    reader?.close();
  }
}

/** Reads an ONNX file, with its external data resolved relative to the file's folder. */
export async function loadOnnxFile(path: string): Promise<Graph> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new TrainerError('ONNX_IO', `cannot read the model: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  return fromOnnxBytes(bytes, { baseDir: dirname(path), file: path });
}
