// The KV-cache / packed GPT-2 decoder against PyTorch (fixtures/reference.py) and against the
// core buildGpt2, whose forward pass is itself checked against PyTorch in src/models.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { buildGpt2 } from '../models/gpt2.js';
import { int64Matrix, loadReferenceWeights, maxAbsDiff, runModel } from '../models/testing.js';
import { createSession } from '../runtime/session.js';
import { inferShapes } from '../shape/infer.js';
import { buildGpt2Decoder, cacheNames } from './gpt2-decoder.js';
import { type ReferenceCase, readReference, TINY_GPT2 } from './testing.js';

const TINY = TINY_GPT2;
const ref = readReference();

const feedsOf = (c: ReferenceCase): Record<string, TensorData> => ({
  input_ids: int64Matrix(c.input_ids),
  attention_mask: int64Matrix(c.attention_mask),
  position_ids: int64Matrix(c.position_ids),
});
const emptyPast = (batch: number, dtype: 'float32' | 'float64' = 'float32') => {
  const feeds: Record<string, TensorData> = {};
  for (let i = 0; i < 2; i++) {
    const n = cacheNames(i);
    feeds[n.pastKey] = tensor(dtype, [batch, 4, 0, 4], []);
    feeds[n.pastValue] = tensor(dtype, [batch, 4, 0, 4], []);
  }
  return feeds;
};
const data = (t: TensorData | undefined) => t?.data as Float32Array;

describe('buildGpt2Decoder', () => {
  it('has buildGpt2’s parameters, order and seeded init, and Optimum’s cache names', () => {
    const core = buildGpt2(TINY, { seed: 4 });
    const decoder = buildGpt2Decoder(TINY, { seed: 4 });
    expect(decoder.parameters).toEqual(core.parameters);
    for (const name of core.parameters) {
      expect(decoder.graph.initializers.get(name)).toEqual(core.graph.initializers.get(name));
    }
    expect(decoder.inputs).toEqual([
      'input_ids',
      'attention_mask',
      'position_ids',
      'past_key_values.0.key',
      'past_key_values.0.value',
      'past_key_values.1.key',
      'past_key_values.1.value',
    ]);
    expect(decoder.outputs).toEqual([
      'logits',
      'present.0.key',
      'present.0.value',
      'present.1.key',
      'present.1.value',
    ]);
    const shapes = inferShapes(decoder.graph, { store: false });
    expect(shapes.get('logits')?.shape).toEqual(['batch', 'sequence', 50]);
    expect(decoder.graph.inputs[3]?.shape).toEqual(['batch', 4, 'past_sequence', 4]);
    expect(decoder.graph.nodes.every((n) => n.domain === '')).toBe(true);
  });

  it('prompt and one cached step match PyTorch (float32 and float64)', async () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const decoder = buildGpt2Decoder(TINY, { dtype });
      loadReferenceWeights(decoder);
      const session = await createSession(decoder.graph, { threads: 1 });
      try {
        const first = await session.run({ ...feedsOf(ref.prompt), ...emptyPast(2, dtype) });
        const tol = dtype === 'float32' ? 1e-5 : 2e-9;
        // Observed max abs error ≈ 5e-7 (float32).
        expect(maxAbsDiff(data(first.logits), ref.prompt.logits)).toBeLessThan(tol);
        expect(first['present.0.key']?.dims).toEqual([2, 4, 6, 4]);
        expect(
          maxAbsDiff(data(first['present.0.key']), ref.prompt.present_0_key ?? []),
        ).toBeLessThan(tol);
        expect(
          maxAbsDiff(data(first['present.1.value']), ref.prompt.present_1_value ?? []),
        ).toBeLessThan(tol);

        const past: Record<string, TensorData> = {};
        for (let i = 0; i < 2; i++) {
          const n = cacheNames(i);
          past[n.pastKey] = first[n.presentKey] as TensorData;
          past[n.pastValue] = first[n.presentValue] as TensorData;
        }
        const second = await session.run({ ...feedsOf(ref.step), ...past });
        expect(second.logits?.dims).toEqual([2, 1, 50]);
        expect(second['present.1.key']?.dims).toEqual([2, 4, 7, 4]);
        expect(maxAbsDiff(data(second.logits), ref.step.logits)).toBeLessThan(tol);
        expect(
          maxAbsDiff(data(second['present.1.key']), ref.step.present_1_key ?? []),
        ).toBeLessThan(tol);
      } finally {
        await session.release();
      }
    }
  });

  it('without cache and packing it computes buildGpt2’s logits (real positions of a left-padded batch)', async () => {
    const decoder = buildGpt2Decoder(TINY, { kvCache: false });
    loadReferenceWeights(decoder);
    const core = buildGpt2(TINY, { positionIds: true });
    loadReferenceWeights(core);
    const feeds = feedsOf(ref.prompt);
    const a = data((await runModel(decoder, feeds)).logits);
    const b = data((await runModel(core, feeds)).logits);
    // Row 0 is unpadded; row 1's first two positions are padding queries (don't-care outputs).
    expect(maxAbsDiff(a.subarray(0, 6 * 50), b.subarray(0, 6 * 50))).toBeLessThan(1e-5);
    expect(maxAbsDiff(a.subarray(8 * 50), b.subarray(8 * 50))).toBeLessThan(1e-5);
  });

  it('packed: block-diagonal attention matches PyTorch and each example run on its own', async () => {
    const decoder = buildGpt2Decoder(TINY, { kvCache: false, packed: true });
    loadReferenceWeights(decoder);
    const packedLogits = data((await runModel(decoder, feedsOf(ref.packed))).logits);
    const real = 8 * 50; // the two padding positions at the end are don't-care
    expect(
      maxAbsDiff(packedLogits.subarray(0, real), ref.packed.logits.slice(0, real)),
    ).toBeLessThan(1e-5);

    const plain = buildGpt2(TINY);
    loadReferenceWeights(plain);
    const row = ref.packed.input_ids[0] as number[];
    let offset = 0;
    for (const len of [3, 4, 1]) {
      const ids = row.slice(offset, offset + len);
      const alone = data(
        (
          await runModel(plain, {
            input_ids: int64Matrix([ids]),
            attention_mask: int64Matrix([ids.map(() => 1)]),
          })
        ).logits,
      );
      expect(
        maxAbsDiff(packedLogits.subarray(offset * 50, (offset + len) * 50), alone),
      ).toBeLessThan(1e-5);
      offset += len;
    }
    // The unpacked mask lets example 2 see example 1: different logits (the test can fail).
    const leaky = buildGpt2Decoder(TINY, { kvCache: false });
    loadReferenceWeights(leaky);
    const leakyLogits = data((await runModel(leaky, feedsOf(ref.packed))).logits);
    expect(
      maxAbsDiff(leakyLogits.subarray(3 * 50, 8 * 50), packedLogits.subarray(3 * 50, 8 * 50)),
    ).toBeGreaterThan(1e-2);
  });

  it('loads weights by name and rejects bad ones and a training graph with a cache', () => {
    const core = buildGpt2(TINY, { seed: 9 });
    const decoder = buildGpt2Decoder(TINY, { weights: core.graph.initializers });
    expect(decoder.graph.initializers.get('transformer.h.1.mlp.c_fc.weight')).toEqual(
      core.graph.initializers.get('transformer.h.1.mlp.c_fc.weight'),
    );
    expect(() =>
      buildGpt2Decoder(TINY, {
        weights: { 'transformer.wte.weight': tensor('float32', [2, 2], [0, 0, 0, 0]) },
      }),
    ).toThrow(/parameter "transformer\.wte\.weight" is float32 \[50, 16\], got float32 \[2, 2\]/);
    expect(() => buildGpt2Decoder(TINY, { training: true })).toThrow(TrainerError);
    expect(() => buildGpt2Decoder({ ...TINY, n_head: 5 })).toThrow(/multiple of n_head/);
  });
});
