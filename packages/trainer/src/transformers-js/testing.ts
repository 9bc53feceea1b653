// Fixtures of the transformers.js tests: tiny BERT / GPT-2 configs, a hand-written word-level
// GPT-2 tokenizer.json, and helpers that move tensors between transformers.js and our runtime.
import type { TensorData } from '../ir/types.js';
import type { BertConfig } from '../models/bert.js';
import type { Gpt2Config } from '../models/gpt2.js';
import type { ModelGraph } from '../models/utils.js';

/** Short sentences to train the WordPiece tokenizer on and to classify. */
export const CORPUS = [
  'the movie was great and fun to watch',
  'the film was bad and boring',
  'a wonderful story with great actors',
  'terrible plot and awful acting',
  'it was fine, nothing special',
  'great fun, a wonderful film',
];

/** A BERT small enough for quick tests; a wide init so outputs are far from uniform. */
export const TINY_BERT: BertConfig = {
  vocab_size: 100,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 32,
  initializer_range: 0.3,
};

/** The words of wordLevelTokenizer, ids 1… in this order. */
export const GPT2_WORDS = [
  'the',
  'cat',
  'dog',
  'sat',
  'on',
  'mat',
  'a',
  'big',
  'red',
  'ran',
  'home',
  '.',
];

/**
 * A word-level tokenizer.json: '<|endoftext|>' (id 0, special) then GPT2_WORDS, split on
 * whitespace; no decoder, so decoding joins tokens with spaces.
 */
export function wordLevelTokenizer(): Record<string, unknown> {
  const vocab: Record<string, number> = { '<|endoftext|>': 0 };
  GPT2_WORDS.forEach((w, i) => {
    vocab[w] = i + 1;
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [
      {
        id: 0,
        content: '<|endoftext|>',
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      },
    ],
    normalizer: null,
    pre_tokenizer: { type: 'WhitespaceSplit' },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab, unk_token: '<|endoftext|>' },
  };
}

/** Token ids of space-separated GPT2_WORDS (the reference encoding of wordLevelTokenizer). */
export function wordIds(text: string): number[] {
  return text.split(' ').map((w) => GPT2_WORDS.indexOf(w) + 1);
}

/** A GPT-2 over wordLevelTokenizer's 13 ids (vocab padded to 16, as models often are). */
export const TINY_GPT2: Gpt2Config = {
  vocab_size: 16,
  n_positions: 32,
  n_embd: 16,
  n_layer: 2,
  n_head: 2,
  initializer_range: 0.5,
};

/** A built model's current parameter values (its seeded init), as TrainingStep.getParameters gives them. */
export function parametersOf(model: ModelGraph): Map<string, TensorData> {
  const values = new Map<string, TensorData>();
  for (const name of model.parameters) {
    const value = model.graph.initializers.get(name);
    if (value !== undefined) values.set(name, value);
  }
  return values;
}

/** The parts of a transformers.js Tensor the tests read. */
export interface TjsTensor {
  dims: number[];
  data: unknown;
}

/** A transformers.js int64 Tensor as our TensorData. */
export function fromTjs(t: TjsTensor): TensorData {
  return { dtype: 'int64', dims: [...t.dims], data: t.data as BigInt64Array };
}

/** Rows of an int64 [rows, cols] tensor as numbers. */
export function rowsOf(t: TensorData): number[][] {
  const [rows = 0, cols = 0] = t.dims;
  const data = Array.from(t.data as BigInt64Array, Number);
  return Array.from({ length: rows }, (_, r) => data.slice(r * cols, (r + 1) * cols));
}
