// GPT-2 decoder graphs for generation and packed fine-tuning: a KV cache with Optimum's input and
// output names, and a block-diagonal causal mask derived from position_ids for packed rows.
import { TrainerError } from '../errors.js';
import type { TensorData } from '../ir/types.js';
import { buildGpt2Graph, type Gpt2Config, resolveGpt2Config } from '../models/gpt2.js';
import { type ModelBuildOptions, type ModelGraph, setParameters } from '../models/utils.js';

export { cacheNames } from '../models/gpt2.js';

export interface Gpt2DecoderOptions extends ModelBuildOptions {
  /**
   * Add the KV cache: inputs `past_key_values.{i}.key|value` [batch, n_head, past_sequence,
   * head_dim] and outputs `present.{i}.key|value` [batch, n_head, past_sequence + sequence,
   * head_dim], with `attention_mask` covering past + current tokens (Optimum / transformers.js
   * names). @default true
   */
  kvCache?: boolean;
  /**
   * Block-diagonal causal attention for packed rows: a query at absolute index q with position p
   * sees keys q − p … q only, so an example (positions restarting at 0) never attends to the
   * example packed before it. Needs consecutive positions inside each example, as
   * packSftExamples writes them. Without it the mask is HF's: causal plus padding. @default false
   */
  packed?: boolean;
  /** Parameter values to load (e.g. from a trained step or a safetensors file), checked by name, dtype and dims. @default the seeded init */
  weights?: Map<string, TensorData> | Record<string, TensorData>;
}

/** A built decoder and the cache geometry the generator needs. */
export interface Gpt2Decoder extends ModelGraph {
  numLayers: number;
  numHeads: number;
  headDim: number;
  vocabSize: number;
  /** Whether the graph has past_key_values inputs and present outputs. */
  kvCache: boolean;
}

/**
 * Builds GPT2LMHeadModel as buildGpt2 does — same parameters, same order, same seeded init, so
 * weights move between the two unchanged — with `position_ids` always an input, an optional KV
 * cache and an optional packed (block-diagonal) mask. Inputs (int64): `input_ids` [batch,
 * sequence], `attention_mask` [batch, past_sequence + sequence], `position_ids` [batch,
 * sequence]; output `logits` [batch, sequence, vocab]. Masks are HF's (see buildGpt2Graph's
 * attention bias): a left-padding query still sees its own key, so its output is finite, not NaN.
 */
export function buildGpt2Decoder(
  config: Gpt2Config,
  options: Gpt2DecoderOptions = {},
): Gpt2Decoder {
  const { kvCache = true, packed = false, training = false, weights, ...rest } = options;
  if (training && kvCache) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'buildGpt2Decoder: a training graph cannot have a KV cache; pass kvCache: false with training: true',
    );
  }
  const model = buildGpt2Graph(config, {
    ...rest,
    training,
    name: 'gpt2_decoder',
    positionIds: true,
    kvCache,
    packed,
  });
  const { heads, layers, headSize } = resolveGpt2Config(config);
  const decoder: Gpt2Decoder = {
    ...model,
    numLayers: layers,
    numHeads: heads,
    headDim: headSize,
    vocabSize: config.vocab_size,
    kvCache,
  };
  if (weights !== undefined) {
    setParameters(decoder, weights instanceof Map ? Object.fromEntries(weights) : weights);
  }
  return decoder;
}
