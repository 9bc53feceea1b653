// What both sides of the trainer benchmark share: the two model configs, the training settings,
// and the seeded random batches (written once as raw int64 files so PyTorch trains on the same data).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@ft/data';
import type { TensorData } from '../src/ir/types.js';
import type { BertConfig } from '../src/models/bert.js';
import type { Gpt2Config } from '../src/models/gpt2.js';

export type BenchModel = 'bert' | 'gpt';

/** AdamW lr 1e-4, weight decay 0.01 (biases and norm weights exempt), global-norm clip 1.0. */
export const TRAINING = { lr: 1e-4, weightDecay: 0.01, maxGradNorm: 1.0 } as const;

/** BERT-mini (google/bert_uncased_L-4_H-256_A-4 shape) with an 8000-token vocabulary. */
export const BERT_CONFIG: BertConfig = {
  vocab_size: 8000,
  hidden_size: 256,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  intermediate_size: 1024,
  hidden_act: 'gelu',
  max_position_embeddings: 512,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  initializer_range: 0.02,
  pad_token_id: 0,
  num_labels: 2,
};

/** GPT-mini: GPT-2 layout, 4 layers, n_embd 256, 4 heads, MLP 1024, 8000-token vocabulary. */
export const GPT_CONFIG: Gpt2Config = {
  vocab_size: 8000,
  n_positions: 512,
  n_embd: 256,
  n_layer: 4,
  n_head: 4,
  n_inner: 1024,
  activation_function: 'gelu_new',
  layer_norm_epsilon: 1e-5,
  resid_pdrop: 0.1,
  embd_pdrop: 0.1,
  attn_pdrop: 0.1,
  initializer_range: 0.02,
};

export const SHAPES: Record<BenchModel, { batch: number; sequence: number }> = {
  bert: { batch: 32, sequence: 128 },
  gpt: { batch: 16, sequence: 128 },
};

interface ArraySpec {
  file: string;
  /** [batches, batch, sequence] or [batches, batch]. */
  shape: number[];
  values: BigInt64Array;
}

/** What torch_bench.py reads from manifest.json, per model. */
interface ManifestEntry {
  config: BertConfig | Gpt2Config;
  batches: number;
  batch: number;
  sequence: number;
  lr: number;
  weight_decay: number;
  max_grad_norm: number;
  arrays: Record<string, [string, number[]]>;
}

/**
 * BERT batches: ids in [1, vocab) over a random length in [sequence/2, sequence], then padding
 * (id 0, mask 0); segment 1 for the second half of the real tokens; random binary labels.
 */
function bertArrays(batches: number, seed: number): Record<string, ArraySpec> {
  const { batch, sequence } = SHAPES.bert;
  const rng = createRng(seed);
  const n = batches * batch * sequence;
  const ids = new BigInt64Array(n);
  const mask = new BigInt64Array(n);
  const types = new BigInt64Array(n);
  const labels = new BigInt64Array(batches * batch);
  for (let row = 0; row < batches * batch; row++) {
    const length = sequence / 2 + rng.int(sequence / 2 + 1);
    for (let t = 0; t < length; t++) {
      const i = row * sequence + t;
      ids[i] = BigInt(1 + rng.int(BERT_CONFIG.vocab_size - 1));
      mask[i] = 1n;
      types[i] = t < length / 2 ? 0n : 1n;
    }
    labels[row] = BigInt(rng.int(2));
  }
  const shape = [batches, batch, sequence];
  return {
    input_ids: { file: 'bert_input_ids.bin', shape, values: ids },
    attention_mask: { file: 'bert_attention_mask.bin', shape, values: mask },
    token_type_ids: { file: 'bert_token_type_ids.bin', shape, values: types },
    labels: { file: 'bert_labels.bin', shape: [batches, batch], values: labels },
  };
}

/** GPT batches: full-length random sequences; labels are the next token, -100 at the end. */
function gptArrays(batches: number, seed: number): Record<string, ArraySpec> {
  const { batch, sequence } = SHAPES.gpt;
  const rng = createRng(seed);
  const n = batches * batch * sequence;
  const ids = new BigInt64Array(n);
  const labels = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ids[i] = BigInt(rng.int(GPT_CONFIG.vocab_size));
  for (let i = 0; i < n; i++) labels[i] = (i + 1) % sequence === 0 ? -100n : (ids[i + 1] as bigint);
  const shape = [batches, batch, sequence];
  return {
    input_ids: { file: 'gpt_input_ids.bin', shape, values: ids },
    attention_mask: {
      file: 'gpt_attention_mask.bin',
      shape,
      values: new BigInt64Array(n).fill(1n),
    },
    labels: { file: 'gpt_labels.bin', shape, values: labels },
  };
}

/** Writes `batches` seeded batches per model plus manifest.json into `dir`. */
export function writeBenchData(dir: string, batches: number, seed: number): void {
  const manifest: Record<BenchModel, ManifestEntry> = {} as Record<BenchModel, ManifestEntry>;
  const sets: Array<[BenchModel, Record<string, ArraySpec>, BertConfig | Gpt2Config]> = [
    ['bert', bertArrays(batches, seed), BERT_CONFIG],
    ['gpt', gptArrays(batches, seed + 1), GPT_CONFIG],
  ];
  for (const [model, arrays, config] of sets) {
    const entry: ManifestEntry = {
      config: { ...config, ...(model === 'bert' ? { num_labels: 2 } : {}) },
      batches,
      ...SHAPES[model],
      lr: TRAINING.lr,
      weight_decay: TRAINING.weightDecay,
      max_grad_norm: TRAINING.maxGradNorm,
      arrays: {},
    };
    for (const [name, spec] of Object.entries(arrays)) {
      // Little-endian int64 on every platform Node and PyTorch run on here (x86-64, arm64).
      writeFileSync(join(dir, spec.file), new Uint8Array(spec.values.buffer));
      entry.arrays[name] = [spec.file, spec.shape];
    }
    manifest[model] = entry;
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
}

/** Reads the batches of one model back as per-step feeds (int64 [batch, sequence] / [batch]). */
export function readBenchBatches(
  dir: string,
  model: BenchModel,
): Array<Record<string, TensorData>> {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<
    BenchModel,
    ManifestEntry
  >;
  const entry = manifest[model];
  const out: Array<Record<string, TensorData>> = Array.from({ length: entry.batches }, () => ({}));
  for (const [name, [file, shape]] of Object.entries(entry.arrays)) {
    // Copied into a fresh buffer: a Buffer's byteOffset need not be 8-byte aligned.
    const bytes = new Uint8Array(readFileSync(join(dir, file)));
    const all = new BigInt64Array(bytes.buffer);
    const dims = shape.slice(1);
    const per = dims.reduce((a, d) => a * d, 1);
    for (let i = 0; i < entry.batches; i++) {
      // A copy per batch: each feed owns its buffer, as a data loader's output would.
      (out[i] as Record<string, TensorData>)[name] = {
        dtype: 'int64',
        dims,
        data: all.slice(i * per, (i + 1) * per),
      };
    }
  }
  return out;
}
