// Parquet reader and writer on hyparquet / hyparquet-writer (pure JS): streams one row group at a
// time through a file handle, writes row group by row group to a temporary file renamed into place.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import zlib from 'node:zlib';
import type {
  ColumnMetaData,
  CompressionCodec,
  Compressors,
  FileMetaData,
  KeyValue,
  SchemaElement,
} from 'hyparquet';
import { parquetMetadataAsync, parquetReadObjects, parquetSchema } from 'hyparquet';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import { DataError, isDataError } from '../errors.js';
import { writeFileAtomic } from '../fs-utils.js';
import { conformRecord, inferSchema } from '../schema.js';
import type {
  DataRecord,
  Field,
  FileFormat,
  ReadOptions,
  ReadStats,
  RecordStream,
  Schema,
  WriteOptions,
  WriteResult,
} from '../types.js';
import {
  checkColumns,
  checkRecord,
  conformOrSkip,
  createErrorHandler,
  createRecordStream,
  openForRead,
  stringifyJson,
  toAsync,
  toIoError,
  toSafeInteger,
} from './utils.js';

/** Key-value metadata entry holding the @ft/data schema (marks `json` fields among others). */
export const PARQUET_SCHEMA_KEY = 'ft.schema';
/** Key-value metadata entry holding one CRC-32 per row group, so flipped data bytes are caught. */
export const PARQUET_CHECKSUM_KEY = 'ft.row_group_crc32';

const MAGIC = 0x31524150; // "PAR1" little-endian
const DEFAULT_ROW_GROUP_SIZE = 65_536;

/** hyparquet-writer's compressor map (its own Compressors type, unlike hyparquet's, takes one argument). */
type WriteCompressors = Partial<Record<CompressionCodec, (input: Uint8Array) => Uint8Array>>;

const CODECS: Record<NonNullable<WriteOptions['compression']>, CompressionCodec> = {
  uncompressed: 'UNCOMPRESSED',
  snappy: 'SNAPPY',
  gzip: 'GZIP',
  zstd: 'ZSTD',
};

// zstd is in node:zlib from Node 22.15 / 23.8 only; typed loosely so Node 20 typings compile.
const zstd = zlib as unknown as {
  zstdCompressSync?: (input: Uint8Array) => Buffer;
  zstdDecompressSync?: (input: Uint8Array) => Buffer;
};

const decompressors: Compressors = {
  GZIP: (input) => new Uint8Array(zlib.gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(zlib.brotliDecompressSync(input)),
  ...(zstd.zstdDecompressSync
    ? { ZSTD: (input: Uint8Array) => new Uint8Array(zstd.zstdDecompressSync!(input)) }
    : {}),
};

/** Parquet files (`.parquet`, `.pq`) read and written with the pure-JS hyparquet libraries. */
export function createParquetFormat(): FileFormat {
  return {
    name: 'parquet',
    extensions: ['.parquet', '.pq'],
    read: readParquet,
    write: writeParquet,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

function readParquet(path: string, options: ReadOptions = {}): RecordStream {
  return createRecordStream((stats) => iterateParquet(path, options, stats));
}

async function* iterateParquet(
  path: string,
  options: ReadOptions,
  stats: ReadStats,
): AsyncGenerator<DataRecord> {
  const { schema, signal } = options;
  const skip = createErrorHandler(options, stats);
  const where = { file: path, line: 0 };
  const file = await openRangeFile(path);
  try {
    const metadata = await readMetadata(file, path);
    const columns = topLevelColumns(metadata, path);
    const jsonFields = jsonFieldsOf(metadata, columns, path);
    const checksums = checksumsOf(metadata, path);
    if (schema) checkColumns(columns, schema, path);

    let rowStart = 0;
    let line = 0;
    for (const [index, group] of metadata.row_groups.entries()) {
      signal?.throwIfAborted();
      const rowEnd = rowStart + Number(group.num_rows);
      if (rowEnd === rowStart) continue;
      // One read per row group; hyparquet's column slices are then served from memory.
      const { start, end } = rowGroupRange(group.columns.map((c) => c.meta_data));
      file.cache = { start, bytes: await file.read(start, end) };
      const expected = checksums?.[index];
      if (expected !== undefined && zlib.crc32(file.cache.bytes) !== expected) {
        throw corrupt(path, `row group ${index + 1} fails its CRC-32 check (data bytes changed)`);
      }
      let rows: Record<string, unknown>[];
      try {
        rows = await parquetReadObjects({
          file,
          metadata,
          rowStart,
          rowEnd,
          compressors: decompressors,
        });
      } catch (error) {
        throw wrapReadError(error, path, `row group ${index + 1}`);
      }
      file.cache = undefined;
      if (rows.length !== rowEnd - rowStart) {
        throw corrupt(
          path,
          `row group ${index + 1} holds ${rows.length} rows, its metadata says ${rowEnd - rowStart}`,
        );
      }
      for (const row of rows) {
        line++;
        where.line = line;
        const record = conformOrSkip(toRecord(row, jsonFields, path, line), schema, where, skip);
        if (record === undefined) continue;
        stats.records++;
        yield record;
      }
      rowStart = rowEnd;
    }
  } catch (error) {
    // Anything but our own errors or an abort, thrown while decoding, comes from damaged bytes.
    if (isDataError(error) || (signal?.aborted && error === signal.reason)) throw error;
    throw corrupt(
      path,
      `it cannot be decoded (${(error as Error)?.message ?? String(error)})`,
      error,
    );
  } finally {
    await file.close();
  }
}

/** An AsyncBuffer over a file handle, with a one-range cache for the row group being read. */
interface RangeFile {
  byteLength: number;
  cache: { start: number; bytes: Uint8Array } | undefined;
  slice(start: number, end?: number): Promise<ArrayBuffer>;
  read(start: number, end: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

async function openRangeFile(path: string): Promise<RangeFile> {
  const { handle, size } = await openForRead(path);
  const file: RangeFile = {
    byteLength: size,
    cache: undefined,
    async read(start, end) {
      if (start < 0 || end > size || end < start) {
        throw corrupt(path, `a byte range ${start}–${end} points outside the file (${size} bytes)`);
      }
      const bytes = new Uint8Array(end - start);
      let done = 0;
      try {
        while (done < bytes.length) {
          const { bytesRead } = await handle.read(bytes, done, bytes.length - done, start + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
      } catch (error) {
        throw toIoError(error, path, 'read');
      }
      if (done !== bytes.length) throw corrupt(path, 'the file shrank while it was being read');
      return bytes;
    },
    async slice(start, end = size) {
      const cache = file.cache;
      if (cache && start >= cache.start && end <= cache.start + cache.bytes.length) {
        const from = cache.bytes.byteOffset + start - cache.start;
        return cache.bytes.buffer.slice(from, from + end - start) as ArrayBuffer;
      }
      const bytes = await file.read(start, end);
      return bytes.buffer as ArrayBuffer;
    },
    close: () => handle.close(),
  };
  return file;
}

async function readMetadata(file: RangeFile, path: string): Promise<FileMetaData> {
  const size = file.byteLength;
  if (size === 0) throw corrupt(path, 'the file is empty (0 bytes)');
  // 4 (PAR1) + 4 (footer length) + 4 (PAR1) is the smallest possible frame.
  if (size < 12) throw corrupt(path, `the file is ${size} bytes, too small to be Parquet`);
  const head = new DataView((await file.read(0, 4)).buffer);
  if (head.getUint32(0, true) !== MAGIC) {
    throw corrupt(
      path,
      'it does not start with the Parquet magic bytes "PAR1" (not a Parquet file)',
    );
  }
  const tail = new DataView((await file.read(size - 8, size)).buffer);
  if (tail.getUint32(4, true) !== MAGIC) {
    throw corrupt(path, 'it does not end with "PAR1" (the file is truncated or not Parquet)');
  }
  const footerLength = tail.getUint32(0, true);
  if (footerLength + 12 > size) {
    throw corrupt(path, `its footer claims ${footerLength} bytes, more than the file holds`);
  }
  let metadata: FileMetaData;
  try {
    metadata = await parquetMetadataAsync(file);
    parquetSchema(metadata);
  } catch (error) {
    throw wrapReadError(error, path, 'the footer');
  }
  checkMetadata(metadata, size - footerLength - 8, path);
  return metadata;
}

/** Catches footer corruption that still parses as Thrift: offsets, counts and codecs must add up. */
function checkMetadata(metadata: FileMetaData, dataEnd: number, path: string): void {
  const leaves = metadata.schema.filter((element) => !element.num_children).length;
  let rows = 0n;
  for (const [index, group] of metadata.row_groups.entries()) {
    const where = `row group ${index + 1}`;
    if (group.num_rows < 0n) throw corrupt(path, `${where} has a negative row count`);
    rows += group.num_rows;
    if (group.columns.length !== leaves) {
      throw corrupt(path, `${where} has ${group.columns.length} columns, the schema ${leaves}`);
    }
    for (const column of group.columns) {
      const meta = column.meta_data;
      if (!meta) throw corrupt(path, `${where} lacks column metadata`);
      const { start, end } = rowGroupRange([meta]);
      if (start < 4 || end > dataEnd) {
        throw corrupt(
          path,
          `${where} column "${meta.path_in_schema.join('.')}" points outside the data`,
        );
      }
      if (meta.codec === undefined)
        throw corrupt(path, `${where} names an unknown compression codec`);
      if (meta.codec !== 'UNCOMPRESSED' && meta.codec !== 'SNAPPY' && !decompressors[meta.codec]) {
        throw new DataError(
          'UNSUPPORTED_FORMAT',
          `the file is compressed with ${meta.codec}, which this Node version cannot decompress. ` +
            'Re-encode it with snappy, gzip or no compression (zstd needs Node 22.15 or later).',
          { file: path },
        );
      }
    }
  }
  if (rows !== metadata.num_rows) {
    throw corrupt(path, `row groups hold ${rows} rows, the footer says ${metadata.num_rows}`);
  }
}

function rowGroupRange(columns: (ColumnMetaData | undefined)[]): { start: number; end: number } {
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (const meta of columns) {
    if (!meta) continue;
    const first = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
    // Some writers set dictionary_page_offset to 0 when there is none.
    const from =
      first > 0 ? Math.min(first, Number(meta.data_page_offset)) : Number(meta.data_page_offset);
    start = Math.min(start, from);
    end = Math.max(end, from + Number(meta.total_compressed_size));
  }
  return { start: Number.isFinite(start) ? start : 0, end };
}

function keyValue(metadata: FileMetaData, key: string): string | undefined {
  return metadata.key_value_metadata?.find((entry) => entry.key === key)?.value;
}

/**
 * The `json` fields named by our schema entry. In files we wrote, the entry must also agree with
 * the columns, which catches a damaged column name in the footer.
 */
function jsonFieldsOf(metadata: FileMetaData, columns: string[], path: string): Set<string> {
  const text = keyValue(metadata, PARQUET_SCHEMA_KEY);
  if (text === undefined) return new Set();
  let names: string[];
  let json: string[];
  try {
    const schema = JSON.parse(text) as Schema;
    names = schema.fields.map((f) => f.name);
    json = schema.fields.filter((f) => f.type === 'json').map((f) => f.name);
  } catch (error) {
    throw corrupt(path, `its "${PARQUET_SCHEMA_KEY}" metadata entry is not valid JSON`, error);
  }
  if (names.join('\u0000') !== columns.join('\u0000')) {
    throw corrupt(
      path,
      `its columns (${columns.join(', ')}) differ from the schema it was written with (${names.join(', ')})`,
    );
  }
  return new Set(json);
}

function checksumsOf(metadata: FileMetaData, path: string): number[] | undefined {
  const text = keyValue(metadata, PARQUET_CHECKSUM_KEY);
  if (text === undefined) return undefined;
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch {
    values = undefined;
  }
  if (
    Array.isArray(values) &&
    values.length === metadata.row_groups.length &&
    values.every((v) => Number.isInteger(v))
  ) {
    return values as number[];
  }
  throw corrupt(path, `its "${PARQUET_CHECKSUM_KEY}" metadata entry is damaged`);
}

function topLevelColumns(metadata: FileMetaData, path: string): string[] {
  try {
    return parquetSchema(metadata).children.map((child) => child.element.name);
  } catch (error) {
    throw wrapReadError(error, path, 'the schema');
  }
}

function toRecord(
  row: Record<string, unknown>,
  jsonFields: Set<string>,
  path: string,
  line: number,
): DataRecord {
  const record: DataRecord = {};
  for (const name of Object.keys(row)) {
    let value = row[name];
    if (typeof value === 'bigint') value = toSafeInteger(value);
    else if (value === undefined) value = null;
    else if (typeof value === 'string' && jsonFields.has(name)) {
      try {
        value = JSON.parse(value);
      } catch (error) {
        throw new DataError(
          'CORRUPT_FILE',
          `the json field holds text that is not JSON. Re-create the file.`,
          { file: path, line, field: name, cause: error },
        );
      }
    }
    record[name] = value;
  }
  return record;
}

// ---------------------------------------------------------------------------------------------
// Writing

async function writeParquet(
  path: string,
  records: AsyncIterable<DataRecord> | Iterable<DataRecord>,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const { compression = 'snappy', rowGroupSize = DEFAULT_ROW_GROUP_SIZE } = options;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `rowGroupSize must be a positive integer, got ${String(rowGroupSize)}.`,
      { file: path },
    );
  }
  const codec = CODECS[compression];
  if (codec === undefined) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `unknown Parquet compression "${String(compression)}". Use one of: ${Object.keys(CODECS).join(', ')}.`,
      { file: path },
    );
  }
  const compressors: WriteCompressors = { GZIP: (input) => new Uint8Array(zlib.gzipSync(input)) };
  if (codec === 'ZSTD') {
    if (!zstd.zstdCompressSync) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `zstd compression needs Node 22.15 or later (this is ${process.version}). Use snappy or gzip.`,
        { file: path },
      );
    }
    const compress = zstd.zstdCompressSync;
    compressors.ZSTD = (input) => new Uint8Array(compress(input));
  }

  // An in-memory array is inferred whole; a stream is inferred from its first row group only.
  let schema = options.schema;
  if (!schema && Array.isArray(records)) {
    const inferred = inferSchema(records as DataRecord[]);
    if (inferred.fields.length === 0) throw noSchema(path);
    schema = inferred;
  }

  let count = 0;
  let bytes = 0;
  await writeFileAtomic(path, async (temp) => {
    const handle = await open(temp, 'w').catch((error: unknown) => {
      throw toIoError(error, path, 'write');
    });
    try {
      let writer: GroupWriter | undefined;
      let batch: DataRecord[] = [];
      const flush = async (): Promise<void> => {
        if (!schema) {
          const inferred = inferSchema(batch);
          if (inferred.fields.length === 0) throw noSchema(path);
          // Later rows may lack a field seen in the first row group.
          schema = { fields: inferred.fields.map((f) => ({ ...f, nullable: true })) };
        }
        writer ??= new GroupWriter(handle, schema, codec, compressors, path);
        await writer.writeGroup(batch, count - batch.length);
        batch = [];
      };
      for await (const record of toAsync(records)) {
        count++;
        batch.push(checkRecord(record, count, path));
        if (batch.length >= rowGroupSize) await flush();
      }
      if (batch.length > 0 || !writer) {
        if (batch.length === 0 && !schema) throw noSchema(path);
        if (batch.length > 0) await flush();
        else writer = new GroupWriter(handle, schema as Schema, codec, compressors, path);
      }
      bytes = await (writer as GroupWriter).finish();
    } finally {
      await handle.close();
    }
  });
  return { path, records: count, bytes };
}

/** A hyparquet ParquetWriter whose byte sink flushes each row group to the file handle. */
class GroupWriter {
  private readonly sink: FileSink;
  private readonly writer: ParquetWriter;
  private readonly checksums: number[] = [];
  private readonly kvMetadata: KeyValue[];

  constructor(
    handle: FileHandle,
    private readonly schema: Schema,
    codec: CompressionCodec,
    compressors: WriteCompressors,
    private readonly path: string,
  ) {
    this.sink = new FileSink(handle, path);
    this.kvMetadata = [{ key: PARQUET_SCHEMA_KEY, value: JSON.stringify(schema) }];
    this.writer = new ParquetWriter({
      writer: this.sink,
      schema: parquetSchemaOf(schema),
      codec,
      compressors,
      kvMetadata: this.kvMetadata,
      createdBy: '@ft/data (hyparquet-writer)',
    });
    this.sink.onGroup = (bytes) => this.checksums.push(zlib.crc32(bytes));
  }

  async writeGroup(records: DataRecord[], firstIndex: number): Promise<void> {
    const columns = this.schema.fields.map((field) => ({
      field,
      data: new Array<unknown>(records.length),
    }));
    for (const [i, record] of records.entries()) {
      const line = firstIndex + i + 1;
      // conformRecord copies each record; most already fit, so it runs only for those that don't.
      const conformed = fitsSchema(record, this.schema.fields)
        ? record
        : conformRecord(record, this.schema, { file: this.path, line });
      for (const column of columns) {
        column.data[i] = toParquetValue(
          conformed[column.field.name],
          column.field,
          this.path,
          line,
        );
      }
    }
    this.sink.groupStart = this.sink.offset;
    await this.writer.write({
      columnData: columns.map(({ field, data }) => ({ name: field.name, data })),
      rowGroupSize: records.length,
    });
  }

  /** Writes the footer (with the row group checksums) and returns the file size. */
  async finish(): Promise<number> {
    this.kvMetadata.push({ key: PARQUET_CHECKSUM_KEY, value: JSON.stringify(this.checksums) });
    await this.writer.finish();
    return this.sink.offset;
  }
}

/** hyparquet-writer's ByteWriter, flushed to a file handle after each row group. */
class FileSink extends ByteWriter {
  /** File offset where the current row group starts. */
  groupStart = 0;
  onGroup: ((bytes: Uint8Array) => void) | undefined;

  constructor(
    private readonly handle: FileHandle,
    private readonly path: string,
  ) {
    super(1 << 20);
  }

  async flush(): Promise<void> {
    const base = this.offset - this.index;
    this.onGroup?.(
      new Uint8Array(this.buffer, this.groupStart - base, this.offset - this.groupStart),
    );
    await this.drain();
  }

  override async finish(): Promise<void> {
    await this.drain();
  }

  private async drain(): Promise<void> {
    const bytes = new Uint8Array(this.buffer, 0, this.index);
    try {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await this.handle.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      }
    } catch (error) {
      throw toIoError(error, this.path, 'write');
    }
    this.index = 0;
  }
}

/** True when every value already has its field's type, so conformRecord would change nothing. */
function fitsSchema(record: DataRecord, fields: Field[]): boolean {
  let present = 0;
  for (const field of fields) {
    const value = record[field.name];
    if (value !== undefined || field.name in record) present++;
    if (value === null || value === undefined) {
      if (field.nullable === false) return false;
      continue;
    }
    switch (field.type) {
      case 'string':
        if (typeof value !== 'string') return false;
        break;
      case 'integer':
        if (typeof value !== 'bigint' && !Number.isInteger(value)) return false;
        break;
      case 'float':
        if (typeof value !== 'number') return false;
        break;
      case 'boolean':
        if (typeof value !== 'boolean') return false;
        break;
      case 'timestamp':
        if (!(value instanceof Date)) return false;
        break;
      case 'json':
        // conformRecord parses JSON-looking strings in json fields.
        if (typeof value === 'string' && (value.startsWith('{') || value.startsWith('['))) {
          return false;
        }
        break;
    }
  }
  // A key outside the schema must reach conformRecord, which rejects it.
  return present === Object.keys(record).length;
}

function parquetSchemaOf(schema: Schema): SchemaElement[] {
  const elements: SchemaElement[] = [{ name: 'root', num_children: schema.fields.length }];
  for (const field of schema.fields) {
    const repetition_type = field.nullable === false ? 'REQUIRED' : 'OPTIONAL';
    elements.push({ name: field.name, repetition_type, ...PHYSICAL[field.type] });
  }
  return elements;
}

const PHYSICAL: Record<Field['type'], Omit<SchemaElement, 'name'>> = {
  string: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
  json: { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } },
  integer: { type: 'INT64' },
  float: { type: 'DOUBLE' },
  boolean: { type: 'BOOLEAN' },
  timestamp: {
    type: 'INT64',
    converted_type: 'TIMESTAMP_MILLIS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' },
  },
};

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toParquetValue(value: unknown, field: Field, path: string, line: number): unknown {
  if (value === null || value === undefined) return null;
  const fail = (why: string): never => {
    throw new DataError('SCHEMA_MISMATCH', `${why}. Fix the value or change the schema.`, {
      file: path,
      line,
      field: field.name,
    });
  };
  switch (field.type) {
    case 'integer': {
      const n = BigInt(value as number | bigint);
      if (n < INT64_MIN || n > INT64_MAX) fail(`integer ${n} does not fit in 64 bits`);
      return n;
    }
    case 'timestamp':
      if (Number.isNaN((value as Date).getTime())) fail('the timestamp is an invalid date');
      return value;
    case 'json': {
      let text: string | undefined;
      try {
        text = stringifyJson(value);
      } catch (error) {
        return fail(`the json value cannot be serialised (${(error as Error).message})`);
      }
      return text ?? fail('the json value cannot be serialised');
    }
    default:
      return value;
  }
}

// ---------------------------------------------------------------------------------------------
// Errors

function corrupt(path: string, what: string, cause?: unknown): DataError {
  return new DataError(
    'CORRUPT_FILE',
    `not a readable Parquet file: ${what}. Re-create or re-download the file; if only part of it was copied, copy it again.`,
    { file: path, cause },
  );
}

function wrapReadError(error: unknown, path: string, where: string): DataError {
  if (isDataError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  const codec = /unsupported compression codec: (\w+)/.exec(message);
  if (codec) {
    return new DataError(
      'UNSUPPORTED_FORMAT',
      `the file uses the ${codec[1]} codec, which cannot be decompressed here. Re-encode it with snappy, gzip or no compression.`,
      { file: path, cause: error },
    );
  }
  return corrupt(path, `${where} cannot be decoded (${message})`, error);
}

function noSchema(path: string): DataError {
  return new DataError(
    'INVALID_ARGUMENT',
    'cannot infer a Parquet schema from zero records (or records without fields). Pass options.schema.',
    { file: path },
  );
}
