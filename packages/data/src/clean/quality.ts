// Heuristic quality filter for training text (in the spirit of Gopher's rules): length, word count,
// repeated n-grams and lines, symbol share and writing system.
import { DataError } from '../errors.js';
import type { ScriptName } from './script.js';
import { countScriptLetters, pickDominant, SCRIPT_NAMES } from './script.js';

export interface QualityOptions {
  /** Fewest characters (Unicode code points). @default 1 */
  minChars?: number;
  /** Most characters (Unicode code points). @default Infinity */
  maxChars?: number;
  /** Fewest words. @default 1 */
  minWords?: number;
  /** Most words. @default Infinity */
  maxWords?: number;
  /**
   * Highest repetition ratio (see QualityMetrics.repetitionRatio). Gopher's 0.10–0.15 limits are
   * for 5- to 10-grams; 3-grams repeat more in ordinary text, hence a looser limit. @default 0.3
   */
  maxRepetitionRatio?: number;
  /** Highest share of non-empty lines that repeat an earlier line. @default 0.3 */
  maxDuplicateLineRatio?: number;
  /** Highest symbol ratio (see QualityMetrics.symbolRatio). @default 0.3 */
  maxSymbolRatio?: number;
  /** Scripts the text should be written in; not checked when omitted. */
  scripts?: readonly ScriptName[];
  /** Least combined share of letters in `scripts`. @default 0.5 */
  minScriptShare?: number;
}

/** Why a text failed; stable codes, suitable as report keys. */
export type QualityReason =
  | 'too-few-chars'
  | 'too-many-chars'
  | 'too-few-words'
  | 'too-many-words'
  | 'repetition'
  | 'duplicate-lines'
  | 'symbols'
  | 'script';

export interface QualityMetrics {
  /** Unicode code points. */
  chars: number;
  /** Tokens between whitespace or the Ethiopic wordspace ፡. */
  words: number;
  /**
   * Duplicate word 3-gram character fraction: mark every word covered by a 3-gram (3 consecutive
   * words) that occurs more than once in the text; the ratio is the characters of marked words over
   * the characters of all words (each word counted once however many 3-grams cover it). 0 below 3 words.
   */
  repetitionRatio: number;
  /** Non-empty lines (after trimming) equal to an earlier line, over all non-empty lines. */
  duplicateLineRatio: number;
  /**
   * Characters that are neither letters, marks, digits nor whitespace, over non-whitespace
   * characters. Punctuation counts, Ethiopic ። and ፣ included; the wordspace ፡ is a separator.
   */
  symbolRatio: number;
  /** The script holding most letters; null when there are none. */
  dominantScript: ScriptName | null;
  /** Share of letters in the dominant script (0 when there are none). */
  scriptShare: number;
}

export interface QualityResult {
  pass: boolean;
  reasons: QualityReason[];
  metrics: QualityMetrics;
}

/** Resolved options, checked once so a cleaner can reuse them for every record. */
export interface ResolvedQualityOptions {
  minChars: number;
  maxChars: number;
  minWords: number;
  maxWords: number;
  maxRepetitionRatio: number;
  maxDuplicateLineRatio: number;
  maxSymbolRatio: number;
  scripts: readonly ScriptName[] | undefined;
  minScriptShare: number;
}

// U+1361 ETHIOPIC WORDSPACE separates words in traditional Amharic writing.
const WORD_SEPARATOR = /[\s\u1361]+/u;
const SYMBOL = /[^\p{L}\p{M}\p{N}\s\u1361]/u;
const NON_SPACE = /[^\s\u1361]/u;

function checkCount(name: string, value: number, allowInfinity: boolean): void {
  const ok =
    typeof value === 'number' &&
    value >= 0 &&
    (Number.isInteger(value) || (allowInfinity && value === Number.POSITIVE_INFINITY));
  if (!ok) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `quality option "${name}" is ${String(value)}; use a whole number ≥ 0${allowInfinity ? ' (or Infinity)' : ''}.`,
    );
  }
}

function checkRatio(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `quality option "${name}" is ${String(value)}; use a number from 0 to 1.`,
    );
  }
}

/** Checks quality options and fills in defaults; throws INVALID_ARGUMENT on bad values. */
export function resolveQualityOptions(options: QualityOptions = {}): ResolvedQualityOptions {
  const {
    minChars = 1,
    maxChars = Number.POSITIVE_INFINITY,
    minWords = 1,
    maxWords = Number.POSITIVE_INFINITY,
    maxRepetitionRatio = 0.3,
    maxDuplicateLineRatio = 0.3,
    maxSymbolRatio = 0.3,
    scripts,
    minScriptShare = 0.5,
  } = options;
  checkCount('minChars', minChars, false);
  checkCount('maxChars', maxChars, true);
  checkCount('minWords', minWords, false);
  checkCount('maxWords', maxWords, true);
  if (minChars > maxChars) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `quality option "minChars" (${minChars}) exceeds "maxChars" (${maxChars}).`,
    );
  }
  if (minWords > maxWords) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `quality option "minWords" (${minWords}) exceeds "maxWords" (${maxWords}).`,
    );
  }
  checkRatio('maxRepetitionRatio', maxRepetitionRatio);
  checkRatio('maxDuplicateLineRatio', maxDuplicateLineRatio);
  checkRatio('maxSymbolRatio', maxSymbolRatio);
  checkRatio('minScriptShare', minScriptShare);
  if (scripts !== undefined) {
    if (!Array.isArray(scripts) || scripts.length === 0) {
      throw new DataError(
        'INVALID_ARGUMENT',
        'quality option "scripts" must be a non-empty array of script names.',
      );
    }
    for (const script of scripts) {
      if (!(SCRIPT_NAMES as readonly string[]).includes(script)) {
        throw new DataError(
          'INVALID_ARGUMENT',
          `quality option "scripts" holds unknown script ${JSON.stringify(script)}; use some of ${SCRIPT_NAMES.join(', ')}.`,
        );
      }
    }
  }
  return {
    minChars,
    maxChars,
    minWords,
    maxWords,
    maxRepetitionRatio,
    maxDuplicateLineRatio,
    maxSymbolRatio,
    scripts: scripts === undefined ? undefined : [...new Set(scripts)],
    minScriptShare,
  };
}

/** Words of a text: tokens between whitespace or the Ethiopic wordspace ፡. */
export function splitWords(text: string): string[] {
  return text.split(WORD_SEPARATOR).filter((w) => w.length > 0);
}

const SURROGATE = /[\uD800-\uDFFF]/;

function codePoints(text: string): number {
  if (!SURROGATE.test(text)) return text.length;
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** See QualityMetrics.repetitionRatio (word 3-grams). */
export function repetitionRatio(words: readonly string[]): number {
  const n = words.length;
  if (n < 3) return 0;
  // Words never contain whitespace (it splits them), so space-joined keys are unambiguous.
  const keys: string[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i + 3 <= n; i++) {
    const key = `${words[i]} ${words[i + 1]} ${words[i + 2]}`;
    keys.push(key);
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const marked = new Uint8Array(n);
  for (let i = 0; i < keys.length; i++) {
    if (seen.get(keys[i]!)! > 1) marked[i] = marked[i + 1] = marked[i + 2] = 1;
  }
  let total = 0;
  let duplicated = 0;
  for (let i = 0; i < n; i++) {
    const length = codePoints(words[i]!);
    total += length;
    if (marked[i] === 1) duplicated += length;
  }
  return duplicated / total;
}

/** See QualityMetrics.duplicateLineRatio. */
export function duplicateLineRatio(text: string): number {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (lines.length === 0) return 0;
  const seen = new Set<string>();
  let duplicates = 0;
  for (const line of lines) {
    if (seen.has(line)) duplicates++;
    else seen.add(line);
  }
  return duplicates / lines.length;
}

const SPACE = 0;
const SYMBOL_CHAR = 1;
const WORD_CHAR = 2;
// Class of each code point seen: text reuses few distinct characters, so this saves two
// Unicode-property tests per character.
const charClass = new Map<number, number>();
const CACHE_LIMIT = 1 << 16;

/** See QualityMetrics.symbolRatio. */
export function symbolRatio(text: string): number {
  let nonSpace = 0;
  let symbols = 0;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    let kind = charClass.get(cp);
    if (kind === undefined) {
      kind = !NON_SPACE.test(char) ? SPACE : SYMBOL.test(char) ? SYMBOL_CHAR : WORD_CHAR;
      if (charClass.size >= CACHE_LIMIT) charClass.clear();
      charClass.set(cp, kind);
    }
    if (kind === SPACE) continue;
    nonSpace++;
    if (kind === SYMBOL_CHAR) symbols++;
  }
  return nonSpace === 0 ? 0 : symbols / nonSpace;
}

/** Measures a text and checks it against the thresholds; `reasons` lists every failed check. */
export function assessQuality(text: string, options?: QualityOptions): QualityResult {
  if (typeof text !== 'string') {
    throw new DataError('INVALID_ARGUMENT', `assessQuality expects a string, got ${typeof text}.`);
  }
  return applyQuality(text, resolveQualityOptions(options));
}

/** assessQuality with options already resolved. */
export function applyQuality(text: string, options: ResolvedQualityOptions): QualityResult {
  const words = splitWords(text);
  const { counts, letters } = countScriptLetters(text);
  const shares = { ...counts };
  if (letters > 0) for (const name of SCRIPT_NAMES) shares[name] = counts[name] / letters;
  const dominant = pickDominant(shares);
  const metrics: QualityMetrics = {
    chars: codePoints(text),
    words: words.length,
    repetitionRatio: repetitionRatio(words),
    duplicateLineRatio: duplicateLineRatio(text),
    symbolRatio: symbolRatio(text),
    dominantScript: dominant?.script ?? null,
    scriptShare: dominant?.share ?? 0,
  };
  const reasons: QualityReason[] = [];
  if (metrics.chars < options.minChars) reasons.push('too-few-chars');
  if (metrics.chars > options.maxChars) reasons.push('too-many-chars');
  if (metrics.words < options.minWords) reasons.push('too-few-words');
  if (metrics.words > options.maxWords) reasons.push('too-many-words');
  if (metrics.repetitionRatio > options.maxRepetitionRatio) reasons.push('repetition');
  if (metrics.duplicateLineRatio > options.maxDuplicateLineRatio) reasons.push('duplicate-lines');
  if (metrics.symbolRatio > options.maxSymbolRatio) reasons.push('symbols');
  if (options.scripts !== undefined) {
    let share = 0;
    for (const script of options.scripts) share += shares[script];
    if (letters === 0 || share < options.minScriptShare) reasons.push('script');
  }
  return { pass: reasons.length === 0, reasons, metrics };
}
