// Public types of exact and near-duplicate removal.
import type { DataRecord } from '../types.js';
import type { DedupKey, DedupNormalizeSetting } from './utils.js';

/** One removed record: where it was, which kept record it duplicates, and why. */
export interface DedupRemoval {
  /** Index of the removed record in the input. */
  index: number;
  /** Index (in the input) of the kept record it duplicates. */
  duplicateOf: number;
  reason: 'exact' | 'near';
  /**
   * Near duplicates only: Jaccard similarity to `duplicateOf` (exact on shingle sets with
   * `verify`, the MinHash estimate without). Can fall below the threshold when the record joined
   * the cluster through another member.
   */
  similarity?: number;
}

export interface DedupReport {
  input: number;
  kept: number;
  removedExact: number;
  removedNear: number;
}

export interface DedupResult {
  /** Kept records, in input order. */
  kept: DataRecord[];
  /** Input indices of the kept records, ascending. */
  keptIndices: number[];
  /** Removed records, by ascending index. */
  removed: DedupRemoval[];
  report: DedupReport;
}

export interface DedupExactOptions {
  /** Field, fields, or function giving the text records are compared by. */
  key: DedupKey;
  /** Normalisation applied before hashing. @default true (NFKC, lower case, collapse whitespace, trim) */
  normalize?: DedupNormalizeSetting;
}

export interface DedupNearOptions {
  /** Field, fields, or function giving the text records are compared by. */
  key: DedupKey;
  /** Normalisation applied before shingling. @default true */
  normalize?: DedupNormalizeSetting;
  /** Jaccard similarity at or above which two records are duplicates. @default 0.8 */
  threshold?: number;
  /** MinHash permutations; more is more accurate and slower. @default 128 */
  numPerm?: number;
  /** Shingles compared. @default { type: 'char', size: 5 } */
  shingle?: ShingleOptions;
  /** Seed of the hash functions. @default 0 */
  seed?: number | string;
  /**
   * Check each LSH candidate pair by the exact Jaccard of its shingle sets (32-bit shingle hashes).
   * When false, the MinHash estimate is used instead: faster, about ±3/√numPerm noisy.
   * @default true
   */
  verify?: boolean;
  /**
   * Weights of false positives and false negatives when choosing bands × rows. Recall-leaning by
   * default because every candidate pair is checked afterwards, so a false positive costs only a
   * comparison (for 0.8 and 128 permutations: 14 bands × 9 rows instead of datasketch's 9 × 13,
   * which finds only ~40% of pairs right at the threshold).
   * @default [0.1, 0.9]
   */
  weights?: readonly [number, number];
}

export interface ShingleOptions {
  /** `char`: overlapping character n-grams; `word`: n-grams of whitespace-separated words. */
  type: 'char' | 'word';
  /** n. */
  size: number;
}

export interface DedupOptions {
  /** Exact dedup settings, or false to skip it. Runs first. */
  exact?: DedupExactOptions | false;
  /** Near dedup settings, or false to skip it. Runs on what exact dedup kept. */
  near?: DedupNearOptions | false;
}
