// Benchmark: training WordPiece and byte-level BPE (vocabulary 30000) on a seeded ≥10 MiB
// multilingual corpus, with the Rust `tokenizers` default trainer on the same text as a peer.
// Run: npx tsx bench/train.ts
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BPE,
  bertNormalizer,
  bertPreTokenizer,
  byteLevelPreTokenizer,
  Tokenizer as RustTokenizer,
  WordPiece,
} from 'tokenizers';
import { trainTokenizer } from '../src/index.js';
import { generateCorpus } from './corpus.js';

const MEGABYTES = 10;
const SEED = 20240611;

function report(name: string, value: number): void {
  console.log(`${name}: ${Number.isInteger(value) ? value : value.toPrecision(4)}`);
}

async function seconds(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * The binding only trains with the model's default trainer (vocab 30000, min frequency 0) from
 * files, so that is the peer: same corpus, same vocabulary size, one line per text.
 */
async function rustDefaultTrainer(model: 'wordpiece' | 'bpe', file: string): Promise<number> {
  const tokenizer = new RustTokenizer(model === 'wordpiece' ? WordPiece.empty() : BPE.empty());
  if (model === 'wordpiece') {
    tokenizer.setNormalizer(bertNormalizer({ lowercase: true, stripAccents: false }));
    tokenizer.setPreTokenizer(bertPreTokenizer());
  } else {
    tokenizer.setPreTokenizer(byteLevelPreTokenizer(false, true));
  }
  return seconds(() => tokenizer.train([file]));
}

export async function run(): Promise<void> {
  const corpus = generateCorpus(MEGABYTES, SEED);
  const bytes = corpus.reduce((n, s) => n + Buffer.byteLength(s, 'utf8'), 0);
  report('corpus_mb', bytes / (1024 * 1024));
  report('corpus_texts', corpus.length);

  let wordpieceVocab = 0;
  const wordpiece = await seconds(async () => {
    wordpieceVocab = (await trainTokenizer(corpus, { model: 'wordpiece', vocabSize: 30000 }))
      .vocabSize;
  });
  report('train_wordpiece_10mb_s', wordpiece);
  report('train_wordpiece_vocab', wordpieceVocab);

  let bpeVocab = 0;
  const bpe = await seconds(async () => {
    bpeVocab = (await trainTokenizer(corpus, { model: 'bpe', vocabSize: 30000 })).vocabSize;
  });
  report('train_bpe_10mb_s', bpe);
  report('train_bpe_vocab', bpeVocab);

  const file = join(tmpdir(), `ft-bench-train-${process.pid}.txt`);
  try {
    await writeFile(file, `${corpus.map((s) => s.replaceAll('\n', ' ')).join('\n')}\n`, 'utf8');
    report(
      'train_wordpiece_10mb_rust_default_trainer_s',
      await rustDefaultTrainer('wordpiece', file),
    );
    report('train_bpe_10mb_rust_default_trainer_s', await rustDefaultTrainer('bpe', file));
  } finally {
    await rm(file, { force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}
