// Tensor and model-folder helpers shared by the train, evaluate and hpo steps: reading encoded
// splits, bag-of-tokens features for MLPs, row gathering, softmax, and the model's config.json.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadTokenizer } from '@ft/tokenize';
import type { TensorData } from '@ft/trainer';
import { createSession, readSafetensors, tensor } from '@ft/trainer';
import { PipelineError } from '../errors.js';

/** An encoded split as written by the tokenize step. */
export interface EncodedSplit {
  inputIds: TensorData;
  attentionMask: TensorData;
  /** Label ids, one per row. */
  labels: number[];
  rows: number;
  seqLength: number;
}

/** What `<model>/config.json` records so the model can be run without the pipeline. */
export interface ModelFolderConfig {
  architecture: 'bert' | 'mlp';
  /** Class names by label id. */
  labels: string[];
  /** Tokens per row the model was trained with. */
  maxLength: number;
  vocabSize: number;
  /** How token ids become model inputs: the ids themselves, or bag-of-tokens frequencies. */
  features: 'token-ids' | 'bag-of-tokens';
  /** The builder's configuration. */
  model: Record<string, unknown>;
}

export async function readEncodedSplit(path: string): Promise<EncodedSplit> {
  const { tensors } = await readSafetensors(path);
  const get = (name: string): TensorData => {
    const t = tensors.get(name);
    if (t === undefined) {
      throw new PipelineError(
        'INVALID_ARGUMENT',
        `has no "${name}" tensor; it must be written by the tokenize step`,
        { path },
      );
    }
    return t;
  };
  const inputIds = get('input_ids');
  const labels = Array.from(get('labels').data as BigInt64Array, Number);
  const [rows = 0, seqLength = 0] = inputIds.dims;
  return { inputIds, attentionMask: get('attention_mask'), labels, rows, seqLength };
}

/** Rows `indices` of a [rows, cols] tensor. */
export function gatherRows(t: TensorData, indices: readonly number[]): TensorData {
  const cols = t.dims[1] ?? 1;
  const src = t.data as BigInt64Array;
  const out = new BigInt64Array(indices.length * cols);
  indices.forEach((row, i) => {
    out.set(src.subarray(row * cols, (row + 1) * cols), i * cols);
  });
  return tensor('int64', [indices.length, cols], out);
}

/**
 * Bag-of-tokens features [rows, vocab]: each row's token frequencies over its attended tokens,
 * so an MLP sees texts of any length on one scale.
 */
export function bagOfTokens(
  inputIds: TensorData,
  attentionMask: TensorData,
  vocabSize: number,
): TensorData {
  const [rows = 0, cols = 0] = inputIds.dims;
  const ids = inputIds.data as BigInt64Array;
  const mask = attentionMask.data as BigInt64Array;
  const out = new Float32Array(rows * vocabSize);
  for (let r = 0; r < rows; r++) {
    let count = 0;
    for (let c = 0; c < cols; c++) {
      if (mask[r * cols + c] === 0n) continue;
      const id = Number(ids[r * cols + c]);
      if (id >= 0 && id < vocabSize) {
        out[r * vocabSize + id] = (out[r * vocabSize + id] as number) + 1;
        count++;
      }
    }
    if (count > 0)
      for (let v = 0; v < vocabSize; v++)
        out[r * vocabSize + v] = (out[r * vocabSize + v] as number) / count;
  }
  return tensor('float32', [rows, vocabSize], out);
}

/** The model's inputs for rows of an encoded split. */
export function modelFeeds(
  split: EncodedSplit,
  indices: readonly number[],
  config: Pick<ModelFolderConfig, 'features' | 'vocabSize'>,
): Record<string, TensorData> {
  const inputIds = gatherRows(split.inputIds, indices);
  const attentionMask = gatherRows(split.attentionMask, indices);
  if (config.features === 'bag-of-tokens') {
    return { input: bagOfTokens(inputIds, attentionMask, config.vocabSize) };
  }
  return { input_ids: inputIds, attention_mask: attentionMask };
}

/** Row-wise softmax of logits [rows, classes], in float64. */
export function softmaxRows(logits: TensorData): number[][] {
  const [rows = 0, classes = 0] = logits.dims;
  const data = logits.data as Float32Array;
  const out: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(data.subarray(r * classes, (r + 1) * classes), Number);
    const max = Math.max(...row);
    const exps = row.map((v) => Math.exp(v - max));
    const sum = exps.reduce((a, b) => a + b, 0);
    out.push(exps.map((e) => e / sum));
  }
  return out;
}

/** Index of the largest value (the first on ties). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

export async function readModelConfig(modelDir: string): Promise<ModelFolderConfig> {
  const path = join(modelDir, 'config.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ModelFolderConfig;
  } catch (cause) {
    throw new PipelineError(
      'INVALID_ARGUMENT',
      `cannot read the model's config.json (${(cause as Error).message}); the folder must be written by the train step`,
      { path, cause },
    );
  }
}

/** A model folder (as the train step writes it) loaded for classifying raw texts. */
export interface TextClassifier {
  config: ModelFolderConfig;
  /** Class probabilities and the predicted label of each text. */
  predict(texts: readonly string[]): Promise<{ label: string; probabilities: number[] }[]>;
  release(): Promise<void>;
}

/** Loads `model.onnx`, `config.json` and the tokenizer files of a model folder. */
export async function loadTextClassifier(modelDir: string, threads = 1): Promise<TextClassifier> {
  const config = await readModelConfig(modelDir);
  const tokenizer = await loadTokenizer(modelDir);
  const session = await createSession(join(modelDir, 'model.onnx'), { threads });
  return {
    config,
    async predict(texts) {
      if (texts.length === 0) return [];
      const batch = tokenizer.encodeBatch([...texts], {
        padding: 'max_length',
        truncation: 'longest_first',
        maxLength: config.maxLength,
        dtype: 'int64',
        returnTokenTypeIds: false,
      });
      const split: EncodedSplit = {
        inputIds: tensor('int64', batch.inputIds.dims, batch.inputIds.data),
        attentionMask: tensor('int64', batch.attentionMask.dims, batch.attentionMask.data),
        labels: [],
        rows: texts.length,
        seqLength: config.maxLength,
      };
      const indices = texts.map((_, i) => i);
      const { logits } = await session.run(modelFeeds(split, indices, config), ['logits']);
      if (logits === undefined) {
        throw new PipelineError('INVALID_ARGUMENT', 'the model has no "logits" output', {
          path: modelDir,
        });
      }
      return softmaxRows(logits).map((probabilities) => ({
        label: config.labels[argmax(probabilities)] as string,
        probabilities,
      }));
    },
    release: () => session.release(),
  };
}
