// Word splitting for training, in plain JS: the same normalization and pre-tokenization as the
// Rust BertNormalizer + BertPreTokenizer and ByteLevel pre-tokenizer (tests check them against it),
// without a native call per text, which costs more than the training itself.

/** Splits one text into the words the trainer counts. */
export type WordSplitter = (text: string) => string[];

export interface BertSplitterOptions {
  lowercase: boolean;
  stripAccents: boolean;
}

// Rust `is_control` (Unicode "other" minus \t \n \r), NUL and U+FFFD are dropped by clean_text.
const CLEAN = /[\0\uFFFD]|(?![\t\n\r])\p{C}/gu;
// The CJK ideograph blocks BertNormalizer surrounds with spaces.
const CHINESE =
  /[\u4E00-\u9FFF\u3400-\u4DBF\u{20000}-\u{2A6DF}\u{2A700}-\u{2B73F}\u{2B740}-\u{2B81F}\u{2B920}-\u{2CEAF}\uF900-\uFAFF\u{2F800}-\u{2FA1F}]/gu;
const NONSPACING_MARK = /\p{Mn}/gu;
const WHITESPACE = /[\t\n\r\p{White_Space}]+/u;
// ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or any Unicode P* character.
const BERT_WORD = /[!-/:-@[-`{-~\p{P}]|[^!-/:-@[-`{-~\p{P}]+/gu;
const CAPITAL_SIGMA = 'Σ';

/**
 * Rust lowercases character by character; JS `toLowerCase` applies the final-sigma rule to
 * whole strings, so Σ is mapped to σ on its own first.
 */
function lowercaseChars(text: string): string {
  return (text.includes(CAPITAL_SIGMA) ? text.replaceAll(CAPITAL_SIGMA, 'σ') : text).toLowerCase();
}

/** BertNormalizer (clean text, CJK spacing, optional accent stripping and lowercasing) + BertPreTokenizer. */
export function createBertSplitter(options: BertSplitterOptions): WordSplitter {
  const { lowercase, stripAccents } = options;
  return (text) => {
    let s = text.replace(CLEAN, '').replace(CHINESE, ' $& ');
    if (stripAccents) s = s.normalize('NFD').replace(NONSPACING_MARK, '');
    if (lowercase) s = lowercaseChars(s);
    const words: string[] = [];
    for (const piece of s.split(WHITESPACE)) {
      if (piece === '') continue;
      for (const match of piece.matchAll(BERT_WORD)) words.push(match[0]);
    }
    return words;
  };
}

/** GPT-2's byte-to-symbol table: printable bytes map to themselves, the rest to U+0100 onwards. */
export function byteLevelSymbols(): string[] {
  const symbols = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable =
      (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    symbols[b] = String.fromCodePoint(printable ? b : next++);
  }
  return symbols;
}

// GPT-2's split pattern; Oniguruma's Unicode \s is the White_Space property.
const BYTE_LEVEL_WORD =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?![^\p{White_Space}])|\p{White_Space}+/gu;

/** ByteLevel pre-tokenizer (add_prefix_space false, GPT-2 regex): words as byte-symbol strings. */
export function createByteLevelSplitter(): WordSplitter {
  const symbols = byteLevelSymbols();
  const encoder = new TextEncoder();
  const cache = new Map<string, string>();
  return (text) => {
    const words: string[] = [];
    for (const match of text.matchAll(BYTE_LEVEL_WORD)) {
      const piece = match[0];
      let mapped = cache.get(piece);
      if (mapped === undefined) {
        mapped = '';
        for (const byte of encoder.encode(piece)) mapped += symbols[byte];
        if (cache.size < 1_000_000) cache.set(piece, mapped);
      }
      words.push(mapped);
    }
    return words;
  };
}
