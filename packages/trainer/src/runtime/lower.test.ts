// lowerForOrt: the lowered SoftmaxCrossEntropyLoss gives ONNX Runtime's own results (its
// expansion of the op, run from unlowered bytes) for every reduction, weights, ignore_index,
// int32 labels and [N, C, D] scores, and stays finite for a target far below the best score.
import { describe, expect, it } from 'vitest';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { DType, Graph, TensorData } from '../ir/types.js';
import { lowerForOrt } from './lower.js';
import { runUnloweredAndLowered } from './testing.js';

interface Case {
  scores: TensorData;
  labels: TensorData;
  weights?: number[];
  reduction: 'mean' | 'sum' | 'none';
  ignoreIndex?: number;
}

function sceGraph(c: Case): Graph {
  const b = createGraphBuilder({ name: 'sce', opset: 20 });
  const dtype = c.scores.dtype as DType;
  const scores = b.input('scores', dtype, c.scores.dims);
  const labels = b.input('labels', c.labels.dtype, c.labels.dims);
  const inputs = [scores, labels];
  if (c.weights) inputs.push(b.constant(tensor(dtype, [c.weights.length], c.weights)));
  b.op(
    'SoftmaxCrossEntropyLoss',
    inputs,
    {
      reduction: c.reduction,
      ...(c.ignoreIndex !== undefined ? { ignore_index: c.ignoreIndex } : {}),
    },
    { outputs: ['loss'] },
  );
  const lossDims = c.reduction === 'none' ? c.labels.dims : [];
  b.output('loss', dtype, lossDims);
  return b.graph;
}

async function both(c: Case): Promise<{ lowered: number[]; reference: number[] }> {
  // Bytes skip the lowering: ONNX Runtime expands the op itself.
  const { reference, lowered } = await runUnloweredAndLowered(sceGraph(c), {
    scores: c.scores,
    labels: c.labels,
  });
  const numbers = (t: TensorData | undefined) => Array.from(t?.data as Float64Array, Number);
  return { reference: numbers(reference.loss), lowered: numbers(lowered.loss) };
}

function seededScores(dtype: 'float32' | 'float64', dims: number[], seed: number): TensorData {
  const n = dims.reduce((a, b) => a * b, 1);
  let s = seed;
  const values = Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 8 - 4;
  });
  return tensor(dtype, dims, values);
}

describe('lowerForOrt: SoftmaxCrossEntropyLoss', () => {
  const labels = tensor('int64', [5], [2, 0, -100, 3, 1]);
  it.each([
    ['mean', undefined, undefined],
    ['sum', undefined, undefined],
    ['none', undefined, undefined],
    ['mean', -100, undefined],
    ['sum', -100, [0.5, 2, 1, 3]],
    ['mean', -100, [0.5, 2, 1, 3]],
    ['none', -100, [0.5, 2, 1, 3]],
  ] as const)(
    'reduction %s, ignore_index %s, weights %j: equals ONNX Runtime',
    async (reduction, ignoreIndex, weights) => {
      const plainLabels = tensor('int64', [5], [2, 0, 1, 3, 1]);
      const { lowered, reference } = await both({
        scores: seededScores('float64', [5, 4], 7),
        labels: ignoreIndex === undefined ? plainLabels : labels,
        reduction,
        ...(ignoreIndex !== undefined ? { ignoreIndex } : {}),
        ...(weights ? { weights: [...weights] } : {}),
      });
      expect(lowered).toHaveLength(reference.length);
      for (const [i, v] of lowered.entries()) expect(v).toBeCloseTo(reference[i] as number, 12);
    },
  );

  it('int32 labels and [N, C, D] scores (class axis 1)', async () => {
    const { lowered, reference } = await both({
      scores: seededScores('float32', [2, 3, 4], 3),
      labels: tensor('int32', [2, 4], [0, 2, 1, 1, -1, 0, 2, 2]),
      reduction: 'mean',
      ignoreIndex: -1,
    });
    expect(lowered[0]).toBeCloseTo(reference[0] as number, 5);
  });

  it('a target 200 below the best score gives the finite loss ~200, as log-softmax does', async () => {
    const { lowered, reference } = await both({
      scores: tensor('float32', [1, 3], [200, 0, 1]),
      labels: tensor('int64', [1], [1]),
      reduction: 'sum',
    });
    expect(Number.isFinite(lowered[0])).toBe(true);
    expect(lowered[0]).toBeCloseTo(reference[0] as number, 3);
    expect(lowered[0]).toBeCloseTo(200, 3);
  });

  it('leaves the op alone when its log_prob output is read, and does not touch the input graph', () => {
    const b = createGraphBuilder({ name: 'sce', opset: 20 });
    const scores = b.input('scores', 'float32', [2, 3]);
    const labels = b.input('labels', 'int64', [2]);
    b.opN('SoftmaxCrossEntropyLoss', [scores, labels], 2, {}, { outputs: ['loss', 'log_prob'] });
    b.output('loss', 'float32', []);
    b.output('log_prob', 'float32', [2, 3]);
    expect(lowerForOrt(b.graph)).toBe(b.graph);
    const graph = sceGraph({
      scores: tensor('float32', [2, 3], [0, 0, 0, 0, 0, 0]),
      labels: tensor('int64', [2], [0, 1]),
      reduction: 'mean',
    });
    const before = graph.nodes.map((n) => n.opType);
    const lowered = lowerForOrt(graph);
    expect(graph.nodes.map((n) => n.opType)).toEqual(before);
    expect(lowered.nodes.map((n) => n.opType)).not.toContain('SoftmaxCrossEntropyLoss');
    expect(lowered.nodes.map((n) => n.opType)).toContain('LogSoftmax');
  });
});
