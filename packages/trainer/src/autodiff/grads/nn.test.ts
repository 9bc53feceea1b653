// Checks of the NN gradient builders: finite differences through ONNX Runtime in float64 (ORT's CPU
// kernels run Softmax, LayerNormalization and SoftmaxCrossEntropyLoss in double), and Dropout's
// gradient against dY ⊙ mask / (1 − ratio) computed from the mask ORT drew.
import { describe, expect, it } from 'vitest';
import { createGraphBuilder, float } from '../../ir/builder.js';
import { tensor } from '../../ir/tensor.js';
import type { TensorData, ValueInfo } from '../../ir/types.js';
import { createSession } from '../../runtime/session.js';
import { buildGradients } from '../engine.js';
import { checkGradients, randomTensor } from '../testing.js';

describe('Softmax / LogSoftmax gradients', () => {
  for (const op of ['Softmax', 'LogSoftmax']) {
    for (const axis of [0, 1, -1]) {
      it(`${op} axis=${axis} on [2, 3, 4] matches finite differences`, async () => {
        const result = await checkGradients({
          build: (b) => {
            const x = b.input('X', 'float64', [2, 3, 4]);
            return {
              inputs: { X: randomTensor('float64', [2, 3, 4], 21, -2, 2) },
              output: b.op(op, [x], { axis }),
            };
          },
          wrt: ['X'],
        });
        expect(result.analytic.X?.dims).toEqual([2, 3, 4]);
        expect(result.maxRelError).toBeLessThan(1e-6);
      });
    }
  }

  it('Softmax with opset 12 flatten semantics (axis=1 covers axes 1 and 2)', async () => {
    const result = await checkGradients({
      build: (b) => {
        const x = b.input('X', 'float64', [2, 3, 4]);
        return {
          inputs: { X: randomTensor('float64', [2, 3, 4], 22, -2, 2) },
          output: b.op('Softmax', [x], { axis: 1 }),
        };
      },
      wrt: ['X'],
      opset: 12,
    });
    expect(result.maxRelError).toBeLessThan(1e-6);
  });
});

describe('LayerNormalization gradient', () => {
  const cases: Array<{ label: string; axis?: number; bias: boolean; epsilon?: number }> = [
    { label: 'default axis -1 with scale and bias', bias: true },
    { label: 'axis 1 on 3-D (normalises the last two axes)', axis: 1, bias: true },
    { label: 'axis -1 without bias, epsilon 1e-2', axis: -1, bias: false, epsilon: 1e-2 },
    { label: 'axis 2 written positively', axis: 2, bias: true },
  ];
  for (const { label, axis, bias, epsilon } of cases) {
    it(`matches finite differences: ${label}`, async () => {
      const shapeX = [2, 3, 4];
      const normalised = shapeX.slice(((axis ?? -1) + 3) % 3);
      const wrt = bias ? ['X', 'Scale', 'B'] : ['X', 'Scale'];
      const result = await checkGradients({
        build: (b) => {
          const inputs: Record<string, TensorData> = {
            X: randomTensor('float64', shapeX, 31, -2, 2),
            Scale: randomTensor('float64', normalised, 32, 0.5, 1.5),
          };
          const names = [b.input('X', 'float64', shapeX), b.input('Scale', 'float64', normalised)];
          if (bias) {
            inputs.B = randomTensor('float64', normalised, 33);
            names.push(b.input('B', 'float64', normalised));
          }
          const attrs: Record<string, number | ReturnType<typeof float>> = {};
          if (axis !== undefined) attrs.axis = axis;
          if (epsilon !== undefined) attrs.epsilon = float(epsilon);
          return { inputs, output: b.op('LayerNormalization', names, attrs) };
        },
        wrt,
      });
      expect(result.analytic.Scale?.dims).toEqual(normalised);
      if (bias) expect(result.analytic.B?.dims).toEqual(normalised);
      expect(result.maxRelError).toBeLessThan(1e-6);
    });
  }

  it('gives dB = Σ R over the non-normalised axes (hand-computed)', async () => {
    const result = await checkGradients({
      build: (b) => {
        const names = [
          b.input('X', 'float64', [3, 2]),
          b.input('Scale', 'float64', [2]),
          b.input('B', 'float64', [2]),
        ];
        return {
          inputs: {
            X: randomTensor('float64', [3, 2], 34),
            Scale: randomTensor('float64', [2], 35),
            B: randomTensor('float64', [2], 36),
          },
          output: b.op('LayerNormalization', names),
        };
      },
      wrt: ['B'],
      seed: 5,
    });
    const r = randomTensor('float64', [3, 2], 5).data as Float64Array;
    const dB = result.analytic.B?.data as Float64Array;
    expect(dB[0]).toBeCloseTo((r[0] as number) + (r[2] as number) + (r[4] as number), 12);
    expect(dB[1]).toBeCloseTo((r[1] as number) + (r[3] as number) + (r[5] as number), 12);
  });

  it('refuses a gradient through the InvStdDev output, naming node and op', async () => {
    const b = createGraphBuilder();
    const x = b.input('X', 'float64', [2, 3]);
    const s = b.input('Scale', 'float64', [3]);
    const [, , invStd] = b.opN('LayerNormalization', [x, s], 3, {}, { name: 'ln' });
    const loss = b.op('ReduceSum', [invStd as string], { keepdims: 0 });
    const shapes = new Map<string, ValueInfo>([
      ['X', { name: 'X', dtype: 'float64', shape: [2, 3] }],
      ['Scale', { name: 'Scale', dtype: 'float64', shape: [3] }],
      [invStd as string, { name: invStd as string, dtype: 'float64', shape: [2, 1] }],
      [loss, { name: loss, dtype: 'float64', shape: [] }],
    ]);
    expect(() => buildGradients(b.graph, { loss, wrt: ['X'], shapes })).toThrow(
      /op LayerNormalization node "ln": gradients through the Mean\/InvStdDev outputs/,
    );
  });
});

describe('Dropout gradient', () => {
  const shape = [4, 8];

  /** x → Dropout(seed) → ⊙ R → ReduceSum, differentiated; returns the graph and value names. */
  function dropoutGraph(training: boolean, ratio: number, seed: number) {
    const b = createGraphBuilder();
    const x = b.input('X', 'float64', shape);
    const r = b.constant(randomTensor('float64', shape, 41));
    const ratioValue = b.constant(tensor('float32', [], [ratio]));
    const mode = b.constant(tensor('bool', [], [training ? 1 : 0]));
    const y = b.op('Dropout', [x, ratioValue, mode], { seed }, { name: 'drop' });
    const weighted = b.op('Mul', [y, r]);
    const loss = b.op('ReduceSum', [weighted], { keepdims: 0 });
    const shapes = new Map<string, ValueInfo>([
      ['X', { name: 'X', dtype: 'float64', shape }],
      [r, { name: r, dtype: 'float64', shape }],
      [ratioValue, { name: ratioValue, dtype: 'float32', shape: [] }],
      [mode, { name: mode, dtype: 'bool', shape: [] }],
      [y, { name: y, dtype: 'float64', shape }],
      [weighted, { name: weighted, dtype: 'float64', shape }],
      [loss, { name: loss, dtype: 'float64', shape: [] }],
    ]);
    const { grads } = buildGradients(b.graph, { loss, wrt: ['X'], shapes });
    const node = b.graph.nodes.find((n) => n.name === 'drop');
    const mask = node?.outputs[1] as string;
    const grad = grads.get('X') as string;
    b.output(y, 'float64', shape);
    b.output(grad, 'float64', shape);
    b.output(mask, 'bool', shape);
    return { graph: b.graph, y, grad, mask, r, outputs: node?.outputs.length };
  }

  async function runOnce(training: boolean, ratio: number, seed: number) {
    const g = dropoutGraph(training, ratio, seed);
    const session = await createSession(g.graph);
    const x = randomTensor('float64', shape, 42);
    const out = await session.run({ X: x });
    await session.release();
    return {
      x: x.data as Float64Array,
      r: randomTensor('float64', shape, 41).data as Float64Array,
      y: out[g.y]?.data as Float64Array,
      grad: out[g.grad]?.data as Float64Array,
      mask: Array.from(out[g.mask]?.data as Uint8Array),
      outputs: g.outputs,
    };
  }

  it('adds the mask output to a forward node that did not request it', () => {
    const g = dropoutGraph(true, 0.25, 3);
    expect(g.outputs).toBe(2);
    expect(g.mask).toMatch(/^drop_mask/);
  });

  it('gives exactly dY ⊙ mask / (1 − ratio), with the mask ORT drew in the same run', async () => {
    const run = await runOnce(true, 0.25, 3);
    const kept = run.mask.filter((m) => m === 1).length;
    // A real random mask: neither all kept nor all dropped (32 draws at ratio 0.25).
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThan(32);
    // `+ 0` folds −0 (R < 0 times a dropped element) into 0: equal as numbers, not to toEqual.
    const expected = run.mask.map((m, i) => ((run.r[i] as number) * m) / 0.75 + 0);
    expect(Array.from(run.grad, (g) => g + 0)).toEqual(expected);
    // The forward output used the same mask.
    run.mask.forEach((m, i) => {
      expect(run.y[i]).toBeCloseTo(((run.x[i] as number) * m) / 0.75, 14);
    });
  });

  it('draws the same mask and gradient in two sessions with the same seed, another with a different seed', async () => {
    const first = await runOnce(true, 0.5, 7);
    const second = await runOnce(true, 0.5, 7);
    const other = await runOnce(true, 0.5, 8);
    expect(second.mask).toEqual(first.mask);
    expect(Array.from(second.grad)).toEqual(Array.from(first.grad));
    expect(other.mask).not.toEqual(first.mask);
  });

  it('passes dY through unchanged in inference mode (training_mode false)', async () => {
    const run = await runOnce(false, 0.5, 7);
    expect(run.mask.every((m) => m === 1)).toBe(true);
    expect(Array.from(run.grad)).toEqual(Array.from(run.r));
  });
});

describe('SoftmaxCrossEntropyLoss gradient', () => {
  interface SceCase {
    label: string;
    scores: number[];
    labels: number[];
    reduction: 'mean' | 'sum' | 'none';
    ignoreIndex?: number;
    weights?: boolean;
    labelType?: 'int64' | 'int32';
  }
  const cases: SceCase[] = [
    { label: '[N, C] mean', scores: [4, 3], labels: [2, 0, 1, 2], reduction: 'mean' },
    { label: '[N, C] sum', scores: [4, 3], labels: [2, 0, 1, 2], reduction: 'sum' },
    { label: '[N, C] none', scores: [4, 3], labels: [2, 0, 1, 2], reduction: 'none' },
    {
      label: '[N, C] mean, ignore_index -100 present in targets',
      scores: [4, 3],
      labels: [2, -100, 1, -100],
      reduction: 'mean',
      ignoreIndex: -100,
    },
    {
      label: '[N, C] mean, ignore_index 1 (a real class) present',
      scores: [5, 3],
      labels: [1, 0, 2, 1, 2],
      reduction: 'mean',
      ignoreIndex: 1,
    },
    {
      label: '[N, C] mean with class weights',
      scores: [4, 3],
      labels: [2, 0, 1, 2],
      reduction: 'mean',
      weights: true,
    },
    {
      label: '[N, C] sum with class weights and ignore_index',
      scores: [4, 3],
      labels: [2, 0, -1, 2],
      reduction: 'sum',
      weights: true,
      ignoreIndex: -1,
    },
    {
      label: '[N, C] mean with class weights and ignore_index',
      scores: [4, 3],
      labels: [2, 0, -1, 1],
      reduction: 'mean',
      weights: true,
      ignoreIndex: -1,
    },
    {
      label: '[N, C, D] mean (token classification)',
      scores: [2, 3, 4],
      labels: [0, 2, 1, 1, 2, 2, 0, 1],
      reduction: 'mean',
    },
    {
      label: '[N, C, D] none with ignore_index',
      scores: [2, 3, 4],
      labels: [0, -100, 1, 1, 2, -100, 0, 1],
      reduction: 'none',
      ignoreIndex: -100,
    },
    {
      label: '[N, C, D1, D2] mean with weights and ignore_index, int32 targets',
      scores: [2, 3, 2, 2],
      labels: [0, -100, 1, 2, 2, 2, -100, 1],
      reduction: 'mean',
      weights: true,
      ignoreIndex: -100,
      labelType: 'int32',
    },
  ];
  for (const c of cases) {
    it(`matches finite differences: ${c.label}`, async () => {
      const result = await checkGradients({
        build: (b) => {
          const scores = b.input('scores', 'float64', c.scores);
          const labelDims = [c.scores[0] as number, ...c.scores.slice(2)];
          const labels = b.constant(tensor(c.labelType ?? 'int64', labelDims, c.labels));
          const inputs = [scores, labels];
          if (c.weights) inputs.push(b.constant(tensor('float64', [3], [0.2, 1.5, 0.7])));
          const attrs: Record<string, string | number> = { reduction: c.reduction };
          if (c.ignoreIndex !== undefined) attrs.ignore_index = c.ignoreIndex;
          return {
            inputs: { scores: randomTensor('float64', c.scores, 51, -2, 2) },
            output: b.op('SoftmaxCrossEntropyLoss', inputs, attrs),
          };
        },
        wrt: ['scores'],
      });
      expect(result.analytic.scores?.dims).toEqual(c.scores);
      expect(result.maxRelError).toBeLessThan(1e-6);
      if (c.ignoreIndex !== undefined && c.scores.length === 2) {
        // Rows with an ignored target get no gradient at all.
        const grad = result.analytic.scores?.data as Float64Array;
        const classes = c.scores[1] as number;
        c.labels.forEach((t, n) => {
          if (t !== c.ignoreIndex) return;
          for (let k = 0; k < classes; k++)
            expect(Math.abs(grad[n * classes + k] as number)).toBe(0);
        });
      }
    });
  }

  it('matches finite differences through both the loss and the log_prob outputs', async () => {
    const result = await checkGradients({
      build: (b) => {
        const scores = b.input('scores', 'float64', [3, 4]);
        const labels = b.constant(tensor('int64', [3], [3, -100, 0]));
        const [loss, logProb] = b.opN('SoftmaxCrossEntropyLoss', [scores, labels], 2, {
          reduction: 'mean',
          ignore_index: -100,
        });
        return {
          inputs: { scores: randomTensor('float64', [3, 4], 52, -2, 2) },
          output: b.op('Mul', [logProb as string, loss as string]),
        };
      },
      wrt: ['scores'],
    });
    expect(result.maxRelError).toBeLessThan(1e-6);
  });

  it('gives (softmax − onehot) / N for an unweighted mean (hand-computed)', async () => {
    const result = await checkGradients({
      build: (b) => {
        const scores = b.input('scores', 'float64', [2, 2]);
        const labels = b.constant(tensor('int64', [2], [1, 0]));
        return {
          inputs: { scores: tensor('float64', [2, 2], [0, Math.log(3), 0, 0]) },
          output: b.op('SoftmaxCrossEntropyLoss', [scores, labels]),
        };
      },
      wrt: ['scores'],
    });
    // The harness multiplies the scalar loss by its own R; divide it out to get dLoss/dScores.
    const r = (randomTensor('float64', [], 7).data as Float64Array)[0] as number;
    const grad = Array.from(result.analytic.scores?.data as Float64Array).map((g) => g / r);
    // Row 0: softmax [1/4, 3/4], target 1 → [1/4, −1/4] / 2; row 1: [1/2, 1/2], target 0 → [−1/2, 1/2] / 2.
    const expected = [0.125, -0.125, -0.25, 0.25];
    grad.forEach((g, i) => {
      expect(g).toBeCloseTo(expected[i] as number, 12);
    });
  });
});
