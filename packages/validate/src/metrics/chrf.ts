// chrF and chrF++ compatible with sacreBLEU 2.x (character n-grams, optional word n-grams, best of
// several references), plus per-sentence sufficient statistics for bootstrap resampling.

import { ValidateError } from '../errors.js';
import { checkSufficientStats, corpusFromSentenceStats } from './sufficient-stats.js';
import { codePointsIfNeeded, normalizeReferences, pyRemoveWhitespace, pySplit } from './text.js';
import { checkInteger } from './utils.js';

/** Options that turn summed statistics into a score (see `chrfFromStats`). */
export interface ChrfScoreOptions {
  /**
   * Character n-gram order.
   * @default 6
   */
  charOrder?: number;
  /**
   * Word n-gram order: 0 for chrF, 2 for chrF++.
   * @default 0
   */
  wordOrder?: number;
  /**
   * Weight of recall relative to precision.
   * @default 2
   */
  beta?: number;
  /**
   * chrF++.py/NLTK/Moses epsilon smoothing instead of sacreBLEU's default of averaging only the
   * orders that occur in both hypothesis and reference.
   * @default false
   */
  epsSmoothing?: boolean;
}

/** Options for scoring text; the statistics of one run can only be combined with the same options. */
export interface ChrfOptions extends ChrfScoreOptions {
  /**
   * Lowercase hypotheses and references first.
   * @default false
   */
  lowercase?: boolean;
  /**
   * Keep whitespace inside character n-grams (sacreBLEU's `whitespace=True`).
   * @default false
   */
  includeWhitespace?: boolean;
}

export interface ChrfResult {
  /** chrF (chrF++ when wordOrder is 2) in 0–100. */
  score: number;
  /** e.g. `chrF2` or `chrF2++`, as sacreBLEU names it. */
  name: string;
  charOrder: number;
  wordOrder: number;
  beta: number;
}

const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** sacreBLEU's `_remove_punctuation`: splits one leading or trailing ASCII punctuation mark off each word. */
function wordsForChrfPlus(sentence: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sentence)) {
    // Python indexes code points; a one-code-point word stays whole even if it is two UTF-16 units.
    const chars = codePointsIfNeeded(w);
    if (chars.length === 1) {
      out.push(w);
      continue;
    }
    const first = chars[0]!;
    const last = chars[chars.length - 1]!;
    if (PUNCTUATION.has(last)) out.push(w.slice(0, w.length - last.length), last);
    else if (PUNCTUATION.has(first)) out.push(first, w.slice(first.length));
    else out.push(w);
  }
  return out;
}

const CHAR_ROOT = 0;
const WORD_ROOT = 1;

/**
 * Counts chrF matches of one hypothesis against each of its references without a string per
 * n-gram: characters (code points) and words get small per-sentence ids, each distinct n-gram is a
 * node of a trie over them (characters under one root, words under another), and counts live in
 * typed arrays indexed by node. Reused across sentences so the arrays are allocated once.
 */
class ChrfMatcher {
  private readonly charIds = new Map<string, number>();
  private readonly wordIds = new Map<string, number>();
  private readonly edges = new Map<number, number>();
  /** Statistics slot of each node: char order n -> n - 1, word order n -> charOrder + n - 1. */
  private slot: Int32Array = new Int32Array(4096);
  private hypCount: Int32Array = new Int32Array(4096);
  private refCount: Int32Array = new Int32Array(4096);
  private nodeCount = 2;

  constructor(private readonly o: Required<ChrfOptions>) {}

  /** `[hyp, ref, match]` per order against each reference, in reference order. */
  statsPerReference(hypothesis: string, references: readonly string[]): number[][] {
    const { charOrder, wordOrder } = this.o;
    this.charIds.clear();
    this.wordIds.clear();
    this.edges.clear();
    this.nodeCount = 2;
    const hyp = this.units(hypothesis);
    const refs = references.map((r) => this.units(r));
    const vocab = Math.max(this.charIds.size, this.wordIds.size, 1);
    const hypNodes = this.nodes(hyp, vocab);
    const refNodes = refs.map((r) => this.nodes(r, vocab));
    const { hypCount, refCount, slot } = this;
    for (const node of hypNodes) hypCount[node]! += 1;

    const order = charOrder + wordOrder;
    const hypTotals = this.totals(hyp);
    const out = refs.map((ref, r) => {
      const refTotals = this.totals(ref);
      const match = new Array<number>(order).fill(0);
      const nodes = refNodes[r]!;
      for (const node of nodes) refCount[node]! += 1;
      for (const node of nodes) {
        const rc = refCount[node]!;
        // Each distinct n-gram is credited once: zeroing marks it done.
        if (rc > 0) {
          match[slot[node]!]! += Math.min(rc, hypCount[node]!);
          refCount[node] = 0;
        }
      }
      const stats: number[] = [];
      for (let k = 0; k < order; k++) {
        // As sacreBLEU: hypothesis n-grams do not count when the reference has none of that order.
        stats.push(refTotals[k]! > 0 ? hypTotals[k]! : 0, refTotals[k]!, match[k]!);
      }
      return stats;
    });
    for (const node of hypNodes) hypCount[node] = 0;
    return out;
  }

  private units(line: string): { chars: number[]; words: number[] } {
    const text = this.o.lowercase ? line.toLowerCase() : line;
    const chars: number[] = [];
    // for..of walks code points, as Python indexes strings.
    for (const ch of this.o.includeWhitespace ? text : pyRemoveWhitespace(text)) {
      chars.push(intern(this.charIds, ch));
    }
    const words =
      this.o.wordOrder > 0 ? wordsForChrfPlus(text).map((w) => intern(this.wordIds, w)) : [];
    return { chars, words };
  }

  private totals(u: { chars: number[]; words: number[] }): number[] {
    const out: number[] = [];
    for (let n = 1; n <= this.o.charOrder; n++) out.push(Math.max(0, u.chars.length - n + 1));
    for (let n = 1; n <= this.o.wordOrder; n++) out.push(Math.max(0, u.words.length - n + 1));
    return out;
  }

  private nodes(u: { chars: number[]; words: number[] }, vocab: number): number[] {
    const out: number[] = [];
    this.walk(u.chars, CHAR_ROOT, this.o.charOrder, 0, vocab, out);
    this.walk(u.words, WORD_ROOT, this.o.wordOrder, this.o.charOrder, vocab, out);
    return out;
  }

  private walk(
    ids: readonly number[],
    root: number,
    maxOrder: number,
    slotOffset: number,
    vocab: number,
    out: number[],
  ): void {
    for (let i = 0; i < ids.length; i++) {
      let node = root;
      const last = Math.min(ids.length, i + maxOrder);
      for (let j = i; j < last; j++) {
        // node < 2 + 8·units and id < units, so the key is exact far beyond any real sentence.
        const key = node * vocab + ids[j]!;
        let child = this.edges.get(key);
        if (child === undefined) {
          child = this.nodeCount++;
          this.edges.set(key, child);
          this.ensureCapacity(this.nodeCount);
          this.slot[child] = slotOffset + j - i;
        }
        node = child;
        out.push(node);
      }
    }
  }

  private ensureCapacity(size: number): void {
    if (size <= this.slot.length) return;
    let cap = this.slot.length;
    while (cap < size) cap *= 2;
    const grow = (a: Int32Array): Int32Array => {
      const b = new Int32Array(cap);
      b.set(a);
      return b;
    };
    this.slot = grow(this.slot);
    this.hypCount = grow(this.hypCount);
    this.refCount = grow(this.refCount);
  }
}

function intern(ids: Map<string, number>, key: string): number {
  let id = ids.get(key);
  if (id === undefined) {
    id = ids.size;
    ids.set(key, id);
  }
  return id;
}

function resolveScoreOptions(options: ChrfScoreOptions): Required<ChrfScoreOptions> {
  const { charOrder = 6, wordOrder = 0, beta = 2, epsSmoothing = false } = options;
  checkInteger(charOrder, 'options.charOrder', 0);
  checkInteger(wordOrder, 'options.wordOrder', 0);
  if (charOrder + wordOrder === 0) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'is 0 and so is wordOrder; use at least one order',
      {
        field: 'options.charOrder',
      },
    );
  }
  if (!Number.isFinite(beta) || beta < 0) {
    throw new ValidateError('INVALID_ARGUMENT', `is ${beta}; pass a finite number >= 0`, {
      field: 'options.beta',
    });
  }
  return { charOrder, wordOrder, beta, epsSmoothing };
}

/** sacreBLEU's `CHRF._compute_f_score` over `[hyp, ref, match]` triples, in 0–100. */
function fScore(stats: readonly number[], o: Required<ChrfScoreOptions>): number {
  const eps = 1e-16;
  const factor = o.beta ** 2;
  const order = o.charOrder + o.wordOrder;
  let score = 0;
  let effectiveOrder = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder += 1;
    }
  }
  if (o.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) return 0;
  avgPrec /= effectiveOrder;
  avgRec /= effectiveOrder;
  if (avgPrec + avgRec === 0) return 0;
  return (100 * ((1 + factor) * avgPrec * avgRec)) / (factor * avgPrec + avgRec);
}

function resolveOptions(options: ChrfOptions): Required<ChrfOptions> {
  const { lowercase = false, includeWhitespace = false } = options;
  return { ...resolveScoreOptions(options), lowercase, includeWhitespace };
}

/**
 * Per-sentence sufficient statistics, laid out as sacreBLEU's: a `[hyp, ref, match]` triple per
 * order (character orders first, then word orders), taken from the reference that gives the best
 * sentence-level score. Sum rows with `sumSufficientStats`, score with `chrfFromStats`.
 * @param references `references[i]` is the reference (or references) of `hypotheses[i]`.
 */
export function chrfSentenceStats(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
  options: ChrfOptions = {},
): number[][] {
  const o = resolveOptions(options);
  const refsPerHyp = normalizeReferences(hypotheses, references);
  const matcher = new ChrfMatcher(o);
  const rows: number[][] = new Array(hypotheses.length);
  for (let i = 0; i < hypotheses.length; i++) {
    let best: number[] = [];
    let bestF = -1;
    // The first reference with the highest sentence-level score wins, as in sacreBLEU.
    for (const stats of matcher.statsPerReference(hypotheses[i]!, refsPerHyp[i]!)) {
      const f = fScore(stats, o);
      if (f > bestF) {
        bestF = f;
        best = stats;
      }
    }
    rows[i] = best;
  }
  return rows;
}

function makeResult(score: number, o: Required<ChrfScoreOptions>): ChrfResult {
  return {
    score,
    name: `chrF${o.beta}${'+'.repeat(o.wordOrder)}`,
    charOrder: o.charOrder,
    wordOrder: o.wordOrder,
    beta: o.beta,
  };
}

/**
 * chrF from (summed) sufficient statistics.
 * @param stats `[hyp, ref, match]` per order, e.g. from `sumSufficientStats`.
 */
export function chrfFromStats(
  stats: readonly number[],
  options: ChrfScoreOptions = {},
): ChrfResult {
  const o = resolveScoreOptions(options);
  const expected = 3 * (o.charOrder + o.wordOrder);
  checkSufficientStats(
    stats,
    expected,
    `(3 per order) for charOrder ${o.charOrder} and wordOrder ${o.wordOrder}`,
  );
  return makeResult(fScore(stats, o), o);
}

/**
 * Corpus chrF like sacreBLEU's `corpus_chrf` (chrF++ with `wordOrder: 2`), references given per
 * hypothesis: sacreBLEU's reference streams `refs[k][i]` become `references[i][k]` here.
 */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
  options: ChrfOptions = {},
): ChrfResult {
  return corpusFromSentenceStats(hypotheses, references, options, chrfSentenceStats, chrfFromStats);
}

/** Sentence chrF like sacreBLEU's `sentence_chrf`. */
export function sentenceChrf(
  hypothesis: string,
  references: string | readonly string[],
  options: ChrfOptions = {},
): ChrfResult {
  return corpusChrf([hypothesis], [references], options);
}
