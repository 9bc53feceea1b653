// packSmallTensors: small tensors of one key become one flat item per field, large ones, tensors of
// unknown size and lone group members stay as they are, and an elementwise update of the packed
// items unpacks to exactly what the same update gives per tensor (run by ONNX Runtime).
import { describe, expect, it } from 'vitest';
import { randomTensor } from '../autodiff/testing.js';
import { createGraphBuilder } from '../ir/builder.js';
import type { Dim, TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { packSmallTensors } from './pack.js';

const ITEMS: Array<{ name: string; dims: Dim[]; key: string }> = [
  { name: 'w_big', dims: [40, 30], key: 'a' }, // 1200 elements: over the limit of 1000 below
  { name: 'bias1', dims: [7], key: 'a' },
  { name: 'norm_w', dims: [7], key: 'b' },
  { name: 'head_w', dims: [2, 5], key: 'a' },
  { name: 'dynamic', dims: ['n', 3], key: 'a' },
  { name: 'scale', dims: [], key: 'a' },
  { name: 'norm_b', dims: [7], key: 'b' },
  { name: 'lonely', dims: [4], key: 'c' },
];

describe('packSmallTensors', () => {
  it('groups small tensors per key and unpacks an update to the per-tensor result, bit for bit', async () => {
    const b = createGraphBuilder({ name: 'pack', opset: 20 });
    const feeds: Record<string, TensorData> = {};
    const items = ITEMS.map(({ name, dims, key }, i) => {
      const concrete = dims.map((d) => (typeof d === 'number' ? d : 4));
      const x = b.input(`${name}.x`, 'float32', dims);
      const y = b.input(`${name}.y`, 'float32', dims);
      feeds[x] = randomTensor('float32', concrete, 2 * i + 1) as TensorData;
      feeds[y] = randomTensor('float32', concrete, 2 * i + 2) as TensorData;
      return { values: [x, y], dims, key };
    });
    const packed = packSmallTensors(b, items, 1000);

    // Packed: bias1 + head_w + scale (key a), norm_w + norm_b (key b); the rest as given.
    expect(packed.items.map((item) => item.first)).toEqual([0, 1, 2, 4, 7]);
    expect(packed.items[0]?.values).toEqual(['w_big.x', 'w_big.y']);
    expect(packed.items[3]?.values).toEqual(['dynamic.x', 'dynamic.y']);
    expect(packed.items[4]?.values).toEqual(['lonely.x', 'lonely.y']);
    const concats = b.graph.nodes.filter((n) => n.opType === 'Concat');
    expect(concats.map((n) => n.inputs.length)).toEqual([3, 3, 2, 2]);

    // An elementwise "update" with two results per item: x·y and x − y.
    const results = packed.unpack(
      packed.items.map(({ values: [x, y] }) => [
        b.op('Mul', [x as string, y as string]),
        b.op('Sub', [x as string, y as string]),
      ]),
    );
    const perTensor = items.map(({ values: [x, y] }) => [
      b.op('Mul', [x as string, y as string]),
      b.op('Sub', [x as string, y as string]),
    ]);
    results.forEach((pair, i) => {
      pair.forEach((value, k) => {
        b.op('Identity', [value], {}, { outputs: [`packed_${i}_${k}`] });
        b.output(`packed_${i}_${k}`, 'float32');
        b.op('Identity', [perTensor[i]?.[k] as string], {}, { outputs: [`plain_${i}_${k}`] });
        b.output(`plain_${i}_${k}`, 'float32');
      });
    });
    const session = await createSession(b.graph, { threads: 1 });
    const out = await session.run(feeds);
    await session.release();
    ITEMS.forEach(({ dims }, i) => {
      for (const k of [0, 1]) {
        const got = out[`packed_${i}_${k}`] as TensorData;
        const want = out[`plain_${i}_${k}`] as TensorData;
        expect(got.dims).toEqual(want.dims);
        expect(got.dims.length).toBe(dims.length);
        expect(Array.from(got.data as Float32Array)).toEqual(Array.from(want.data as Float32Array));
      }
    });
  });

  it('returns the items unchanged when no two small tensors share a key', () => {
    const b = createGraphBuilder({ name: 'none', opset: 20 });
    const items = [
      { values: [b.input('a', 'float32', [3])], dims: [3], key: 'x' },
      { values: [b.input('b', 'float32', [3])], dims: [3], key: 'y' },
    ];
    const packed = packSmallTensors(b, items);
    expect(packed.items.map((item) => item.values)).toEqual([['a'], ['b']]);
    expect(packed.unpack([['a2'], ['b2']])).toEqual([['a2'], ['b2']]);
    expect(b.graph.nodes).toEqual([]);
  });
});
