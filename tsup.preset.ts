// Shared build preset: every publishable package builds ESM + .d.ts from src/index.ts.
import type { Options } from 'tsup';

export function preset(overrides: Options = {}): Options {
  return {
    entry: ['src/index.ts'],
    format: ['esm'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: true,
    treeshake: true,
    ...overrides,
  };
}
