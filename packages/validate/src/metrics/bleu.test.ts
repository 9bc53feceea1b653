// BLEU and its tokenisers against sacreBLEU 2.6.0 (fixtures/gen-bleu-chrf.py), sacreBLEU's
// published test values (test/test_bleu.py) and NLTK's corpus_bleu on pre-tokenised text.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type BleuOptions,
  bleuFromStats,
  bleuSentenceStats,
  corpusBleu,
  sentenceBleu,
  sumSufficientStats,
  tokenize13a,
  tokenizeIntl,
  ValidateError,
} from '../index.js';

interface PyBleu {
  score: number;
  counts: number[];
  totals: number[];
  precisions: number[];
  bp: number;
  sys_len: number;
  ref_len: number;
}
interface Fixture {
  hypotheses: string[];
  references: string[][];
  tokenizers: { input: string; '13a': string; intl: string }[];
  bleu_corpus: { options: Record<string, unknown>; result: PyBleu; sentence_stats: number[][] }[];
  bleu_sentence: { index: number; options: Record<string, unknown>; result: PyBleu }[];
  nltk: {
    tokenized_hypotheses: string[][];
    tokenized_references: string[][][];
    corpus_bleu: number;
    corpus_bleu_bigram: number;
  };
}

const fx = JSON.parse(
  readFileSync(new URL('./fixtures/gen-bleu-chrf.json', import.meta.url), 'utf8'),
) as Fixture;

/** sacreBLEU keyword arguments to our options. */
function toOptions(py: Record<string, unknown>): BleuOptions {
  const o: BleuOptions = {};
  if (py.lowercase !== undefined) o.lowercase = py.lowercase as boolean;
  if (py.tokenize !== undefined) o.tokenize = py.tokenize as BleuOptions['tokenize'];
  if (py.smooth_method !== undefined)
    o.smoothMethod = py.smooth_method as BleuOptions['smoothMethod'];
  if (py.smooth_value !== undefined) o.smoothValue = py.smooth_value as number;
  if (py.effective_order !== undefined) o.effectiveOrder = py.effective_order as boolean;
  if (py.use_effective_order !== undefined) o.effectiveOrder = py.use_effective_order as boolean;
  if (py.max_ngram_order !== undefined) o.maxNgramOrder = py.max_ngram_order as number;
  return o;
}

function expectBleu(actual: ReturnType<typeof corpusBleu>, expected: PyBleu): void {
  expect(actual.score).toBeCloseTo(expected.score, 9);
  expect(actual.counts).toEqual(expected.counts);
  expect(actual.totals).toEqual(expected.totals);
  for (const [n, p] of actual.precisions.entries()) {
    expect(p).toBeCloseTo(expected.precisions[n]!, 9);
  }
  expect(actual.bp).toBeCloseTo(expected.bp, 12);
  expect(actual.sysLen).toBe(expected.sys_len);
  expect(actual.refLen).toBe(expected.ref_len);
}

describe('tokenize13a / tokenizeIntl', () => {
  it.each(fx.tokenizers.map((t) => [JSON.stringify(t.input), t] as const))(
    'matches sacreBLEU on %s',
    (_name, t) => {
      expect(tokenize13a(t.input)).toBe(t['13a']);
      expect(tokenizeIntl(t.input)).toBe(t.intl);
    },
  );
});

describe('corpusBleu', () => {
  // sacreBLEU test/test_bleu.py, README example with two reference streams.
  const refs = [
    ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
    ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
  ];
  const hyps = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
  const perHyp = hyps.map((_, i) => [refs[0]![i]!, refs[1]![i]!]);

  it.each([
    [{}, 48.530827],
    [{ tokenize: 'none' }, 49.1919566],
    [{ tokenize: '13a' }, 48.530827],
    [{ tokenize: 'intl' }, 43.91623493],
    [{ smoothMethod: 'none' }, 48.530827],
  ] as [BleuOptions, number][])('reproduces sacreBLEU published value with %o', (opts, want) => {
    expect(Math.abs(corpusBleu(hyps, perHyp, opts).score - want)).toBeLessThan(1e-6);
  });

  it('keeps empty hypotheses in the corpus (score 0)', () => {
    expect(corpusBleu(['', '', ''], perHyp).score).toBe(0);
  });

  it.each(fx.bleu_corpus.map((c) => [JSON.stringify(c.options), c] as const))(
    'matches sacreBLEU 2.6.0 corpus_score with %s',
    (_name, c) => {
      const opts = toOptions(c.options);
      expectBleu(corpusBleu(fx.hypotheses, fx.references, opts), c.result);
      expect(bleuSentenceStats(fx.hypotheses, fx.references, opts)).toEqual(c.sentence_stats);
    },
  );

  it('agrees with NLTK corpus_bleu on pre-tokenised text', () => {
    const hyps = fx.nltk.tokenized_hypotheses.map((t) => t.join(' '));
    const refs = fx.nltk.tokenized_references.map((rs) => rs.map((t) => t.join(' ')));
    const opts: BleuOptions = { tokenize: 'none', smoothMethod: 'none' };
    expect(corpusBleu(hyps, refs, opts).score / 100).toBeCloseTo(fx.nltk.corpus_bleu, 12);
    expect(corpusBleu(hyps, refs, { ...opts, maxNgramOrder: 2 }).score / 100).toBeCloseTo(
      fx.nltk.corpus_bleu_bigram,
      12,
    );
  });

  it('accepts a single reference string per hypothesis', () => {
    const a = corpusBleu(['the cat sat on the mat'], ['the cat sat on a mat']);
    const b = corpusBleu(['the cat sat on the mat'], [['the cat sat on a mat']]);
    expect(a).toEqual(b);
    // Hand-computed: 5/6, 3/5, 2/4 and 1/3 n-grams match; equal lengths, so BP = 1.
    const p = [500 / 6, 60, 50, 100 / 3];
    expect(a.score).toBeCloseTo(Math.exp(p.reduce((s, x) => s + Math.log(x), 0) / 4), 10);
  });
});

describe('sentenceBleu', () => {
  it.each(fx.bleu_sentence.map((c) => [c.index, JSON.stringify(c.options), c] as const))(
    'matches sacreBLEU sentence_bleu for sentence %i with %s',
    (_i, _name, c) => {
      const r = sentenceBleu(
        fx.hypotheses[c.index]!,
        fx.references[c.index]!,
        toOptions(c.options),
      );
      expectBleu(r, c.result);
    },
  );

  it.each([
    // sacreBLEU test_bleu.py test_case_effective_order (floor 0.01 on raw text, tokenize none).
    ['test', 'a test', 0.3678794411714425],
    ['a test', 'a test', 1.0],
    ['a little test', 'a test', 0.03218297948685433],
  ])('reproduces sacreBLEU effective-order value for %s', (hyp, ref, want) => {
    const r = sentenceBleu(hyp, ref, {
      tokenize: 'none',
      smoothMethod: 'floor',
      smoothValue: 0.01,
    });
    expect(r.score / 100).toBeCloseTo(want, 8);
  });
});

describe('bleuFromStats and sumSufficientStats', () => {
  it('reproduces sacreBLEU published compute_bleu values', () => {
    // test_case_scoring: counts [9,7,5,3], totals [10,8,6,4], lengths 11/11, no smoothing.
    const s = bleuFromStats([11, 11, 9, 7, 5, 3, 10, 8, 6, 4], { smoothMethod: 'none' });
    expect(s.score / 100).toBeCloseTo(0.8375922397, 9);
    // test_case_degenerate_stats with floor smoothing: all give 0.
    expect(
      bleuFromStats([0, 1, 0, 0, 0, 0, 4, 4, 2, 1], { smoothMethod: 'floor', smoothValue: 0 })
        .score,
    ).toBe(0);
    expect(
      bleuFromStats([14, 10, 0, 0, 0, 0, 10, 11, 12, 0], { smoothMethod: 'floor', smoothValue: 0 })
        .score,
    ).toBe(0);
    expect(
      bleuFromStats([0, 0, 0, 0, 0, 0, 0, 0, 0, 0], { smoothMethod: 'floor', smoothValue: 0.1 })
        .score,
    ).toBe(0);
    expect(
      bleuFromStats([6, 6, 6, 5, 4, 0, 6, 5, 4, 3], { smoothMethod: 'floor', smoothValue: 0 })
        .score,
    ).toBe(0);
  });

  it('recomputes the corpus score from summed rows and scores a resample', () => {
    const rows = bleuSentenceStats(fx.hypotheses, fx.references);
    expect(bleuFromStats(sumSufficientStats(rows)).score).toBeCloseTo(
      fx.bleu_corpus[0]!.result.score,
      10,
    );
    // A resample with repeats equals scoring the repeated sentences as a corpus.
    const idx = [0, 0, 5, 7, 7, 7, 12, 39];
    const viaStats = bleuFromStats(sumSufficientStats(rows, idx)).score;
    const direct = corpusBleu(
      idx.map((i) => fx.hypotheses[i]!),
      idx.map((i) => fx.references[i]!),
    ).score;
    expect(viaStats).toBeCloseTo(direct, 12);
  });

  it('rejects statistics of the wrong width or with negative values', () => {
    expect(() => bleuFromStats([1, 2, 3])).toThrow(/stats: has 3 values; expected 10/);
    expect(() => bleuFromStats([1, 1, -1, 0, 0, 0, 1, 0, 0, 0])).toThrow(ValidateError);
    expect(() => sumSufficientStats([[1, 2], [3]])).toThrow(/rows\[1\]/);
    expect(() => sumSufficientStats([[1, 2]], [1])).toThrow(/indices\[0\]/);
    expect(() => sumSufficientStats([])).toThrow(/rows: is empty/);
  });
});

describe('input errors', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (e) {
      return e instanceof ValidateError ? `${e.code} ${e.field}` : String(e);
    }
    return undefined;
  };

  it('names the argument at fault', () => {
    expect(code(() => corpusBleu(['a', 'b'], ['a']))).toBe('LENGTH_MISMATCH references');
    expect(code(() => corpusBleu([], []))).toBe('EMPTY_INPUT hypotheses');
    expect(code(() => corpusBleu(['a'], [[]]))).toBe('EMPTY_INPUT references[0]');
    expect(code(() => corpusBleu(['a'], [7 as unknown as string]))).toBe(
      'INVALID_ARGUMENT references[0]',
    );
    expect(code(() => corpusBleu(['a'], [[3 as unknown as string]]))).toBe(
      'INVALID_ARGUMENT references[0][0]',
    );
    expect(code(() => corpusBleu([null as unknown as string], ['a']))).toBe(
      'INVALID_ARGUMENT hypotheses[0]',
    );
    expect(code(() => corpusBleu(['a'], ['a'], { tokenize: 'zh' as 'none' }))).toBe(
      'INVALID_ARGUMENT options.tokenize',
    );
    expect(code(() => corpusBleu(['a'], ['a'], { smoothMethod: 'add-one' as 'none' }))).toBe(
      'INVALID_ARGUMENT options.smoothMethod',
    );
    expect(code(() => corpusBleu(['a'], ['a'], { smoothValue: Number.NaN }))).toBe(
      'INVALID_ARGUMENT options.smoothValue',
    );
    expect(code(() => corpusBleu(['a'], ['a'], { maxNgramOrder: 0 }))).toBe(
      'INVALID_ARGUMENT options.maxNgramOrder',
    );
  });
});
