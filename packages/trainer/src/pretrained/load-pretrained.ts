// loadPretrained: a local Hugging Face model folder (config.json + safetensors, single or sharded)
// → a ModelGraph built by buildBert/buildGpt2 whose parameters hold the checkpoint's weights.
import { join } from 'node:path';
import { TrainerError } from '../errors.js';
import { allocate, sizeOf } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import type { ModelDType, ModelGraph } from '../models/utils.js';
import {
  backbonePrefix,
  buildPretrainedGraph,
  type PretrainedBuildOptions,
  type PretrainedHead,
} from './build.js';
import { readCheckpoint } from './checkpoint.js';
import {
  type PretrainedArchitecture,
  type PretrainedConfig,
  readPretrainedConfig,
} from './config.js';

export interface LoadPretrainedOptions {
  /** Overrides config.json's `model_type` (must be of the same family). @default from config.json */
  architecture?: PretrainedArchitecture;
  /**
   * Head on the backbone. @default from config.json's `architectures[0]`: *ForSequenceClassification
   * → 'sequence-classification' ('regression' with one label), *ForTokenClassification →
   * 'token-classification', GPT-2 → 'causal-lm'; otherwise 'sequence-classification' when
   * `numLabels` is given, else 'none'
   */
  head?: PretrainedHead;
  /** Labels of a new or saved classification head. @default head.numLabels, else config.json's id2label size, else 2 */
  numLabels?: number;
  /** Build the training graph (dropout on, `dropout_seed` input). @default false */
  training?: boolean;
  /** Parameter dtype; checkpoint float16/bfloat16/float32 weights are converted. @default 'float32' */
  dtype?: ModelDType;
  /** Seed of the parameters the checkpoint lacks (new heads). @default 0 */
  seed?: number;
  /** BERT family: declare `token_type_ids`. @default true for BERT, type_vocab_size > 1 for RoBERTa/XLM-R */
  tokenTypeIds?: boolean;
  /** GPT-2: declare `position_ids`. @default false */
  positionIds?: boolean;
  /** BERT family with a pooled head: also output `last_hidden_state` (see BertOptions.lastHiddenState). @default false */
  lastHiddenState?: boolean;
  /**
   * Refuse checkpoint tensors that match no parameter and are not a known unused head or buffer.
   * With false they are only listed in `notes`. @default true
   */
  strict?: boolean;
}

/** A model built from a pretrained folder. */
export interface PretrainedModel extends ModelGraph {
  /** The parsed config.json. */
  config: PretrainedConfig;
  head: PretrainedHead;
  /** How the graph was built (resizeTokenEmbeddings rebuilds with these). */
  buildOptions: PretrainedBuildOptions;
  /** Parameters set from the checkpoint. */
  loaded: string[];
  /** Parameters the checkpoint lacks, initialised from `seed` (new heads, a missing pooler). */
  initialized: string[];
  /** Checkpoint tensors not used (unused heads, buffers), each with the reason. */
  notes: string[];
  /** The weight files read. */
  files: string[];
}

/** Checkpoint tensors that belong to heads or buffers the built model does not have. */
const UNUSED: Array<[RegExp, string]> = [
  [/^cls\./, 'BERT pretraining head (masked-LM / next-sentence), not part of this model'],
  [/^lm_head\./, 'LM head: GPT-2 ties it to transformer.wte.weight; encoders have no LM head here'],
  [/\.position_ids$|\.token_type_ids$/, 'buffer, recomputed in the graph'],
  [/\.attn\.(bias|masked_bias)$/, 'GPT-2 causal-mask buffer, recomputed in the graph'],
  [/^(bert|roberta)\.pooler\./, 'pooler, unused by this head'],
  [/^(classifier|qa_outputs|score|heads)\./, 'task head, not part of this model'],
];

/** Parameters a checkpoint may lack: heads and the pooler (HF initialises them too). */
const NEW_OK = /^(classifier|heads)\.|^(bert|roberta)\.pooler\./;

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const sub = (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      row.push(Math.min(sub, (prev[j] as number) + 1, (row[j - 1] as number) + 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}

function closest(name: string, candidates: Iterable<string>, count = 3): string[] {
  return [...candidates]
    .map((c) => [c, editDistance(name, c)] as const)
    .sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, count)
    .map(([c]) => c);
}

/** IEEE half → number. */
function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** A checkpoint tensor as the model's dtype (float16 decoded; bf16 arrives widened to float32). */
function convert(t: TensorData, dtype: ModelDType): TensorData | undefined {
  if (t.dtype === dtype) return t;
  if (t.dtype !== 'float32' && t.dtype !== 'float64' && t.dtype !== 'float16') return undefined;
  const n = sizeOf(t.dims);
  const out = allocate(dtype, n) as Float32Array | Float64Array;
  if (t.dtype === 'float16') {
    const src = t.data as Uint16Array;
    for (let i = 0; i < n; i++) out[i] = halfToNumber(src[i] as number);
  } else out.set(t.data as Float32Array | Float64Array);
  return { dtype, dims: [...t.dims], data: out };
}

/** The model parameter a checkpoint name maps to: prefix added or kept, legacy gamma/beta renamed. */
function modelName(key: string, prefix: string, parameters: Set<string>): string {
  let name = key;
  if (name.includes('LayerNorm.'))
    name = name.replace(/\.gamma$/, '.weight').replace(/\.beta$/, '.bias');
  if (name.startsWith(`${prefix}.`) || parameters.has(name)) return name;
  // Base-model checkpoints (BertModel, GPT2Model) save names without the prefix.
  const prefixed = `${prefix}.${name}`;
  return parameters.has(prefixed) ||
    !/^(cls|lm_head|classifier|qa_outputs|score|heads)\./.test(name)
    ? prefixed
    : name;
}

function resolveHead(config: PretrainedConfig, options: LoadPretrainedOptions): PretrainedHead {
  const labels = options.numLabels ?? config.numLabels;
  if (options.head !== undefined) {
    const head = options.head;
    if (
      options.numLabels !== undefined &&
      (head.type === 'sequence-classification' || head.type === 'token-classification')
    ) {
      return { ...head, numLabels: head.numLabels ?? options.numLabels };
    }
    return head;
  }
  if (config.architecture === 'gpt2') return { type: 'causal-lm' };
  const cls = config.hfClass ?? '';
  if (cls.endsWith('ForSequenceClassification')) {
    return labels === 1
      ? { type: 'regression' }
      : { type: 'sequence-classification', numLabels: labels ?? 2 };
  }
  if (cls.endsWith('ForTokenClassification')) {
    return { type: 'token-classification', numLabels: labels ?? 2 };
  }
  if (options.numLabels !== undefined) {
    return { type: 'sequence-classification', numLabels: options.numLabels };
  }
  return { type: 'none' };
}

/**
 * Loads a local Hugging Face model folder: `config.json` plus `model.safetensors`, or shards
 * listed in `model.safetensors.index.json`. Names may carry the task model's prefix (`bert.`,
 * `roberta.`, `transformer.`) or none (base-model checkpoints); legacy LayerNorm `gamma`/`beta`
 * are read as `weight`/`bias`. TrainerError CHECKPOINT names the file and tensor when a backbone
 * tensor is missing (with the closest names found), has another shape, or (strict) is unexpected;
 * INVALID_ARGUMENT names the config.json field a builder cannot reproduce. Heads and a pooler
 * the checkpoint lacks are initialised from `seed` as HF's `_init_weights` does and listed in
 * `initialized`.
 */
export async function loadPretrained(
  dir: string,
  options: LoadPretrainedOptions = {},
): Promise<PretrainedModel> {
  const {
    training = false,
    dtype = 'float32',
    seed = 0,
    positionIds = false,
    strict = true,
  } = options;
  const config = await readPretrainedConfig(join(dir, 'config.json'), options.architecture);
  const head = resolveHead(config, options);
  const buildOptions: PretrainedBuildOptions = {
    training,
    dtype,
    seed,
    tokenTypeIds:
      options.tokenTypeIds ??
      (config.architecture === 'bert' || (config.bert?.type_vocab_size ?? 1) > 1),
    positionIds,
    lastHiddenState: options.lastHiddenState ?? false,
  };
  const model = buildPretrainedGraph(config, head, buildOptions);
  const checkpoint = await readCheckpoint(dir);
  const applied = applyCheckpoint(model, config, checkpoint.tensors, checkpoint.fileOf, {
    dtype,
    strict,
  });
  return {
    ...model,
    config,
    head,
    buildOptions,
    ...applied,
    files: checkpoint.files,
  };
}

/** Sets the model's parameters from checkpoint tensors, with the checks loadPretrained documents. */
function applyCheckpoint(
  model: ModelGraph,
  config: PretrainedConfig,
  tensors: Map<string, TensorData>,
  fileOf: Map<string, string>,
  options: { dtype: ModelDType; strict: boolean },
): Pick<PretrainedModel, 'loaded' | 'initialized' | 'notes'> {
  const prefix = backbonePrefix(config);
  const parameters = new Set(model.parameters);
  const mapped = new Map<string, string>(); // model name → checkpoint key
  const notes: string[] = [];
  const unexpected: string[] = [];
  for (const key of tensors.keys()) {
    const name = modelName(key, prefix, parameters);
    if (parameters.has(name)) {
      mapped.set(name, key);
      continue;
    }
    const unused = UNUSED.find(([pattern]) => pattern.test(name));
    if (unused) notes.push(`ignored "${key}": ${unused[1]}`);
    else unexpected.push(key);
  }
  const file = (key: string) => fileOf.get(key) ?? 'checkpoint';
  if (unexpected.length > 0) {
    const list = unexpected
      .slice(0, 10)
      .map((k) => `"${k}"`)
      .join(', ');
    const more = unexpected.length > 10 ? ` and ${unexpected.length - 10} more` : '';
    const message = `${unexpected.length} checkpoint tensor(s) match no parameter of the ${config.architecture} model built from config.json: ${list}${more}`;
    if (options.strict) {
      throw new TrainerError(
        'CHECKPOINT',
        `${message}. Check that config.json (layers, architecture) belongs to these weights, or pass { strict: false } to ignore them`,
        { file: file(unexpected[0] as string) },
      );
    }
    notes.push(`ignored (strict: false): ${message}`);
  }

  const missing = model.parameters.filter((p) => !mapped.has(p) && !NEW_OK.test(p));
  if (missing.length > 0) {
    const first = missing[0] as string;
    const near = closest(first, [...tensors.keys()]);
    throw new TrainerError(
      'CHECKPOINT',
      `tensor "${first}" is missing from the checkpoint${missing.length > 1 ? ` (and ${missing.length - 1} more: ${missing.slice(1, 6).join(', ')}${missing.length > 6 ? ', …' : ''})` : ''}; closest names in the checkpoint: ${near.map((n) => `"${n}"`).join(', ')}. Is config.json's architecture right for these weights?`,
      { file: [...new Set(fileOf.values())].join(', ') || 'checkpoint' },
    );
  }

  const loaded: string[] = [];
  const initialized: string[] = [];
  for (const name of model.parameters) {
    const key = mapped.get(name);
    const current = model.graph.initializers.get(name) as TensorData;
    if (key === undefined) {
      initialized.push(name);
      continue;
    }
    const t = tensors.get(key) as TensorData;
    if (t.dims.join(',') !== current.dims.join(',')) {
      const fix = /^(classifier|heads)\./.test(name)
        ? '; for another number of labels pass numLabels, or drop the saved head from the folder'
        : '; config.json does not match these weights';
      throw new TrainerError(
        'CHECKPOINT',
        `tensor "${key}" has shape [${t.dims.join(', ')}], the model's "${name}" expects [${current.dims.join(', ')}]${fix}`,
        { file: file(key) },
      );
    }
    const value = convert(t, options.dtype);
    if (value === undefined) {
      throw new TrainerError(
        'CHECKPOINT',
        `tensor "${key}" is ${t.dtype}; parameter "${name}" needs a float tensor`,
        { file: file(key) },
      );
    }
    model.graph.initializers.set(name, value);
    loaded.push(name);
  }
  for (const name of initialized) {
    notes.push(`initialized "${name}" from the seed: not in the checkpoint (new head)`);
  }
  return { loaded, initialized, notes };
}
