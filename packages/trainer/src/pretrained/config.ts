// Maps a Hugging Face `config.json` (BERT, RoBERTa, XLM-RoBERTa, GPT-2) to the builders' configs,
// refusing fields whose values the builders cannot reproduce instead of silently ignoring them.
import { readFile } from 'node:fs/promises';
import { TrainerError } from '../errors.js';
import type { BertConfig } from '../models/bert.js';
import type { Gpt2Config } from '../models/gpt2.js';
import type { Activation } from '../models/utils.js';

/** Architectures loadPretrained builds. */
export type PretrainedArchitecture = 'bert' | 'roberta' | 'xlm-roberta' | 'gpt2';

export const PRETRAINED_ARCHITECTURES: readonly PretrainedArchitecture[] = [
  'bert',
  'roberta',
  'xlm-roberta',
  'gpt2',
];

/** What parsePretrainedConfig returns. */
export interface PretrainedConfig {
  architecture: PretrainedArchitecture;
  /** Set for bert, roberta and xlm-roberta. */
  bert?: BertConfig;
  /** Set for gpt2. */
  gpt2?: Gpt2Config;
  /** `architectures[0]` of the config (e.g. 'BertForSequenceClassification'), if any. */
  hfClass: string | undefined;
  /** Labels of a saved classification head (`id2label` size, else `num_labels`), if any. */
  numLabels: number | undefined;
  /** RoBERTa's padding index (positions start at pad_token_id + 1). */
  padTokenId: number | undefined;
  /** The parsed JSON, as read. */
  raw: Record<string, unknown>;
}

const ACTIVATIONS: readonly Activation[] = [
  'gelu',
  'gelu_new',
  'gelu_pytorch_tanh',
  'relu',
  'tanh',
];

type Json = Record<string, unknown>;

function fail(file: string, problem: string): never {
  throw new TrainerError('INVALID_ARGUMENT', problem, { file });
}

function int(raw: Json, field: string, file: string, fallback?: number): number {
  const v = raw[field] ?? fallback;
  if (v === undefined) fail(file, `field "${field}" is missing (a positive integer is required)`);
  if (!(typeof v === 'number' && Number.isInteger(v) && v > 0)) {
    fail(file, `field "${field}" must be a positive integer, got ${JSON.stringify(v)}`);
  }
  return v;
}

function num(raw: Json, field: string, file: string, fallback: number): number {
  const v = raw[field] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    fail(file, `field "${field}" must be a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function act(raw: Json, field: string, file: string, fallback: Activation): Activation {
  const v = raw[field] ?? fallback;
  if (!ACTIVATIONS.includes(v as Activation)) {
    fail(
      file,
      `field "${field}" is ${JSON.stringify(v)}, which is not supported (supported: ${ACTIVATIONS.join(', ')})`,
    );
  }
  return v as Activation;
}

/** Fields whose non-default values change the computation in ways the builders do not model. */
function refuse(raw: Json, file: string, field: string, allowed: unknown): void {
  const v = raw[field];
  if (v !== undefined && v !== null && v !== allowed) {
    fail(
      file,
      `field "${field}" is ${JSON.stringify(v)}; only ${JSON.stringify(allowed)} is supported by this loader`,
    );
  }
}

/** Labels of the saved head: HF writes `id2label` (num_labels is derived from it). */
function labelsOf(raw: Json, file: string): number | undefined {
  const id2label = raw.id2label;
  if (id2label !== undefined && id2label !== null) {
    if (typeof id2label !== 'object' || Array.isArray(id2label)) {
      fail(file, 'field "id2label" must be an object mapping label ids to names');
    }
    const n = Object.keys(id2label).length;
    if (n > 0) return n;
  }
  if (raw.num_labels !== undefined) return int(raw, 'num_labels', file);
  return undefined;
}

function architectureOf(raw: Json, file: string, wanted?: PretrainedArchitecture) {
  const modelType = raw.model_type;
  const known = (t: unknown): t is PretrainedArchitecture =>
    PRETRAINED_ARCHITECTURES.includes(t as PretrainedArchitecture);
  if (wanted !== undefined) {
    if (!known(wanted)) {
      fail(
        file,
        `architecture ${JSON.stringify(wanted)} is not supported (supported: ${PRETRAINED_ARCHITECTURES.join(', ')})`,
      );
    }
    const family = (a: string) => (a === 'xlm-roberta' ? 'roberta' : a);
    if (known(modelType) && family(modelType) !== family(wanted)) {
      fail(
        file,
        `model_type is "${modelType}" but architecture "${wanted}" was requested; omit the architecture option or pass "${modelType}"`,
      );
    }
    return wanted;
  }
  if (known(modelType)) return modelType;
  fail(
    file,
    modelType === undefined
      ? `field "model_type" is missing; pass { architecture: ${PRETRAINED_ARCHITECTURES.map((a) => `'${a}'`).join(' | ')} }`
      : `model_type ${JSON.stringify(modelType)} is not supported (supported: ${PRETRAINED_ARCHITECTURES.join(', ')})`,
  );
}

/** Validates a parsed config.json and maps it to a BertConfig or Gpt2Config. */
export function parsePretrainedConfig(
  raw: unknown,
  file: string,
  architecture?: PretrainedArchitecture,
): PretrainedConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    fail(file, 'config.json must hold a JSON object');
  }
  const c = raw as Json;
  const arch = architectureOf(c, file, architecture);
  const hfClass = Array.isArray(c.architectures) ? String(c.architectures[0]) : undefined;
  const numLabels = labelsOf(c, file);
  refuse(c, file, 'is_decoder', false);
  refuse(c, file, 'add_cross_attention', false);
  refuse(c, file, 'is_encoder_decoder', false);

  if (arch === 'gpt2') {
    refuse(c, file, 'tie_word_embeddings', true);
    refuse(c, file, 'scale_attn_weights', true);
    refuse(c, file, 'scale_attn_by_inverse_layer_idx', false);
    const gpt2: Gpt2Config = {
      vocab_size: int(c, 'vocab_size', file),
      n_positions: int(c, 'n_positions', file, c.n_ctx as number | undefined),
      n_embd: int(c, 'n_embd', file),
      n_layer: int(c, 'n_layer', file),
      n_head: int(c, 'n_head', file),
      activation_function: act(c, 'activation_function', file, 'gelu_new'),
      layer_norm_epsilon: num(c, 'layer_norm_epsilon', file, 1e-5),
      resid_pdrop: num(c, 'resid_pdrop', file, 0.1),
      embd_pdrop: num(c, 'embd_pdrop', file, 0.1),
      attn_pdrop: num(c, 'attn_pdrop', file, 0.1),
      initializer_range: num(c, 'initializer_range', file, 0.02),
    };
    if (c.n_inner !== undefined && c.n_inner !== null) gpt2.n_inner = int(c, 'n_inner', file);
    if (gpt2.n_embd % gpt2.n_head !== 0) {
      fail(file, `n_embd (${gpt2.n_embd}) must be a multiple of n_head (${gpt2.n_head})`);
    }
    return {
      architecture: arch,
      gpt2,
      hfClass,
      numLabels,
      padTokenId: undefined,
      raw: c,
    };
  }

  const roberta = arch !== 'bert';
  const positionType = c.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') {
    fail(
      file,
      `position_embedding_type ${JSON.stringify(positionType)} is not supported (only "absolute")`,
    );
  }
  const pad = c.pad_token_id ?? (roberta ? 1 : 0);
  if (pad !== null && !(typeof pad === 'number' && Number.isInteger(pad) && pad >= 0)) {
    fail(file, `field "pad_token_id" must be a non-negative integer, got ${JSON.stringify(pad)}`);
  }
  if (roberta && pad === null) {
    fail(file, 'field "pad_token_id" is null; RoBERTa position ids need the padding index');
  }
  const bert: BertConfig = {
    vocab_size: int(c, 'vocab_size', file),
    hidden_size: int(c, 'hidden_size', file),
    num_hidden_layers: int(c, 'num_hidden_layers', file),
    num_attention_heads: int(c, 'num_attention_heads', file),
    intermediate_size: int(c, 'intermediate_size', file),
    max_position_embeddings: int(c, 'max_position_embeddings', file),
    hidden_act: act(c, 'hidden_act', file, 'gelu'),
    type_vocab_size: int(c, 'type_vocab_size', file, roberta ? 1 : 2),
    layer_norm_eps: num(c, 'layer_norm_eps', file, 1e-12),
    hidden_dropout_prob: num(c, 'hidden_dropout_prob', file, 0.1),
    attention_probs_dropout_prob: num(c, 'attention_probs_dropout_prob', file, 0.1),
    initializer_range: num(c, 'initializer_range', file, 0.02),
    pad_token_id: pad as number | null,
  };
  if (c.classifier_dropout !== undefined && c.classifier_dropout !== null) {
    bert.classifier_dropout = num(c, 'classifier_dropout', file, 0);
  }
  if (numLabels !== undefined) bert.num_labels = numLabels;
  if (bert.hidden_size % bert.num_attention_heads !== 0) {
    fail(
      file,
      `hidden_size (${bert.hidden_size}) must be a multiple of num_attention_heads (${bert.num_attention_heads})`,
    );
  }
  if (roberta && (pad as number) + 1 >= bert.max_position_embeddings) {
    fail(
      file,
      `max_position_embeddings (${bert.max_position_embeddings}) leaves no positions after padding_idx ${pad as number}`,
    );
  }
  return {
    architecture: arch,
    bert,
    hfClass,
    numLabels,
    padTokenId: roberta ? (pad as number) : undefined,
    raw: c,
  };
}

/** Reads and validates a config.json file (`path` is the file, not its folder). */
export async function readPretrainedConfig(
  path: string,
  architecture?: PretrainedArchitecture,
): Promise<PretrainedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TrainerError(
      'CHECKPOINT',
      `cannot read config.json (a Hugging Face model folder needs one): ${(error as Error).message}`,
      { file: path, cause: error },
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `config.json is not valid JSON: ${(error as Error).message}`,
      {
        file: path,
        cause: error,
      },
    );
  }
  return parsePretrainedConfig(raw, path, architecture);
}
