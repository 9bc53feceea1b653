// Speech error rates against jiwer 4.0.0 with RapidFuzz 3.14 (fixtures/speech.py) and the
// examples of jiwer's README.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { AlignmentChunk, EditCounts } from '../index.js';
import {
  characterErrorRate,
  matchErrorRate,
  processCharacters,
  processWords,
  wordErrorRate,
  wordInformationLost,
  wordInformationPreserved,
} from '../index.js';
import { close, codeOf } from './test-helpers.js';

type Chunk = [AlignmentChunk['type'], number, number, number, number];
interface Counts {
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  alignments: Chunk[][];
}
interface WordRef extends Counts {
  wer: number;
  mer: number;
  wil: number;
  wip: number;
}
interface CharRef extends Counts {
  cer: number;
}
interface Pair {
  references: string[];
  hypotheses: string[];
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/speech.json', import.meta.url), 'utf8'),
) as {
  corpora: Array<Pair & { words: WordRef; chars: CharRef }>;
  normalised: Pair & {
    raw: WordRef;
    rawChars: CharRef;
    collapsedChars: CharRef;
    words: WordRef;
    chars: CharRef;
  };
  longCharacters: Pair & { chars: CharRef };
  emptyReference: Pair & { words: WordRef };
  allEmpty: { silent: WordRef; hallucinated: WordRef };
};

function sameCounts(actual: EditCounts, expected: Counts): void {
  expect({
    hits: actual.hits,
    substitutions: actual.substitutions,
    deletions: actual.deletions,
    insertions: actual.insertions,
  }).toEqual({
    hits: expected.hits,
    substitutions: expected.substitutions,
    deletions: expected.deletions,
    insertions: expected.insertions,
  });
  expect(
    actual.alignments.map((sentence) =>
      sentence.map((c) => [c.type, c.refStart, c.refEnd, c.hypStart, c.hypEnd]),
    ),
  ).toEqual(expected.alignments);
  // Per-sentence counts add up to the corpus totals.
  const sum = (key: 'hits' | 'substitutions' | 'deletions' | 'insertions') =>
    actual.sentences.reduce((total, sentence) => total + sentence[key], 0);
  expect([sum('hits'), sum('substitutions'), sum('deletions'), sum('insertions')]).toEqual([
    expected.hits,
    expected.substitutions,
    expected.deletions,
    expected.insertions,
  ]);
}
function sameWords(actual: ReturnType<typeof processWords>, expected: WordRef): void {
  close(actual.wer, expected.wer);
  close(actual.mer, expected.mer);
  close(actual.wil, expected.wil);
  close(actual.wip, expected.wip);
  sameCounts(actual, expected);
}

describe('word and character measures match jiwer', () => {
  it("README example: 'hello world' vs 'hello duck' and a two-sentence corpus", () => {
    expect(wordErrorRate('hello world', 'hello duck')).toBe(0.5);
    const out = processWords(
      ['hello world', 'i like monthy python'],
      ['hello duck', 'i like python'],
    );
    expect(out.wer).toBe(2 / 6);
    expect(out.sentences).toEqual([
      {
        hits: 1,
        substitutions: 1,
        deletions: 0,
        insertions: 0,
        referenceLength: 2,
        hypothesisLength: 2,
      },
      {
        hits: 3,
        substitutions: 0,
        deletions: 1,
        insertions: 0,
        referenceLength: 4,
        hypothesisLength: 3,
      },
    ]);
    expect(out.alignments[1]).toEqual([
      { type: 'equal', refStart: 0, refEnd: 2, hypStart: 0, hypEnd: 2 },
      { type: 'delete', refStart: 2, refEnd: 3, hypStart: 2, hypEnd: 2 },
      { type: 'equal', refStart: 3, refEnd: 4, hypStart: 2, hypEnd: 3 },
    ]);
  });

  fixture.corpora.forEach((c, i) => {
    it(`random corpus ${i} (ties between optimal alignments, sentences over 64 words)`, () => {
      sameWords(processWords(c.references, c.hypotheses), c.words);
      const chars = processCharacters(c.references, c.hypotheses);
      close(chars.cer, c.chars.cer);
      sameCounts(chars, c.chars);
      close(wordErrorRate(c.references, c.hypotheses), c.words.wer);
      close(matchErrorRate(c.references, c.hypotheses), c.words.mer);
      close(wordInformationLost(c.references, c.hypotheses), c.words.wil);
      close(wordInformationPreserved(c.references, c.hypotheses), c.words.wip);
      close(characterErrorRate(c.references, c.hypotheses), c.chars.cer);
    });
  });

  it('normalises case, punctuation and spacing like jiwer transforms', () => {
    const n = fixture.normalised;
    sameWords(processWords(n.references, n.hypotheses), n.raw);
    sameCounts(processCharacters(n.references, n.hypotheses), n.rawChars);
    const options = { lowercase: true, removePunctuation: true };
    sameWords(processWords(n.references, n.hypotheses, options), n.words);
    const chars = processCharacters(n.references, n.hypotheses, options);
    close(chars.cer, n.chars.cer);
    sameCounts(chars, n.chars);
    sameCounts(
      processCharacters(n.references, n.hypotheses, { collapseWhitespace: true }),
      n.collapsedChars,
    );
    // Words split on single spaces only, so without collapsing a tab run stays inside a word.
    expect(wordErrorRate('a\t\tb', 'a b')).toBe(0);
    expect(wordErrorRate('a\t\tb', 'a b', { collapseWhitespace: false })).toBe(2);
    // A custom transform runs first.
    expect(
      wordErrorRate('colour', 'color', { transform: (s) => s.replace('colour', 'color') }),
    ).toBe(0);
  });

  it('aligns a 3,000-character pair exactly as RapidFuzz does (Hirschberg range)', () => {
    const l = fixture.longCharacters;
    const chars = processCharacters(l.references, l.hypotheses);
    close(chars.cer, l.chars.cer);
    sameCounts(chars, l.chars);
  });

  it('scores empty references like jiwer 4 when allowed', () => {
    const e = fixture.emptyReference;
    sameWords(processWords(e.references, e.hypotheses, { allowEmptyReference: true }), e.words);
    const silent = processWords('', '', { allowEmptyReference: true });
    sameWords(silent, fixture.allEmpty.silent);
    sameWords(
      processWords('', 'now defined behaviour', { allowEmptyReference: true }),
      fixture.allEmpty.hallucinated,
    );
    expect(characterErrorRate('', 'abcde', { allowEmptyReference: true })).toBe(5);
  });
});

describe('input validation', () => {
  it('rejects empty references unless allowed, mismatched corpora and non-strings', () => {
    expect(codeOf(() => wordErrorRate(['a', '  '], ['a', 'b']))).toBe('EMPTY_INPUT');
    expect(() => wordErrorRate(['a', '  '], ['a', 'b'])).toThrow(/references\[1\]/);
    expect(codeOf(() => wordErrorRate(['a', 'b'], ['a']))).toBe('LENGTH_MISMATCH');
    expect(codeOf(() => wordErrorRate([], []))).toBe('EMPTY_INPUT');
    expect(codeOf(() => wordErrorRate(['a'], [3 as unknown as string]))).toBe('INVALID_ARGUMENT');
  });

  it('skips alignments when asked', () => {
    const out = processWords('a b c', 'a x c', { alignments: false });
    expect(out.alignments).toEqual([]);
    expect(out.sentences).toEqual([]);
    expect(out.substitutions).toBe(1);
  });
});
