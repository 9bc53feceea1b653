// NER metrics against seqeval run from its source tree (fixtures/ner.py) and the examples of
// seqeval's README and tests/test_scheme.py.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TaggingScheme } from '../index.js';
import {
  extractEntities,
  nerAccuracy,
  nerClassificationReport,
  nerPrecisionRecallFscore,
} from '../index.js';
import { close, closeAveraged, codeOf } from './test-helpers.js';

interface ScoreRow {
  average: 'none' | 'micro' | 'macro' | 'weighted';
  beta: number;
  zeroDivision: 0 | 1;
  precision: number[];
  recall: number[];
  fScore: number[];
  support: number[] | null;
}
interface Case {
  scheme: TaggingScheme;
  yTrue: string[][];
  yPred: string[][];
  lenientEntities: Array<[number, string, number, number]>;
  strictEntities: Array<[number, string, number, number]>;
  lenient: ScoreRow[];
  strict: ScoreRow[];
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/ner.json', import.meta.url), 'utf8'),
) as {
  cases: Case[];
  readme: { yTrue: string[][]; yPred: string[][]; lenient: ScoreRow[]; strict: ScoreRow[] };
  lenientEdgeCases: Array<{
    sentences: string[][];
    entities: Array<[number, string, number, number]>;
  }>;
};

function sameScores(
  yTrue: string[][],
  yPred: string[][],
  rows: ScoreRow[],
  mode: { mode?: 'strict'; scheme?: TaggingScheme },
): void {
  for (const row of rows) {
    const base = { ...mode, beta: row.beta, zeroDivision: row.zeroDivision };
    if (row.average === 'none') {
      const got = nerPrecisionRecallFscore(yTrue, yPred, { ...base, average: 'none' });
      expect(got.precision.length).toBe(row.precision.length);
      got.precision.forEach((v, i) => {
        close(v, row.precision[i]!);
      });
      expect(got.recall.length).toBe(row.recall.length);
      got.recall.forEach((v, i) => {
        close(v, row.recall[i]!);
      });
      expect(got.fScore.length).toBe(row.fScore.length);
      got.fScore.forEach((v, i) => {
        close(v, row.fScore[i]!);
      });
      expect(got.support).toEqual(row.support);
    } else {
      const got = nerPrecisionRecallFscore(yTrue, yPred, { ...base, average: row.average });
      closeAveraged(got, row);
    }
  }
}
const asTuples = (entities: ReturnType<typeof extractEntities>) =>
  entities.map((e) => [e.sentence, e.type, e.start, e.end]);

// BILOU's U- and L- tags are not entity tags to seqeval's default mode (it warns); here
// default mode rejects them, and BILOU data needs strict mode.
const lenientOk = (c: Case) => c.scheme !== 'BILOU';

describe('entity extraction matches seqeval', () => {
  it('README example: get_entities', () => {
    expect(asTuples(extractEntities([['B-PER', 'I-PER', 'O', 'B-LOC']]))).toEqual([
      [0, 'PER', 0, 2],
      [0, 'LOC', 3, 4],
    ]);
  });

  it('test_scheme.py examples for bare prefixes and IOBES', () => {
    // IOB1 tokens without tags: ['I'] → ('_', 0, 1); ['O', 'B'] → nothing
    expect(asTuples(extractEntities([['I']], { mode: 'strict', scheme: 'IOB1' }))).toEqual([
      [0, '_', 0, 1],
    ]);
    expect(extractEntities([['O', 'B']], { mode: 'strict', scheme: 'IOB1' })).toEqual([]);
    // IOBES: a B without its E is not an entity in strict mode, but is leniently.
    expect(extractEntities([['B-PER', 'O']], { mode: 'strict', scheme: 'BIOES' })).toEqual([]);
    expect(asTuples(extractEntities([['B-PER', 'O']]))).toEqual([[0, 'PER', 0, 1]]);
    expect(
      asTuples(extractEntities([['S-PER', 'B-LOC', 'E-LOC']], { mode: 'strict', scheme: 'IOBES' })),
    ).toEqual([
      [0, 'PER', 0, 1],
      [0, 'LOC', 1, 3],
    ]);
    // Suffix-style tags, strict and lenient
    expect(
      asTuples(
        extractEntities([['PER-B', 'PER-I', 'O', 'LOC-I']], {
          mode: 'strict',
          scheme: 'IOB2',
          suffix: true,
        }),
      ),
    ).toEqual([[0, 'PER', 0, 2]]);
    expect(asTuples(extractEntities([['PER-B', 'PER-I', 'O']], { suffix: true }))).toEqual([
      [0, 'PER', 0, 2],
    ]);
  });

  it('lenient chunk rules on bare and unusual tags (150 random corpora)', () => {
    for (const c of fixture.lenientEdgeCases) {
      expect(asTuples(extractEntities(c.sentences))).toEqual(c.entities);
    }
  });

  fixture.cases.forEach((c) => {
    it(`${c.scheme}: lenient and strict entities of random sequences`, () => {
      if (lenientOk(c)) expect(asTuples(extractEntities(c.yTrue))).toEqual(c.lenientEntities);
      else expect(codeOf(() => extractEntities(c.yTrue))).toBe('UNKNOWN_LABEL');
      expect(asTuples(extractEntities(c.yTrue, { mode: 'strict', scheme: c.scheme }))).toEqual(
        c.strictEntities,
      );
    });
  });
});

describe('entity-level scores match seqeval', () => {
  it('README example: default 0.5 F1, strict IOB2 differs per type', () => {
    const { yTrue, yPred } = fixture.readme;
    sameScores(yTrue, yPred, fixture.readme.lenient, {});
    sameScores(yTrue, yPred, fixture.readme.strict, { mode: 'strict', scheme: 'IOB2' });
    const report = nerClassificationReport(yTrue, yPred, { mode: 'strict', scheme: 'IOB2' });
    expect(report.types.map((t) => [t.type, t.f1, t.support])).toEqual([
      ['MISC', 0, 1],
      ['PER', 1, 1],
    ]);
    expect(report.microAvg).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
  });

  fixture.cases.forEach((c) => {
    it(`${c.scheme}: all averages, beta and zero_division settings`, () => {
      if (lenientOk(c)) sameScores(c.yTrue, c.yPred, c.lenient, {});
      sameScores(c.yTrue, c.yPred, c.strict, { mode: 'strict', scheme: c.scheme });
    });
  });

  it('token accuracy counts every tag', () => {
    expect(nerAccuracy([['B-PER', 'O'], ['O']], [['B-PER', 'B-LOC'], ['O']])).toBe(2 / 3);
  });
});

describe('input validation', () => {
  it('names sentence and token of an invalid tag in strict mode', () => {
    const call = () =>
      nerPrecisionRecallFscore([['O', 'B-PER']], [['O', 'E-PER']], {
        mode: 'strict',
        scheme: 'IOB2',
      });
    expect(codeOf(call)).toBe('UNKNOWN_LABEL');
    expect(call).toThrow(/yPred\[0\]\[1\].*sentence 0, token 1/);
    expect(codeOf(() => extractEntities([['X-PER']], { mode: 'strict', scheme: 'IOB2' }))).toBe(
      'UNKNOWN_LABEL',
    );
    // seqeval only warns about non-entity tags in default mode; here they are errors.
    expect(() => extractEntities([['O'], ['B-PER', 'X-PER']])).toThrow(
      /sentences\[1\]\[1\].*sentence 1, token 1/,
    );
  });

  it('rejects mismatched, empty and malformed input', () => {
    expect(codeOf(() => nerPrecisionRecallFscore([['O']], [['O'], ['O']]))).toBe('LENGTH_MISMATCH');
    expect(codeOf(() => nerPrecisionRecallFscore([['O', 'O']], [['O']]))).toBe('LENGTH_MISMATCH');
    expect(codeOf(() => nerPrecisionRecallFscore([], []))).toBe('EMPTY_INPUT');
    expect(codeOf(() => extractEntities([['B-PER', '']]))).toBe('UNKNOWN_LABEL');
    expect(codeOf(() => extractEntities([['O']], { mode: 'strict' }))).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() => extractEntities([['O']], { mode: 'strict', scheme: 'IOX' as TaggingScheme })),
    ).toBe('INVALID_ARGUMENT');
  });
});
