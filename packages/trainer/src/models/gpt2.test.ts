import { describe, expect, it } from 'vitest';
import { buildGradients } from '../autodiff/engine.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import { createSession } from '../runtime/session.js';
import { inferShapes } from '../shape/infer.js';
import { buildGpt2, type Gpt2Config } from './gpt2.js';
import {
  int64Matrix,
  loadReferenceWeights,
  maxAbsDiff,
  numbers,
  readReference,
  runModel,
  spotCheckGradients,
} from './testing.js';

const TINY: Gpt2Config = {
  vocab_size: 50,
  n_positions: 32,
  n_embd: 16,
  n_layer: 2,
  n_head: 4,
  layer_norm_epsilon: 1e-5,
};

// The inputs of fixtures/reference.py: the second row is left-padded by two tokens.
const FEEDS = {
  input_ids: int64Matrix([
    [5, 17, 33, 2, 41, 9],
    [0, 0, 7, 8, 3, 12],
  ]),
  attention_mask: int64Matrix([
    [1, 1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 1],
  ]),
};
const POSITION_IDS = int64Matrix([
  [0, 1, 2, 0, 1, 2],
  [0, 0, 0, 1, 2, 3],
]);

/**
 * GPT2LMHeadModel's parameters, written out from its module tree: transformer.wte/wpe, blocks
 * h[i] = ln_1, attn (c_attn, c_proj: Conv1D with [in, out] weights), ln_2, mlp (c_fc, c_proj),
 * then ln_f. lm_head.weight is tied to wte, so safetensors files do not store it.
 */
function hfGpt2Parameters(layers: number, e: number): Array<[string, number[]]> {
  const list: Array<[string, number[]]> = [
    ['transformer.wte.weight', [50, e]],
    ['transformer.wpe.weight', [32, e]],
  ];
  for (let i = 0; i < layers; i++) {
    const h = `transformer.h.${i}`;
    list.push(
      [`${h}.ln_1.weight`, [e]],
      [`${h}.ln_1.bias`, [e]],
      [`${h}.attn.c_attn.weight`, [e, 3 * e]],
      [`${h}.attn.c_attn.bias`, [3 * e]],
      [`${h}.attn.c_proj.weight`, [e, e]],
      [`${h}.attn.c_proj.bias`, [e]],
      [`${h}.ln_2.weight`, [e]],
      [`${h}.ln_2.bias`, [e]],
      [`${h}.mlp.c_fc.weight`, [e, 4 * e]],
      [`${h}.mlp.c_fc.bias`, [4 * e]],
      [`${h}.mlp.c_proj.weight`, [4 * e, e]],
      [`${h}.mlp.c_proj.bias`, [e]],
    );
  }
  list.push(['transformer.ln_f.weight', [e]], ['transformer.ln_f.bias', [e]]);
  return list;
}

const paramList = (model: ReturnType<typeof buildGpt2>): Array<[string, number[]]> =>
  model.parameters.map((n) => [n, model.graph.initializers.get(n)?.dims ?? []]);

describe('buildGpt2', () => {
  const ref = readReference();

  it('has exactly GPT2LMHeadModel’s parameters (Conv1D [in, out] layout, tied LM head)', () => {
    const model = buildGpt2(TINY);
    expect(paramList(model)).toEqual(hfGpt2Parameters(2, 16));
    expect(paramList(model)).toEqual(ref.gpt2?.params);
    expect(model.parameters.some((n) => n.startsWith('lm_head'))).toBe(false);
    expect(model.inputs).toEqual(['input_ids', 'attention_mask']);
    expect(inferShapes(model.graph, { store: false }).get('logits')?.shape).toEqual([
      'batch',
      'sequence',
      50,
    ]);
  });

  it('logits match the PyTorch reference (float32), with and without position_ids', async () => {
    const model = buildGpt2(TINY);
    loadReferenceWeights(model);
    const out = await runModel(model, FEEDS);
    expect(out.logits?.dims).toEqual([2, 6, 50]);
    // Observed max abs error ≈ 5e-7.
    expect(maxAbsDiff(out.logits?.data as Float32Array, ref.gpt2?.logits ?? [])).toBeLessThan(1e-5);

    const withPositions = buildGpt2(TINY, { positionIds: true });
    expect(withPositions.inputs).toEqual(['input_ids', 'attention_mask', 'position_ids']);
    loadReferenceWeights(withPositions);
    const packed = await runModel(withPositions, { ...FEEDS, position_ids: POSITION_IDS });
    expect(
      maxAbsDiff(packed.logits?.data as Float32Array, ref.gpt2?.logits_position_ids ?? []),
    ).toBeLessThan(1e-5);
    // The restarted positions change the logits (the test would not notice an ignored input).
    expect(
      maxAbsDiff(packed.logits?.data as Float32Array, out.logits?.data as Float32Array),
    ).toBeGreaterThan(1e-2);
  });

  it('matches the reference in float64 to its 10 significant digits', async () => {
    const model = buildGpt2(TINY, { dtype: 'float64' });
    loadReferenceWeights(model);
    const out = await runModel(model, FEEDS);
    expect(maxAbsDiff(out.logits?.data as Float64Array, ref.gpt2?.logits ?? [])).toBeLessThan(2e-9);
  });

  it('is causal: changing a later token leaves earlier logits unchanged', async () => {
    const model = buildGpt2(TINY);
    loadReferenceWeights(model);
    const a = await runModel(model, FEEDS);
    const changed = int64Matrix([
      [5, 17, 33, 2, 40, 9],
      [0, 0, 7, 8, 3, 12],
    ]);
    const b = await runModel(model, { ...FEEDS, input_ids: changed });
    const la = Array.from(a.logits?.data as Float32Array);
    const lb = Array.from(b.logits?.data as Float32Array);
    expect(lb.slice(0, 4 * 50)).toEqual(la.slice(0, 4 * 50));
    expect(maxAbsDiff(lb.slice(4 * 50, 6 * 50), la.slice(4 * 50, 6 * 50))).toBeGreaterThan(1e-3);
    expect(lb.slice(6 * 50)).toEqual(la.slice(6 * 50));
  });

  it('initialises like HF: c_proj weights at initializer_range/√(2·n_layer)', () => {
    const model = buildGpt2(
      { ...TINY, n_embd: 64, n_head: 4, initializer_range: 0.05 },
      { seed: 1 },
    );
    const std = (n: string) => {
      const d = Array.from(model.graph.initializers.get(n)?.data as Float32Array);
      const mean = d.reduce((s, v) => s + v, 0) / d.length;
      return Math.sqrt(d.reduce((s, v) => s + (v - mean) ** 2, 0) / d.length);
    };
    // 64·192 and 256·64 draws: the sample std is within ~1% of σ.
    expect(std('transformer.h.0.attn.c_attn.weight') / 0.05).toBeCloseTo(1, 1);
    expect(std('transformer.h.1.mlp.c_proj.weight') / (0.05 / 2)).toBeCloseTo(1, 1);
    expect(std('transformer.h.0.attn.c_proj.weight') / (0.05 / 2)).toBeCloseTo(1, 1);
    expect(numbers(model.graph.initializers.get('transformer.ln_f.weight'))).toEqual(
      new Array(64).fill(1),
    );
  });

  it('training graph: LM loss gradients load and run in ORT; wte gets embedding + head parts', async () => {
    const model = buildGpt2(TINY, { training: true });
    expect(model.dropoutSeed).toBe('dropout_seed');
    const b = createGraphBuilder({ graph: model.graph });
    const labels = b.input('labels', 'int64', ['batch', 'sequence']);
    const loss = crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
    b.output(loss, 'float32', []);
    const { grads } = buildGradients(model.graph, { loss, wrt: model.parameters });
    for (const p of model.parameters) {
      b.output(grads.get(p) as string, 'float32', model.graph.initializers.get(p)?.dims);
    }
    expect(model.graph.nodes.every((n) => n.domain === '')).toBe(true);
    const session = await createSession(model.graph, { threads: 1 });
    const out = await session.run({
      ...FEEDS,
      labels: int64Matrix([
        [17, 33, 2, 41, 9, -100],
        [-100, -100, 8, 3, 12, -100],
      ]),
      dropout_seed: tensor('int64', [], [9]),
    });
    await session.release();
    // Near-uniform predictions over 50 tokens at init: loss ≈ ln 50.
    expect(Math.abs(Number(out.loss?.data[0]) - Math.log(50))).toBeLessThan(0.2);
    for (const p of model.parameters) {
      const g = out[grads.get(p) as string] as TensorData;
      expect(g.dims).toEqual(model.graph.initializers.get(p)?.dims);
      expect(Array.from(g.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
    // Through the tied head every vocabulary row gets gradient, not only the rows looked up.
    const wte = out[grads.get('transformer.wte.weight') as string]?.data as Float32Array;
    const unusedRow = wte.slice(49 * 16, 50 * 16);
    expect(Array.from(unusedRow).some((v) => v !== 0)).toBe(true);
  });

  it('float64 spot check of c_attn, wte and ln_f gradients against central differences', async () => {
    const model = buildGpt2(TINY, { dtype: 'float64' });
    loadReferenceWeights(model);
    const { checks, maxAbsError } = await spotCheckGradients({
      model,
      feeds: {
        ...FEEDS,
        labels: int64Matrix([
          [17, 33, 2, 41, 9, 4],
          [-100, -100, 8, 3, 12, 30],
        ]),
      },
      loss: (b) => {
        const labels = b.input('labels', 'int64', ['batch', 'sequence']);
        return crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
      },
      // wte row 5 is looked up (token 5) and feeds the head; row 49 only feeds the tied head.
      elements: {
        'transformer.h.1.attn.c_attn.weight': [0, 17, 40, 700],
        'transformer.h.0.mlp.c_proj.weight': [3, 500],
        'transformer.wte.weight': [5 * 16 + 3, 49 * 16],
        'transformer.wpe.weight': [2 * 16 + 1],
        'transformer.ln_f.bias': [4],
      },
    });
    for (const c of checks) {
      expect(Math.abs(c.numeric)).toBeGreaterThan(1e-7);
      expect(Math.abs(c.analytic - c.numeric)).toBeLessThan(1e-8 + 1e-6 * Math.abs(c.numeric));
    }
    expect(checks).toHaveLength(10);
    expect(maxAbsError).toBeLessThan(1e-8);
  });
});
