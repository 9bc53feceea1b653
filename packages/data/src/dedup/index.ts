// Exact and near-duplicate (MinHash LSH) removal.
export { dedup } from './dedup.js';
export { dedupExact } from './exact.js';
export type { LshParams } from './lsh.js';
export { dedupNear, lshCandidateProbability, optimalLshParams } from './lsh.js';
export type { MinHasher, MinHasherOptions } from './minhash.js';
export { createMinHasher, estimateJaccard, jaccardSorted } from './minhash.js';
export type {
  DedupExactOptions,
  DedupNearOptions,
  DedupOptions,
  DedupRemoval,
  DedupReport,
  DedupResult,
  ShingleOptions,
} from './types.js';
export type { DedupKey, DedupNormalizeOptions, DedupNormalizeSetting } from './utils.js';
export { createDedupNormalizer } from './utils.js';
