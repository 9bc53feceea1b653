// Perplexity against hand-computed values (logits fed straight through an Identity graph) and
// against the in-graph cross-entropy loss of a GPT-2.
import { describe, expect, it } from 'vitest';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { buildGpt2 } from '../models/gpt2.js';
import { int64Matrix, loadReferenceWeights } from '../models/testing.js';
import { createSession } from '../runtime/session.js';
import { addCausalLmLoss } from './causal-lm-loss.js';
import { buildGpt2Decoder } from './gpt2-decoder.js';
import { perplexity } from './perplexity.js';
import { TINY_GPT2 } from './testing.js';

/** A graph whose `logits` output is its `scores` input, so the test chooses the logits. */
function passThrough(): Graph {
  const b = createGraphBuilder({ opset: 20 });
  const x = b.input('scores', 'float64', ['batch', 'sequence', 4]);
  b.op('Identity', [x], {}, { outputs: ['logits'] });
  b.output('logits', 'float64', ['batch', 'sequence', 4]);
  return b.graph;
}
const L = Math.log;

describe('perplexity', () => {
  it('is exp of the mean NLL over kept tokens of all batches (hand computation)', async () => {
    // Batch 1: softmax(ln 1, ln 3, ln 2, ln 2) = (1, 3, 2, 2)/8 → −log p(1) = ln(8/3); uniform
    // logits → −log p(2) = ln 4; the third label is ignored. Batch 2: (4, 1, 1, 1)/7 → ln(7/4).
    const batches: Array<Record<string, TensorData>> = [
      {
        scores: tensor('float64', [1, 3, 4], [L(1), L(3), L(2), L(2), 0, 0, 0, 0, 5, 1, 2, 3]),
        labels: int64Matrix([[1, 2, -100]]),
      },
      { scores: tensor('float64', [1, 1, 4], [L(4), 0, 0, 0]), labels: int64Matrix([[0]]) },
    ];
    const result = await perplexity(passThrough(), batches);
    expect(result.tokens).toBe(3);
    expect(result.totalNll).toBeCloseTo(L(8 / 3) + L(4) + L(7 / 4), 12);
    expect(result.perplexity).toBeCloseTo((56 / 3) ** (1 / 3), 12);

    // shift: labels aligned with the inputs; logits at t are scored on labels[t + 1].
    const shifted = await perplexity(
      passThrough(),
      [{ scores: batches[0]?.scores as TensorData, labels: int64Matrix([[-100, 1, 2]]) }],
      { shift: true },
    );
    expect(shifted.tokens).toBe(2);
    expect(shifted.perplexity).toBeCloseTo(Math.sqrt(32 / 3), 12);
  });

  it('equals exp of GPT-2’s in-graph cross-entropy, with or without a KV cache graph', async () => {
    const config = TINY_GPT2;
    const batch = {
      input_ids: int64Matrix([
        [5, 17, 33, 2, 41, 9],
        [7, 8, 3, 12, 0, 0],
      ]),
      attention_mask: int64Matrix([
        [1, 1, 1, 1, 1, 1],
        [1, 1, 1, 1, 0, 0],
      ]),
      position_ids: int64Matrix([
        [0, 1, 2, 3, 4, 5],
        [0, 1, 2, 3, 0, 0],
      ]),
      labels: int64Matrix([
        [17, 33, 2, 41, 9, -100],
        [-100, 3, 12, -100, -100, -100],
      ]),
    };
    const withLoss = buildGpt2(config, { positionIds: true });
    loadReferenceWeights(withLoss);
    addCausalLmLoss(withLoss);
    const session = await createSession(withLoss.graph, { threads: 1 });
    const loss = Number((await session.run(batch, ['loss'])).loss?.data[0]);
    // A session is accepted as is (the labels entry is not fed to a model without that input).
    const fromSession = await perplexity(session, [batch]);
    await session.release();
    expect(fromSession.tokens).toBe(7);
    expect(Math.abs(fromSession.meanNll - loss)).toBeLessThan(1e-5);

    for (const kvCache of [true, false]) {
      const decoder = buildGpt2Decoder(config, { kvCache });
      loadReferenceWeights(decoder);
      const result = await perplexity(decoder, [batch], { session: { threads: 1 } });
      expect(Math.abs(Math.log(result.perplexity) - loss)).toBeLessThan(1e-5);
    }
  });

  it('names the batch and the fix on bad input', async () => {
    const scores = tensor('float64', [1, 1, 4], [0, 0, 0, 0]);
    await expect(perplexity(passThrough(), [{ scores }])).rejects.toThrow(
      /batch 0: "labels" must be an int64 \[batch, sequence\] tensor/,
    );
    await expect(
      perplexity(passThrough(), [
        { scores, labels: int64Matrix([[0]]) },
        { labels: int64Matrix([[0]]) },
      ]),
    ).rejects.toThrow(/batch 1 has no "scores"/);
    await expect(
      perplexity(passThrough(), [{ scores, labels: int64Matrix([[4]]) }]),
    ).rejects.toThrow(/label 4 at \[0, 0\] is outside the vocabulary \[0, 4\)/);
    await expect(
      perplexity(passThrough(), [{ scores, labels: int64Matrix([[0, 1]]) }]),
    ).rejects.toThrow(/logits \[1, 1, 4\] do not match labels \[1, 2\]/);
  });
});
