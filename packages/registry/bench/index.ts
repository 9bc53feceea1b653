// Benchmark of @ft/registry: registering many 10 MB versions that share 90% of their bytes, the
// resulting dedup ratio, list + search at that size, and a deploy + rollback pair.
// Run: pnpm --filter @ft/registry bench (FT_BENCH_VERSIONS=50 for a quick run).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRng } from '@ft/data';
import { createRegistry, deploy, rollback } from '../src/index.js';

const MB = 1024 * 1024;
/** Bytes every version shares (one blob) and bytes unique to each version. */
const SHARED_BYTES = 9 * MB;
const UNIQUE_BYTES = 1 * MB;
const MODEL = 'bench-model';
const LIST_SEARCH_REPEATS = 5;
const DEPLOY_PAIRS = 10;

function versionCount(): number {
  const raw = process.env.FT_BENCH_VERSIONS ?? '1000';
  const count = Number(raw);
  if (!Number.isSafeInteger(count) || count < 2) {
    throw new Error(`FT_BENCH_VERSIONS must be a whole number of at least 2, got ${raw}`);
  }
  return count;
}

/** Seeded bytes, four per draw (the byte-at-a-time loop would dominate the benchmark). */
function seededBytes(seed: string, count: number): Uint8Array {
  const rng = createRng(seed);
  const words = new Uint32Array(Math.ceil(count / 4));
  for (let i = 0; i < words.length; i++) words[i] = Math.floor(rng.next() * 2 ** 32);
  return new Uint8Array(words.buffer, 0, count);
}

function show(name: string, value: number | string): void {
  console.log(`${name}: ${value}`);
}

async function main(): Promise<void> {
  const versions = versionCount();
  const root = await mkdtemp(join(tmpdir(), 'ft-registry-bench-'));
  try {
    const registry = await createRegistry({ root: join(root, 'registry'), user: 'bench' });
    const shared = seededBytes('bench-shared', SHARED_BYTES);
    const rng = createRng('bench-metrics');

    let registerMs = 0;
    for (let i = 1; i <= versions; i++) {
      // Generated outside the timed region: the benchmark measures the registry, not the PRNG.
      const unique = seededBytes(`bench-unique-${i}`, UNIQUE_BYTES);
      const started = performance.now();
      await registry.register(MODEL, {
        source: { 'weights/base.bin': shared, 'weights/adapter.bin': unique },
        metrics: { accuracy: 0.5 + 0.5 * rng.next(), loss: rng.next() },
        params: { lr: 1e-4, step: i },
        tags: { stage: i % 10 === 0 ? 'candidate' : 'dev', seed: String(i % 7) },
      });
      registerMs += performance.now() - started;
    }

    const all = await registry.listVersions(MODEL);
    const logical = all.reduce(
      (sum, version) => sum + version.files.reduce((s, file) => s + file.size, 0),
      0,
    );
    let stored = 0;
    for (const hash of await registry.listBlobs()) {
      stored += (await registry.store.blobSize(hash)) ?? 0;
    }

    let listSearchMs = 0;
    let found = 0;
    for (let r = 0; r < LIST_SEARCH_REPEATS; r++) {
      const started = performance.now();
      const listed = await registry.listVersions(MODEL);
      const hits = await registry.search({
        tags: { stage: 'candidate' },
        metric: { name: 'accuracy', min: 0.75 },
        orderBy: { metric: 'accuracy', direction: 'desc' },
      });
      listSearchMs += performance.now() - started;
      if (listed.length !== versions) throw new Error(`listed ${listed.length} of ${versions}`);
      found = hits.length;
    }

    const target = join(root, 'serve', MODEL);
    await deploy(registry, { model: MODEL, ref: 1, target });
    let deployRollbackMs = 0;
    for (let p = 0; p < DEPLOY_PAIRS; p++) {
      const started = performance.now();
      await deploy(registry, { model: MODEL, ref: 2 + (p % (versions - 1)), target });
      await rollback(registry, { target });
      deployRollbackMs += performance.now() - started;
    }

    show('versions', versions);
    show(`register_${versions}_versions_s`, (registerMs / 1000).toFixed(2));
    show('register_ms_per_version', (registerMs / versions).toFixed(2));
    show('logical_bytes', logical);
    show('stored_bytes', stored);
    show('blob_dedup_ratio', (logical / stored).toFixed(3));
    show('search_hits', found);
    show('list_search_ms', (listSearchMs / LIST_SEARCH_REPEATS).toFixed(1));
    show('deploy_rollback_ms', (deployRollbackMs / DEPLOY_PAIRS).toFixed(1));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
