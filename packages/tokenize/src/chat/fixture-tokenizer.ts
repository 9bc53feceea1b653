// Test fixture: a tiny hand-written WordPiece tokenizer.json (with chat marker tokens) loaded
// through the package's own createTokenizer, for the chat and align tests.
import { createTokenizer } from '../index.js';
import { makeWordPieceTokenizerJson } from '../tokenizer/fixtures.js';
import type { TextTokenizer } from '../types.js';

export interface FixtureTokenizerOptions {
  /** Whole words and `##` continuation pieces, in id order after the specials and added tokens. */
  vocab: string[];
  /** Added special tokens matched verbatim in text (chat markers, bos/eos). */
  addedTokens?: string[];
  /** tokenizer_config.json entries (bos_token, eos_token, chat_template…). */
  config?: Record<string, unknown>;
}

/**
 * A cased BERT-style tokenizer: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3, the added tokens, then `vocab`;
 * BertPreTokenizer (splits on whitespace and punctuation), [CLS] A [SEP] / [CLS] A [SEP] B [SEP].
 */
export function createFixtureTokenizer(options: FixtureTokenizerOptions): TextTokenizer {
  const { vocab, addedTokens = [], config = {} } = options;
  const tokenizerJson = makeWordPieceTokenizerJson(vocab, {
    lowercase: false,
    specials: ['[PAD]', '[UNK]', '[CLS]', '[SEP]'],
    addedTokens,
  });
  return createTokenizer({
    tokenizerJson,
    tokenizerConfig: { unk_token: '[UNK]', pad_token: '[PAD]', ...config },
  });
}
