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

/**
 * Checks a summed statistics vector before a corpus score is taken from it: the length that the
 * scoring options imply (`layout` says which, for the message) and counts that are finite and >= 0.
 */
export function checkSufficientStats(
  stats: readonly number[],
  expected: number,
  layout: string,
): void {
  if (stats.length !== expected) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `has ${stats.length} values; expected ${expected} ${layout}`,
      { field: 'stats' },
    );
  }
  for (let j = 0; j < stats.length; j++) {
    const v = stats[j]!;
    if (!Number.isFinite(v) || v < 0) {
      throw new ValidateError('NOT_FINITE', `is ${v}; statistics are counts >= 0`, {
        field: `stats[${j}]`,
      });
    }
  }
}

/**
 * A corpus score as sacreBLEU takes it: per-sentence statistics summed over the corpus, then
 * scored once (not an average of sentence scores).
 */
export function corpusFromSentenceStats<O, R>(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
  options: O,
  sentenceStats: (
    hypotheses: readonly string[],
    references: readonly (string | readonly string[])[],
    options: O,
  ) => number[][],
  fromStats: (stats: readonly number[], options: O) => R,
): R {
  checkNonEmpty(hypotheses, 'hypotheses');
  return fromStats(sumSufficientStats(sentenceStats(hypotheses, references, options)), options);
}
