// `clean` step: normalises text, scrubs PII and drops low-quality records with @ft/data's cleaner.
import { cleanRecords, PII_TYPES, SCRIPT_NAMES } from '@ft/data';
import { z } from 'zod';
import {
  defineStep,
  inputFile,
  outputFile,
  paramError,
  readJsonl,
  toJson,
  writeJsonl,
} from './utils.js';

const count = z.number().int().nonnegative();
const ratio = z.number().min(0).max(1);

const cleanParams = z.strictObject({
  /** Step whose `records` file to clean; the only needed step that wrote one when omitted. */
  from: z.string().optional(),
  /** Fields to clean. @default every string field */
  fields: z.array(z.string().min(1)).min(1).optional(),
  /** Unicode and whitespace normalisation, or false to skip it. @default {} (NFKC) */
  normalize: z
    .union([
      z.literal(false),
      z.strictObject({
        form: z.union([z.enum(['NFKC', 'NFC']), z.literal(false)]).optional(),
        collapseWhitespace: z.boolean().optional(),
        maxBlankLines: z.union([count, z.literal(false)]).optional(),
        trim: z.boolean().optional(),
      }),
    ])
    .default({}),
  /** PII kinds to replace (and their replacements), or false to keep PII. @default {} (all kinds) */
  pii: z
    .union([
      z.literal(false),
      z.strictObject({
        types: z.array(z.enum(PII_TYPES)).optional(),
        replacements: z.partialRecord(z.enum(PII_TYPES), z.string()).optional(),
      }),
    ])
    .default({}),
  /** Quality thresholds, or false to keep every record. @default {} */
  quality: z
    .union([
      z.literal(false),
      z.strictObject({
        minChars: count.optional(),
        maxChars: count.optional(),
        minWords: count.optional(),
        maxWords: count.optional(),
        maxRepetitionRatio: ratio.optional(),
        maxDuplicateLineRatio: ratio.optional(),
        maxSymbolRatio: ratio.optional(),
        scripts: z.array(z.enum(SCRIPT_NAMES)).min(1).optional(),
        minScriptShare: ratio.optional(),
      }),
    ])
    .default({}),
});

export const cleanStep = defineStep({
  type: 'clean',
  description: 'Normalise text, scrub PII and drop low-quality records',
  version: '1',
  params: cleanParams,
  async run(ctx) {
    const { from, fields, normalize, pii, quality } = ctx.params;
    const records = await readJsonl(inputFile(ctx, 'records', from));
    const result = await cleanRecords(records, { fields, normalize, pii, quality });
    if (result.records.length === 0) {
      throw paramError(
        'quality',
        `every one of ${records.length} record(s) was dropped (${JSON.stringify(result.report.dropped)}); loosen the quality thresholds`,
      );
    }
    const out = outputFile(ctx, 'records.jsonl');
    await writeJsonl(out.path, result.records);
    const { recordsIn, recordsOut, dropped, fieldsChanged } = result.report;
    ctx.log(`kept ${recordsOut} of ${recordsIn} record(s)`);
    return {
      files: { records: out.rel },
      values: {
        recordsIn,
        recordsOut,
        dropped: toJson(dropped),
        pii: toJson(result.report.pii),
        fieldsChanged,
      },
    };
  },
});
