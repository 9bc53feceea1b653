// Shared test fixtures for ft packages.
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
