// Public exports of the tokenizer area: loading Hugging Face tokenizer folders and batch encoding.
// TensorDtype/TensorData are identical to the collate area's exports, which the root index publishes.
export { loadTokenizer } from './load.js';
export type {
  BatchEncodeOptions,
  BatchEncoding,
  BatchInput,
  BatchTensor,
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
