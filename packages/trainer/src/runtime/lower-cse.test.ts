// mergeCommonSubexpressions (through lowerForOrt): shape-derived computations repeated across the
// graph — dropout's element indices from Size(x) above all — run once, giving what ONNX Runtime
// gives for the graph as written; what it must leave alone is left alone: nodes reading data,
// nodes producing graph outputs, large constants, values of different shapes.
import { describe, expect, it } from 'vitest';
import { randomTensor } from '../autodiff/testing.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { statelessDropout } from '../models/dropout.js';
import { lowerForOrt } from './lower.js';
import { expectLoweringKeepsResults } from './testing.js';

const count = (graph: Graph, op: string) => graph.nodes.filter((n) => n.opType === op).length;

const expectSameResults = (graph: Graph, feeds: Record<string, TensorData>) =>
  expectLoweringKeepsResults(graph, feeds, 0);

describe('mergeCommonSubexpressions', () => {
  it('gives dropout sites of equally shaped activations one index vector', async () => {
    const b = createGraphBuilder({ name: 'cse', opset: 20 });
    const x = b.input('x', 'float32', ['batch', 'seq', 8]);
    const seed = b.input('seed', 'int64', []);
    const flat = b.op('Reshape', [b.op('Relu', [x]), b.int64s([-1, 8])]); // ['batch*seq', 8]
    const other = b.op('Slice', [x, b.int64s([0]), b.int64s([1]), b.int64s([2])]); // [batch, seq, 1]
    const outputs = [
      statelessDropout(b, x, 0.1, seed),
      statelessDropout(b, flat, 0.2, seed),
      statelessDropout(b, other, 0.3, seed),
    ];
    for (const y of outputs) b.output(y, 'float32');
    expect(count(b.graph, 'Range')).toBe(3);
    const lowered = lowerForOrt(b.graph);
    // x and flat hold batch·seq·8 elements; `other` a different count.
    expect(count(lowered, 'Range')).toBe(2);
    expect(count(lowered, 'Size')).toBe(2);
    expect(count(b.graph, 'Range')).toBe(3); // untouched
    await expectSameResults(b.graph, {
      x: randomTensor('float32', [3, 5, 8], 1),
      seed: { dtype: 'int64', dims: [], data: new BigInt64Array([42n]) },
    });
  });

  it('keeps apart sizes that broadcasting may have widened (a symbol that is 1 at run time)', async () => {
    const b = createGraphBuilder({ name: 'cse3', opset: 20 });
    const x = b.input('x', 'float32', ['a', 4]);
    const y = b.input('y', 'float32', ['b', 4]);
    const one = b.scalar('int64', 1);
    // Shape inference keeps 'a' for Add's first dim, but with a = 1 and b = 3 it is 3.
    const sizes = [x, b.op('Add', [x, y])].map((v) => b.op('Add', [b.op('Size', [v]), one]));
    sizes.forEach((s, i) => {
      b.op('Identity', [s], {}, { outputs: [`size${i}`] });
      b.output(`size${i}`, 'int64');
    });
    expect(count(lowerForOrt(b.graph), 'Size')).toBe(2);
    await expectSameResults(b.graph, {
      x: randomTensor('float32', [1, 4], 3),
      y: randomTensor('float32', [3, 4], 4),
    });
  });

  it('merges equal small constants; leaves data readers, graph outputs and large constants', async () => {
    const b = createGraphBuilder({ name: 'cse2', opset: 20 });
    const x = b.input('x', 'float32', [4, 3]);
    const big = new Float32Array(100).fill(2);
    const scaled = [0, 1].map(() => b.op('Mul', [x, b.scalar('float32', 3)]));
    const bigs = [0, 1].map(() =>
      b.op('ReduceSum', [b.constant(tensor('float32', [100], big))], { keepdims: 0 }),
    );
    const shapes = [0, 1].map(() => b.op('Shape', [x]));
    b.output(b.op('Sum', [...scaled, ...bigs]), 'float32');
    for (const s of shapes) b.output(s, 'int64');
    const lowered = lowerForOrt(b.graph);
    // The two scalar 3s become one constant; the Muls read data and stay two.
    expect(count(b.graph, 'Constant')).toBe(4);
    expect(count(lowered, 'Constant')).toBe(3);
    expect(count(lowered, 'Mul')).toBe(2);
    expect(count(lowered, 'ReduceSum')).toBe(2);
    expect(count(lowered, 'Shape')).toBe(2); // both are graph outputs
    await expectSameResults(b.graph, { x: randomTensor('float32', [4, 3], 2) });
  });
});
