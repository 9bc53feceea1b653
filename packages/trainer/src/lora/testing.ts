// Test fixtures of the LoRA tests: a tiny BERT classifier with a loss, seeded token batches, and
// forward runs of a graph through ONNX Runtime.
import { createRng } from '@ft/data';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import { type BertConfig, buildBert } from '../models/bert.js';
import { maxAbsDiff as maxElementDiff } from '../models/testing.js';
import type { ModelDType, ModelGraph } from '../models/utils.js';
import { createSession } from '../runtime/session.js';
import { createEvalGraph } from '../step/graph-utils.js';

export const TINY_BERT: BertConfig = {
  vocab_size: 40,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 64,
  max_position_embeddings: 8,
  type_vocab_size: 1,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
};

/** A tiny BERT sequence classifier with `labels` and a mean cross-entropy `loss`. */
export function tinyBert(
  options: {
    training?: boolean;
    dtype?: ModelDType;
    config?: Partial<BertConfig>;
    seed?: number;
    numLabels?: number;
    lastHiddenState?: boolean;
  } = {},
): ModelGraph {
  const dtype = options.dtype ?? 'float32';
  const model = buildBert(
    { ...TINY_BERT, ...options.config },
    {
      training: options.training ?? false,
      dtype,
      seed: options.seed ?? 3,
      tokenTypeIds: false,
      head: { type: 'sequence-classification', numLabels: options.numLabels ?? 2 },
      lastHiddenState: options.lastHiddenState ?? false,
    },
  );
  const b = createGraphBuilder({ graph: model.graph });
  const labels = b.input('labels', 'int64', ['batch']);
  crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
  b.output('loss', dtype, []);
  return model;
}

/**
 * Sequences of `seq` ids in [3, vocab): label 1 when one of the signal ids `signal`..`signal`+3
 * occurs (half the rows get one at a random position), else 0. A task a tiny encoder learns fast.
 */
export function signalBatch(
  rows: number,
  seed: number,
  seq = 6,
  signal = 3,
): { feeds: Record<string, TensorData>; labels: number[] } {
  const rng = createRng(seed);
  const ids: number[] = [];
  const labels: number[] = [];
  const vocab = TINY_BERT.vocab_size;
  for (let r = 0; r < rows; r++) {
    // Fillers avoid the four signal ids signal..signal+3.
    const row = Array.from({ length: seq }, () => {
      const v = 3 + rng.int(vocab - 7);
      return v >= signal ? v + 4 : v;
    });
    const label = rng.next() < 0.5 ? 1 : 0;
    if (label === 1) row[rng.int(seq)] = signal + rng.int(4);
    ids.push(...row);
    labels.push(label);
  }
  return classificationBatch(ids, labels, seq);
}

/**
 * Sequences of `seq` filler ids in [19, vocab) with one id of group g = 0..3 (ids 3+4g … 6+4g) at a
 * random position; the label is `labelOf(g)`. Pretraining on g and fine-tuning on a relabelling
 * gives a base whose features matter, as in real fine-tuning.
 */
export function groupBatch(
  rows: number,
  seed: number,
  labelOf: (group: number) => number,
  seq = 6,
): { feeds: Record<string, TensorData>; labels: number[] } {
  const rng = createRng(seed);
  const ids: number[] = [];
  const labels: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: seq }, () => 19 + rng.int(TINY_BERT.vocab_size - 19));
    const group = rng.int(4);
    row[rng.int(seq)] = 3 + 4 * group + rng.int(4);
    ids.push(...row);
    labels.push(labelOf(group));
  }
  return classificationBatch(ids, labels, seq);
}

/** Feeds of unpadded rows of `seq` ids (flat) with one class label per row. */
function classificationBatch(
  ids: number[],
  labels: number[],
  seq: number,
): { feeds: Record<string, TensorData>; labels: number[] } {
  const rows = labels.length;
  return {
    feeds: {
      input_ids: tensor('int64', [rows, seq], ids),
      attention_mask: tensor('int64', [rows, seq], new Array(rows * seq).fill(1)),
      labels: tensor('int64', [rows], labels),
    },
    labels,
  };
}

/** Runs `graph` (dropout removed, pruned to `outputs`) on `feeds` and returns the outputs. */
export async function forward(
  graph: Graph,
  feeds: Record<string, TensorData>,
  outputs: readonly string[] = ['logits'],
): Promise<Record<string, TensorData>> {
  const g = createEvalGraph(graph, outputs);
  const session = await createSession(g, { threads: 1 });
  try {
    const needed: Record<string, TensorData> = {};
    for (const name of session.inputNames) needed[name] = feeds[name] as TensorData;
    return await session.run(needed, outputs);
  } finally {
    await session.release();
  }
}

/** Fills a float initializer of `graph` with seeded uniform values in ±`scale`. */
export function randomize(graph: Graph, name: string, seed: number, scale: number): void {
  const t = graph.initializers.get(name) as TensorData;
  const rng = createRng(seed);
  graph.initializers.set(
    name,
    tensor(
      t.dtype,
      [...t.dims],
      Array.from({ length: t.data.length }, () => (2 * rng.next() - 1) * scale),
    ),
  );
}

/** Largest elementwise |a − b| of two tensors (models/testing's maxAbsDiff on their data). */
export function maxAbsDiff(a: TensorData, b: TensorData): number {
  return maxElementDiff(a.data as ArrayLike<number>, b.data as ArrayLike<number>);
}
