// Text normalisation before training: Unicode form, control and invisible characters,
// line breaks, runs of whitespace and blank lines. Safe for Ethiopic, Swedish and combining marks.
import { DataError } from '../errors.js';

export interface NormalizeTextOptions {
  /** Unicode normalisation form; `false` leaves code points as they are. @default 'NFKC' */
  form?: 'NFKC' | 'NFC' | false;
  /**
   * Replace each run of two or more spaces/tabs (any `\p{Zs}` space) and each tab by one space,
   * and drop whitespace at line ends. Turn off to keep indentation (code). @default true
   */
  collapseWhitespace?: boolean;
  /** Most consecutive blank lines kept; longer runs are shortened. `false` keeps all. @default 1 */
  maxBlankLines?: number | false;
  /** Remove whitespace and line breaks at the start and end of the text. @default true */
  trim?: boolean;
}

/** Resolved options, checked once so a cleaner can reuse them for every record. */
export interface ResolvedNormalizeTextOptions {
  form: 'NFKC' | 'NFC' | false;
  collapseWhitespace: boolean;
  blankLines: RegExp | undefined;
  blankLinesReplacement: string;
  trim: boolean;
}

// U+2028/U+2029 and NEL are Unicode line breaks; VT and FF end a line in plain text too.
// A paragraph separator becomes a blank line so the paragraph break survives.
const LINE_BREAKS = /\r\n|[\r\u000B\u000C\u0085\u2028]/g;
const PARAGRAPH_SEPARATOR = /\u2029/g;
const CONTROL = /[^\P{Cc}\n\t]/gu;
// Zero-width space, word joiner, BOM / zero-width no-break space, Mongolian vowel separator,
// soft hyphen and the invisible math operators: they carry no meaning in running text and split
// otherwise equal words. ZWNJ (U+200C) and ZWJ (U+200D) are kept on purpose: they change how
// Persian and Indic words are spelled and join emoji sequences (👩‍💻), so removing them changes text.
// Bidi marks (U+200E/U+200F, U+202A–U+202E, U+2066–U+2069) are kept: mixed Arabic/Hebrew text needs them.
const INVISIBLE = /[\u200B\u2060\uFEFF\u180E\u00AD\u2061-\u2064]/g;
const WHITESPACE_RUN = /[\t\p{Zs}]{2,}|\t/gu;
const TRAILING_WHITESPACE = /[\t\p{Zs}]+$/gmu;
const FORMS = new Set(['NFKC', 'NFC', false]);

/** Checks normalisation options and fills in defaults; throws INVALID_ARGUMENT on bad values. */
export function resolveNormalizeOptions(
  options: NormalizeTextOptions = {},
): ResolvedNormalizeTextOptions {
  const { form = 'NFKC', collapseWhitespace = true, maxBlankLines = 1, trim = true } = options;
  if (!FORMS.has(form)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `normalize option "form" is ${JSON.stringify(form)}; use 'NFKC', 'NFC' or false.`,
    );
  }
  if (maxBlankLines !== false && !(Number.isInteger(maxBlankLines) && maxBlankLines >= 0)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `normalize option "maxBlankLines" is ${String(maxBlankLines)}; use a whole number ≥ 0, or false to keep all blank lines.`,
    );
  }
  const blankLines =
    maxBlankLines === false
      ? undefined
      : new RegExp(`\\n(?:[\\t\\p{Zs}]*\\n){${maxBlankLines + 1},}`, 'gu');
  return {
    form,
    collapseWhitespace,
    blankLines,
    blankLinesReplacement: maxBlankLines === false ? '' : '\n'.repeat(maxBlankLines + 1),
    trim,
  };
}

/**
 * Normalises text: line breaks to `\n`, control characters (other than `\n` and `\t`) and
 * invisible characters removed, Unicode form applied, whitespace runs collapsed, long runs of
 * blank lines shortened, ends trimmed.
 */
export function normalizeText(text: string, options?: NormalizeTextOptions): string {
  if (typeof text !== 'string') {
    throw new DataError('INVALID_ARGUMENT', `normalizeText expects a string, got ${typeof text}.`);
  }
  return applyNormalize(text, resolveNormalizeOptions(options));
}

/** normalizeText with options already resolved. */
export function applyNormalize(text: string, options: ResolvedNormalizeTextOptions): string {
  let out = text.replace(LINE_BREAKS, '\n').replace(PARAGRAPH_SEPARATOR, '\n\n');
  out = out.replace(CONTROL, '').replace(INVISIBLE, '');
  // After removing invisibles so that a base letter and its mark, once adjacent, compose.
  if (options.form !== false) out = out.normalize(options.form);
  if (options.collapseWhitespace) {
    out = out.replace(WHITESPACE_RUN, ' ').replace(TRAILING_WHITESPACE, '');
  }
  if (options.blankLines) out = out.replace(options.blankLines, options.blankLinesReplacement);
  if (options.trim) out = out.trim();
  return out;
}
