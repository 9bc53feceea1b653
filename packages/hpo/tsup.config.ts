import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset.js';

// The worker entry is forked as its own file for trials run in child processes.
export default defineConfig(preset({ entry: ['src/index.ts', 'src/optimize/worker.ts'] }));
