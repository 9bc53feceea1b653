// ONNX import: byte-level round trips of every attribute type and dtype, typed-field tensors,
// initializers listed as inputs, and clear ONNX_IO errors for corrupt or unsupported models.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { createSession } from '../runtime/session.js';
import { createGraphBuilder, float } from './builder.js';
import { toOnnxBytes } from './onnx-export.js';
import { fromOnnxBytes, loadOnnxFile } from './onnx-import.js';
import { onnx } from './onnx-proto.js';
import { tensor } from './tensor.js';
import type { Graph, TensorData } from './types.js';

/** Elements of a tensor as plain numbers/bigints, for comparisons. */
function valuesOf(t: TensorData | undefined): Array<number | bigint> {
  return Array.from((t?.data ?? []) as ArrayLike<number | bigint>);
}

function catchError(fn: () => unknown): TrainerError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(TrainerError);
    return error as TrainerError;
  }
  throw new Error('expected a TrainerError');
}

function graphWithEverything(): Graph {
  const b = createGraphBuilder({ name: 'everything', opset: 18 });
  b.graph.extraOpsets['com.microsoft'] = 1;
  const x = b.input('x', 'float32', ['batch', 4]);
  b.input('unknown_rank', 'int64');
  b.initializer('f32', tensor('float32', [2, 2], [1.5, -2.25, 3e-8, 1e30]));
  b.initializer('f64', tensor('float64', [3], [Math.PI, -1e-300, 1e300]));
  // float16 bits: 1.0, -2.0, +inf, smallest subnormal.
  b.initializer('f16', tensor('float16', [4], [0x3c00, 0xc000, 0x7c00, 0x0001]));
  b.initializer(
    'i64',
    tensor('int64', [3], [9223372036854775807n, -9223372036854775808n, 2n ** 53n + 1n]),
  );
  b.initializer('i32', tensor('int32', [2], [-2147483648, 2147483647]));
  b.initializer('i8', tensor('int8', [3], [-128, 0, 127]));
  b.initializer('u8', tensor('uint8', [2], [0, 255]));
  b.initializer('flag', tensor('bool', [2], [1, 0]));
  b.initializer('empty', tensor('float32', [0, 3], []));
  b.initializer('scalar', tensor('int64', [], [42]));
  const y = b.op(
    'Custom',
    [x, '', 'f32'],
    {
      an_int: -7,
      a_float: float(0.5),
      a_string: 'héllo ✓',
      some_ints: [1, -2, 3],
      some_floats: [0.25, -1.5],
      some_strings: ['a', 'βγ', ''],
      a_tensor: tensor('int32', [2], [5, -6]),
      big_int: 9007199254740991,
    },
    { domain: 'com.microsoft', name: 'custom_node' },
  );
  const z = b.op('Relu', [y]);
  b.graph.valueInfo.set(y, { name: y, dtype: 'float32', shape: ['batch', 4] });
  b.output(z, 'float32', ['batch', 4]);
  return b.graph;
}

describe('fromOnnxBytes', () => {
  it('round-trips graph → bytes → graph with every attribute type and dtype', () => {
    const graph = graphWithEverything();
    const back = fromOnnxBytes(toOnnxBytes(graph));
    expect(back).toEqual(graph);
    // Typed arrays keep their classes (toEqual checks these too; explicit for readers).
    expect(back.initializers.get('i64')?.data).toBeInstanceOf(BigInt64Array);
    expect(back.initializers.get('f16')?.data).toBeInstanceOf(Uint16Array);
    expect(back.initializers.get('flag')?.data).toBeInstanceOf(Uint8Array);
    // And the re-encoded bytes are identical.
    expect(Buffer.from(toOnnxBytes(back)).equals(Buffer.from(toOnnxBytes(graph)))).toBe(true);
  });

  it('reads typed data fields, drops initializers listed as inputs, names nameless nodes', () => {
    const DT = onnx.TensorProto.DataType;
    const bytes = onnx.ModelProto.encode(
      onnx.ModelProto.create({
        irVersion: 8,
        opsetImport: [{ domain: 'ai.onnx', version: 17 }],
        graph: {
          name: 'typed',
          node: [
            { opType: 'Add', input: ['x', 'w'], output: ['y'] },
            { opType: 'Identity', input: ['y'], output: ['z'] },
          ],
          initializer: [
            { name: 'w', dataType: DT.FLOAT, dims: [2], floatData: [0.5, -3] },
            { name: 'd', dataType: DT.DOUBLE, dims: [2], doubleData: [1e-300, 2.5] },
            { name: 'l', dataType: DT.INT64, dims: [2], int64Data: [-5, 1234567890123] },
            { name: 'i', dataType: DT.INT32, dims: [1], int32Data: [-9] },
            { name: 'h', dataType: DT.FLOAT16, dims: [1], int32Data: [0x3c00] },
            { name: 'b', dataType: DT.BOOL, dims: [3], int32Data: [1, 0, 1] },
            { name: 'u', dataType: DT.UINT8, dims: [1], int32Data: [200] },
            { name: 's', dataType: DT.INT8, dims: [1], int32Data: [-100] },
          ],
          input: [
            {
              name: 'x',
              type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 2 }] } } },
            },
            {
              name: 'w',
              type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{ dimValue: 2 }] } } },
            },
          ],
          output: [
            { name: 'z', type: { tensorType: { elemType: DT.FLOAT, shape: { dim: [{}] } } } },
          ],
        },
      }),
    ).finish();
    const g = fromOnnxBytes(bytes);
    expect(g.opset).toBe(17);
    expect(g.inputs.map((i) => i.name)).toEqual(['x']);
    expect(g.outputs[0]?.shape).toEqual(['z_dim0']);
    expect(g.nodes.map((n) => n.name)).toEqual(['Add_0', 'Identity_1']);
    const values = (name: string) => valuesOf(g.initializers.get(name));
    expect(values('w')).toEqual([0.5, -3]);
    expect(values('d')).toEqual([1e-300, 2.5]);
    expect(values('l')).toEqual([-5n, 1234567890123n]);
    expect(values('i')).toEqual([-9]);
    expect(values('h')).toEqual([0x3c00]);
    expect(values('b')).toEqual([1, 0, 1]);
    expect(values('u')).toEqual([200]);
    expect(values('s')).toEqual([-100]);
  });

  it('runs an imported model in ONNX Runtime with the same results', async () => {
    const b = createGraphBuilder({ name: 'mlp' });
    const x = b.input('x', 'float32', ['batch', 3]);
    const w = b.initializer('w', tensor('float32', [3, 2], [1, -1, 0.5, 2, -0.25, 0]));
    const c = b.constant(tensor('float32', [2], [0.125, -0.5]));
    const h = b.op('Add', [b.op('MatMul', [x, w]), c]);
    const y = b.op('Gelu', [h], { approximate: 'tanh' }, { name: 'gelu' });
    b.output(y, 'float32', ['batch', 2]);
    b.graph.opset = 20;
    const back = fromOnnxBytes(toOnnxBytes(b.graph));
    const feed = { x: tensor('float32', [2, 3], [1, 2, 3, -1, 0.5, 4]) };
    const expected = await (await createSession(b.graph)).run(feed);
    const actual = await (await createSession(back)).run(feed);
    expect(actual[y]?.dims).toEqual([2, 2]);
    expect(valuesOf(actual[y])).toEqual(valuesOf(expected[y]));
  });

  it('rejects truncated and corrupt bytes with ONNX_IO naming the file', () => {
    const bytes = toOnnxBytes(graphWithEverything());
    const truncated = catchError(() =>
      fromOnnxBytes(bytes.slice(0, Math.floor(bytes.length / 2)), { file: 'half.onnx' }),
    );
    expect(truncated.code).toBe('ONNX_IO');
    expect(truncated.file).toBe('half.onnx');
    expect(truncated.message).toMatch(/half\.onnx: not a valid ONNX model \(truncated or corrupt/);
    const garbage = catchError(() => fromOnnxBytes(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f])));
    expect(garbage.code).toBe('ONNX_IO');
    const noGraph = catchError(() =>
      fromOnnxBytes(onnx.ModelProto.encode({ irVersion: 8 }).finish()),
    );
    expect(noGraph.message).toMatch(/has no graph/);
  });

  it('rejects unsupported data types and mismatched data sizes', () => {
    const model = (t: import('onnx-proto').onnx.ITensorProto) =>
      onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ version: 18 }],
        graph: { name: 'g', initializer: [t] },
      }).finish();
    const bf16 = catchError(() =>
      fromOnnxBytes(model({ name: 'w', dataType: 16, dims: [1], rawData: new Uint8Array(2) })),
    );
    expect(bf16.code).toBe('ONNX_IO');
    expect(bf16.message).toMatch(/tensor "w" has ONNX data type BFLOAT16 \(16\)/);
    const strings = catchError(() =>
      fromOnnxBytes(model({ name: 's', dataType: 8, dims: [1], stringData: [new Uint8Array(1)] })),
    );
    expect(strings.message).toMatch(/STRING/);
    const short = catchError(() =>
      fromOnnxBytes(model({ name: 'w', dataType: 1, dims: [3], rawData: new Uint8Array(8) })),
    );
    expect(short.message).toMatch(/needs 12 bytes of data, found 8/);
    const fewValues = catchError(() =>
      fromOnnxBytes(model({ name: 'w', dataType: 7, dims: [3], int64Data: [1, 2] })),
    );
    expect(fewValues.message).toMatch(/needs 3 values, found 2 in int64_data/);
    const subgraph = catchError(() =>
      fromOnnxBytes(
        onnx.ModelProto.encode({
          irVersion: 8,
          opsetImport: [{ version: 18 }],
          graph: {
            name: 'g',
            node: [
              {
                name: 'if0',
                opType: 'If',
                input: ['c'],
                output: ['o'],
                attribute: [{ name: 'then_branch', type: 5, g: { name: 'then' } }],
              },
            ],
          },
        }).finish(),
      ),
    );
    expect(subgraph.message).toMatch(/op If node "if0": attribute "then_branch" has type GRAPH/);
  });

  it('loadOnnxFile names a missing file', async () => {
    await expect(loadOnnxFile('/nonexistent/folder/model.onnx')).rejects.toThrow(
      /\/nonexistent\/folder\/model\.onnx: cannot read the model/,
    );
  });
});
