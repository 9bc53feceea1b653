// resizeTokenEmbeddings: grow or shrink the word-embedding table after the tokenizer changed, and
// rebuild the graph for the new vocabulary (GPT-2's tied LM head follows the table).
import { createRng } from '@ft/data';
import { TrainerError } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { checkPositiveInt } from '../models/utils.js';
import { buildPretrainedGraph, embeddingName } from './build.js';
import type { PretrainedConfig } from './config.js';
import type { PretrainedModel } from './load-pretrained.js';

export interface ResizeTokenEmbeddingsOptions {
  /**
   * Values of the added rows. 'mean': each new row is the mean of the old rows — Hugging Face's
   * default since transformers 4.46 (`mean_resizing=True`) draws from N(mean, 1e-9·Σ), which is
   * this mean up to ~1e-5·σ; we use the mean itself, so the result does not depend on the seed.
   * 'normal': N(0, initializer_range²) drawn from `seed`, as `_init_weights` (HF before 4.46, or
   * `mean_resizing=False`). @default 'mean'
   */
  init?: 'mean' | 'normal';
  /** Seed of the 'normal' rows (createRng, Box–Muller). @default 0 */
  seed?: number;
}

/** N(0, 1) draws from a seeded Rng (Box–Muller, `1 − u` keeps the log finite). */
function gaussian(seed: number): () => number {
  const rng = createRng(seed);
  return () => {
    const u = 1 - rng.next();
    const v = rng.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}

/** The config with another vocabulary size, in the builder config and in `raw` (config.json). */
function withVocab(config: PretrainedConfig, vocab: number): PretrainedConfig {
  const raw = { ...config.raw, vocab_size: vocab };
  if (config.gpt2) return { ...config, raw, gpt2: { ...config.gpt2, vocab_size: vocab } };
  return {
    ...config,
    raw,
    bert: { ...(config.bert as NonNullable<PretrainedConfig['bert']>), vocab_size: vocab },
  };
}

/**
 * A copy of `model` with `newVocabSize` token embeddings: rows below min(old, new) keep their
 * values, added rows follow `init`, and every other parameter keeps its current value (loaded or
 * trained). The graph is rebuilt, since the vocabulary is a fixed dimension of the table and of
 * GPT-2's logits. `config.raw.vocab_size` is updated, so a saved config.json matches.
 */
export function resizeTokenEmbeddings(
  model: PretrainedModel,
  newVocabSize: number,
  options: ResizeTokenEmbeddingsOptions = {},
): PretrainedModel {
  const { init = 'mean', seed = 0 } = options;
  checkPositiveInt('newVocabSize', newVocabSize);
  if (init !== 'mean' && init !== 'normal') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `init must be 'mean' or 'normal', got ${JSON.stringify(init)}`,
    );
  }
  const name = embeddingName(model.config);
  const table = model.graph.initializers.get(name);
  if (table === undefined || table.dims.length !== 2) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `resizeTokenEmbeddings: the model has no 2-D embedding table "${name}"; pass the PretrainedModel loadPretrained returned`,
    );
  }
  const [oldVocab, hidden] = table.dims as [number, number];
  const old = table.data as Float32Array | Float64Array;
  const values = new Float64Array(newVocabSize * hidden);
  values.set(old.subarray(0, Math.min(oldVocab, newVocabSize) * hidden));
  if (newVocabSize > oldVocab) {
    const fill = new Float64Array(hidden);
    if (init === 'mean') {
      for (let r = 0; r < oldVocab; r++) {
        for (let j = 0; j < hidden; j++)
          fill[j] = (fill[j] as number) + (old[r * hidden + j] as number);
      }
      for (let j = 0; j < hidden; j++) fill[j] = (fill[j] as number) / oldVocab;
    }
    const std =
      model.config.gpt2?.initializer_range ?? model.config.bert?.initializer_range ?? 0.02;
    const normal = gaussian(seed);
    for (let r = oldVocab; r < newVocabSize; r++) {
      for (let j = 0; j < hidden; j++) {
        values[r * hidden + j] = init === 'mean' ? (fill[j] as number) : normal() * std;
      }
    }
  }
  const config = withVocab(model.config, newVocabSize);
  const rebuilt = buildPretrainedGraph(config, model.head, model.buildOptions);
  for (const param of rebuilt.parameters) {
    const current =
      param === name
        ? tensor(table.dtype, [newVocabSize, hidden], values)
        : model.graph.initializers.get(param);
    if (current === undefined) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `resizeTokenEmbeddings: parameter "${param}" of the rebuilt model is missing from the original; pass the PretrainedModel loadPretrained returned, with its head and buildOptions unchanged`,
      );
    }
    rebuilt.graph.initializers.set(param, current as TensorData);
  }
  return { ...model, ...rebuilt, config };
}
