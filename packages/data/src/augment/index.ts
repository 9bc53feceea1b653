// Public exports of the augment area (re-exported by src/index.ts): synonym replacement and
// template-based generation of labelled NER examples.

export type { AugmentRecordsOptions } from './augment-records.js';
export { augmentRecords } from './augment-records.js';
export type {
  SynonymReplacement,
  SynonymReplaceOptions,
  SynonymReplaceResult,
} from './synonyms.js';
// Synonym replacement
export { synonymReplace } from './synonyms.js';
export type { FillTemplatesOptions, TemplateExample, TemplateSpan } from './templates.js';
// Template filling
export { fillTemplates } from './templates.js';
