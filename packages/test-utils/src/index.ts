// Shared test fixtures for ft packages.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh temporary folder; call `cleanup()` (e.g. in afterEach) to remove it. */
export async function createTempDir(
  prefix = 'ft-test-',
): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Short multilingual sentences (English, Swedish, Amharic in Ethiopic script) for tests. */
export const multilingualSentences = {
  english: [
    'The quick brown fox jumps over the lazy dog.',
    'Please call me tomorrow about the invoice.',
    'Machine learning models need clean training data.',
  ],
  swedish: [
    'Den snabba bruna räven hoppar över den lata hunden.',
    'Ring mig i morgon om fakturan, tack.',
    'Maskininlärning kräver ren träningsdata på svenska.',
  ],
  amharic: ['ሰላም ለዓለም። እንዴት ነህ?', 'ነገ ስለ ደረሰኙ ደውልልኝ።', 'የማሽን ትምህርት ንጹህ የስልጠና መረጃ ይፈልጋል።'],
} as const;

/**
 * Installs a Debian package with apt-get (tests that need a real server or browser on a bare CI
 * machine). Needs root. Several test processes may ask at once, so installs are serialised by
 * `flock` on one lock file, and apt itself waits for dpkg's lock instead of failing. Package lists
 * are refreshed only when the first install attempt fails (a fresh machine has none).
 */
export function installDebianPackage(pkg: string): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `${pkg} is missing and this process is not root, so it cannot install it: run \`sudo apt-get install -y ${pkg}\` (Debian/Ubuntu) and rerun the tests`,
    );
  }
  const apt = (args: string) => `apt-get -o DPkg::Lock::Timeout=600 -o Acquire::Retries=3 ${args}`;
  const script = `${apt(`install -y --no-install-recommends ${pkg}`)} || { ${apt('update')} && ${apt(`install -y --no-install-recommends ${pkg}`)}; }`;
  try {
    execFileSync('flock', [join(tmpdir(), 'ft-test-apt.lock'), 'sh', '-c', script], {
      stdio: 'pipe',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim().split('\n').slice(-3);
    throw new Error(`installing ${pkg} with apt-get failed: ${stderr?.join(' | ') ?? error}`, {
      cause: error,
    });
  }
}
