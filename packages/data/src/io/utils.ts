// Shared helpers of the text formats: chunked file reading, IO error mapping, read stats and
// the onError policy, and buffered writing with backpressure.
import { createReadStream, createWriteStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { DataError, recordSkip } from '../errors.js';
import { writeFileAtomic } from '../fs-utils.js';
import { conformRecord } from '../schema.js';
import type { DataRecord, ReadOptions, ReadStats, RecordStream, Schema } from '../types.js';

/** Chunk size for file reads: large chunks keep per-chunk overhead negligible. */
export const DEFAULT_HIGH_WATER_MARK = 1 << 20;

/**
 * The longest line (JSONL) or row (CSV) a reader accepts. Longer ones are nearly always a wrong
 * format or an unterminated quote; failing early beats buffering the rest of a huge file.
 */
export const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/** A UTF-8 byte order mark, which some editors put at the start of text files. */
export function hasBom(chunk: Buffer, at = 0): boolean {
  return chunk[at] === 0xef && chunk[at + 1] === 0xbb && chunk[at + 2] === 0xbf;
}

/**
 * A RecordStream over a generator of records (which counts `stats.records` itself). The stats
 * object stays the same across iterations (callers may hold on to it); each iteration reads the
 * file again from the start and resets the counts.
 */
export function createRecordStream(
  read: (stats: ReadStats) => AsyncGenerator<DataRecord>,
): RecordStream {
  const stats: ReadStats = { records: 0, skipped: 0, skippedErrors: [] };
  return {
    stats,
    [Symbol.asyncIterator]() {
      stats.records = 0;
      stats.skipped = 0;
      stats.skippedErrors.length = 0;
      return read(stats);
    },
  };
}

/**
 * A RecordStream over batches of records (one batch per file chunk). Handing out records from
 * a batch directly, instead of resuming an async generator per record, saves several promise
 * hops per record.
 * The stats object stays the same across iterations (callers may hold on to it); each
 * iteration reads the file again from the start and resets the counts. `records` counts the
 * records handed to the consumer.
 */
export function createBatchedRecordStream(
  readBatches: (stats: ReadStats) => AsyncGenerator<DataRecord[]>,
  signal?: AbortSignal,
): RecordStream {
  const stats: ReadStats = { records: 0, skipped: 0, skippedErrors: [] };
  return {
    stats,
    [Symbol.asyncIterator](): AsyncIterator<DataRecord> {
      stats.records = 0;
      stats.skipped = 0;
      stats.skippedErrors.length = 0;
      const batches = readBatches(stats);
      let batch: DataRecord[] = [];
      let index = 0;
      let finished = false;
      let inFlight: Promise<IteratorResult<DataRecord>> | undefined;

      const stop = async (): Promise<void> => {
        finished = true;
        batch = [];
        await batches.return(undefined);
      };
      const take = (): IteratorResult<DataRecord> => {
        stats.records++;
        return { done: false, value: batch[index++] as DataRecord };
      };
      const pull = async (): Promise<IteratorResult<DataRecord>> => {
        while (index >= batch.length) {
          const result = await batches.next();
          if (result.done) {
            finished = true;
            return { done: true, value: undefined };
          }
          batch = result.value;
          index = 0;
        }
        if (signal?.aborted) {
          await stop();
          throw signal.reason;
        }
        return take();
      };
      const next = (): Promise<IteratorResult<DataRecord>> => {
        // Calls made while a batch loads wait for it, so records keep their order.
        if (inFlight) return inFlight.then(next, next);
        if (finished) return Promise.resolve({ done: true, value: undefined });
        if (index < batch.length && !signal?.aborted) return Promise.resolve(take());
        inFlight = pull().finally(() => {
          inFlight = undefined;
        });
        return inFlight;
      };
      return {
        next,
        return: async () => {
          await stop();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/**
 * The onError policy as one function: throws the error with `onError: 'fail'`, otherwise
 * counts it, keeps the first few and tells `onSkip`.
 */
export function createErrorHandler(
  options: Pick<ReadOptions, 'onError' | 'onSkip'>,
  stats: ReadStats,
): (error: DataError) => void {
  const { onError = 'fail', onSkip } = options;
  if (onError !== 'fail' && onError !== 'skip') {
    throw new DataError(
      'INVALID_ARGUMENT',
      `onError must be 'fail' or 'skip', got ${JSON.stringify(onError)}.`,
    );
  }
  return (error) => {
    if (onError === 'fail') throw error;
    recordSkip(stats, error, onSkip);
  };
}

/**
 * The record conformed to `schema` (as is without one). A record that does not fit goes to
 * `handleError` (which throws with `onError: 'fail'`) and gives undefined. Callers reuse one
 * `where` object and set its line, so the per-record path allocates nothing.
 */
export function conformOrSkip(
  record: DataRecord,
  schema: Schema | undefined,
  where: { file: string; line: number },
  handleError: (error: DataError) => void,
): DataRecord | undefined {
  if (schema === undefined) return record;
  try {
    return conformRecord(record, schema, where);
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    handleError(error);
    return undefined;
  }
}

/**
 * Opens a file for random-access reads (the binary formats seek to their footers) and returns
 * its size; a folder or an OS error becomes an IO_ERROR, and the handle is closed on failure.
 */
export async function openForRead(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw toIoError(error, path, 'read');
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    return { handle, size: stat.size };
  } catch (error) {
    await handle.close();
    throw toIoError(error, path, 'read');
  }
}

/** Rejects a schema that names a column the file lacks, or lacks a column the file has. */
export function checkColumns(columns: string[], schema: Schema, path: string): void {
  const present = new Set(columns);
  for (const field of schema.fields) {
    if (!present.has(field.name)) {
      throw new DataError(
        'SCHEMA_MISMATCH',
        `the schema names field "${field.name}" but the file has no such column (columns: ${columns.join(', ')}). ` +
          'Fix the schema or read the file without one.',
        { file: path, field: field.name },
      );
    }
  }
  const known = new Set(schema.fields.map((f) => f.name));
  for (const column of columns) {
    if (!known.has(column)) {
      throw new DataError(
        'SCHEMA_MISMATCH',
        `the file has column "${column}" which the schema lacks. Add it to the schema or drop the column.`,
        { file: path, field: column },
      );
    }
  }
}

/** int64 values come back as numbers when exact, as bigint beyond 2^53. */
export function toSafeInteger(value: bigint): number | bigint {
  return value >= Number.MIN_SAFE_INTEGER && value <= Number.MAX_SAFE_INTEGER
    ? Number(value)
    : value;
}

/** Whether an error comes from the OS (it carries an errno code and the failed syscall). */
export function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** Turns an OS error (ENOENT, EACCES, …) into an IO_ERROR that names the path and a fix. */
export function toIoError(error: unknown, path: string, action: 'read' | 'write'): DataError {
  if (error instanceof DataError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  let problem: string;
  if (code === 'ENOENT') {
    problem =
      action === 'read'
        ? 'file not found. Check the path (relative paths start from the current folder).'
        : 'cannot write: the folder does not exist. Create it first.';
  } else if (code === 'EISDIR') {
    problem = 'is a folder, not a file. Pass the path of a file.';
  } else if (code === 'EACCES' || code === 'EPERM') {
    problem = `permission denied while trying to ${action} the file. Check its permissions.`;
  } else {
    problem = `cannot ${action} the file: ${error instanceof Error ? error.message : String(error)}.`;
  }
  return new DataError('IO_ERROR', problem, { file: path, cause: error });
}

export interface ReadChunksOptions {
  /** Bytes per chunk. @default 1 MiB */
  highWaterMark?: number;
  /** Stops reading; the generator then throws `signal.reason`. */
  signal?: AbortSignal | undefined;
}

/**
 * The bytes of a file, chunk by chunk, in bounded memory. The file is closed before the
 * generator finishes — also when the consumer stops early — so no handle outlives a loop.
 */
export async function* readChunks(
  path: string,
  options: ReadChunksOptions = {},
): AsyncGenerator<Buffer> {
  const { highWaterMark = DEFAULT_HIGH_WATER_MARK, signal } = options;
  signal?.throwIfAborted();
  const stream = createReadStream(path, { highWaterMark, ...(signal ? { signal } : {}) });
  try {
    for await (const chunk of stream) yield chunk as Buffer;
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw toIoError(error, path, 'read');
  } finally {
    if (!stream.closed) {
      await new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.destroy();
      });
    }
  }
}

/**
 * Writes strings to a file with backpressure, batching small pieces so a million short lines
 * do not become a million write calls. Returns the number of bytes written.
 */
export async function writeTextFile(path: string, pieces: AsyncIterable<string>): Promise<number> {
  const stream = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  // Keeps an unhandled rejection from firing when the error arrives while nothing awaits `failed`.
  failed.catch(() => undefined);
  const flushAt = 1 << 16;
  let batch = '';
  const flush = async (): Promise<void> => {
    const ok = stream.write(batch);
    batch = '';
    if (!ok) {
      await Promise.race([
        new Promise<void>((resolve) => stream.once('drain', () => resolve())),
        failed,
      ]);
    }
  };
  try {
    for await (const piece of pieces) {
      batch += piece;
      if (batch.length >= flushAt) await flush();
    }
    if (batch.length > 0) await flush();
    await Promise.race([new Promise<void>((resolve) => stream.end(() => resolve())), failed]);
  } catch (error) {
    stream.destroy();
    await new Promise<void>((resolve) =>
      stream.closed ? resolve() : stream.once('close', () => resolve()),
    );
    throw error;
  }
  return stream.bytesWritten;
}

/**
 * `writeTextFile` into a temporary file renamed over `path` (see `writeFileAtomic`), so a failure
 * leaves any existing file untouched; OS errors become IO_ERROR. Returns the bytes written.
 */
export async function writeTextFileAtomic(
  path: string,
  pieces: AsyncIterable<string>,
): Promise<number> {
  let bytes = 0;
  try {
    await writeFileAtomic(path, async (tempPath) => {
      bytes = await writeTextFile(tempPath, pieces);
    });
  } catch (error) {
    throw isSystemError(error) ? toIoError(error, path, 'write') : error;
  }
  return bytes;
}

/** Iterates sync and async record sources alike. */
export async function* toAsync<T>(source: AsyncIterable<T> | Iterable<T>): AsyncGenerator<T> {
  yield* source;
}

/** Rejects values that are not plain records, so a writer fails early with a useful message. */
export function checkRecord(record: unknown, index: number, path: string): DataRecord {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `record ${index} is ${describeJson(record)}, not an object. Pass objects such as { text: "…" }.`,
      { file: path, line: index },
    );
  }
  return record as DataRecord;
}

/** Names a parsed JSON value's kind for messages ("an array", "a number", "null"). */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  const type = typeof value;
  return type === 'object' ? 'an object' : `a ${type}`;
}

/**
 * JSON text for a value: Dates become ISO strings (JSON's own rule) and BigInts become numbers
 * when they fit exactly, else strings. The replacer only runs when plain JSON.stringify fails,
 * because a replacer makes stringify several times slower.
 */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v !== 'bigint') return v;
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : v.toString();
    });
  }
}
