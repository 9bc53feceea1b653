// Shared Vitest settings for every package (each package's vitest.config.ts re-exports this).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Forks keep native bindings (DuckDB, ONNX Runtime, tokenizers) isolated per test file.
    pool: 'forks',
    // The JSON report feeds scripts/test-summary.mjs, which prints CI's closing line.
    reporters: ['default', 'json'],
    outputFile: { json: './test-results.json' },
  },
});
