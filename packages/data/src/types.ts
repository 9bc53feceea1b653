// Public types shared across @ft/data: records, schemas, read/write options.

/** One example: a plain JSON-like object. */
export type DataRecord = Record<string, unknown>;

/** Field types a schema can declare. `json` holds nested objects and arrays as they are. */
export type FieldType = 'string' | 'integer' | 'float' | 'boolean' | 'timestamp' | 'json';

export interface Field {
  name: string;
  type: FieldType;
  /** Whether null/missing values are allowed. @default true */
  nullable?: boolean;
}

export interface Schema {
  fields: Field[];
}

/** What to do with a malformed line or row. */
export type OnError = 'fail' | 'skip';

/** Counts kept while reading; filled in as the stream is consumed. */
export interface ReadStats {
  /** Records produced. */
  records: number;
  /** Malformed lines/rows skipped (only with `onError: 'skip'`). */
  skipped: number;
  /** The first skipped errors (at most 100), each naming file and line. */
  skippedErrors: import('./errors.js').DataError[];
}

/** An async-iterable record stream that also reports what it read and skipped. */
export interface RecordStream extends AsyncIterable<DataRecord> {
  readonly stats: ReadStats;
}

/** A whole dataset in memory. */
export interface Dataset {
  schema: Schema;
  records: DataRecord[];
  /** Present when read from a file. */
  stats?: ReadStats;
}

export type FileFormatName = 'jsonl' | 'csv' | 'parquet' | 'arrow';

export interface ReadOptions {
  /** File format; inferred from the extension when omitted. */
  format?: FileFormatName;
  /** Explicit schema: values are checked (and, for CSV, converted) against it. Inferred when omitted. */
  schema?: Schema;
  /** What to do with a malformed line/row. @default 'fail' */
  onError?: OnError;
  /** Called for each skipped line/row with `onError: 'skip'`. */
  onSkip?: (error: import('./errors.js').DataError) => void;
  /** CSV only: field delimiter. @default ',' */
  delimiter?: string;
  /** CSV only: whether the first row is a header. @default true */
  header?: boolean;
  /** CSV only: column names when `header` is false. */
  columns?: string[];
  /** Abort reading. */
  signal?: AbortSignal;
}

export interface WriteOptions {
  /** File format; inferred from the extension when omitted. */
  format?: FileFormatName;
  /** Schema to write with; inferred from the records when omitted (binary formats need one). */
  schema?: Schema;
  /** CSV only: field delimiter. @default ',' */
  delimiter?: string;
  /** Parquet only: compression codec. @default 'snappy' */
  compression?: 'uncompressed' | 'snappy' | 'gzip' | 'zstd';
  /** Parquet/Arrow only: rows per row group / record batch. @default 65536 */
  rowGroupSize?: number;
}

export interface WriteResult {
  path: string;
  records: number;
  bytes: number;
}

/**
 * One file format: a reader that streams records and a writer that writes them atomically
 * (to a temporary file renamed into place), so a failed write never leaves a half-written file.
 */
export interface FileFormat {
  readonly name: FileFormatName;
  /** Lower-case extensions with the dot, e.g. `['.jsonl', '.ndjson']`. */
  readonly extensions: readonly string[];
  read(path: string, options?: ReadOptions): RecordStream;
  write(
    path: string,
    records: AsyncIterable<DataRecord> | Iterable<DataRecord>,
    options?: WriteOptions,
  ): Promise<WriteResult>;
}
