// ROUGE-N, ROUGE-L and ROUGE-Lsum as Google's rouge-score computes them (its default tokeniser,
// optional Porter stemming, summary-level union LCS), per sample, best-of-references and corpus mean.

import { ValidateError } from '../errors.js';
import { porterStem } from './porter-stemmer.js';
import { normalizeReferences } from './text.js';
import { checkNonEmpty } from './utils.js';

/** `rouge1`…`rouge9` (n-gram overlap), `rougeL` (LCS) or `rougeLsum` (summary-level LCS over lines). */
export type RougeType = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | 'rougeL' | 'rougeLsum';

export interface RougeOptions {
  /**
   * Which scores to compute.
   * @default ['rouge1', 'rouge2', 'rougeL', 'rougeLsum']
   */
  rougeTypes?: readonly RougeType[];
  /**
   * Stem tokens longer than 3 characters with the Porter stemmer (NLTK's default mode), as
   * rouge-score's `use_stemmer=True`.
   * @default false
   */
  useStemmer?: boolean;
}

export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

export type RougeScores = Partial<Record<RougeType, RougeScore>>;

export interface CorpusRougeResult {
  /** Mean over samples of each type's precision, recall and F-measure. */
  mean: RougeScores;
  /** Scores of each sample (against its best reference per type). */
  perSample: RougeScores[];
}

const DEFAULT_TYPES: readonly RougeType[] = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];
const ROUGE_N = /^rouge([1-9])$/;
const NON_ALPHANUMERIC = /[^a-z0-9]+/g;
const WHITESPACE = /\s+/;
const VALID_TOKEN = /^[a-z0-9]+$/;

type Stemmer = (word: string) => string;

function makeCachedStemmer(): Stemmer {
  const cache = new Map<string, string>();
  return (word) => {
    let stem = cache.get(word);
    if (stem === undefined) {
      stem = porterStem(word);
      cache.set(word, stem);
    }
    return stem;
  };
}

function tokenizeWith(text: string, stem: Stemmer | undefined): string[] {
  const words = text.toLowerCase().replace(NON_ALPHANUMERIC, ' ').split(WHITESPACE);
  const out: string[] = [];
  for (const w of words) {
    const token = stem !== undefined && w.length > 3 ? stem(w) : w;
    if (VALID_TOKEN.test(token)) out.push(token);
  }
  return out;
}

/**
 * rouge-score's default tokeniser: lowercase, every run of characters other than a–z and 0–9
 * becomes a space (so non-ASCII letters are dropped), optional stemming of words over 3 characters.
 */
export function rougeTokenize(text: string, useStemmer = false): string[] {
  return tokenizeWith(text, useStemmer ? porterStem : undefined);
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
}

function score(precision: number, recall: number): RougeScore {
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    // A separator that the tokeniser never emits keeps n-gram keys unambiguous.
    const key = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' ');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function scoreNgrams(
  target: readonly string[],
  prediction: readonly string[],
  n: number,
): RougeScore {
  const t = ngramCounts(target, n);
  const p = ngramCounts(prediction, n);
  let overlap = 0;
  for (const [gram, c] of t) overlap += Math.min(c, p.get(gram) ?? 0);
  const targetCount = Math.max(0, target.length - n + 1);
  const predictionCount = Math.max(0, prediction.length - n + 1);
  return score(overlap / Math.max(predictionCount, 1), overlap / Math.max(targetCount, 1));
}

/** LCS dynamic-programming table, flat, (ref.length + 1) × (can.length + 1). */
function lcsTable(ref: readonly string[], can: readonly string[]): Int32Array {
  const cols = can.length + 1;
  const t = new Int32Array((ref.length + 1) * cols);
  for (let i = 1; i <= ref.length; i++) {
    const r = ref[i - 1];
    for (let j = 1; j <= can.length; j++) {
      t[i * cols + j] =
        r === can[j - 1]
          ? t[(i - 1) * cols + j - 1]! + 1
          : Math.max(t[(i - 1) * cols + j]!, t[i * cols + j - 1]!);
    }
  }
  return t;
}

function scoreLcs(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return score(0, 0);
  const t = lcsTable(target, prediction);
  const lcs = t[t.length - 1]!;
  return score(lcs / prediction.length, lcs / target.length);
}

/** Indices into `ref` of one LCS, chosen with rouge-score's tie-breaking (`_backtrack_norec`). */
function lcsIndices(ref: readonly string[], can: readonly string[]): number[] {
  const t = lcsTable(ref, can);
  const cols = can.length + 1;
  const out: number[] = [];
  let i = ref.length;
  let j = can.length;
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i -= 1;
      j -= 1;
    } else if (t[i * cols + j - 1]! > t[(i - 1) * cols + j]!) {
      j -= 1;
    } else {
      i -= 1;
    }
  }
  return out.reverse();
}

/** Summary-level LCS (ROUGE paper section 3.2) with ROUGE-1.5.5's guard against double counting. */
function scoreSummaryLcs(
  refSents: readonly (readonly string[])[],
  canSents: readonly (readonly string[])[],
): RougeScore {
  if (refSents.length === 0 || canSents.length === 0) return score(0, 0);
  let m = 0;
  let n = 0;
  const refCounts = new Map<string, number>();
  const canCounts = new Map<string, number>();
  for (const s of refSents) {
    m += s.length;
    for (const tok of s) refCounts.set(tok, (refCounts.get(tok) ?? 0) + 1);
  }
  for (const s of canSents) {
    n += s.length;
    for (const tok of s) canCounts.set(tok, (canCounts.get(tok) ?? 0) + 1);
  }
  if (m === 0 || n === 0) return score(0, 0);
  let hits = 0;
  for (const r of refSents) {
    const union = new Set<number>();
    for (const c of canSents) for (const idx of lcsIndices(r, c)) union.add(idx);
    for (const idx of [...union].sort((a, b) => a - b)) {
      const tok = r[idx]!;
      const rc = refCounts.get(tok) ?? 0;
      const cc = canCounts.get(tok) ?? 0;
      if (rc > 0 && cc > 0) {
        hits += 1;
        refCounts.set(tok, rc - 1);
        canCounts.set(tok, cc - 1);
      }
    }
  }
  return score(hits / n, hits / m);
}

function resolveTypes(options: RougeOptions): readonly RougeType[] {
  const { rougeTypes = DEFAULT_TYPES } = options;
  checkNonEmpty(rougeTypes, 'options.rougeTypes');
  rougeTypes.forEach((type, i) => {
    if (type !== 'rougeL' && type !== 'rougeLsum' && !ROUGE_N.test(type)) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        `is '${String(type)}'; use rouge1…rouge9, rougeL or rougeLsum`,
        { field: `options.rougeTypes[${i}]` },
      );
    }
  });
  return rougeTypes;
}

/** Lines for ROUGE-Lsum: rouge-score splits on "\n" and drops empty lines (before tokenising). */
function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.length > 0);
}

/** One target against one prediction, like rouge-score's `RougeScorer.score(target, prediction)`. */
function scorePair(
  target: string,
  prediction: string,
  types: readonly RougeType[],
  stem: Stemmer | undefined,
): RougeScores {
  const out: RougeScores = {};
  let targetTokens: string[] | undefined;
  let predictionTokens: string[] | undefined;
  for (const type of types) {
    if (type === 'rougeLsum') {
      out[type] = scoreSummaryLcs(
        lines(target).map((s) => tokenizeWith(s, stem)),
        lines(prediction).map((s) => tokenizeWith(s, stem)),
      );
      continue;
    }
    targetTokens ??= tokenizeWith(target, stem);
    predictionTokens ??= tokenizeWith(prediction, stem);
    out[type] =
      type === 'rougeL'
        ? scoreLcs(targetTokens, predictionTokens)
        : scoreNgrams(targetTokens, predictionTokens, Number(type.slice(5)));
  }
  return out;
}

function scoreBest(
  prediction: string,
  references: readonly string[],
  types: readonly RougeType[],
  stem: Stemmer | undefined,
): RougeScores {
  const perRef = references.map((ref) => scorePair(ref, prediction, types, stem));
  if (perRef.length === 1) return perRef[0]!;
  // rouge-score's score_multi: per type, the reference with the highest F (first on ties).
  const out: RougeScores = {};
  for (const type of types) {
    let best = perRef[0]![type]!;
    for (const s of perRef) if (s[type]!.fmeasure > best.fmeasure) best = s[type]!;
    out[type] = best;
  }
  return out;
}

/**
 * ROUGE of one prediction; with several references each type takes the reference with the best
 * F-measure (rouge-score's `score_multi`). Note the argument order: prediction first.
 */
export function sentenceRouge(
  prediction: string,
  references: string | readonly string[],
  options: RougeOptions = {},
): RougeScores {
  return corpusRouge([prediction], [references], options).perSample[0]!;
}

/**
 * ROUGE per sample and its mean over samples (what Hugging Face `evaluate` reports, without its
 * bootstrap). `references[i]` holds the reference(s) of `predictions[i]`.
 */
export function corpusRouge(
  predictions: readonly string[],
  references: readonly (string | readonly string[])[],
  options: RougeOptions = {},
): CorpusRougeResult {
  const { useStemmer = false } = options;
  const types = resolveTypes(options);
  const refsPerPrediction = normalizeReferences(predictions, references, [
    'predictions',
    'references',
  ]);
  const stem = useStemmer ? makeCachedStemmer() : undefined;
  const perSample = predictions.map((p, i) => scoreBest(p, refsPerPrediction[i]!, types, stem));
  const mean: RougeScores = {};
  for (const type of types) {
    let p = 0;
    let r = 0;
    let f = 0;
    for (const s of perSample) {
      p += s[type]!.precision;
      r += s[type]!.recall;
      f += s[type]!.fmeasure;
    }
    const n = perSample.length;
    mean[type] = { precision: p / n, recall: r / n, fmeasure: f / n };
  }
  return { mean, perSample };
}
