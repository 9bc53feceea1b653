// `register` step: stores the trained model folder (with its evaluation, when an evaluate step is
// among the needs) as a new @ft/registry version with metrics, params and lineage.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { sha256Hex } from '@ft/data';
import { createRegistry } from '@ft/registry';
import { z } from 'zod';
import type { Json } from '../types.js';
import { defineStep, findInput } from './utils.js';
import { REGISTERED_METRICS, REGISTERED_PREDICTIONS } from './validate.js';

const registerParams = z.strictObject({
  /** Registry folder, relative to the pipeline file (created when missing). */
  registry: z.string().min(1),
  /** Model name in the registry. */
  model: z.string().min(1),
  /** Step whose `model` folder to register; the only needed step with one when omitted. */
  from: z.string().optional(),
  /** Evaluate step whose metrics and predictions are stored with the version; the only needed one when omitted. */
  evaluation: z.string().optional(),
  /** Alias to point at the new version (e.g. `candidate`). */
  alias: z.string().min(1).optional(),
  /** Version tags. @default {} */
  tags: z.record(z.string(), z.string()).default({}),
  description: z.string().optional(),
});

/** Version tag holding a hash of the registered files (path + content), for idempotent reruns. */
const CONTENT_TAG = 'ft-content';

/** sha256 over the sorted (path, sha256 of content) pairs of the files to register. */
async function contentKey(source: Record<string, string>): Promise<string> {
  const parts: string[] = [];
  for (const name of Object.keys(source).sort()) {
    parts.push(`${name}\0${sha256Hex(await readFile(source[name] as string))}`);
  }
  return sha256Hex(parts.join('\n'));
}

/** Files under `dir`, relative posix path → absolute path. */
async function filesUnder(dir: string): Promise<Record<string, string>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out: Record<string, string> = {};
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out[relative(dir, path).split(sep).join('/')] = path;
  }
  return out;
}

export const registerStep = defineStep({
  type: 'register',
  description: 'Register the trained model folder as a new registry version',
  version: '2',
  params: registerParams,
  // Registering is an effect outside the run folder: never restored from the cache, idempotent
  // instead (an identical model is found by its content tag and reused).
  cache: false,
  async run(ctx) {
    const p = ctx.params;
    const model = findInput(ctx, 'model', p.from);
    const trainValues = ctx.inputs[model.id]?.values ?? {};
    const source = await filesUnder(model.path);
    let metrics: Record<string, number> = {};
    const evaluations = Object.entries(ctx.inputs).filter(
      ([, o]) => o.files.predictions !== undefined,
    );
    if (p.evaluation !== undefined || evaluations.length > 0) {
      const predictions = findInput(ctx, 'predictions', p.evaluation, 'evaluation');
      const metricsFile = findInput(ctx, 'metrics', predictions.id, 'evaluation').path;
      source[REGISTERED_PREDICTIONS] = predictions.path;
      source[REGISTERED_METRICS] = metricsFile;
      metrics = (
        JSON.parse(await readFile(metricsFile, 'utf8')) as { metrics: Record<string, number> }
      ).metrics;
    } else if (trainValues.metrics !== null && typeof trainValues.metrics === 'object') {
      metrics = trainValues.metrics as Record<string, number>;
    }
    const finite = Object.fromEntries(
      Object.entries(metrics).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)),
    );
    const registry = await createRegistry({ root: resolve(ctx.baseDir, p.registry) });
    const fingerprint = trainValues.datasetFingerprint;
    const content = await contentKey(source);
    const [existing] = await registry.search({
      name: p.model,
      tags: { [CONTENT_TAG]: content },
      limit: 1,
    });
    const version =
      existing ??
      (await registry.register(p.model, {
        source,
        metrics: finite,
        params: (trainValues.params as Record<string, Json> | undefined) ?? {},
        tags: { ...p.tags, [CONTENT_TAG]: content },
        description: p.description,
        lineage: {
          runId: ctx.runId,
          ...(typeof fingerprint === 'string' ? { datasetFingerprint: fingerprint } : {}),
        },
      }));
    if (existing) ctx.log(`${p.model} v${existing.version} holds the same files: reused`);
    if (p.alias !== undefined) await registry.setAlias(p.model, p.alias, version.version);
    ctx.log(`registered ${p.model} v${version.version} (${version.files.length} files)`);
    return {
      files: {},
      values: {
        registry: resolve(ctx.baseDir, p.registry),
        model: p.model,
        version: version.version,
        alias: p.alias ?? null,
        files: version.files.length,
        metrics: finite,
        datasetFingerprint: typeof fingerprint === 'string' ? fingerprint : null,
      },
    };
  },
});
