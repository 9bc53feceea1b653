// Keyword labelling function: votes a label when any keyword occurs as a whole word in a field.
import { DataError } from '../errors.js';
import { ABSTAIN, type LabelingFunction } from './types.js';
import { escapeRegExp, requireName, textField, WORD_CHAR } from './utils.js';

export interface KeywordLFOptions<L extends string> {
  /** LF name (unique within a set of LFs). */
  name: string;
  /** Record field holding the text; records without a string there get an abstain. */
  field: string;
  /** Words or phrases to look for; whitespace inside a phrase matches any run of whitespace. */
  keywords: readonly string[];
  /** The label voted when a keyword is found. */
  label: L;
  /** Match case exactly. @default false */
  caseSensitive?: boolean;
  /** Only match whole words (not "cat" inside "concatenate"), in any script. @default true */
  wholeWord?: boolean;
}

/**
 * Builds a keyword LF. Text and keywords are NFC-normalised first so that composed and
 * decomposed spellings ("ö" vs "o" + U+0308) match each other; word boundaries are Unicode-aware
 * (letters, digits and marks of any script count as word characters).
 */
export function keywordLF<L extends string>(options: KeywordLFOptions<L>): LabelingFunction<L> {
  const { name, field, keywords, label, caseSensitive = false, wholeWord = true } = options;
  requireName(name, 'keywordLF');
  if (!Array.isArray(keywords) || keywords.length === 0) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `keywordLF "${name}" needs a non-empty keywords array.`,
      { field },
    );
  }
  const parts: string[] = [];
  for (const keyword of keywords) {
    if (typeof keyword !== 'string' || keyword.trim() === '') {
      throw new DataError(
        'INVALID_ARGUMENT',
        `keywordLF "${name}" got an empty or non-string keyword (${JSON.stringify(keyword)}); remove it.`,
        { field },
      );
    }
    parts.push(keyword.trim().normalize('NFC').split(/\s+/u).map(escapeRegExp).join('\\s+'));
  }
  // Longest first so that the alternation prefers "new york city" over "new york".
  parts.sort((a, b) => b.length - a.length);
  const body = `(?:${parts.join('|')})`;
  const source = wholeWord ? `(?<!${WORD_CHAR})${body}(?!${WORD_CHAR})` : body;
  const regex = new RegExp(source, caseSensitive ? 'u' : 'iu');
  return {
    name,
    apply(record) {
      const text = textField(record, field);
      if (text === undefined) return ABSTAIN;
      return regex.test(text.normalize('NFC')) ? label : ABSTAIN;
    },
  };
}
