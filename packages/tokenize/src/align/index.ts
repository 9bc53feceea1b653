// Public exports of the align area (re-exported by src/index.ts).

export type { AlignLabelsOptions } from './align-labels.js';
export { alignLabels } from './align-labels.js';
export type { DecodeEntitiesOptions, Entity } from './decode-entities.js';
export { decodeEntities } from './decode-entities.js';
export type { EncodeWordsOptions, WordsEncoding } from './encode-words.js';
export { encodeWords } from './encode-words.js';
