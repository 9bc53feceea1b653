// Unicode-aware tokenisers shared by the augmenters: word tokens for lexicon matching and
// word-or-punctuation tokens (with character offsets) for template-generated NER examples.

/** A token and where it sits in the text it came from (UTF-16 offsets, end exclusive). */
export interface OffsetToken {
  text: string;
  start: number;
  end: number;
}

/**
 * Words: runs of letters, digits and combining marks in any script, with inner apostrophes and
 * hyphens kept ("don't", "well-known") so a lexicon can list such words as single entries.
 */
const WORD = /[\p{L}\p{N}\p{M}]+(?:['’-][\p{L}\p{N}\p{M}]+)*/gu;

/** Word-or-punctuation tokens: a run of word characters, or any single other non-space character. */
const TOKEN = /[\p{L}\p{N}\p{M}]+|[^\s\p{L}\p{N}\p{M}]/gu;

/** True for a letter, digit or combining mark — the characters a word boundary separates. */
export const isWordChar = (char: string): boolean => /^[\p{L}\p{N}\p{M}]$/u.test(char);

function collect(regex: RegExp, text: string): OffsetToken[] {
  const out: OffsetToken[] = [];
  for (const match of text.matchAll(regex)) {
    const start = match.index as number;
    out.push({ text: match[0], start, end: start + match[0].length });
  }
  return out;
}

export const wordTokens = (text: string): OffsetToken[] => collect(WORD, text);

export const splitTokens = (text: string): OffsetToken[] => collect(TOKEN, text);
