// Benchmark: padding share of length-grouped vs random batches over 20k examples with a skewed
// (log-normal, seeded) length distribution, batch size 32; then packing efficiency into 2048-token
// blocks. Run: npx tsx bench/collate.ts
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { createRng } from '@ft/data';
import { collate, createBatches, packSequences, paddingRatio } from '../src/index.js';

const EXAMPLES = 20_000;
const BATCH_SIZE = 32;
const MAX_LENGTH = 2048;

/** Log-normal lengths (median e^5 ≈ 148 tokens, σ = 1), capped at MAX_LENGTH like a truncating tokenizer. */
function skewedLengths(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    return Math.min(MAX_LENGTH, Math.max(1, Math.round(Math.exp(5 + z))));
  });
}

export async function run(): Promise<void> {
  const lengths = skewedLengths(EXAMPLES, 42);
  const grouped = createBatches(lengths, { batchSize: BATCH_SIZE, seed: 0, groupByLength: true });
  const random = createBatches(lengths, { batchSize: BATCH_SIZE, seed: 0 });
  const groupedRatio = paddingRatio(grouped, lengths);
  const randomRatio = paddingRatio(random, lengths);

  // Collation throughput over one grouped epoch (int64 tensors, as ONNX models take).
  const examples = lengths.map((length, i) => ({
    inputIds: Array.from({ length }, (_, t) => (i + t) % 30_000),
    labels: Array.from({ length }, (_, t) => (t < length / 2 ? -100 : (i + t) % 30_000)),
  }));
  const started = performance.now();
  let tokens = 0;
  for (const batch of grouped) {
    const tensors = collate(
      batch.map((i) => examples[i] as (typeof examples)[number]),
      { padTokenId: 0 },
    );
    tokens += tensors.inputIds.data.length;
  }
  const seconds = (performance.now() - started) / 1000;

  console.log(`padding_ratio_grouped: ${groupedRatio.toFixed(4)}`);
  console.log(`padding_ratio_random: ${randomRatio.toFixed(4)}`);
  console.log(`padding_ratio_random_vs_grouped: ${(randomRatio / groupedRatio).toFixed(2)}`);
  console.log(`collate_int64_padded_tokens_per_s: ${Math.round(tokens / seconds)}`);

  // Packing the same examples into 2048-token blocks instead of padding them.
  for (const strategy of ['greedy', 'first-fit-decreasing'] as const) {
    const packStart = performance.now();
    const { stats } = packSequences(examples, { blockSize: MAX_LENGTH, padTokenId: 0, strategy });
    const packSeconds = (performance.now() - packStart) / 1000;
    console.log(`packing_efficiency_${strategy}: ${stats.efficiency.toFixed(4)}`);
    console.log(`packing_${strategy}_s: ${packSeconds.toFixed(3)}`);
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  await run();
}
