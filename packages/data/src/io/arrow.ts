// Arrow IPC reader and writer on apache-arrow: reads the file (.arrow/.feather v2) and stream
// (.arrows) formats one record batch at a time, writes batch by batch to a temp file renamed into place.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import {
  Field as ArrowField,
  Schema as ArrowSchema,
  Bool,
  type DataType,
  Float64,
  Int64,
  makeData,
  RecordBatch,
  RecordBatchFileWriter,
  RecordBatchReader,
  RecordBatchStreamWriter,
  type RecordBatchWriter,
  Struct,
  TimestampMillisecond,
  Type,
  Utf8,
  type Vector,
  vectorFromArray,
} from 'apache-arrow';
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

/** Schema-level metadata key holding the @ft/data schema. */
export const ARROW_SCHEMA_KEY = 'ft.schema';
/** Field-level metadata key; `json` marks a Utf8 column holding JSON text. */
export const ARROW_TYPE_KEY = 'ft.type';

const DEFAULT_BATCH_SIZE = 65_536;

/**
 * Arrow IPC files. `.arrows` is written in the stream format, every other extension in the file
 * format (the one with a footer, also Feather v2); both formats are read from any extension.
 */
export function createArrowFormat(): FileFormat {
  return {
    name: 'arrow',
    extensions: ['.arrow', '.feather', '.ipc', '.arrows'],
    read: readArrow,
    write: writeArrow,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading

function readArrow(path: string, options: ReadOptions = {}): RecordStream {
  return createRecordStream((stats) => iterateArrow(path, options, stats));
}

async function* iterateArrow(
  path: string,
  options: ReadOptions,
  stats: ReadStats,
): AsyncGenerator<DataRecord> {
  const { schema, signal } = options;
  const skip = createErrorHandler(options, stats);
  const where = { file: path, line: 0 };
  const { handle, size } = await openForRead(path);
  try {
    if (size === 0) throw corrupt(path, 'the file is empty (0 bytes)');
    await checkStreamEnd(handle, size, path);
    // A file handle (not a read stream) lets the file format seek to its footer and then read one
    // batch at a time; from a stream apache-arrow would buffer a whole IPC file in memory.
    let batches: AsyncIterator<RecordBatch>;
    let fields: ArrowField[];
    try {
      const reader = await RecordBatchReader.from(handle);
      await reader.open();
      // A stream that ends before its schema message leaves the reader without one.
      if (!reader.schema) throw new Error('no schema message');
      fields = reader.schema.fields;
      batches = reader[Symbol.asyncIterator]();
    } catch (error) {
      throw wrapReadError(error, path, 'the header');
    }
    const names = fields.map((field) => field.name);
    if (schema) checkColumns(names, schema, path);
    const convert = fields.map((field) => converterFor(field.type, isJsonField(field)));

    let line = 0;
    let index = 0;
    for (;;) {
      signal?.throwIfAborted();
      let next: IteratorResult<RecordBatch>;
      try {
        next = await batches.next();
      } catch (error) {
        throw wrapReadError(error, path, `record batch ${index + 1}`);
      }
      if (next.done) break;
      index++;
      const batch = next.value;
      const columns = fields.map((_, i) => batch.getChildAt(i));
      for (let row = 0; row < batch.numRows; row++) {
        line++;
        const record: DataRecord = {};
        for (const [i, field] of fields.entries()) {
          const value = columns[i]?.get(row);
          try {
            record[field.name] = value === null || value === undefined ? null : convert[i]!(value);
          } catch (error) {
            throw new DataError(
              'CORRUPT_FILE',
              `the json field holds text that is not JSON. Re-create the file.`,
              {
                file: path,
                line,
                field: field.name,
                cause: error,
              },
            );
          }
        }
        where.line = line;
        const conformed = conformOrSkip(record, schema, where, skip);
        if (conformed === undefined) continue;
        stats.records++;
        yield conformed;
      }
    }
  } catch (error) {
    // Anything but our own errors or an abort, thrown while decoding, comes from damaged bytes.
    if (isDataError(error) || (signal?.aborted && error === signal.reason)) throw error;
    throw wrapReadError(error, path, 'a record batch');
  } finally {
    await handle.close();
  }
}

/**
 * apache-arrow stops quietly where a stream ends, so a cut-off stream would read as a shorter
 * one. Streams end with an end-of-stream marker (a zero length, after 0xFFFFFFFF since 0.15);
 * a stream on disk without it was cut off. The file format checks its own footer.
 */
async function checkStreamEnd(handle: FileHandle, size: number, path: string): Promise<void> {
  const head = Buffer.alloc(6);
  const tail = Buffer.alloc(4);
  try {
    await handle.read(head, 0, Math.min(6, size), 0);
    if (size >= 4) await handle.read(tail, 0, 4, size - 4);
  } catch (error) {
    throw toIoError(error, path, 'read');
  }
  if (head.toString('latin1') === 'ARROW1') return;
  if (size < 8 || tail.readUInt32LE(0) !== 0) {
    throw corrupt(
      path,
      'the IPC stream does not end with an end-of-stream marker (it was cut off or is not Arrow)',
    );
  }
}

function isJsonField(field: ArrowField): boolean {
  return field.metadata.get(ARROW_TYPE_KEY) === 'json';
}

type Converter = (value: unknown) => unknown;

/** Arrow values to plain JS: int64 → number when exact, timestamps/dates → Date, rows → objects. */
function converterFor(type: DataType, json: boolean): Converter {
  switch (type.typeId) {
    case Type.Int:
      return (value) => (typeof value === 'bigint' ? toSafeInteger(value) : value);
    case Type.Timestamp:
    case Type.Date:
      return (value) => new Date(value as number);
    case Type.Utf8:
    case Type.LargeUtf8:
      return json ? (value) => JSON.parse(value as string) : (value) => value;
    default:
      return toPlain;
  }
}

function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return toSafeInteger(value);
  if (typeof value !== 'object') return value;
  if (value instanceof Date || value instanceof Uint8Array) return value;
  const iterable = value as { [Symbol.iterator]?: unknown; toJSON?: () => unknown };
  // Vectors (lists) iterate their values; StructRow and MapRow turn into objects with toJSON.
  if (typeof iterable.toJSON === 'function' && !Array.isArray(value)) {
    const plain = iterable.toJSON();
    if (Array.isArray(plain)) return plain.map(toPlain);
    if (plain && typeof plain === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(plain)) out[k] = toPlain(v);
      return out;
    }
    return plain;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  return value;
}

// ---------------------------------------------------------------------------------------------
// Writing

async function writeArrow(
  path: string,
  records: AsyncIterable<DataRecord> | Iterable<DataRecord>,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const { rowGroupSize = DEFAULT_BATCH_SIZE } = options;
  if (!Number.isInteger(rowGroupSize) || rowGroupSize < 1) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `rowGroupSize must be a positive integer, got ${String(rowGroupSize)}.`,
      { file: path },
    );
  }
  const streamFormat = path.toLowerCase().endsWith('.arrows');
  // An in-memory array is inferred whole; a stream is inferred from its first batch only.
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
    const writer: RecordBatchWriter = streamFormat
      ? new RecordBatchStreamWriter()
      : new RecordBatchFileWriter();
    const chunks = writer[Symbol.asyncIterator]();
    // Writes what the writer has encoded so far, so at most one batch is held in memory.
    const drain = async (all: boolean): Promise<void> => {
      const position = (writer as unknown as { _position: number })._position;
      while (all || bytes < position) {
        const next = await chunks.next();
        if (next.done) break;
        try {
          await handle.write(next.value);
        } catch (error) {
          throw toIoError(error, path, 'write');
        }
        bytes += next.value.byteLength;
      }
    };
    try {
      let arrowSchema: ArrowSchema | undefined;
      let batch: DataRecord[] = [];
      const flush = async (): Promise<void> => {
        if (!schema) {
          const inferred = inferSchema(batch);
          if (inferred.fields.length === 0) throw noSchema(path);
          // Later records may lack a field seen in the first batch.
          schema = { fields: inferred.fields.map((f) => ({ ...f, nullable: true })) };
        }
        arrowSchema ??= arrowSchemaOf(schema);
        writer.write(toRecordBatch(batch, count - batch.length, schema, arrowSchema, path));
        batch = [];
        await drain(false);
      };
      for await (const record of toAsync(records)) {
        count++;
        batch.push(checkRecord(record, count, path));
        if (batch.length >= rowGroupSize) await flush();
      }
      if (batch.length > 0) await flush();
      if (!arrowSchema) {
        if (!schema) throw noSchema(path);
        // One empty batch carries the schema, so zero records still make a readable file.
        arrowSchema = arrowSchemaOf(schema);
        writer.write(toRecordBatch([], 0, schema, arrowSchema, path));
      }
      writer.close();
      await drain(true);
    } catch (error) {
      writer.abort();
      throw error;
    } finally {
      await handle.close();
    }
  });
  return { path, records: count, bytes };
}

function arrowTypeOf(type: Field['type']): DataType {
  switch (type) {
    case 'string':
    case 'json':
      return new Utf8();
    case 'integer':
      return new Int64();
    case 'float':
      return new Float64();
    case 'boolean':
      return new Bool();
    case 'timestamp':
      return new TimestampMillisecond();
  }
}

function arrowSchemaOf(schema: Schema): ArrowSchema {
  const fields = schema.fields.map(
    (field) =>
      new ArrowField(
        field.name,
        arrowTypeOf(field.type),
        field.nullable !== false,
        field.type === 'json' ? new Map([[ARROW_TYPE_KEY, 'json']]) : new Map(),
      ),
  );
  return new ArrowSchema(fields, new Map([[ARROW_SCHEMA_KEY, JSON.stringify(schema)]]));
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function toRecordBatch(
  records: DataRecord[],
  firstIndex: number,
  schema: Schema,
  arrowSchema: ArrowSchema,
  path: string,
): RecordBatch {
  const columns = schema.fields.map(() => new Array<unknown>(records.length));
  for (const [i, record] of records.entries()) {
    const line = firstIndex + i + 1;
    const conformed = conformRecord(record, schema, { file: path, line });
    for (const [j, field] of schema.fields.entries()) {
      (columns[j] as unknown[])[i] = toArrowValue(conformed[field.name], field, path, line);
    }
  }
  const vectors: Vector[] = arrowSchema.fields.map((field, j) =>
    vectorFromArray(columns[j] as never[], field.type),
  );
  const data = makeData({
    type: new Struct(arrowSchema.fields),
    length: records.length,
    nullCount: 0,
    children: vectors.map((vector) => vector.data[0]!),
  });
  return new RecordBatch(arrowSchema, data);
}

function toArrowValue(value: unknown, field: Field, path: string, line: number): unknown {
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
    case 'timestamp': {
      const ms = (value as Date).getTime();
      return Number.isNaN(ms) ? fail('the timestamp is an invalid date') : ms;
    }
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
// Helpers

/** int64 values come back as numbers when exact, as bigint beyond 2^53. */
function corrupt(path: string, what: string, cause?: unknown): DataError {
  return new DataError(
    'CORRUPT_FILE',
    `not a readable Arrow IPC file: ${what}. Re-create or re-download the file; if only part of it was copied, copy it again.`,
    { file: path, cause },
  );
}

function wrapReadError(error: unknown, path: string, where: string): DataError {
  if (isDataError(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (/compress|codec/i.test(message)) {
    return new DataError(
      'UNSUPPORTED_FORMAT',
      `the file uses IPC body compression, which apache-arrow cannot read without a codec (${message}). Re-write it uncompressed.`,
      { file: path, cause: error },
    );
  }
  return corrupt(path, `${where} cannot be decoded (${message})`, error);
}

function noSchema(path: string): DataError {
  return new DataError(
    'INVALID_ARGUMENT',
    'cannot infer an Arrow schema from zero records (or records without fields). Pass options.schema.',
    { file: path },
  );
}
