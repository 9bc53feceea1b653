// The one error class of @ft/data: a typed code, the place (file, line, field) and a fix.

export type DataErrorCode =
  /** A line, row or value could not be parsed (malformed JSON, bad CSV quoting, …). */
  | 'PARSE_ERROR'
  /** A record does not match the schema it was read or written with. */
  | 'SCHEMA_MISMATCH'
  /** A binary file (Parquet, Arrow) is truncated or corrupt. */
  | 'CORRUPT_FILE'
  /** The file format could not be told from the path, or is not supported. */
  | 'UNSUPPORTED_FORMAT'
  /** Reading or writing a file failed at the OS level. */
  | 'IO_ERROR'
  /** A function was called with options or data it cannot work with. */
  | 'INVALID_ARGUMENT'
  /** A tag sequence breaks its BIO scheme (e.g. `I-` without `B-` in IOB2). */
  | 'INVALID_TAGS'
  /** A conversion between formats would lose information. */
  | 'LOSSY_CONVERSION'
  /** Another process holds a lock. */
  | 'LOCKED';

export interface DataErrorDetails {
  /** The file the problem is in. */
  file?: string;
  /** 1-based line (JSONL, CSV, CoNLL) or record number the problem is at. */
  line?: number;
  /** The field or column the problem is in. */
  field?: string;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Every error thrown by @ft/data. The message reads
 * `[@ft/data] <file>:<line> field "<field>": <problem>` followed by what to do.
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  readonly code: DataErrorCode;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;
  /** The problem alone, without the location prefix. */
  readonly problem: string;

  constructor(code: DataErrorCode, problem: string, details: DataErrorDetails = {}) {
    super(
      formatMessage(problem, details),
      details.cause === undefined ? undefined : { cause: details.cause },
    );
    this.code = code;
    this.file = details.file;
    this.line = details.line;
    this.field = details.field;
    this.problem = problem;
  }
}

function formatMessage(problem: string, { file, line, field }: DataErrorDetails): string {
  let where = '';
  if (file !== undefined) where += file;
  if (line !== undefined) where += where ? `:${line}` : `line ${line}`;
  if (field !== undefined) where += `${where ? ' ' : ''}field "${field}"`;
  return `[@ft/data] ${where ? `${where}: ` : ''}${problem}`;
}

export function isDataError(value: unknown): value is DataError {
  return value instanceof DataError;
}

/** Only this many skipped errors are kept, so a file full of bad lines cannot exhaust memory. */
const MAX_SKIPPED_ERRORS = 100;

/**
 * The bookkeeping of one skipped line, row or sentence under `onError: 'skip'`, shared by every
 * reader: counts it, keeps the first few errors and tells `onSkip`.
 */
export function recordSkip(
  stats: { skipped: number; skippedErrors: DataError[] },
  error: DataError,
  onSkip: ((error: DataError) => void) | undefined,
): void {
  stats.skipped++;
  if (stats.skippedErrors.length < MAX_SKIPPED_ERRORS) stats.skippedErrors.push(error);
  onSkip?.(error);
}
