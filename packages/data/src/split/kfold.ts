// Seeded k-fold cross-validation: plain, stratified (like scikit-learn's StratifiedKFold),
// grouped, or stratified and grouped.
import { DataError } from '../errors.js';
import { createRng } from '../random.js';
import type { DataRecord } from '../types.js';
import type { Fold, KFoldOptions } from './types.js';
import { assertRecords, assignUnits, buildUnits, classify, readKeys } from './utils.js';

/**
 * k folds; fold f validates on its records and trains on the rest. Plain: fold sizes differ by
 * at most one. Stratified: each class's count per fold differs by at most one (and fold sizes
 * too). Grouped: no group value in two folds, folds balanced greedily (largest groups first).
 */
export function kFold(records: DataRecord[], options: KFoldOptions): Fold[] {
  assertRecords(records, 'kFold');
  const { k, seed = 0, stratifyBy, groupBy } = options;
  const n = records.length;
  if (!Number.isInteger(k) || k < 2) {
    throw new DataError('INVALID_ARGUMENT', `option "k" must be an integer ≥ 2, got ${k}`, {
      field: 'k',
    });
  }
  if (k > n) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `option "k" (${k}) is larger than the number of records (${n}); use k ≤ ${n}`,
      { field: 'k' },
    );
  }
  const rng = createRng(seed);
  const { classOf, classes } = classify(records, stratifyBy, 'stratifyBy');
  if (stratifyBy !== undefined && groupBy === undefined) {
    for (const { value, indices } of classes) {
      if (indices.length < k) {
        throw new DataError(
          'INVALID_ARGUMENT',
          `option "stratifyBy": class ${value.label} has ${indices.length} record(s), fewer than k = ${k}, so some fold would lack it; lower k or merge rare classes`,
          { field: typeof stratifyBy === 'string' ? stratifyBy : 'stratifyBy' },
        );
      }
    }
  }
  const foldOf = new Int32Array(n);
  if (groupBy !== undefined) {
    const units = rng.shuffle(buildUnits(readKeys(records, groupBy, 'groupBy'), classOf));
    if (units.length < k) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `option "groupBy": only ${units.length} distinct group(s), fewer than k = ${k}; lower k`,
        { field: typeof groupBy === 'string' ? groupBy : 'groupBy' },
      );
    }
    // Largest groups first balance the folds best; the shuffle above breaks ties by seed.
    units.sort((a, b) => b.indices.length - a.indices.length);
    const weights = Array.from({ length: k }, () => 1 / k);
    const bins = assignUnits(
      units,
      weights,
      classes.map((c) => c.indices.length),
    );
    units.forEach((unit, u) => {
      for (const i of unit.indices) foldOf[i] = bins[u] as number;
    });
  } else if (stratifyBy !== undefined) {
    // Classes laid end to end, each shuffled, then dealt round-robin: every class's members and
    // the total spread over the folds within one of each other.
    let position = 0;
    for (const { indices } of classes) {
      for (const i of rng.shuffle([...indices])) foldOf[i] = position++ % k;
    }
  } else {
    const order = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const base = Math.floor(n / k);
    const extra = n % k;
    let at = 0;
    for (let f = 0; f < k; f++) {
      const size = base + (f < extra ? 1 : 0);
      for (let s = 0; s < size; s++) foldOf[order[at++] as number] = f;
    }
  }
  const folds: Fold[] = Array.from({ length: k }, () => ({ train: [], validation: [] }));
  for (let i = 0; i < n; i++) {
    const own = foldOf[i] as number;
    folds.forEach((fold, f) => {
      (f === own ? fold.validation : fold.train).push(i);
    });
  }
  return folds;
}
