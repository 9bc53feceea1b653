// Summing per-sentence sufficient statistics (BLEU, chrF): corpus scores are functions of the
// summed statistics, so a bootstrap resample only needs sums over resampled rows, not re-scoring.

import { ValidateError } from '../errors.js';
import { checkNonEmpty } from './utils.js';

/**
 * Sums the rows of per-sentence statistics, optionally over a resample of row indices (repeats
 * allowed), into one vector to pass to `bleuFromStats` or `chrfFromStats`.
 * @param rows One statistics vector per sentence, all the same length.
 * @param indices Row indices to sum, e.g. a bootstrap resample; all rows when omitted.
 */
export function sumSufficientStats(
  rows: readonly (readonly number[])[],
  indices?: ArrayLike<number>,
): number[] {
  checkNonEmpty(rows, 'rows');
  const width = rows[0]!.length;
  const total = new Array<number>(width).fill(0);
  const count = indices === undefined ? rows.length : indices.length;
  if (indices !== undefined) checkNonEmpty(indices, 'indices');
  for (let k = 0; k < count; k++) {
    const r = indices === undefined ? k : indices[k]!;
    const row = rows[r];
    if (row === undefined) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        `is ${r}, outside 0..${rows.length - 1}; pass integer indices into rows`,
        { field: `indices[${k}]` },
      );
    }
    if (row.length !== width) {
      throw new ValidateError(
        'LENGTH_MISMATCH',
        `has ${row.length} statistics but rows[0] has ${width}; compute all rows with the same options`,
        { field: `rows[${r}]` },
      );
    }
    for (let j = 0; j < width; j++) total[j]! += row[j]!;
  }
  return total;
}
