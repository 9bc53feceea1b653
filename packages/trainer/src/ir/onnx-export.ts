// Serialises the graph IR to ONNX ModelProto bytes (what InferenceSession.create and files take).
import { TrainerError } from '../errors.js';
import { onnx } from './onnx-proto.js';
import { ONNX_DTYPE_CODE, tensorBytes } from './tensor.js';
import type { Attribute, Graph, Shape, TensorData, ValueInfo } from './types.js';

/** The lowest IR version that carries a given default-domain opset (ONNX's versioning table). */
export function irVersionForOpset(opset: number): number {
  if (opset <= 20) return 9;
  if (opset <= 22) return 10;
  return 11;
}

export function tensorToProto(name: string, t: TensorData): import('onnx-proto').onnx.ITensorProto {
  return {
    name,
    dataType: ONNX_DTYPE_CODE[t.dtype],
    dims: t.dims,
    rawData: tensorBytes(t),
  };
}

function shapeToProto(shape: Shape): import('onnx-proto').onnx.ITensorShapeProto {
  return { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
}

function valueInfoToProto(v: ValueInfo): import('onnx-proto').onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE_CODE[v.dtype],
        ...(v.shape ? { shape: shapeToProto(v.shape) } : {}),
      },
    },
  };
}

function attributeToProto(name: string, a: Attribute): import('onnx-proto').onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case 'int':
      return { name, type: T.INT, i: a.value };
    case 'float':
      return { name, type: T.FLOAT, f: a.value };
    case 'string':
      return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'ints':
      return { name, type: T.INTS, ints: a.value };
    case 'floats':
      return { name, type: T.FLOATS, floats: a.value };
    case 'strings':
      return { name, type: T.STRINGS, strings: a.value.map((s) => new TextEncoder().encode(s)) };
    case 'tensor':
      return { name, type: T.TENSOR, t: tensorToProto('', a.value) };
  }
}

export interface ToModelProtoOptions {
  /** Producer name written into the model. @default '@ft/trainer' */
  producerName?: string;
  /** Write intermediate value types (graph.valueInfo). @default true */
  includeValueInfo?: boolean;
}

/** The graph as an ONNX ModelProto message object (before encoding). */
export function toModelProto(
  graph: Graph,
  options: ToModelProtoOptions = {},
): import('onnx-proto').onnx.IModelProto {
  const { producerName = '@ft/trainer', includeValueInfo = true } = options;
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const inputs = new Set(graph.inputs.map((i) => i.name));
  return {
    irVersion: irVersionForOpset(graph.opset),
    producerName,
    opsetImport: [
      { domain: '', version: graph.opset },
      ...Object.entries(graph.extraOpsets).map(([domain, version]) => ({ domain, version })),
    ],
    graph: {
      name: graph.name,
      node: graph.nodes.map((n) => ({
        name: n.name,
        opType: n.opType,
        domain: n.domain,
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes).map(([k, a]) => attributeToProto(k, a)),
      })),
      input: graph.inputs.map(valueInfoToProto),
      output: graph.outputs.map(valueInfoToProto),
      initializer: [...graph.initializers].map(([name, t]) => tensorToProto(name, t)),
      valueInfo: includeValueInfo
        ? [...graph.valueInfo.values()]
            .filter((v) => !outputs.has(v.name) && !inputs.has(v.name))
            .map(valueInfoToProto)
        : [],
    },
  };
}

/** Encodes the graph as ONNX model bytes. */
export function toOnnxBytes(graph: Graph, options: ToModelProtoOptions = {}): Uint8Array {
  try {
    return onnx.ModelProto.encode(onnx.ModelProto.create(toModelProto(graph, options))).finish();
  } catch (error) {
    throw new TrainerError(
      'ONNX_IO',
      `could not encode graph "${graph.name}" as ONNX: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
