// Public exports of the train area (re-exported by src/index.ts): training and extending tokenizers.
export type { RecordCorpus, TrainingCorpus } from './corpus.js';
export { extendTokenizer } from './extend-tokenizer.js';
export { saveTokenizer, trainTokenizer } from './train-tokenizer.js';
export type {
  AddedTokenJson,
  ExtendTokenizerOptions,
  ExtendTokenizerResult,
  SavedTokenizerFiles,
  SpecialTokenRoles,
  TokenizerJson,
  TokenizerModelKind,
  TrainedTokenizer,
  TrainStats,
  TrainTokenizerOptions,
} from './types.js';
