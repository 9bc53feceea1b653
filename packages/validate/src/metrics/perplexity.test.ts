// Perplexity against PyTorch cross_entropy with ignore_index (fixtures/gen-perplexity.py) and
// hand-computed cases.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { perplexity, ValidateError } from '../index.js';

const fx = JSON.parse(
  readFileSync(new URL('./fixtures/gen-perplexity.json', import.meta.url), 'utf8'),
) as {
  log_probs: number[][];
  mask: number[][];
  perplexity: number;
  mean_nll: number;
  token_count: number;
  per_sequence: number[];
};

describe('perplexity', () => {
  it('matches PyTorch cross_entropy with masked padding and prompt tokens', () => {
    const r = perplexity(fx.log_probs, { mask: fx.mask });
    expect(r.perplexity).toBeCloseTo(fx.perplexity, 9);
    expect(r.meanNll).toBeCloseTo(fx.mean_nll, 12);
    expect(r.tokenCount).toBe(fx.token_count);
    for (const [i, p] of r.perSequence.entries()) {
      expect(p).toBeCloseTo(fx.per_sequence[i]!, 9);
    }
    expect(r.perSequenceTokens).toEqual([9, 5, 4, 2]);
  });

  it('weights tokens, not sequences, in the corpus value (hand-computed)', () => {
    // Sequence 1: p = 1/2, 1/2 -> ppl 2. Sequence 2: p = 1/8 -> ppl 8.
    // Corpus: exp((2 ln 2 + 3 ln 2) / 3) = 2^(5/3), not the mean of 2 and 8.
    const r = perplexity([[Math.log(0.5), Math.log(0.5)], [Math.log(1 / 8)]]);
    expect(r.perSequence[0]).toBeCloseTo(2, 12);
    expect(r.perSequence[1]).toBeCloseTo(8, 12);
    expect(r.perplexity).toBeCloseTo(2 ** (5 / 3), 12);
    expect(r.tokenCount).toBe(3);
  });

  it('accepts boolean masks and certain tokens (log p = 0)', () => {
    const r = perplexity([[0, Math.log(0.25), -5]], { mask: [[true, true, false]] });
    expect(r.perplexity).toBeCloseTo(2, 12);
  });

  it('rejects positive log-probs, NaN, bad masks and empty sequences with the field named', () => {
    const err = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        if (e instanceof ValidateError) return `${e.code} ${e.field}`;
      }
      return 'no ValidateError';
    };
    expect(err(() => perplexity([[-1, 0.2]]))).toBe('INVALID_ARGUMENT logProbs[0][1]');
    expect(err(() => perplexity([[-1], [Number.NaN]]))).toBe('NOT_FINITE logProbs[1][0]');
    expect(err(() => perplexity([[Number.NEGATIVE_INFINITY]]))).toBe('NOT_FINITE logProbs[0][0]');
    expect(err(() => perplexity([]))).toBe('EMPTY_INPUT logProbs');
    expect(err(() => perplexity([[-1], []]))).toBe('EMPTY_INPUT logProbs[1]');
    expect(err(() => perplexity([[-1, -2]], { mask: [[0, 0]] }))).toBe('EMPTY_INPUT logProbs[0]');
    expect(err(() => perplexity([[-1]], { mask: [] }))).toBe('LENGTH_MISMATCH options.mask');
    expect(err(() => perplexity([[-1]], { mask: [[1, 1]] }))).toBe(
      'LENGTH_MISMATCH options.mask[0]',
    );
    expect(err(() => perplexity([[-1]], { mask: [[2]] }))).toBe(
      'INVALID_ARGUMENT options.mask[0][0]',
    );
  });
});
