import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// The HTML-report test drives Debian's Chromium; on a bare CI machine (root) it is installed first.
export default mergeConfig(
  shared,
  defineConfig({ test: { globalSetup: ['src/reports/chromium-setup.ts'] } }),
);
