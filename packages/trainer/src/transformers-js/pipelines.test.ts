// transformers.js pipelines on exported folders predict what our own sessions predict: labels and
// scores, token labels, pooled embeddings and greedy generations, from the same token ids.
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { loadTokenizer, type Tokenizer, trainTokenizer } from '@ft/tokenize';
import {
  AutoModelForSequenceClassification,
  AutoTokenizer,
  env,
  pipeline,
} from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOSS, withCrossEntropy } from '../e2e/helpers.js';
import { buildEmbeddingModel, SENTENCE_EMBEDDING } from '../embeddings/model.js';
import { createGenerator } from '../generation/generate.js';
import { buildGpt2Decoder } from '../generation/gpt2-decoder.js';
import { softmax } from '../generation/sampling.js';
import { loadOnnxFile } from '../ir/onnx-import.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { buildBert } from '../models/bert.js';
import { buildGpt2 } from '../models/gpt2.js';
import { maxAbsDiff } from '../models/testing.js';
import { createSession } from '../runtime/session.js';
import { createTrainingStep } from '../step/training-step.js';
import { exportTransformersJs } from './export-folder.js';
import {
  CORPUS,
  fromTjs,
  GPT2_WORDS,
  parametersOf,
  rowsOf,
  TINY_BERT,
  TINY_GPT2,
  type TjsTensor,
  wordIds,
  wordLevelTokenizer,
} from './testing.js';

// Only local folders: a missing file must fail the test, not trigger a download.
env.allowRemoteModels = false;

let dir: { path: string; cleanup: () => Promise<void> };
let tokenizerPath: string;
let ours: Tokenizer;
beforeAll(async () => {
  dir = await createTempDir('ft-tjs-');
  const trained = await trainTokenizer(CORPUS, {
    model: 'wordpiece',
    vocabSize: TINY_BERT.vocab_size,
    minFrequency: 1,
  });
  const saved = await trained.save(join(dir.path, 'wordpiece'));
  tokenizerPath = saved.tokenizer;
  ours = await loadTokenizer(join(dir.path, 'wordpiece'));
});
afterAll(() => dir.cleanup());

const TEXTS = ['the movie was great', 'awful acting, boring plot', 'a wonderful film'];

/** Our encoding of `texts`, checked equal to the transformers.js tokenizer's of the exported folder. */
function encodeBoth(
  tjsTokenizer: (t: string[], o: object) => Record<string, TjsTensor>,
  texts: string[],
): Record<string, TensorData> {
  const enc = ours.encodeBatch(texts, { padding: 'longest' });
  const tjs = tjsTokenizer(texts, { padding: true, truncation: true });
  const feeds: Record<string, TensorData> = {
    input_ids: enc.inputIds,
    attention_mask: enc.attentionMask,
  };
  if (enc.tokenTypeIds !== undefined) feeds.token_type_ids = enc.tokenTypeIds;
  for (const [name, t] of Object.entries(feeds)) {
    const theirs = tjs[name];
    expect(theirs, name).toBeDefined();
    if (theirs !== undefined) expect(rowsOf(fromTjs(theirs)), name).toEqual(rowsOf(t));
  }
  return feeds;
}

/** What an ONNX Runtime session tells about its inputs. */
interface OrtSessionInfo {
  inputMetadata: Array<{ name: string; shape: Array<string | number> }>;
}

const rowsOfFloat = (t: TensorData): number[][] => {
  const width = t.dims.at(-1) ?? 0;
  const data = Array.from(t.data as Float32Array);
  return Array.from({ length: data.length / width }, (_, r) =>
    data.slice(r * width, (r + 1) * width),
  );
};

describe('transformers.js pipelines on exported folders', () => {
  it('text-classification: a trained BERT classifier gives TrainingStep.evaluate’s labels and softmax scores', async () => {
    const head = { type: 'sequence-classification', numLabels: 3 } as const;
    // A narrower init than TINY_BERT's trains steadily in a few steps.
    const config = { ...TINY_BERT, initializer_range: 0.1 };
    const build = (training: boolean) =>
      withCrossEntropy(buildBert(config, { head, training, seed: 1 }), ['batch']).graph;
    const step = await createTrainingStep({
      graph: build(true),
      evalGraph: build(false),
      loss: LOSS,
      optimizer: { type: 'adamw' },
      outputs: ['logits'],
      session: { threads: 1 },
    });
    const enc = ours.encodeBatch(CORPUS, { padding: 'longest' });
    const train = {
      input_ids: enc.inputIds,
      attention_mask: enc.attentionMask,
      token_type_ids: enc.tokenTypeIds as TensorData,
      labels: tensor('int64', [CORPUS.length], [0, 1, 0, 1, 2, 0]),
    };
    for (let i = 0; i < 15; i++) await step.run(train, 1e-2);
    const labels = ['positive', 'negative', 'neutral'];
    const exported = await exportTransformersJs({
      model: { type: 'bert', config, head },
      parameters: step.getParameters(),
      outputDir: join(dir.path, 'classifier'),
      labels,
      tokenizer: tokenizerPath,
    });
    expect(exported.task).toBe('text-classification');

    const pipe = await pipeline('text-classification', exported.dir, { dtype: 'fp32' });
    const feeds = encodeBoth(pipe.tokenizer as never, CORPUS);
    const { outputs } = await step.evaluate({
      ...feeds,
      labels: train.labels,
    });
    const expected = rowsOfFloat(outputs.logits as TensorData).map((row) =>
      Array.from(softmax(row), (score, id) => ({ label: labels[id], score })).sort(
        (a, b) => b.score - a.score,
      ),
    );
    const got = (await pipe(CORPUS, { top_k: 3 })) as unknown as Array<
      Array<{ label: string; score: number }>
    >;
    expect(got.map((row) => row.map((r) => r.label))).toEqual(
      expected.map((row) => row.map((r) => r.label)),
    );
    for (let i = 0; i < CORPUS.length; i++) {
      expect(
        maxAbsDiff(got[i]?.map((r) => r.score) ?? [], expected[i]?.map((r) => r.score) ?? []),
      ).toBeLessThan(1e-5);
    }
    // Trained on these texts, the classifier is far from uniform and tells them apart.
    expect(Math.max(...expected.map((row) => row[0]?.score ?? 0))).toBeGreaterThan(0.6);
    expect(new Set(expected.map((row) => row[0]?.label)).size).toBeGreaterThan(1);
    await step.release();
  });

  it('multi-label classification gets per-label sigmoids (a model without token_type_ids); a regression head’s raw logit comes from the model class', async () => {
    const head = { type: 'sequence-classification', numLabels: 3 } as const;
    const model = buildBert(TINY_BERT, { head, seed: 9, tokenTypeIds: false });
    const labels = ['sports', 'politics', 'science'];
    const exported = await exportTransformersJs({
      model: { type: 'bert', config: TINY_BERT, head, tokenTypeIds: false },
      parameters: parametersOf(model),
      outputDir: join(dir.path, 'multi-label'),
      labels,
      problemType: 'multi_label_classification',
      tokenizer: tokenizerPath,
    });
    const pipe = await pipeline('text-classification', exported.dir, { dtype: 'fp32' });
    // transformers.js drops the token_type_ids its tokenizer makes, since the session lacks them.
    const { token_type_ids: _, ...feeds } = encodeBoth(pipe.tokenizer as never, TEXTS);
    const session = await createSession(model.graph, { threads: 1 });
    expect(session.inputNames).toEqual(['input_ids', 'attention_mask']);
    const logits = rowsOfFloat((await session.run(feeds, ['logits'])).logits as TensorData);
    await session.release();
    const got = (await pipe(TEXTS, { top_k: 3 })) as unknown as Array<
      Array<{ label: string; score: number }>
    >;
    for (let i = 0; i < TEXTS.length; i++) {
      const byLabel = Object.fromEntries((got[i] ?? []).map((r) => [r.label, r.score]));
      const expected = (logits[i] ?? []).map((l) => 1 / (1 + Math.exp(-l)));
      expect(
        maxAbsDiff(
          labels.map((l) => byLabel[l] ?? Number.NaN),
          expected,
        ),
      ).toBeLessThan(1e-5);
    }

    const regression = buildBert(TINY_BERT, { head: { type: 'regression' }, seed: 10 });
    const reg = await exportTransformersJs({
      model: { type: 'bert', config: TINY_BERT, head: { type: 'regression' } },
      parameters: parametersOf(regression),
      outputDir: join(dir.path, 'regression'),
      tokenizer: tokenizerPath,
    });
    const tokenizer = await AutoTokenizer.from_pretrained(reg.dir);
    const tjsModel = await AutoModelForSequenceClassification.from_pretrained(reg.dir, {
      dtype: 'fp32',
    });
    const regFeeds = encodeBoth(tokenizer as never, TEXTS);
    const regSession = await createSession(regression.graph, { threads: 1 });
    const expected = (await regSession.run(regFeeds, ['logits'])).logits as TensorData;
    await regSession.release();
    const out = (await tjsModel(
      (tokenizer as unknown as (t: string[], o: object) => object)(TEXTS, {
        padding: true,
        truncation: true,
      }),
    )) as { logits: { dims: number[]; data: Float32Array } };
    expect(out.logits.dims).toEqual([TEXTS.length, 1]);
    expect(maxAbsDiff(out.logits.data, expected.data as Float32Array)).toBeLessThan(1e-5);
  });

  it('token-classification: per-token labels and scores of a BERT token classifier (weights in model.onnx_data)', async () => {
    const head = { type: 'token-classification', numLabels: 3 } as const;
    const model = buildBert(TINY_BERT, { head, seed: 4 });
    const labels = ['O', 'B-X', 'I-X'];
    const exported = await exportTransformersJs({
      model: { type: 'bert', config: TINY_BERT, head },
      parameters: parametersOf(model),
      outputDir: join(dir.path, 'tagger'),
      labels,
      tokenizer: tokenizerPath,
      externalDataThreshold: 0,
    });
    expect(exported.task).toBe('token-classification');
    expect(exported.files).toContain('onnx/model.onnx_data');

    const pipe = await pipeline('token-classification', exported.dir, { dtype: 'fp32' });
    const feeds = encodeBoth(pipe.tokenizer as never, TEXTS);
    const session = await createSession(model.graph, { threads: 1 });
    const { logits } = await session.run(feeds, ['logits']);
    await session.release();
    const perToken = rowsOfFloat(logits as TensorData);
    const ids = rowsOf(feeds.input_ids as TensorData);
    const special = new Set([0, 1, 2, 3, 4]); // [PAD] [UNK] [CLS] [SEP] [MASK]
    const expected = ids.map((row, i) =>
      row.flatMap((id, j) => {
        if (special.has(id)) return [];
        const scores = Array.from(softmax(perToken[i * row.length + j] ?? []));
        const best = scores.indexOf(Math.max(...scores));
        return [{ entity: labels[best], score: scores[best] ?? 0, index: j, word: id }];
      }),
    );
    const got = (await pipe(TEXTS, { ignore_labels: [] })) as unknown as Array<
      Array<{ entity: string; score: number; index: number; word: string }>
    >;
    expect(got.map((row) => row.map((t) => [t.index, t.entity]))).toEqual(
      expected.map((row) => row.map((t) => [t.index, t.entity])),
    );
    expect(got.map((row) => row.map((t) => t.word))).toEqual(
      expected.map((row) =>
        // A lone continuation piece keeps its '##' (HF's WordPiece decoder strips it only after a token).
        row.map((t) => ours.idToToken(t.word)),
      ),
    );
    const gotScores = got.flatMap((row) => row.map((t) => t.score));
    expect(
      maxAbsDiff(
        gotScores,
        expected.flatMap((row) => row.map((t) => t.score)),
      ),
    ).toBeLessThan(1e-5);
    // Not all one label.
    expect(new Set(expected.flat().map((t) => t.entity)).size).toBeGreaterThan(1);
  });

  it('feature-extraction: mean-pooled, normalised embeddings equal our embedding model’s sentence_embedding, token states our last_hidden_state', async () => {
    const embedding = buildEmbeddingModel(TINY_BERT, { pooling: 'mean', normalize: true, seed: 3 });
    const exported = await exportTransformersJs({
      model: { type: 'bert', config: TINY_BERT, head: { type: 'none' } },
      parameters: parametersOf(embedding),
      outputDir: join(dir.path, 'embedder'),
      tokenizer: tokenizerPath,
    });
    expect(exported.task).toBe('feature-extraction');
    // The embedding model trains no pooler, so none is exported.
    const graph = await loadOnnxFile(join(exported.dir, 'onnx', 'model.onnx'));
    expect(graph.outputs.map((v) => v.name)).toEqual(['last_hidden_state']);

    const pipe = await pipeline('feature-extraction', exported.dir, { dtype: 'fp32' });
    const feeds = encodeBoth(pipe.tokenizer as never, TEXTS);
    const session = await createSession(embedding.graph, { threads: 1 });
    const ref = (await session.run(feeds, [SENTENCE_EMBEDDING]))[SENTENCE_EMBEDDING] as TensorData;
    await session.release();
    const got = await pipe(TEXTS, { pooling: 'mean', normalize: true });
    expect(got.dims).toEqual([TEXTS.length, TINY_BERT.hidden_size]);
    expect(maxAbsDiff(got.data as Float32Array, ref.data as Float32Array)).toBeLessThan(1e-5);
    // Unpooled: the token states of our BertModel (the same seeded encoder).
    const base = buildBert(TINY_BERT, { head: { type: 'none' }, seed: 3 });
    const baseSession = await createSession(base.graph, { threads: 1 });
    const states = (await baseSession.run(feeds, ['last_hidden_state']))
      .last_hidden_state as TensorData;
    await baseSession.release();
    const raw = await pipe(TEXTS, { pooling: 'none' });
    expect(raw.dims).toEqual(states.dims);
    expect(maxAbsDiff(raw.data as Float32Array, states.data as Float32Array)).toBeLessThan(1e-5);
    // Different texts, different embeddings.
    expect(maxAbsDiff(rowsOfFloat(ref)[0] ?? [], rowsOfFloat(ref)[1] ?? [])).toBeGreaterThan(0.05);
  });

  it('text-generation: greedy decoding with the KV cache generates createGenerator’s tokens', async () => {
    // buildGpt2's parameters (a training graph's names) drive the exported KV-cache decoder.
    const parameters = parametersOf(buildGpt2(TINY_GPT2, { seed: 4 }));
    const exported = await exportTransformersJs({
      model: { type: 'gpt2', config: TINY_GPT2 },
      parameters,
      outputDir: join(dir.path, 'gpt2'),
      tokenizer: wordLevelTokenizer(),
    });
    expect(exported.task).toBe('text-generation');
    const pipe = await pipeline('text-generation', exported.dir, { dtype: 'fp32' });
    const generator = await createGenerator({
      model: buildGpt2Decoder(TINY_GPT2, { weights: parameters }),
      session: { threads: 1 },
    });
    // transformers.js sizes the empty first cache from this metadata: 'batch_size' → the batch,
    // numbers as they are, other names → 0.
    const sessions = (pipe.model as unknown as { sessions: Record<string, OrtSessionInfo> })
      .sessions;
    const cache = sessions.model?.inputMetadata.filter((m) => m.name.startsWith('past_'));
    expect(cache?.map((m) => m.shape)).toEqual(
      Array.from({ length: 4 }, () => ['batch_size', 2, 'past_sequence', 8]),
    );
    const words = ['<|endoftext|>', ...GPT2_WORDS];
    const tokenize = pipe.tokenizer as unknown as (text: string) => Record<string, TjsTensor>;
    const model = pipe.model as unknown as { generate(o: object): Promise<TjsTensor> };
    let generated = 0;
    for (const prompt of ['the cat sat', 'a big red dog ran home']) {
      const promptIds = wordIds(prompt);
      const mine = await generator.generate([promptIds], { maxNewTokens: 10, eosTokenId: 0 });
      const tokens = mine.tokens[0] ?? [];
      generated += tokens.length;
      const enc = tokenize(prompt);
      const inputIds = enc.input_ids;
      expect(inputIds && rowsOf(fromTjs(inputIds))).toEqual([promptIds]);
      // The model's generate: prompt + new ids, EOS included, as createGenerator returns them.
      const ids = await model.generate({ ...enc, max_new_tokens: 10, do_sample: false });
      expect(rowsOf(fromTjs(ids))).toEqual([[...promptIds, ...tokens]]);
      const [out] = (await pipe(prompt, { max_new_tokens: 10, do_sample: false })) as Array<{
        generated_text: string;
      }>;
      // Decoding skips the special token and the ids past the tokenizer's 13 (padded vocab rows).
      const text = [...promptIds, ...tokens]
        .filter((id) => id > 0 && id < words.length)
        .map((id) => words[id])
        .join(' ');
      expect(out?.generated_text).toBe(text);
    }
    await generator.release();
    // Greedy decoding went somewhere: more than a token or two over both prompts.
    expect(generated).toBeGreaterThan(6);
  });
});
