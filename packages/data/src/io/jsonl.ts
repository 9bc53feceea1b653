// JSON Lines: a streaming reader (bounded memory, exact line numbers in errors) and an atomic
// writer. One JSON object per line; blank lines are allowed and skipped.
import { DataError } from '../errors.js';
import { conformRecord } from '../schema.js';
import type {
  DataRecord,
  FileFormat,
  ReadOptions,
  ReadStats,
  WriteOptions,
  WriteResult,
} from '../types.js';
import {
  checkRecord,
  conformOrSkip,
  createBatchedRecordStream,
  createErrorHandler,
  DEFAULT_HIGH_WATER_MARK,
  describeJson,
  MAX_RECORD_BYTES,
  readChunks,
  stringifyJson,
  toAsync,
  writeTextFileAtomic,
} from './utils.js';

export interface JsonlFormatOptions {
  /** Bytes read from the file per chunk (small values are useful in tests). @default 1048576 */
  highWaterMark?: number;
  /** Longest line accepted, in bytes; a longer one is a PARSE_ERROR. @default 268435456 */
  maxLineBytes?: number;
}

const NEWLINE = 0x0a;

export function createJsonlFormat(options: JsonlFormatOptions = {}): FileFormat {
  const { highWaterMark = DEFAULT_HIGH_WATER_MARK, maxLineBytes = MAX_RECORD_BYTES } = options;
  return {
    name: 'jsonl',
    extensions: ['.jsonl', '.ndjson'],
    read: (path, readOptions = {}) =>
      createBatchedRecordStream(
        (stats) => readJsonl(path, readOptions, { highWaterMark, maxLineBytes }, stats),
        readOptions.signal,
      ),
    write: (path, records, writeOptions = {}) => writeJsonl(path, records, writeOptions),
  };
}

/**
 * Splits chunks on '\n' bytes and decodes only whole lines, so a multi-byte character is never
 * cut in two ('\n' cannot occur inside a UTF-8 sequence). The lines between the first and last
 * newline of a chunk are decoded in one call, which is much faster than one call per line.
 * Yields one batch of records per chunk, so memory stays bounded by the chunk size.
 */
async function* readJsonl(
  path: string,
  options: ReadOptions,
  { highWaterMark, maxLineBytes }: Required<JsonlFormatOptions>,
  stats: ReadStats,
): AsyncGenerator<DataRecord[]> {
  const { schema, signal } = options;
  const handleError = createErrorHandler(options, stats);
  const where = { file: path, line: 0 };

  const parseLine = (text: string, line: number): DataRecord | undefined => {
    // A BOM is only meaningful at the very start of the file.
    const body = line === 1 && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    // JSON.parse itself accepts the '\r' of CRLF as whitespace; only blank lines need a check.
    if (body.length === 0 || (body.charCodeAt(0) !== 0x7b && body.trim() === '')) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      handleError(
        new DataError(
          'PARSE_ERROR',
          `invalid JSON: ${reason}. Fix the line, or read with onError: 'skip' to skip bad lines.`,
          { file: path, line, cause: error },
        ),
      );
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      handleError(
        new DataError(
          'PARSE_ERROR',
          `expected an object, got ${describeJson(value)}. Each line must hold one JSON object such as {"text": "…"}.`,
          { file: path, line },
        ),
      );
      return undefined;
    }
    where.line = line;
    return conformOrSkip(value as DataRecord, schema, where, handleError);
  };

  let line = 0;
  // Bytes of a line that started in an earlier chunk and has not ended yet.
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let batch: DataRecord[] = [];
  const add = (text: string): void => {
    const record = parseLine(text, ++line);
    if (record !== undefined) batch.push(record);
  };
  for await (const chunk of readChunks(path, { highWaterMark, signal })) {
    // With onError 'fail' a bad line throws; the records before it are still handed out first.
    let failure: { error: unknown } | undefined;
    try {
      const firstNewline = chunk.indexOf(NEWLINE);
      if (firstNewline === -1) {
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes > maxLineBytes) {
          throw new DataError(
            'PARSE_ERROR',
            `line is longer than ${maxLineBytes} bytes without a line break. JSONL needs one object per line; a pretty-printed JSON file or a JSON array must be converted first.`,
            { file: path, line: line + 1 },
          );
        }
        continue;
      }
      let start = 0;
      if (pending.length > 0) {
        pending.push(chunk.subarray(0, firstNewline));
        const text = Buffer.concat(pending).toString('utf8');
        pending = [];
        pendingBytes = 0;
        add(text);
        start = firstNewline + 1;
      }
      const lastNewline = chunk.lastIndexOf(NEWLINE);
      if (lastNewline >= start) {
        for (const text of chunk.toString('utf8', start, lastNewline).split('\n')) add(text);
      }
      if (lastNewline + 1 < chunk.length) {
        pending.push(chunk.subarray(lastNewline + 1));
        pendingBytes = chunk.length - lastNewline - 1;
      }
    } catch (error) {
      failure = { error };
    }
    if (batch.length > 0) {
      yield batch;
      batch = [];
    }
    if (failure) throw failure.error;
  }
  // The last line may lack its newline.
  if (pending.length > 0) add(Buffer.concat(pending).toString('utf8'));
  if (batch.length > 0) yield batch;
}

/**
 * Writes one JSON object per line, atomically. Dates become ISO strings, BigInts numbers when
 * exact else strings; NaN and ±Infinity become null, as JSON has no such numbers. With a
 * schema, each record is checked (and converted) against it first.
 */
async function writeJsonl(
  path: string,
  records: AsyncIterable<DataRecord> | Iterable<DataRecord>,
  options: WriteOptions,
): Promise<WriteResult> {
  const { schema } = options;
  let count = 0;
  async function* lines(): AsyncGenerator<string> {
    for await (const value of toAsync(records)) {
      count++;
      let record = checkRecord(value, count, path);
      if (schema !== undefined) record = conformRecord(record, schema, { file: path, line: count });
      let text: string;
      try {
        text = stringifyJson(record);
      } catch (error) {
        throw new DataError(
          'INVALID_ARGUMENT',
          `record ${count} cannot be written as JSON: ${error instanceof Error ? error.message : String(error)}. Remove circular references.`,
          { file: path, line: count, cause: error },
        );
      }
      yield `${text}\n`;
    }
  }
  const bytes = await writeTextFileAtomic(path, lines());
  return { path, records: count, bytes };
}
