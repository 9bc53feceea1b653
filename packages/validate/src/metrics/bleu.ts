// BLEU compatible with sacreBLEU 2.x (corpus and sentence level, multiple references, 13a/intl/none
// tokenisation, exp/floor/add-k/none smoothing), plus per-sentence sufficient statistics for bootstrap.

import { ValidateError } from '../errors.js';
import { checkSufficientStats, corpusFromSentenceStats } from './sufficient-stats.js';
import { normalizeReferences, pyRstrip, pySplit } from './text.js';
import { tokenize13a } from './tokenize-13a.js';
import { tokenizeIntl } from './tokenize-intl.js';
import { checkInteger } from './utils.js';

/** Tokenisers BLEU can apply before counting n-grams, by sacreBLEU name. */
export const bleuTokenizers = {
  /** No tokenisation: the input is split on whitespace as is (pre-tokenised text). */
  none: (line: string): string => line,
  /** mteval-v13a, sacreBLEU's default. */
  '13a': tokenize13a,
  /** mteval-v14 international: Unicode punctuation and symbols. */
  intl: tokenizeIntl,
} as const satisfies Record<string, (line: string) => string>;

export type BleuTokenizerName = keyof typeof bleuTokenizers;

/** Smoothing methods of Chen & Cherry (2014) as sacreBLEU names them. */
export type BleuSmoothMethod = 'none' | 'floor' | 'add-k' | 'exp';

const SMOOTH_DEFAULTS: Record<BleuSmoothMethod, number> = {
  none: 0,
  floor: 0.1,
  'add-k': 1,
  exp: 0,
};

/** Options that turn summed statistics into a score (see `bleuFromStats`). */
export interface BleuScoreOptions {
  /**
   * `exp` (NIST, mteval-v13a), `floor` (zero precisions become smoothValue / total), `add-k`
   * (add smoothValue to counts and totals for n > 1) or `none`.
   * @default 'exp'
   */
  smoothMethod?: BleuSmoothMethod;
  /**
   * Value for `floor` and `add-k`; ignored by the others.
   * @default 0.1 for floor, 1 for add-k
   */
  smoothValue?: number;
  /**
   * Average only over the n-gram orders the hypothesis has (sacreBLEU's `use_effective_order`).
   * @default false (true in `sentenceBleu`)
   */
  effectiveOrder?: boolean;
  /**
   * Largest n-gram order.
   * @default 4
   */
  maxNgramOrder?: number;
}

/** Options for scoring text; the statistics of one run can only be combined with the same options. */
export interface BleuOptions extends BleuScoreOptions {
  /**
   * Tokeniser applied to hypotheses and references after `lowercase`.
   * @default '13a'
   */
  tokenize?: BleuTokenizerName;
  /**
   * Lowercase hypotheses and references first (case-insensitive BLEU).
   * @default false
   */
  lowercase?: boolean;
}

export interface BleuResult {
  /** BLEU in 0–100. */
  score: number;
  /**
   * Matched n-grams per order (1..maxNgramOrder). As in sacreBLEU, `add-k` smoothing has added
   * its value to orders > 1 here and in `totals`.
   */
  counts: number[];
  /** Hypothesis n-grams per order. */
  totals: number[];
  /** Modified n-gram precisions in percent, after smoothing. */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Hypothesis length in tokens. */
  sysLen: number;
  /** Closest reference length in tokens (the shorter one on ties). */
  refLen: number;
  /** sysLen / refLen (0 when refLen is 0). */
  ratio: number;
}

/**
 * Matches the n-grams of one hypothesis against its references without building a string per
 * n-gram: tokens get small per-sentence ids, every distinct n-gram becomes a node of a trie over
 * those ids (edge key `parent * vocabSize + token`, a small integer), and counts live in typed
 * arrays indexed by node. Reused across sentences so the arrays are allocated once.
 */
class SentenceMatcher {
  private readonly tokenIds = new Map<string, number>();
  private readonly edges = new Map<number, number>();
  private depth: Int32Array = new Int32Array(1024);
  private refMax: Int32Array = new Int32Array(1024);
  private scratch: Int32Array = new Int32Array(1024);
  private nodeCount = 1;

  constructor(private readonly maxOrder: number) {}

  /** Adds `[hypLen, refLen, correct_1..N, total_1..N]` of one sentence to `row` (zeroed). */
  stats(hyp: readonly string[], refs: readonly (readonly string[])[], row: number[]): void {
    const N = this.maxOrder;
    this.tokenIds.clear();
    this.edges.clear();
    this.nodeCount = 1;
    for (const tokens of refs) this.assignIds(tokens);
    this.assignIds(hyp);
    const vocab = this.tokenIds.size;
    const refNodes = refs.map((tokens) => this.nodes(tokens, vocab));
    const hypNodes = this.nodes(hyp, vocab);
    this.ensureCapacity(this.nodeCount);
    const { refMax, scratch, depth } = this;
    refMax.fill(0, 0, this.nodeCount);

    for (const list of refNodes) {
      for (const node of list) scratch[node]! += 1;
      for (const node of list) {
        if (scratch[node]! > refMax[node]!) refMax[node] = scratch[node]!;
      }
      for (const node of list) scratch[node] = 0;
    }
    for (const node of hypNodes) scratch[node]! += 1;
    for (const node of hypNodes) {
      const c = scratch[node]!;
      // Each distinct n-gram is credited once: zeroing marks it done.
      if (c > 0) {
        row[1 + depth[node]!]! += Math.min(c, refMax[node]!);
        scratch[node] = 0;
      }
    }
    const hypLen = hyp.length;
    row[0] = hypLen;
    row[1] = closestRefLen(
      hypLen,
      refs.map((r) => r.length),
    );
    for (let n = 1; n <= N; n++) row[1 + N + n] = Math.max(0, hypLen - n + 1);
  }

  private assignIds(tokens: readonly string[]): void {
    for (const tok of tokens) {
      if (!this.tokenIds.has(tok)) this.tokenIds.set(tok, this.tokenIds.size);
    }
  }

  /** Node id of every n-gram occurrence of order 1..maxOrder in `tokens`. */
  private nodes(tokens: readonly string[], vocab: number): number[] {
    const ids = tokens.map((tok) => this.tokenIds.get(tok)!);
    const out: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      let node = 0;
      let order = 0;
      const last = Math.min(ids.length, i + this.maxOrder);
      for (let j = i; j < last; j++) {
        order += 1;
        // node < 4·tokens and id < tokens, so the key is exact far beyond any real sentence.
        const key = node * vocab + ids[j]!;
        let child = this.edges.get(key);
        if (child === undefined) {
          child = this.nodeCount++;
          this.edges.set(key, child);
          this.ensureCapacity(this.nodeCount);
          this.depth[child] = order;
        }
        node = child;
        out.push(node);
      }
    }
    return out;
  }

  private ensureCapacity(size: number): void {
    if (size <= this.depth.length) return;
    let cap = this.depth.length;
    while (cap < size) cap *= 2;
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.depth = grow(this.depth);
    this.refMax = grow(this.refMax);
    this.scratch = grow(this.scratch);
  }
}

function resolveScoreOptions(options: BleuScoreOptions): Required<BleuScoreOptions> {
  const { smoothMethod = 'exp', effectiveOrder = false, maxNgramOrder = 4 } = options;
  if (!Object.hasOwn(SMOOTH_DEFAULTS, smoothMethod)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is '${String(smoothMethod)}'; use one of ${Object.keys(SMOOTH_DEFAULTS).join(', ')}`,
      { field: 'options.smoothMethod' },
    );
  }
  const smoothValue = options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod];
  if (!Number.isFinite(smoothValue) || smoothValue < 0) {
    throw new ValidateError('INVALID_ARGUMENT', `is ${smoothValue}; pass a finite number >= 0`, {
      field: 'options.smoothValue',
    });
  }
  checkInteger(maxNgramOrder, 'options.maxNgramOrder', 1);
  return { smoothMethod, smoothValue, effectiveOrder, maxNgramOrder };
}

function resolveTokenizer(options: BleuOptions): (line: string) => string {
  const { tokenize = '13a' } = options;
  if (!Object.hasOwn(bleuTokenizers, tokenize)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is '${String(tokenize)}'; use one of ${Object.keys(bleuTokenizers).join(', ')}`,
      { field: 'options.tokenize' },
    );
  }
  return bleuTokenizers[tokenize];
}

/** sacreBLEU's `_get_closest_ref_len`: the closest length, the shorter one on ties. */
function closestRefLen(hypLen: number, refLens: readonly number[]): number {
  let closestDiff = -1;
  let closestLen = -1;
  for (const refLen of refLens) {
    const diff = Math.abs(hypLen - refLen);
    if (closestDiff === -1 || diff < closestDiff) {
      closestDiff = diff;
      closestLen = refLen;
    } else if (diff === closestDiff && refLen < closestLen) {
      closestLen = refLen;
    }
  }
  return closestLen;
}

/**
 * Per-sentence sufficient statistics, laid out as sacreBLEU's:
 * `[sysLen, refLen, correct_1..correct_N, total_1..total_N]` with N = `maxNgramOrder`.
 * Sum any subset of rows with `sumSufficientStats` and score the sum with `bleuFromStats`.
 * @param references `references[i]` is the reference (or references) of `hypotheses[i]`.
 */
export function bleuSentenceStats(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
  options: BleuOptions = {},
): number[][] {
  const { lowercase = false } = options;
  const { maxNgramOrder } = resolveScoreOptions(options);
  const tokenizer = resolveTokenizer(options);
  const refsPerHyp = normalizeReferences(hypotheses, references);
  const preprocess = (line: string): string[] =>
    pySplit(tokenizer(pyRstrip(lowercase ? line.toLowerCase() : line)));

  const matcher = new SentenceMatcher(maxNgramOrder);
  const rows: number[][] = new Array(hypotheses.length);
  for (let i = 0; i < hypotheses.length; i++) {
    const row = new Array<number>(2 + 2 * maxNgramOrder).fill(0);
    matcher.stats(preprocess(hypotheses[i]!), refsPerHyp[i]!.map(preprocess), row);
    rows[i] = row;
  }
  return rows;
}

/** sacreBLEU's `my_log`: log with log(0) floored to -9999999999 so the score becomes 0. */
function flooredLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/**
 * BLEU from (summed) sufficient statistics, a port of sacreBLEU's `BLEU.compute_bleu`.
 * @param stats `[sysLen, refLen, correct_1..N, total_1..N]`, e.g. from `sumSufficientStats`.
 */
export function bleuFromStats(
  stats: readonly number[],
  options: BleuScoreOptions = {},
): BleuResult {
  const { smoothMethod, smoothValue, effectiveOrder, maxNgramOrder } = resolveScoreOptions(options);
  checkSufficientStats(
    stats,
    2 + 2 * maxNgramOrder,
    `for maxNgramOrder ${maxNgramOrder} ([sysLen, refLen, correct..., total...])`,
  );
  const sysLen = stats[0]!;
  const refLen = stats[1]!;
  const correct = stats.slice(2, 2 + maxNgramOrder);
  const total = stats.slice(2 + maxNgramOrder);

  let bp = 1;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0;
  const precisions = new Array<number>(maxNgramOrder).fill(0);
  const ratio = refLen ? sysLen / refLen : 0;

  // No match at all: score 0 whatever the smoothing (sacreBLEU issue #141).
  if (!correct.some((c) => c !== 0)) {
    return { score: 0, counts: correct, totals: total, precisions, bp, sysLen, refLen, ratio };
  }

  let smoothMteval = 1;
  let effOrder = maxNgramOrder;
  for (let n = 1; n <= maxNgramOrder; n++) {
    if (smoothMethod === 'add-k' && n > 1) {
      correct[n - 1]! += smoothValue;
      total[n - 1]! += smoothValue;
    }
    const tot = total[n - 1]!;
    if (tot === 0) break;
    if (effectiveOrder) effOrder = n;
    const cor = correct[n - 1]!;
    if (cor === 0) {
      if (smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * tot);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / tot;
      }
    } else {
      precisions[n - 1] = (100 * cor) / tot;
    }
  }
  let logSum = 0;
  for (let n = 0; n < effOrder; n++) logSum += flooredLog(precisions[n]!);
  const score = bp * Math.exp(logSum / effOrder);
  return { score, counts: correct, totals: total, precisions, bp, sysLen, refLen, ratio };
}

/**
 * Corpus BLEU like sacreBLEU's `corpus_bleu`, with the references given per hypothesis:
 * sacreBLEU's reference streams `refs[k][i]` become `references[i][k]` here.
 */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
  options: BleuOptions = {},
): BleuResult {
  return corpusFromSentenceStats(hypotheses, references, options, bleuSentenceStats, bleuFromStats);
}

/**
 * Sentence BLEU like sacreBLEU's `sentence_bleu`: effective order is on unless turned off.
 * @param references One reference or several.
 */
export function sentenceBleu(
  hypothesis: string,
  references: string | readonly string[],
  options: BleuOptions = {},
): BleuResult {
  const { effectiveOrder = true } = options;
  return corpusBleu([hypothesis], [references], { ...options, effectiveOrder });
}
