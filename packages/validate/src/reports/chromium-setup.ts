// Finds the Chromium the HTML-report browser test drives, installing Debian's package when running
// as root (as CI does). Meant for vitest's globalSetup; the browser test itself fails with the
// install hint when Chromium is still missing.
import { existsSync } from 'node:fs';
import { installDebianPackage } from '@ft/test-utils';

/** Where Debian's `chromium` package puts the browser. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

export const CHROMIUM_INSTALL_HINT = `Chromium is not installed at ${CHROMIUM_PATH}: run \`apt-get install chromium\` (as root) so the HTML report test can open the report in a headless browser`;

/**
 * Returns the Chromium path, installing it with apt-get first when it is missing and this process
 * runs as root; returns undefined when it is missing and cannot be installed.
 */
export function ensureChromium(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return undefined;
  try {
    installDebianPackage('chromium');
  } catch (error) {
    // Reported, not thrown: the browser test names the fix, and other packages' tests still run.
    console.warn(`[@ft/validate] ${(error as Error).message}`);
  }
  return existsSync(CHROMIUM_PATH) ? CHROMIUM_PATH : undefined;
}

/** vitest globalSetup hook. */
export function setup(): void {
  if (ensureChromium() === undefined) console.warn(`[@ft/validate] ${CHROMIUM_INSTALL_HINT}`);
}
