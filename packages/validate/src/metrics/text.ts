// Python-compatible string helpers for the generation metrics: sacreBLEU and rouge-score split on
// Python's notion of whitespace, which differs from JavaScript's `\s`, so scores would drift.

import { ValidateError } from '../errors.js';
import { checkPaired } from './utils.js';

/**
 * Python's `str.isspace()` characters: JavaScript's `\s` lacks U+001C–U+001F and U+0085 and adds
 * U+FEFF, so splitting with `\s` would count tokens differently from sacreBLEU.
 */
const PY_WS =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_RUN = new RegExp(`[${PY_WS}]+`);
const PY_WS_TRAILING = new RegExp(`[${PY_WS}]+$`);
const PY_WS_ALL = new RegExp(`[${PY_WS}]+`, 'g');

/** Python's `line.split()`: splits on runs of whitespace and drops empty ends. */
export function pySplit(line: string): string[] {
  const parts = line.split(PY_WS_RUN);
  let start = 0;
  let end = parts.length;
  if (parts[0] === '') start = 1;
  if (end > start && parts[end - 1] === '') end -= 1;
  return start === 0 && end === parts.length ? parts : parts.slice(start, end);
}

/** Python's `line.rstrip()`. */
export function pyRstrip(line: string): string {
  return line.replace(PY_WS_TRAILING, '');
}

/** Python's `''.join(line.split())`: removes every whitespace character. */
export function pyRemoveWhitespace(line: string): string {
  return line.replace(PY_WS_ALL, '');
}

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Splits a string into code points only when it holds astral characters; Python indexes strings
 * by code point, so character n-grams must too, but the common all-BMP case stays a plain string.
 */
export function codePointsIfNeeded(text: string): string | string[] {
  return SURROGATE.test(text) ? Array.from(text) : text;
}

/**
 * Checks hypotheses against their references and returns the references as one array per
 * hypothesis. `references[i]` holds the reference(s) of `hypotheses[i]`: a string or an array.
 */
export function normalizeReferences(
  hypotheses: readonly string[],
  references: readonly (string | readonly string[])[],
  names: readonly [string, string] = ['hypotheses', 'references'],
): (readonly string[])[] {
  checkPaired(hypotheses, references, names);
  const out: (readonly string[])[] = new Array(references.length);
  for (let i = 0; i < hypotheses.length; i++) {
    if (typeof hypotheses[i] !== 'string') {
      throw new ValidateError('INVALID_ARGUMENT', `is ${typeof hypotheses[i]}; pass a string`, {
        field: `${names[0]}[${i}]`,
      });
    }
    const refs = references[i]!;
    const list = typeof refs === 'string' ? [refs] : refs;
    if (!Array.isArray(list)) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        `is ${typeof refs}; pass a string or an array of strings`,
        { field: `${names[1]}[${i}]` },
      );
    }
    if (list.length === 0) {
      throw new ValidateError(
        'EMPTY_INPUT',
        'has no reference; pass a string or a non-empty array of strings',
        { field: `${names[1]}[${i}]` },
      );
    }
    for (let k = 0; k < list.length; k++) {
      if (typeof list[k] !== 'string') {
        throw new ValidateError('INVALID_ARGUMENT', `is ${typeof list[k]}; pass a string`, {
          field: `${names[1]}[${i}][${k}]`,
        });
      }
    }
    out[i] = list;
  }
  return out;
}
