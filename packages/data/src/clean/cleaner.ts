// Record cleaner: normalise → scrub PII → quality-filter the text fields of each record,
// keeping counts of what was dropped, replaced and changed.
import { DataError } from '../errors.js';
import type { DataRecord } from '../types.js';
import type { NormalizeTextOptions, ResolvedNormalizeTextOptions } from './normalize.js';
import { applyNormalize, resolveNormalizeOptions } from './normalize.js';
import type { PiiOptions, PiiType, ResolvedPiiOptions } from './pii.js';
import { applyPii, PII_TYPES, resolvePiiOptions } from './pii.js';
import type { QualityOptions, QualityReason, ResolvedQualityOptions } from './quality.js';
import { applyQuality, resolveQualityOptions } from './quality.js';

export interface CleanerOptions {
  /**
   * Fields to clean. A listed field that is missing or null is skipped; one holding a non-string
   * is an error. @default every field holding a string (other fields pass through)
   */
  fields?: readonly string[];
  /** Normalisation options, or false to skip normalisation. @default {} (NFKC, see NormalizeTextOptions) */
  normalize?: NormalizeTextOptions | false;
  /** PII options, or false to skip scrubbing. @default {} (all kinds) */
  pii?: PiiOptions | false;
  /** Quality options, or false to keep every record. @default {} (see QualityOptions) */
  quality?: QualityOptions | false;
}

export interface CleanReport {
  /** Records passed to `clean`. */
  recordsIn: number;
  /** Records returned (not dropped). */
  recordsOut: number;
  /**
   * Dropped records per failed check. A record fails when any of its fields fails; one that fails
   * several checks counts once under each, so the counts may add up to more than the records dropped.
   */
  dropped: Partial<Record<QualityReason, number>>;
  /** PII replacements per kind, in the records kept. */
  pii: Record<PiiType, number>;
  /** Field values changed by normalisation or PII scrubbing, in the records kept. */
  fieldsChanged: number;
}

export interface Cleaner {
  /** A cleaned copy of the record, or null when it fails the quality checks. */
  clean(record: DataRecord): DataRecord | null;
  /** A snapshot of the counts so far. */
  report(): CleanReport;
}

interface Steps {
  normalize: ResolvedNormalizeTextOptions | undefined;
  pii: ResolvedPiiOptions | undefined;
  quality: ResolvedQualityOptions | undefined;
}

/** Builds a cleaner; options are checked here, so a bad option fails before any record is read. */
export function createCleaner(options: CleanerOptions = {}): Cleaner {
  const { fields, normalize = {}, pii = {}, quality = {} } = options;
  if (
    fields !== undefined &&
    (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string'))
  ) {
    throw new DataError(
      'INVALID_ARGUMENT',
      'cleaner option "fields" must be an array of field names (strings).',
    );
  }
  const steps: Steps = {
    normalize: normalize === false ? undefined : resolveNormalizeOptions(normalize),
    pii: pii === false ? undefined : resolvePiiOptions(pii),
    quality: quality === false ? undefined : resolveQualityOptions(quality),
  };
  const piiCounts = Object.fromEntries(PII_TYPES.map((t) => [t, 0])) as Record<PiiType, number>;
  const dropped: Partial<Record<QualityReason, number>> = {};
  let recordsIn = 0;
  let recordsOut = 0;
  let fieldsChanged = 0;

  function clean(record: DataRecord): DataRecord | null {
    recordsIn++;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `record ${recordsIn} is ${Array.isArray(record) ? 'an array' : String(record)}; clean expects an object of fields.`,
        { line: recordsIn },
      );
    }
    const out: DataRecord = { ...record };
    const names = fields ?? Object.keys(record).filter((k) => typeof record[k] === 'string');
    const recordPii = Object.fromEntries(PII_TYPES.map((t) => [t, 0])) as Record<PiiType, number>;
    const reasons = new Set<QualityReason>();
    let changed = 0;
    for (const name of names) {
      const value = record[name];
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') {
        throw new DataError(
          'SCHEMA_MISMATCH',
          `field holds ${typeof value}, not text; list only string fields in "fields".`,
          { line: recordsIn, field: name },
        );
      }
      let text = steps.normalize ? applyNormalize(value, steps.normalize) : value;
      if (steps.pii) {
        const result = applyPii(text, steps.pii);
        text = result.text;
        for (const type of PII_TYPES) recordPii[type] += result.counts[type];
      }
      if (steps.quality) {
        for (const reason of applyQuality(text, steps.quality).reasons) reasons.add(reason);
      }
      if (text !== value) changed++;
      out[name] = text;
    }
    if (reasons.size > 0) {
      for (const reason of reasons) dropped[reason] = (dropped[reason] ?? 0) + 1;
      return null;
    }
    recordsOut++;
    fieldsChanged += changed;
    for (const type of PII_TYPES) piiCounts[type] += recordPii[type];
    return out;
  }

  function report(): CleanReport {
    return { recordsIn, recordsOut, dropped: { ...dropped }, pii: { ...piiCounts }, fieldsChanged };
  }

  return { clean, report };
}

/** Cleans every record of a (sync or async) iterable; returns the kept records and the report. */
export async function cleanRecords(
  records: Iterable<DataRecord> | AsyncIterable<DataRecord>,
  options: CleanerOptions = {},
): Promise<{ records: DataRecord[]; report: CleanReport }> {
  const iterable = records as unknown as Record<symbol, unknown> | null;
  if (
    iterable === null ||
    typeof iterable !== 'object' ||
    (typeof iterable[Symbol.iterator] !== 'function' &&
      typeof iterable[Symbol.asyncIterator] !== 'function')
  ) {
    throw new DataError(
      'INVALID_ARGUMENT',
      'cleanRecords expects an array or (async) iterable of records.',
    );
  }
  const cleaner = createCleaner(options);
  const kept: DataRecord[] = [];
  for await (const record of records) {
    const cleaned = cleaner.clean(record);
    if (cleaned !== null) kept.push(cleaned);
  }
  return { records: kept, report: cleaner.report() };
}
