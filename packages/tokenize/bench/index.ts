// `pnpm --filter @ft/tokenize bench`: every @ft/tokenize benchmark, each printing `name: value` lines.
import { run as runCollate } from './collate.js';
import { run as runEncode } from './encode.js';
import { run as runTrain } from './train.js';

console.log(`# @ft/tokenize bench — node ${process.version}, ${new Date().toISOString()}`);
await runTrain();
await runEncode();
await runCollate();
