// Benchmark: batch-encoding throughput of Tokenizer.encodeBatch (Rust `tokenizers` engine behind a
// worker bridge) on a seeded ~10 MiB multilingual corpus, for a trained WordPiece and byte-level BPE
// tokenizer, against the pure-JS @huggingface/tokenizers and the bare async Rust bindings.
// Run: npx tsx bench/encode.ts
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Tokenizer as JsTokenizer } from '@huggingface/tokenizers';
import { createTokenizer, type TrainedTokenizer, trainTokenizer } from '../src/index.js';
import { generateCorpus } from './corpus.js';

const CORPUS_MIB = 10;
const TRAIN_MIB = 2;
const VOCAB_SIZE = 8000;
const BATCH_SIZE = 256;
const MAX_LENGTH = 512;

function rate(tokens: number, ms: number): number {
  return Math.round(tokens / (ms / 1000));
}

/** Our engine: padded, truncated int64 batches with offsets, word ids and sequence ids. */
function encodeOurs(trained: TrainedTokenizer, texts: string[]): { tokens: number; ms: number } {
  const tokenizer = createTokenizer({
    tokenizerJson: trained.tokenizerJson,
    tokenizerConfig: trained.tokenizerConfig,
  });
  tokenizer.encodeBatch(texts.slice(0, BATCH_SIZE), { padding: 'longest' }); // start the worker
  const started = performance.now();
  let tokens = 0;
  for (let i = 0; i < texts.length; i += BATCH_SIZE) {
    const batch = tokenizer.encodeBatch(texts.slice(i, i + BATCH_SIZE), {
      padding: 'longest',
      truncation: 'longest_first',
      maxLength: MAX_LENGTH,
    });
    for (const mask of batch.attentionMask.data) tokens += Number(mask);
  }
  return { tokens, ms: performance.now() - started };
}

/** The yardstick: pure-JS encode, one text at a time (it has no batch API), ids only. */
function encodeJs(trained: TrainedTokenizer, texts: string[]): { tokens: number; ms: number } {
  const tokenizer = new JsTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
  const started = performance.now();
  let tokens = 0;
  for (const text of texts) tokens += Math.min(MAX_LENGTH, tokenizer.encode(text).ids.length);
  return { tokens, ms: performance.now() - started };
}

/** The Rust bindings called directly (async, main thread), reading the same fields we return. */
async function encodeRustDirect(
  trained: TrainedTokenizer,
  texts: string[],
): Promise<{ tokens: number; ms: number }> {
  const { Tokenizer } = createRequire(import.meta.url)('tokenizers') as typeof import('tokenizers');
  const tokenizer = Tokenizer.fromString(JSON.stringify(trained.tokenizerJson));
  const started = performance.now();
  let tokens = 0;
  for (let i = 0; i < texts.length; i += BATCH_SIZE) {
    for (const e of await tokenizer.encodeBatch(texts.slice(i, i + BATCH_SIZE))) {
      tokens += Math.min(MAX_LENGTH, e.getIds().length);
      e.getTypeIds();
      e.getSpecialTokensMask();
      e.getOffsets();
      e.getWordIds();
      e.getSequenceIds();
    }
  }
  return { tokens, ms: performance.now() - started };
}

export async function run(): Promise<void> {
  const texts = generateCorpus(CORPUS_MIB, 7);
  const bytes = texts.reduce((sum, t) => sum + Buffer.byteLength(t) + 1, 0);
  const trainTexts = texts.slice(0, Math.ceil((texts.length * TRAIN_MIB) / CORPUS_MIB));
  console.log(
    `corpus: ${texts.length} sentences, ${(bytes / 2 ** 20).toFixed(1)} MiB; training on ${TRAIN_MIB} MiB`,
  );

  const results: Record<string, number> = {};
  for (const model of ['wordpiece', 'bpe'] as const) {
    const trainStart = performance.now();
    const trained = await trainTokenizer(trainTexts, { model, vocabSize: VOCAB_SIZE });
    console.log(
      `${model}: trained vocab ${trained.vocabSize} in ${Math.round(performance.now() - trainStart)} ms`,
    );
    const ours = encodeOurs(trained, texts);
    const js = encodeJs(trained, texts);
    const direct = await encodeRustDirect(trained, texts);
    results[model] = rate(ours.tokens, ours.ms);
    console.log(
      `encode_tokens_per_s_${model}: ${results[model]} (${ours.tokens} tokens, ${Math.round(ours.ms)} ms)`,
    );
    console.log(
      `encode_tokens_per_s_${model}_tokenizers_js: ${rate(js.tokens, js.ms)} (${Math.round(js.ms)} ms)`,
    );
    console.log(
      `encode_tokens_per_s_${model}_rust_direct: ${rate(direct.tokens, direct.ms)} (${Math.round(direct.ms)} ms)`,
    );
    console.log(
      `encode_speedup_${model}_vs_tokenizers_js: ${(rate(ours.tokens, ours.ms) / rate(js.tokens, js.ms)).toFixed(2)}`,
    );
  }
  console.log(`encode_tokens_per_s: ${results.wordpiece}`);
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) await run();
