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

/**
 * Builds a GPT-2 language model. Inputs (int64 [batch, sequence]): `input_ids`,
 * `attention_mask` and, with `positionIds`, `position_ids`. Output `logits`
 * [batch, sequence, vocab] from the final hidden state times `transformer.wte.weight`ᵀ (tied; no
 * `lm_head` parameter). Attention adds HF's masks: the dtype's minimum where a key is in the
 * future, plus (1 − mask)·minimum where it is padding. Conv1D weights are [in, out] and run as
 * plain Gemm on [batch·sequence, n_embd]. Init as HF: normal(0, initializer_range), with the
 * residual projections (`c_proj`) at initializer_range/√(2·n_layer).
 */
export function buildGpt2(config: Gpt2Config, options: Gpt2Options = {}): ModelGraph {
  const { positionIds = false, training = false, dtype = 'float32', seed = 0 } = options;
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

  const b = createGraphBuilder({ name: 'gpt2', opset: MODEL_OPSET });
  const p = createParameterStore(b, dtype, seed);
  const drop = createDropoutSwitch(b, training, dtype);
  const dims = ['batch', 'sequence'];
  const ids = b.input('input_ids', 'int64', dims);
  const mask = b.input('attention_mask', 'int64', dims);
  const posIds = positionIds ? b.input('position_ids', 'int64', dims) : undefined;

  const wte = p.add('transformer.wte.weight', [config.vocab_size, hidden], { normal: range });
  const wpe = p.add('transformer.wpe.weight', [config.n_positions, hidden], { normal: range });
  const idsShape = b.op('Shape', [ids]);
  const seqLen = b.op('Slice', [idsShape, b.int64s([1]), b.int64s([2])]);
  const positions = posIds
    ? b.op('Gather', [wpe, posIds])
    : b.op('Slice', [wpe, b.int64s([0]), seqLen, b.int64s([0])]);
  const embedded = drop.apply(b.op('Add', [b.op('Gather', [wte, ids]), positions]), embdDrop);
  let h = b.op('Reshape', [embedded, b.int64s([-1, hidden])]);

  // Attention bias [batch, 1, seq, seq], shared by all layers: HF adds min where the key is in
  // the future and (1 − mask)·min where it is padding (both: −inf, which softmax maps to 0).
  const dtypeCode = ONNX_DTYPE_CODE[dtype];
  const min = b.scalar(dtype, finfoMin(dtype));
  const steps = b.op('Range', [
    b.scalar('int64', 0),
    b.op('Squeeze', [seqLen]),
    b.scalar('int64', 1),
  ]);
  const future = b.op('Greater', [
    b.op('Unsqueeze', [steps, b.int64s([0])]),
    b.op('Unsqueeze', [steps, b.int64s([1])]),
  ]); // [seq_q, seq_k]: key after query
  const causalBias = b.op('Where', [future, min, b.scalar(dtype, 0)]);
  const padBias = b.op('Unsqueeze', [
    b.op('Mul', [b.op('Sub', [b.scalar(dtype, 1), b.op('Cast', [mask], { to: dtypeCode })]), min]),
    b.int64s([1, 2]),
  ]); // [batch, 1, 1, seq_k]
  const attnBias = b.op('Add', [causalBias, padBias]);
  const headShape = b.op('Concat', [idsShape, b.int64s([heads, headSize])], { axis: 0 });

  for (let i = 0; i < layers; i++) {
    const pre = `transformer.h.${i}`;
    const x = layerNormLayer(b, p, `${pre}.ln_1`, h, hidden, eps);
    const qkv = conv1dLayer(b, p, `${pre}.attn.c_attn`, x, hidden, 3 * hidden, range);
    const [q, k, v] = b.opN('Split', [qkv, b.int64s([hidden, hidden, hidden])], 3, {
      axis: 1,
    }) as [string, string, string];
    const context2d = multiHeadAttention(
      b,
      drop,
      { q, k, v },
      { headShape, bias: attnBias, hidden, headSize, dropout: attnDrop, dtype },
    );
    const attnOut = conv1dLayer(b, p, `${pre}.attn.c_proj`, context2d, hidden, hidden, projRange);
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
  const logitsShape = b.op('Concat', [idsShape, b.int64s([config.vocab_size])], { axis: 0 });
  b.op('Reshape', [flat, logitsShape], {}, { outputs: ['logits'] });
  b.output('logits', dtype, ['batch', 'sequence', config.vocab_size]);

  const result: ModelGraph = {
    graph: b.graph,
    parameters: p.names,
    inputs: b.graph.inputs.map((v) => v.name),
    outputs: ['logits'],
  };
  if (drop.seed !== undefined) result.dropoutSeed = drop.seed;
  return result;
}
