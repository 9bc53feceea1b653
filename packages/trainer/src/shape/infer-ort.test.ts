// Shape inference checked against ONNX Runtime: every intermediate value of op-heavy graphs is
// fetched, and its real dtype/dims must match the inferred (symbolic) type.
import { describe, expect, it } from 'vitest';
import { createGraphBuilder, float, type GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Dim, DType, Graph, TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { inferShapes } from './infer.js';

function fill(dtype: DType, dims: number[], f: (i: number) => number): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  return tensor(
    dtype,
    dims,
    Array.from({ length: n }, (_, i) => f(i)),
  );
}

/**
 * Runs the graph with every node output fetched and checks it against inference: same dtype,
 * same rank, numbers equal, input symbols bound as given, fresh symbols consistent.
 */
async function checkAgainstOrt(
  graph: Graph,
  feeds: Record<string, TensorData>,
  bindings: Record<string, number>,
): Promise<number> {
  const types = inferShapes(graph);
  const outputs = new Set(graph.outputs.map((o) => o.name));
  for (const node of graph.nodes) {
    for (const o of node.outputs) {
      const info = types.get(o);
      if (o && info && !outputs.has(o)) graph.outputs.push({ name: o, dtype: info.dtype });
    }
  }
  const session = await createSession(graph, { threads: 1 });
  const results = await session.run(feeds);
  await session.release();
  const fresh = new Map<string, number>();
  let checked = 0;
  for (const node of graph.nodes) {
    for (const o of node.outputs) {
      if (!o) continue;
      const info = types.get(o);
      const actual = results[o];
      const where = `${node.opType} ${node.name} → ${o}`;
      expect(info, where).toBeDefined();
      expect(actual, where).toBeDefined();
      expect(info?.dtype, where).toBe(actual?.dtype);
      expect(info?.shape, `${where}: rank known`).toBeDefined();
      const shape = info?.shape as Dim[];
      const dims = actual?.dims as number[];
      expect(shape.length, `${where}: rank`).toBe(dims.length);
      shape.forEach((d, i) => {
        const real = dims[i] as number;
        if (typeof d === 'number') expect(d, `${where}: dim ${i}`).toBe(real);
        else if (d in bindings) expect(bindings[d], `${where}: dim ${i} = ${d}`).toBe(real);
        else if (d.split('*').every((f) => f in bindings)) {
          // A product of input symbols ('batch*seq', from a flattening Reshape).
          const product = d.split('*').reduce((acc, f) => acc * (bindings[f] as number), 1);
          expect(product, `${where}: dim ${i} = ${d}`).toBe(real);
        } else {
          expect(d, where).toMatch(/^unk_\d+$/);
          if (fresh.has(d)) expect(fresh.get(d), `${where}: ${d}`).toBe(real);
          fresh.set(d, real);
        }
      });
      checked++;
    }
  }
  return checked;
}

const ramp = (i: number) => Math.sin(i * 0.7) + 0.1;

describe('inferShapes agrees with ONNX Runtime', () => {
  it('on elementwise, matmul, reduce, reshape and layout ops with symbolic batch/seq', async () => {
    const b = createGraphBuilder({ opset: 18 });
    const x = b.input('x', 'float32', ['batch', 'seq', 8]);
    const w = b.initializer('w', fill('float32', [8, 5], ramp));
    const v = b.input('v', 'float32', [8]);
    const ids = b.input('ids', 'int64', ['batch', 'seq']);
    const table = b.initializer('table', fill('float32', [10, 8], ramp));
    const mm = b.op('MatMul', [x, w]);
    b.op('MatMul', [x, v]);
    b.op('MatMul', [v, w]);
    const flat = b.op('Reshape', [x, b.int64s([-1, 8])]);
    b.op('Gemm', [flat, w, b.initializer('gb', fill('float32', [5], ramp))], {
      alpha: float(0.5),
    });
    b.op('Gemm', [b.op('Transpose', [flat]), b.op('Transpose', [w])], { transA: 1, transB: 1 });
    const emb = b.op('Gather', [table, ids]);
    const sum = b.op('Add', [x, emb]);
    b.op('Sub', [sum, b.scalar('float32', 1)]);
    b.op('Div', [sum, b.op('Unsqueeze', [v, b.int64s([0, 1])])]);
    b.op('Pow', [sum, b.scalar('float32', 2)]);
    b.op('Max', [sum, x, v]);
    b.op('Min', [v, sum]);
    for (const op of ['Erf', 'Tanh', 'Sigmoid', 'Relu', 'Exp', 'Neg', 'Identity']) b.op(op, [sum]);
    b.op('Log', [b.op('Abs', [sum])]);
    b.op('Sqrt', [b.op('Abs', [sum])]);
    b.op('Clip', [sum, b.scalar('float32', -0.5), b.scalar('float32', 0.5)]);
    b.op('Softmax', [sum], { axis: -1 });
    b.op('LogSoftmax', [sum], { axis: 1 });
    b.opN(
      'LayerNormalization',
      [
        sum,
        b.initializer('g', fill('float32', [8], ramp)),
        b.initializer('bt', fill('float32', [8], ramp)),
      ],
      3,
      { axis: -1, epsilon: float(1e-5) },
    );
    b.opN('Dropout', [sum, b.scalar('float32', 0.25)], 2);
    b.op('ReduceSum', [mm, b.int64s([1])], { keepdims: 0 });
    b.op('ReduceSum', [mm, b.int64s([0, 2])]);
    b.op('ReduceMean', [mm, b.int64s([-1])], { keepdims: 1 });
    b.op('ReduceMean', [mm], { keepdims: 0 });
    b.op('Transpose', [mm], { perm: [1, 0, 2] });
    const u = b.op('Unsqueeze', [mm, b.int64s([1, -1])]);
    b.op('Squeeze', [u, b.int64s([1, 4])]);
    b.op('Concat', [mm, mm], { axis: 2 });
    b.op('Concat', [x, mm], { axis: -1 });
    b.op('Slice', [mm, b.int64s([1]), b.int64s([-1]), b.int64s([2])]);
    b.op('Slice', [
      mm,
      b.int64s([5, 0]),
      b.constant(tensor('int64', [2], [0n, 9223372036854775807n])),
      b.int64s([2, 1]),
      b.int64s([-3, 1]),
    ]);
    b.opN('Split', [mm, b.int64s([2, 3])], 2, { axis: -1 });
    b.opN('Split', [x], 3, { axis: 2, num_outputs: 3 });
    b.op('Flatten', [mm], { axis: 2 });
    b.op('Flatten', [mm], { axis: 0 });
    b.op('Cast', [mm], { to: 11 });
    b.op('Cast', [ids], { to: 1 });
    const cond = b.op('Greater', [mm, b.scalar('float32', 0)]);
    b.op('Where', [cond, mm, b.scalar('float32', 0)]);
    b.op('Not', [cond]);
    b.op('Equal', [ids, b.scalar('int64', 3)]);
    b.op('Expand', [v, b.int64s([2, 1, 1])]);
    b.op('Tile', [mm, b.int64s([1, 2, 1])]);
    b.op('Pad', [mm, b.int64s([0, 1, 0, 0, 2, 1])]);
    b.op('ArgMax', [mm], { axis: 1, keepdims: 0 });
    b.op('Size', [mm]);
    b.op('Shape', [mm], { start: 1 });
    b.op('ConstantOfShape', [b.int64s([2, 3])], { value: tensor('int64', [1], [7]) });
    b.op('Range', [b.scalar('int64', 1), b.scalar('int64', 10), b.scalar('int64', 3)]);
    const logits = b.op('Reshape', [mm, b.int64s([-1, 5])]);
    const labels = b.op('Reshape', [
      b.op('Cast', [b.op('ArgMax', [mm], { axis: -1 })], { to: 7 }),
      b.int64s([-1]),
    ]);
    b.opN('SoftmaxCrossEntropyLoss', [logits, labels], 2);
    b.opN('SoftmaxCrossEntropyLoss', [logits, labels], 1, { reduction: 'none' });
    const feeds = {
      x: fill('float32', [2, 3, 8], ramp),
      v: fill('float32', [8], (i) => i + 1),
      ids: fill('int64', [2, 3], (i) => i % 10),
    };
    const checked = await checkAgainstOrt(b.graph, feeds, { batch: 2, seq: 3 });
    expect(checked).toBeGreaterThan(80);
  });

  it('on a BERT-style attention reshape built from Shape→Gather→Unsqueeze→Concat', async () => {
    const b = createGraphBuilder({ opset: 18 });
    const x = b.input('hidden', 'float32', ['batch', 'seq', 12]);
    const shape = b.op('Shape', [x]);
    const dim = (i: number) =>
      b.op('Unsqueeze', [
        b.op('Gather', [shape, b.constant(tensor('int64', [], [i]))], { axis: 0 }),
        b.int64s([0]),
      ]);
    const target = b.op('Concat', [dim(0), dim(1), b.int64s([3]), b.int64s([4])], { axis: 0 });
    const heads = b.op('Transpose', [b.op('Reshape', [x, target])], { perm: [0, 2, 1, 3] });
    const scores = b.op('MatMul', [heads, b.op('Transpose', [heads], { perm: [0, 1, 3, 2] })]);
    const probs = b.op('Softmax', [scores], { axis: -1 });
    const ctx = b.op('Transpose', [b.op('MatMul', [probs, heads])], { perm: [0, 2, 1, 3] });
    const back = b.op('Concat', [dim(0), dim(1), b.int64s([12])], { axis: 0 });
    b.op('Reshape', [ctx, back]);
    // The extended attention mask: [batch, seq] → [batch, 1, 1, seq], (1 - m) · -1e4.
    const mask = b.input('mask', 'int64', ['batch', 'seq']);
    const ext = b.op('Cast', [b.op('Unsqueeze', [mask, b.int64s([1, 2])])], { to: 1 });
    const bias = b.op('Mul', [
      b.op('Sub', [b.scalar('float32', 1), ext]),
      b.scalar('float32', -1e4),
    ]);
    b.op('Add', [scores, bias]);
    const types = inferShapes(b.graph);
    const last = b.graph.nodes.at(-1)?.outputs[0] as string;
    expect(types.get(last)?.shape).toEqual(['batch', 3, 'seq', 'seq']);
    const feeds = {
      hidden: fill('float32', [2, 5, 12], ramp),
      mask: fill('int64', [2, 5], (i) => (i % 4 === 3 ? 0 : 1)),
    };
    const checked = await checkAgainstOrt(b.graph, feeds, { batch: 2, seq: 5 });
    expect(checked).toBeGreaterThan(20);
  });

  it('on Gelu at opset 20', async () => {
    const b: GraphBuilder = createGraphBuilder({ opset: 20 });
    const x = b.input('x', 'float32', ['n', 3]);
    b.op('Gelu', [x]);
    b.op('Gelu', [x], { approximate: 'tanh' });
    const checked = await checkAgainstOrt(b.graph, { x: fill('float32', [4, 3], ramp) }, { n: 4 });
    expect(checked).toBe(2);
  });
});
