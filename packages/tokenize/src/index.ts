// Public API of @ft/tokenize.

export * from './align/index.js';
export * from './chat/index.js';
export * from './collate/index.js';
export type { TokenizeErrorCode, TokenizeErrorDetails } from './errors.js';
// Errors
export { TokenizeError } from './errors.js';
export * from './packing/index.js';
// Areas (each area's index.ts lists its public exports explicitly)
export * from './tokenizer/index.js';
export * from './train/index.js';
// Types
export type {
  BatchTensor,
  EncodeOptions,
  Encoding,
  SpecialTokens,
  TensorData,
  TensorDtype,
  TextTokenizer,
} from './types.js';
