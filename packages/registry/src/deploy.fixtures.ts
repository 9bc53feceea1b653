// Test fixtures for the deployment, retention and export tests: small valid ONNX models with
// seeded weights, seeded byte strings, and an error-code assertion. Never imported by the package
// itself.
import { createRng } from '@ft/data';
import onnxProto from 'onnx-proto';
import { expect } from 'vitest';
import { RegistryError } from './index.js';

const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };

/** `count` seeded bytes; the same seed gives the same bytes everywhere. */
export function seededBytes(seed: string, count: number): Uint8Array {
  const rng = createRng(seed);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = rng.int(256);
  return out;
}

/**
 * A valid ONNX model `y = x + w` with `floats` seeded weights in `w`, so different seeds or sizes
 * give different bytes (and the registry can read its signature).
 */
export function tinyOnnx(seed: string, floats = 16): Uint8Array {
  const rng = createRng(seed);
  const weights = Array.from({ length: floats }, () => rng.next() * 2 - 1);
  const DT = onnx.TensorProto.DataType;
  const tensor = (name: string) => ({
    name,
    type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: floats }] } } },
  });
  // A plain Uint8Array copy: protobufjs hands back a Buffer, which compares unequal in tests.
  const bytes = onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph: {
        name: `fixture-${seed}`,
        node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'] }],
        initializer: [{ name: 'w', dataType: DT.FLOAT, dims: [floats], floatData: weights }],
        input: [tensor('x')],
        output: [tensor('y')],
      },
    }),
  ).finish();
  return new Uint8Array(bytes);
}

/** Awaits `promise`, expects it to reject with a RegistryError of `code`, and returns that error. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<RegistryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RegistryError);
  expect((error as RegistryError).code).toBe(code);
  return error as RegistryError;
}
