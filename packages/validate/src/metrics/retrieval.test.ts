// Retrieval metrics against scikit-learn 1.2 ndcg_score (fixtures/retrieval.py) and
// hand-computed ranked lists.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RetrievalQuery } from '../index.js';
import {
  evaluateRetrieval,
  hitRate,
  meanReciprocalRank,
  ndcgAtK,
  ndcgScore,
  precisionAtK,
  recallAtK,
} from '../index.js';
import { close, codeOf } from './test-helpers.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/retrieval.json', import.meta.url), 'utf8'),
) as {
  matrices: Array<{
    yTrue: number[][];
    yScore: number[][];
    results: Array<{ k: number | null; ignoreTies: boolean; ndcg: number }>;
  }>;
  rankedLists: { queries: RetrievalQuery[]; ndcgAt4: number; perQueryAt4: number[] };
};

const queries: RetrievalQuery[] = [
  { retrieved: ['a', 'b', 'c', 'd', 'e'], relevant: ['b', 'e', 'x'] },
  { retrieved: ['p', 'q'], relevant: { q: 2, r: 1, p: 0 } },
];

describe('ranked-list retrieval metrics (hand-computed)', () => {
  it('recall, precision, MRR and hit rate at k = 3', () => {
    close(precisionAtK(queries, { k: 3 }), 1 / 3);
    close(recallAtK(queries, { k: 3 }), (1 / 3 + 1 / 2) / 2);
    close(meanReciprocalRank(queries, { k: 3 }), 1 / 2);
    expect(hitRate(queries, { k: 1 })).toBe(0);
    expect(hitRate(queries, { k: 2 })).toBe(1);
    // MRR only counts ranks up to k
    expect(meanReciprocalRank(queries, { k: 1 })).toBe(0);
  });

  it('nDCG with linear and exponential gain', () => {
    const l3 = Math.log2(3);
    const report = evaluateRetrieval(queries, { k: 3, gain: 'exponential' });
    close(report.perQuery[0]!.ndcg, 1 / l3 / (1 + 1 / l3 + 1 / 2));
    close(report.perQuery[1]!.ndcg, 3 / l3 / (3 + 1 / l3));
    close(report.ndcg, (report.perQuery[0]!.ndcg + report.perQuery[1]!.ndcg) / 2);
    close(ndcgAtK([queries[1]!], { k: 3 }), 2 / l3 / (2 + 1 / l3));
  });

  it('matches scikit-learn ndcg_score on graded ranked lists', () => {
    const { queries: ranked, ndcgAt4, perQueryAt4 } = fixture.rankedLists;
    close(ndcgAtK(ranked, { k: 4 }), ndcgAt4);
    evaluateRetrieval(ranked, { k: 4 }).perQuery.forEach((s, i) => {
      close(s.ndcg, perQueryAt4[i]!);
    });
  });
});

describe('ndcgScore matches scikit-learn', () => {
  fixture.matrices.forEach((m, mi) => {
    it(`matrix ${mi} (tied scores averaged)`, () => {
      expect(m.results.length).toBeGreaterThan(0);
      for (const r of m.results) {
        close(
          ndcgScore(m.yTrue, m.yScore, { k: r.k ?? undefined, ignoreTies: r.ignoreTies }),
          r.ndcg,
        );
      }
    });
  });

  it('ignoreTies only matters when scores tie', () => {
    const yTrue = [[3, 2, 0, 1]];
    close(
      ndcgScore(yTrue, [[0.1, 0.4, 0.3, 0.2]], { ignoreTies: true }),
      ndcgScore(yTrue, [[0.1, 0.4, 0.3, 0.2]]),
    );
    // All scores tied: every rank gets the mean gain 1.5.
    const l = (r: number) => 1 / Math.log2(r + 1);
    const idcg = 3 * l(1) + 2 * l(2) + 1 * l(3);
    close(ndcgScore(yTrue, [[0.5, 0.5, 0.5, 0.5]]), (1.5 * (l(1) + l(2) + l(3) + l(4))) / idcg);
  });
});

describe('input validation', () => {
  it('rejects bad queries and matrices', () => {
    expect(codeOf(() => recallAtK([]))).toBe('EMPTY_INPUT');
    expect(codeOf(() => recallAtK([{ retrieved: ['a'], relevant: [] }]))).toBe('EMPTY_INPUT');
    expect(codeOf(() => recallAtK([{ retrieved: ['a', 'a'], relevant: ['a'] }]))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => recallAtK(queries, { k: 0 }))).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() => recallAtK([{ retrieved: [7 as unknown as string], relevant: ['7'] }])),
    ).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => ndcgAtK([{ retrieved: ['a'], relevant: { a: Number.NaN } }]))).toBe(
      'NOT_FINITE',
    );
    expect(codeOf(() => ndcgAtK([{ retrieved: ['a'], relevant: { a: -1 } }]))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      codeOf(() =>
        ndcgScore(
          [[1, 0]],
          [
            [0.1, 0.2],
            [0.3, 0.4],
          ],
        ),
      ),
    ).toBe('LENGTH_MISMATCH');
    expect(
      codeOf(() =>
        ndcgScore(
          [
            [1, 0],
            [1, 0, 1],
          ],
          [
            [0.1, 0.2],
            [0.3, 0.4],
          ],
        ),
      ),
    ).toBe('LENGTH_MISMATCH');
    expect(codeOf(() => ndcgScore([[1]], [[0.1]]))).toBe('EMPTY_INPUT');
    expect(() => ndcgAtK([queries[0]!, { retrieved: ['a', 'b', 'a'], relevant: ['a'] }])).toThrow(
      /queries\[1\]\.retrieved\[2\]/,
    );
  });
});
