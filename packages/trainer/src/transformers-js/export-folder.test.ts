// exportTransformersJs: the folder's files and Hugging Face fields (read back by loadPretrained),
// external data naming, atomic replacement, and a TrainerError for each kind of bad input.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { trainTokenizer } from '@ft/tokenize';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildEmbeddingModel } from '../embeddings/model.js';
import { TrainerError } from '../errors.js';
import { loadOnnxFile } from '../ir/onnx-import.js';
import type { TensorData } from '../ir/types.js';
import { buildBert } from '../models/bert.js';
import { buildGpt2 } from '../models/gpt2.js';
import { loadPretrained } from '../pretrained/load-pretrained.js';
import { readSafetensors } from '../weights/safetensors.js';
import { type ExportTransformersJsOptions, exportTransformersJs } from './export-folder.js';
import { CORPUS, parametersOf, TINY_BERT, TINY_GPT2, wordLevelTokenizer } from './testing.js';

let wordpiece: Record<string, unknown>;
let wordpieceSize: number;
beforeAll(async () => {
  const trained = await trainTokenizer(CORPUS, {
    model: 'wordpiece',
    vocabSize: TINY_BERT.vocab_size,
    minFrequency: 1,
  });
  wordpiece = trained.tokenizerJson as unknown as Record<string, unknown>;
  wordpieceSize = trained.vocabSize;
});

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-tjs-export-');
});
afterEach(() => dir.cleanup());

const readJson = async (path: string) =>
  JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;

const SEQ_HEAD = { type: 'sequence-classification', numLabels: 3 } as const;
const LABELS = ['positive', 'negative', 'neutral'];

function classifierOptions(overrides: Partial<ExportTransformersJsOptions> = {}) {
  const model = buildBert(TINY_BERT, { head: SEQ_HEAD, seed: 5 });
  return {
    model: { type: 'bert', config: TINY_BERT, head: SEQ_HEAD },
    parameters: parametersOf(model),
    outputDir: join(dir.path, 'out'),
    labels: LABELS,
    tokenizer: wordpiece,
    ...overrides,
  } as ExportTransformersJsOptions;
}

const sameValues = (a: TensorData | undefined, b: TensorData | undefined) =>
  a !== undefined &&
  b !== undefined &&
  a.dims.join() === b.dims.join() &&
  Array.from(a.data as Float32Array).every((v, i) => v === (b.data as Float32Array)[i]);

describe('exportTransformersJs: folder contents', () => {
  it('BERT classifier: files, config.json / tokenizer_config.json fields, and a folder loadPretrained reads back', async () => {
    const options = classifierOptions();
    const exported = await exportTransformersJs(options);
    expect(exported.files).toEqual([
      'config.json',
      'model.safetensors',
      'onnx/model.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    const config = await readJson(join(exported.dir, 'config.json'));
    expect(config).toEqual(exported.config);
    expect(config).toMatchObject({
      architectures: ['BertForSequenceClassification'],
      model_type: 'bert',
      hidden_size: 16,
      num_attention_heads: 2,
      num_hidden_layers: 2,
      intermediate_size: 32,
      vocab_size: 100,
      max_position_embeddings: 32,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      hidden_act: 'gelu',
      id2label: { 0: 'positive', 1: 'negative', 2: 'neutral' },
      label2id: { positive: 0, negative: 1, neutral: 2 },
      problem_type: 'single_label_classification',
    });
    expect(config['transformers.js_config']).toBeUndefined();

    const tokenizerConfig = await readJson(join(exported.dir, 'tokenizer_config.json'));
    expect(tokenizerConfig).toMatchObject({
      tokenizer_class: 'BertTokenizer',
      // As the normalizer does it (Transformers rebuilds the normalizer when these disagree).
      do_lower_case: true,
      strip_accents: false,
      tokenize_chinese_chars: true,
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      mask_token: '[MASK]',
      model_max_length: 32,
      model_input_names: ['input_ids', 'token_type_ids', 'attention_mask'],
    });
    expect(Object.keys(tokenizerConfig.added_tokens_decoder as object)).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    expect(await readJson(join(exported.dir, 'tokenizer.json'))).toEqual(wordpiece);

    // Our own Hugging Face loader reads the folder back: same config, same weights.
    const loaded = await loadPretrained(exported.dir);
    expect(loaded.head).toEqual({ type: 'sequence-classification', numLabels: 3 });
    expect(loaded.config.bert).toEqual({
      ...TINY_BERT,
      hidden_act: 'gelu',
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      hidden_dropout_prob: 0.1,
      attention_probs_dropout_prob: 0.1,
      pad_token_id: 0,
      num_labels: 3,
    });
    expect(loaded.initialized).toEqual([]);
    for (const [name, value] of options.parameters) {
      expect(sameValues(loaded.graph.initializers.get(name), value), name).toBe(true);
    }
    // The ONNX model: eval graph inputs, only the logits out.
    const graph = await loadOnnxFile(join(exported.dir, 'onnx', 'model.onnx'));
    expect(graph.inputs.map((v) => v.name)).toEqual([
      'input_ids',
      'attention_mask',
      'token_type_ids',
    ]);
    expect(graph.outputs.map((v) => v.name)).toEqual(['logits']);
  });

  it('GPT-2: config.json, generation_config.json and a GPT2Tokenizer config; loadPretrained reads the weights back', async () => {
    const model = buildGpt2(TINY_GPT2, { seed: 6 });
    const exported = await exportTransformersJs({
      model: { type: 'gpt2', config: TINY_GPT2 },
      parameters: parametersOf(model),
      outputDir: join(dir.path, 'gpt2'),
      tokenizer: wordLevelTokenizer(),
      tokenizerConfig: { chat_template: '{{ messages }}' },
    });
    expect(exported.files).toContain('generation_config.json');
    expect(await readJson(join(exported.dir, 'config.json'))).toMatchObject({
      architectures: ['GPT2LMHeadModel'],
      model_type: 'gpt2',
      n_embd: 16,
      n_head: 2,
      n_layer: 2,
      n_positions: 32,
      n_ctx: 32,
      vocab_size: 16,
      layer_norm_epsilon: 1e-5,
      activation_function: 'gelu_new',
      bos_token_id: 0,
      eos_token_id: 0,
    });
    expect(await readJson(join(exported.dir, 'generation_config.json'))).toEqual({
      bos_token_id: 0,
      eos_token_id: 0,
    });
    expect(await readJson(join(exported.dir, 'tokenizer_config.json'))).toMatchObject({
      tokenizer_class: 'GPT2Tokenizer',
      bos_token: '<|endoftext|>',
      eos_token: '<|endoftext|>',
      unk_token: '<|endoftext|>',
      model_max_length: 32,
      model_input_names: ['input_ids', 'attention_mask'],
      chat_template: '{{ messages }}',
    });
    const graph = await loadOnnxFile(join(exported.dir, 'onnx', 'model.onnx'));
    expect(graph.inputs.map((v) => [v.name, v.shape])).toEqual([
      ['input_ids', ['batch_size', 'sequence']],
      ['attention_mask', ['batch_size', 'past_sequence + sequence']],
      ['position_ids', ['batch_size', 'sequence']],
      ['past_key_values.0.key', ['batch_size', 2, 'past_sequence', 8]],
      ['past_key_values.0.value', ['batch_size', 2, 'past_sequence', 8]],
      ['past_key_values.1.key', ['batch_size', 2, 'past_sequence', 8]],
      ['past_key_values.1.value', ['batch_size', 2, 'past_sequence', 8]],
    ]);
    expect(graph.outputs.map((v) => v.name)).toEqual([
      'logits',
      'present.0.key',
      'present.0.value',
      'present.1.key',
      'present.1.value',
    ]);
    const loaded = await loadPretrained(exported.dir);
    expect(loaded.config.gpt2).toMatchObject(TINY_GPT2);
    for (const name of model.parameters) {
      expect(
        sameValues(loaded.graph.initializers.get(name), model.graph.initializers.get(name)),
        name,
      ).toBe(true);
    }

    // Explicit ids win over the tokenizer's '<|endoftext|>'.
    const custom = await exportTransformersJs({
      model: { type: 'gpt2', config: TINY_GPT2, eosTokenId: 12, padTokenId: 0 },
      parameters: parametersOf(model),
      outputDir: join(dir.path, 'gpt2-custom'),
      tokenizer: wordLevelTokenizer(),
    });
    expect(await readJson(join(custom.dir, 'generation_config.json'))).toEqual({
      bos_token_id: 0,
      eos_token_id: 12,
      pad_token_id: 0,
    });
  });

  it('BertModel: exports pooler_output only when the pooler was trained; multi-label and regression problem types', async () => {
    const base = buildBert(TINY_BERT, { head: { type: 'none' }, seed: 7 });
    const withPooler = await exportTransformersJs({
      model: { type: 'bert', config: TINY_BERT, head: { type: 'none' } },
      parameters: parametersOf(base),
      outputDir: join(dir.path, 'base'),
      tokenizer: wordpiece,
    });
    expect(withPooler.config.architectures).toEqual(['BertModel']);
    const graph = await loadOnnxFile(join(withPooler.dir, 'onnx', 'model.onnx'));
    expect(graph.outputs.map((v) => v.name)).toEqual(['last_hidden_state', 'pooler_output']);
    const embedding = buildEmbeddingModel(TINY_BERT, { seed: 7 });
    expect(embedding.parameters.some((p) => p.startsWith('bert.pooler.'))).toBe(false);
    const noPooler = await exportTransformersJs({
      model: { type: 'bert', config: TINY_BERT, head: { type: 'none' } },
      parameters: parametersOf(embedding),
      outputDir: join(dir.path, 'embedding'),
      tokenizer: wordpiece,
    });
    const pruned = await loadOnnxFile(join(noPooler.dir, 'onnx', 'model.onnx'));
    expect(pruned.outputs.map((v) => v.name)).toEqual(['last_hidden_state']);
    // Nor are the untrained pooler's seeded weights saved as if trained: loaders see it missing.
    const { tensors } = await readSafetensors(join(noPooler.dir, 'model.safetensors'));
    expect([...tensors.keys()].sort()).toEqual([...embedding.parameters].sort());
    const reloaded = await loadPretrained(noPooler.dir);
    expect(reloaded.initialized).toEqual(['bert.pooler.dense.weight', 'bert.pooler.dense.bias']);

    const multi = await exportTransformersJs(
      classifierOptions({ problemType: 'multi_label_classification' }),
    );
    expect(multi.config.problem_type).toBe('multi_label_classification');
    const regression = buildBert(TINY_BERT, { head: { type: 'regression' }, seed: 8 });
    const reg = await exportTransformersJs({
      model: { type: 'bert', config: TINY_BERT, head: { type: 'regression' } },
      parameters: parametersOf(regression),
      outputDir: join(dir.path, 'regression'),
      tokenizer: wordpiece,
    });
    expect(reg.config).toMatchObject({
      architectures: ['BertForSequenceClassification'],
      problem_type: 'regression',
      id2label: { 0: 'LABEL_0' },
    });
  });

  it('large weights go to onnx/model.onnx_data, flagged in transformers.js_config', async () => {
    const exported = await exportTransformersJs(classifierOptions({ externalDataThreshold: 0 }));
    expect(exported.files).toContain('onnx/model.onnx_data');
    expect((await readdir(join(exported.dir, 'onnx'))).sort()).toEqual([
      'model.onnx',
      'model.onnx_data',
    ]);
    expect(exported.config['transformers.js_config']).toEqual({ use_external_data_format: true });
    // The model refers to the side file by that name (loadOnnxFile resolves it).
    const graph = await loadOnnxFile(join(exported.dir, 'onnx', 'model.onnx'));
    expect(graph.initializers.size).toBeGreaterThan(0);
  });

  it('replaces an existing folder as a whole, copies a tokenizer file byte for byte, and leaves no temporary folder behind', async () => {
    const outputDir = join(dir.path, 'out');
    await mkdir(join(outputDir, 'onnx'), { recursive: true });
    await writeFile(join(outputDir, 'stale.txt'), 'old export');
    await writeFile(join(outputDir, 'onnx', 'model.onnx_data'), 'old data');
    // A tokenizer file is copied as it is (here compact, not re-indented).
    const source = join(dir.path, 'source.json');
    await writeFile(source, JSON.stringify(wordpiece));
    await exportTransformersJs(classifierOptions({ outputDir, tokenizer: source }));
    expect(await readFile(join(outputDir, 'tokenizer.json'), 'utf8')).toBe(
      JSON.stringify(wordpiece),
    );
    expect((await readdir(outputDir)).sort()).toEqual([
      'config.json',
      'model.safetensors',
      'onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(await readdir(join(outputDir, 'onnx'))).toEqual(['model.onnx']);
    expect((await readdir(dir.path)).sort()).toEqual(['out', 'source.json']);
  });
});

describe('exportTransformersJs: bad input', () => {
  const rejects = async (
    options: ExportTransformersJsOptions,
    code: string,
    message: RegExp,
  ): Promise<void> => {
    const error = await exportTransformersJs(options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerError);
    expect((error as TrainerError).code).toBe(code);
    expect((error as TrainerError).message).toMatch(message);
    // Nothing written: neither the folder nor a temporary sibling.
    expect(await readdir(dir.path)).toEqual([]);
  };

  it('an unknown model type', async () => {
    await rejects(
      classifierOptions({ model: { type: 'roberta' } as never }),
      'INVALID_ARGUMENT',
      /model\.type "roberta" is not supported; pass \{ type: 'bert'/,
    );
  });

  it('missing, miscounted or repeated labels for a classifier, and labels where there is no classifier', async () => {
    const { labels: _, ...withoutLabels } = classifierOptions();
    await rejects(
      withoutLabels,
      'INVALID_ARGUMENT',
      /labels are required for a 'sequence-classification' head: pass labels with one name per class \(3\)/,
    );
    await rejects(
      classifierOptions({ labels: ['a', 'b'] }),
      'INVALID_ARGUMENT',
      /labels has 2 names but the 'sequence-classification' head has 3 classes/,
    );
    await rejects(
      classifierOptions({ labels: ['a', 'b', 'a'] }),
      'INVALID_ARGUMENT',
      /labels must be distinct non-empty strings; "a" is repeated/,
    );
    const tagger = buildBert(TINY_BERT, { head: { type: 'token-classification' } });
    await rejects(
      classifierOptions({
        model: { type: 'bert', config: TINY_BERT, head: { type: 'token-classification' } },
        parameters: parametersOf(tagger),
        labels: undefined,
      }),
      'INVALID_ARGUMENT',
      /labels are required for a 'token-classification' head/,
    );
    await rejects(
      {
        model: { type: 'gpt2', config: TINY_GPT2 },
        parameters: parametersOf(buildGpt2(TINY_GPT2)),
        outputDir: join(dir.path, 'gpt2'),
        tokenizer: wordLevelTokenizer(),
        labels: ['x'],
      },
      'INVALID_ARGUMENT',
      /labels apply to classification heads only; a gpt2 model has none/,
    );
  });

  it('a problemType for a head that does not read it', async () => {
    const tagger = buildBert(TINY_BERT, { head: { type: 'token-classification' } });
    await rejects(
      classifierOptions({
        model: { type: 'bert', config: TINY_BERT, head: { type: 'token-classification' } },
        parameters: parametersOf(tagger),
        problemType: 'multi_label_classification',
      }),
      'INVALID_ARGUMENT',
      /problemType applies to 'sequence-classification' heads only; the 'token-classification' head has no such choice — drop the problemType option/,
    );
    await rejects(
      {
        model: { type: 'gpt2', config: TINY_GPT2 },
        parameters: parametersOf(buildGpt2(TINY_GPT2)),
        outputDir: join(dir.path, 'gpt2'),
        tokenizer: wordLevelTokenizer(),
        problemType: 'multi_label_classification',
      },
      'INVALID_ARGUMENT',
      /problemType applies to classification heads only; a gpt2 model has none/,
    );
  });

  it('a multi-task head', async () => {
    await rejects(
      classifierOptions({
        model: {
          type: 'bert',
          config: TINY_BERT,
          head: { type: 'multi', heads: [{ name: 'a', type: 'classification' }] },
        },
      }),
      'INVALID_ARGUMENT',
      /head 'multi' has no transformers\.js class/,
    );
  });

  it('a tokenizer with more ids than the model has embedding rows', async () => {
    const small = { ...TINY_BERT, vocab_size: 20 };
    const tokenizerPath = join(dir.path, 'tokenizer.json');
    await writeFile(tokenizerPath, JSON.stringify(wordpiece));
    const error = await exportTransformersJs(
      classifierOptions({
        model: { type: 'bert', config: small, head: SEQ_HEAD },
        parameters: parametersOf(buildBert(small, { head: SEQ_HEAD })),
        tokenizer: tokenizerPath,
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerError);
    expect((error as TrainerError).file).toBe(tokenizerPath);
    expect((error as TrainerError).message).toContain(
      `the tokenizer has ${wordpieceSize} ids but the model's vocab_size is 20; the embedding table needs a row per id — grow it with resizeTokenEmbeddings`,
    );
    expect(await readdir(dir.path)).toEqual(['tokenizer.json']);
  });

  it('an unreadable or malformed tokenizer', async () => {
    await rejects(
      classifierOptions({ tokenizer: join(dir.path, 'missing.json') }),
      'INVALID_ARGUMENT',
      /missing\.json: cannot read the tokenizer; pass the path of a Hugging Face tokenizer\.json/,
    );
    await rejects(
      classifierOptions({ tokenizer: { version: '1.0' } }),
      'INVALID_ARGUMENT',
      /has no "model" object/,
    );
    await rejects(
      classifierOptions({ tokenizer: { model: { type: 'WordPiece' } } }),
      'INVALID_ARGUMENT',
      /field "model\.vocab" is missing/,
    );
  });

  it('missing or mismatched parameters', async () => {
    const parameters = parametersOf(buildBert(TINY_BERT, { head: SEQ_HEAD }));
    parameters.delete('classifier.weight');
    parameters.delete('bert.pooler.dense.bias');
    await rejects(
      classifierOptions({ parameters }),
      'INVALID_ARGUMENT',
      /parameters lack 2 of the model's \d+ weights \(bert\.pooler\.dense\.bias, classifier\.weight\); pass every trained parameter .* plus any frozen ones/,
    );
    // A classifier trained with 2 labels does not fit a 3-label export.
    const two = parametersOf(buildBert(TINY_BERT, { head: { type: 'sequence-classification' } }));
    await rejects(
      classifierOptions({ parameters: two }),
      'CHECKPOINT',
      /parameter "classifier\.weight" is float32 \[2, 16\] but graph "bert" has float32 \[3, 16\]/,
    );
  });

  it('an outputDir that is a file', async () => {
    const outputDir = join(dir.path, 'file');
    await writeFile(outputDir, 'not a folder');
    const error = await exportTransformersJs(classifierOptions({ outputDir })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrainerError);
    expect((error as TrainerError).message).toContain(
      `${outputDir}: outputDir is a file; pass a folder path`,
    );
    expect(await readFile(outputDir, 'utf8')).toBe('not a folder');
  });

  it('a token id outside the vocabulary', async () => {
    await rejects(
      {
        model: { type: 'gpt2', config: TINY_GPT2, eosTokenId: 16 },
        parameters: parametersOf(buildGpt2(TINY_GPT2)),
        outputDir: join(dir.path, 'gpt2'),
        tokenizer: wordLevelTokenizer(),
      },
      'INVALID_ARGUMENT',
      /model\.eosTokenId must be a token id in \[0, 16\), got 16/,
    );
  });
});
