// PEFT-compatible adapter folders: adapter_model.safetensors (keys `base_model.model.<param>`,
// lora_A [r, in], lora_B [out, r]) and adapter_config.json, written and read back with validation.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@ft/data';
import { TrainerError } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import type { ModelGraph } from '../models/utils.js';
import { readSafetensors, writeSafetensors } from '../weights/safetensors.js';
import {
  applyLora,
  type LoraModel,
  type LoraOptions,
  type ModulePattern,
  moduleOf,
} from './apply.js';

/** File names PEFT's `save_pretrained` writes. */
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
/** The prefix PEFT's `get_peft_model_state_dict` gives every key. */
export const PEFT_KEY_PREFIX = 'base_model.model.';

export interface SaveAdapterOptions {
  /** Trained values (e.g. `step.getParameters()`). @default the graph's initializers */
  parameters?: ReadonlyMap<string, TensorData>;
  /** Written as `base_model_name_or_path`. @default null */
  baseModelNameOrPath?: string;
  /** PEFT task type, e.g. 'SEQ_CLS', 'CAUSAL_LM', 'TOKEN_CLS'. @default null */
  taskType?: string;
}

/** The adapter_config.json fields this package writes (PEFT's LoraConfig names). */
export interface AdapterConfig {
  peft_type: 'LORA';
  task_type: string | null;
  base_model_name_or_path: string | null;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: string[] | string;
  modules_to_save: string[] | null;
  use_rslora: boolean;
  fan_in_fan_out: boolean;
  bias: 'none';
  inference_mode: boolean;
  init_lora_weights: boolean;
}

/**
 * A RegExp as PEFT's string form: PEFT `re.fullmatch`es a string target_modules, so search
 * semantics become `.*(?:source).*`. Flags cannot be expressed there and are refused.
 */
function regexToPeft(pattern: RegExp, field: string): string {
  if (pattern.flags.replace('g', '') !== '') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `${field} ${String(pattern)} has flags, which adapter_config.json cannot express; drop them`,
    );
  }
  return `.*(?:${pattern.source}).*`;
}

function patternToConfig(pattern: ModulePattern, field: string): string[] | string {
  return pattern instanceof RegExp ? regexToPeft(pattern, field) : [...pattern];
}

/** Writes `<dir>/adapter_model.safetensors` and `<dir>/adapter_config.json` (creating `dir`). */
export async function saveAdapter(
  dir: string,
  model: LoraModel,
  options: SaveAdapterOptions = {},
): Promise<{ weightsPath: string; configPath: string; config: AdapterConfig }> {
  const { parameters } = options;
  const tensors = new Map<string, TensorData>();
  for (const name of model.trainable) {
    const t = parameters?.get(name) ?? model.graph.initializers.get(name);
    if (t === undefined) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `saveAdapter: no value for trainable parameter "${name}" in \`parameters\` or the LoRA graph; pass the step's getParameters()`,
      );
    }
    tensors.set(`${PEFT_KEY_PREFIX}${name}`, t);
  }
  const { options: o } = model;
  let modulesToSave: string[] | null = null;
  if (o.modulesToSave !== undefined) {
    // A RegExp is written as the modules it matched (PEFT's modules_to_save is a list).
    modulesToSave =
      o.modulesToSave instanceof RegExp
        ? [
            ...new Set(
              model.trainable.filter((n) => !model.adapterParams.includes(n)).map(moduleOf),
            ),
          ]
        : [...o.modulesToSave];
  }
  const config: AdapterConfig = {
    peft_type: 'LORA',
    task_type: options.taskType ?? null,
    base_model_name_or_path: options.baseModelNameOrPath ?? null,
    r: o.r,
    lora_alpha: o.alpha,
    lora_dropout: o.dropout,
    target_modules: patternToConfig(o.targetModules, 'targetModules'),
    modules_to_save: modulesToSave,
    use_rslora: o.rsLora,
    // PEFT's flag for GPT-2 Conv1D-style [in, out] base weights (it only changes merging).
    fan_in_fan_out: model.modules.every((m) => m.layout === 'conv1d'),
    bias: 'none',
    inference_mode: true,
    init_lora_weights: true,
  };
  await mkdir(dir, { recursive: true });
  const weightsPath = join(dir, ADAPTER_WEIGHTS_FILE);
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  await writeSafetensors(weightsPath, tensors, { format: 'pt' });
  await writeFileAtomic(configPath, (temp) =>
    writeFile(temp, `${JSON.stringify(config, null, 2)}\n`),
  );
  return { weightsPath, configPath, config };
}

function fieldError(file: string, field: string, problem: string): TrainerError {
  return new TrainerError('CHECKPOINT', `field "${field}" ${problem}`, { file });
}

/**
 * Reads and validates `<dir>/adapter_config.json` into applyLora options; a CHECKPOINT error names
 * the file and the field. Missing optional fields get PEFT's LoraConfig defaults.
 */
export async function readAdapterConfig(dir: string): Promise<
  Required<Pick<LoraOptions, 'r' | 'alpha' | 'dropout' | 'rsLora' | 'targetModules'>> & {
    modulesToSave: string[] | undefined;
  }
> {
  const file = join(dir, ADAPTER_CONFIG_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new TrainerError(
      'CHECKPOINT',
      `cannot read the adapter config (${(error as Error).message}); an adapter folder holds ${ADAPTER_CONFIG_FILE} and ${ADAPTER_WEIGHTS_FILE}, as saveAdapter or PEFT's save_pretrained write them`,
      { file, cause: error },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TrainerError('CHECKPOINT', `is not valid JSON: ${(error as Error).message}`, {
      file,
      cause: error,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new TrainerError('CHECKPOINT', 'must hold a JSON object', { file });
  }
  const c = json as Record<string, unknown>;
  if (c.peft_type !== 'LORA') {
    throw fieldError(file, 'peft_type', `must be "LORA", got ${JSON.stringify(c.peft_type)}`);
  }
  const r = c.r;
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) {
    throw fieldError(file, 'r', `must be a positive integer, got ${JSON.stringify(r)}`);
  }
  const alpha = c.lora_alpha ?? 8; // PEFT's LoraConfig default
  if (typeof alpha !== 'number' || !(alpha > 0)) {
    throw fieldError(file, 'lora_alpha', `must be a positive number, got ${JSON.stringify(alpha)}`);
  }
  const dropout = c.lora_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw fieldError(
      file,
      'lora_dropout',
      `must be a number in [0, 1), got ${JSON.stringify(dropout)}`,
    );
  }
  const rsLora = c.use_rslora ?? false;
  if (typeof rsLora !== 'boolean') {
    throw fieldError(file, 'use_rslora', `must be true or false, got ${JSON.stringify(rsLora)}`);
  }
  const t = c.target_modules;
  let targetModules: ModulePattern;
  if (typeof t === 'string') {
    try {
      targetModules = new RegExp(`^(?:${t})$`);
    } catch (error) {
      throw fieldError(
        file,
        'target_modules',
        `is not a valid regular expression: ${(error as Error).message}`,
      );
    }
  } else if (Array.isArray(t) && t.length > 0 && t.every((s) => typeof s === 'string')) {
    targetModules = t as string[];
  } else {
    throw fieldError(
      file,
      'target_modules',
      `must be a non-empty list of module names or a regex string, got ${JSON.stringify(t)}`,
    );
  }
  const m = c.modules_to_save ?? null;
  if (m !== null && !(Array.isArray(m) && m.every((s) => typeof s === 'string'))) {
    throw fieldError(
      file,
      'modules_to_save',
      `must be null or a list of module names, got ${JSON.stringify(m)}`,
    );
  }
  if ((c.bias ?? 'none') !== 'none') {
    throw fieldError(file, 'bias', `${JSON.stringify(c.bias)} is not supported (only "none")`);
  }
  return {
    r,
    alpha,
    dropout,
    rsLora,
    targetModules,
    modulesToSave: m === null || m.length === 0 ? undefined : (m as string[]),
  };
}

export interface LoadAdapterOptions {
  /** Build the training variant (adapter dropout active). @default false */
  training?: boolean;
}

/**
 * Applies the adapter saved in `dir` to `base`: reads adapter_config.json (every field checked,
 * errors name the file and field), adds the adapters with applyLora, then sets lora_A, lora_B
 * and modules_to_save values from adapter_model.safetensors. A missing or unexpected tensor, or
 * one whose shape differs from what the base model needs, is a CHECKPOINT error naming both.
 */
export async function loadAdapter(
  dir: string,
  base: ModelGraph | Pick<ModelGraph, 'graph'> | Graph,
  options: LoadAdapterOptions = {},
): Promise<LoraModel> {
  const { modulesToSave, ...config } = await readAdapterConfig(dir);
  const model = applyLora(base, {
    ...config,
    ...(modulesToSave !== undefined ? { modulesToSave } : {}),
    training: options.training ?? false,
  });
  const file = join(dir, ADAPTER_WEIGHTS_FILE);
  const { tensors } = await readSafetensors(file);
  const byParam = new Map<string, [string, TensorData]>();
  for (const [key, t] of tensors) {
    const name = key.startsWith(PEFT_KEY_PREFIX) ? key.slice(PEFT_KEY_PREFIX.length) : key;
    byParam.set(name, [key, t]);
  }
  const expected = new Set(model.trainable);
  for (const [name, [key]] of byParam) {
    if (!expected.has(name)) {
      throw new TrainerError(
        'CHECKPOINT',
        `tensor "${key}" does not belong to this adapter on this base model (its target_modules and modules_to_save give ${model.trainable.length} tensors such as "${PEFT_KEY_PREFIX}${model.trainable[0]}"); check that the adapter was trained on this base model`,
        { file },
      );
    }
  }
  for (const name of model.trainable) {
    const entry = byParam.get(name);
    if (entry === undefined) {
      throw new TrainerError(
        'CHECKPOINT',
        `tensor "${PEFT_KEY_PREFIX}${name}" is missing; the adapter config targets it on this base model`,
        { file },
      );
    }
    const [key, t] = entry;
    const current = model.graph.initializers.get(name) as TensorData;
    if (t.dims.join(',') !== current.dims.join(',')) {
      throw new TrainerError(
        'CHECKPOINT',
        `tensor "${key}" is [${t.dims.join(', ')}] but the base model needs [${current.dims.join(', ')}] (lora_A is [r, in], lora_B [out, r]); the adapter was trained on a different base model or r`,
        { file },
      );
    }
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      throw new TrainerError(
        'CHECKPOINT',
        `tensor "${key}" is ${t.dtype}; adapters are float32 or float64 (re-save it in the training dtype)`,
        { file },
      );
    }
    // float32 files on a float64 model (or back) are converted: PEFT saves in the training dtype.
    model.graph.initializers.set(
      name,
      t.dtype === current.dtype ? t : tensor(current.dtype, [...t.dims], t.data as Float32Array),
    );
  }
  return model;
}
