// Public exports of the conll area (re-exported by src/index.ts).

export { readConll, writeConll } from './files.js';
// CoNLL text and files
export { formatConll, parseConll } from './parse.js';

// Tag schemes
export { convertTags, repairTags, spansToTags, tagsToSpans, validateTags } from './tags.js';

export type {
  ConllFormatOptions,
  ConllParseOptions,
  ConllReadOptions,
  ConllReadStats,
  ConllSentence,
  ConllStream,
  ConllWriteResult,
  TagIssue,
  TagProblem,
  TagScheme,
  TagSpan,
  TagsToSpansOptions,
} from './types.js';
