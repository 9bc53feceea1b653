// Encodes pre-split words (CoNLL-style token lists) and keeps, per token, the index of the word
// it came from — the input label alignment needs.
import { TokenizeError } from '../errors.js';
import type { Encoding, TextTokenizer } from '../types.js';

/** An encoding of pre-split words: `wordIds` index into the given words. */
export interface WordsEncoding extends Encoding {
  /** The words joined with single spaces: the text that was encoded. */
  text: string;
  /** Character range [start, end) of each word in `text`. */
  wordOffsets: Array<[number, number]>;
}

export interface EncodeWordsOptions {
  /** Add the tokenizer's special tokens ([CLS]/[SEP], BOS/EOS…). @default true */
  addSpecialTokens?: boolean;
}

/**
 * Encodes `words` by joining them with single spaces (TextTokenizer takes text, not word lists)
 * and assigns each token to the word its characters fall in, so `wordIds` index `words` even when
 * the tokenizer's pre-tokenizer would split a word further (e.g. "U.S." into three).
 *
 * Unlike transformers' `is_split_into_words`, the first word has no space before it; byte-level
 * BPE tokenizers therefore tokenize it without the leading-space marker, as in running text.
 */
export function encodeWords(
  tokenizer: TextTokenizer,
  words: readonly string[],
  options: EncodeWordsOptions = {},
): WordsEncoding {
  const { addSpecialTokens = true } = options;
  if (!Array.isArray(words)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'words must be an array of strings (one entry per word).',
      { field: 'words' },
    );
  }
  const wordOffsets: Array<[number, number]> = [];
  let at = 0;
  words.forEach((word: unknown, index) => {
    if (typeof word !== 'string') {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `word ${index} is ${typeof word}, not a string.`,
        { field: `words[${index}]` },
      );
    }
    wordOffsets.push([at, at + word.length]);
    at += word.length + 1;
  });
  const text = words.join(' ');
  const encoding = tokenizer.encode(text, { addSpecialTokens });
  // Tokens and words both run left to right, so one pointer over the words suffices.
  let w = 0;
  const wordIds = encoding.offsets.map(([start, end], t) => {
    if (encoding.specialTokensMask[t] === 1 || end <= start) return null;
    // The first word ending after the token's start; a token starting in the separating space
    // (byte-level "Ġword") belongs to the word after it.
    while (w < wordOffsets.length && (wordOffsets[w] as [number, number])[1] <= start) w++;
    const word = wordOffsets[w];
    return word !== undefined && word[0] < end ? w : null;
  });
  return { ...encoding, wordIds, text, wordOffsets };
}
