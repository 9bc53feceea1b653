// Child process for bench/io.ts: streams one file through @ft/data and reports time and peak RSS.
import { readRecords } from '../src/index.js';

const [path, format] = process.argv.slice(2);
if (!path) throw new Error('usage: stream-child.ts <path> [format]');
const start = process.hrtime.bigint();
let records = 0;
let textChars = 0;
const stream = readRecords(path, format ? { format: format as 'jsonl' } : {});
for await (const record of stream) {
  records++;
  // Touch a field so the work can't be skipped.
  const text = record.text;
  if (typeof text === 'string') textChars += text.length;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(
  JSON.stringify({ seconds, records, textChars, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
);
