// Public exports of the stats area (re-exported by src/index.ts).

export type { FingerprintOptions } from './fingerprint.js';
export { fingerprintDataset } from './fingerprint.js';
export type {
  DatasetStats,
  DatasetStatsOptions,
  FieldStats,
  LabelStats,
  LengthDistribution,
  StatsHistogram,
  StatsValueType,
  TextFieldStats,
} from './stats.js';
export { datasetStats, formatStats, percentile } from './stats.js';
