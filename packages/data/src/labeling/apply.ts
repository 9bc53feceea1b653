// Runs labelling functions over records and collects their votes into a label matrix.
import { DataError } from '../errors.js';
import type { DataRecord } from '../types.js';
import type { LabelingFunction, LabelMatrix } from './types.js';

export interface ApplyLabelingFunctionsOptions<L extends string> {
  /**
   * The label set, fixing the index ↔ label mapping; a vote outside it is an error. When omitted,
   * the labels voted at least once, sorted by code unit so the mapping does not depend on record
   * order.
   */
  labels?: readonly L[];
}

export function applyLabelingFunctions<L extends string>(
  records: Iterable<DataRecord>,
  lfs: readonly LabelingFunction<L>[],
  options: ApplyLabelingFunctionsOptions<L> = {},
): LabelMatrix<L> {
  const rows = Array.isArray(records) ? (records as DataRecord[]) : [...records];
  const seen = new Set<string>();
  for (const lf of lfs) {
    if (seen.has(lf.name)) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `two labelling functions are named "${lf.name}"; give each a unique name.`,
      );
    }
    seen.add(lf.name);
  }
  const n = rows.length;
  const m = lfs.length;
  const fixed = options.labels;
  if (fixed !== undefined && new Set(fixed).size !== fixed.length) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `the labels option lists a label twice: ${JSON.stringify(fixed)}.`,
    );
  }
  // Votes are collected as strings first when the label set is not given up front.
  const votes: (L | null)[] = new Array(n * m);
  const voted = new Set<L>();
  for (let i = 0; i < n; i++) {
    const record = rows[i] as DataRecord;
    for (let j = 0; j < m; j++) {
      const lf = lfs[j] as LabelingFunction<L>;
      let vote: unknown;
      try {
        vote = lf.apply(record);
      } catch (cause) {
        throw new DataError(
          'INVALID_ARGUMENT',
          `labelling function "${lf.name}" threw on record index ${i}: ${(cause as Error)?.message ?? String(cause)}. Make it return ABSTAIN for records it cannot handle.`,
          { line: i + 1, cause },
        );
      }
      if (vote !== null && typeof vote !== 'string') {
        throw new DataError(
          'INVALID_ARGUMENT',
          `labelling function "${lf.name}" returned ${vote === undefined ? 'undefined' : JSON.stringify(vote)} on record index ${i}; return a label string or ABSTAIN (null).`,
          { line: i + 1 },
        );
      }
      if (vote !== null) {
        if (fixed !== undefined && !fixed.includes(vote as L)) {
          throw new DataError(
            'INVALID_ARGUMENT',
            `labelling function "${lf.name}" voted "${vote}" on record index ${i}, which is not in labels ${JSON.stringify(fixed)}.`,
            { line: i + 1 },
          );
        }
        voted.add(vote as L);
      }
      votes[i * m + j] = vote as L | null;
    }
  }
  const labels =
    fixed !== undefined ? [...fixed] : [...voted].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map<string, number>(labels.map((label, k) => [label, k]));
  const values = new Int32Array(n * m);
  for (let p = 0; p < n * m; p++) {
    const vote = votes[p];
    values[p] = vote === null || vote === undefined ? -1 : (index.get(vote) as number);
  }
  return { labels, lfNames: lfs.map((lf) => lf.name), n, m, values };
}
