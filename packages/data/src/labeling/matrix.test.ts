import { describe, expect, it } from 'vitest';
import {
  applyLabelingFunctions,
  customLF,
  DataError,
  type LabelMatrix,
  lfAnalysis,
  majorityVote,
} from '../index.js';

type AB = 'a' | 'b';
// Six records, three LFs; each record carries the votes the LFs should return.
const VOTES: (AB | null)[][] = [
  ['a', 'a', null], // overlap, no conflict
  ['a', 'b', null], // overlap, conflict (a tie)
  [null, 'b', 'b'], // overlap, no conflict
  ['b', null, null], // single vote
  [null, null, null], // uncovered
  ['a', 'b', 'b'], // overlap, conflict
];
const records = VOTES.map((votes) => ({ votes }));
const lfs = [0, 1, 2].map((j) =>
  customLF<AB>(`lf${j}`, (r) => (r.votes as (AB | null)[])[j] ?? null),
);

describe('applyLabelingFunctions', () => {
  it('builds a row-major Int32 matrix with −1 for abstain and sorted labels', () => {
    const matrix = applyLabelingFunctions(records, lfs);
    expect(matrix.labels).toEqual(['a', 'b']);
    expect(matrix.lfNames).toEqual(['lf0', 'lf1', 'lf2']);
    expect([matrix.n, matrix.m]).toEqual([6, 3]);
    expect(matrix.values).toBeInstanceOf(Int32Array);
    expect(Array.from(matrix.values)).toEqual([
      0, 0, -1, 0, 1, -1, -1, 1, 1, 1, -1, -1, -1, -1, -1, 0, 1, 1,
    ]);
  });

  it('uses the given label order and accepts any iterable', () => {
    const matrix = applyLabelingFunctions(records.values(), lfs, { labels: ['b', 'a'] });
    expect(matrix.labels).toEqual(['b', 'a']);
    expect(Array.from(matrix.values.subarray(0, 6))).toEqual([1, 1, -1, 1, 0, -1]);
  });

  it('names the LF and the record index when an LF throws', () => {
    const bad = customLF<AB>('fragile', (r) => {
      if (r.id === 2) throw new Error('boom');
      return 'a';
    });
    const error = (() => {
      try {
        applyLabelingFunctions([{ id: 0 }, { id: 1 }, { id: 2 }], [bad]);
      } catch (e) {
        return e;
      }
    })() as DataError;
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain('"fragile"');
    expect(error.message).toContain('record index 2');
    expect(error.message).toContain('boom');
    expect(error.line).toBe(3);
    expect((error.cause as Error).message).toBe('boom');
  });

  it('rejects votes outside the label set, non-string votes and duplicate LF names', () => {
    expect(() => applyLabelingFunctions(records, lfs, { labels: ['a'] })).toThrow(
      /voted "b" on record index 1/,
    );
    const undef = customLF('forgot', () => undefined as never);
    expect(() => applyLabelingFunctions([{}], [undef])).toThrow(/"forgot" returned undefined/);
    expect(() => applyLabelingFunctions([{}], [lfs[0]!, lfs[0]!])).toThrow(
      /two labelling functions are named "lf0"/,
    );
  });
});

describe('majorityVote', () => {
  const matrix = applyLabelingFunctions(records, lfs);

  it('gives the most-voted label, null when uncovered, null on ties by default', () => {
    expect(majorityVote(matrix)).toEqual(['a', null, 'b', 'b', null, 'b']);
  });

  it('breaks ties at random, reproducibly for a seed, choosing only among the tied labels', () => {
    const ties: LabelMatrix<'x' | 'y' | 'z'> = {
      labels: ['x', 'y', 'z'],
      lfNames: ['p', 'q'],
      n: 200,
      m: 2,
      values: Int32Array.from({ length: 400 }, (_, p) => (p % 2 === 0 ? 0 : 1)),
    };
    const first = majorityVote(ties, { tieBreak: 'random', seed: 5 });
    expect(majorityVote(ties, { tieBreak: 'random', seed: 5 })).toEqual(first);
    expect(majorityVote(ties, { tieBreak: 'random', seed: 6 })).not.toEqual(first);
    const xs = first.filter((l) => l === 'x').length;
    const ys = first.filter((l) => l === 'y').length;
    expect(xs + ys).toBe(200);
    expect(xs).toBeGreaterThan(70);
    expect(ys).toBeGreaterThan(70);
    const rnd = majorityVote(matrix, { tieBreak: 'random', seed: 1 });
    expect(['a', 'b']).toContain(rnd[1]);
    expect([rnd[0], rnd[2], rnd[3], rnd[4], rnd[5]]).toEqual(['a', 'b', 'b', null, 'b']);
  });

  it('rejects a malformed matrix', () => {
    const broken = { ...matrix, values: new Int32Array(5) };
    expect(() => majorityVote(broken)).toThrow(/holds 5 values but n × m = 18/);
    const outOfRange = {
      ...matrix,
      values: Int32Array.from(matrix.values, (v) => (v === 1 ? 7 : v)),
    };
    expect(() => majorityVote(outOfRange)).toThrow(/value 7 at record 1, LF "lf1"/);
    expect(() => majorityVote(matrix, { tieBreak: 'coin' as never })).toThrow(DataError);
  });
});

describe('lfAnalysis', () => {
  const matrix = applyLabelingFunctions(records, lfs);

  it('matches hand-computed coverage, overlaps, conflicts and polarity', () => {
    const { lfs: summary, totals } = lfAnalysis(matrix);
    // lf0 votes on r0 r1 r3 r5; others also vote on r0 r1 r5; disagree on r1 r5.
    expect(summary[0]).toEqual({
      name: 'lf0',
      polarity: ['a', 'b'],
      coverage: 4 / 6,
      overlaps: 3 / 6,
      conflicts: 2 / 6,
    });
    // lf1 votes on r0 r1 r2 r5, always with company; disagreement on r1 r5.
    expect(summary[1]).toEqual({
      name: 'lf1',
      polarity: ['a', 'b'],
      coverage: 4 / 6,
      overlaps: 4 / 6,
      conflicts: 2 / 6,
    });
    // lf2 votes "b" on r2 r5; only r5 has a different vote (lf0's "a").
    expect(summary[2]).toEqual({
      name: 'lf2',
      polarity: ['b'],
      coverage: 2 / 6,
      overlaps: 2 / 6,
      conflicts: 1 / 6,
    });
    expect(totals).toEqual({ coverage: 5 / 6, overlap: 4 / 6, conflict: 2 / 6 });
  });

  it('counts empirical accuracy against gold, skipping unknown gold', () => {
    const gold: (AB | null)[] = ['a', 'a', 'b', 'a', 'b', 'b'];
    const { lfs: summary } = lfAnalysis(matrix, { gold });
    expect(summary.map((s) => [s.correct, s.incorrect, s.empiricalAccuracy])).toEqual([
      [2, 2, 0.5],
      [3, 1, 0.75],
      [2, 0, 1],
    ]);
    const partial = lfAnalysis(matrix, { gold: [null, 'a', 'b', 'a', 'b', null] }).lfs;
    expect(partial.map((s) => [s.correct, s.incorrect])).toEqual([
      [1, 1],
      [1, 1],
      [1, 0],
    ]);
    const never = lfAnalysis(matrix, { gold: [null, null, null, null, null, null] }).lfs;
    expect(never[0]?.empiricalAccuracy).toBeNaN();
  });

  it('rejects gold of the wrong length', () => {
    expect(() => lfAnalysis(matrix, { gold: ['a'] })).toThrow(
      /gold has 1 labels but the label matrix has 6 records/,
    );
  });
});
