// Types of the weak-labelling area: labelling functions, the abstain marker and the label matrix.
import type { DataRecord } from '../types.js';

/**
 * What a labelling function returns when it has no opinion. It is `null` (not a symbol) so that
 * custom functions can simply `return null`, and so that votes survive JSON round trips.
 * Returning `undefined` is treated as a bug in the function, not as an abstain.
 */
export const ABSTAIN = null;

/** A heuristic that votes for one label of `L` on a record, or abstains. */
export interface LabelingFunction<L extends string = string> {
  /** Unique name; it identifies the LF's column in the label matrix and in error messages. */
  readonly name: string;
  apply(record: DataRecord): L | typeof ABSTAIN;
}

/**
 * Votes of m labelling functions on n records. `values[i * m + j]` is the index into `labels`
 * of LF j's vote on record i, or −1 where it abstained.
 */
export interface LabelMatrix<L extends string = string> {
  /** The label set; a vote `v` means `labels[v]`. */
  labels: L[];
  /** LF names, one per column. */
  lfNames: string[];
  /** Number of records (rows). */
  n: number;
  /** Number of labelling functions (columns). */
  m: number;
  /** n × m votes, row-major, −1 = abstain. */
  values: Int32Array;
}
