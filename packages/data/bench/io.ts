// File-format read benchmarks: JSONL (a ≥1 GB file, streamed) and Parquet, each against peers
// run in the same script: DuckDB (a native columnar engine) and plain Node readline + JSON.parse.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createRng, writeRecords } from '../src/index.js';
import { ensureBenchDataDir, isMain, report, runChild, timed } from './util.js';

interface ChildResult {
  seconds: number;
  records: number;
  textChars: number;
  maxRssMb: number;
}

const WORDS =
  'the model data training token batch loss gradient learning rate epoch validation test split clean label text record field value schema stream file read write fast slow good bad'.split(
    ' ',
  );

function* generateRecords(count: number, seed: number) {
  const rng = createRng(seed);
  for (let i = 0; i < count; i++) {
    const n = 15 + rng.int(20);
    const words: string[] = [];
    for (let w = 0; w < n; w++) words.push(WORDS[rng.int(WORDS.length)] as string);
    yield {
      id: i,
      text: words.join(' '),
      label: rng.pick(['pos', 'neg', 'neutral']),
      score: rng.next(),
      lang: 'en',
    };
  }
}

/** Writes (once; reused afterwards) a JSONL file of at least `megabytes` MB. */
async function ensureJsonl(path: string, megabytes: number): Promise<number> {
  const existing = await stat(path).catch(() => undefined);
  if (existing && existing.size >= megabytes * 1e6) return existing.size;
  const out = createWriteStream(path, { highWaterMark: 1 << 22 });
  let bytes = 0;
  let chunk = '';
  for (const record of generateRecords(Number.MAX_SAFE_INTEGER, 1)) {
    chunk += `${JSON.stringify(record)}\n`;
    if (chunk.length > 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
      if (bytes >= megabytes * 1e6) break;
    }
  }
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).on('error', reject));
  return (await stat(path)).size;
}

async function duckdbLoadSeconds(sql: string, threads: number): Promise<number> {
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const connection = await db.connect();
  try {
    const { seconds } = await timed(() => connection.run(sql));
    return seconds;
  } finally {
    connection.closeSync();
    db.closeSync();
  }
}

export async function run(): Promise<void> {
  const dir = await ensureBenchDataDir();
  const megabytes = Number(process.env.FT_BENCH_JSONL_MB ?? 1024);

  // JSONL: ours and readline in fresh child processes (peak RSS is per process), DuckDB here.
  const jsonlPath = join(dir, `records-${megabytes}mb.jsonl`);
  const jsonlBytes = await ensureJsonl(jsonlPath, megabytes);
  const mb = jsonlBytes / 1e6;
  const ours = await runChild<ChildResult>('stream-child.ts', [jsonlPath]);
  const readline = await runChild<ChildResult>('readline-child.ts', [jsonlPath]);
  if (ours.records !== readline.records || ours.textChars !== readline.textChars) {
    throw new Error(`JSONL readers disagree: ${JSON.stringify({ ours, readline })}`);
  }
  const escaped = jsonlPath.replaceAll("'", "''");
  const duck = await duckdbLoadSeconds(
    `CREATE TABLE t AS SELECT * FROM read_json('${escaped}', format = 'newline_delimited')`,
    2,
  );
  const duck1 = await duckdbLoadSeconds(
    `CREATE TABLE t AS SELECT * FROM read_json('${escaped}', format = 'newline_delimited')`,
    1,
  );
  report('jsonl_file_mb', mb);
  report('jsonl_records', ours.records);
  report('jsonl_read_mb_s', mb / ours.seconds);
  report('jsonl_stream_peak_rss_mb', ours.maxRssMb);
  report('jsonl_read_mb_s_readline_peer', mb / readline.seconds);
  report('jsonl_read_vs_readline', readline.seconds / ours.seconds);
  report('jsonl_read_mb_s_duckdb_2threads', mb / duck);
  report('jsonl_read_vs_peer', duck / ours.seconds);
  report('jsonl_read_vs_duckdb_1thread', duck1 / ours.seconds);

  // Parquet: a file written by @ft/data and one written by DuckDB, both read by both.
  const rows = Number(process.env.FT_BENCH_PARQUET_ROWS ?? 1_000_000);
  const oursPath = join(dir, `records-${rows}-ft.parquet`);
  const duckPath = join(dir, `records-${rows}-duckdb.parquet`);
  await rm(oursPath, { force: true });
  const written = await timed(() =>
    writeRecords(oursPath, generateRecords(rows, 2), { compression: 'snappy' }),
  );
  const oursBytes = (await stat(oursPath)).size;
  report('parquet_write_mb_s', oursBytes / 1e6 / written.seconds);
  {
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    await connection.run(
      `COPY (SELECT * FROM read_parquet('${oursPath.replaceAll("'", "''")}')) TO '${duckPath.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION snappy)`,
    );
    connection.closeSync();
    db.closeSync();
  }
  for (const [name, path] of [
    ['ft', oursPath],
    ['duckdb', duckPath],
  ] as const) {
    const bytes = (await stat(path)).size;
    const read = await runChild<ChildResult>('stream-child.ts', [path]);
    if (read.records !== rows)
      throw new Error(`parquet read ${read.records} rows, expected ${rows}`);
    const duckSeconds = await duckdbLoadSeconds(
      `CREATE TABLE t AS SELECT * FROM read_parquet('${path.replaceAll("'", "''")}')`,
      2,
    );
    const suffix = name === 'ft' ? '' : '_duckdb_written';
    report(`parquet_read_mb_s${suffix}`, bytes / 1e6 / read.seconds);
    report(`parquet_read_rows_s${suffix}`, rows / read.seconds);
    report(`parquet_read_peak_rss_mb${suffix}`, read.maxRssMb);
    report(`parquet_read_vs_peer${suffix}`, duckSeconds / read.seconds);
  }
}

if (isMain(import.meta.url)) await run();
