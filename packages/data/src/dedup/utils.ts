// Shared by exact and near dedup: reading the key text of a record and normalising it.
import { DataError } from '../errors.js';
import { canonicalJson } from '../hash.js';
import type { DataRecord } from '../types.js';

/** What to compare records by: one field, several fields (joined), or a function. */
export type DedupKey = string | readonly string[] | ((record: DataRecord) => string);

export interface DedupNormalizeOptions {
  /** Unicode NFKC normalisation (full-width and compatibility forms fold together). @default true */
  nfkc?: boolean;
  /** Lower-case (locale-independent). @default true */
  lowercase?: boolean;
  /** Collapse runs of whitespace to one space and trim the ends. @default true */
  collapseWhitespace?: boolean;
  /** Remove Unicode punctuation (`\p{P}`, e.g. `.,!?` and Ethiopic `።`). @default false */
  stripPunctuation?: boolean;
}

/** `true` = default normalisation, `false` = compare raw text, or detailed options. */
export type DedupNormalizeSetting = boolean | DedupNormalizeOptions;

const PUNCTUATION = /\p{P}/gu;
const WHITESPACE = /\s+/gu;

/** Builds the normaliser once so the per-record work is only the string operations asked for. */
export function createDedupNormalizer(
  setting: DedupNormalizeSetting = true,
): (text: string) => string {
  if (setting === false) return (text) => text;
  const options = setting === true ? {} : setting;
  const {
    nfkc = true,
    lowercase = true,
    collapseWhitespace = true,
    stripPunctuation = false,
  } = options;
  return (text) => {
    let out = nfkc ? text.normalize('NFKC') : text;
    if (lowercase) out = out.toLowerCase();
    // Punctuation goes before whitespace collapsing so "a , b" and "a, b" end up equal.
    if (stripPunctuation) out = out.replace(PUNCTUATION, '');
    if (collapseWhitespace) out = out.replace(WHITESPACE, ' ').trim();
    return out;
  };
}

/** Separator between fields of a multi-field key; a control character no normaliser produces. */
const FIELD_SEPARATOR = '\u0001';

/**
 * Returns `(record, index) => key text` (normalised). Missing or null key fields are an error
 * naming the record, because silently treating them as "" would merge unrelated records.
 */
export function createKeyReader(
  key: DedupKey,
  normalize: DedupNormalizeSetting,
): (record: DataRecord, index: number) => string {
  const norm = createDedupNormalizer(normalize);
  if (typeof key === 'function') {
    return (record, index) => {
      const text = key(record);
      if (typeof text !== 'string') {
        throw new DataError(
          'INVALID_ARGUMENT',
          `the key function returned ${typeof text} for the record at index ${index}; it must return a string`,
        );
      }
      return norm(text);
    };
  }
  const fields = typeof key === 'string' ? [key] : [...key];
  if (fields.length === 0) {
    throw new DataError('INVALID_ARGUMENT', 'option "key" lists no fields; name at least one', {
      field: 'key',
    });
  }
  const read = (record: DataRecord, index: number, field: string): string => {
    const value = record[field];
    if (value === undefined || value === null) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `the record at index ${index} has no value for the dedup key; fill it, filter such records out first, or pass a key function`,
        { field },
      );
    }
    return norm(typeof value === 'string' ? value : canonicalJson(value));
  };
  if (fields.length === 1) {
    const field = fields[0] as string;
    return (record, index) => read(record, index, field);
  }
  return (record, index) => fields.map((field) => read(record, index, field)).join(FIELD_SEPARATOR);
}

/** Checks `records` is an array before any work, so a wrong call fails with a clear message. */
export function assertRecords(records: unknown, fn: string): asserts records is DataRecord[] {
  if (!Array.isArray(records)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `${fn} expects an array of records, got ${typeof records}`,
    );
  }
}
