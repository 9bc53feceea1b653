// Public exports of the packing area (re-exported by src/index.ts).
export { blockAttentionMask } from './attention-mask.js';
export type { PackExample, PackedBlock, PackOptions, PackResult, PackStats } from './pack.js';
export { packSequences } from './pack.js';
