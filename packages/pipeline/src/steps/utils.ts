// Helpers shared by the built-in steps: param errors, finding the files of needed steps, output
// paths relative to the run folder, and JSON/JSONL reading and writing.
import { writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import type { DataRecord } from '@ft/data';
import { readDataset, writeFileAtomic, writeRecords } from '@ft/data';
import type { z } from 'zod';
import { PipelineError } from '../errors.js';
import type { Json, StepContext, StepDefinition } from '../types.js';

/** Keeps the params schema's type on a step definition (so `run` sees typed params). */
export function defineStep<S extends z.ZodType>(definition: StepDefinition<S>): StepDefinition<S> {
  return definition;
}

/** An INVALID_CONFIG error naming `params.<field>` of a step. */
export function paramError(field: string, problem: string): PipelineError {
  return new PipelineError('INVALID_CONFIG', problem, { field: `params.${field}` });
}

/**
 * Validates raw params against a step's schema (filling defaults). A failure is INVALID_CONFIG
 * naming the first offending field as `<prefix>.<path>`.
 */
export function parseStepParams<S extends z.ZodType>(
  definition: StepDefinition<S>,
  raw: unknown,
  prefix = 'params',
): z.infer<S> {
  const result = definition.params.safeParse(raw ?? {});
  if (result.success) return result.data;
  let issue = result.error.issues[0];
  const path = [...(issue?.path ?? [])].map(String);
  // A union reports at its own place; the branch that got furthest names the real field.
  while (issue?.code === 'invalid_union') {
    const deepest: z.core.$ZodIssue | undefined = issue.errors
      .flat()
      .filter((i) => i.code !== 'invalid_type' || i.path.length > 0)
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest === undefined) break;
    path.push(...deepest.path.map(String));
    issue = deepest;
  }
  if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
  const field = [prefix, ...path].join('.');
  const problem = issue?.message ?? 'invalid value';
  throw new PipelineError(
    'INVALID_CONFIG',
    `${problem} (step type "${definition.type}"; fix this param in the pipeline file)`,
    { field, cause: result.error },
  );
}

/** Throws CANCELLED when the run was cancelled; long steps call it between units of work. */
export function throwIfAborted(signal: AbortSignal, stepId: string): void {
  if (signal.aborted) {
    throw new PipelineError('CANCELLED', `step "${stepId}" was cancelled`);
  }
}

/**
 * The needed step that wrote file `name` and the file's absolute path: the step named by `from`,
 * else the only needed step that wrote such a file.
 */
export function findInput(
  ctx: StepContext<unknown>,
  name: string,
  from?: string,
  fromField = 'from',
): { id: string; path: string } {
  if (from !== undefined) {
    const output = ctx.inputs[from];
    if (output === undefined) {
      throw paramError(
        fromField,
        `step "${from}" is not among the needs of step "${ctx.stepId}"; add it to needs`,
      );
    }
    const rel = output.files[name];
    if (rel === undefined) {
      throw paramError(
        fromField,
        `step "${from}" wrote no "${name}" file (it wrote: ${Object.keys(output.files).join(', ') || 'nothing'}); name a step that does`,
      );
    }
    return { id: from, path: resolve(ctx.runDir, rel) };
  }
  const found = Object.entries(ctx.inputs).filter(([, output]) => output.files[name] !== undefined);
  if (found.length === 0) {
    throw new PipelineError(
      'INVALID_CONFIG',
      `step "${ctx.stepId}" needs a step that writes a "${name}" file (needs: ${Object.keys(ctx.inputs).join(', ') || 'none'}); add one to needs`,
      { field: 'needs' },
    );
  }
  if (found.length > 1) {
    throw paramError(
      fromField,
      `steps ${found.map(([id]) => `"${id}"`).join(' and ')} all write a "${name}" file; set ${fromField} to the one to read`,
    );
  }
  const [id, output] = found[0] as [string, { files: Record<string, string> }];
  return { id, path: resolve(ctx.runDir, output.files[name] as string) };
}

/** The absolute path of file `name` written by a needed step (see findInput). */
export function inputFile(
  ctx: StepContext<unknown>,
  name: string,
  from?: string,
  fromField = 'from',
): string {
  return findInput(ctx, name, from, fromField).path;
}

/** A file in the step's output folder: its absolute path and its path relative to the run folder. */
export function outputFile(ctx: StepContext<unknown>, name: string): { path: string; rel: string } {
  const path = join(ctx.outDir, name);
  return { path, rel: relative(ctx.runDir, path) };
}

/** Reads a JSONL file into memory. */
export async function readJsonl(path: string): Promise<DataRecord[]> {
  return (await readDataset(path, { format: 'jsonl' })).records;
}

/** Writes records as JSONL (atomically). */
export async function writeJsonl(
  path: string,
  records: Iterable<DataRecord> | AsyncIterable<DataRecord>,
): Promise<void> {
  await writeRecords(path, records, { format: 'jsonl' });
}

/** Writes pretty JSON atomically. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, (tmp) => writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`));
}

/** Counts of each value of `field` (as a string; missing values under `"null"`), keys sorted. */
export function labelDistribution(
  records: readonly DataRecord[],
  field: string,
): Record<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) {
    const value = record[field];
    const key = value === undefined || value === null ? 'null' : String(value);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Turns a value into JSON for `values` (drops undefined, maps non-finite numbers to null). */
export function toJson(value: unknown): Json {
  return JSON.parse(
    JSON.stringify(value, (_key, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? null : v,
    ) ?? 'null',
  ) as Json;
}

/** The text field of a record, or an error naming the record and the field. */
export function textOf(record: DataRecord, field: string, index: number, file: string): string {
  const value = record[field];
  if (typeof value !== 'string') {
    throw new PipelineError(
      'INVALID_ARGUMENT',
      `record ${index + 1} has ${value === undefined ? 'no' : `a non-string (${typeof value})`} "${field}" field; set textField to the field holding the text`,
      { path: file, field },
    );
  }
  return value;
}
