import { defineConfig } from 'tsup';
import { preset } from '../../tsup.preset.js';

// The CLI is its own entry (the `ft` bin); job processes fork the job-runner entry.
export default defineConfig(
  preset({ entry: ['src/index.ts', 'src/cli.ts', 'src/jobs/job-runner.ts'] }),
);
