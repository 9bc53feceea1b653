// CSV (RFC 4180) and TSV: a streaming byte-level parser with exact line numbers in errors, an
// atomic writer, and column type inference for files read without a schema.
import { DataError } from '../errors.js';
import { conformRecord } from '../schema.js';
import type {
  DataRecord,
  Field,
  FieldType,
  FileFormat,
  ReadOptions,
  ReadStats,
  Schema,
  WriteOptions,
  WriteResult,
} from '../types.js';
import {
  checkRecord,
  conformOrSkip,
  createBatchedRecordStream,
  createErrorHandler,
  DEFAULT_HIGH_WATER_MARK,
  hasBom,
  MAX_RECORD_BYTES,
  readChunks,
  stringifyJson,
  toAsync,
  writeTextFileAtomic,
} from './utils.js';

export interface CsvFormatOptions {
  /** Field delimiter used when a read or write call does not name one. @default ',' */
  delimiter?: string;
  /** Bytes read from the file per chunk (small values are useful in tests). @default 1048576 */
  highWaterMark?: number;
  /** Longest row accepted, in bytes; a longer one is a PARSE_ERROR. @default 268435456 */
  maxRowBytes?: number;
}

export function createCsvFormat(options: CsvFormatOptions = {}): FileFormat {
  const {
    delimiter = ',',
    highWaterMark = DEFAULT_HIGH_WATER_MARK,
    maxRowBytes = MAX_RECORD_BYTES,
  } = options;
  checkDelimiter(delimiter);
  return {
    name: 'csv',
    extensions: ['.csv', '.tsv'],
    read: (path, readOptions = {}) =>
      createBatchedRecordStream(
        (stats) =>
          readCsv(
            path,
            { ...readOptions, delimiter: readOptions.delimiter ?? delimiter },
            { highWaterMark, maxRowBytes },
            stats,
          ),
        readOptions.signal,
      ),
    write: (path, records, writeOptions = {}) =>
      writeCsv(path, records, { ...writeOptions, delimiter: writeOptions.delimiter ?? delimiter }),
  };
}

function checkDelimiter(delimiter: string): number {
  const code = delimiter.charCodeAt(0);
  if (
    delimiter.length !== 1 ||
    code > 0x7f ||
    delimiter === '"' ||
    delimiter === '\n' ||
    delimiter === '\r'
  ) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `delimiter must be one ASCII character other than a quote or a line break, got ${JSON.stringify(delimiter)}. Use ',', ';', '\\t' or '|'.`,
    );
  }
  return code;
}

// ---------------------------------------------------------------------------------------------
// Parsing

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;

// Parser states (plain numbers keep the hot loop's comparisons cheap).
/** At the start of a field. */
const FIELD_START = 0;
/** Inside a field that did not start with a quote. */
const UNQUOTED = 1;
/** Inside a quoted field. */
const QUOTED = 2;
/** Just after a quote inside a quoted field: the closing quote, or the first of `""`. */
const QUOTE_IN_QUOTED = 3;
/** After a closing quote and a '\r': only '\n' may follow. */
const CLOSED_CR = 4;
/** After an error with onError 'skip': ignore the rest of the physical line. */
const SKIP_LINE = 5;
type State = 0 | 1 | 2 | 3 | 4 | 5;

/** Receives what the parser finds, in file order. Either may throw to stop parsing. */
interface CsvSink {
  /** A row's fields and the physical line it started on. */
  row(fields: string[], line: number): void;
  error(error: DataError): void;
}

/**
 * An incremental RFC 4180 parser over bytes. The delimiter, quote and line breaks are ASCII and
 * never occur inside a multi-byte UTF-8 sequence, so bytes can be scanned directly. Fields are
 * kept as byte ranges until their row ends; then an ASCII row is decoded in one call and cut
 * into fields (native calls per field would dominate the run time), and any other row is
 * decoded field by field. Either way a kept value never pins a whole chunk in memory.
 * An unfinished row is carried to the next chunk without rescanning it.
 */
class CsvParser {
  private buf = Buffer.alloc(0);
  private len = 0;
  /** Where scanning resumes. */
  private pos = 0;
  private state: State = FIELD_START;
  /**
   * Per field of the current row: start and end offsets relative to `rowStart` (offsets stay
   * valid when the buffer is compacted). A start stored as `~start` marks a field with `""`.
   */
  private bounds: number[] = [];
  /** Offsets (relative to `rowStart`) of the second quote of each `""` in the row, in order. */
  private escapes: number[] = [];
  /** All bytes of the current row OR-ed together: bit 7 clear means the row is ASCII. */
  private bits = 0;
  private fieldStart = 0;
  private fieldHasEscapes = false;
  private rowStart = 0;
  /** Physical line the current row started on, and the line `pos` is on. */
  private rowLine = 1;
  private line = 1;
  private quoteLine = 1;
  private started = false;

  constructor(
    private readonly delimiter: number,
    private readonly file: string,
    private readonly sink: CsvSink,
    private readonly maxRowBytes: number,
  ) {}

  /** Parses one more chunk, passing the rows (and errors) completed in it to the sink. */
  push(chunk: Buffer): void {
    this.append(chunk);
    if (!this.started && this.len >= 3) {
      this.started = true;
      if (hasBom(this.buf)) this.pos = this.rowStart = this.fieldStart = 3;
    }
    if (this.started) this.scan();
    this.compact();
    if (this.len > this.maxRowBytes) {
      // Only the unfinished row is left in the buffer.
      const problem =
        this.state === QUOTED
          ? `the quoted field opened on line ${this.quoteLine} is still open after ${this.maxRowBytes} bytes: a closing quote is probably missing`
          : `the row is longer than ${this.maxRowBytes} bytes without a line break`;
      throw new DataError('PARSE_ERROR', `${problem}. Check the quoting of this row.`, {
        file: this.file,
        line: this.rowLine,
      });
    }
  }

  /** Finishes the last row at the end of the file. */
  end(): void {
    if (!this.started) {
      // Fewer than 3 bytes in all: too short for a BOM.
      this.started = true;
      this.scan();
    }
    const { len } = this;
    switch (this.state) {
      case FIELD_START:
        // A row such as `a,b,` ends with an empty field; after a final newline nothing is left.
        if (this.bounds.length > 0) {
          this.addField(len, len);
          this.endRow(len);
        }
        break;
      case UNQUOTED:
        if (this.isBlankRow(len)) break;
        this.addField(this.fieldStart, this.buf[len - 1] === CR ? len - 1 : len);
        this.endRow(len);
        break;
      case QUOTED:
        this.sink.error(
          this.error(
            `unterminated quote: the quoted field opened on line ${this.quoteLine} never closes before the end of the file. Add the closing quote (a quote inside a field is written as "").`,
          ),
        );
        break;
      case QUOTE_IN_QUOTED:
        this.addQuotedField(len - 1);
        this.endRow(len);
        break;
      case CLOSED_CR:
        this.endRow(len);
        break;
      case SKIP_LINE:
        break;
    }
    this.buf = Buffer.alloc(0);
    this.len = 0;
  }

  private append(chunk: Buffer): void {
    const needed = this.len + chunk.length;
    if (needed > this.buf.length) {
      // Doubling keeps a row that spans many chunks linear in its size.
      const grown = Buffer.allocUnsafe(Math.max(needed, this.buf.length * 2));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.len);
    this.len = needed;
  }

  /** Drops the bytes of finished rows so the buffer holds only the unfinished one. */
  private compact(): void {
    const shift = this.rowStart;
    if (shift === 0) return;
    this.buf.copyWithin(0, shift, this.len);
    this.len -= shift;
    this.pos -= shift;
    this.fieldStart -= shift;
    this.rowStart = 0;
  }

  private scan(): void {
    const { buf, len, delimiter } = this;
    let i = this.pos;
    let state: State = this.state;
    let bits = this.bits;
    while (i < len) {
      switch (state) {
        case FIELD_START: {
          const c = buf[i];
          if (c === QUOTE) {
            state = QUOTED;
            this.fieldStart = i + 1;
            this.fieldHasEscapes = false;
            this.quoteLine = this.line;
          } else if (c === delimiter) {
            this.addField(i, i);
          } else if (c === LF) {
            if (this.isBlankRow(i)) this.skipRow(i);
            else {
              this.addField(i, i);
              this.bits = bits;
              this.endRowAt(i);
            }
            bits = 0;
          } else {
            state = UNQUOTED;
            this.fieldStart = i;
            continue;
          }
          i++;
          break;
        }
        case UNQUOTED: {
          // The hot loop: most bytes belong to unquoted fields.
          let c = buf[i] as number;
          while (c !== delimiter && c !== LF && c !== QUOTE) {
            bits |= c;
            if (++i === len) break;
            c = buf[i] as number;
          }
          if (i === len) break;
          if (c === delimiter) {
            this.addField(this.fieldStart, i);
            state = FIELD_START;
          } else if (c === LF) {
            if (this.isBlankRow(i)) this.skipRow(i);
            else {
              this.addField(this.fieldStart, buf[i - 1] === CR ? i - 1 : i);
              this.bits = bits;
              this.endRowAt(i);
            }
            bits = 0;
            state = FIELD_START;
          } else {
            this.sink.error(
              this.error(
                `stray quote in unquoted field ${this.bounds.length / 2 + 1}. Quote the whole field and write a quote inside it as "" (e.g. "say ""hi""").`,
              ),
            );
            state = SKIP_LINE;
          }
          i++;
          break;
        }
        case QUOTED: {
          let c = buf[i] as number;
          while (c !== QUOTE) {
            bits |= c;
            if (c === LF) this.line++;
            if (++i === len) break;
            c = buf[i] as number;
          }
          if (i === len) break;
          state = QUOTE_IN_QUOTED;
          i++;
          break;
        }
        case QUOTE_IN_QUOTED: {
          const c = buf[i];
          if (c === QUOTE) {
            // `""` stands for one quote: the second one is dropped when the row is decoded.
            this.escapes.push(i - this.rowStart);
            this.fieldHasEscapes = true;
            state = QUOTED;
          } else if (c === delimiter) {
            this.addQuotedField(i - 1);
            state = FIELD_START;
          } else if (c === LF) {
            this.addQuotedField(i - 1);
            this.bits = bits;
            this.endRowAt(i);
            bits = 0;
            state = FIELD_START;
          } else if (c === CR) {
            this.addQuotedField(i - 1);
            state = CLOSED_CR;
          } else {
            this.sink.error(this.afterQuoteError(c));
            state = SKIP_LINE;
          }
          i++;
          break;
        }
        case CLOSED_CR: {
          const c = buf[i];
          if (c === LF) {
            this.bits = bits;
            this.endRowAt(i);
            bits = 0;
            state = FIELD_START;
          } else {
            this.sink.error(this.afterQuoteError(c));
            state = SKIP_LINE;
          }
          i++;
          break;
        }
        case SKIP_LINE: {
          const next = buf.indexOf(LF, i);
          if (next === -1 || next >= len) {
            i = len;
            break;
          }
          this.skipRow(next);
          bits = 0;
          state = FIELD_START;
          i = next + 1;
          break;
        }
      }
    }
    this.pos = i;
    this.state = state;
    this.bits = bits;
  }

  private addField(start: number, end: number): void {
    this.bounds.push(start - this.rowStart, end - this.rowStart);
  }

  /** Ends a quoted field whose closing quote is at `quote`. */
  private addQuotedField(quote: number): void {
    const start = this.fieldStart - this.rowStart;
    this.bounds.push(this.fieldHasEscapes ? ~start : start, quote - this.rowStart);
  }

  /** The row ending at `lf` is an empty physical line (only '\n' or '\r\n'). */
  private isBlankRow(lf: number): boolean {
    return (
      this.bounds.length === 0 &&
      (lf === this.rowStart || (lf === this.rowStart + 1 && this.buf[this.rowStart] === CR))
    );
  }

  /** Moves past a line that yields no row (blank, or the rest of a skipped one). */
  private skipRow(lf: number): void {
    this.resetRow();
    this.line++;
    this.rowLine = this.line;
    this.rowStart = lf + 1;
  }

  private endRowAt(lf: number): void {
    this.endRow(lf);
    this.line++;
    this.rowLine = this.line;
    this.rowStart = lf + 1;
  }

  /** Hands the row to the sink; `end` is where its bytes end (its line break or end of file). */
  private endRow(end: number): void {
    const { bounds, escapes, buf, rowStart } = this;
    const count = bounds.length / 2;
    const fields = new Array<string>(count);
    let e = 0;
    if ((this.bits & 0x80) === 0 && count > 1) {
      // ASCII: one decode for the row; byte offsets are character offsets.
      const text = buf.toString('latin1', rowStart, end);
      for (let k = 0; k < count; k++) {
        const start = bounds[2 * k] as number;
        const stop = bounds[2 * k + 1] as number;
        if (start >= 0) {
          fields[k] = text.slice(start, stop);
          continue;
        }
        let value = '';
        let from = ~start;
        for (; e < escapes.length && (escapes[e] as number) < stop; e++) {
          value += text.slice(from, escapes[e]);
          from = (escapes[e] as number) + 1;
        }
        fields[k] = value + text.slice(from, stop);
      }
    } else {
      for (let k = 0; k < count; k++) {
        const start = bounds[2 * k] as number;
        const stop = bounds[2 * k + 1] as number;
        if (start >= 0) {
          fields[k] = this.decode(rowStart + start, rowStart + stop);
          continue;
        }
        fields[k] = this.decode(rowStart + ~start, rowStart + stop).replaceAll('""', '"');
      }
    }
    this.resetRow();
    this.sink.row(fields, this.rowLine);
  }

  private resetRow(): void {
    this.bounds.length = 0;
    this.escapes.length = 0;
    this.bits = 0;
  }

  private decode(start: number, end: number): string {
    return start === end ? '' : this.buf.toString('utf8', start, end);
  }

  private afterQuoteError(c: number | undefined): DataError {
    const shown = c === undefined ? '' : ` ${JSON.stringify(String.fromCharCode(c))}`;
    return this.error(
      `unexpected character${shown} after the closing quote of field ${this.bounds.length / 2 + 1}. A field that starts with a quote must end with one; write a quote inside it as "".`,
    );
  }

  private error(problem: string): DataError {
    this.resetRow();
    return new DataError('PARSE_ERROR', problem, { file: this.file, line: this.rowLine });
  }
}

/** Checks column names: each must be non-empty and unique. */
function checkHeader(names: string[], file: string, line?: number): void {
  const seen = new Map<string, number>();
  names.forEach((name, index) => {
    if (name.trim() === '') {
      throw new DataError(
        'PARSE_ERROR',
        `column ${index + 1} has an empty header name. Give every column a name, or pass header: false with columns.`,
        { file, line },
      );
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new DataError(
        'PARSE_ERROR',
        `duplicate header name "${name}" (columns ${earlier + 1} and ${index + 1}). Rename one of them.`,
        { file, line, field: name },
      );
    }
    seen.set(name, index);
  });
}

async function* readCsv(
  path: string,
  options: ReadOptions,
  { highWaterMark, maxRowBytes }: { highWaterMark: number; maxRowBytes: number },
  stats: ReadStats,
): AsyncGenerator<DataRecord[]> {
  const { delimiter = ',', header = true, columns, schema, signal } = options;
  const handleError = createErrorHandler(options, stats);
  let names: string[] | undefined = header
    ? undefined
    : (columns ?? schema?.fields.map((f) => f.name));
  if (names === undefined && !header) {
    throw new DataError(
      'INVALID_ARGUMENT',
      'header: false needs column names. Pass columns: [...] or a schema.',
      { file: path },
    );
  }
  if (names !== undefined) checkHeader(names, path);
  const where = { file: path, line: 0 };
  // Records of the current chunk; the sink throws on an error with onError 'fail'.
  let batch: DataRecord[] = [];

  const takeHeader = (fields: string[], line: number): string[] => {
    checkHeader(fields, path, line);
    if (columns === undefined) return fields;
    // `columns` renames the header row's columns; the counts must agree.
    if (columns.length !== fields.length) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `columns names ${columns.length} columns but the header row has ${fields.length}. Pass one name per column.`,
        { file: path, line },
      );
    }
    checkHeader(columns, path);
    return columns;
  };

  const parser = new CsvParser(
    checkDelimiter(delimiter),
    path,
    {
      error: handleError,
      row(fields, line) {
        if (names === undefined) {
          names = takeHeader(fields, line);
          return;
        }
        if (fields.length !== names.length) {
          handleError(
            new DataError(
              'PARSE_ERROR',
              `expected ${names.length} fields (${names.join(', ')}), got ${fields.length}. Quote fields that contain "${delimiter}" or line breaks.`,
              { file: path, line },
            ),
          );
          return;
        }
        const record: DataRecord = {};
        for (let k = 0; k < fields.length; k++) record[names[k] as string] = fields[k];
        where.line = line;
        const conformed = conformOrSkip(record, schema, where, handleError);
        if (conformed !== undefined) batch.push(conformed);
      },
    },
    maxRowBytes,
  );

  // With onError 'fail' a bad row throws; the records before it are still handed out first.
  const parse = (chunk: Buffer | undefined) => {
    try {
      if (chunk === undefined) parser.end();
      else parser.push(chunk);
      return undefined;
    } catch (error) {
      return { error };
    }
  };
  for await (const chunk of readChunks(path, { highWaterMark, signal })) {
    const failure = parse(chunk);
    if (batch.length > 0) yield batch;
    batch = [];
    if (failure) throw failure.error;
  }
  const failure = parse(undefined);
  if (batch.length > 0) yield batch;
  if (failure) throw failure.error;
}

// ---------------------------------------------------------------------------------------------
// Schema inference

const INTEGER = /^[+-]?(0|[1-9]\d*)$/;
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Numbers with leading zeros (zip codes, ids such as 007) stay strings so no digit is lost. */
const LEADING_ZERO = /^[+-]?0\d/;

function csvValueType(value: string): FieldType {
  const t = value.trim();
  if (INTEGER.test(t)) return 'integer';
  if (FLOAT.test(t) && !LEADING_ZERO.test(t)) return 'float';
  const lower = t.toLowerCase();
  if (lower === 'true' || lower === 'false') return 'boolean';
  return 'string';
}

/**
 * Infers column types of CSV rows (string values) from every value: all integer-like →
 * integer, numeric → float, true/false → boolean, else string. Empty values count as null and
 * make the column nullable; a column with no values at all is a nullable string.
 */
export function inferCsvSchema(rows: Iterable<DataRecord>): Schema {
  const types = new Map<string, FieldType | undefined>();
  const nullable = new Map<string, boolean>();
  let count = 0;
  const seen = new Map<string, number>();
  for (const row of rows) {
    count++;
    for (const [name, value] of Object.entries(row)) {
      seen.set(name, (seen.get(name) ?? 0) + 1);
      const current = types.get(name);
      if (!types.has(name)) types.set(name, undefined);
      if (value === null || value === undefined || value === '') {
        nullable.set(name, true);
        continue;
      }
      if (current === 'string') continue;
      const type = typeof value === 'string' ? csvValueType(value) : 'string';
      types.set(name, widenCsv(current, type));
    }
  }
  const fields: Field[] = [];
  for (const [name, type] of types) {
    fields.push({
      name,
      type: type ?? 'string',
      nullable: (nullable.get(name) ?? false) || (seen.get(name) ?? 0) < count,
    });
  }
  return { fields };
}

function widenCsv(a: FieldType | undefined, b: FieldType): FieldType {
  if (a === undefined || a === b) return b;
  if ((a === 'integer' && b === 'float') || (a === 'float' && b === 'integer')) return 'float';
  return 'string';
}

// ---------------------------------------------------------------------------------------------
// Writing

/**
 * Writes a header and one row per record, atomically. Columns come from the schema, else from
 * the first record's keys; a later record with another key is an error (it would be lost).
 */
async function writeCsv(
  path: string,
  records: AsyncIterable<DataRecord> | Iterable<DataRecord>,
  options: WriteOptions,
): Promise<WriteResult> {
  const { delimiter = ',', schema } = options;
  checkDelimiter(delimiter);
  const needsQuotes = new RegExp(`["\\r\\n${delimiter.replace(/[\\\]^-]/, '\\$&')}]`);
  const quote = (text: string): string =>
    needsQuotes.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  let count = 0;

  async function* lines(): AsyncGenerator<string> {
    let names = schema?.fields.map((f) => f.name);
    let known: Set<string> | undefined;
    if (names !== undefined) {
      known = new Set(names);
      yield `${names.map(quote).join(delimiter)}\n`;
    }
    for await (const value of toAsync(records)) {
      count++;
      let record = checkRecord(value, count, path);
      if (schema !== undefined) record = conformRecord(record, schema, { file: path, line: count });
      if (names === undefined || known === undefined) {
        names = Object.keys(record);
        if (names.length === 0) {
          throw new DataError(
            'INVALID_ARGUMENT',
            'the first record has no fields, so there is no header to write. Pass a schema or records with fields.',
            { file: path, line: count },
          );
        }
        known = new Set(names);
        yield `${names.map(quote).join(delimiter)}\n`;
      }
      for (const key in record) {
        if (!known.has(key)) {
          throw new DataError(
            'SCHEMA_MISMATCH',
            `record ${count} has field "${key}", which is not a column (${names.join(', ')}). Pass a schema that lists every column, or give the first record every key.`,
            { file: path, line: count, field: key },
          );
        }
      }
      let row = '';
      for (let k = 0; k < names.length; k++) {
        if (k > 0) row += delimiter;
        row += quote(formatCsvValue(record[names[k] as string]));
      }
      // A single empty column would write an empty line, which reads back as no row at all.
      yield row === '' ? '""\n' : `${row}\n`;
    }
  }

  const bytes = await writeTextFileAtomic(path, lines());
  return { path, records: count, bytes };
}

function formatCsvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return String(value);
  }
  if (value instanceof Date) return value.toISOString();
  return stringifyJson(value);
}
