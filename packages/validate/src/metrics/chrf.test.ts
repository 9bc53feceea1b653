// chrF / chrF++ against sacreBLEU 2.6.0 (fixtures/gen-bleu-chrf.py) and hand-computed cases.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type ChrfOptions,
  chrfFromStats,
  chrfSentenceStats,
  corpusChrf,
  sentenceChrf,
  sumSufficientStats,
  ValidateError,
} from '../index.js';

interface Fixture {
  hypotheses: string[];
  references: string[][];
  chrf_corpus: {
    options: Record<string, unknown>;
    score: number;
    name: string;
    sentence_stats: number[][];
  }[];
  chrf_sentence: { index: number; options: Record<string, unknown>; score: number }[];
}

const fx = JSON.parse(
  readFileSync(new URL('./fixtures/gen-bleu-chrf.json', import.meta.url), 'utf8'),
) as Fixture;

/** sacreBLEU keyword arguments to our options. */
function toOptions(py: Record<string, unknown>): ChrfOptions {
  const o: ChrfOptions = {};
  if (py.char_order !== undefined) o.charOrder = py.char_order as number;
  if (py.word_order !== undefined) o.wordOrder = py.word_order as number;
  if (py.beta !== undefined) o.beta = py.beta as number;
  if (py.eps_smoothing !== undefined) o.epsSmoothing = py.eps_smoothing as boolean;
  if (py.whitespace !== undefined) o.includeWhitespace = py.whitespace as boolean;
  if (py.lowercase !== undefined) o.lowercase = py.lowercase as boolean;
  return o;
}

describe('corpusChrf', () => {
  it.each(fx.chrf_corpus.map((c) => [JSON.stringify(c.options), c] as const))(
    'matches sacreBLEU 2.6.0 CHRF.corpus_score with %s',
    (_name, c) => {
      const opts = toOptions(c.options);
      const r = corpusChrf(fx.hypotheses, fx.references, opts);
      expect(r.score).toBeCloseTo(c.score, 9);
      expect(r.name).toBe(c.name);
      expect(chrfSentenceStats(fx.hypotheses, fx.references, opts)).toEqual(c.sentence_stats);
    },
  );

  it('recomputes the corpus score from summed rows and scores a resample', () => {
    const opts: ChrfOptions = { wordOrder: 2 };
    const rows = chrfSentenceStats(fx.hypotheses, fx.references, opts);
    const idx = [1, 1, 2, 9, 30, 30];
    expect(chrfFromStats(sumSufficientStats(rows, idx), opts).score).toBeCloseTo(
      corpusChrf(
        idx.map((i) => fx.hypotheses[i]!),
        idx.map((i) => fx.references[i]!),
        opts,
      ).score,
      12,
    );
  });
});

describe('sacreBLEU published values (test/test_chrf.py, beta 3)', () => {
  const beta3 = { charOrder: 6, wordOrder: 0, beta: 3 };
  const pairs = (h: string[], r: string[]) => [h, r.map((x) => [x])] as const;

  it.each([
    [['abcdefg'], ['hijklmnop'], 0],
    [['a'], ['b'], 0],
    [[''], ['b'], 0],
    [[''], ['ref'], 0],
    [[''], ['reference'], 0],
    [['aa'], ['ab'], 8.3333],
    [['a', 'b'], ['a', 'c'], 8.3333],
    [['a'], ['a'], 16.6667],
    [['a b c'], ['a b c'], 50],
    [['a b c'], ['abc'], 50],
    [
      [
        ' risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists .',
      ],
      [
        'risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists .',
      ],
      63.36173,
    ],
    [
      [' Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. '],
      ['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.'],
      64.1302698,
    ],
  ] as [string[], string[], number][])('eps smoothing %j vs %j = %d', (h, r, want) => {
    const [hyps, refs] = pairs(h, r);
    expect(
      Math.abs(corpusChrf(hyps, refs, { ...beta3, epsSmoothing: true }).score - want),
    ).toBeLessThan(1e-4);
  });

  it.each([
    [['a'], ['a'], 100],
    [[''], ['reference'], 0],
    [['a b c'], ['a b c'], 100],
    [['a b c'], ['abc'], 100],
    [[''], ['c'], 0],
    [['a', 'b'], ['a', 'c'], 50],
    [['aa'], ['ab'], 25],
  ] as [string[], string[], number][])('effective order %j vs %j = %d', (h, r, want) => {
    const [hyps, refs] = pairs(h, r);
    expect(Math.abs(corpusChrf(hyps, refs, beta3).score - want)).toBeLessThan(1e-4);
  });

  it('keeps whitespace when asked', () => {
    const r = corpusChrf(
      ['Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich.'],
      [['Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich.']],
      { ...beta3, includeWhitespace: true },
    );
    expect(Math.abs(r.score - 67.3481606)).toBeLessThan(1e-4);
  });

  it('scores Czech sentences with eps smoothing', () => {
    const r = sentenceChrf(
      'Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.',
      ['Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.'],
      { epsSmoothing: true },
    );
    expect(Math.abs(r.score - 39.14078509)).toBeLessThan(1e-4);
  });
});

describe('sentenceChrf', () => {
  it.each(fx.chrf_sentence.map((c) => [c.index, JSON.stringify(c.options), c] as const))(
    'matches sacreBLEU sentence_chrf for sentence %i with %s',
    (_i, _name, c) => {
      const r = sentenceChrf(
        fx.hypotheses[c.index]!,
        fx.references[c.index]!,
        toOptions(c.options),
      );
      expect(r.score).toBeCloseTo(c.score, 9);
    },
  );

  it('matches a hand-computed chrF with charOrder 2', () => {
    // "ab" vs "abc": unigrams P=2/2 R=2/3, bigrams P=1/1 R=1/2; average P=1, R=7/12;
    // F2 = 5PR / (4P + R).
    const P = 1;
    const R = (2 / 3 + 1 / 2) / 2;
    expect(sentenceChrf('ab', 'abc', { charOrder: 2 }).score).toBeCloseTo(
      (100 * 5 * P * R) / (4 * P + R),
      12,
    );
  });

  it('counts astral characters as one character, as Python does', () => {
    // Three code points each: identical strings score 100 at every order up to 3.
    expect(sentenceChrf('a🙂b', 'a🙂b', { charOrder: 3 }).score).toBeCloseTo(100, 12);
    // With UTF-16 units there would be a 4th-order n-gram; code points have none.
    const s = chrfSentenceStats(['a🙂b'], ['a🙂b'], { charOrder: 4 })[0]!;
    expect(s.slice(9, 12)).toEqual([0, 0, 0]);
  });
});

describe('input errors', () => {
  it('rejects bad options and statistics with the field named', () => {
    expect(() => corpusChrf(['a'], ['a'], { charOrder: 1.5 })).toThrow(/options\.charOrder/);
    expect(() => corpusChrf(['a'], ['a'], { charOrder: 0, wordOrder: 0 })).toThrow(
      /options\.charOrder: is 0 and so is wordOrder/,
    );
    expect(() => corpusChrf(['a'], ['a'], { beta: -1 })).toThrow(/options\.beta/);
    expect(() => chrfFromStats([1, 2, 3])).toThrow(/stats: has 3 values; expected 18/);
    expect(() => chrfFromStats(new Array(18).fill(Number.NaN))).toThrow(ValidateError);
    expect(() => corpusChrf(['a', 'b'], ['a'])).toThrow(/references: has 1 item/);
    expect(() => corpusChrf([], [])).toThrow(/hypotheses: is empty/);
  });
});
