// Public exports of the tokenizer area: loading Hugging Face tokenizer folders and batch encoding.
export { loadTokenizer } from './load.js';
export type {
  BatchEncodeOptions,
  BatchEncoding,
  BatchInput,
  ConfigToken,
  CreateTokenizerOptions,
  DecodeOptions,
  LoadTokenizerOptions,
  PaddingStrategy,
  Side,
  TokenizerConfigJson,
  TruncationStrategy,
} from './options.js';
export { createTokenizer, Tokenizer } from './tokenizer.js';
