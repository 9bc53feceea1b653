// Public exports of the io area (re-exported by src/index.ts).

export type { CsvFormatOptions } from './csv.js';
export { createCsvFormat, inferCsvSchema } from './csv.js';
export type { JsonlFormatOptions } from './jsonl.js';
// Formats
export { createJsonlFormat } from './jsonl.js';
export type { RegisteredFormatName } from './registry.js';
// Registry and high-level API
export {
  detectFormat,
  fileFormats,
  getFileFormat,
  readDataset,
  readRecords,
  writeDataset,
  writeRecords,
} from './registry.js';
