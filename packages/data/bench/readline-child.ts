// Child process for bench/io.ts: the plain-Node peer (readline + JSON.parse) for JSONL reads.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

const [path] = process.argv.slice(2);
if (!path) throw new Error('usage: readline-child.ts <path>');
const start = process.hrtime.bigint();
let records = 0;
let textChars = 0;
const lines = createInterface({
  input: createReadStream(path, { highWaterMark: 1 << 20 }),
  crlfDelay: Infinity,
});
for await (const line of lines) {
  if (line.length === 0) continue;
  const record = JSON.parse(line) as { text?: string };
  records++;
  if (typeof record.text === 'string') textChars += record.text.length;
}
const seconds = Number(process.hrtime.bigint() - start) / 1e9;
console.log(
  JSON.stringify({ seconds, records, textChars, maxRssMb: process.resourceUsage().maxRSS / 1024 }),
);
