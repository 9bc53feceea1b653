// The protobuf classes of the ONNX schema (onnx-proto ships CommonJS; this is its one import site).
import onnxProto from 'onnx-proto';

export const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };
