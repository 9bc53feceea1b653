// Benchmark: exact and MinHash-LSH near-duplicate removal over 100k seeded synthetic documents,
// with precision/recall against planted near-duplicates. Run: npx tsx bench/dedup.ts
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { DataRecord, Rng } from '../src/index.js';
import { createRng, dedupExact, dedupNear } from '../src/index.js';

const DOCS = 100_000;
const COPIES = 10_000;
const VOCABULARY = 10_000;

function makeWord(rng: Rng): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let word = '';
  const length = 2 + rng.int(9);
  for (let i = 0; i < length; i++) word += letters[rng.int(26)];
  return word;
}

/**
 * 90k originals of 60–100 words drawn uniformly from a 10k-word vocabulary (two originals share
 * under one word on average, so none are similar), and 10k copies of distinct originals, each
 * with 1–4 word edits (replace, insert or delete), placed at random positions among them.
 */
function makeCorpus(seed: number): { records: DataRecord[]; planted: Map<number, number> } {
  const rng = createRng(seed);
  const vocabulary = Array.from({ length: VOCABULARY }, () => makeWord(rng));
  const originals: string[][] = [];
  for (let i = 0; i < DOCS - COPIES; i++) {
    const length = 60 + rng.int(41);
    originals.push(Array.from({ length }, () => rng.pick(vocabulary)));
  }
  const sources = rng.shuffle(originals.map((_, i) => i)).slice(0, COPIES);
  const docs: { words: string[]; source: number }[] = originals.map((words) => ({
    words,
    source: -1,
  }));
  for (const source of sources) {
    const words = [...(originals[source] as string[])];
    const edits = 1 + rng.int(4);
    for (let e = 0; e < edits; e++) {
      const at = rng.int(words.length);
      const op = rng.int(3);
      if (op === 0) words[at] = rng.pick(vocabulary);
      else if (op === 1) words.splice(at, 0, rng.pick(vocabulary));
      else words.splice(at, 1);
    }
    docs.push({ words, source });
  }
  // Shuffle so copies come before their originals as often as after.
  const order = rng.shuffle(docs.map((_, i) => i));
  const position = new Int32Array(docs.length);
  order.forEach((docIndex, pos) => {
    position[docIndex] = pos;
  });
  const records: DataRecord[] = order.map((docIndex, pos) => ({
    id: pos,
    text: (docs[docIndex] as { words: string[] }).words.join(' '),
  }));
  // planted: position of the copy → position of its original (each original has ≤ 1 copy).
  const planted = new Map<number, number>();
  docs.forEach((doc, docIndex) => {
    if (doc.source >= 0) planted.set(position[docIndex] as number, position[doc.source] as number);
  });
  return { records, planted };
}

function pairKey(a: number, b: number): number {
  return Math.min(a, b) * DOCS + Math.max(a, b);
}

export async function run(): Promise<void> {
  const { records, planted } = makeCorpus(42);

  let start = performance.now();
  dedupExact(records, { key: 'text' });
  const exactSeconds = (performance.now() - start) / 1000;

  start = performance.now();
  const result = dedupNear(records, { key: 'text', threshold: 0.8 });
  const nearSeconds = (performance.now() - start) / 1000;

  // Ground truth: the planted (original, copy) pairs. A predicted pair is each removed record with
  // the kept record it was judged a duplicate of. Precision = predicted pairs that are planted /
  // predicted pairs; recall = planted pairs predicted / planted pairs. Each original has at most
  // one copy, so every planted cluster is exactly one pair.
  const truth = new Set<number>();
  for (const [copy, original] of planted) truth.add(pairKey(copy, original));
  let truePositives = 0;
  for (const r of result.removed) if (truth.has(pairKey(r.index, r.duplicateOf))) truePositives++;
  const precision = result.removed.length === 0 ? 1 : truePositives / result.removed.length;
  const recall = truePositives / truth.size;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);

  console.log(`exact_dedup_100k_s: ${exactSeconds.toFixed(3)}`);
  console.log(`minhash_dedup_100k_s: ${nearSeconds.toFixed(3)}`);
  console.log(`neardup_precision: ${precision.toFixed(4)}`);
  console.log(`neardup_recall: ${recall.toFixed(4)}`);
  console.log(`neardup_f1: ${f1.toFixed(4)}`);
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  await run();
}
