// GPT-2-style decoder (Hugging Face GPT2LMHeadModel): causal self-attention, Conv1D [in, out]
// weights, LM head tied to the token embedding; parameter names match HF state dicts 1:1.
import { TrainerError } from '../errors.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import { ONNX_DTYPE_CODE } from '../ir/tensor.js';
import {
  type Activation,
  activation,
  checkPositiveInt,
  checkProbability,
  createDropoutSwitch,
  createParameterStore,
  denseLayer,
  finfoMin,
  layerNormLayer,
  MODEL_OPSET,
  type ModelBuildOptions,
  type ModelDType,
  type ModelGraph,
  multiHeadAttention,
  type ParameterStore,
} from './utils.js';

/** The fields of a Hugging Face GPT-2 `config.json` the builder reads (HF defaults noted). */
export interface Gpt2Config {
  vocab_size: number;
  n_positions: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  /** MLP width. @default 4·n_embd */
  n_inner?: number | null;
  /** @default 'gelu_new' */
  activation_function?: Activation;
  /** @default 1e-5 */
  layer_norm_epsilon?: number;
  /** @default 0.1 */
  resid_pdrop?: number;
  /** @default 0.1 */
  embd_pdrop?: number;
  /** @default 0.1 */
  attn_pdrop?: number;
  /** @default 0.02 */
  initializer_range?: number;
}

export interface Gpt2Options extends ModelBuildOptions {
  /**
   * Declare a `position_ids` input [batch, sequence] (positions that restart inside packed
   * sequences); without it position t is t. @default false
   */
  positionIds?: boolean;
}

function conv1dLayer(
  b: GraphBuilder,
  p: ParameterStore,
  prefix: string,
  x: string,
  inSize: number,
  outSize: number,
  std: number,
): string {
  return denseLayer(b, p, prefix, x, { in: inSize, out: outSize, std, layout: 'conv1d' });
}

/** A GPT-2 config checked, with Hugging Face's defaults filled in (shared by both GPT-2 builders). */
export interface ResolvedGpt2Config {
  hidden: number;
  heads: number;
  layers: number;
  headSize: number;
  inner: number;
  act: Activation;
  eps: number;
  residDrop: number;
  embdDrop: number;
  attnDrop: number;
  /** Init std of weights; `projRange` is the residual projections' (range/√(2·n_layer)). */
  range: number;
  projRange: number;
}

export function resolveGpt2Config(config: Gpt2Config): ResolvedGpt2Config {
  for (const field of ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head'] as const) {
    checkPositiveInt(`Gpt2Config.${field}`, config[field]);
  }
  const { n_embd: hidden, n_head: heads, n_layer: layers } = config;
  if (hidden % heads !== 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `Gpt2Config.n_embd (${hidden}) must be a multiple of n_head (${heads})`,
    );
  }
  const inner = config.n_inner ?? 4 * hidden;
  checkPositiveInt('Gpt2Config.n_inner', inner);
  const residDrop = config.resid_pdrop ?? 0.1;
  const embdDrop = config.embd_pdrop ?? 0.1;
  const attnDrop = config.attn_pdrop ?? 0.1;
  checkProbability('Gpt2Config.resid_pdrop', residDrop);
  checkProbability('Gpt2Config.embd_pdrop', embdDrop);
  checkProbability('Gpt2Config.attn_pdrop', attnDrop);
  const range = config.initializer_range ?? 0.02;
  return {
    hidden,
    heads,
    layers,
    headSize: hidden / heads,
    inner,
    act: config.activation_function ?? 'gelu_new',
    eps: config.layer_norm_epsilon ?? 1e-5,
    residDrop,
    embdDrop,
    attnDrop,
    range,
    projRange: range / Math.sqrt(2 * layers),
  };
}

/** Names of layer i's KV-cache inputs and outputs (Optimum's convention, as transformers.js reads them). */
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

/** What distinguishes buildGpt2's graph from buildGpt2Decoder's (generation/gpt2-decoder.ts). */
export interface Gpt2GraphOptions extends ModelBuildOptions {
  /** Graph name. */
  name: string;
  /** Declare `position_ids` [batch, sequence]; without it position t is t (no cache, no packing). */
  positionIds: boolean;
  /** `past_key_values.{i}.key|value` inputs and `present.{i}.key|value` outputs. */
  kvCache: boolean;
  /** Block-diagonal causal mask from position_ids (see Gpt2DecoderOptions.packed). */
  packed: boolean;
}

/**
 * The one GPT-2 graph builder behind buildGpt2 and buildGpt2Decoder (same parameters, order and
 * seeded init either way).
 */
export function buildGpt2Graph(config: Gpt2Config, options: Gpt2GraphOptions): ModelGraph {
  const {
    name,
    positionIds,
    kvCache,
    packed,
    training = false,
    dtype = 'float32',
    seed = 0,
  } = options;
  const {
    hidden,
    heads,
    layers,
    headSize,
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
  if ((kvCache || packed) && !positionIds) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'a GPT-2 graph with a KV cache or packed rows needs the position_ids input',
    );
  }

  const b = createGraphBuilder({ name, opset: MODEL_OPSET });
  const p = createParameterStore(b, dtype, seed);
  const drop = createDropoutSwitch(b, training, dtype);
  const ids = b.input('input_ids', 'int64', ['batch', 'sequence']);
  const mask = b.input('attention_mask', 'int64', [
    'batch',
    kvCache ? 'past_sequence + sequence' : 'sequence',
  ]);
  const posIds = positionIds ? b.input('position_ids', 'int64', ['batch', 'sequence']) : undefined;
  // Per layer: the cache inputs and the names of the present outputs (multiHeadAttention's cache).
  const caches: Array<ReturnType<typeof cacheNames>> = [];
  if (kvCache) {
    for (let i = 0; i < layers; i++) {
      const names = cacheNames(i);
      const shape = ['batch', heads, 'past_sequence', headSize];
      b.input(names.pastKey, dtype, shape);
      b.input(names.pastValue, dtype, shape);
      caches.push(names);
    }
  }

  const wte = p.add('transformer.wte.weight', [vocab, hidden], { normal: range });
  const wpe = p.add('transformer.wpe.weight', [config.n_positions, hidden], { normal: range });
  const idsShape = b.op('Shape', [ids]);
  const seqLen = b.op('Slice', [idsShape, b.int64s([1]), b.int64s([2])]);
  // Without position_ids, positions 0..seq−1 are the first seq rows of the table: a Slice.
  const positions = posIds
    ? b.op('Gather', [wpe, posIds])
    : b.op('Slice', [wpe, b.int64s([0]), seqLen, b.int64s([0])]);
  const embedded = drop.apply(b.op('Add', [b.op('Gather', [wte, ids]), positions]), embdDrop);
  let h = b.op('Reshape', [embedded, b.int64s([-1, hidden])]);

  const bias = attentionBias(b, {
    seq: b.op('Squeeze', [seqLen]),
    mask,
    posIds: packed ? posIds : undefined,
    pastKey: caches[0]?.pastKey,
    dtype,
  });
  const headShape = b.op('Concat', [idsShape, b.int64s([heads, headSize])], { axis: 0 });

  for (let i = 0; i < layers; i++) {
    const pre = `transformer.h.${i}`;
    const x = layerNormLayer(b, p, `${pre}.ln_1`, h, hidden, eps);
    const qkv = conv1dLayer(b, p, `${pre}.attn.c_attn`, x, hidden, 3 * hidden, range);
    const [q, k, v] = b.opN('Split', [qkv, b.int64s([hidden, hidden, hidden])], 3, {
      axis: 1,
    }) as [string, string, string];
    const cache = caches[i];
    const context = multiHeadAttention(
      b,
      drop,
      { q, k, v },
      {
        headShape,
        bias,
        hidden,
        headSize,
        dropout: attnDrop,
        dtype,
        ...(cache ? { cache } : {}),
      },
    );
    const attnOut = conv1dLayer(b, p, `${pre}.attn.c_proj`, context, hidden, hidden, projRange);
    h = b.op('Add', [h, drop.apply(attnOut, residDrop)]);
    const y = layerNormLayer(b, p, `${pre}.ln_2`, h, hidden, eps);
    const fc = activation(
      b,
      conv1dLayer(b, p, `${pre}.mlp.c_fc`, y, hidden, inner, range),
      act,
      dtype,
    );
    const mlpOut = conv1dLayer(b, p, `${pre}.mlp.c_proj`, fc, inner, hidden, projRange);
    h = b.op('Add', [h, drop.apply(mlpOut, residDrop)]);
  }
  const final = layerNormLayer(b, p, 'transformer.ln_f', h, hidden, eps);
  // Tied LM head: logits = h·wteᵀ, one Gemm with transB on the [vocab, n_embd] table.
  const flat = b.op('Gemm', [final, wte], { transB: 1 });
  const logitsShape = b.op('Concat', [idsShape, b.int64s([vocab])], { axis: 0 });
  b.op('Reshape', [flat, logitsShape], {}, { outputs: ['logits'] });
  b.output('logits', dtype, ['batch', 'sequence', vocab]);
  for (const names of caches) {
    const shape = ['batch', heads, 'past_sequence + sequence', headSize];
    b.output(names.presentKey, dtype, shape);
    b.output(names.presentValue, dtype, shape);
  }

  const result: ModelGraph = {
    graph: b.graph,
    parameters: p.names,
    inputs: b.graph.inputs.map((v) => v.name),
    outputs: b.graph.outputs.map((v) => v.name),
  };
  if (drop.seed !== undefined) result.dropoutSeed = drop.seed;
  return result;
}

/**
 * The additive attention bias [batch, 1, sequence, past + sequence], as HF builds it: the dtype's
 * minimum where key j is hidden from query i (absolute index past + i: j > past + i, or, with
 * `posIds` for packed rows, j before the start of the query's example, past + i − position_ids[i]),
 * plus the minimum again where key j is padding. A hidden padding key gets −∞; the query's own
 * key never does, so no softmax row is all −∞.
 */
function attentionBias(
  b: GraphBuilder,
  inputs: {
    seq: string;
    mask: string;
    posIds: string | undefined;
    pastKey: string | undefined;
    dtype: ModelDType;
  },
): string {
  const { seq, mask, posIds, pastKey, dtype } = inputs;
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
  if (posIds) {
    // [batch, seq, 1]: absolute index of the first token of each query's example.
    const start = b.op('Unsqueeze', [b.op('Sub', [queries, posIds]), b.int64s([2])]);
    hidden = b.op('Or', [hidden, b.op('Less', [keyRow, start])]); // [batch, seq, total]
  }
  const min = b.scalar(dtype, finfoMin(dtype));
  const hiddenBias = b.op('Where', [hidden, min, b.scalar(dtype, 0)]);
  const padding = b.op('Cast', [b.op('Equal', [mask, b.scalar('int64', 0)])], {
    to: ONNX_DTYPE_CODE[dtype],
  });
  const paddingBias = b.op('Unsqueeze', [b.op('Mul', [padding, min]), b.int64s([1])]); // [batch, 1, total]
  const bias = b.op('Add', [hiddenBias, paddingBias]); // [batch, seq, total]
  return b.op('Unsqueeze', [bias, b.int64s([1])]); // [batch, 1, seq, total]
}

/**
 * Builds a GPT-2 language model. Inputs (int64 [batch, sequence]): `input_ids`,
 * `attention_mask` and, with `positionIds`, `position_ids`. Output `logits`
 * [batch, sequence, vocab] from the final hidden state times `transformer.wte.weight`ᵀ (tied; no
 * `lm_head` parameter). Attention masks future keys and padding keys with the dtype's minimum,
 * as HF does. Conv1D weights are [in, out] and run as plain Gemm on [batch·sequence, n_embd].
 * Init as HF: normal(0, initializer_range), with the residual projections (`c_proj`) at
 * initializer_range/√(2·n_layer). For a KV cache or packed rows, see buildGpt2Decoder.
 */
export function buildGpt2(config: Gpt2Config, options: Gpt2Options = {}): ModelGraph {
  const { positionIds = false, ...rest } = options;
  return buildGpt2Graph(config, {
    ...rest,
    name: 'gpt2',
    positionIds,
    kvCache: false,
    packed: false,
  });
}
