// Trials as a flat table for printing or export, with the columns of Optuna's
// `study.trials_dataframe()`: number, value(s), datetimes, duration, params_*, user_attrs_*, state.

import type { FrozenTrial, StudyView } from '../types.js';

/** One cell: numbers, strings and booleans as they are; objects as JSON; missing as null. */
export type TableCell = number | string | boolean | null;

export interface TrialsTable {
  /** Column names in display order. */
  columns: string[];
  /** One row per trial, keyed by column. */
  rows: Array<Record<string, TableCell>>;
}

export interface TrialsToRowsOptions {
  /** Add `system_attrs_*` columns (sampler bookkeeping). @default false */
  systemAttrs?: boolean;
  /** Add `intermediate_<step>` columns with the reported values. @default false */
  intermediateValues?: boolean;
}

function cell(value: unknown): TableCell {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    return value;
  }
  return JSON.stringify(value);
}

function sortedKeys(records: ReadonlyArray<Record<string, unknown>>): string[] {
  const keys = new Set<string>();
  for (const r of records) for (const k of Object.keys(r)) keys.add(k);
  return [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Flattens trials into rows. Pass the study (its number of directions picks `value` or
 * `values_0..n`) or just trials (then the longest `values` decides).
 */
export function trialsToRows(
  source: StudyView | readonly FrozenTrial[],
  options: TrialsToRowsOptions = {},
): TrialsTable {
  const { systemAttrs = false, intermediateValues = false } = options;
  const trials: readonly FrozenTrial[] = 'trials' in source ? source.trials : source;
  const nObjectives =
    'directions' in source
      ? source.directions.length
      : Math.max(1, ...trials.map((t) => t.values?.length ?? 0));
  const valueColumns =
    nObjectives === 1 ? ['value'] : Array.from({ length: nObjectives }, (_, i) => `values_${i}`);
  const params = sortedKeys(trials.map((t) => t.params));
  const userAttrs = sortedKeys(trials.map((t) => t.userAttrs));
  const sysAttrs = systemAttrs ? sortedKeys(trials.map((t) => t.systemAttrs)) : [];
  const steps = intermediateValues
    ? sortedKeys(trials.map((t) => t.intermediateValues)).sort((a, b) => Number(a) - Number(b))
    : [];

  const columns = [
    'number',
    ...valueColumns,
    'datetime_start',
    'datetime_complete',
    'duration',
    ...params.map((p) => `params_${p}`),
    ...userAttrs.map((k) => `user_attrs_${k}`),
    ...sysAttrs.map((k) => `system_attrs_${k}`),
    ...steps.map((s) => `intermediate_${s}`),
    'state',
  ];

  const rows = trials.map((t) => {
    const row: Record<string, TableCell> = { number: t.number };
    valueColumns.forEach((column, i) => {
      row[column] = cell(t.values?.[i]);
    });
    row.datetime_start = cell(t.datetimeStart);
    row.datetime_complete = cell(t.datetimeComplete);
    row.duration =
      t.datetimeStart !== undefined && t.datetimeComplete !== undefined
        ? (Date.parse(t.datetimeComplete) - Date.parse(t.datetimeStart)) / 1000
        : null;
    for (const p of params) row[`params_${p}`] = cell(t.params[p]);
    for (const k of userAttrs) row[`user_attrs_${k}`] = cell(t.userAttrs[k]);
    for (const k of sysAttrs) row[`system_attrs_${k}`] = cell(t.systemAttrs[k]);
    for (const s of steps) row[`intermediate_${s}`] = cell(t.intermediateValues[s]);
    row.state = t.state;
    return row;
  });
  return { columns, rows };
}

function csvField(value: TableCell): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV of `trialsToRows`: a header line, one line per trial, `\n` line ends. */
export function trialsToCsv(
  source: StudyView | readonly FrozenTrial[],
  options: TrialsToRowsOptions = {},
): string {
  const { columns, rows } = trialsToRows(source, options);
  const lines = [columns.map(csvField).join(',')];
  for (const row of rows) lines.push(columns.map((c) => csvField(row[c] ?? null)).join(','));
  return `${lines.join('\n')}\n`;
}
