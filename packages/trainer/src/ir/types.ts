// The graph IR: plain data describing an ONNX graph, independent of protobuf and of the runtime.

/** Element types the trainer works with (ONNX TensorProto.DataType names, lower-cased). */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int64'
  | 'int32'
  | 'int8'
  | 'uint8'
  | 'bool';

/** A dimension: a fixed size, or a symbolic name such as `'batch'` shared across values. */
export type Dim = number | string;
export type Shape = Dim[];

/** Typed array holding a tensor's elements (bool and uint8/int8 as Uint8Array/Int8Array). */
export type TensorArray =
  | Float32Array
  | Float64Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int8Array
  | Uint8Array;

/** A concrete tensor: initializers, constants, tensor attributes. Row-major. */
export interface TensorData {
  dtype: DType;
  dims: number[];
  data: TensorArray;
}

/** A graph input/output or intermediate value with its type; `shape` undefined = rank unknown. */
export interface ValueInfo {
  name: string;
  dtype: DType;
  shape?: Shape;
}

/** An attribute value, tagged with its ONNX attribute type. */
export type Attribute =
  | { type: 'int'; value: number }
  | { type: 'float'; value: number }
  | { type: 'string'; value: string }
  | { type: 'ints'; value: number[] }
  | { type: 'floats'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'tensor'; value: TensorData };

export interface Node {
  /** Unique node name (used in error messages). */
  name: string;
  opType: string;
  /** '' for the default ONNX domain, 'com.microsoft' for ONNX Runtime contrib ops. */
  domain: string;
  /** Value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Record<string, Attribute>;
}

export interface Graph {
  name: string;
  /** Default-domain opset version. */
  opset: number;
  /** Other operator domains and their versions, e.g. `{ 'com.microsoft': 1 }`. */
  extraOpsets: Record<string, number>;
  nodes: Node[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  initializers: Map<string, TensorData>;
  /** Known types/shapes of intermediate values (filled by shape inference). */
  valueInfo: Map<string, ValueInfo>;
}
