import { describe, expect, it } from 'vitest';
import { createGraphBuilder, createSession, float, TrainerError, tensor } from '../index.js';

describe('graph builder + ONNX export + runtime', () => {
  it('builds, encodes and runs Gemm + Relu with the expected values', async () => {
    const b = createGraphBuilder({ name: 'gemm_relu' });
    const x = b.input('x', 'float32', ['batch', 2]);
    const w = b.initializer('w', tensor('float32', [2, 2], [1, -1, 2, 0.5]));
    const bias = b.initializer('b', tensor('float32', [2], [0.5, -3]));
    const y = b.op('Gemm', [x, w, bias], { alpha: float(1), transB: 1 });
    const r = b.op('Relu', [y]);
    b.output(r, 'float32', ['batch', 2]);
    const session = await createSession(b.graph);
    // y = x·wᵀ + b with w = [[1, -1], [2, 0.5]], b = [0.5, -3]:
    // [3, 1] → [3 - 1 + 0.5, 6 + 0.5 - 3] = [2.5, 3.5]; [1, 2] → [-0.5, 0] → relu [0, 0]
    const out = await session.run({ x: tensor('float32', [2, 2], [3, 1, 1, 2]) });
    expect(Array.from(out[r]?.data as Float32Array)).toEqual([2.5, 3.5, 0, 0]);
    expect(out[r]?.dims).toEqual([2, 2]);
    await session.release();
  });

  it('rejects duplicate names and names the graph', () => {
    const b = createGraphBuilder({ name: 'dup' });
    b.input('x', 'float32', [1]);
    expect(() => b.input('x', 'float32', [1])).toThrow(TrainerError);
    expect(() => b.input('x', 'float32', [1])).toThrow(/"x" is already used in graph "dup"/);
  });

  it('runs float64 graphs (used by the finite-difference gradient checks)', async () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [3]);
    const y = b.op('Mul', [x, x]);
    b.output(y, 'float64', [3]);
    const session = await createSession(b.graph);
    const out = await session.run({ x: tensor('float64', [3], [1.5, -2, 1e-8]) });
    expect(Array.from(out[y]?.data as Float64Array)).toEqual([1.5 * 1.5, 4, 1e-8 * 1e-8]);
  });
});

describe('several builders over one graph', () => {
  it('never hand out a name another builder already used', () => {
    const first = createGraphBuilder({ name: 'shared' });
    const x = first.input('x', 'float32', [2]);
    const second = createGraphBuilder({ graph: first.graph });
    const a = second.op('Relu', [x]);
    const b = first.op('Relu', [x]);
    const c = second.op('Relu', [x]);
    const names = first.graph.nodes.flatMap((n) => [n.name, ...n.outputs]);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set([a, b, c]).size).toBe(3);
    // A node pushed directly (as an importer does) is seen too.
    first.graph.nodes.push({
      name: 'Relu_9',
      opType: 'Relu',
      domain: '',
      inputs: [x],
      outputs: ['Relu_9_out'],
      attributes: {},
    });
    const d = second.op('Relu', [x], {}, { name: 'Relu_9_b' });
    expect(d).not.toBe('Relu_9_out');
    expect(() => first.op('Relu', [x], {}, { name: 'Relu_9' })).toThrow(/already used/);
  });
});
