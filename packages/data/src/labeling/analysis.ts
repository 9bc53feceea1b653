// Per-LF diagnostics over a label matrix, with Snorkel's LFAnalysis definitions of coverage,
// overlap and conflict, and empirical accuracy against gold labels when given.
import { DataError } from '../errors.js';
import type { LabelMatrix } from './types.js';
import { checkMatrix } from './utils.js';

export interface LfAnalysisOptions<L extends string> {
  /** Gold label per record (null = unknown; such records are skipped for accuracy). */
  gold?: readonly (L | null)[];
}

export interface LfSummary<L extends string> {
  name: string;
  /** Labels this LF emitted at least once, in label-index order. */
  polarity: L[];
  /** Fraction of records this LF labels. */
  coverage: number;
  /** Fraction of records this LF labels and at least one other LF labels too. */
  overlaps: number;
  /** Fraction of records this LF labels and at least one other LF labels differently. */
  conflicts: number;
  /** With gold: records where the LF voted the gold label. */
  correct?: number;
  /** With gold: records where the LF voted another label than the gold one. */
  incorrect?: number;
  /** With gold: correct / (correct + incorrect); NaN when the LF votes on no gold-labelled record. */
  empiricalAccuracy?: number;
}

export interface LfAnalysis<L extends string> {
  lfs: LfSummary<L>[];
  totals: {
    /** Fraction of records with at least one vote. */
    coverage: number;
    /** Fraction of records with at least two votes. */
    overlap: number;
    /** Fraction of records with at least two different labels among their votes. */
    conflict: number;
  };
}

export function lfAnalysis<L extends string>(
  matrix: LabelMatrix<L>,
  options: LfAnalysisOptions<L> = {},
): LfAnalysis<L> {
  checkMatrix(matrix);
  const { n, m, values, labels, lfNames } = matrix;
  const { gold } = options;
  if (gold !== undefined && gold.length !== n) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `gold has ${gold.length} labels but the label matrix has ${n} records; give one per record.`,
    );
  }
  const k = labels.length;
  const covered = new Float64Array(m);
  const overlaps = new Float64Array(m);
  const conflicts = new Float64Array(m);
  const correct = new Float64Array(m);
  const incorrect = new Float64Array(m);
  const emitted = new Uint8Array(m * k);
  const perLabel = new Int32Array(k);
  let anyCount = 0;
  let overlapCount = 0;
  let conflictCount = 0;
  for (let i = 0; i < n; i++) {
    perLabel.fill(0);
    let votes = 0;
    let distinct = 0;
    for (let j = 0; j < m; j++) {
      const v = values[i * m + j] as number;
      if (v < 0) continue;
      if (perLabel[v] === 0) distinct++;
      perLabel[v] = (perLabel[v] as number) + 1;
      votes++;
    }
    if (votes >= 1) anyCount++;
    if (votes >= 2) overlapCount++;
    if (distinct >= 2) conflictCount++;
    const goldLabel = gold?.[i] ?? null;
    for (let j = 0; j < m; j++) {
      const v = values[i * m + j] as number;
      if (v < 0) continue;
      covered[j] = (covered[j] as number) + 1;
      emitted[j * k + v] = 1;
      if (votes >= 2) overlaps[j] = (overlaps[j] as number) + 1;
      // Another LF disagrees iff some label other than v got a vote on this record.
      if (distinct >= 2) conflicts[j] = (conflicts[j] as number) + 1;
      if (goldLabel !== null) {
        if (labels[v] === goldLabel) correct[j] = (correct[j] as number) + 1;
        else incorrect[j] = (incorrect[j] as number) + 1;
      }
    }
  }
  const frac = (count: number): number => (n === 0 ? 0 : count / n);
  const lfs: LfSummary<L>[] = [];
  for (let j = 0; j < m; j++) {
    const summary: LfSummary<L> = {
      name: lfNames[j] as string,
      polarity: labels.filter((_, c) => emitted[j * k + c] === 1),
      coverage: frac(covered[j] as number),
      overlaps: frac(overlaps[j] as number),
      conflicts: frac(conflicts[j] as number),
    };
    if (gold !== undefined) {
      const ok = correct[j] as number;
      const bad = incorrect[j] as number;
      summary.correct = ok;
      summary.incorrect = bad;
      summary.empiricalAccuracy = ok + bad === 0 ? Number.NaN : ok / (ok + bad);
    }
    lfs.push(summary);
  }
  return {
    lfs,
    totals: {
      coverage: frac(anyCount),
      overlap: frac(overlapCount),
      conflict: frac(conflictCount),
    },
  };
}
