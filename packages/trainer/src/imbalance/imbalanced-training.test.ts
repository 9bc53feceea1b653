// Behaviour: on tiny imbalanced tasks whose minority class is ambiguous, a BERT trained with
// classWeights (crossEntropyLoss `weight`, focalLoss `alpha`) recalls the minority class far
// better than the same BERT trained unweighted — for sequence and token classification.
import { createRng, type Rng } from '@ft/data';
import { describe, expect, it } from 'vitest';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import { focalLoss } from '../losses/focal.js';
import { type BertConfig, buildBert } from '../models/bert.js';
import { createSchedule } from '../schedules/schedule.js';
import { createTrainingStep } from '../step/training-step.js';
import { classWeights } from './class-weights.js';

// 0 pad, 1 [CLS], 2 [SEP], cues A = 3, B = 4, C = 5, fillers 6..19.
const [A, B, C] = [3, 4, 5];
const FILLERS = 14;
const SEQ = 8;
const STEPS = 40;
const BATCH = 32;
const LR = 1e-2;
const CONFIG: BertConfig = {
  vocab_size: 6 + FILLERS,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: SEQ,
  type_vocab_size: 1,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
};

interface Example {
  ids: number[];
  /** One label (sequence task) or one per position, -100 on [CLS]/[SEP] (token task). */
  labels: number[];
}

const filler = (rng: Rng) => 6 + rng.int(FILLERS);

/**
 * Sequence task, 10% class 1: class 0 carries cue A (80%) or B (20%), class 1 cue B (70%) or
 * C (30%). P(class 1 | B) = 0.07 / 0.25 = 0.28, so the unweighted optimum calls B class 0 and
 * finds only the C third of class 1; balanced weights (≈ 0.56 vs 5) flip B to class 1.
 */
function sequenceExample(rng: Rng): Example {
  const y = rng.next() < 0.1 ? 1 : 0;
  const u = rng.next();
  const cue = y === 0 ? (u < 0.8 ? A : B) : u < 0.7 ? B : C;
  // Three copies of the cue among three fillers: a strong signal for a one-layer model to pool.
  const words = [cue, cue, cue, ...Array.from({ length: SEQ - 5 }, () => filler(rng))];
  return { ids: [1, ...rng.shuffle(words), 2], labels: [y] };
}

/**
 * Token task: each of 6 content tokens is B (10%), C (3%) or a filler; fillers are class 0, C
 * always class 1, B class 1 with probability 0.3. Class 1 is ~6% of tokens, half of it on B,
 * which an unweighted model labels 0 (0.3 < 0.5).
 */
function tokenExample(rng: Rng): Example {
  const ids = [1];
  const labels = [-100];
  for (let t = 0; t < SEQ - 2; t++) {
    const u = rng.next();
    const id = u < 0.1 ? B : u < 0.13 ? C : filler(rng);
    ids.push(id);
    labels.push(id === C ? 1 : id === B ? (rng.next() < 0.3 ? 1 : 0) : 0);
  }
  ids.push(2);
  labels.push(-100);
  return { ids, labels };
}

function feeds(examples: readonly Example[], token: boolean): Record<string, TensorData> {
  const dims = [examples.length, SEQ];
  return {
    input_ids: tensor(
      'int64',
      dims,
      examples.flatMap((e) => e.ids),
    ),
    attention_mask: tensor('int64', dims, new Array(examples.length * SEQ).fill(1)),
    labels: token
      ? tensor(
          'int64',
          dims,
          examples.flatMap((e) => e.labels),
        )
      : tensor(
          'int64',
          [examples.length],
          examples.map((e) => e.labels[0] as number),
        ),
  };
}

type LossKind = 'cross-entropy' | 'focal';

/** Trains a fresh BERT (same init, same batches) and returns the test recall of each class. */
async function trainAndRecall(
  task: 'sequence' | 'token',
  loss: LossKind,
  weights: number[] | undefined,
  data: { train: Example[]; test: Example[] },
): Promise<number[]> {
  const token = task === 'token';
  const model = buildBert(CONFIG, {
    head: { type: token ? 'token-classification' : 'sequence-classification', numLabels: 2 },
    tokenTypeIds: false,
    seed: 5,
  });
  const b = createGraphBuilder({ graph: model.graph });
  const labels = b.input('labels', 'int64', token ? ['batch', 'sequence'] : ['batch']);
  const inputs = { input: 'logits', target: labels };
  if (loss === 'cross-entropy') {
    crossEntropyLoss(b, inputs, { name: 'loss', ...(weights ? { weight: weights } : {}) });
  } else {
    focalLoss(b, inputs, { name: 'loss', gamma: 2, ...(weights ? { alpha: weights } : {}) });
  }
  b.output('loss', 'float32', []);
  const step = await createTrainingStep({
    graph: model.graph,
    loss: 'loss',
    optimizer: { type: 'adamw', weightDecay: 0 },
    outputs: ['logits'],
    session: { threads: 1 },
  });
  try {
    // Linear decay: late steps settle on the optimum instead of hopping around it.
    const lr = createSchedule({ name: 'linear', baseLr: LR, totalSteps: STEPS });
    for (let i = 0; i < STEPS; i++) {
      await step.run(feeds(data.train.slice(i * BATCH, (i + 1) * BATCH), token), lr(i));
    }
    const { outputs } = await step.evaluate(feeds(data.test, token));
    const logits = outputs.logits?.data as Float32Array;
    const gold = data.test.flatMap((e) => e.labels);
    const hits = [0, 0];
    const totals = [0, 0];
    gold.forEach((y, i) => {
      if (y === -100) return;
      const predicted = (logits[2 * i + 1] as number) > (logits[2 * i] as number) ? 1 : 0;
      totals[y] = (totals[y] as number) + 1;
      if (predicted === y) hits[y] = (hits[y] as number) + 1;
    });
    return hits.map((h, c) => h / (totals[c] as number));
  } finally {
    await step.release();
  }
}

describe('class weights on imbalanced classification', () => {
  for (const task of ['sequence', 'token'] as const) {
    const rng = createRng(task === 'sequence' ? 31 : 22);
    const draw = task === 'sequence' ? sequenceExample : tokenExample;
    const data = {
      train: Array.from({ length: STEPS * BATCH }, () => draw(rng)),
      test: Array.from({ length: 1000 }, () => draw(rng)),
    };
    const weights = classWeights(
      data.train.map((e) => e.labels),
      { method: 'balanced' },
    );

    for (const loss of ['cross-entropy', 'focal'] as const) {
      it(`${task} classification, ${loss}: balanced weights raise minority recall`, async () => {
        expect(weights[1]).toBeGreaterThan(4 * (weights[0] as number));
        const plain = await trainAndRecall(task, loss, undefined, data);
        const weighted = await trainAndRecall(task, loss, weights, data);
        console.log(
          `[imbalance] ${task}/${loss}: weights [${weights.map((w) => w.toFixed(3)).join(', ')}], ` +
            `recall class 0/1 unweighted ${plain.map((r) => r.toFixed(3)).join('/')}, ` +
            `weighted ${weighted.map((r) => r.toFixed(3)).join('/')}`,
        );
        // Unweighted finds at most the unambiguous part of class 1 (cue C: ~30% / ~50% of it).
        expect(plain[1]).toBeLessThan(0.7);
        expect(weighted[1]).toBeGreaterThan(0.9);
        expect(weighted[1]).toBeGreaterThan((plain[1] as number) + 0.3);
        // The price: majority examples on the ambiguous cue move to class 1.
        expect(weighted[0]).toBeLessThan(plain[0] as number);
      });
    }
  }
});
