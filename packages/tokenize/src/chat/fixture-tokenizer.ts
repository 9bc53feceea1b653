// Test fixture: a tiny hand-written WordPiece tokenizer.json (with chat marker tokens) loaded
// through the package's own createTokenizer, for the chat and align tests.
import { createTokenizer } from '../index.js';
import type { TextTokenizer } from '../types.js';

export interface FixtureTokenizerOptions {
  /** Whole words and `##` continuation pieces, in id order after the specials and added tokens. */
  vocab: string[];
  /** Added special tokens matched verbatim in text (chat markers, bos/eos). */
  addedTokens?: string[];
  /** tokenizer_config.json entries (bos_token, eos_token, chat_template…). */
  config?: Record<string, unknown>;
}

const BERT_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'];

/**
 * A cased BERT-style tokenizer: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3, the added tokens, then `vocab`;
 * BertPreTokenizer (splits on whitespace and punctuation), [CLS] A [SEP] / [CLS] A [SEP] B [SEP].
 */
export function createFixtureTokenizer(options: FixtureTokenizerOptions): TextTokenizer {
  const { vocab, addedTokens = [], config = {} } = options;
  const all = [...BERT_SPECIALS, ...addedTokens, ...vocab];
  const ids = Object.fromEntries(all.map((token, id) => [token, id]));
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  const sep = (typeId: number) => ({ SpecialToken: { id: '[SEP]', type_id: typeId } });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...BERT_SPECIALS, ...addedTokens].map((content) => ({
      id: ids[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep(0)],
      pair: [
        cls,
        { Sequence: { id: 'A', type_id: 0 } },
        sep(0),
        { Sequence: { id: 'B', type_id: 1 } },
        sep(1),
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
  return createTokenizer({
    tokenizerJson,
    tokenizerConfig: { unk_token: '[UNK]', pad_token: '[PAD]', ...config },
  });
}
