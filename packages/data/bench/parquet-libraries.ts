// Picks the Parquet library by measurement: writes one seeded dataset with each candidate writer,
// then reads every written file (and a DuckDB-written one) with each reader, each in its own process.
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { parquetWriteFile } from 'hyparquet-writer';
import { createParquetFormat } from '../src/io/parquet.js';
import { createRng } from '../src/random.js';
import { ensureBenchDataDir, report, runChild } from './util.js';

const ROWS = 200_000;
const SEED = 20240611;
const ROW_GROUP = 65_536;
const WORDS =
  'model data training token batch loss gradient learning rate epoch validation split clean label text record field value schema stream ሰላም räksmörgås'.split(
    ' ',
  );
const LABELS = ['positive', 'negative', 'neutral', 'mixed', 'unknown'];

interface Columns {
  id: number[];
  text: string[];
  label: string[];
  score: number[];
}

interface ChildResult {
  seconds: number;
  rows: number;
  /** Sum of ids and of text lengths: every reader must agree on them. */
  idSum: number;
  textChars: number;
  maxRssMb: number;
}

type Writer = 'hyparquet' | 'parquet_wasm' | 'parquetjs' | 'ft_data';
type Reader = 'hyparquet' | 'parquet_wasm' | 'parquetjs' | 'ft_data';
const WRITERS: Writer[] = ['hyparquet', 'parquet_wasm', 'parquetjs', 'ft_data'];
const READERS: Reader[] = ['hyparquet', 'parquet_wasm', 'parquetjs', 'ft_data'];

function generate(): Columns {
  const rng = createRng(SEED);
  const columns: Columns = { id: [], text: [], label: [], score: [] };
  for (let i = 0; i < ROWS; i++) {
    const words: string[] = [];
    let length = 0;
    while (length < 100) {
      const word = rng.pick(WORDS);
      words.push(word);
      length += word.length + 1;
    }
    columns.id.push(i);
    columns.text.push(words.join(' '));
    columns.label.push(rng.pick(LABELS));
    columns.score.push(rng.next());
  }
  return columns;
}

/** Logical size of the data (UTF-8 text + 8-byte numbers): the same MB for every file. */
function logicalMegabytes(columns: Columns): number {
  let bytes = 16 * columns.id.length;
  for (const t of columns.text) bytes += Buffer.byteLength(t);
  for (const l of columns.label) bytes += Buffer.byteLength(l);
  return bytes / 1e6;
}

function maxRssMb(): number {
  return process.resourceUsage().maxRSS / 1024;
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

// Each writer gets the data as that library wants it; converting is part of its time.
async function write(lib: Writer, columns: Columns, path: string): Promise<void> {
  if (lib === 'hyparquet') {
    parquetWriteFile({
      filename: path,
      codec: 'SNAPPY',
      rowGroupSize: ROW_GROUP,
      columnData: [
        { name: 'id', data: columns.id.map(BigInt), type: 'INT64' },
        { name: 'text', data: columns.text, type: 'STRING' },
        { name: 'label', data: columns.label, type: 'STRING' },
        { name: 'score', data: columns.score, type: 'DOUBLE' },
      ],
    });
  } else if (lib === 'parquet_wasm') {
    const wasm = createRequire(import.meta.url)(
      'parquet-wasm/node',
    ) as typeof import('parquet-wasm');
    const table = tableFromArrays({
      id: BigInt64Array.from(columns.id, BigInt),
      text: columns.text,
      label: columns.label,
      score: Float64Array.from(columns.score),
    });
    const props = new wasm.WriterPropertiesBuilder()
      .setCompression(wasm.Compression.SNAPPY)
      .setMaxRowGroupSize(ROW_GROUP)
      .build();
    const bytes = wasm.writeParquet(wasm.Table.fromIPCStream(tableToIPC(table, 'stream')), props);
    await writeFile(path, bytes);
  } else if (lib === 'parquetjs') {
    const parquet = await importParquetjs();
    const schema = new parquet.ParquetSchema({
      id: { type: 'INT64', compression: 'SNAPPY' },
      text: { type: 'UTF8', compression: 'SNAPPY' },
      label: { type: 'UTF8', compression: 'SNAPPY' },
      score: { type: 'DOUBLE', compression: 'SNAPPY' },
    });
    const writer = await parquet.ParquetWriter.openFile(schema, path);
    writer.setRowGroupSize(ROW_GROUP);
    for (let i = 0; i < columns.id.length; i++) {
      await writer.appendRow({
        id: columns.id[i],
        text: columns.text[i],
        label: columns.label[i],
        score: columns.score[i],
      });
    }
    await writer.close();
  } else {
    const records = columns.id.map((id, i) => ({
      id,
      text: columns.text[i],
      label: columns.label[i],
      score: columns.score[i],
    }));
    await createParquetFormat().write(path, records, {
      compression: 'snappy',
      rowGroupSize: ROW_GROUP,
      schema: {
        fields: [
          { name: 'id', type: 'integer', nullable: false },
          { name: 'text', type: 'string', nullable: false },
          { name: 'label', type: 'string', nullable: false },
          { name: 'score', type: 'float', nullable: false },
        ],
      },
    });
  }
}

// Every reader produces one plain object per row, since that is what @ft/data hands out.
async function read(lib: Reader, path: string): Promise<Omit<ChildResult, 'seconds' | 'maxRssMb'>> {
  const result = { rows: 0, idSum: 0, textChars: 0 };
  const take = (row: Record<string, unknown>): void => {
    result.rows++;
    result.idSum += Number(row.id);
    result.textChars += (row.text as string).length;
  };
  if (lib === 'hyparquet') {
    const rows = await parquetReadObjects({ file: await asyncBufferFromFile(path) });
    for (const row of rows) take(row);
  } else if (lib === 'parquet_wasm') {
    const wasm = createRequire(import.meta.url)(
      'parquet-wasm/node',
    ) as typeof import('parquet-wasm');
    const table = tableFromIPC(wasm.readParquet(await readFile(path)).intoIPCStream());
    for (const batch of table.batches) {
      const names = batch.schema.fields.map((f) => f.name);
      const vectors = names.map((_, i) => batch.getChildAt(i));
      for (let r = 0; r < batch.numRows; r++) {
        const row: Record<string, unknown> = {};
        for (let c = 0; c < names.length; c++) row[names[c] as string] = vectors[c]?.get(r);
        take(row);
      }
    }
  } else if (lib === 'parquetjs') {
    const parquet = await importParquetjs();
    const reader = await parquet.ParquetReader.openFile(path);
    const cursor = reader.getCursor();
    for (let row = await cursor.next(); row; row = await cursor.next()) take(row);
    await reader.close();
  } else {
    for await (const row of createParquetFormat().read(path)) take(row);
  }
  return result;
}

// biome-ignore lint/suspicious/noExplicitAny: @dsnp/parquetjs may be absent or unbuilt; typed loosely on purpose.
async function importParquetjs(): Promise<any> {
  const name = '@dsnp/parquetjs';
  return import(name);
}

async function child(args: string[]): Promise<void> {
  try {
    await childTask(args);
  } catch (error) {
    // Reported by the parent as `…_failed_…`, so one broken library does not stop the run.
    console.log(JSON.stringify({ error: (error as Error).message }));
  }
}

async function childTask(args: string[]): Promise<void> {
  const [mode, lib, path] = args;
  if (mode === 'baseline') {
    console.log(
      JSON.stringify({ seconds: 0, rows: 0, idSum: 0, textChars: 0, maxRssMb: maxRssMb() }),
    );
  } else if (mode === 'write') {
    const columns = generate();
    const start = process.hrtime.bigint();
    await write(lib as Writer, columns, path as string);
    const s = seconds(start);
    console.log(
      JSON.stringify({ seconds: s, rows: ROWS, idSum: 0, textChars: 0, maxRssMb: maxRssMb() }),
    );
  } else {
    const start = process.hrtime.bigint();
    const counts = await read(lib as Reader, path as string);
    const s = seconds(start);
    console.log(JSON.stringify({ seconds: s, ...counts, maxRssMb: maxRssMb() }));
  }
}

async function tryChild(args: string[]): Promise<ChildResult | string> {
  try {
    const result = await runChild<ChildResult | { error: string }>('parquet-libraries.ts', [
      '--child',
      ...args,
    ]);
    return 'error' in result ? result.error : result;
  } catch (error) {
    return (error as Error).message;
  }
}

export async function run(): Promise<void> {
  const dir = await ensureBenchDataDir();
  const columns = generate();
  const megabytes = logicalMegabytes(columns);
  const expectedIdSum = (ROWS * (ROWS - 1)) / 2;
  const expectedChars = columns.text.reduce((sum, t) => sum + t.length, 0);
  report('parquet_libraries_rows', ROWS);
  report('parquet_libraries_logical_mb', megabytes);
  report('parquet_libraries_codec', 'snappy');
  report('parquet_libraries_parquetjs_lite', 'not installed (unmaintained since 2019)');
  const baseline = await tryChild(['baseline']);
  if (typeof baseline !== 'string') report('parquet_child_baseline_rss_mb', baseline.maxRssMb);

  const files = new Map<string, string>();
  const writeSpeed = new Map<Writer, number>();
  for (const lib of WRITERS) {
    const path = join(dir, `libs-${lib}.parquet`);
    await rm(path, { force: true });
    const result = await tryChild(['write', lib, path]);
    if (typeof result === 'string') {
      report(`parquet_write_failed_${lib}`, oneLine(result));
      continue;
    }
    files.set(lib, path);
    writeSpeed.set(lib, megabytes / result.seconds);
    report(`parquet_write_mb_s_${lib}`, megabytes / result.seconds);
    report(`parquet_write_peak_rss_mb_${lib}`, result.maxRssMb);
    report(`parquet_file_mb_${lib}`, (await stat(path)).size / 1e6);
  }

  // DuckDB rewrites the hyparquet file (or any that exists), so every reader also meets a native writer's output.
  const source = files.values().next().value as string | undefined;
  if (source) {
    const duckPath = join(dir, 'libs-duckdb.parquet');
    // Loaded here only: a native module in every child would inflate their peak RSS.
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(
      `COPY (SELECT * FROM read_parquet('${source}')) TO '${duckPath}' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE ${ROW_GROUP})`,
    );
    connection.closeSync();
    instance.closeSync();
    files.set('duckdb', duckPath);
    report('parquet_file_mb_duckdb', (await stat(duckPath)).size / 1e6);
  }

  const readSpeed = new Map<Reader, number[]>();
  for (const [writer, path] of files) {
    for (const lib of READERS) {
      const result = await tryChild(['read', lib, path]);
      if (typeof result === 'string') {
        report(`parquet_read_failed_${lib}_from_${writer}`, oneLine(result));
        continue;
      }
      if (
        result.rows !== ROWS ||
        result.idSum !== expectedIdSum ||
        result.textChars !== expectedChars
      ) {
        report(`parquet_read_wrong_${lib}_from_${writer}`, JSON.stringify(result));
        continue;
      }
      const speed = megabytes / result.seconds;
      readSpeed.set(lib, [...(readSpeed.get(lib) ?? []), speed]);
      report(`parquet_read_mb_s_${lib}_from_${writer}`, speed);
      report(`parquet_read_peak_rss_mb_${lib}_from_${writer}`, result.maxRssMb);
    }
  }

  // Ratios against hyparquet, measured in this same run.
  const median = (values: number[]): number => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const hyRead = median(readSpeed.get('hyparquet') ?? []);
  for (const [lib, speeds] of readSpeed) {
    report(`parquet_read_mb_s_median_${lib}`, median(speeds));
    if (lib !== 'hyparquet') report(`parquet_read_${lib}_vs_hyparquet`, median(speeds) / hyRead);
  }
  const hyWrite = writeSpeed.get('hyparquet');
  for (const [lib, speed] of writeSpeed) {
    if (lib !== 'hyparquet' && hyWrite)
      report(`parquet_write_${lib}_vs_hyparquet`, speed / hyWrite);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

const self = fileURLToPath(import.meta.url);
if (process.argv[2] === '--child' && process.argv[1] === self) {
  await child(process.argv.slice(3));
} else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run();
}
