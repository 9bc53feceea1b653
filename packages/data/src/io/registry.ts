// The format registry (format name → lazy loader) and the high-level read/write API that picks
// a format from the file extension. Parquet and Arrow load their libraries only when used.
import { DataError } from '../errors.js';
import { conformRecord, inferSchema } from '../schema.js';
import type {
  DataRecord,
  Dataset,
  FileFormat,
  FileFormatName,
  ReadOptions,
  ReadStats,
  RecordStream,
  WriteOptions,
  WriteResult,
} from '../types.js';
import { createCsvFormat, inferCsvSchema } from './csv.js';
import { createJsonlFormat } from './jsonl.js';

/** Every format by name; `satisfies` keeps the keys equal to `FileFormatName` in types.ts. */
export const fileFormats = {
  jsonl: async () => createJsonlFormat(),
  csv: async () => createCsvFormat(),
  parquet: () => import('./parquet.js').then((m) => m.createParquetFormat()),
  arrow: () => import('./arrow.js').then((m) => m.createArrowFormat()),
} satisfies Record<FileFormatName, () => Promise<FileFormat>>;

/** Format names as the registry knows them (the same union as `FileFormatName`). */
export type RegisteredFormatName = keyof typeof fileFormats;

/** Extension → format, plus the delimiter an extension implies. */
const EXTENSIONS: Record<string, { format: FileFormatName; delimiter?: string }> = {
  '.jsonl': { format: 'jsonl' },
  '.ndjson': { format: 'jsonl' },
  '.csv': { format: 'csv' },
  '.tsv': { format: 'csv', delimiter: '\t' },
  '.parquet': { format: 'parquet' },
  '.pq': { format: 'parquet' },
  '.arrow': { format: 'arrow' },
  '.feather': { format: 'arrow' },
  '.ipc': { format: 'arrow' },
  '.arrows': { format: 'arrow' },
};

function extensionOf(path: string): string {
  const base = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

/** The format a path's extension names; UNSUPPORTED_FORMAT when there is none. */
export function detectFormat(path: string): FileFormatName {
  const entry = EXTENSIONS[extensionOf(path)];
  if (entry === undefined) {
    const ext = extensionOf(path);
    throw new DataError(
      'UNSUPPORTED_FORMAT',
      `cannot tell the file format from ${ext ? `the extension "${ext}"` : 'a path without an extension'}. Known extensions: ${Object.keys(EXTENSIONS).join(', ')}. Rename the file or pass the format option, e.g. { format: 'jsonl' }.`,
      { file: path },
    );
  }
  return entry.format;
}

/** The format implementation for a name, loading its libraries on first use. */
export async function getFileFormat(name: FileFormatName): Promise<FileFormat> {
  const load = Object.hasOwn(fileFormats, name) ? fileFormats[name] : undefined;
  if (load === undefined) {
    throw new DataError(
      'UNSUPPORTED_FORMAT',
      `unknown format ${JSON.stringify(name)}. Use one of: ${Object.keys(fileFormats).join(', ')}.`,
    );
  }
  return load();
}

/** The format for a call, and the options with a delimiter implied by `.tsv` filled in. */
function resolve<T extends { format?: FileFormatName; delimiter?: string }>(
  path: string,
  options: T,
): { name: FileFormatName; options: T } {
  const name = options.format ?? detectFormat(path);
  const implied = EXTENSIONS[extensionOf(path)];
  if (options.delimiter === undefined && implied?.format === name && implied.delimiter) {
    return { name, options: { ...options, delimiter: implied.delimiter } };
  }
  return { name, options };
}

/**
 * Streams the records of a file. Returns at once; the format (and its libraries) load on the
 * first iteration. `stats` reflects the latest iteration and can be read at any time.
 */
export function readRecords(path: string, options: ReadOptions = {}): RecordStream {
  const { name, options: resolved } = resolve(path, options);
  let inner: RecordStream | undefined;
  const empty: ReadStats = { records: 0, skipped: 0, skippedErrors: [] };
  // Getters so the object callers hold always shows the current counts.
  const stats: ReadStats = {
    get records() {
      return (inner?.stats ?? empty).records;
    },
    get skipped() {
      return (inner?.stats ?? empty).skipped;
    },
    get skippedErrors() {
      return (inner?.stats ?? empty).skippedErrors;
    },
  };
  return {
    stats,
    [Symbol.asyncIterator](): AsyncIterator<DataRecord> {
      let iterator: AsyncIterator<DataRecord> | undefined;
      let starting: Promise<AsyncIterator<DataRecord>> | undefined;
      const start = (): Promise<AsyncIterator<DataRecord>> => {
        starting ??= getFileFormat(name).then((format) => {
          inner = format.read(path, resolved);
          iterator = inner[Symbol.asyncIterator]();
          return iterator;
        });
        return starting;
      };
      return {
        // No extra promise per record once the format is loaded.
        next: () => (iterator ? iterator.next() : start().then((it) => it.next())),
        // Stopping before the first record has nothing to close.
        return: async (value?: unknown) =>
          iterator?.return ? iterator.return(value) : { done: true, value: undefined },
      };
    },
  };
}

/**
 * Reads a whole file into memory with a schema: the given one, else one inferred from the
 * records. CSV read without a schema gets column types from its values (see inferCsvSchema)
 * and its values converted to them.
 */
export async function readDataset(path: string, options: ReadOptions = {}): Promise<Dataset> {
  const stream = readRecords(path, options);
  let records: DataRecord[] = [];
  for await (const record of stream) records.push(record);
  let schema = options.schema;
  if (schema === undefined) {
    if ((options.format ?? detectFormat(path)) === 'csv') {
      const inferred = inferCsvSchema(records);
      records = records.map((record) => conformRecord(record, inferred, { file: path }));
      schema = inferred;
    } else {
      schema = inferSchema(records);
    }
  }
  const { records: count, skipped, skippedErrors } = stream.stats;
  return { schema, records, stats: { records: count, skipped, skippedErrors } };
}

/** Writes records (an array, iterable or async iterable) atomically in the path's format. */
export async function writeRecords(
  path: string,
  records: AsyncIterable<DataRecord> | Iterable<DataRecord>,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const { name, options: resolved } = resolve(path, options);
  const format = await getFileFormat(name);
  return format.write(path, records, resolved);
}

/**
 * Writes a dataset (or an array of records) atomically. The schema is the option, else the
 * dataset's, else (except for JSONL, which needs none) inferred from all records — so a CSV
 * header lists every key, not only the first record's.
 */
export async function writeDataset(
  path: string,
  data: Dataset | DataRecord[],
  options: WriteOptions = {},
): Promise<WriteResult> {
  if (Array.isArray(data)) {
    const { name } = resolve(path, options);
    const schema = options.schema ?? (name === 'jsonl' ? undefined : inferSchema(data));
    return writeRecords(path, data, { ...options, schema });
  }
  return writeRecords(path, data.records, { ...options, schema: options.schema ?? data.schema });
}
