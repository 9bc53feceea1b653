// `dedup` step: removes exact and near duplicates (MinHash LSH) with @ft/data, keeping the first
// of each cluster and listing what was removed.
import { dedup } from '@ft/data';
import { z } from 'zod';
import { defineStep, inputFile, outputFile, paramError, readJsonl, writeJsonl } from './utils.js';

const dedupParams = z
  .strictObject({
    /** Step whose `records` file to deduplicate; the only needed step that wrote one when omitted. */
    from: z.string().optional(),
    /** Field or fields records are compared by. @default 'text' */
    key: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).default('text'),
    /** Normalise (NFKC, lower case, collapse whitespace) before comparing. @default true */
    normalize: z.boolean().default(true),
    /** Remove exact duplicates. @default true */
    exact: z.boolean().default(true),
    /** Near-duplicate settings, or false to skip near dedup. @default {} */
    near: z
      .union([
        z.literal(false),
        z.strictObject({
          /** Jaccard similarity at or above which two records are duplicates. @default 0.8 */
          threshold: z.number().gt(0).max(1).default(0.8),
          /** MinHash permutations. @default 128 */
          numPerm: z.number().int().min(2).default(128),
          /** Shingles compared. @default { type: 'char', size: 5 } */
          shingle: z
            .strictObject({ type: z.enum(['char', 'word']), size: z.number().int().min(1) })
            .default({ type: 'char', size: 5 }),
          /** Seed of the hash functions. @default 0 */
          seed: z.union([z.number().int(), z.string()]).default(0),
        }),
      ])
      .prefault({}),
  })
  .refine((p) => p.exact || p.near !== false, {
    message: 'exact and near are both off, so nothing would be removed; enable at least one',
    path: ['exact'],
  });

export const dedupStep = defineStep({
  type: 'dedup',
  description: 'Remove exact and near-duplicate records',
  version: '1',
  params: dedupParams,
  async run(ctx) {
    const { from, key, normalize, exact, near } = ctx.params;
    const file = inputFile(ctx, 'records', from);
    const records = await readJsonl(file);
    const keys = Array.isArray(key) ? key : [key];
    const missing = keys.find((k) => !records.some((r) => typeof r[k] === 'string'));
    if (missing !== undefined) {
      throw paramError('key', `no record has a text field "${missing}"; set key to a text field`);
    }
    const result = dedup(records, {
      exact: exact ? { key, normalize } : false,
      near: near === false ? false : { key, normalize, ...near },
    });
    const out = outputFile(ctx, 'records.jsonl');
    const removed = outputFile(ctx, 'removed.jsonl');
    await writeJsonl(out.path, result.kept);
    await writeJsonl(
      removed.path,
      result.removed.map((r) => ({
        index: r.index,
        duplicateOf: r.duplicateOf,
        reason: r.reason,
        similarity: r.similarity ?? null,
      })),
    );
    const { input, kept, removedExact, removedNear } = result.report;
    ctx.log(`kept ${kept} of ${input}: ${removedExact} exact and ${removedNear} near duplicate(s)`);
    return {
      files: { records: out.rel, removed: removed.rel },
      values: { input, kept, removedExact, removedNear },
    };
  },
});
