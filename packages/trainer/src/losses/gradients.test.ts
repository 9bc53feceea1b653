// The losses are differentiable by the autodiff engine: buildGradients' dLoss/dInput for each loss
// matches central finite differences through ONNX Runtime in float64 (src/autodiff/testing.ts).
import { describe, expect, it } from 'vitest';
import { checkGradients, randomTensor } from '../autodiff/testing.js';
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { buildLoss, type InferLossOptions, type LossName } from './registry.js';

interface Case<N extends LossName> {
  loss: N;
  options: InferLossOptions<N>;
  input: TensorData;
  target: TensorData;
}

// Targets include ignore_index -100 so the masked paths are differentiated too.
const tokens = tensor('int64', [2, 3], [0, 2, -100, 3, -100, 1]);
const labels = tensor('int64', [4], [1, -100, 3, 0]);

const cases: Array<[string, Case<LossName>]> = [
  [
    'cross_entropy [N, C], weights + label smoothing + ignore_index',
    {
      loss: 'cross_entropy',
      options: { weight: [0.5, 1.25, 2, 1.5, 0.25], labelSmoothing: 0.1 },
      input: randomTensor('float64', [4, 5], 31, -2, 2),
      target: labels,
    },
  ],
  [
    'cross_entropy [N, T, C], reduction sum',
    {
      loss: 'cross_entropy',
      options: { reduction: 'sum' },
      input: randomTensor('float64', [2, 3, 4], 32, -2, 2),
      target: tokens,
    },
  ],
  [
    'focal [N, T, C], γ = 2, per-class α',
    {
      loss: 'focal',
      options: { gamma: 2, alpha: [1, 0.5, 2, 0.75] },
      input: randomTensor('float64', [2, 3, 4], 33, -2, 2),
      target: tokens,
    },
  ],
  [
    'focal [N, C], γ = 1.5',
    {
      loss: 'focal',
      options: { gamma: 1.5, alpha: 0.25 },
      input: randomTensor('float64', [4, 5], 34, -2, 2),
      target: labels,
    },
  ],
  [
    'bce_with_logits with per-class pos_weight',
    {
      loss: 'bce_with_logits',
      options: { posWeight: [2, 0.5, 1, 3] },
      input: randomTensor('float64', [3, 4], 35, -3, 3),
      target: randomTensor('float64', [3, 4], 36, 0, 1),
    },
  ],
  [
    'bce_with_logits without pos_weight',
    {
      loss: 'bce_with_logits',
      options: {},
      input: randomTensor('float64', [3, 4], 37, -3, 3),
      target: randomTensor('float64', [3, 4], 38, 0, 1),
    },
  ],
  [
    'mse',
    {
      loss: 'mse',
      options: {},
      input: randomTensor('float64', [2, 3], 39),
      target: randomTensor('float64', [2, 3], 40),
    },
  ],
  [
    'huber δ = 0.5 (both branches present)',
    {
      loss: 'huber',
      options: { delta: 0.5 },
      input: randomTensor('float64', [2, 3], 41, -2, 2),
      target: randomTensor('float64', [2, 3], 42, -2, 2),
    },
  ],
];

describe('loss gradients via buildGradients vs finite differences (float64)', () => {
  it.each(cases)('%s', async (_, c) => {
    const result = await checkGradients({
      build: (b: GraphBuilder) => {
        const input = b.input('x', 'float64', c.input.dims);
        const target = b.input('t', c.target.dtype, c.target.dims);
        return {
          inputs: { x: c.input, t: c.target },
          output: buildLoss(b, c.loss, { input, target }, c.options),
        };
      },
      wrt: ['x'],
    });
    expect(result.analytic.x?.dims).toEqual(c.input.dims);
    expect(result.maxAbsError).toBeLessThan(1e-7);
  });
});
