// Public exports of the feedback area (re-exported by src/index.ts).

export type { CorrectionEvent, FeedbackEvent, PredictionEvent } from './journal.js';
export type { FileLock, FileLockOptions, LockInfo } from './lock.js';
export { acquireFileLock, isProcessAlive, withFileLock } from './lock.js';
export type {
  CorrectionsOptions,
  CorrectOptions,
  ExportCorrectedOptions,
  FeedbackCorrection,
  FeedbackCounts,
  FeedbackRecordInput,
  FeedbackStats,
  FeedbackStatsOptions,
  FeedbackStore,
  FeedbackStoreOptions,
  FeedbackTimeInput,
} from './store.js';
export { openFeedbackStore } from './store.js';
