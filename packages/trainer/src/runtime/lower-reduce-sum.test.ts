// sumLeadingAxesWithGemm (through lowerForOrt): ReduceSum over a tensor's leading axes becomes a
// product with a row of ones and gives what ONNX Runtime gives for the graph as written (run from
// its bytes, no lowering), for static and symbolic leading dims, keepdims 1 and 0, negative axes
// and rank 3; sums sharing leading dims share one row of ones; and what it must leave alone is
// left alone: other axes, every axis, float64, axes computed at run time.
import { describe, expect, it } from 'vitest';
import { randomTensor } from '../autodiff/testing.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import type { Graph, Shape, TensorData } from '../ir/types.js';
import { lowerForOrt } from './lower.js';
import { expectLoweringKeepsResults } from './testing.js';

interface Case {
  graph: Graph;
  feeds: Record<string, TensorData>;
}

/** A graph of `dtype` inputs (declared shape, fed dims) whose outputs `body` returns. */
function caseOf(
  inputs: Record<string, { shape: Shape; dims: number[] }>,
  body: (b: GraphBuilder, x: Record<string, string>) => Record<string, string>,
  dtype: 'float32' | 'float64' = 'float32',
): Case {
  const b = createGraphBuilder({ name: 'rsum', opset: 20 });
  const x: Record<string, string> = {};
  const feeds: Record<string, TensorData> = {};
  for (const [i, [name, { shape, dims }]] of Object.entries(inputs).entries()) {
    x[name] = b.input(name, dtype, shape);
    feeds[name] = randomTensor(dtype, dims, 5 + i);
  }
  for (const [name, value] of Object.entries(body(b, x))) {
    b.op('Identity', [value], {}, { outputs: [name] });
    b.output(name, dtype);
  }
  return { graph: b.graph, feeds };
}

const expectSameResults = ({ graph, feeds }: Case) =>
  expectLoweringKeepsResults(graph, feeds, 1e-4);

const ops = (graph: Graph) => graph.nodes.map((n) => n.opType);
const sum = (b: GraphBuilder, x: string, axes: number[], keepdims = 1) =>
  b.op('ReduceSum', [x, b.int64s(axes)], { keepdims });

describe('sumLeadingAxesWithGemm', () => {
  it('sums the rows of [tokens, features] with one product per sum, sharing the row of ones', async () => {
    const c = caseOf(
      {
        g: { shape: ['tokens', 6], dims: [37, 6] },
        h: { shape: ['tokens', 3], dims: [37, 3] },
      },
      (b, x) => ({
        dBias: sum(b, x.g as string, [0]),
        dScale: sum(b, x.h as string, [-2], 0),
      }),
    );
    const lowered = lowerForOrt(c.graph);
    const kinds = ops(lowered);
    expect(kinds.filter((k) => k === 'ReduceSum')).toHaveLength(0);
    expect(kinds.filter((k) => k === 'Gemm')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'ConstantOfShape')).toHaveLength(1);
    // The sums' axes constants went with them (ONNX Runtime warns about unread initializers).
    const read = new Set(lowered.nodes.flatMap((n) => n.inputs));
    expect(lowered.nodes.filter((n) => !read.has(n.outputs[0] as string))).toHaveLength(2);
    expect(ops(c.graph).filter((k) => k === 'ReduceSum')).toHaveLength(2); // untouched
    await expectSameResults(c);
  });

  it('flattens rank-3 leading axes and uses a constant row for static dims', async () => {
    const c = caseOf({ a: { shape: [4, 5, 3], dims: [4, 5, 3] } }, (b, x) => ({
      kept: sum(b, x.a as string, [0, 1]),
      dropped: sum(b, x.a as string, [1, 0], 0),
      first: sum(b, x.a as string, [0]),
    }));
    const lowered = lowerForOrt(c.graph);
    expect(ops(lowered).filter((k) => k === 'ReduceSum')).toHaveLength(0);
    expect(ops(lowered).filter((k) => k === 'ConstantOfShape')).toHaveLength(0);
    await expectSameResults(c);
  });

  it('sums symbolic batch and sequence axes of [batch, seq, hidden]', async () => {
    const c = caseOf({ a: { shape: ['batch', 'seq', 8], dims: [3, 7, 8] } }, (b, x) => ({
      y: sum(b, x.a as string, [0, 1]),
    }));
    expect(ops(lowerForOrt(c.graph))).not.toContain('ReduceSum');
    await expectSameResults(c);
  });

  it('leaves alone trailing or middle axes, every axis, float64 and run-time axes', async () => {
    const c = caseOf({ a: { shape: ['n', 4, 3], dims: [5, 4, 3] } }, (b, x) => ({
      last: sum(b, x.a as string, [-1]),
      middle: sum(b, x.a as string, [1]),
      every: sum(b, x.a as string, [0, 1, 2]),
      skipFirst: sum(b, x.a as string, [0, 2]),
    }));
    expect(ops(lowerForOrt(c.graph)).filter((k) => k === 'ReduceSum')).toHaveLength(4);
    await expectSameResults(c);

    const f64 = caseOf(
      { a: { shape: ['n', 3], dims: [5, 3] } },
      (b, x) => ({
        y: sum(b, x.a as string, [0]),
      }),
      'float64',
    );
    expect(lowerForOrt(f64.graph)).toBe(f64.graph);

    const b = createGraphBuilder({ opset: 20 });
    const a = b.input('a', 'float32', ['n', 3]);
    const axes = b.input('axes', 'int64', [1]);
    b.output(b.op('ReduceSum', [a, axes]), 'float32');
    expect(lowerForOrt(b.graph)).toBe(b.graph);
  });
});
