import { describe, expect, it } from 'vitest';
import { hostErf } from '../autodiff/testing.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { mseLoss } from '../losses/mse.js';
import { buildMlp } from './mlp.js';
import { maxAbsDiff, numbers, runModel, spotCheckGradients } from './testing.js';
import { setParameters } from './utils.js';

const ACT: Record<string, (x: number) => number> = {
  relu: (x) => Math.max(0, x),
  tanh: Math.tanh,
  gelu: (x) => 0.5 * x * (1 + hostErf(x / Math.SQRT2)),
};

/** y = act(W·x + b) layer by layer on the host, weights [out, in] as in the graph. */
function hostForward(
  params: Record<string, TensorData>,
  layers: number,
  act: (x: number) => number,
  input: number[],
): number[] {
  let x = input;
  for (let l = 0; l < layers; l++) {
    const w = params[`layers.${l}.weight`] as TensorData;
    const bias = params[`layers.${l}.bias`] as TensorData;
    const [out, inn] = w.dims as [number, number];
    const y = Array.from({ length: out }, (_, o) => {
      let s = Number(bias.data[o]);
      for (let i = 0; i < inn; i++) s += Number(w.data[o * inn + i]) * (x[i] as number);
      return s;
    });
    x = l + 1 < layers ? y.map(act) : y;
  }
  return x;
}

const weights = (dims: number[], k: number) =>
  tensor(
    'float64',
    dims,
    Array.from({ length: dims.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * k + 0.3) * 0.8),
  );

describe('buildMlp', () => {
  it('names layers.{i}.weight [out, in] / layers.{i}.bias and outputs logits [batch, out]', () => {
    const model = buildMlp({ inputSize: 4, hiddenSizes: [8, 6], outputSize: 3 });
    expect(model.parameters.map((n) => [n, model.graph.initializers.get(n)?.dims])).toEqual([
      ['layers.0.weight', [8, 4]],
      ['layers.0.bias', [8]],
      ['layers.1.weight', [6, 8]],
      ['layers.1.bias', [6]],
      ['layers.2.weight', [3, 6]],
      ['layers.2.bias', [3]],
    ]);
    expect(model.inputs).toEqual(['input']);
    expect(model.graph.outputs).toEqual([
      { name: 'logits', dtype: 'float32', shape: ['batch', 3] },
    ]);
  });

  for (const activation of ['relu', 'tanh', 'gelu'] as const) {
    it(`forward with ${activation} equals a host computation`, async () => {
      // ORT has no float64 Erf kernel: the GELU case runs in float32.
      const dtype = activation === 'gelu' ? 'float32' : 'float64';
      const model = buildMlp({
        inputSize: 3,
        hiddenSizes: [5, 4],
        outputSize: 2,
        activation,
        dtype,
      });
      const params: Record<string, TensorData> = {};
      model.parameters.forEach((name, k) => {
        const t = weights(model.graph.initializers.get(name)?.dims as number[], 0.7 + k);
        params[name] = dtype === 'float64' ? t : tensor('float32', t.dims, t.data);
      });
      setParameters(model, params);
      const inputs = [
        [0.5, -1.2, 2],
        [-0.3, 0.8, -1.5],
      ];
      const out = await runModel(model, { input: tensor(dtype, [2, 3], inputs.flat()) });
      const expected = inputs.flatMap((row) =>
        hostForward(params, 3, ACT[activation] as (x: number) => number, row),
      );
      expect(out.logits?.dims).toEqual([2, 2]);
      expect(maxAbsDiff(out.logits?.data as Float64Array, expected)).toBeLessThan(
        dtype === 'float64' ? 1e-12 : 2e-6,
      );
    });
  }

  it('initialises like nn.Linear by default, or normal(0, σ) with zero biases', () => {
    const torchLike = buildMlp({ inputSize: 100, hiddenSizes: [50], outputSize: 2, seed: 4 });
    const w = Array.from(torchLike.graph.initializers.get('layers.0.weight')?.data as Float32Array);
    const bound = 1 / Math.sqrt(100);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    // Uniform(±0.1) has std 0.1/√3 ≈ 0.0577; 5000 draws.
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(Math.abs(std - bound / Math.sqrt(3))).toBeLessThan(0.003);
    const hfLike = buildMlp({ inputSize: 100, outputSize: 50, initializerRange: 0.02, seed: 4 });
    const hw = Array.from(hfLike.graph.initializers.get('layers.0.weight')?.data as Float32Array);
    const hstd = Math.sqrt(hw.reduce((s, v) => s + v * v, 0) / hw.length);
    expect(Math.abs(hstd - 0.02)).toBeLessThan(0.001);
    expect(numbers(hfLike.graph.initializers.get('layers.0.bias'))).toEqual(new Array(50).fill(0));
  });

  it('training graphs drop hidden units under dropout_seed; eval graphs do not', async () => {
    const train = buildMlp({
      inputSize: 4,
      hiddenSizes: [64],
      outputSize: 2,
      dropout: 0.5,
      training: true,
    });
    expect(train.dropoutSeed).toBe('dropout_seed');
    expect(train.inputs).toEqual(['input', 'dropout_seed']);
    const evalModel = buildMlp({ inputSize: 4, hiddenSizes: [64], outputSize: 2, dropout: 0.5 });
    expect(evalModel.dropoutSeed).toBeUndefined();
    const input = tensor('float32', [1, 4], [1, 2, 3, 4]);
    const seed = (s: number) => tensor('int64', [], [s]);
    const a = await runModel(train, { input, dropout_seed: seed(1) });
    const b = await runModel(train, { input, dropout_seed: seed(1) });
    const c = await runModel(train, { input, dropout_seed: seed(2) });
    const e = await runModel(evalModel, { input });
    expect(Array.from(a.logits?.data as Float32Array)).toEqual(
      Array.from(b.logits?.data as Float32Array),
    );
    expect(
      maxAbsDiff(a.logits?.data as Float32Array, c.logits?.data as Float32Array),
    ).toBeGreaterThan(1e-4);
    expect(
      maxAbsDiff(a.logits?.data as Float32Array, e.logits?.data as Float32Array),
    ).toBeGreaterThan(1e-4);
  });

  it('every parameter gradient matches central differences (float64, tanh, MSE)', async () => {
    const model = buildMlp({
      inputSize: 3,
      hiddenSizes: [4],
      outputSize: 2,
      activation: 'tanh',
      dtype: 'float64',
      seed: 9,
    });
    const { checks, maxAbsError } = await spotCheckGradients({
      model,
      feeds: {
        input: tensor('float64', [2, 3], [0.5, -1.2, 2, -0.3, 0.8, -1.5]),
        target: tensor('float64', [2, 2], [1, -1, 0.5, 2]),
      },
      loss: (b) => {
        const target = b.input('target', 'float64', ['batch', 2]);
        return mseLoss(b, { input: 'logits', target }, { name: 'loss' });
      },
      elements: Object.fromEntries(model.parameters.map((p) => [p, 'all' as const])),
    });
    expect(checks).toHaveLength(4 * 3 + 4 + 2 * 4 + 2);
    expect(maxAbsError).toBeLessThan(1e-8);
  });

  it('rejects invalid sizes', () => {
    expect(() => buildMlp({ inputSize: 0, outputSize: 2 })).toThrow(
      /inputSize must be a positive integer/,
    );
    expect(() => buildMlp({ inputSize: 2, hiddenSizes: [3.5], outputSize: 2 })).toThrow(
      /hiddenSizes\[0\]/,
    );
    expect(() => buildMlp({ inputSize: 2, outputSize: 2, dropout: 1 })).toThrow(
      /dropout must be in \[0, 1\)/,
    );
  });
});
