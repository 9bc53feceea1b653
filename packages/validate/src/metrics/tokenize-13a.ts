// sacreBLEU's default `13a` tokeniser (mteval-v13a.pl as WMT uses it), ported regex for regex
// from sacrebleu/tokenizers/tokenizer_13a.py and tokenizer_re.py so BLEU scores match sacreBLEU.

import { pySplit } from './text.js';

// Compiled once at module load: the benchmark tokenises 10,000 sentences per call.
const RULES: readonly (readonly [RegExp, string])[] = [
  // Language-dependent part (assumes Western languages): ASCII symbols and punctuation except
  // `'`, `,`, `-` and `.` (those get the digit-aware rules below).
  [/([{-~[-` -&(-+:-@/])/gu, ' $1 '],
  // Period and comma unless preceded by a digit.
  [/([^0-9])([.,])/gu, '$1 $2 '],
  // Period and comma unless followed by a digit.
  [/([.,])([^0-9])/gu, ' $1 $2'],
  // Dash when preceded by a digit.
  [/([0-9])(-)/gu, '$1 $2 '],
];

/** Tokenises one line exactly like sacreBLEU's `Tokenizer13a` and returns it space-joined. */
export function tokenize13a(line: string): string {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    text = text
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  text = ` ${text} `;
  for (const [re, replacement] of RULES) text = text.replace(re, replacement);
  return pySplit(text).join(' ');
}
