// `split` step: seeded random, stratified or group splits (@ft/data splitDataset) into one JSONL
// file per split, with sizes and label distributions.
import { splitDataset } from '@ft/data';
import { z } from 'zod';
import type { Json } from '../types.js';
import {
  defineStep,
  inputFile,
  labelDistribution,
  outputFile,
  readJsonl,
  writeJsonl,
} from './utils.js';

const splitParams = z
  .strictObject({
    /** Step whose `records` file to split; the only needed step that wrote one when omitted. */
    from: z.string().optional(),
    /** Split names (file names) and fractions summing to 1. @default { train: 0.8, validation: 0.1, test: 0.1 } */
    ratios: z
      .record(
        z.string().regex(/^[A-Za-z0-9_-]+$/, 'split names may use letters, digits, _ and - only'),
        z.number().min(0).max(1),
      )
      .default({ train: 0.8, validation: 0.1, test: 0.1 })
      .refine((r) => Object.keys(r).length >= 2, 'give at least two splits')
      .refine(
        (r) => Math.abs(Object.values(r).reduce((a, b) => a + b, 0) - 1) < 1e-6,
        'the ratios must sum to 1',
      ),
    /** Seed: the same seed gives the same split. @default 0 */
    seed: z.union([z.number().int(), z.string()]).default(0),
    /** Field whose classes keep their proportions in every split. */
    stratifyBy: z.string().min(1).optional(),
    /** Field whose values (e.g. user ids) never span two splits. */
    groupBy: z.string().min(1).optional(),
    /** `shuffle` (exact sizes) or `hash` (stable as data grows). @default 'shuffle' */
    method: z.enum(['shuffle', 'hash']).default('shuffle'),
    /** `hash` only: the field hashed (unique per record or group). @default groupBy */
    hashKey: z.string().min(1).optional(),
    /** Field whose distribution is reported per split. @default 'label' */
    labelField: z.string().min(1).default('label'),
  })
  .refine((p) => p.method !== 'hash' || p.stratifyBy === undefined, {
    message: 'method "hash" cannot stratify; use method "shuffle" or drop stratifyBy',
    path: ['stratifyBy'],
  })
  .refine((p) => p.method !== 'hash' || p.hashKey !== undefined || p.groupBy !== undefined, {
    message: 'method "hash" needs hashKey (a field unique per record) or groupBy',
    path: ['hashKey'],
  });

export const splitStep = defineStep({
  type: 'split',
  description: 'Split records into train/validation/test files (seeded, stratified or grouped)',
  version: '1',
  params: splitParams,
  async run(ctx) {
    const { from, ratios, seed, stratifyBy, groupBy, method, hashKey, labelField } = ctx.params;
    const records = await readJsonl(inputFile(ctx, 'records', from));
    const result = splitDataset(records, { ratios, seed, stratifyBy, groupBy, method, hashKey });
    const files: Record<string, string> = {};
    const sizes: Record<string, number> = {};
    const distribution: Record<string, Json> = {};
    const labelled = records.some((r) => r[labelField] !== undefined);
    for (const [name, part] of Object.entries(result.splits)) {
      const out = outputFile(ctx, `${name}.jsonl`);
      await writeJsonl(out.path, part);
      files[name] = out.rel;
      sizes[name] = part.length;
      if (labelled) distribution[name] = labelDistribution(part, labelField);
    }
    ctx.log(`split ${records.length} record(s): ${JSON.stringify(sizes)}`);
    return {
      files,
      values: { total: records.length, sizes, labelDistribution: distribution },
    };
  },
});
