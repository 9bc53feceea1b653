// sacreBLEU's `intl` tokeniser (mteval-v14.pl international): splits Unicode punctuation and
// symbols, except punctuation between digits, ported from sacrebleu/tokenizers/tokenizer_intl.py.

import { pySplit } from './text.js';

const RULES: readonly (readonly [RegExp, string])[] = [
  // Punctuation preceded by a non-digit.
  [/(\P{N})(\p{P})/gu, '$1 $2 '],
  // Punctuation followed by a non-digit.
  [/(\p{P})(\P{N})/gu, ' $1 $2'],
  // Symbols.
  [/(\p{S})/gu, ' $1 '],
];

/**
 * Tokenises one line like sacreBLEU's `TokenizerV14International`. Unicode categories come from
 * Node's ICU, so characters added in a newer Unicode version than Python's may differ.
 */
export function tokenizeIntl(line: string): string {
  let text = line;
  for (const [re, replacement] of RULES) text = text.replace(re, replacement);
  return pySplit(text).join(' ');
}
