// Proof that it learns: a tiny BERT trained from scratch on order-sensitive sentiment reaches
// ≥ 95% held-out accuracy (a bag of words cannot pass ~75%), and its export reproduces the logits.
import { createTempDir } from '@ft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportInferenceModel } from '../export/inference-model.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { type BertConfig, buildBert } from '../models/bert.js';
import { createSession } from '../runtime/session.js';
import { createSchedule } from '../schedules/schedule.js';
import { createTrainingStep } from '../step/training-step.js';
import type { TrainingStep } from '../step/types.js';
import { accuracy, LOSS, withCrossEntropy } from './helpers.js';
import {
  NEGATIVE,
  POSITIVE,
  padBatch,
  SENTIMENT_VOCAB,
  type Sentence,
  sentimentSplits,
} from './synthetic.js';

const SEQ = 16; // [CLS] + 6..14 content tokens + [SEP], right-padded to 16
const STEPS = 300;
const BATCH = 32;
const CONFIG: BertConfig = {
  vocab_size: SENTIMENT_VOCAB,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: SEQ,
  type_vocab_size: 1,
  hidden_dropout_prob: 0.05,
  attention_probs_dropout_prob: 0.05,
  pad_token_id: 0,
};

const build = (training: boolean) =>
  withCrossEntropy(
    buildBert(CONFIG, {
      training,
      tokenTypeIds: false,
      seed: 7,
      head: { type: 'sequence-classification', numLabels: 2 },
    }),
    ['batch'],
  );

const feeds = (sentences: readonly Sentence[]): Record<string, TensorData> => ({
  ...padBatch(
    sentences.map((s) => s.ids),
    SEQ,
  ),
  labels: tensor(
    'int64',
    [sentences.length],
    sentences.map((s) => s.label),
  ),
});

/**
 * The best any bag-of-words classifier can do: fillers are independent of the label, so all a bag
 * knows about it is (number of positive words, number of negative words). Majority label per
 * such group, fitted on `train`, scored on `test`.
 */
function bagOfWordsAccuracy(train: readonly Sentence[], test: readonly Sentence[]): number {
  const count = (s: Sentence, words: readonly number[]) =>
    s.ids.filter((id) => words.includes(id)).length;
  const key = (s: Sentence) => `${count(s, POSITIVE)}:${count(s, NEGATIVE)}`;
  // Per group: [negative, positive] counts.
  const votes = new Map<string, number[]>();
  for (const s of train) {
    const v = votes.get(key(s)) ?? [0, 0];
    v[s.label] = (v[s.label] as number) + 1;
    votes.set(key(s), v);
  }
  let correct = 0;
  for (const s of test) {
    const [neg = 0, pos = 0] = votes.get(key(s)) ?? [];
    if ((pos > neg ? 1 : 0) === s.label) correct++;
  }
  return correct / test.length;
}

describe('BERT sequence classifier trained from scratch', () => {
  const data = sentimentSplits(1, { train: STEPS * BATCH, test: 400 }, { contentLength: [6, 14] });
  const testFeeds = feeds(data.test);
  const testLabels = data.test.map((s) => s.label);
  const evalModel = build(false);
  let step: TrainingStep;
  let dir: { path: string; cleanup: () => Promise<void> };

  beforeAll(async () => {
    dir = await createTempDir('ft-e2e-bert-');
    const model = build(true);
    expect(model.dropoutSeed).toBe('dropout_seed');
    step = await createTrainingStep({
      graph: model.graph,
      // The stateless-dropout training graph needs its dropout-free twin for evaluation.
      evalGraph: evalModel.graph,
      loss: LOSS,
      optimizer: { type: 'adamw', weightDecay: 0.01 },
      maxGradNorm: 1,
      outputs: ['logits'],
      seed: 3,
      session: { threads: 1 },
    });
  });
  afterAll(async () => {
    await step?.release();
    await dir?.cleanup();
  });

  it('the task needs word order: every test sentence is unseen, a bag of words stays below 80%', () => {
    const trainKeys = new Set(data.train.map((s) => s.ids.join(',')));
    expect(data.test.every((s) => !trainKeys.has(s.ids.join(',')))).toBe(true);
    const lengths = new Set(data.test.map((s) => s.ids.length));
    expect([...lengths].sort((a, b) => a - b)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const bag = bagOfWordsAccuracy(data.train, data.test);
    console.log(`[e2e/bert] bag-of-words ceiling on the test set: ${bag.toFixed(4)}`);
    expect(bag).toBeGreaterThan(0.65);
    expect(bag).toBeLessThan(0.8);
  });

  it('reaches ≥ 95% held-out accuracy, and the exported model reproduces the logits', async () => {
    const started = performance.now();
    const before = await step.evaluate(testFeeds);
    const initialAccuracy = accuracy(before.outputs.logits as TensorData, testLabels);
    // Two balanced classes at init: loss ≈ ln 2, accuracy ≈ chance.
    expect(Math.abs(before.loss - Math.LN2)).toBeLessThan(0.05);
    expect(initialAccuracy).toBeLessThan(0.6);

    const schedule = createSchedule({
      name: 'linear',
      baseLr: 3e-3,
      totalSteps: STEPS,
      warmupRatio: 0.06,
    });
    let lastLoss = Number.NaN;
    for (let i = 0; i < STEPS; i++) {
      const result = await step.run(
        feeds(data.train.slice(i * BATCH, (i + 1) * BATCH)),
        schedule(i),
      );
      expect(result.updated).toBe(true);
      lastLoss = result.loss;
    }
    expect(step.optimizerSteps).toBe(STEPS);

    const after = await step.evaluate(testFeeds);
    const logits = after.outputs.logits as TensorData;
    expect(logits.dims).toEqual([400, 2]);
    const testAccuracy = accuracy(logits, testLabels);
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `[e2e/bert] test accuracy ${initialAccuracy.toFixed(4)} → ${testAccuracy.toFixed(4)}, ` +
        `test loss ${before.loss.toFixed(4)} → ${after.loss.toFixed(4)}, last train loss ` +
        `${lastLoss.toFixed(4)}, ${STEPS} steps in ${seconds.toFixed(1)} s`,
    );
    expect(testAccuracy).toBeGreaterThanOrEqual(0.95);
    expect(after.loss).toBeLessThan(0.15);

    // Export the trained model and run it in a fresh session: same logits as the trainer's eval.
    const exported = await exportInferenceModel({
      graph: evalModel.graph,
      parameters: step.getParameters(),
      outputDir: dir.path,
      outputs: ['logits'],
    });
    expect(exported.inputs).toEqual(['input_ids', 'attention_mask']);
    expect(exported.outputs).toEqual(['logits']);
    const session = await createSession(exported.modelPath, { threads: 1 });
    try {
      const { labels: _labels, ...inputs } = testFeeds;
      const out = await session.run(inputs);
      const exportedLogits = out.logits as TensorData;
      expect(exportedLogits.dims).toEqual([400, 2]);
      let worst = 0;
      exportedLogits.data.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(Number(v) - Number(logits.data[i])));
      });
      console.log(
        `[e2e/bert] exported vs trainer eval logits: max |Δ| = ${worst.toExponential(2)}`,
      );
      expect(worst).toBeLessThan(1e-5);
      expect(accuracy(exportedLogits, testLabels)).toBe(testAccuracy);

      // The attention mask makes padding invisible: a sentence alone, unpadded, gets the logits
      // its padded row got in the batch.
      const padded = data.test.flatMap((s, i) => (s.ids.length < SEQ ? [i] : [])).slice(0, 4);
      expect(padded).toHaveLength(4);
      for (const i of padded) {
        const sentence = data.test[i] as Sentence;
        const alone = await session.run(padBatch([sentence.ids], sentence.ids.length));
        const row = Array.from(alone.logits?.data as Float32Array);
        const batched = Array.from((logits.data as Float32Array).subarray(2 * i, 2 * i + 2));
        expect(row).toHaveLength(2);
        row.forEach((v, c) => {
          expect(Math.abs(v - (batched[c] as number))).toBeLessThan(1e-5);
        });
      }
    } finally {
      await session.release();
    }
  });
});
