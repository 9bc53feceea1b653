// GPT-2 decoder graphs for generation and packed fine-tuning: a KV cache with Optimum's input and
// output names, and a block-diagonal causal mask derived from position_ids for packed rows.
import { TrainerError } from '../errors.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import type { TensorData } from '../ir/types.js';
import { type Gpt2Config, resolveGpt2Config } from '../models/gpt2.js';
import {
  activation,
  createDropoutSwitch,
  createParameterStore,
  denseLayer,
  finfoMin,
  layerNormLayer,
  MODEL_OPSET,
  type ModelBuildOptions,
  type ModelGraph,
  setParameters,
} from '../models/utils.js';

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

/** Names of layer i's cache inputs and outputs (Optimum's convention). */
export function cacheNames(layer: number): {
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
} {
  return {
    pastKey: `past_key_values.${layer}.key`,
    pastValue: `past_key_values.${layer}.value`,
    presentKey: `present.${layer}.key`,
    presentValue: `present.${layer}.value`,
  };
}

/**
 * Builds GPT2LMHeadModel as buildGpt2 does — same parameters, same order, same seeded init, so
 * weights move between the two unchanged — with `position_ids` always an input, an optional KV
 * cache and an optional packed (block-diagonal) mask. Inputs (int64): `input_ids` [batch,
 * sequence], `attention_mask` [batch, past_sequence + sequence], `position_ids` [batch,
 * sequence]; output `logits` [batch, sequence, vocab]. Masked scores are set to the dtype's
 * minimum (not −∞), so a query whose keys are all masked (a left-padding position) gets a finite,
 * ignorable output instead of NaN.
 */
export function buildGpt2Decoder(
  config: Gpt2Config,
  options: Gpt2DecoderOptions = {},
): Gpt2Decoder {
  const { kvCache = true, packed = false, training = false, dtype = 'float32', seed = 0 } = options;
  const {
    hidden,
    heads,
    layers,
    headSize: headDim,
    inner,
    act,
    eps,
    residDrop,
    embdDrop,
    attnDrop,
    range,
    projRange,
  } = resolveGpt2Config(config);
  const vocab = config.vocab_size;
  if (training && kvCache) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'buildGpt2Decoder: a training graph cannot have a KV cache; pass kvCache: false with training: true',
    );
  }

  const b = createGraphBuilder({ name: 'gpt2_decoder', opset: MODEL_OPSET });
  const p = createParameterStore(b, dtype, seed);
  const drop = createDropoutSwitch(b, training, dtype);
  const ids = b.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = b.input('attention_mask', 'int64', [
    'batch',
    kvCache ? 'past_sequence + sequence' : 'sequence',
  ]);
  const posIds = b.input('position_ids', 'int64', ['batch', 'sequence']);
  const past: Array<{ key: string; value: string }> = [];
  if (kvCache) {
    for (let i = 0; i < layers; i++) {
      const names = cacheNames(i);
      const shape = ['batch', heads, 'past_sequence', headDim];
      past.push({
        key: b.input(names.pastKey, dtype, shape),
        value: b.input(names.pastValue, dtype, shape),
      });
    }
  }

  const wte = p.add('transformer.wte.weight', [vocab, hidden], { normal: range });
  const wpe = p.add('transformer.wpe.weight', [config.n_positions, hidden], { normal: range });
  const embedded = drop.apply(
    b.op('Add', [b.op('Gather', [wte, ids]), b.op('Gather', [wpe, posIds])]),
    embdDrop,
  );
  let h = b.op('Reshape', [embedded, b.int64s([-1, hidden])]);

  const bias = attentionBias(b, { ids, mask, posIds, pastKey: past[0]?.key, packed, dtype });
  const idsShape = b.op('Shape', [ids]);
  const headShape = b.op('Concat', [idsShape, b.int64s([heads, headDim])], { axis: 0 });
  const toHeads = (x: string) =>
    b.op('Transpose', [b.op('Reshape', [x, headShape])], { perm: [0, 2, 1, 3] });

  for (let i = 0; i < layers; i++) {
    const pre = `transformer.h.${i}`;
    const x = layerNormLayer(b, p, `${pre}.ln_1`, h, hidden, eps);
    const qkv = denseLayer(b, p, `${pre}.attn.c_attn`, x, {
      in: hidden,
      out: 3 * hidden,
      std: range,
      layout: 'conv1d',
    });
    const [q, k, v] = b.opN('Split', [qkv, b.int64s([hidden, hidden, hidden])], 3, {
      axis: 1,
    }) as [string, string, string];
    const qh = toHeads(b.op('Mul', [q, b.scalar(dtype, 1 / Math.sqrt(headDim))]));
    let kh = toHeads(k); // [B, heads, T, d]
    let vh = toHeads(v);
    const layerPast = past[i];
    if (layerPast) {
      const names = cacheNames(i);
      kh = b.op('Concat', [layerPast.key, kh], { axis: 2 }, { outputs: [names.presentKey] });
      vh = b.op('Concat', [layerPast.value, vh], { axis: 2 }, { outputs: [names.presentValue] });
    }
    const scores = b.op('Add', [
      b.op('MatMul', [qh, b.op('Transpose', [kh], { perm: [0, 1, 3, 2] })]),
      bias,
    ]);
    const probs = drop.apply(b.op('Softmax', [scores], { axis: -1 }), attnDrop);
    const context = b.op('Reshape', [
      b.op('Transpose', [b.op('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] }),
      b.int64s([-1, hidden]),
    ]);
    const attnOut = denseLayer(b, p, `${pre}.attn.c_proj`, context, {
      in: hidden,
      out: hidden,
      std: projRange,
      layout: 'conv1d',
    });
    h = b.op('Add', [h, drop.apply(attnOut, residDrop)]);
    const y = layerNormLayer(b, p, `${pre}.ln_2`, h, hidden, eps);
    const fcIn = denseLayer(b, p, `${pre}.mlp.c_fc`, y, {
      in: hidden,
      out: inner,
      std: range,
      layout: 'conv1d',
    });
    const mlpOut = denseLayer(b, p, `${pre}.mlp.c_proj`, activation(b, fcIn, act, dtype), {
      in: inner,
      out: hidden,
      std: projRange,
      layout: 'conv1d',
    });
    h = b.op('Add', [h, drop.apply(mlpOut, residDrop)]);
  }
  const final = layerNormLayer(b, p, 'transformer.ln_f', h, hidden, eps);
  const flat = b.op('Gemm', [final, wte], { transB: 1 }); // tied LM head
  const logitsShape = b.op('Concat', [idsShape, b.int64s([vocab])], { axis: 0 });
  b.op('Reshape', [flat, logitsShape], {}, { outputs: ['logits'] });
  b.output('logits', dtype, ['batch', 'sequence', vocab]);
  for (let i = 0; i < past.length; i++) {
    const names = cacheNames(i);
    const shape = ['batch', heads, 'past_sequence + sequence', headDim];
    b.output(names.presentKey, dtype, shape);
    b.output(names.presentValue, dtype, shape);
  }

  const decoder: Gpt2Decoder = {
    graph: b.graph,
    parameters: p.names,
    inputs: b.graph.inputs.map((v) => v.name),
    outputs: b.graph.outputs.map((v) => v.name),
    numLayers: layers,
    numHeads: heads,
    headDim,
    vocabSize: vocab,
    kvCache,
  };
  if (drop.seed !== undefined) decoder.dropoutSeed = drop.seed;
  if (options.weights !== undefined) {
    const values =
      options.weights instanceof Map ? Object.fromEntries(options.weights) : options.weights;
    setParameters(decoder, values);
  }
  return decoder;
}

/**
 * The additive attention bias [batch, 1, sequence, past + sequence]: 0 where query i (absolute
 * index past + i) may see key j, the dtype's minimum elsewhere. Visible: j ≤ past + i, key j not
 * padding and, when packed, j ≥ past + i − position_ids[i] (the start of the query's example).
 */
function attentionBias(
  b: GraphBuilder,
  inputs: {
    ids: string;
    mask: string;
    posIds: string;
    pastKey: string | undefined;
    packed: boolean;
    dtype: 'float32' | 'float64';
  },
): string {
  const { ids, mask, posIds, pastKey, packed, dtype } = inputs;
  const seq = b.op('Squeeze', [
    b.op('Slice', [b.op('Shape', [ids]), b.int64s([1]), b.int64s([2])]),
  ]);
  const past = pastKey
    ? b.op('Squeeze', [b.op('Slice', [b.op('Shape', [pastKey]), b.int64s([2]), b.int64s([3])])])
    : b.scalar('int64', 0);
  const total = b.op('Add', [past, seq]);
  const one = b.scalar('int64', 1);
  const keys = b.op('Range', [b.scalar('int64', 0), total, one]); // [total]
  const queries = b.op('Range', [past, total, one]); // [seq], absolute indices
  const keyRow = b.op('Unsqueeze', [keys, b.int64s([0])]); // [1, total]
  // [seq, total]: the key comes after the query.
  let hidden = b.op('Greater', [keyRow, b.op('Unsqueeze', [queries, b.int64s([1])])]);
  if (packed) {
    // [batch, seq, 1]: absolute index of the first token of each query's example.
    const start = b.op('Unsqueeze', [b.op('Sub', [queries, posIds]), b.int64s([2])]);
    hidden = b.op('Or', [hidden, b.op('Less', [keyRow, start])]); // [batch, seq, total]
  }
  const padding = b.op('Unsqueeze', [b.op('Equal', [mask, b.scalar('int64', 0)]), b.int64s([1])]); // [batch, 1, total]
  hidden = b.op('Or', [hidden, padding]); // [batch, seq, total]
  const bias = b.op('Where', [hidden, b.scalar(dtype, finfoMin(dtype)), b.scalar(dtype, 0)]);
  return b.op('Unsqueeze', [bias, b.int64s([1])]); // [batch, 1, seq, total]
}
