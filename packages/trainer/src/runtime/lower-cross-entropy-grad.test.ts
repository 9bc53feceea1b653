// foldCrossEntropyGradient (through lowerForOrt): the folded gradient equals the unfolded graph
// run by ONNX Runtime from its bytes (no lowering), for every Gemm transpose form, Reshape chains,
// ignored rows, repeated targets, class weights and label smoothing; and it fires where it should.
import { describe, expect, it } from 'vitest';
import { buildGradients } from '../autodiff/engine.js';
import { randomTensor } from '../autodiff/testing.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import { lowerForOrt } from './lower.js';
import { runUnloweredAndLowered } from './testing.js';

const N = 6; // rows (tokens)
const C = 7; // classes
const K = 3; // hidden

async function runBoth(
  graph: Graph,
  feeds: Record<string, TensorData>,
): Promise<{ lowered: Record<string, number[]>; reference: Record<string, number[]> }> {
  const { reference, lowered } = await runUnloweredAndLowered(graph, feeds);
  const numbers = (out: Record<string, TensorData>) =>
    Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data, Number)]));
  return { reference: numbers(reference), lowered: numbers(lowered) };
}

function expectClose(actual: number[], expected: number[], tolerance: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (const [i, e] of expected.entries()) {
    const a = actual[i] as number;
    worst = Math.max(worst, Math.abs(a - e) / Math.max(1, Math.abs(e)));
  }
  expect(worst).toBeLessThanOrEqual(tolerance);
}

const opsOf = (graph: Graph) => graph.nodes.map((n) => n.opType);

/** B's shape when A is the [N, C] gradient: op(B) is [C, K], or [N, K] when A is transposed. */
function operandDims({ transA, transB }: { transA: 0 | 1; transB: 0 | 1 }): number[] {
  const rows = transA ? N : C;
  return transB ? [K, rows] : [rows, K];
}

/**
 * The gradient in the form autodiff gives it, (p − onehot(t))·r as p·r with the target entries
 * overwritten by p_t·r − r, passed through [N, C] → [2, N/2, C] → [N, C] and read by Gemms.
 */
function gradientGraph(gemms: Array<{ transA: 0 | 1; transB: 0 | 1 }>): Graph {
  const b = createGraphBuilder({ name: 'ce_grad', opset: 20 });
  const scores = b.input('scores', 'float64', [N, C]);
  const targets = b.input('targets', 'int64', [N]);
  const factor = b.input('factor', 'float64', [N]);
  const prob = b.op('Softmax', [scores], { axis: 1 });
  const r = b.op('Unsqueeze', [factor, b.int64s([1])]);
  const scaled = b.op('Mul', [prob, r]);
  const index = b.op('Unsqueeze', [targets, b.int64s([1])]);
  const picked = b.op('GatherElements', [scaled, index], { axis: 1 });
  const grad = b.op('ScatterElements', [scaled, index, b.op('Sub', [picked, r])], { axis: 1 });
  const folded = b.op('Reshape', [grad, b.int64s([2, N / 2, C])]);
  const flat = b.op('Reshape', [folded, b.int64s([N, C])]);
  for (const [i, { transA, transB }] of gemms.entries()) {
    const operand = b.input(`b${i}`, 'float64', operandDims({ transA, transB }));
    b.op('Gemm', [flat, operand], { transA, transB }, { outputs: [`out${i}`] });
    b.output(`out${i}`, 'float64', transA ? [C, K] : [N, K]);
  }
  return b.graph;
}

function gradientFeeds(gemms: Array<{ transA: 0 | 1; transB: 0 | 1 }>): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {
    scores: randomTensor('float64', [N, C], 1, -3, 3),
    // Repeated targets (their rows accumulate in the scatter-add) and an ignored row (r = 0,
    // target swapped for class 0, as crossEntropyTargets does).
    targets: tensor('int64', [N], [2, 5, 2, 0, 6, 2]),
    factor: tensor('float64', [N], [0.25, -0.5, 1.5, 0, 0.75, 2]),
  };
  for (const [i, form] of gemms.entries()) {
    feeds[`b${i}`] = randomTensor('float64', operandDims(form), 10 + i);
  }
  return feeds;
}

describe('foldCrossEntropyGradient', () => {
  const forms = [
    { transA: 0, transB: 0 },
    { transA: 0, transB: 1 },
    { transA: 1, transB: 0 },
    { transA: 1, transB: 1 },
  ] as const;

  it('folds (p − onehot)·r into Gemms of every transpose form, with the same results', async () => {
    const gemms = [...forms];
    const graph = gradientGraph(gemms);
    const lowered = lowerForOrt(graph);
    expect(opsOf(lowered)).not.toContain('ScatterElements');
    expect(opsOf(lowered)).toContain('ScatterND');
    expect(opsOf(graph)).toContain('ScatterElements'); // the input graph is untouched
    const { lowered: got, reference } = await runBoth(graph, gradientFeeds(gemms));
    for (const i of gemms.keys()) {
      expectClose(got[`out${i}`] as number[], reference[`out${i}`] as number[], 1e-13);
    }
  });

  it('leaves the gradient alone when something other than a Gemm reads it', async () => {
    const graph = gradientGraph([{ transA: 0, transB: 0 }]);
    const b = createGraphBuilder({ graph });
    const flat = graph.nodes.find((n) => n.opType === 'Gemm')?.inputs[0] as string;
    b.op('ReduceSum', [flat], { keepdims: 0 }, { outputs: ['total'] });
    b.output('total', 'float64', []);
    expect(opsOf(lowerForOrt(graph))).toContain('ScatterElements');
    const { lowered: got, reference } = await runBoth(graph, gradientFeeds([forms[0]]));
    expectClose(got.total as number[], reference.total as number[], 1e-13);
  });

  it('leaves the gradient alone when one of its own values is read elsewhere', async () => {
    const graph = gradientGraph([{ transA: 1, transB: 0 }]);
    const picked = graph.nodes.find((n) => n.opType === 'GatherElements')?.outputs[0] as string;
    const b = createGraphBuilder({ graph });
    b.op('ReduceSum', [picked], { keepdims: 0 }, { outputs: ['picked_total'] });
    b.output('picked_total', 'float64', []);
    expect(opsOf(lowerForOrt(graph))).toContain('ScatterElements');
    const { lowered: got, reference } = await runBoth(graph, gradientFeeds([forms[2]]));
    expectClose(got.picked_total as number[], reference.picked_total as number[], 1e-13);
    expectClose(got.out0 as number[], reference.out0 as number[], 1e-13);
  });

  it('leaves a Gemm with a bias (C input) alone', () => {
    const graph = gradientGraph([{ transA: 0, transB: 0 }]);
    const gemm = graph.nodes.find((n) => n.opType === 'Gemm');
    if (!gemm) throw new Error('no Gemm');
    const b = createGraphBuilder({ graph });
    gemm.inputs.push(b.input('bias', 'float64', [K]));
    expect(opsOf(lowerForOrt(graph))).toContain('ScatterElements');
  });

  // An LM head as the GPT builder makes it: hidden [B, T, K] flattened, tied embedding E [C, K]
  // read with transB, logits back to [B, T, C], the loss from losses/ (ignore_index -100).
  function lmHead(options: { weight?: readonly number[]; labelSmoothing?: number }): {
    graph: Graph;
    feeds: Record<string, TensorData>;
  } {
    const b = createGraphBuilder({ name: 'lm_head', opset: 20 });
    const hidden = b.input('hidden', 'float64', [2, N / 2, K]);
    const embedding = b.input('embedding', 'float64', [C, K]);
    const labels = b.input('labels', 'int64', [2, N / 2]);
    const flat = b.op('Reshape', [hidden, b.int64s([N, K])]);
    const logits = b.op('Reshape', [
      b.op('Gemm', [flat, embedding], { transB: 1 }),
      b.int64s([2, N / 2, C]),
    ]);
    // Declared as the model builders declare theirs: the loss takes its fused path
    // (SoftmaxCrossEntropyLoss) when the class count is known.
    b.graph.valueInfo.set(logits, { name: logits, dtype: 'float64', shape: [2, N / 2, C] });
    const loss = crossEntropyLoss(
      b,
      { input: logits, target: labels },
      { name: 'loss', ...options },
    );
    b.output(loss, 'float64', []);
    const grads = buildGradients(b.graph, { loss, wrt: [hidden, embedding] });
    for (const [value, grad] of grads.grads) {
      b.output(grad, 'float64', value === hidden ? [2, N / 2, K] : [C, K]);
    }
    return {
      graph: b.graph,
      feeds: {
        hidden: randomTensor('float64', [2, N / 2, K], 3, -2, 2),
        embedding: randomTensor('float64', [C, K], 4, -2, 2),
        labels: tensor('int64', [2, N / 2], [3, 3, -100, 6, 0, 3]),
      },
    };
  }

  for (const [label, options] of [
    ['plain', {}],
    ['class weights', { weight: [1, 2, 0.5, 3, 1, 0.25, 4] }],
    ['label smoothing', { labelSmoothing: 0.1 }],
  ] as const) {
    it(`a tied LM head's loss gradients are unchanged (${label})`, async () => {
      const { graph, feeds } = lmHead(options);
      const lowered = lowerForOrt(graph);
      if (label !== 'label smoothing') {
        expect(opsOf(graph)).toContain('ScatterElements');
        expect(opsOf(lowered)).not.toContain('ScatterElements');
        expect(opsOf(lowered)).not.toContain('Softmax'); // Exp of the loss's LogSoftmax
      }
      const { lowered: got, reference } = await runBoth(graph, feeds);
      for (const name of graph.outputs.map((o) => o.name)) {
        expectClose(got[name] as number[], reference[name] as number[], 1e-12);
      }
    });
  }
});
