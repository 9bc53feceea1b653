// Dataset statistics: field presence and types, text length distributions (characters, words)
// and label balance, plus a readable text summary for logs and reports.
import { DataError } from '../errors.js';
import { canonicalJson } from '../hash.js';
import { typeOfValue } from '../schema.js';
import type { DataRecord } from '../types.js';

export interface DatasetStatsOptions {
  /**
   * String fields whose lengths are measured.
   * @default every field whose non-null values are all strings, except `labelField`
   */
  textFields?: readonly string[];
  /** The field holding each record's label; label counts are given when set. */
  labelField?: string;
  /** Equal-width histogram bins per distribution. @default 10 */
  bins?: number;
}

/** Value types as stats report them (`json` of the schema split into arrays and objects). */
export type StatsValueType =
  | 'string'
  | 'integer'
  | 'float'
  | 'boolean'
  | 'timestamp'
  | 'array'
  | 'object';

export interface FieldStats {
  /** Records holding the field (null included). */
  present: number;
  /** Records where the field is null. */
  nulls: number;
  /** How many non-null values had each type. */
  types: Partial<Record<StatsValueType, number>>;
}

export interface StatsHistogram {
  /** `bins + 1` ascending edges; bin i is [edges[i], edges[i+1]), the last bin closed. */
  edges: number[];
  counts: number[];
}

/** Summary of a list of numbers; statistics are null when there are none. */
export interface LengthDistribution {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Median, linear interpolation between order statistics (NumPy's default `linear` method). */
  p50: number | null;
  /** 95th percentile, same method. */
  p95: number | null;
  histogram: StatsHistogram;
}

export interface TextFieldStats {
  /** String values measured (non-strings are skipped; see the field's types). */
  values: number;
  /** Length in Unicode code points. */
  chars: LengthDistribution;
  /** Whitespace-separated words. */
  words: LengthDistribution;
}

export interface LabelStats {
  field: string;
  /** Records per label, most frequent first. Non-string labels are keyed by their JSON text. */
  counts: Record<string, number>;
  /** counts / records with a label. */
  shares: Record<string, number>;
  /** Records with the label missing or null. */
  missing: number;
}

export interface DatasetStats {
  records: number;
  /** Per field, in first-seen order. */
  fields: Record<string, FieldStats>;
  text: Record<string, TextFieldStats>;
  /** Null when no `labelField` was given. */
  labels: LabelStats | null;
}

/** Computes {@link DatasetStats} in one pass; memory grows with the number of text values. */
export async function datasetStats(
  records: Iterable<DataRecord> | AsyncIterable<DataRecord>,
  options: DatasetStatsOptions = {},
): Promise<DatasetStats> {
  const { textFields, labelField, bins = 10 } = options;
  if (!Number.isInteger(bins) || bins < 1) {
    throw new DataError('INVALID_ARGUMENT', `bins must be a positive integer, got ${bins}.`, {
      field: 'bins',
    });
  }
  if (
    textFields !== undefined &&
    (!Array.isArray(textFields) || textFields.some((f) => typeof f !== 'string'))
  ) {
    throw new DataError('INVALID_ARGUMENT', '`textFields` must be an array of field names.', {
      field: 'textFields',
    });
  }
  const fields = new Map<string, FieldStats>();
  const lengths = new Map<string, { chars: number[]; words: number[] }>();
  for (const name of textFields ?? []) lengths.set(name, { chars: [], words: [] });
  const labelCounts = new Map<string, number>();
  let missingLabels = 0;
  let count = 0;

  for await (const record of records) {
    count++;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new DataError('INVALID_ARGUMENT', `record ${count} is not an object.`, { line: count });
    }
    for (const [name, value] of Object.entries(record)) {
      if (value === undefined) continue;
      let field = fields.get(name);
      if (!field) {
        field = { present: 0, nulls: 0, types: {} };
        fields.set(name, field);
      }
      field.present++;
      if (value === null) {
        field.nulls++;
        continue;
      }
      const type = valueType(value);
      field.types[type] = (field.types[type] ?? 0) + 1;
      if (typeof value !== 'string') continue;
      let measured = lengths.get(name);
      if (!measured && textFields === undefined && name !== labelField) {
        measured = { chars: [], words: [] };
        lengths.set(name, measured);
      }
      if (measured) {
        measured.chars.push(codePoints(value));
        measured.words.push(wordCount(value));
      }
    }
    if (labelField !== undefined) {
      const label = record[labelField];
      if (label === undefined || label === null) missingLabels++;
      else {
        const key = typeof label === 'string' ? label : canonicalJson(label);
        labelCounts.set(key, (labelCounts.get(key) ?? 0) + 1);
      }
    }
  }

  const text: Record<string, TextFieldStats> = {};
  for (const [name, measured] of lengths) {
    // Auto-detected text fields must hold strings only; a field mixing types is not text.
    if (
      textFields === undefined &&
      Object.keys(fields.get(name)?.types ?? {}).some((t) => t !== 'string')
    ) {
      continue;
    }
    text[name] = {
      values: measured.chars.length,
      chars: distribution(measured.chars, bins),
      words: distribution(measured.words, bins),
    };
  }

  let labels: LabelStats | null = null;
  if (labelField !== undefined) {
    const sorted = [...labelCounts].sort(
      (a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
    );
    const labeled = count - missingLabels;
    labels = {
      field: labelField,
      counts: Object.fromEntries(sorted),
      shares: Object.fromEntries(sorted.map(([key, n]) => [key, n / labeled])),
      missing: missingLabels,
    };
  }
  return { records: count, fields: Object.fromEntries(fields), text, labels };
}

/** The schema's value type (`typeOfValue`), with `json` split into arrays and objects. */
function valueType(value: unknown): StatsValueType {
  const type = typeOfValue(value);
  if (type !== undefined && type !== 'json') return type;
  return Array.isArray(value) ? 'array' : 'object';
}

function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function wordCount(text: string): number {
  return text.match(/\S+/gu)?.length ?? 0;
}

/**
 * The p-th percentile (0–100) of sorted values, NumPy's default `linear` method (Hyndman & Fan
 * type 7): position h = (n − 1)·p/100, interpolating between the order statistics around h.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) {
    throw new DataError('INVALID_ARGUMENT', 'percentile of an empty list is undefined.');
  }
  if (!(p >= 0 && p <= 100)) {
    throw new DataError('INVALID_ARGUMENT', `percentile must be between 0 and 100, got ${p}.`);
  }
  const h = ((sorted.length - 1) * p) / 100;
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)]!;
  return a + (h - lo) * (b - a);
}

function distribution(values: number[], bins: number): LengthDistribution {
  if (values.length === 0) {
    return {
      count: 0,
      min: null,
      max: null,
      mean: null,
      p50: null,
      p95: null,
      histogram: { edges: [], counts: [] },
    };
  }
  const sorted = Float64Array.from(values).sort();
  const list = Array.from(sorted);
  const min = list[0]!;
  const max = list[list.length - 1]!;
  let sum = 0;
  for (const v of list) sum += v;
  return {
    count: list.length,
    min,
    max,
    mean: sum / list.length,
    p50: percentile(list, 50),
    p95: percentile(list, 95),
    histogram: histogram(list, min, max, bins),
  };
}

/** Equal-width bins over [min, max] as `numpy.histogram` makes them (±0.5 when all equal). */
function histogram(
  values: readonly number[],
  min: number,
  max: number,
  bins: number,
): StatsHistogram {
  const lo = min === max ? min - 0.5 : min;
  const hi = min === max ? max + 0.5 : max;
  const step = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * step));
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    let i = Math.min(bins - 1, Math.floor(((v - lo) * bins) / (hi - lo)));
    // Floating error can put a value next to its bin; the edges decide, as in NumPy.
    if (i > 0 && v < edges[i]!) i--;
    else if (i < bins - 1 && v >= edges[i + 1]!) i++;
    counts[i]!++;
  }
  return { edges, counts };
}

/** A readable multi-line summary of {@link DatasetStats}. */
export function formatStats(stats: DatasetStats): string {
  const out: string[] = [];
  const names = Object.keys(stats.fields);
  out.push(`${stats.records} records, ${names.length} fields`);
  if (names.length > 0) {
    out.push('fields:');
    const width = Math.max(...names.map((n) => n.length));
    for (const name of names) {
      const f = stats.fields[name]!;
      const types = Object.entries(f.types)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ');
      out.push(
        `  ${name.padEnd(width)}  present ${f.present}/${stats.records} (${pct(f.present, stats.records)})  nulls ${f.nulls}  types ${types || '-'}`,
      );
    }
  }
  for (const [name, t] of Object.entries(stats.text)) {
    out.push(`text "${name}" (${t.values} values):`);
    for (const [unit, d] of [
      ['chars', t.chars],
      ['words', t.words],
    ] as const) {
      if (d.count === 0) {
        out.push(`  ${unit}  no values`);
        continue;
      }
      out.push(
        `  ${unit}  min ${num(d.min!)}  p50 ${num(d.p50!)}  mean ${num(d.mean!)}  p95 ${num(d.p95!)}  max ${num(d.max!)}`,
      );
      const { edges, counts } = d.histogram;
      const peak = Math.max(...counts);
      const ranges = counts.map((_, i) => {
        const close = i === counts.length - 1 ? ']' : ')';
        return `[${num(edges[i]!)}, ${num(edges[i + 1]!)}${close}`;
      });
      const rangeWidth = Math.max(...ranges.map((r) => r.length));
      counts.forEach((n, i) => {
        const bar = '#'.repeat(peak === 0 ? 0 : Math.round((n / peak) * 20));
        out.push(
          `    ${ranges[i]!.padEnd(rangeWidth)} ${String(n).padStart(String(peak).length)} ${bar}`.trimEnd(),
        );
      });
    }
  }
  if (stats.labels) {
    const { field, counts, shares, missing } = stats.labels;
    const keys = Object.keys(counts);
    out.push(`labels "${field}" (${keys.length} classes, ${missing} missing):`);
    const width = Math.max(0, ...keys.map((k) => k.length));
    for (const key of keys) {
      out.push(`  ${key.padEnd(width)}  ${counts[key]}  ${(shares[key]! * 100).toFixed(1)}%`);
    }
  }
  return out.join('\n');
}

function pct(n: number, total: number): string {
  return total === 0 ? '-' : `${((n / total) * 100).toFixed(1)}%`;
}

/** Integers as they are, other numbers to at most two decimals. */
function num(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(2)));
}
