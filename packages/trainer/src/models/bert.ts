// BERT-style encoder (Hugging Face BertModel) with classification, token-classification,
// regression and multi-task heads; parameter names match HF state dicts 1:1.
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
  type DropoutSwitch,
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

/** The fields of a Hugging Face BERT `config.json` the builder reads (HF defaults noted). */
export interface BertConfig {
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  /** @default 'gelu' (exact, erf-based); 'gelu_new' is the tanh approximation */
  hidden_act?: Activation;
  max_position_embeddings: number;
  /** @default 2 */
  type_vocab_size?: number;
  /** @default 1e-12 */
  layer_norm_eps?: number;
  /** @default 0.1 */
  hidden_dropout_prob?: number;
  /** @default 0.1 */
  attention_probs_dropout_prob?: number;
  /** Standard deviation of the normal weight init. @default 0.02 */
  initializer_range?: number;
  /** Row of `word_embeddings` initialised to zeros (HF `padding_idx`). @default 0 */
  pad_token_id?: number | null;
  /** Dropout before the classifier; null falls back to hidden_dropout_prob. @default null */
  classifier_dropout?: number | null;
  /** Labels of the default classification head. @default 2 */
  num_labels?: number;
  /** Only 'absolute' is supported. @default 'absolute' */
  position_embedding_type?: string;
}

/** One output of a multi-task head. */
export interface BertTaskHead {
  /** Parameters `heads.<name>.weight/bias`, output `logits_<name>`; letters, digits, `_`. */
  name: string;
  type: 'classification' | 'regression';
  /** Classes of a classification head. @default config.num_labels ?? 2 */
  numLabels?: number;
}

/** What sits on top of the encoder. */
export type BertHead =
  /** BertModel: outputs `last_hidden_state` and `pooler_output`. */
  | { type: 'none' }
  /** BertForSequenceClassification: `classifier` on the pooled output → `logits` [batch, labels]. */
  | { type: 'sequence-classification'; numLabels?: number }
  /** BertForSequenceClassification with num_labels 1: `logits` [batch, 1]. */
  | { type: 'regression' }
  /** BertForTokenClassification (no pooler): `logits` [batch, sequence, labels]. */
  | { type: 'token-classification'; numLabels?: number }
  /** Several heads over the pooled output, each `logits_<name>`. */
  | { type: 'multi'; heads: readonly BertTaskHead[] };

export interface BertOptions extends ModelBuildOptions {
  /** @default { type: 'sequence-classification' } */
  head?: BertHead;
  /**
   * Declare the `token_type_ids` input; without it every token uses segment 0 (HF's default
   * when the argument is omitted). @default true
   */
  tokenTypeIds?: boolean;
  /**
   * Output `last_hidden_state` [batch, sequence, hidden]. Heads that read only the pooled [CLS]
   * state (sequence classification, regression, multi) do not need the last layer's other
   * positions: without this output the last layer computes its query, attention output and
   * feed-forward for the [CLS] token alone (keys and values still see every token). Logits and
   * gradients are the same; a training step of a 4-layer model does about a fifth less work.
   * Heads 'none' and 'token-classification' always output it. @default false
   */
  lastHiddenState?: boolean;
}

interface Resolved {
  hidden: number;
  heads: number;
  headSize: number;
  intermediate: number;
  act: Activation;
  eps: number;
  hiddenDrop: number;
  attnDrop: number;
  range: number;
}

function resolve(config: BertConfig): Resolved {
  for (const field of [
    'vocab_size',
    'hidden_size',
    'num_hidden_layers',
    'num_attention_heads',
    'intermediate_size',
    'max_position_embeddings',
  ] as const) {
    checkPositiveInt(`BertConfig.${field}`, config[field]);
  }
  const { hidden_size: hidden, num_attention_heads: heads } = config;
  if (hidden % heads !== 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `BertConfig.hidden_size (${hidden}) must be a multiple of num_attention_heads (${heads})`,
    );
  }
  if ((config.position_embedding_type ?? 'absolute') !== 'absolute') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `BertConfig.position_embedding_type ${JSON.stringify(config.position_embedding_type)} is not supported (only 'absolute')`,
    );
  }
  const hiddenDrop = config.hidden_dropout_prob ?? 0.1;
  const attnDrop = config.attention_probs_dropout_prob ?? 0.1;
  checkProbability('BertConfig.hidden_dropout_prob', hiddenDrop);
  checkProbability('BertConfig.attention_probs_dropout_prob', attnDrop);
  return {
    hidden,
    heads,
    headSize: hidden / heads,
    intermediate: config.intermediate_size,
    act: config.hidden_act ?? 'gelu',
    eps: config.layer_norm_eps ?? 1e-12,
    hiddenDrop,
    attnDrop,
    range: config.initializer_range ?? 0.02,
  };
}

/** Linear layer `<prefix>.weight` [out, in] + `<prefix>.bias` (HF init: normal / zeros). */
function dense(
  b: GraphBuilder,
  p: ParameterStore,
  prefix: string,
  x: string,
  inSize: number,
  outSize: number,
  range: number,
): string {
  return denseLayer(b, p, prefix, x, { in: inSize, out: outSize, std: range });
}

interface AttentionContext {
  b: GraphBuilder;
  p: ParameterStore;
  drop: DropoutSwitch;
  r: Resolved;
  dtype: ModelDType;
  /** [batch, seq, heads, headSize] as an int64 shape value. */
  headShape: string;
  /** Additive mask [batch, 1, 1, seq]: 0 where attended, the dtype's minimum where padded. */
  maskBias: string;
  /** [batch, seq, hidden] as an int64 shape value. */
  hiddenShape: string;
  /** [batch, 1, heads, headSize] as an int64 shape value: one query per sequence. */
  clsHeadShape: string;
}

/** The [CLS] (first) row of each sequence of hidden states [batch·seq, hidden] → [batch, hidden]. */
function clsRows(ctx: AttentionContext, h: string): string {
  const { b, hiddenShape } = ctx;
  return b.op('Gather', [b.op('Reshape', [h, hiddenShape]), b.scalar('int64', 0)], { axis: 1 });
}

/**
 * One BertLayer on hidden states [batch·seq, hidden]. With `clsOnly`, keys and values still
 * come from every position but only the [CLS] query is computed, so the layer returns [batch,
 * hidden]: exactly the rows a pooled head reads from the last layer.
 */
function encoderLayer(ctx: AttentionContext, h: string, i: number, clsOnly: boolean): string {
  const { b, p, drop, r, dtype, headShape, maskBias } = ctx;
  const pre = `bert.encoder.layer.${i}`;
  const residual = clsOnly ? clsRows(ctx, h) : h;
  const q = dense(b, p, `${pre}.attention.self.query`, residual, r.hidden, r.hidden, r.range);
  const k = dense(b, p, `${pre}.attention.self.key`, h, r.hidden, r.hidden, r.range);
  const v = dense(b, p, `${pre}.attention.self.value`, h, r.hidden, r.hidden, r.range);
  const context2d = multiHeadAttention(
    b,
    drop,
    { q, k, v },
    {
      headShape,
      queryHeadShape: clsOnly ? ctx.clsHeadShape : headShape,
      bias: maskBias,
      hidden: r.hidden,
      headSize: r.headSize,
      dropout: r.attnDrop,
      dtype,
    },
  );
  const attnDense = dense(
    b,
    p,
    `${pre}.attention.output.dense`,
    context2d,
    r.hidden,
    r.hidden,
    r.range,
  );
  const attnOut = layerNormLayer(
    b,
    p,
    `${pre}.attention.output.LayerNorm`,
    b.op('Add', [drop.apply(attnDense, r.hiddenDrop), residual]),
    r.hidden,
    r.eps,
  );
  const inter = activation(
    b,
    dense(b, p, `${pre}.intermediate.dense`, attnOut, r.hidden, r.intermediate, r.range),
    r.act,
    dtype,
  );
  const outDense = dense(b, p, `${pre}.output.dense`, inter, r.intermediate, r.hidden, r.range);
  return layerNormLayer(
    b,
    p,
    `${pre}.output.LayerNorm`,
    b.op('Add', [drop.apply(outDense, r.hiddenDrop), attnOut]),
    r.hidden,
    r.eps,
  );
}

const HEAD_NAME = /^[A-Za-z0-9_]+$/;

/**
 * Builds a BERT encoder with a head. Inputs (int64): `input_ids`, `attention_mask` and (unless
 * `tokenTypeIds: false`) `token_type_ids`, all [batch, sequence]. Outputs: `logits` (or
 * `logits_<name>` per multi-task head, or `pooler_output` for head 'none') and, unless a pooled
 * head left it out (see `lastHiddenState`), `last_hidden_state` [batch, sequence, hidden].
 * Linear layers run as 2-D Gemm with transB=1 on [batch·sequence, hidden] (on [batch, hidden]
 * for a [CLS]-only last layer), so HF's [out, in] weights are used as stored, untransposed.
 * Parameters carry the `bert.` prefix of HF's *For* task models (BertModel checkpoints lack it).
 */
export function buildBert(config: BertConfig, options: BertOptions = {}): ModelGraph {
  const {
    head = { type: 'sequence-classification' },
    tokenTypeIds = true,
    training = false,
    dtype = 'float32',
    seed = 0,
  } = options;
  const r = resolve(config);
  const typeVocab = config.type_vocab_size ?? 2;
  checkPositiveInt('BertConfig.type_vocab_size', typeVocab);
  const defaultLabels = config.num_labels ?? 2;
  const classifierDrop = config.classifier_dropout ?? r.hiddenDrop;
  checkProbability('BertConfig.classifier_dropout', classifierDrop);

  const b = createGraphBuilder({ name: 'bert', opset: MODEL_OPSET });
  const p = createParameterStore(b, dtype, seed);
  const drop = createDropoutSwitch(b, training, dtype);
  const dims = ['batch', 'sequence'];
  const ids = b.input('input_ids', 'int64', dims);
  const mask = b.input('attention_mask', 'int64', dims);
  const types = tokenTypeIds ? b.input('token_type_ids', 'int64', dims) : undefined;

  // Embeddings: word + position + token type → LayerNorm → dropout.
  const wordEmb = p.add('bert.embeddings.word_embeddings.weight', [config.vocab_size, r.hidden], {
    normal: r.range,
  });
  const padRow = config.pad_token_id === undefined ? 0 : config.pad_token_id;
  if (padRow !== null && padRow >= 0 && padRow < config.vocab_size) {
    // HF zeroes the padding_idx row of nn.Embedding in _init_weights.
    const table = b.graph.initializers.get(wordEmb)?.data as Float32Array | Float64Array;
    table.fill(0, padRow * r.hidden, (padRow + 1) * r.hidden);
  }
  const posEmb = p.add(
    'bert.embeddings.position_embeddings.weight',
    [config.max_position_embeddings, r.hidden],
    { normal: r.range },
  );
  const typeEmb = p.add('bert.embeddings.token_type_embeddings.weight', [typeVocab, r.hidden], {
    normal: r.range,
  });
  const idsShape = b.op('Shape', [ids]); // [batch, seq]
  const seqLen = b.op('Slice', [idsShape, b.int64s([1]), b.int64s([2])]);
  // Positions 0..seq−1 are the first seq rows of the table: a Slice, no position_ids tensor.
  const positions = b.op('Slice', [posEmb, b.int64s([0]), seqLen, b.int64s([0])]);
  const typeRows = types
    ? b.op('Gather', [typeEmb, types])
    : b.op('Slice', [typeEmb, b.int64s([0]), b.int64s([1]), b.int64s([0])]);
  const summed = b.op('Add', [b.op('Add', [b.op('Gather', [wordEmb, ids]), positions]), typeRows]);
  const embedded = drop.apply(
    layerNormLayer(b, p, 'bert.embeddings.LayerNorm', summed, r.hidden, r.eps),
    r.hiddenDrop,
  );
  let h = b.op('Reshape', [embedded, b.int64s([-1, r.hidden])]);

  // (1 − mask)·min, broadcast over heads and query positions: [batch, 1, 1, seq].
  const maskF = b.op('Cast', [mask], { to: ONNX_DTYPE_CODE[dtype] });
  const maskBias = b.op('Unsqueeze', [
    b.op('Mul', [b.op('Sub', [b.scalar(dtype, 1), maskF]), b.scalar(dtype, finfoMin(dtype))]),
    b.int64s([1, 2]),
  ]);
  const headShape = b.op('Concat', [idsShape, b.int64s([r.heads, r.headSize])], { axis: 0 });
  const hiddenShape = b.op('Concat', [idsShape, b.int64s([r.hidden])], { axis: 0 });
  const layers = config.num_hidden_layers;
  const pooledHead = head.type !== 'none' && head.type !== 'token-classification';
  const clsOnlyLastLayer = pooledHead && !(options.lastHiddenState ?? false) && layers > 0;
  // Built only for a [CLS]-only layer, so other graphs carry no dead shape nodes.
  const clsHeadShape = clsOnlyLastLayer
    ? b.op(
        'Concat',
        [
          b.op('Slice', [idsShape, b.int64s([0]), b.int64s([1])]),
          b.int64s([1, r.heads, r.headSize]),
        ],
        { axis: 0 },
      )
    : headShape;
  const ctx: AttentionContext = {
    b,
    p,
    drop,
    r,
    dtype,
    headShape,
    maskBias,
    hiddenShape,
    clsHeadShape,
  };
  for (let i = 0; i < layers; i++)
    h = encoderLayer(ctx, h, i, clsOnlyLastLayer && i === layers - 1);
  const final = h; // [batch, hidden] after a [CLS]-only last layer, else [batch·seq, hidden]

  if (!clsOnlyLastLayer) {
    b.op('Reshape', [final, hiddenShape], {}, { outputs: ['last_hidden_state'] });
  }
  // The [CLS] token's final hidden state [batch, hidden]; taken only by the heads that pool, so
  // a token classifier has no dead Gather.
  const cls = (): string =>
    clsOnlyLastLayer
      ? final
      : b.op('Gather', ['last_hidden_state', b.scalar('int64', 0)], { axis: 1 });
  const outputs: string[] = [];
  const output = (name: string, shape: Array<string | number>) => {
    b.output(name, dtype, shape);
    outputs.push(name);
  };

  // BertPooler: dense → tanh on the [CLS] state.
  const pooled = (): string =>
    b.op('Tanh', [dense(b, p, 'bert.pooler.dense', cls(), r.hidden, r.hidden, r.range)]);
  const classifier = (x: string, prefix: string, labels: number, out?: string): string => {
    const w = p.add(`${prefix}.weight`, [labels, r.hidden], { normal: r.range });
    const bias = p.add(`${prefix}.bias`, [labels], 'zeros');
    return b.op('Gemm', [x, w, bias], { transB: 1 }, out ? { outputs: [out] } : {});
  };

  switch (head.type) {
    case 'none': {
      b.op('Identity', [pooled()], {}, { outputs: ['pooler_output'] });
      output('pooler_output', ['batch', r.hidden]);
      break;
    }
    case 'sequence-classification':
    case 'regression': {
      const labels = head.type === 'regression' ? 1 : (head.numLabels ?? defaultLabels);
      checkPositiveInt('numLabels', labels);
      classifier(drop.apply(pooled(), classifierDrop), 'classifier', labels, 'logits');
      output('logits', ['batch', labels]);
      break;
    }
    case 'token-classification': {
      const labels = head.numLabels ?? defaultLabels;
      checkPositiveInt('numLabels', labels);
      const flat = classifier(drop.apply(h, classifierDrop), 'classifier', labels);
      const shape = b.op('Concat', [idsShape, b.int64s([labels])], { axis: 0 });
      b.op('Reshape', [flat, shape], {}, { outputs: ['logits'] });
      output('logits', ['batch', 'sequence', labels]);
      break;
    }
    case 'multi': {
      if (head.heads.length === 0) {
        throw new TrainerError('INVALID_ARGUMENT', 'a multi-task head needs at least one head');
      }
      const seen = new Set<string>();
      const x = drop.apply(pooled(), classifierDrop);
      for (const task of head.heads) {
        if (!HEAD_NAME.test(task.name) || seen.has(task.name)) {
          throw new TrainerError(
            'INVALID_ARGUMENT',
            `head name ${JSON.stringify(task.name)} must be unique and use only letters, digits and _`,
          );
        }
        seen.add(task.name);
        const labels = task.type === 'regression' ? 1 : (task.numLabels ?? defaultLabels);
        checkPositiveInt(`heads.${task.name}.numLabels`, labels);
        classifier(x, `heads.${task.name}`, labels, `logits_${task.name}`);
        output(`logits_${task.name}`, ['batch', labels]);
      }
      break;
    }
    default:
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `unknown BERT head ${JSON.stringify((head as { type: unknown }).type)}`,
      );
  }
  if (!clsOnlyLastLayer) output('last_hidden_state', ['batch', 'sequence', r.hidden]);

  const result: ModelGraph = {
    graph: b.graph,
    parameters: p.names,
    inputs: b.graph.inputs.map((v) => v.name),
    outputs,
  };
  if (drop.seed !== undefined) result.dropoutSeed = drop.seed;
  return result;
}
