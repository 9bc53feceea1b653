import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: forks keep native bindings (DuckDB) isolated per file.
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: './test-results.json' },
  },
});
