// Public exports of the clean area (re-exported by src/index.ts).

export type { Cleaner, CleanerOptions, CleanReport } from './cleaner.js';
// Record cleaner
export { cleanRecords, createCleaner } from './cleaner.js';
export type { NormalizeTextOptions } from './normalize.js';
// Normalisation
export { normalizeText } from './normalize.js';
export type { PiiMatch, PiiOptions, PiiResult, PiiType } from './pii.js';
// PII
export { luhnValid, PII_TYPES, scrubPii } from './pii.js';
export type { QualityMetrics, QualityOptions, QualityReason, QualityResult } from './quality.js';
export { assessQuality } from './quality.js';
export type { ScriptName, ScriptShares } from './script.js';
// Scripts and quality
export { detectScripts, dominantScript, SCRIPT_NAMES } from './script.js';
