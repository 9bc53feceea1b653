// Perplexity from per-token log-likelihoods (natural log), per sequence and over a corpus, where
// the corpus value weights every token equally (not every sequence), as language-model evals do.

import { ValidateError } from '../errors.js';
import { checkNonEmpty } from './utils.js';

export interface PerplexityOptions {
  /**
   * Which tokens count, shaped like `logProbs`: `true`/`1` counts, `false`/`0` skips (padding,
   * prompt tokens). All tokens count when omitted.
   * @default undefined
   */
  mask?: readonly (readonly (boolean | number)[])[];
}

export interface PerplexityResult {
  /** exp(total negative log-likelihood / total counted tokens). */
  perplexity: number;
  /** Mean negative log-likelihood per counted token (nats), the log of `perplexity`. */
  meanNll: number;
  /** Counted tokens over all sequences. */
  tokenCount: number;
  /** Perplexity of each sequence on its own counted tokens. */
  perSequence: number[];
  /** Counted tokens of each sequence. */
  perSequenceTokens: number[];
}

/**
 * Perplexity of sequences given each token's log-probability under the model (natural log, so
 * every value must be <= 0). Each sequence must keep at least one token after masking.
 * @param logProbs `logProbs[i][t]`: log p(token t of sequence i | its prefix).
 */
export function perplexity(
  logProbs: readonly (readonly number[])[],
  options: PerplexityOptions = {},
): PerplexityResult {
  const { mask } = options;
  checkNonEmpty(logProbs, 'logProbs');
  if (mask !== undefined && mask.length !== logProbs.length) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `has ${mask.length} sequence(s) but logProbs has ${logProbs.length}; pass one mask per sequence`,
      { field: 'options.mask' },
    );
  }
  let totalNll = 0;
  let tokenCount = 0;
  const perSequence: number[] = [];
  const perSequenceTokens: number[] = [];
  for (let i = 0; i < logProbs.length; i++) {
    const seq = logProbs[i]!;
    const seqMask = mask?.[i];
    if (seqMask !== undefined && seqMask.length !== seq.length) {
      throw new ValidateError(
        'LENGTH_MISMATCH',
        `has ${seqMask.length} entries but logProbs[${i}] has ${seq.length}; pass one per token`,
        { field: `options.mask[${i}]` },
      );
    }
    let nll = 0;
    let count = 0;
    for (let t = 0; t < seq.length; t++) {
      const keep = seqMask === undefined ? true : seqMask[t];
      if (keep !== true && keep !== false && keep !== 0 && keep !== 1) {
        throw new ValidateError('INVALID_ARGUMENT', `is ${String(keep)}; pass true/false or 1/0`, {
          field: `options.mask[${i}][${t}]`,
        });
      }
      const lp = seq[t]!;
      // Checked even when masked out: a NaN anywhere usually means the model output is broken.
      if (typeof lp !== 'number' || !Number.isFinite(lp)) {
        throw new ValidateError(
          'NOT_FINITE',
          `is ${String(lp)}; pass finite natural-log probabilities (clamp zero probabilities, e.g. to log(1e-12))`,
          { field: `logProbs[${i}][${t}]` },
        );
      }
      if (lp > 0) {
        throw new ValidateError(
          'INVALID_ARGUMENT',
          `is ${lp} > 0, which is not a log-probability; pass log p (<= 0), not -log p or a logit`,
          { field: `logProbs[${i}][${t}]` },
        );
      }
      if (keep === true || keep === 1) {
        nll -= lp;
        count += 1;
      }
    }
    if (count === 0) {
      throw new ValidateError(
        'EMPTY_INPUT',
        'has no counted token (empty, or all masked out); drop the sequence or unmask a token',
        { field: `logProbs[${i}]` },
      );
    }
    perSequence.push(Math.exp(nll / count));
    perSequenceTokens.push(count);
    totalNll += nll;
    tokenCount += count;
  }
  const meanNll = totalNll / tokenCount;
  return { perplexity: Math.exp(meanNll), meanNll, tokenCount, perSequence, perSequenceTokens };
}
