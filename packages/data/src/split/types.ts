// Public types of seeded dataset splits and k-fold cross-validation.
import type { DataRecord } from '../types.js';

/** A field name, or a function of the record (and its index) giving the value. */
export type SplitKey = string | ((record: DataRecord, index: number) => unknown);

export interface SplitOptions {
  /** Split names and their fractions, e.g. `{ train: 0.8, validation: 0.1, test: 0.1 }`; sum 1. */
  ratios: Record<string, number>;
  /** Seed: the same seed gives the same split on every machine. @default 0 */
  seed?: number | string;
  /** Keep each class's proportion in every split (field or function giving the class). */
  stratifyBy?: SplitKey;
  /** Keep records with the same group value (e.g. a user or document id) in one split. */
  groupBy?: SplitKey;
  /**
   * `shuffle`: seeded shuffle with exact split sizes. `hash`: each record goes where a hash of
   * its `hashKey` falls, so appending records never moves existing ones (sizes are approximate).
   * @default 'shuffle'
   */
  method?: 'shuffle' | 'hash';
  /** `method: 'hash'` only: the value hashed, unique per record or group. @default groupBy */
  hashKey?: SplitKey;
}

export interface SplitResult {
  /** Records per split name, in input order. */
  splits: Record<string, DataRecord[]>;
  /** Input indices per split name, ascending. */
  indices: Record<string, number[]>;
}

export interface KFoldOptions {
  /** Number of folds (≥ 2, ≤ number of records). */
  k: number;
  /** Seed of the shuffle. @default 0 */
  seed?: number | string;
  /** Stratify: every fold gets each class's members within one of each other. */
  stratifyBy?: SplitKey;
  /** Group k-fold: no group value appears in two folds. */
  groupBy?: SplitKey;
}

/** One fold: indices to train on and to validate on (both ascending, disjoint, all records). */
export interface Fold {
  train: number[];
  validation: number[];
}
