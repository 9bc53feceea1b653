// `pnpm --filter @ft/data bench`: every @ft/data benchmark, each printing `name: value` lines.
// Ratios (`*_vs_*`) compare against a peer run in this same script, so machine noise cancels.
import { run as runDedup } from './dedup.js';
import { run as runIo } from './io.js';
import { run as runParquetLibraries } from './parquet-libraries.js';

console.log(`# @ft/data bench — node ${process.version}, ${new Date().toISOString()}`);
await runIo();
await runParquetLibraries();
await runDedup();
