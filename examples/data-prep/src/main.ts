// The main example: raw support tickets → clean → dedup → split → files, with a printed summary.
// Run it from the repository root with `pnpm example`.
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  cleanRecords,
  type DataRecord,
  datasetStats,
  dedup,
  fingerprintDataset,
  formatStats,
  readRecords,
  splitDataset,
  writeRecords,
} from '@ft/data';

const input = fileURLToPath(new URL('../data/tickets.jsonl', import.meta.url));
const outDir = fileURLToPath(new URL('../out/', import.meta.url));

// 1. Read. The raw file has one line cut off mid-record; skip it and say where it was.
const stream = readRecords(input, { onError: 'skip' });
const raw: DataRecord[] = [];
for await (const record of stream) raw.push(record);
console.log(`read ${raw.length} records from data/tickets.jsonl`);
for (const error of stream.stats.skippedErrors)
  console.log(`  skipped line ${error.line}: ${error.problem}`);

// 2. Clean: Unicode NFKC and whitespace, PII replaced by tokens, low-quality text dropped.
const cleaned = await cleanRecords(raw, {
  fields: ['text'],
  quality: { minWords: 3, maxSymbolRatio: 0.3, maxRepetitionRatio: 0.3 },
});
const { report: clean } = cleaned;
console.log(`cleaned: ${clean.recordsIn} in, ${clean.recordsOut} out`);
console.log(`  dropped by quality: ${JSON.stringify(clean.dropped)}`);
console.log(`  PII replaced: ${JSON.stringify(clean.pii)}`);

// 3. Dedup: exact after normalisation (case, spacing), then MinHash-LSH near-duplicates.
const deduped = dedup(cleaned.records, {
  exact: { key: 'text' },
  near: { key: 'text', threshold: 0.8, seed: 1 },
});
console.log(
  `dedup: ${deduped.report.input} in, ${deduped.report.kept} kept ` +
    `(${deduped.report.removedExact} exact, ${deduped.report.removedNear} near duplicates removed)`,
);
const example = deduped.removed.find((r) => r.reason === 'near');
if (example) {
  const text = (i: number) => String(cleaned.records[i]?.text).slice(0, 70);
  console.log(`  e.g. near duplicate (similarity ${example.similarity?.toFixed(2)}):`);
  console.log(`    kept:    ${text(example.duplicateOf)}…`);
  console.log(`    removed: ${text(example.index)}…`);
}

// 4. Split 70/20/10, stratified by label, and no customer in two splits (seeded: reruns agree).
const { splits } = splitDataset(deduped.kept, {
  ratios: { train: 0.7, validation: 0.2, test: 0.1 },
  seed: 42,
  stratifyBy: 'label',
  groupBy: 'customer',
});

// 5. Write: JSONL for train/validation, Parquet for test (every write is atomic).
await mkdir(outDir, { recursive: true });
for (const [name, records] of Object.entries(splits)) {
  const file = name === 'test' ? `${name}.parquet` : `${name}.jsonl`;
  const written = await writeRecords(`${outDir}${file}`, records);
  const fingerprint = await fingerprintDataset(records);
  console.log(
    `wrote out/${file}: ${written.records} records, ${written.bytes} bytes, ${fingerprint.slice(0, 23)}…`,
  );
}

// 6. Summary of the training split.
console.log('\ntrain split:');
console.log(
  formatStats(
    await datasetStats(splits.train ?? [], { textFields: ['text'], labelField: 'label' }),
  ),
);
