// Public exports of the labeling area (re-exported by src/index.ts): weak labelling with
// labelling functions, majority vote, a Dawid–Skene label model and LF diagnostics.

export type { LfAnalysis, LfAnalysisOptions, LfSummary } from './analysis.js';
// Diagnostics
export { lfAnalysis } from './analysis.js';
export type { ApplyLabelingFunctionsOptions } from './apply.js';
// Label matrix and aggregation
export { applyLabelingFunctions } from './apply.js';
export { customLF } from './custom.js';
export type { KeywordLFOptions } from './keyword.js';
export { keywordLF } from './keyword.js';
export type { LabelModel, LabelModelOptions } from './label-model.js';
export { trainLabelModel } from './label-model.js';
export type { MajorityVoteOptions } from './majority-vote.js';
export { majorityVote } from './majority-vote.js';
export type { RegexLFOptions } from './regex.js';
export { regexLF } from './regex.js';
export type { LabelingFunction, LabelMatrix } from './types.js';
// Labelling functions
export { ABSTAIN } from './types.js';
