// Speech recognition error rates as jiwer 4 computes them: WER, MER, WIL, WIP and CER with
// hit/substitution/insertion/deletion counts and alignments, summed over the corpus.

import { ValidateError } from '../errors.js';
import { checkNonEmpty } from './utils.js';

/** One sentence or a corpus of sentences, as every speech measure accepts. */
type Texts = string | readonly string[];

export interface SpeechOptions {
  /** Applied to every reference and hypothesis before the other normalisations. @default undefined */
  transform?: (text: string) => string;
  /** Lower-case the text (`String.prototype.toLowerCase`). @default false */
  lowercase?: boolean;
  /** Remove every Unicode punctuation character (category P*), like jiwer's `RemovePunctuation`. @default false */
  removePunctuation?: boolean;
  /**
   * Replace every run of two or more whitespace characters with one space (jiwer's
   * `RemoveMultipleSpaces`). jiwer does this for words but not for characters, hence the
   * defaults; words are split on single spaces either way.
   * @default true for words, false for characters
   */
  collapseWhitespace?: boolean;
  /**
   * Accept references with no words (or characters) after normalisation, scoring them like
   * jiwer 4 (every hypothesis token is an insertion). Off by default because an empty reference
   * is usually a data error.
   * @default false
   */
  allowEmptyReference?: boolean;
  /**
   * Return per-sentence alignments and counts (skip them for speed on large corpora).
   * @default true
   */
  alignments?: boolean;
}

/** One run of the same edit operation; indices are token positions, end exclusive. */
export interface AlignmentChunk {
  type: 'equal' | 'substitute' | 'insert' | 'delete';
  refStart: number;
  refEnd: number;
  hypStart: number;
  hypEnd: number;
}

/** Edit counts of one sentence, for per-sample comparisons. */
export interface SentenceCounts {
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceLength: number;
  hypothesisLength: number;
}

/** Edit counts summed over all sentences. */
export interface EditCounts {
  hits: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  /** Tokens in all references (hits + substitutions + deletions). */
  referenceLength: number;
  /** Tokens in all hypotheses (hits + substitutions + insertions). */
  hypothesisLength: number;
  /** One list of chunks per sentence; empty when `options.alignments` is false. */
  alignments: AlignmentChunk[][];
  /** Each sentence's counts, in input order; empty when `options.alignments` is false. */
  sentences: SentenceCounts[];
}

/** Word-level measures of a corpus. */
export interface WordMeasures extends EditCounts {
  wer: number;
  mer: number;
  wil: number;
  wip: number;
}

/** Character-level measures of a corpus. */
export interface CharacterMeasures extends EditCounts {
  cer: number;
}

const OP_SUB = 1;
const OP_DEL = 2;
const OP_INS = 3;
const CHUNK_TYPES = ['equal', 'substitute', 'delete', 'insert'] as const;
const COUNT_KEYS = [
  'hits',
  'substitutions',
  'deletions',
  'insertions',
  'referenceLength',
  'hypothesisLength',
] as const;

// Reused across calls: the DP rows, the backtrace matrix and the edit-op buffers only grow, so a
// corpus of 100,000 utterances allocates them a handful of times.
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);
// The backtrace only needs each cell's vertical difference D[i][j] − D[i−1][j] ∈ {−1, 0, 1}:
// one byte per cell. Large pairs are split first (see `alignRange`), so this stays ≤ ~4 MB.
let verticalDiff = new Int8Array(1024);
let opType = new Uint8Array(256);
let opSrc = new Int32Array(256);
let opDest = new Int32Array(256);

function ensureOps(size: number): void {
  if (opType.length >= size) return;
  const grown = Math.max(size, opType.length * 2);
  const [type, src, dest] = [opType, opSrc, opDest];
  opType = new Uint8Array(grown);
  opSrc = new Int32Array(grown);
  opDest = new Int32Array(grown);
  opType.set(type);
  opSrc.set(src);
  opDest.set(dest);
}

function ensureRows(width: number): void {
  if (rowA.length >= width) return;
  rowA = new Int32Array(width * 2);
  rowB = new Int32Array(width * 2);
}

interface SentenceEdits {
  substitutions: number;
  deletions: number;
  insertions: number;
  opCount: number;
}

/**
 * Last DP row of the distance between `a[a0..a1)` and `b[b0..b0 + rows)` — one entry per prefix
 * length of `a` — read backwards over both ranges when `reverse` is set. Returned in `rowA`/`rowB`.
 */
function distanceRow(
  a: Int32Array,
  a0: number,
  a1: number,
  b: Int32Array,
  b0: number,
  rows: number,
  reverse: boolean,
): Int32Array {
  const n = a1 - a0;
  ensureRows(n + 1);
  let prev = rowA;
  let cur = rowB;
  for (let i = 0; i <= n; i++) prev[i] = i;
  for (let j = 1; j <= rows; j++) {
    const token = reverse ? b[b0 + rows - j] : b[b0 + j - 1];
    cur[0] = j;
    let left = j;
    let diagonal = j - 1;
    for (let i = 1; i <= n; i++) {
      const up = prev[i]!;
      const other = reverse ? a[a1 - i] : a[a0 + i - 1];
      let best = token === other ? diagonal : diagonal + 1;
      if (up + 1 < best) best = up + 1;
      if (left + 1 < best) best = left + 1;
      cur[i] = best;
      left = best;
      diagonal = up;
    }
    const swap = prev;
    prev = cur;
    cur = swap;
  }
  return prev;
}

/**
 * Levenshtein alignment of `ref[r0..r1)` and `hyp[h0..h1)`, written to the op buffers from
 * `editopPos` on. It mirrors RapidFuzz (which jiwer uses) step by step, so counts and alignments
 * agree even when several alignments are optimal: skip the common prefix and suffix; split large
 * problems Hirschberg-style at the first optimal cut of the middle hypothesis row; otherwise
 * fill the DP matrix and backtrack preferring deletion, then insertion, then the diagonal
 * (`recover_alignment`). `max` is the exact distance when known.
 */
function alignRange(
  ref: Int32Array,
  r0: number,
  r1: number,
  hyp: Int32Array,
  h0: number,
  h1: number,
  max: number | undefined,
  editopPos: number,
  edits: SentenceEdits,
): void {
  while (r0 < r1 && h0 < h1 && ref[r0] === hyp[h0]) {
    r0++;
    h0++;
  }
  while (r0 < r1 && h0 < h1 && ref[r1 - 1] === hyp[h1 - 1]) {
    r1--;
    h1--;
  }
  const n = r1 - r0;
  const m = h1 - h0;
  if (n === 0 && m === 0) return;
  if (n >= 65 && m >= 10 && Math.floor((2 * n * m) / 8) >= 1024 * 1024) {
    const bound = Math.min(max ?? distanceRow(ref, r0, r1, hyp, h0, m, false)[n]!, Math.max(n, m));
    const fullBand = Math.min(n, 2 * bound + 1);
    if (Math.floor((2 * fullBand * m) / 8) >= 1024 * 1024) {
      const leftRows = Math.floor(m / 2);
      const right = distanceRow(ref, r0, r1, hyp, h0 + leftRows, m - leftRows, true).slice(
        0,
        n + 1,
      );
      const left = distanceRow(ref, r0, r1, hyp, h0, leftRows, false);
      let cut = 0;
      let best = Number.POSITIVE_INFINITY;
      for (let i = 0; i <= n; i++) {
        const total = left[i]! + right[n - i]!;
        if (total < best) {
          best = total;
          cut = i;
        }
      }
      const leftScore = left[cut]!;
      const rightScore = right[n - cut]!;
      alignRange(ref, r0, r0 + cut, hyp, h0, h0 + leftRows, leftScore, editopPos, edits);
      alignRange(
        ref,
        r0 + cut,
        r1,
        hyp,
        h0 + leftRows,
        h1,
        rightScore,
        editopPos + leftScore,
        edits,
      );
      return;
    }
  }
  const width = m + 1;
  let dist = n + m;
  if (n > 0 && m > 0) {
    const cells = (n + 1) * width;
    if (verticalDiff.length < cells) {
      verticalDiff = new Int8Array(Math.max(cells, verticalDiff.length * 2));
    }
    ensureRows(width);
    const vd = verticalDiff;
    let prev = rowA;
    let cur = rowB;
    for (let jj = 0; jj <= m; jj++) prev[jj] = jj;
    for (let ii = 1; ii <= n; ii++) {
      const row = ii * width;
      const token = ref[r0 + ii - 1];
      cur[0] = ii;
      vd[row] = 1;
      // Carry the left and diagonal cells in locals: this loop is the whole cost on long texts.
      let left = ii;
      let diagonal = ii - 1;
      for (let jj = 1; jj <= m; jj++) {
        const up = prev[jj]!;
        let best = token === hyp[h0 + jj - 1] ? diagonal : diagonal + 1;
        if (up + 1 < best) best = up + 1;
        if (left + 1 < best) best = left + 1;
        cur[jj] = best;
        vd[row + jj] = best - up;
        left = best;
        diagonal = up;
      }
      const swap = prev;
      prev = cur;
      cur = swap;
    }
    dist = prev[m]!;
  }
  ensureOps(editopPos + dist);
  edits.opCount += dist;
  const vd = verticalDiff;
  // Ops are written back to front at index --dist, as RapidFuzz does.
  const push = (type: number, src: number, dest: number) => {
    dist--;
    opType[editopPos + dist] = type;
    opSrc[editopPos + dist] = src + r0;
    opDest[editopPos + dist] = dest + h0;
  };
  let i = n;
  let j = m;
  while (i > 0 && j > 0) {
    if (vd[i * width + j] === 1) {
      i--;
      push(OP_DEL, i, j);
      edits.deletions++;
    } else {
      j--;
      if (j > 0 && vd[i * width + j] === -1) {
        push(OP_INS, i, j);
        edits.insertions++;
      } else {
        i--;
        if (ref[r0 + i] !== hyp[h0 + j]) {
          push(OP_SUB, i, j);
          edits.substitutions++;
        }
      }
    }
  }
  while (i > 0) {
    i--;
    push(OP_DEL, i, j);
    edits.deletions++;
  }
  while (j > 0) {
    j--;
    push(OP_INS, i, j);
    edits.insertions++;
  }
}

function alignTokens(
  ref: Int32Array,
  refLen: number,
  hyp: Int32Array,
  hypLen: number,
): SentenceEdits {
  const edits: SentenceEdits = { substitutions: 0, deletions: 0, insertions: 0, opCount: 0 };
  alignRange(ref, 0, refLen, hyp, 0, hypLen, undefined, 0, edits);
  return edits;
}

/** Groups the edit ops into chunks with `equal` runs between them (RapidFuzz's `Opcodes`). */
function chunksFromOps(opCount: number, refLen: number, hypLen: number): AlignmentChunk[] {
  const chunks: AlignmentChunk[] = [];
  const chunk = (
    type: number,
    refStart: number,
    refEnd: number,
    hypStart: number,
    hypEnd: number,
  ) => chunks.push({ type: CHUNK_TYPES[type]!, refStart, refEnd, hypStart, hypEnd });
  let src = 0;
  let dest = 0;
  let k = 0;
  while (k < opCount) {
    if (src < opSrc[k]! || dest < opDest[k]!) {
      chunk(0, src, opSrc[k]!, dest, opDest[k]!);
      src = opSrc[k]!;
      dest = opDest[k]!;
    }
    const type = opType[k]!;
    const srcStart = src;
    const destStart = dest;
    do {
      if (type !== OP_INS) src++;
      if (type !== OP_DEL) dest++;
      k++;
    } while (k < opCount && opType[k] === type && opSrc[k] === src && opDest[k] === dest);
    chunk(type, srcStart, src, destStart, dest);
  }
  if (src < refLen || dest < hypLen) chunk(0, src, refLen, dest, hypLen);
  return chunks;
}

function normalise(text: unknown, field: string, options: SpeechOptions): string {
  if (typeof text !== 'string') {
    throw new ValidateError('INVALID_ARGUMENT', `is ${typeof text}; pass a string`, { field });
  }
  let out = options.transform === undefined ? text : options.transform(text);
  if (typeof out !== 'string') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'options.transform returned a non-string; return the normalised text',
      {
        field,
      },
    );
  }
  if (options.lowercase) out = out.toLowerCase();
  if (options.removePunctuation) out = out.replace(/\p{P}/gu, '');
  return out;
}

/** Splits like jiwer's `ReduceToListOfListOfWords` after `Strip`: on single spaces, dropping empties. */
function words(text: string): string[] {
  return text
    .trim()
    .split(' ')
    .filter((w) => w.length > 0);
}

/** Code points of the stripped text, spaces included (jiwer's `cer_default`). */
function characters(text: string): string[] {
  return Array.from(text.trim());
}

function asList(value: Texts): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

function process(
  references: Texts,
  hypotheses: Texts,
  options: SpeechOptions,
  tokenize: (text: string) => string[],
  collapseByDefault: boolean,
): EditCounts {
  const refs = asList(references);
  const hyps = asList(hypotheses);
  if (!Array.isArray(refs) || !Array.isArray(hyps)) {
    throw new ValidateError('INVALID_ARGUMENT', 'must be a string or an array of strings', {
      field: Array.isArray(refs) ? 'hypotheses' : 'references',
    });
  }
  if (refs.length !== hyps.length) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `has ${hyps.length} sentence(s) but references has ${refs.length}; pass one hypothesis per reference`,
      { field: 'hypotheses' },
    );
  }
  checkNonEmpty(refs, 'references');
  const {
    allowEmptyReference = false,
    alignments: keepAlignments = true,
    collapseWhitespace = collapseByDefault,
  } = options;
  const prepare = (text: unknown, field: string): string[] => {
    const normalised = normalise(text, field, options);
    return tokenize(collapseWhitespace ? normalised.replace(/\s\s+/g, ' ') : normalised);
  };
  const vocabulary = new Map<string, number>();
  let refCodes: Int32Array = new Int32Array(64);
  let hypCodes: Int32Array = new Int32Array(64);
  const encode = (tokens: string[], into: Int32Array): Int32Array => {
    const out = into.length >= tokens.length ? into : new Int32Array(tokens.length * 2);
    for (let t = 0; t < tokens.length; t++) {
      const token = tokens[t]!;
      let code = vocabulary.get(token);
      if (code === undefined) {
        code = vocabulary.size;
        vocabulary.set(token, code);
      }
      out[t] = code;
    }
    return out;
  };
  const totals: EditCounts = {
    hits: 0,
    substitutions: 0,
    deletions: 0,
    insertions: 0,
    referenceLength: 0,
    hypothesisLength: 0,
    alignments: [],
    sentences: [],
  };
  for (let s = 0; s < refs.length; s++) {
    const refTokens = prepare(refs[s], `references[${s}]`);
    const hypTokens = prepare(hyps[s], `hypotheses[${s}]`);
    if (refTokens.length === 0 && !allowEmptyReference) {
      throw new ValidateError(
        'EMPTY_INPUT',
        'is empty after normalisation; fix the data or set options.allowEmptyReference to score it like jiwer 4',
        { field: `references[${s}]` },
      );
    }
    refCodes = encode(refTokens, refCodes);
    hypCodes = encode(hypTokens, hypCodes);
    const edits = alignTokens(refCodes, refTokens.length, hypCodes, hypTokens.length);
    const sentence: SentenceCounts = {
      hits: refTokens.length - edits.substitutions - edits.deletions,
      substitutions: edits.substitutions,
      deletions: edits.deletions,
      insertions: edits.insertions,
      referenceLength: refTokens.length,
      hypothesisLength: hypTokens.length,
    };
    for (const key of COUNT_KEYS) totals[key] += sentence[key];
    if (keepAlignments) {
      totals.alignments.push(chunksFromOps(edits.opCount, refTokens.length, hypTokens.length));
      totals.sentences.push(sentence);
    }
  }
  return totals;
}

/**
 * Word-level WER, MER, WIL and WIP over a corpus, like `jiwer.process_words`: counts are summed
 * over sentences before the rates are taken.
 */
export function processWords(
  references: Texts,
  hypotheses: Texts,
  options: SpeechOptions = {},
): WordMeasures {
  const counts = process(references, hypotheses, options, words, true);
  const { hits: h, substitutions: s, deletions: d, insertions: i } = counts;
  const n = counts.referenceLength;
  if (n === 0) {
    // jiwer 4: with no reference words, every hypothesis word is an insertion.
    const silent = counts.hypothesisLength === 0;
    return { ...counts, wer: i, mer: silent ? 0 : 1, wip: silent ? 1 : 0, wil: silent ? 0 : 1 };
  }
  const wip = counts.hypothesisLength >= 1 ? (h / n) * (h / counts.hypothesisLength) : 0;
  return {
    ...counts,
    wer: (s + d + i) / (h + s + d),
    mer: (s + d + i) / (h + s + d + i),
    wip,
    wil: 1 - wip,
  };
}

/** Character error rate over a corpus, like `jiwer.process_characters` (spaces count). */
export function processCharacters(
  references: Texts,
  hypotheses: Texts,
  options: SpeechOptions = {},
): CharacterMeasures {
  const counts = process(references, hypotheses, options, characters, false);
  const { hits: h, substitutions: s, deletions: d, insertions: i } = counts;
  return { ...counts, cer: counts.referenceLength === 0 ? i : (s + d + i) / (h + s + d) };
}

/** A single corpus-level word measure; alignments are skipped since only the rate is returned. */
function wordMeasure(
  name: 'wer' | 'mer' | 'wil' | 'wip',
): (references: Texts, hypotheses: Texts, options?: SpeechOptions) => number {
  return (references, hypotheses, options = {}) =>
    processWords(references, hypotheses, { ...options, alignments: false })[name];
}

/** Word error rate: (S + D + I) / (H + S + D). */
export const wordErrorRate = wordMeasure('wer');

/** Match error rate: (S + D + I) / (H + S + D + I). */
export const matchErrorRate = wordMeasure('mer');

/** Word information lost: 1 − WIP. */
export const wordInformationLost = wordMeasure('wil');

/** Word information preserved: (H / reference words) · (H / hypothesis words). */
export const wordInformationPreserved = wordMeasure('wip');

/** Character error rate: character-level (S + D + I) / (H + S + D). */
export function characterErrorRate(
  references: Texts,
  hypotheses: Texts,
  options: SpeechOptions = {},
): number {
  return processCharacters(references, hypotheses, { ...options, alignments: false }).cer;
}
