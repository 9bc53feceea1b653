// External data: save with a side file (aligned offsets), load back exactly, run the loaded model
// in ONNX Runtime, and reject locations that escape the model's folder or point at nothing.
import { mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { createSession } from '../runtime/session.js';
import { createGraphBuilder } from './builder.js';
import { EXTERNAL_DATA_ALIGNMENT, saveOnnxFile } from './external-data.js';
import { fromOnnxBytes, loadOnnxFile } from './onnx-import.js';
import { onnx } from './onnx-proto.js';
import { tensor, tensorBytes } from './tensor.js';
import type { Graph, TensorData } from './types.js';

/** Elements of a tensor as plain numbers/bigints, for comparisons. */
function valuesOf(t: TensorData | undefined): Array<number | bigint> {
  return Array.from((t?.data ?? []) as ArrayLike<number | bigint>);
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function tempDir(): Promise<string> {
  const dir = await createTempDir('ft-trainer-onnx-');
  cleanups.push(dir.cleanup);
  return dir.path;
}

/** Deterministic, non-repeating values (no RNG needed for data that only has to round-trip). */
function filled(dtype: 'float32' | 'float64', dims: number[], seed: number): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  return tensor(
    dtype,
    dims,
    Array.from({ length: n }, (_, i) => Math.sin(i * 0.37 + seed) * 0.05),
  );
}

/** Two tensors over the 1 MiB default threshold (one of an unaligned size), the rest inline. */
function largeModel(): Graph {
  const b = createGraphBuilder({ name: 'large' });
  const x = b.input('x', 'float32', ['batch', 513]);
  const w1 = b.initializer('w1', filled('float32', [513, 512], 1)); // 1,050,624 bytes
  const b1 = b.initializer('b1', filled('float32', [512], 2));
  const w2 = b.initializer('w2', filled('float32', [512, 3], 3));
  const h = b.op('Relu', [b.op('Add', [b.op('MatMul', [x, w1]), b1])]);
  const y = b.op('MatMul', [h, w2], {}, { outputs: ['y'] });
  b.output(y, 'float32', ['batch', 3]);
  const z = b.input('z', 'float64', [131073]);
  const c = b.initializer('c64', filled('float64', [131073], 4)); // 1,048,584 bytes
  b.output(b.op('Mul', [z, c], {}, { outputs: ['z2'] }), 'float64', [131073]);
  return b.graph;
}

/** Graph equality; tensors compared as bytes (deep-equal over 10⁶ elements is slow). */
function expectSameGraph(actual: Graph, expected: Graph): void {
  const strip = (g: Graph) => ({ ...g, initializers: [...g.initializers.keys()] });
  expect(strip(actual)).toEqual(strip(expected));
  for (const [name, t] of expected.initializers) {
    const a = actual.initializers.get(name) as TensorData;
    expect({ name, dtype: a.dtype, dims: a.dims, type: a.data.constructor.name }).toEqual({
      name,
      dtype: t.dtype,
      dims: t.dims,
      type: t.data.constructor.name,
    });
    expect(Buffer.from(tensorBytes(a)).equals(Buffer.from(tensorBytes(t)))).toBe(true);
  }
}

describe('saveOnnxFile / loadOnnxFile with external data', () => {
  it('creates the model folder when it does not exist yet (e.g. out/onnx/)', async () => {
    const dir = await tempDir();
    const path = join(dir, 'out', 'onnx', 'model.onnx');
    const result = await saveOnnxFile(largeModel(), path);
    expect(result.externalDataPath).toBe(join(dir, 'out', 'onnx', 'model.onnx.data'));
    expect((await readdir(join(dir, 'out', 'onnx'))).sort()).toEqual([
      'model.onnx',
      'model.onnx.data',
    ]);
  });

  it('stores large initializers in an aligned side file and loads them back exactly', async () => {
    const dir = await tempDir();
    const graph = largeModel();
    const path = join(dir, 'model.onnx');
    const result = await saveOnnxFile(graph, path);
    expect(result.externalDataPath).toBe(join(dir, 'model.onnx.data'));
    expect(result.externalTensors).toEqual(['w1', 'c64']);
    // No temp files left behind.
    expect((await readdir(dir)).sort()).toEqual(['model.onnx', 'model.onnx.data']);

    const model = onnx.ModelProto.decode(await readFile(path));
    const entries = (name: string) => {
      const t = model.graph?.initializer?.find((i) => i.name === name);
      return {
        location: t?.dataLocation,
        raw: t?.rawData?.byteLength,
        ext: Object.fromEntries((t?.externalData ?? []).map((e) => [e.key, e.value])),
      };
    };
    const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;
    expect(entries('w1')).toEqual({
      location: EXTERNAL,
      raw: 0,
      ext: { location: 'model.onnx.data', offset: '0', length: '1050624' },
    });
    // 1,050,624 rounded up to a multiple of 4096.
    expect(entries('c64')).toEqual({
      location: EXTERNAL,
      raw: 0,
      ext: { location: 'model.onnx.data', offset: '1052672', length: '1048584' },
    });
    expect(1052672 % EXTERNAL_DATA_ALIGNMENT).toBe(0);
    expect(entries('w2')).toEqual({ location: 0, raw: 512 * 3 * 4, ext: {} });
    expect((await stat(join(dir, 'model.onnx.data'))).size).toBe(1052672 + 1048584);
    expect((await stat(path)).size).toBeLessThan(20_000);

    // The side file holds the raw little-endian bytes at those offsets.
    const data = await readFile(join(dir, 'model.onnx.data'));
    const w1 = graph.initializers.get('w1') as TensorData;
    expect(data.subarray(0, 1050624).equals(Buffer.from(tensorBytes(w1)))).toBe(true);
    expect(data.subarray(1050624, 1052672).every((v) => v === 0)).toBe(true);

    const loaded = await loadOnnxFile(path);
    expectSameGraph(loaded, graph);
  });

  it('runs the reloaded model in ONNX Runtime with the same outputs as the original', async () => {
    const dir = await tempDir();
    const graph = largeModel();
    const path = join(dir, 'model.onnx');
    await saveOnnxFile(graph, path);
    const loaded = await loadOnnxFile(path);
    const feeds = {
      x: filled('float32', [2, 513], 5),
      z: filled('float64', [131073], 6),
    };
    const expected = await (await createSession(graph, { threads: 1 })).run(feeds);
    // createSession encodes the loaded graph with all data inline.
    const actual = await (await createSession(loaded, { threads: 1 })).run(feeds);
    expect(actual.y?.dims).toEqual([2, 3]);
    expect(valuesOf(actual.y)).toEqual(valuesOf(expected.y));
    const bytesOf = (t: TensorData | undefined) => Buffer.from(tensorBytes(t as TensorData));
    expect(bytesOf(actual.z2).equals(bytesOf(expected.z2))).toBe(true);
    // And against the host: z2 = z · c64 elementwise, exactly in float64.
    const c = loaded.initializers.get('c64')?.data as Float64Array;
    const z = feeds.z.data as Float64Array;
    const z2 = actual.z2?.data as Float64Array;
    expect([z2[0], z2[131072]]).toEqual([
      (z[0] as number) * (c[0] as number),
      (z[131072] as number) * (c[131072] as number),
    ]);
  });

  it('keeps everything inline under the threshold and honours a custom file name', async () => {
    const dir = await tempDir();
    const graph = largeModel();
    const small = await saveOnnxFile(graph, join(dir, 'inline.onnx'), {
      externalDataThreshold: 4 * 1024 * 1024,
    });
    expect(small.externalDataPath).toBeUndefined();
    expectSameGraph(await loadOnnxFile(join(dir, 'inline.onnx')), graph);
    const custom = await saveOnnxFile(graph, join(dir, 'm.onnx'), {
      externalDataThreshold: 2048,
      externalDataFile: 'weights.bin',
    });
    expect(custom.externalTensors).toEqual(['w1', 'b1', 'w2', 'c64']);
    expectSameGraph(await loadOnnxFile(join(dir, 'm.onnx')), graph);
    await expect(
      saveOnnxFile(graph, join(dir, 'x.onnx'), { externalDataFile: '../outside.bin' }),
    ).rejects.toThrow(/must be a relative path inside the model's folder/);
  });
});

describe('external data locations', () => {
  /** A one-initializer model whose tensor lives at `location`. */
  function externalModel(location: string, offset = 0, length = 8): Uint8Array {
    return onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ version: 18 }],
      graph: {
        name: 'g',
        initializer: [
          {
            name: 'w',
            dataType: onnx.TensorProto.DataType.FLOAT,
            dims: [2],
            dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
            externalData: [
              { key: 'location', value: location },
              { key: 'offset', value: String(offset) },
              { key: 'length', value: String(length) },
            ],
          },
        ],
      },
    }).finish();
  }

  async function expectOnnxIo(promise: () => unknown, pattern: RegExp): Promise<TrainerError> {
    let error: unknown;
    try {
      await promise();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainerError);
    expect((error as TrainerError).code).toBe('ONNX_IO');
    expect((error as TrainerError).message).toMatch(pattern);
    return error as TrainerError;
  }

  it('reads a tensor at an offset inside the folder (also in a subfolder)', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'sub'));
    const floats = new Float32Array([0, 0, 1.5, -2]);
    await writeFile(join(dir, 'sub', 'w.bin'), new Uint8Array(floats.buffer));
    const g = fromOnnxBytes(externalModel('sub/w.bin', 8, 8), { baseDir: dir });
    expect(valuesOf(g.initializers.get('w'))).toEqual([1.5, -2]);
  });

  it('rejects locations that escape the folder: .., absolute, via a symlink', async () => {
    const root = await tempDir();
    const dir = join(root, 'model');
    await mkdir(dir);
    await writeFile(join(root, 'secret.bin'), new Uint8Array(8));
    await expectOnnxIo(
      () => fromOnnxBytes(externalModel('../secret.bin'), { baseDir: dir, file: 'm.onnx' }),
      /m\.onnx: external data location "\.\.\/secret\.bin" escapes the folder/,
    );
    await expectOnnxIo(
      () => fromOnnxBytes(externalModel('a/../../secret.bin'), { baseDir: dir }),
      /escapes the folder/,
    );
    await expectOnnxIo(
      () => fromOnnxBytes(externalModel(join(root, 'secret.bin')), { baseDir: dir }),
      /is absolute/,
    );
    await expectOnnxIo(
      () => fromOnnxBytes(externalModel('C:\\secret.bin'), { baseDir: dir }),
      /is absolute/,
    );
    await symlink(join(root, 'secret.bin'), join(dir, 'link.bin'));
    await expectOnnxIo(
      () => fromOnnxBytes(externalModel('link.bin'), { baseDir: dir }),
      /is a link that leads outside the folder/,
    );
  });

  it('names a missing external file, a short file, and a model loaded without a folder', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'model.onnx'), externalModel('weights.bin'));
    const missing = await expectOnnxIo(
      () => loadOnnxFile(join(dir, 'model.onnx')),
      /external data file "weights\.bin" was not found next to the model/,
    );
    expect(missing.file).toBe(join(dir, 'model.onnx'));
    await writeFile(join(dir, 'weights.bin'), new Uint8Array(12));
    await writeFile(join(dir, 'model.onnx'), externalModel('weights.bin', 8, 8));
    await expectOnnxIo(
      () => loadOnnxFile(join(dir, 'model.onnx')),
      /tensor "w" needs bytes 8\.\.16 of "weights\.bin", which has only 12 bytes/,
    );
    await expectOnnxIo(
      () => fromOnnxBytes(externalModel('weights.bin')),
      /keeps tensors in external data files; load it with loadOnnxFile/,
    );
  });
});
