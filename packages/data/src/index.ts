// Public API of @ft/data.

export * from './augment/index.js';
export * from './clean/index.js';
export * from './conll/index.js';
export * from './dedup/index.js';
export type { DataErrorCode, DataErrorDetails } from './errors.js';
// Errors
export { DataError, isDataError } from './errors.js';
export * from './feedback/index.js';
export { writeFileAtomic } from './fs-utils.js';
export { canonicalJson, sha256Hex } from './hash.js';

// Areas (each area's index.ts lists its public exports explicitly)
export * from './io/index.js';
export * from './labeling/index.js';
export * from './prompts/index.js';
export type { Rng } from './random.js';
// Seeded randomness and hashing
export { createRng } from './random.js';
export type { RecordLocation } from './schema.js';
// Schemas
export { conformRecord, inferSchema, typeOfValue } from './schema.js';
export * from './split/index.js';
export * from './stats/index.js';
// Types
export type {
  DataRecord,
  Dataset,
  Field,
  FieldType,
  FileFormat,
  FileFormatName,
  OnError,
  ReadOptions,
  ReadStats,
  RecordStream,
  Schema,
  WriteOptions,
  WriteResult,
} from './types.js';
