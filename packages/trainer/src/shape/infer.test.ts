// Shape inference: exact dtype/shape per op, symbolic dims, folding of shape chains, errors.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { createGraphBuilder, float } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, Shape } from '../ir/types.js';
import { inferShapes } from './infer.js';
import { broadcastAxes, broadcastShapes, rankOf } from './utils.js';

function shapeOf(graph: Graph, value: string): Shape | undefined {
  return inferShapes(graph).get(value)?.shape;
}

describe('broadcastShapes', () => {
  it('follows numpy rules with symbols', () => {
    expect(broadcastShapes(['batch', 1, 4], [3, 1])).toEqual(['batch', 3, 4]);
    expect(broadcastShapes(['batch'], [1])).toEqual(['batch']);
    expect(broadcastShapes([1], ['batch'])).toEqual(['batch']);
    expect(broadcastShapes(['a', 4], ['b', 4])).toEqual(['a', 4]);
    expect(broadcastShapes(['a'], [5])).toEqual([5]);
    expect(broadcastShapes([], [2, 3])).toEqual([2, 3]);
    expect(() => broadcastShapes([3], [4])).toThrow(/\[3\] and \[4\] cannot be broadcast/);
  });

  it('names two different symbols by the pair under exactBroadcast', () => {
    const b = createGraphBuilder();
    const y = b.op('Add', [
      b.input('x', 'float32', ['a', 4, 1]),
      b.input('y', 'float32', ['b', 1, 'c']),
    ]);
    expect(inferShapes(b.graph, { store: false }).get(y)?.shape).toEqual(['a', 4, 'c']);
    const exact = inferShapes(b.graph, { store: false, exactBroadcast: true });
    expect(exact.get(y)?.shape).toEqual(['bcast(a,b)', 4, 'c']);
  });

  it('broadcastAxes finds the axes a broadcast input was repeated along', () => {
    expect(broadcastAxes([4], ['batch', 3, 4])).toEqual({ axes: [0, 1], uncertain: [] });
    expect(broadcastAxes([1, 4], ['batch', 4])).toEqual({ axes: [0], uncertain: [] });
    expect(broadcastAxes(['batch', 1, 1], ['batch', 3, 4])).toEqual({
      axes: [1, 2],
      uncertain: [],
    });
    expect(broadcastAxes(['a', 4], ['b', 4])).toEqual({ axes: [], uncertain: [0] });
    expect(broadcastAxes([], [2, 3])).toEqual({ axes: [0, 1], uncertain: [] });
    expect(broadcastAxes([2, 3], [2, 3])).toEqual({ axes: [], uncertain: [] });
    expect(() => broadcastAxes([1, 2, 3], [2, 3])).toThrow(/higher rank/);
  });

  it('rankOf reads the rank or undefined', () => {
    expect(rankOf({ name: 'x', dtype: 'float32', shape: ['b', 3] })).toBe(2);
    expect(rankOf({ name: 'x', dtype: 'float32', shape: [] })).toBe(0);
    expect(rankOf({ name: 'x', dtype: 'float32' })).toBeUndefined();
    expect(rankOf(undefined)).toBeUndefined();
  });
});

describe('inferShapes', () => {
  it('MatMul keeps symbolic batch dims and handles 1-D operands', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', ['batch', 4]);
    const w = b.initializer('w', tensor('float32', [4, 8], new Float32Array(32)));
    const y = b.op('MatMul', [x, w]);
    const x3 = b.input('x3', 'float32', ['batch', 'seq', 4]);
    const y3 = b.op('MatMul', [x3, w]);
    const v = b.input('v', 'float32', [4]);
    const yv = b.op('MatMul', [x3, v]);
    const vy = b.op('MatMul', [v, w]);
    const a4 = b.input('a4', 'float32', [2, 1, 3, 4]);
    const b4 = b.input('b4', 'float32', [5, 4, 6]);
    const y4 = b.op('MatMul', [a4, b4]);
    const types = inferShapes(b.graph);
    expect(types.get(y)).toEqual({ name: y, dtype: 'float32', shape: ['batch', 8] });
    expect(types.get(y3)?.shape).toEqual(['batch', 'seq', 8]);
    expect(types.get(yv)?.shape).toEqual(['batch', 'seq']);
    expect(types.get(vy)?.shape).toEqual([8]);
    expect(types.get(y4)?.shape).toEqual([2, 5, 3, 6]);
    // Stored for later passes (the autodiff engine reads graph.valueInfo).
    expect(b.graph.valueInfo.get(y)?.shape).toEqual(['batch', 8]);
  });

  it('names node, op and both shapes on a fixed mismatch', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', ['batch', 3]);
    const w = b.input('w', 'float32', [4, 8]);
    b.op('MatMul', [x, w], {}, { name: 'proj' });
    let error: unknown;
    try {
      inferShapes(b.graph);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainerError);
    const err = error as TrainerError;
    expect(err.code).toBe('INVALID_GRAPH');
    expect(err.node).toBe('proj');
    expect(err.op).toBe('MatMul');
    expect(err.message).toContain("['batch', 3]");
    expect(err.message).toContain('[4, 8]');

    const c = createGraphBuilder();
    const p = c.input('p', 'float32', [2, 3]);
    const q = c.input('q', 'float32', [2, 4]);
    c.op('Add', [p, q], {}, { name: 'add0' });
    expect(() => inferShapes(c.graph)).toThrow(
      /op Add node "add0": shapes \[2, 3\] and \[2, 4\] cannot be broadcast/,
    );
  });

  it('elementwise ops broadcast and keep dtypes', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', ['batch', 1, 4]);
    const y = b.input('y', 'float32', [3, 1]);
    const z = b.input('z', 'float32', ['n', 4]);
    const sum = b.op('Add', [x, y]);
    const prod = b.op('Mul', [x, z]);
    const sub = b.op('Sub', [z, b.scalar('float32', 1)]);
    const div = b.op('Div', [y, x]);
    const pow = b.op('Pow', [x, b.scalar('float32', 2)]);
    const mx = b.op('Max', [x, y, z]);
    const mn = b.op('Min', [y, x]);
    const cmp = b.op('Greater', [x, y]);
    const eq = b.op('Equal', [x, y]);
    const types = inferShapes(b.graph);
    expect(types.get(sum)?.shape).toEqual(['batch', 3, 4]);
    expect(types.get(prod)?.shape).toEqual(['batch', 'n', 4]);
    expect(types.get(sub)?.shape).toEqual(['n', 4]);
    expect(types.get(div)?.shape).toEqual(['batch', 3, 4]);
    expect(types.get(pow)?.shape).toEqual(['batch', 1, 4]);
    expect(types.get(mx)?.shape).toEqual(['batch', 3, 4]);
    expect(types.get(mn)?.shape).toEqual(['batch', 3, 4]);
    expect(types.get(cmp)).toEqual({ name: cmp, dtype: 'bool', shape: ['batch', 3, 4] });
    expect(types.get(eq)?.dtype).toBe('bool');
  });

  it('unary ops keep shape and dtype', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', ['batch', 7]);
    const outs = [
      'Erf',
      'Tanh',
      'Sigmoid',
      'Relu',
      'Exp',
      'Log',
      'Sqrt',
      'Neg',
      'Identity',
      'Softmax',
      'LogSoftmax',
    ].map((op) => b.op(op, [x]));
    const gelu = b.op('Gelu', [x], { approximate: 'tanh' });
    const clip = b.op('Clip', [x, b.scalar('float64', -1), b.scalar('float64', 1)]);
    const types = inferShapes(b.graph);
    for (const o of [...outs, gelu, clip]) {
      expect(types.get(o)).toEqual({ name: o, dtype: 'float64', shape: ['batch', 7] });
    }
  });

  it('Gemm with transposes and bias', () => {
    const b = createGraphBuilder();
    const a = b.input('a', 'float32', ['batch', 5]);
    const w = b.input('w', 'float32', [3, 5]);
    const c = b.input('c', 'float32', [3]);
    const y = b.op('Gemm', [a, w, c], { transB: 1, alpha: float(1) });
    const at = b.input('at', 'float32', [5, 'batch']);
    const y2 = b.op('Gemm', [at, w, c], { transA: 1, transB: 1 });
    const bad = b.input('bad', 'float32', [3, 6]);
    b.op('Gemm', [a, bad], { transB: 1 }, { name: 'gemm_bad' });
    expect(() => inferShapes(b.graph)).toThrow(/node "gemm_bad".*\['batch', 5\].*\[3, 6\]/);
    b.graph.nodes.pop();
    const types = inferShapes(b.graph);
    expect(types.get(y)?.shape).toEqual(['batch', 3]);
    expect(types.get(y2)?.shape).toEqual(['batch', 3]);
  });

  it('Reshape folds constant targets with 0 and -1', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', ['batch', 'seq', 768]);
    const r1 = b.op('Reshape', [x, b.int64s([0, 0, 12, 64])]);
    const r2 = b.op('Reshape', [x, b.int64s([0, 0, 12, -1])]);
    const y = b.input('y', 'float32', [2, 3, 4]);
    const shapeInit = b.initializer('target', tensor('int64', [2], [-1, 4]));
    const r3 = b.op('Reshape', [y, shapeInit]);
    const r4 = b.op('Reshape', [y, b.int64s([-1])]);
    const r5 = b.op('Reshape', [x, b.int64s([-1, 768])]);
    const r6 = b.op('Reshape', [
      b.op('Transpose', [r2], { perm: [0, 1, 2, 3] }),
      b.int64s([-1, 768]),
    ]);
    const batch = b.op('Slice', [b.op('Shape', [x]), b.int64s([0]), b.int64s([1])]);
    const r7 = b.op('Reshape', [r5, b.op('Concat', [batch, b.int64s([-1, 768])], { axis: 0 })]);
    const r9 = b.op('Reshape', [x, b.int64s([-1, 384])]);
    const types = inferShapes(b.graph);
    expect(types.get(r1)?.shape).toEqual(['batch', 'seq', 12, 64]);
    expect(types.get(r2)?.shape).toEqual(['batch', 'seq', 12, 64]);
    expect(types.get(r3)?.shape).toEqual([6, 4]);
    expect(types.get(r4)?.shape).toEqual([24]);
    // batch·seq is named by its factors, so two flattenings of the same dims agree, and the
    // name splits back into them.
    expect(types.get(r5)?.shape).toEqual(['batch*seq', 768]);
    expect(types.get(r6)?.shape).toEqual(['batch*seq', 768]);
    expect(types.get(r7)?.shape).toEqual(['batch', 'seq', 768]);
    // Symbols left over with a number (batch·seq·2) have no name: a fresh symbol.
    expect(String(types.get(r9)?.shape?.[0])).toMatch(/^unk_\d+$/);

    const c = createGraphBuilder();
    const z = c.input('z', 'float32', [2, 3]);
    c.op('Reshape', [z, c.int64s([4, 2])], {}, { name: 'bad_reshape' });
    expect(() => inferShapes(c.graph)).toThrow(/node "bad_reshape": cannot reshape \[2, 3\]/);
  });

  it('follows Shape→Gather→Unsqueeze→Concat→Reshape chains (Optimum BERT attention)', () => {
    const b = createGraphBuilder({ opset: 18 });
    const x = b.input('hidden', 'float32', ['batch', 'seq', 768]);
    const shape = b.op('Shape', [x]);
    const d0 = b.op('Gather', [shape, b.constant(tensor('int64', [], [0]))], { axis: 0 });
    const d1 = b.op('Gather', [shape, b.constant(tensor('int64', [], [1]))], { axis: 0 });
    const u0 = b.op('Unsqueeze', [d0, b.int64s([0])]);
    const u1 = b.op('Unsqueeze', [d1, b.int64s([0])]);
    const target = b.op('Concat', [u0, u1, b.int64s([12]), b.int64s([64])], { axis: 0 });
    const heads = b.op('Reshape', [x, target]);
    const perm = b.op('Transpose', [heads], { perm: [0, 2, 1, 3] });
    // Shape of an unknown-rank value: the chain still yields a rank-4 reshape.
    const u = b.input('u', 'float32');
    const us = b.op('Shape', [u]);
    const g0 = b.op('Gather', [us, b.constant(tensor('int64', [], [0]))], { axis: 0 });
    const ug = b.op('Unsqueeze', [g0, b.int64s([0])]);
    const t2 = b.op('Concat', [ug, b.int64s([2, 3, 4])], { axis: 0 });
    const r2 = b.op('Reshape', [x, t2]);
    const types = inferShapes(b.graph);
    expect(types.get(shape)).toEqual({ name: shape, dtype: 'int64', shape: [3] });
    expect(types.get(d0)?.shape).toEqual([]);
    expect(types.get(u0)?.shape).toEqual([1]);
    expect(types.get(target)?.shape).toEqual([4]);
    expect(types.get(heads)?.shape).toEqual(['batch', 'seq', 12, 64]);
    expect(types.get(perm)?.shape).toEqual(['batch', 12, 'seq', 64]);
    expect(types.get(r2)?.shape).toHaveLength(4);
    expect(types.get(r2)?.shape?.slice(1)).toEqual([2, 3, 4]);
    expect(String(types.get(r2)?.shape?.[0])).toMatch(/^unk_\d+$/);
  });

  it('Transpose default reverses; Unsqueeze/Squeeze use the axes input', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', ['batch', 3, 4]);
    const t = b.op('Transpose', [x]);
    const u = b.op('Unsqueeze', [x, b.int64s([1, -1])]);
    const s = b.op('Squeeze', [u, b.int64s([1, 4])]);
    const s2 = b.op('Squeeze', [b.input('y', 'float32', [1, 5, 1])]);
    const types = inferShapes(b.graph);
    expect(types.get(t)?.shape).toEqual([4, 3, 'batch']);
    expect(types.get(u)?.shape).toEqual(['batch', 1, 3, 4, 1]);
    expect(types.get(s)?.shape).toEqual(['batch', 3, 4]);
    expect(types.get(s2)?.shape).toEqual([5]);
  });

  it('ReduceSum/ReduceMean with axes input and keepdims', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', ['batch', 'seq', 8]);
    const r1 = b.op('ReduceSum', [x, b.int64s([0, 1])], { keepdims: 0 });
    const r2 = b.op('ReduceSum', [x, b.int64s([-1])]);
    const r3 = b.op('ReduceMean', [x, b.int64s([1])], { keepdims: 0 });
    const r4 = b.op('ReduceMean', [x]);
    const r5 = b.op('ReduceSum', [x], { keepdims: 0 });
    const r6 = b.op('ReduceSum', [x, b.input('axes', 'int64', [1])]);
    const types = inferShapes(b.graph);
    expect(types.get(r1)?.shape).toEqual([8]);
    expect(types.get(r2)?.shape).toEqual(['batch', 'seq', 1]);
    expect(types.get(r3)?.shape).toEqual(['batch', 8]);
    expect(types.get(r4)?.shape).toEqual([1, 1, 1]);
    expect(types.get(r5)?.shape).toEqual([]);
    // Runtime axes with keepdims: the rank is known, the dims are not.
    expect(types.get(r6)?.shape).toHaveLength(3);
  });

  it('Gather, Concat, Slice, Split, Flatten, Expand, Where', () => {
    const b = createGraphBuilder();
    const table = b.input('table', 'float32', [1000, 64]);
    const ids = b.input('ids', 'int64', ['batch', 'seq']);
    const emb = b.op('Gather', [table, ids]);
    const x = b.input('x', 'float32', ['batch', 'seq', 64]);
    const cat = b.op('Concat', [x, emb], { axis: -1 });
    const cat2 = b.op('Concat', [x, x], { axis: 1 });
    const sl = b.op('Slice', [
      cat,
      b.int64s([0, 10]),
      b.int64s([9007199254740991, 100]),
      b.int64s([1, 2]),
      b.int64s([1, 3]),
    ]);
    const sl2 = b.op('Slice', [
      b.input('v', 'float32', [10]),
      b.int64s([-1]),
      b.int64s([-11]),
      b.int64s([0]),
      b.int64s([-3]),
    ]);
    const [p1, p2] = b.opN('Split', [x, b.int64s([16, 48])], 2, { axis: 2 });
    const [q1, q2, q3] = b.opN('Split', [x], 3, { axis: 2, num_outputs: 3 });
    const fl = b.op('Flatten', [x], { axis: 2 });
    const fl0 = b.op('Flatten', [b.input('f', 'float32', [2, 3, 4])], { axis: 0 });
    const ex = b.op('Expand', [b.input('e', 'float32', [1, 64]), b.int64s([5, 1, 1])]);
    const wh = b.op('Where', [b.input('c', 'bool', ['batch', 1, 1]), x, b.scalar('float32', 0)]);
    const types = inferShapes(b.graph);
    expect(types.get(emb)).toEqual({ name: emb, dtype: 'float32', shape: ['batch', 'seq', 64] });
    expect(types.get(cat)?.shape).toEqual(['batch', 'seq', 128]);
    expect(String(types.get(cat2)?.shape?.[1])).toMatch(/^unk_/);
    expect(types.get(sl)?.shape).toEqual(['batch', 'seq', 30]);
    expect(types.get(sl2)?.shape).toEqual([4]);
    expect(types.get(p1 as string)?.shape).toEqual(['batch', 'seq', 16]);
    expect(types.get(p2 as string)?.shape).toEqual(['batch', 'seq', 48]);
    expect(types.get(q1 as string)?.shape).toEqual(['batch', 'seq', 22]);
    expect(types.get(q2 as string)?.shape).toEqual(['batch', 'seq', 22]);
    expect(types.get(q3 as string)?.shape).toEqual(['batch', 'seq', 20]);
    expect(types.get(fl)?.shape).toHaveLength(2);
    expect(types.get(fl)?.shape?.[1]).toBe(64);
    expect(String(types.get(fl)?.shape?.[0])).toMatch(/^unk_/);
    expect(types.get(fl0)?.shape).toEqual([1, 24]);
    expect(types.get(ex)?.shape).toEqual([5, 1, 64]);
    expect(types.get(wh)).toEqual({ name: wh, dtype: 'float32', shape: ['batch', 'seq', 64] });
  });

  it('Cast, Constant, Shape, Dropout, LayerNormalization, SoftmaxCrossEntropyLoss', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', ['batch', 'seq', 32]);
    const c = b.op('Cast', [x], { to: 11 });
    const k = b.constant(tensor('float32', [2, 3], [1, 2, 3, 4, 5, 6]));
    const sh = b.op('Shape', [x], { start: 1 });
    const [d, mask] = b.opN(
      'Dropout',
      [x, b.scalar('float32', 0.1), b.constant(tensor('bool', [], [1]))],
      2,
    );
    const [ln, mean, inv] = b.opN(
      'LayerNormalization',
      [x, b.input('g', 'float32', [32]), b.input('bt', 'float32', [32])],
      3,
      { axis: -1, epsilon: float(1e-5) },
    );
    const logits = b.input('logits', 'float32', ['n', 10]);
    const labels = b.input('labels', 'int64', ['n']);
    const [loss, logp] = b.opN('SoftmaxCrossEntropyLoss', [logits, labels], 2);
    const [lossNone] = b.opN('SoftmaxCrossEntropyLoss', [logits, labels], 1, { reduction: 'none' });
    const types = inferShapes(b.graph);
    expect(types.get(c)).toEqual({ name: c, dtype: 'float64', shape: ['batch', 'seq', 32] });
    expect(types.get(k)).toEqual({ name: k, dtype: 'float32', shape: [2, 3] });
    expect(types.get(sh)).toEqual({ name: sh, dtype: 'int64', shape: [2] });
    expect(types.get(d as string)?.shape).toEqual(['batch', 'seq', 32]);
    expect(types.get(mask as string)).toEqual({
      name: mask,
      dtype: 'bool',
      shape: ['batch', 'seq', 32],
    });
    expect(types.get(ln as string)?.shape).toEqual(['batch', 'seq', 32]);
    expect(types.get(mean as string)).toEqual({
      name: mean,
      dtype: 'float32',
      shape: ['batch', 'seq', 1],
    });
    expect(types.get(inv as string)?.shape).toEqual(['batch', 'seq', 1]);
    expect(types.get(loss as string)).toEqual({ name: loss, dtype: 'float32', shape: [] });
    expect(types.get(logp as string)?.shape).toEqual(['n', 10]);
    expect(types.get(lossNone as string)?.shape).toEqual(['n']);
  });

  it('unknown ops get the first input dtype and unknown rank, without throwing', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float16', ['batch', 4]);
    const y = b.op('FancyOp', [x], {}, { domain: 'com.example' });
    const z = b.op('Relu', [y]);
    const types = inferShapes(b.graph);
    expect(types.get(y)).toEqual({ name: y, dtype: 'float16' });
    expect(types.get(z)).toEqual({ name: z, dtype: 'float16' });
  });

  it('takes declared value_info where inference is unknown', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', ['batch', 4]);
    const y = b.op('FancyOp', [x], {}, { domain: 'com.example' });
    b.graph.valueInfo.set(y, { name: y, dtype: 'float32', shape: ['batch', 2] });
    const z = b.op('MatMul', [y, b.input('w', 'float32', [2, 3])]);
    expect(shapeOf(b.graph, z)).toEqual(['batch', 3]);
  });

  it('orders nodes topologically when they were appended out of order', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', [2, 3]);
    const y = b.op('Relu', [x]);
    const z = b.op('Transpose', [y]);
    b.graph.nodes.reverse();
    expect(shapeOf(b.graph, z)).toEqual([3, 2]);
  });
});
