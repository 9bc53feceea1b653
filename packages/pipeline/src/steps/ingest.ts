// `ingest` step: reads one or more data files (JSONL, CSV, Parquet, Arrow) with @ft/data into one
// records.jsonl, counting skipped malformed lines and fingerprinting the result for lineage.
import { access, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { DataRecord, ReadStats } from '@ft/data';
import { readRecords, sha256Hex } from '@ft/data';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { defineStep, outputFile, paramError, throwIfAborted, writeJsonl } from './utils.js';

const fieldSchema = z.strictObject({
  name: z.string().min(1),
  type: z.enum(['string', 'integer', 'float', 'boolean', 'timestamp', 'json']),
  nullable: z.boolean().optional(),
});

const ingestParams = z.strictObject({
  /** Data file(s), relative to the pipeline file's folder. */
  path: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  /** File format; from each file's extension when omitted. */
  format: z.enum(['jsonl', 'csv', 'parquet', 'arrow']).optional(),
  /** Malformed lines/rows: fail the step, or skip them and count them. @default 'fail' */
  onError: z.enum(['fail', 'skip']).default('fail'),
  /** Explicit schema every record is checked (and, for CSV, converted) against. */
  schema: z.strictObject({ fields: z.array(fieldSchema).min(1) }).optional(),
  /** CSV only: field delimiter. @default ',' (tab for .tsv) */
  delimiter: z.string().length(1).optional(),
});

/** How many skipped-line messages are kept in the step's values. */
const MAX_REPORTED_ERRORS = 10;

export const ingestStep = defineStep({
  type: 'ingest',
  description: 'Read data files (JSONL, CSV, Parquet, Arrow) into records.jsonl',
  version: '1',
  params: ingestParams,
  async run(ctx) {
    const { path, format, onError, schema, delimiter } = ctx.params;
    const paths = Array.isArray(path) ? path : [path];
    const files = paths.map((p) => resolve(ctx.baseDir, p));
    for (const [i, file] of files.entries()) {
      try {
        await access(file);
      } catch (cause) {
        throw new PipelineError(
          'INVALID_CONFIG',
          `data file ${file} does not exist; paths are relative to the pipeline file's folder (${ctx.baseDir})`,
          { field: Array.isArray(path) ? `params.path.${i}` : 'params.path', path: file, cause },
        );
      }
    }
    const stats: ReadStats[] = [];
    const signal = ctx.signal;
    async function* all(): AsyncGenerator<DataRecord> {
      for (const [i, file] of files.entries()) {
        throwIfAborted(signal, ctx.stepId);
        const stream = readRecords(file, {
          format,
          onError,
          schema,
          delimiter,
          signal,
        });
        stats.push(stream.stats);
        for await (const record of stream) yield record;
        ctx.emit({ type: 'progress', done: i + 1, total: files.length, label: 'files' });
        if (stream.stats.skipped > 0) {
          ctx.log(`${paths[i]}: skipped ${stream.stats.skipped} malformed line(s)`, 'warn');
        }
      }
    }
    const out = outputFile(ctx, 'records.jsonl');
    await writeJsonl(out.path, all());
    const records = stats.reduce((sum, s) => sum + s.records, 0);
    const skipped = stats.reduce((sum, s) => sum + s.skipped, 0);
    if (records === 0) {
      throw paramError(
        'path',
        `no records were read from ${paths.join(', ')}${skipped > 0 ? ` (${skipped} malformed line(s) skipped)` : ''}; point path at a non-empty data file`,
      );
    }
    const skippedErrors = stats
      .flatMap((s) => s.skippedErrors)
      .slice(0, MAX_REPORTED_ERRORS)
      .map((e) => e.message);
    const sha256 = sha256Hex(await readFile(out.path));
    ctx.log(`read ${records} record(s) from ${files.length} file(s), skipped ${skipped}`);
    return {
      files: { records: out.rel },
      values: { records, skipped, skippedErrors, sha256, sources: paths },
    };
  },
});
