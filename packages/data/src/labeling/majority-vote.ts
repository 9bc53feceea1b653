// Majority vote over a label matrix: the baseline every label model should beat.
import { DataError } from '../errors.js';
import { createRng } from '../random.js';
import type { LabelMatrix } from './types.js';
import { checkMatrix } from './utils.js';

export interface MajorityVoteOptions {
  /** On a tie for the most votes: give null, or pick one of the tied labels at random. @default 'abstain' */
  tieBreak?: 'abstain' | 'random';
  /** Seed for random tie-breaking. @default 0 */
  seed?: number | string;
}

/** Per record, the label with the most votes; null where every LF abstained (or on a tie with 'abstain'). */
export function majorityVote<L extends string>(
  matrix: LabelMatrix<L>,
  options: MajorityVoteOptions = {},
): (L | null)[] {
  const { tieBreak = 'abstain', seed = 0 } = options;
  if (tieBreak !== 'abstain' && tieBreak !== 'random') {
    throw new DataError(
      'INVALID_ARGUMENT',
      `majorityVote tieBreak must be 'abstain' or 'random'; got ${JSON.stringify(tieBreak)}.`,
    );
  }
  checkMatrix(matrix);
  const { n, m, values, labels } = matrix;
  const counts = new Int32Array(labels.length);
  const rng = createRng(seed);
  const out: (L | null)[] = new Array(n);
  const tied: number[] = [];
  for (let i = 0; i < n; i++) {
    counts.fill(0);
    for (let j = 0; j < m; j++) {
      const v = values[i * m + j] as number;
      if (v >= 0) counts[v] = (counts[v] as number) + 1;
    }
    let best = 0;
    tied.length = 0;
    for (let c = 0; c < counts.length; c++) {
      const count = counts[c] as number;
      if (count > best) {
        best = count;
        tied.length = 0;
        tied.push(c);
      } else if (count === best && count > 0) {
        tied.push(c);
      }
    }
    if (tied.length === 0) out[i] = null;
    else if (tied.length === 1) out[i] = labels[tied[0] as number] as L;
    else out[i] = tieBreak === 'random' ? (labels[rng.pick(tied)] as L) : null;
  }
  return out;
}
