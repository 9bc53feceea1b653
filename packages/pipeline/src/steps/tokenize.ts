// `tokenize` step: trains a WordPiece tokenizer on the train split (or loads a tokenizer folder),
// then encodes every split into padded int64 tensors (`<split>.safetensors`) with label ids.
import { copyFile, mkdir, readdir, readFile, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { DataRecord } from '@ft/data';
import { sha256Hex } from '@ft/data';
import type { TextTokenizer, Tokenizer } from '@ft/tokenize';
import { loadTokenizer, trainTokenizer } from '@ft/tokenize';
import type { TensorData } from '@ft/trainer';
import { tensor, writeSafetensors } from '@ft/trainer';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import type { Json, StepOutput } from '../types.js';
import {
  defineStep,
  findInput,
  outputFile,
  paramError,
  readJsonl,
  textOf,
  throwIfAborted,
  writeJson,
} from './utils.js';

/** Splits encoded, in this order, when the input step wrote them. */
/** Files of a Hugging Face tokenizer folder (fast and slow tokenizers, special tokens, templates). */
const TOKENIZER_FILE =
  /^(tokenizer(_config)?\.json|special_tokens_map\.json|added_tokens\.json|vocab\.(txt|json)|merges\.txt|(sentencepiece\.bpe|spiece)\.model|chat_template\.(json|jinja))$/;

const SPLITS = ['train', 'validation', 'test'] as const;

const tokenizeParams = z.strictObject({
  /** Step whose train/validation/test files to encode; the only needed step with a `train` file when omitted. */
  from: z.string().optional(),
  /** Field holding the text. @default 'text' */
  textField: z.string().min(1).default('text'),
  /** Field holding the class label. @default 'label' */
  labelField: z.string().min(1).default('label'),
  /** A tokenizer folder (tokenizer.json …) to load, relative to the pipeline file; trains one when omitted. */
  tokenizer: z.string().min(1).optional(),
  /** Vocabulary size of a trained tokenizer, special tokens included. @default 2000 */
  vocabSize: z.number().int().min(10).default(2000),
  /** A pair must occur this often to be merged. @default 2 */
  minFrequency: z.number().int().min(1).default(2),
  /** Lowercase before tokenizing (trained tokenizers). @default true */
  lowercase: z.boolean().default(true),
  /** Tokens per row, special tokens included; longer texts are truncated. @default 64 */
  maxLength: z.number().int().min(4).max(8192).default(64),
  /** Pad every row to maxLength, or each split to its longest row. @default 'max_length' */
  padding: z.enum(['max_length', 'longest']).default('max_length'),
  /** The label set (label id = position). @default the train split's labels, sorted */
  labels: z.array(z.string().min(1)).min(2).optional(),
});

/** Tokens per row before truncation, special tokens included. */
function tokenCounts(tokenizer: TextTokenizer, texts: readonly string[]): number[] {
  return texts.map((text) => tokenizer.encode(text).ids.length);
}

function labelIds(
  records: readonly DataRecord[],
  labelField: string,
  labels: readonly string[],
  file: string,
): number[] {
  const index = new Map(labels.map((l, i) => [l, i]));
  return records.map((record, i) => {
    const value = record[labelField];
    const id = index.get(String(value));
    if (value === undefined || value === null || id === undefined) {
      throw new PipelineError(
        'INVALID_ARGUMENT',
        `record ${i + 1} has label ${JSON.stringify(value ?? null)}, which is not one of ${labels.join(', ')}; fix the data or list every label in params.labels`,
        { path: file, field: labelField },
      );
    }
    return id;
  });
}

export const tokenizeStep = defineStep({
  type: 'tokenize',
  description: 'Train or load a tokenizer and encode the splits into tensors',
  version: '1',
  params: tokenizeParams,
  async run(ctx) {
    const p = ctx.params;
    const { id } = findInput(ctx, 'train', p.from);
    // The other splits come from the same step as the train split.
    const source = ctx.inputs[id] as StepOutput;
    const splitFiles = SPLITS.filter((s) => source.files[s] !== undefined).map(
      (s) => [s, resolve(ctx.runDir, source.files[s] as string)] as const,
    );
    const data = new Map<string, { records: DataRecord[]; file: string }>();
    for (const [name, file] of splitFiles) data.set(name, { records: await readJsonl(file), file });
    // One fingerprint of the exact split files, for the registry's lineage.
    const hashes: string[] = [];
    for (const [name, file] of splitFiles)
      hashes.push(`${name}:${sha256Hex(await readFile(file))}`);
    const datasetFingerprint = sha256Hex(hashes.join('\n'));
    const train = data.get('train') as { records: DataRecord[]; file: string };
    if (train.records.length === 0) {
      throw new PipelineError('INVALID_ARGUMENT', 'the train split is empty; give it records', {
        path: train.file,
      });
    }

    const tokenizerDir = outputFile(ctx, 'tokenizer');
    let tokenizer: Tokenizer;
    if (p.tokenizer !== undefined) {
      const dir = resolve(ctx.baseDir, p.tokenizer);
      try {
        tokenizer = await loadTokenizer(dir);
      } catch (cause) {
        throw paramError(
          'tokenizer',
          `cannot load a tokenizer from ${dir}: ${(cause as Error).message}`,
        );
      }
      // Only the tokenizer's own files, copied from the real folder (a deploy target is a symlink,
      // and a model folder also holds weights that must not travel with the tokenizer).
      const source = await realpath(dir);
      await mkdir(tokenizerDir.path, { recursive: true });
      for (const name of await readdir(source)) {
        if (TOKENIZER_FILE.test(name))
          await copyFile(join(source, name), join(tokenizerDir.path, name));
      }
    } else {
      const trained = await trainTokenizer(
        { records: train.records, field: p.textField },
        {
          model: 'wordpiece',
          vocabSize: p.vocabSize,
          minFrequency: p.minFrequency,
          lowercase: p.lowercase,
          maxLength: p.maxLength,
        },
      );
      await trained.save(tokenizerDir.path);
      tokenizer = await loadTokenizer(tokenizerDir.path);
      ctx.log(
        `trained a WordPiece tokenizer: ${trained.vocabSize} tokens, ${trained.stats.merges} merges`,
      );
    }
    throwIfAborted(ctx.signal, ctx.stepId);

    const labels =
      p.labels ??
      [
        ...new Set(
          train.records
            .map((r) => r[p.labelField])
            .filter((v) => v !== undefined && v !== null)
            .map(String),
        ),
      ].sort();
    if (labels.length < 2) {
      throw paramError(
        'labelField',
        `the train split has ${labels.length} distinct value(s) in "${p.labelField}"; a classifier needs at least two labels`,
      );
    }
    const labelsFile = outputFile(ctx, 'labels.json');
    await writeJson(labelsFile.path, { labels, labelField: p.labelField, textField: p.textField });

    const unk =
      tokenizer.specialTokens.unk === undefined
        ? undefined
        : tokenizer.tokenToId(tokenizer.specialTokens.unk);
    const files: Record<string, string> = { tokenizer: tokenizerDir.rel, labels: labelsFile.rel };
    const stats: Record<string, Json> = {};
    for (const [name, { records, file }] of data) {
      throwIfAborted(ctx.signal, ctx.stepId);
      const texts = records.map((r, i) => textOf(r, p.textField, i, file));
      const ids = labelIds(records, p.labelField, labels, file);
      const tensors = new Map<string, TensorData>();
      let rows = 0;
      if (texts.length > 0) {
        const batch = tokenizer.encodeBatch(texts, {
          padding: p.padding,
          truncation: 'longest_first',
          maxLength: p.maxLength,
          dtype: 'int64',
          returnTokenTypeIds: false,
        });
        tensors.set('input_ids', tensor('int64', batch.inputIds.dims, batch.inputIds.data));
        tensors.set(
          'attention_mask',
          tensor('int64', batch.attentionMask.dims, batch.attentionMask.data),
        );
        rows = batch.inputIds.dims[0];
        const counts = tokenCounts(tokenizer, texts);
        let unknown = 0;
        if (unk !== undefined)
          for (const v of batch.inputIds.data) if (v === BigInt(unk)) unknown++;
        const kept = counts.map((c) => Math.min(c, p.maxLength));
        stats[name] = {
          rows,
          seqLength: batch.inputIds.dims[1],
          meanTokens: kept.reduce((a, b) => a + b, 0) / rows,
          maxTokens: Math.max(...counts),
          truncated: counts.filter((c) => c > p.maxLength).length,
          unknownTokens: unknown,
        };
      }
      tensors.set('labels', tensor('int64', [ids.length], ids));
      if (rows === 0) {
        ctx.log(`split "${name}" is empty; no tensors written for it`, 'warn');
        continue;
      }
      const out = outputFile(ctx, `${name}.safetensors`);
      await writeSafetensors(out.path, tensors, { split: name });
      files[`${name}Tensors`] = out.rel;
    }
    return {
      files,
      values: {
        vocabSize: tokenizer.vocabSize,
        maxLength: p.maxLength,
        labels,
        numLabels: labels.length,
        splits: stats,
        datasetFingerprint,
      },
    };
  },
});
