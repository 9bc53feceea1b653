// Retrieval metrics averaged over queries: recall@k, precision@k, MRR, hit rate and nDCG@k on
// ranked lists, plus `ndcgScore` on score matrices with scikit-learn's `ndcg_score` semantics.

import { ValidateError } from '../errors.js';
import { checkFiniteArray, checkInteger, checkNonEmpty, checkPaired } from './utils.js';

/** One query: what the system returned, and which documents are relevant. */
export interface RetrievalQuery {
  /** Retrieved document ids, best first; each id at most once. */
  retrieved: readonly string[];
  /**
   * Relevant document ids (grade 1 each), or graded relevance by id. Grades must be >= 0; a grade
   * of 0 means judged but not relevant. Every query needs at least one grade above 0.
   */
  relevant: readonly string[] | Readonly<Record<string, number>>;
}

export interface RetrievalOptions {
  /** Cut-off rank: only the first `k` retrieved documents count. @default 10 */
  k?: number;
}

export interface NdcgOptions extends RetrievalOptions {
  /**
   * Gain of a document with grade g: `linear` is g (as scikit-learn's `ndcg_score`),
   * `exponential` is 2^g − 1 (as Burges et al. and TREC tools).
   * @default 'linear'
   */
  gain?: 'linear' | 'exponential';
}

/** Scores of one query at cut-off `k`. */
export interface QueryRetrievalScores {
  recall: number;
  precision: number;
  reciprocalRank: number;
  ndcg: number;
  hit: number;
}

/** Means over queries, plus each query's scores in input order. */
export interface RetrievalReport {
  k: number;
  recall: number;
  precision: number;
  mrr: number;
  ndcg: number;
  hitRate: number;
  perQuery: QueryRetrievalScores[];
}

interface Judged {
  retrieved: readonly string[];
  grades: Map<string, number>;
  relevantCount: number;
}

function judge(query: RetrievalQuery, i: number): Judged {
  const field = `queries[${i}]`;
  if (query === null || typeof query !== 'object' || !Array.isArray(query.retrieved)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'needs a retrieved array and relevant ids or grades',
      {
        field,
      },
    );
  }
  const seen = new Set<string>();
  query.retrieved.forEach((id, r) => {
    if (typeof id !== 'string') {
      throw new ValidateError('INVALID_ARGUMENT', `is ${typeof id}; document ids are strings`, {
        field: `${field}.retrieved[${r}]`,
      });
    }
    if (seen.has(id)) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        `repeats ${JSON.stringify(id)}; list each retrieved document once`,
        { field: `${field}.retrieved[${r}]` },
      );
    }
    seen.add(id);
  });
  const grades = new Map<string, number>();
  if (Array.isArray(query.relevant)) {
    for (const id of query.relevant as readonly string[]) grades.set(id, 1);
  } else if (query.relevant !== null && typeof query.relevant === 'object') {
    for (const [id, grade] of Object.entries(query.relevant)) {
      const gradeField = `${field}.relevant[${JSON.stringify(id)}]`;
      checkFiniteArray([grade], gradeField);
      if (grade < 0) {
        throw new ValidateError('INVALID_ARGUMENT', `is ${grade}; relevance grades must be >= 0`, {
          field: gradeField,
        });
      }
      grades.set(id, grade);
    }
  } else {
    throw new ValidateError('INVALID_ARGUMENT', 'must be an array of ids or an object of grades', {
      field: `${field}.relevant`,
    });
  }
  let relevantCount = 0;
  for (const g of grades.values()) if (g > 0) relevantCount++;
  if (relevantCount === 0) {
    throw new ValidateError(
      'EMPTY_INPUT',
      'has no relevant document, so recall and nDCG are undefined; drop the query or judge one relevant',
      { field: `${field}.relevant` },
    );
  }
  return { retrieved: query.retrieved, grades, relevantCount };
}

function gainOf(grade: number, gain: 'linear' | 'exponential'): number {
  return gain === 'linear' ? grade : 2 ** grade - 1;
}

function scoreQuery(q: Judged, k: number, gain: 'linear' | 'exponential'): QueryRetrievalScores {
  const top = Math.min(k, q.retrieved.length);
  let hits = 0;
  let dcg = 0;
  for (let r = 0; r < top; r++) {
    const grade = q.grades.get(q.retrieved[r]!) ?? 0;
    if (grade > 0) hits++;
    dcg += gainOf(grade, gain) / Math.log2(r + 2);
  }
  let reciprocalRank = 0;
  for (let r = 0; r < top; r++) {
    if ((q.grades.get(q.retrieved[r]!) ?? 0) > 0) {
      reciprocalRank = 1 / (r + 1);
      break;
    }
  }
  // The ideal list ranks every judged document by grade, retrieved or not.
  const ideal = [...q.grades.values()].sort((a, b) => b - a);
  let idcg = 0;
  for (let r = 0; r < Math.min(k, ideal.length); r++) {
    idcg += gainOf(ideal[r]!, gain) / Math.log2(r + 2);
  }
  return {
    recall: hits / q.relevantCount,
    precision: hits / k,
    reciprocalRank,
    ndcg: dcg / idcg,
    hit: hits > 0 ? 1 : 0,
  };
}

function meanOf(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * All retrieval metrics at cut-off `k`, averaged over queries. Precision@k divides by `k` even
 * when fewer documents were retrieved; MRR counts only ranks up to `k`.
 */
export function evaluateRetrieval(
  queries: readonly RetrievalQuery[],
  options: NdcgOptions = {},
): RetrievalReport {
  const { k = 10, gain = 'linear' } = options;
  checkInteger(k, 'options.k');
  if (gain !== 'linear' && gain !== 'exponential') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(gain)}; use linear or exponential`,
      {
        field: 'options.gain',
      },
    );
  }
  checkNonEmpty(queries, 'queries');
  const perQuery = queries.map((q, i) => scoreQuery(judge(q, i), k, gain));
  return {
    k,
    recall: meanOf(perQuery.map((s) => s.recall)),
    precision: meanOf(perQuery.map((s) => s.precision)),
    mrr: meanOf(perQuery.map((s) => s.reciprocalRank)),
    ndcg: meanOf(perQuery.map((s) => s.ndcg)),
    hitRate: meanOf(perQuery.map((s) => s.hit)),
    perQuery,
  };
}

/** Mean fraction of each query's relevant documents found in the top `k`. */
export function recallAtK(
  queries: readonly RetrievalQuery[],
  options: RetrievalOptions = {},
): number {
  return evaluateRetrieval(queries, options).recall;
}

/** Mean fraction of the top `k` slots holding a relevant document. */
export function precisionAtK(
  queries: readonly RetrievalQuery[],
  options: RetrievalOptions = {},
): number {
  return evaluateRetrieval(queries, options).precision;
}

/** Mean of 1 / rank of the first relevant document (0 when none is in the top `k`). */
export function meanReciprocalRank(
  queries: readonly RetrievalQuery[],
  options: RetrievalOptions = {},
): number {
  return evaluateRetrieval(queries, options).mrr;
}

/** Fraction of queries with at least one relevant document in the top `k`. */
export function hitRate(
  queries: readonly RetrievalQuery[],
  options: RetrievalOptions = {},
): number {
  return evaluateRetrieval(queries, options).hitRate;
}

/** Mean nDCG@k with graded relevance. */
export function ndcgAtK(queries: readonly RetrievalQuery[], options: NdcgOptions = {}): number {
  return evaluateRetrieval(queries, options).ndcg;
}

export interface NdcgScoreOptions {
  /** Only the top `k` documents by score count. @default every document */
  k?: number;
  /** Rank tied scores in an arbitrary order instead of averaging their gains. @default false */
  ignoreTies?: boolean;
}

/**
 * `sklearn.metrics.ndcg_score`: `yTrue[q][d]` is the (non-negative) relevance of document `d`
 * for query `q`, `yScore[q][d]` the system's score; linear gain, log2 discount, tied scores
 * share their averaged gain. Queries with no relevant document score 0, as in scikit-learn.
 */
export function ndcgScore(
  yTrue: readonly (readonly number[])[],
  yScore: readonly (readonly number[])[],
  options: NdcgScoreOptions = {},
): number {
  const { ignoreTies = false } = options;
  checkPaired(yTrue, yScore, ['yTrue', 'yScore']);
  const docs = yTrue[0]!.length;
  if (docs < 2) {
    throw new ValidateError(
      'EMPTY_INPUT',
      `has ${docs} document(s) per query; nDCG needs at least 2`,
      { field: 'yTrue[0]' },
    );
  }
  const { k = docs } = options;
  checkInteger(k, 'options.k');
  const discountCumsum = new Float64Array(docs);
  let acc = 0;
  for (let d = 0; d < docs; d++) {
    acc += d < k ? 1 / Math.log2(d + 2) : 0;
    discountCumsum[d] = acc;
  }
  const scores = yTrue.map((truth, q) => {
    const score = yScore[q]!;
    for (const [row, name] of [
      [truth, 'yTrue'],
      [score, 'yScore'],
    ] as const) {
      if (row.length !== docs) {
        throw new ValidateError(
          'LENGTH_MISMATCH',
          `has ${row.length} documents but yTrue[0] has ${docs}; give every query the same documents`,
          { field: `${name}[${q}]` },
        );
      }
      checkFiniteArray(row, `${name}[${q}]`);
    }
    truth.forEach((v, d) => {
      if (v < 0) {
        throw new ValidateError('INVALID_ARGUMENT', `is ${v}; relevance must be >= 0`, {
          field: `yTrue[${q}][${d}]`,
        });
      }
    });
    const ideal = [...truth].sort((a, b) => b - a);
    let idcg = 0;
    for (let d = 0; d < Math.min(k, docs); d++) idcg += ideal[d]! / Math.log2(d + 2);
    if (idcg === 0) return 0;
    return dcg(truth, score, k, ignoreTies, discountCumsum) / idcg;
  });
  return meanOf(scores);
}

function dcg(
  truth: readonly number[],
  score: readonly number[],
  k: number,
  ignoreTies: boolean,
  discountCumsum: Float64Array,
): number {
  const order = Array.from(score.keys()).sort((a, b) => score[b]! - score[a]!);
  if (ignoreTies) {
    let sum = 0;
    for (let r = 0; r < Math.min(k, order.length); r++) sum += truth[order[r]!]! / Math.log2(r + 2);
    return sum;
  }
  // Tied scores: every document of the group gets the group's mean gain, spread over the
  // group's summed discount (scikit-learn's `_tie_averaged_dcg`).
  let sum = 0;
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && score[order[end]!] === score[order[start]!]) end++;
    let groupGain = 0;
    for (let r = start; r < end; r++) groupGain += truth[order[r]!]!;
    const discount = discountCumsum[end - 1]! - (start > 0 ? discountCumsum[start - 1]! : 0);
    sum += (groupGain / (end - start)) * discount;
    start = end;
  }
  return sum;
}
