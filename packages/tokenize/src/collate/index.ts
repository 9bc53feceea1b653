// Public exports of the collate area (re-exported by src/index.ts).

export type { CreateBatchesOptions, LengthsInput } from './batches.js';
export { createBatches, paddingRatio } from './batches.js';
export type { Batch, CollateExample, CollateOptions } from './collate.js';
export { collate } from './collate.js';
