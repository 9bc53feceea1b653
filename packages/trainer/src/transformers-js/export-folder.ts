// Exports a trained BERT or GPT-2 as a folder that transformers.js v4 loads from a local path:
// onnx/model.onnx, config.json, tokenizer.json, tokenizer_config.json (+ generation_config.json).
//
// What @huggingface/transformers 4.3.1 requires (read in its src/, checked by the tests):
// - The model file is `<folder>/onnx/model<suffix>.onnx`; `dtype: 'fp32'` means no suffix. In
//   Node the file is handed to ONNX Runtime by path, so an external data file next to it is
//   found through the ONNX `location`; the Hub and browsers fetch only the files named by
//   config.json's `transformers.js_config.use_external_data_format` (true → `model.onnx_data`),
//   so large weights go to `model.onnx_data` and that flag is set.
// - config.json's `model_type` picks the class per task (bert → BertForSequenceClassification,
//   BertForTokenClassification, BertModel; gpt2 → GPT2LMHeadModel); `architectures` is read
//   only for multimodal checkpoints, and written for Python Transformers and loadPretrained.
//   text-classification reads `id2label` and `problem_type` (sigmoid for
//   'multi_label_classification', softmax otherwise — also for regression, whose raw logits
//   are only available from the model itself); token-classification reads `id2label`.
// - Encoders get `token_type_ids` (zeros when the tokenizer gives none) only when the session
//   has that input; extra feeds are dropped, so a model built with `tokenTypeIds: false` works.
// - feature-extraction reads `last_hidden_state` and pools itself (mean over attention_mask,
//   first token, last token), then L2-normalises when asked.
// - gpt2 decoding feeds `past_key_values.{i}.key|value` (float32), empty on the first step and
//   sized from the session's input metadata: fixed numbers are used as they are (so num_heads
//   and head_dim must be numbers there, as buildGpt2Decoder declares them), the symbolic dim
//   'batch_size' becomes the batch and every other name 0 — so the batch dim is renamed from our
//   'batch' to Optimum's 'batch_size' (with 'batch', ONNX Runtime's Concat happened to accept the
//   [0, heads, 0, head_dim] cache, but that is not something to rely on). It also feeds
//   `attention_mask` over past + new tokens and, because the session has that input,
//   `position_ids` = cumsum(attention_mask) − 1; it reads `logits` and `present.{i}.key|value`.
//   config.json's n_head / n_layer / n_embd are read as num_heads / num_layers / hidden_size;
//   `eos_token_id` (generation_config.json, else config.json) stops generation.
// - The tokenizer class comes from tokenizer_config.json's `tokenizer_class`; special tokens
//   (skipped by decode) are tokenizer.json's `added_tokens` marked `special`.
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '@ft/data';
import { TrainerError } from '../errors.js';
import { exportInferenceModel } from '../export/inference-model.js';
import { buildGpt2Decoder, cacheNames } from '../generation/gpt2-decoder.js';
import type { TensorData } from '../ir/types.js';
import { type BertConfig, type BertHead, buildBert } from '../models/bert.js';
import { type Gpt2Config, resolveGpt2Config } from '../models/gpt2.js';
import type { ModelGraph } from '../models/utils.js';
import { pruneGraph } from '../step/graph-utils.js';

/** A BERT encoder as buildBert builds it (the same config and head as in training). */
export interface TransformersJsBert {
  type: 'bert';
  config: BertConfig;
  /**
   * 'sequence-classification' / 'regression' → BertForSequenceClassification,
   * 'token-classification' → BertForTokenClassification, 'none' → BertModel (for
   * feature-extraction; the parameters of buildEmbeddingModel fit it). Multi-task heads have no
   * transformers.js class. @default { type: 'sequence-classification' }
   */
  head?: BertHead;
  /** Whether the model was built with a `token_type_ids` input (BertOptions.tokenTypeIds). @default true */
  tokenTypeIds?: boolean;
}

/** A GPT-2 language model (buildGpt2 or buildGpt2Decoder parameters), exported with a KV cache. */
export interface TransformersJsGpt2 {
  type: 'gpt2';
  config: Gpt2Config;
  /** @default the id of '<|endoftext|>' in the tokenizer, if it has one */
  bosTokenId?: number;
  /** Generation stops at this id. @default the id of '<|endoftext|>' in the tokenizer, if it has one */
  eosTokenId?: number;
  /** Written to generation_config.json when set. @default none */
  padTokenId?: number;
}

export type TransformersJsModel = TransformersJsBert | TransformersJsGpt2;

/** The pipeline task an exported folder is made for. */
export type TransformersJsTask =
  | 'text-classification'
  | 'token-classification'
  | 'feature-extraction'
  | 'text-generation';

export interface ExportTransformersJsOptions {
  /** Architecture and builder config; config.json is derived from it. */
  model: TransformersJsModel;
  /**
   * Every parameter of the model by name, float32: `TrainingStep.getParameters()`, plus the
   * model graph's initializers for any parameters that were frozen.
   */
  parameters: Map<string, TensorData>;
  /** The folder to write (replaced as a whole when it exists). */
  outputDir: string;
  /** Class names in label-id order (`id2label`); required for classification heads. */
  labels?: readonly string[];
  /**
   * How text-classification turns logits into scores: softmax ('single_label_classification')
   * or per-label sigmoid ('multi_label_classification'). Regression heads always get
   * 'regression'; other heads refuse it. @default 'single_label_classification'
   */
  problemType?: 'single_label_classification' | 'multi_label_classification';
  /** The tokenizer: a tokenizer.json path, or its parsed content. */
  tokenizer: string | Record<string, unknown>;
  /**
   * Fields merged over the derived tokenizer_config.json (e.g. your own tokenizer_config.json
   * content, or a `chat_template`). @default none
   */
  tokenizerConfig?: Record<string, unknown>;
  /** Initializers of at least this many bytes go to `onnx/model.onnx_data`. @default 1048576 */
  externalDataThreshold?: number;
}

export interface ExportedTransformersJs {
  /** The folder, to pass to `pipeline(task, dir)` or as `env.localModelPath` + name. */
  dir: string;
  /** The pipeline task the folder serves. */
  task: TransformersJsTask;
  /** Files written, relative to `dir`, sorted. */
  files: string[];
  /** The config.json content. */
  config: Record<string, unknown>;
}

const EXTERNAL_DATA_FILE = 'model.onnx_data';
const ENDOFTEXT = '<|endoftext|>';

/** Conventional spellings of special tokens, by tokenizer_config.json role. */
const SPECIAL_SPELLINGS: Record<string, readonly string[]> = {
  pad_token: ['[PAD]', '<pad>', '<|pad|>'],
  unk_token: ['[UNK]', '<unk>'],
  cls_token: ['[CLS]', '<s>'],
  sep_token: ['[SEP]', '</s>'],
  mask_token: ['[MASK]', '<mask>'],
  bos_token: [ENDOFTEXT, '<s>'],
  eos_token: [ENDOFTEXT, '</s>'],
};

interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  [key: string]: unknown;
}

interface TokenizerInfo {
  json: Record<string, unknown>;
  /** Largest id + 1 over the vocabulary and added tokens. */
  size: number;
  added: AddedToken[];
  idOf(token: string): number | undefined;
  model: Record<string, unknown>;
}

function invalid(problem: string, file?: string): TrainerError {
  return new TrainerError('INVALID_ARGUMENT', problem, file === undefined ? {} : { file });
}

async function readTokenizer(source: string | Record<string, unknown>): Promise<TokenizerInfo> {
  let json: unknown = source;
  const file = typeof source === 'string' ? source : undefined;
  // A file's path leads the message (TrainerError's `file`); an object is named in the text.
  const bad = (problem: string) =>
    invalid(`${file === undefined ? 'the tokenizer object ' : ''}${problem}`, file);
  if (typeof source === 'string') {
    let text: string;
    try {
      text = await readFile(source, 'utf8');
    } catch (error) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        'cannot read the tokenizer; pass the path of a Hugging Face tokenizer.json (or its parsed content)',
        { file: source, cause: error },
      );
    }
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new TrainerError('INVALID_ARGUMENT', 'tokenizer is not valid JSON', {
        file: source,
        cause: error,
      });
    }
  }
  const obj = json as Record<string, unknown>;
  const model = obj?.model as Record<string, unknown> | undefined;
  const vocab = model?.vocab;
  if (typeof obj !== 'object' || obj === null || typeof model !== 'object' || model === null) {
    throw bad(
      `has no "model" object; a tokenizer.json holds { model: { type, vocab, … }, added_tokens, … }`,
    );
  }
  const ids = new Map<string, number>();
  if (Array.isArray(vocab)) {
    // Unigram: [piece, score] by id.
    vocab.forEach((entry, id) => {
      if (Array.isArray(entry) && typeof entry[0] === 'string') ids.set(entry[0], id);
    });
  } else if (typeof vocab === 'object' && vocab !== null) {
    for (const [token, id] of Object.entries(vocab)) {
      if (typeof id === 'number') ids.set(token, id);
    }
  } else {
    throw bad(
      `field "model.vocab" is missing; a tokenizer.json model has a vocab (token → id, or [piece, score] pairs)`,
    );
  }
  const rawAdded = obj.added_tokens ?? [];
  if (!Array.isArray(rawAdded)) {
    throw bad(`field "added_tokens" must be an array`);
  }
  const added: AddedToken[] = [];
  for (const t of rawAdded as Array<Record<string, unknown>>) {
    if (typeof t?.id !== 'number' || typeof t.content !== 'string') {
      throw bad(
        `an "added_tokens" entry lacks a numeric "id" or string "content": ${JSON.stringify(t)}`,
      );
    }
    added.push({ ...t, id: t.id, content: t.content, special: t.special === true });
    ids.set(t.content, t.id);
  }
  let size = 0;
  for (const id of ids.values()) size = Math.max(size, id + 1);
  return { json: obj, size, added, idOf: (token) => ids.get(token), model };
}

/** The normalizers of a tokenizer.json, a Sequence flattened. */
function normalizersOf(normalizer: unknown): Array<Record<string, unknown>> {
  if (typeof normalizer !== 'object' || normalizer === null) return [];
  const n = normalizer as Record<string, unknown>;
  if (n.type === 'Sequence' && Array.isArray(n.normalizers)) {
    return n.normalizers.flatMap(normalizersOf);
  }
  return [n];
}

/**
 * BertTokenizer's do_lower_case / strip_accents / tokenize_chinese_chars as the normalizer
 * applies them: Transformers' BertTokenizerFast rebuilds the normalizer when these disagree.
 */
function bertNormalizerFields(normalizer: unknown): Record<string, unknown> {
  const all = normalizersOf(normalizer);
  const bert = all.find((n) => n.type === 'BertNormalizer');
  return {
    do_lower_case:
      all.some((n) => n.type === 'Lowercase') || (bert !== undefined && bert.lowercase !== false),
    strip_accents: bert?.strip_accents ?? null,
    tokenize_chinese_chars: bert?.handle_chinese_chars !== false,
  };
}

/** tokenizer_config.json as Transformers writes it for a BertTokenizer or GPT2Tokenizer. */
function tokenizerConfigFor(
  tok: TokenizerInfo,
  model: TransformersJsModel,
  maxLength: number,
  inputNames: string[],
): Record<string, unknown> {
  const specials = new Set(tok.added.filter((t) => t.special).map((t) => t.content));
  const roles =
    model.type === 'bert'
      ? ['unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token']
      : ['bos_token', 'eos_token', 'unk_token', 'pad_token'];
  const tokens: Record<string, string> = {};
  for (const role of roles) {
    const found = SPECIAL_SPELLINGS[role]?.find((s) => specials.has(s));
    if (found !== undefined) tokens[role] = found;
  }
  if (tokens.unk_token === undefined && typeof tok.model.unk_token === 'string') {
    tokens.unk_token = tok.model.unk_token;
  }
  const addedTokensDecoder: Record<string, unknown> = {};
  for (const t of tok.added) {
    addedTokensDecoder[String(t.id)] = {
      content: t.content,
      lstrip: t.lstrip === true,
      normalized: t.normalized === true,
      rstrip: t.rstrip === true,
      single_word: t.single_word === true,
      special: t.special,
    };
  }
  const base: Record<string, unknown> =
    model.type === 'bert'
      ? {
          tokenizer_class: 'BertTokenizer',
          ...bertNormalizerFields(tok.json.normalizer),
          clean_up_tokenization_spaces: true,
        }
      : {
          tokenizer_class: 'GPT2Tokenizer',
          add_bos_token: false,
          add_prefix_space:
            (tok.json.pre_tokenizer as Record<string, unknown> | null)?.add_prefix_space === true,
          clean_up_tokenization_spaces: false,
        };
  return {
    ...base,
    ...tokens,
    added_tokens_decoder: addedTokensDecoder,
    model_input_names: inputNames,
    model_max_length: maxLength,
    padding_side: 'right',
    truncation_side: 'right',
  };
}

function labelMaps(labels: readonly string[]): {
  id2label: Record<string, string>;
  label2id: Record<string, number>;
} {
  const id2label: Record<string, string> = {};
  const label2id: Record<string, number> = {};
  labels.forEach((label, id) => {
    id2label[String(id)] = label;
    label2id[label] = id;
  });
  return { id2label, label2id };
}

interface Plan {
  built: ModelGraph;
  outputs: string[];
  /** Parameters the exported outputs depend on (all must be given). */
  required: string[];
  task: TransformersJsTask;
  config: Record<string, unknown>;
  maxLength: number;
  inputNames: string[];
  generation?: Record<string, unknown>;
}

function checkTokenId(field: string, id: number | undefined, vocab: number): void {
  if (id !== undefined && !(Number.isInteger(id) && id >= 0 && id < vocab)) {
    throw invalid(`model.${field} must be a token id in [0, ${vocab}), got ${id}`);
  }
}

function planBert(model: TransformersJsBert, options: ExportTransformersJsOptions): Plan {
  const { config, head = { type: 'sequence-classification' }, tokenTypeIds = true } = model;
  if (head.type === 'multi') {
    throw invalid(
      "model.head 'multi' has no transformers.js class (its pipelines read one `logits` output); export each task head as its own 'sequence-classification' or 'regression' model",
    );
  }
  const built = buildBert(config, { head, tokenTypeIds });
  const numLabels =
    head.type === 'regression'
      ? 1
      : head.type === 'none'
        ? 0
        : (head.numLabels ?? config.num_labels ?? 2);
  const { labels, problemType = 'single_label_classification' } = options;
  // Read for sequence classification only: elsewhere it would be dropped without a word.
  if (options.problemType !== undefined && head.type !== 'sequence-classification') {
    throw invalid(
      `problemType applies to 'sequence-classification' heads only; the '${head.type}' head ${head.type === 'regression' ? "always gets 'regression'" : 'has no such choice'} — drop the problemType option`,
    );
  }
  const classifies =
    head.type === 'sequence-classification' || head.type === 'token-classification';
  if (classifies) {
    if (labels === undefined) {
      throw invalid(
        `labels are required for a '${head.type}' head: pass labels with one name per class (${numLabels}), in label-id order`,
      );
    }
    if (labels.length !== numLabels) {
      throw invalid(
        `labels has ${labels.length} names but the '${head.type}' head has ${numLabels} classes; pass one name per class, in label-id order`,
      );
    }
    const seen = new Set<string>();
    for (const label of labels) {
      if (typeof label !== 'string' || label === '' || seen.has(label)) {
        throw invalid(
          `labels must be distinct non-empty strings; ${JSON.stringify(label)} is ${seen.has(label) ? 'repeated' : 'not one'}`,
        );
      }
      seen.add(label);
    }
  } else if (labels !== undefined) {
    throw invalid(
      `labels apply to classification heads only; the '${head.type}' head has none — drop the labels option`,
    );
  }

  const architectures = {
    'sequence-classification': 'BertForSequenceClassification',
    regression: 'BertForSequenceClassification',
    'token-classification': 'BertForTokenClassification',
    none: 'BertModel',
  } as const;
  let outputs = ['logits'];
  let required = built.parameters;
  let task: TransformersJsTask = 'text-classification';
  if (head.type === 'token-classification') task = 'token-classification';
  if (head.type === 'none') {
    task = 'feature-extraction';
    // Embedding models (buildEmbeddingModel) train no pooler: export only what was trained.
    const pooled = options.parameters.has('bert.pooler.dense.weight');
    outputs = pooled ? ['last_hidden_state', 'pooler_output'] : ['last_hidden_state'];
    if (!pooled) {
      required = required.filter((name) => !name.startsWith('bert.pooler.'));
      // Nor its seeded initial weights into model.safetensors, where they would pass for trained
      // ones: without them Transformers (and loadPretrained) report the pooler as initialised.
      built.graph.outputs = built.graph.outputs.filter((v) => v.name === 'last_hidden_state');
      pruneGraph(built.graph);
    }
  }
  const hfConfig: Record<string, unknown> = {
    architectures: [architectures[head.type]],
    model_type: 'bert',
    vocab_size: config.vocab_size,
    hidden_size: config.hidden_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    intermediate_size: config.intermediate_size,
    hidden_act: config.hidden_act ?? 'gelu',
    hidden_dropout_prob: config.hidden_dropout_prob ?? 0.1,
    attention_probs_dropout_prob: config.attention_probs_dropout_prob ?? 0.1,
    max_position_embeddings: config.max_position_embeddings,
    type_vocab_size: config.type_vocab_size ?? 2,
    initializer_range: config.initializer_range ?? 0.02,
    layer_norm_eps: config.layer_norm_eps ?? 1e-12,
    pad_token_id: config.pad_token_id === undefined ? 0 : config.pad_token_id,
    position_embedding_type: 'absolute',
    classifier_dropout: config.classifier_dropout ?? null,
    use_cache: true,
    torch_dtype: 'float32',
  };
  if (classifies && labels !== undefined) {
    Object.assign(hfConfig, labelMaps(labels));
    if (head.type === 'sequence-classification') hfConfig.problem_type = problemType;
  } else if (head.type === 'regression') {
    Object.assign(hfConfig, labelMaps(['LABEL_0']), { problem_type: 'regression' });
  }
  return {
    built,
    outputs,
    required,
    task,
    config: hfConfig,
    maxLength: config.max_position_embeddings,
    inputNames: tokenTypeIds
      ? ['input_ids', 'token_type_ids', 'attention_mask']
      : ['input_ids', 'attention_mask'],
  };
}

function planGpt2(
  model: TransformersJsGpt2,
  options: ExportTransformersJsOptions,
  tok: TokenizerInfo,
): Plan {
  const { config } = model;
  if (options.labels !== undefined || options.problemType !== undefined) {
    const field = options.labels !== undefined ? 'labels' : 'problemType';
    throw invalid(
      `${field} ${field === 'labels' ? 'apply' : 'applies'} to classification heads only; a gpt2 model has none — drop the ${field} option`,
    );
  }
  const r = resolveGpt2Config(config);
  const built = buildGpt2Decoder(config, { kvCache: true });
  // transformers.js sizes the first, empty cache from the session's input metadata and resolves
  // only the symbolic dim 'batch_size' there (any other name becomes 0): Optimum's batch name.
  for (const v of [...built.graph.inputs, ...built.graph.outputs]) {
    if (v.shape) v.shape = v.shape.map((d) => (d === 'batch' ? 'batch_size' : d));
  }
  const endOfText = tok.idOf(ENDOFTEXT);
  const bos = model.bosTokenId ?? endOfText;
  const eos = model.eosTokenId ?? endOfText;
  checkTokenId('bosTokenId', bos, config.vocab_size);
  checkTokenId('eosTokenId', eos, config.vocab_size);
  checkTokenId('padTokenId', model.padTokenId, config.vocab_size);
  const outputs = ['logits'];
  for (let i = 0; i < r.layers; i++) {
    const names = cacheNames(i);
    outputs.push(names.presentKey, names.presentValue);
  }
  const ids: Record<string, number> = {};
  if (bos !== undefined) ids.bos_token_id = bos;
  if (eos !== undefined) ids.eos_token_id = eos;
  const generation: Record<string, unknown> = { ...ids };
  if (model.padTokenId !== undefined) generation.pad_token_id = model.padTokenId;
  return {
    built,
    outputs,
    required: built.parameters,
    task: 'text-generation',
    config: {
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      vocab_size: config.vocab_size,
      n_positions: config.n_positions,
      n_ctx: config.n_positions,
      n_embd: r.hidden,
      n_layer: r.layers,
      n_head: r.heads,
      n_inner: config.n_inner ?? null,
      activation_function: r.act,
      resid_pdrop: r.residDrop,
      embd_pdrop: r.embdDrop,
      attn_pdrop: r.attnDrop,
      layer_norm_epsilon: r.eps,
      initializer_range: r.range,
      scale_attn_weights: true,
      tie_word_embeddings: true,
      use_cache: true,
      torch_dtype: 'float32',
      ...ids,
    },
    maxLength: config.n_positions,
    inputNames: ['input_ids', 'attention_mask'],
    generation,
  };
}

/** Writes JSON as Hugging Face does (2-space indent), fsynced (temp file + rename). */
function writeJson(path: string, value: unknown): Promise<void> {
  const text = `${JSON.stringify(value, null, 2)}\n`;
  return writeFileAtomic(path, (temp) => writeFile(temp, text, 'utf8'));
}

/**
 * Writes `outputDir` for transformers.js: `onnx/model.onnx` (the forward graph rebuilt from the
 * builder config with `parameters` as initializers, dropout removed; large weights in
 * `onnx/model.onnx_data`), `model.safetensors`, `config.json` (Hugging Face's fields, derived
 * from the builder config), `tokenizer.json`, `tokenizer_config.json` and, for GPT-2,
 * `generation_config.json`. The folder is assembled in a temporary sibling and renamed into
 * place, so a crash never leaves a half-written export. TrainerError INVALID_ARGUMENT for an
 * unknown model type, a multi-task head, missing or mismatched labels, missing parameters or a
 * tokenizer with more ids than the model's vocab_size; CHECKPOINT for a parameter whose name,
 * dtype or shape the model does not have.
 */
export async function exportTransformersJs(
  options: ExportTransformersJsOptions,
): Promise<ExportedTransformersJs> {
  const { model, parameters, externalDataThreshold } = options;
  const type = (model as { type?: unknown })?.type;
  if (type !== 'bert' && type !== 'gpt2') {
    throw invalid(
      `model.type ${JSON.stringify(type)} is not supported; pass { type: 'bert', config, head } or { type: 'gpt2', config }`,
    );
  }
  const tok = await readTokenizer(options.tokenizer);
  const plan = model.type === 'bert' ? planBert(model, options) : planGpt2(model, options, tok);
  const vocab = model.config.vocab_size;
  if (tok.size > vocab) {
    throw invalid(
      `the tokenizer has ${tok.size} ids but the model's vocab_size is ${vocab}; the embedding table needs a row per id — grow it with resizeTokenEmbeddings (and train), or pass the tokenizer the model was trained with`,
      typeof options.tokenizer === 'string' ? options.tokenizer : undefined,
    );
  }
  const missing = plan.required.filter((name) => !parameters.has(name));
  if (missing.length > 0) {
    throw invalid(
      `parameters lack ${missing.length} of the model's ${plan.required.length} weights (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}); pass every trained parameter (TrainingStep.getParameters()) of a model built with this config and head, plus any frozen ones (getParameters() holds only the trainable ones; take the rest from the model graph's initializers)`,
    );
  }

  const outputDir = resolve(options.outputDir);
  const existing = await stat(outputDir).catch(() => undefined);
  if (existing !== undefined && !existing.isDirectory()) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'outputDir is a file; pass a folder path (an existing folder is replaced as a whole)',
      { file: outputDir },
    );
  }
  const parent = dirname(outputDir);
  await mkdir(parent, { recursive: true });
  const temp = join(
    parent,
    `.${basename(outputDir)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
  const files: string[] = [];
  // The previous export while it is moved aside, to be put back if the swap fails.
  let movedAside: string | undefined;
  try {
    await mkdir(temp);
    const exported = await exportInferenceModel({
      graph: plan.built.graph,
      parameters,
      outputDir: join(temp, 'onnx'),
      outputs: plan.outputs,
      externalDataFile: EXTERNAL_DATA_FILE,
      ...(externalDataThreshold === undefined ? {} : { externalDataThreshold }),
    });
    // Hugging Face keeps the weights at the top of the folder, next to config.json.
    await rename(exported.weightsPath, join(temp, 'model.safetensors'));
    files.push('model.safetensors', 'onnx/model.onnx');
    const config = { ...plan.config };
    if (exported.externalDataPath !== undefined) {
      config['transformers.js_config'] = { use_external_data_format: true };
      files.push(`onnx/${EXTERNAL_DATA_FILE}`);
    }
    await writeJson(join(temp, 'config.json'), config);
    const tokenizerPath = join(temp, 'tokenizer.json');
    if (typeof options.tokenizer === 'string') {
      // Byte for byte: re-serialising would reorder numeric-looking vocab keys.
      const source = options.tokenizer;
      await writeFileAtomic(tokenizerPath, (t) => copyFile(source, t));
    } else {
      await writeJson(tokenizerPath, tok.json);
    }
    await writeJson(join(temp, 'tokenizer_config.json'), {
      ...tokenizerConfigFor(tok, model, plan.maxLength, plan.inputNames),
      ...options.tokenizerConfig,
    });
    files.push('config.json', 'tokenizer.json', 'tokenizer_config.json');
    if (plan.generation !== undefined) {
      await writeJson(join(temp, 'generation_config.json'), plan.generation);
      files.push('generation_config.json');
    }
    // Swap the finished folder in; an older export is moved aside first and then removed.
    const previous = existing === undefined ? undefined : `${temp}.old`;
    if (previous !== undefined) {
      await rename(outputDir, previous);
      movedAside = previous;
    }
    await rename(temp, outputDir);
    movedAside = undefined;
    if (previous !== undefined) await rm(previous, { recursive: true, force: true });
    return { dir: outputDir, task: plan.task, files: files.sort(), config };
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (movedAside !== undefined) await rename(movedAside, outputDir).catch(() => undefined);
    if (error instanceof TrainerError) throw error;
    throw new TrainerError('ONNX_IO', 'could not write the transformers.js folder', {
      file: outputDir,
      cause: error,
    });
  }
}
