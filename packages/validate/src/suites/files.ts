// Stored-file helpers of the file suite store: names that are safe as paths, and JSONL parsing
// that validates each line against a schema and names the file and line of any problem.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ValidateError } from '../errors.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Suite and set names become folder and file names, so only a safe alphabet is allowed. */
export function checkName(name: unknown, field: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(name)} is not a valid name: use 1–128 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      { field },
    );
  }
  return name;
}

/** Model versions are free text (they are percent-encoded into file names, see `versionFileName`). */
export function checkVersion(version: unknown, field: string): string {
  if (
    typeof version !== 'string' ||
    version === '' ||
    version.length > 200 ||
    /[\u0000-\u001f]/.test(version)
  ) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `${JSON.stringify(version)} is not a valid model version: use a non-empty string of at most 200 printable characters`,
      { field },
    );
  }
  return version;
}

/**
 * Model versions may hold `/`, `:` or `@`; percent-encoding makes any of them one safe file name,
 * and encoding a leading dot rules out `.`, `..` and hidden files.
 */
export function versionFileName(version: string): string {
  return `${encodeURIComponent(version).replace(/^\./, '%2E').replace(/\*/g, '%2A')}.jsonl`;
}

export function versionFromFileName(file: string): string | undefined {
  if (!file.endsWith('.jsonl')) return undefined;
  try {
    return decodeURIComponent(file.slice(0, -'.jsonl'.length));
  } catch {
    return undefined;
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? `field ${issue.path.map(String).join('.')}: ` : '';
  return `${where}${issue.message}`;
}

/**
 * Parses JSONL text line by line; blank lines are skipped. A line that is not JSON or does not
 * match `schema` throws INVALID_CONFIG naming the file and line.
 */
export function parseJsonLines<T>(
  text: string,
  path: string,
  schema: z.ZodType<T>,
  what: string,
): T[] {
  const out: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? '';
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new ValidateError(
        'INVALID_CONFIG',
        `not valid JSON (${(error as Error).message}); fix or remove this line of the ${what}`,
        { path, field: `line ${i + 1}`, cause: error },
      );
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ValidateError(
        'INVALID_CONFIG',
        `not a valid ${what} entry (${issue ? describeIssue(issue) : 'schema mismatch'}); fix or remove this line`,
        { path, field: `line ${i + 1}`, cause: parsed.error },
      );
    }
    out.push(parsed.data);
  }
  return out;
}

/** Reads a file, returning undefined when it does not exist and IO_ERROR for other failures. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ValidateError(
      'IO_ERROR',
      `could not read the file: ${(error as Error).message}; check its permissions and that the path is a file`,
      {
        path,
        cause: error,
      },
    );
  }
}

const finite = z.number().refine(Number.isFinite, 'expected a finite number');
const kind = z.enum(['benchmark', 'critical', 'edge-case']);
const test = z.enum(['paired-t', 'wilcoxon', 'bootstrap', 'permutation']);

export const thresholdsSchema = z
  .object({
    maxAggregateDrop: z.number().min(0).nullable().optional(),
    maxDegradedShare: z.number().min(0).max(1).nullable().optional(),
    sampleTolerance: z.number().min(0).optional(),
    requireSignificance: z.boolean().optional(),
    alpha: z.number().gt(0).lt(1).optional(),
    test: test.optional(),
  })
  .strict();

export const setInfoSchema = z.object({
  name: z.string().regex(NAME),
  kind,
  thresholds: thresholdsSchema,
  description: z.string().optional(),
  count: z.number().int().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  registeredAt: z.string(),
});

export const exampleSchema = z.object({
  id: z.string().min(1),
  input: z.unknown().refine((v) => v !== undefined, 'input is missing'),
  expected: z.unknown().refine((v) => v !== undefined, 'expected is missing'),
});

const scoreRecord = z.record(z.string(), finite);

/** First line of a baseline file: everything but the per-sample scores. */
export const baselineHeaderSchema = z.object({
  type: z.literal('baseline'),
  suite: z.string(),
  modelVersion: z.string().min(1),
  createdAt: z.string(),
  sets: z.record(
    z.string(),
    z.object({
      kind,
      examplesSha256: z.string(),
      higherIsBetter: z.record(z.string(), z.boolean()),
      aggregate: scoreRecord,
    }),
  ),
});

/** Following lines of a baseline file: one sample's scores. */
export const baselineSampleSchema = z.object({
  set: z.string(),
  id: z.string().min(1),
  scores: scoreRecord,
});

export const runRecordSchema = z.object({
  run: z.number().int().min(1),
  suite: z.string(),
  modelVersion: z.string().min(1),
  baselineVersion: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string(),
  passed: z.boolean(),
  sets: z.array(
    z.object({
      set: z.string(),
      kind,
      status: z.enum(['pass', 'fail', 'no-baseline']),
      n: z.number().int().min(0),
      compared: z.number().int().min(0),
      aggregate: scoreRecord,
      higherIsBetter: z.record(z.string(), z.boolean()),
      degradedCount: z.number().int().min(0),
      failed: z.array(z.string()),
      examplesSha256: z.string(),
    }),
  ),
});

/** Why a value would not survive a JSON round trip unchanged, or undefined when it would. */
export function jsonProblem(value: unknown, where = 'it'): string | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') {
    return Number.isFinite(value) ? undefined : `${where} is ${value}, which JSON cannot hold`;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = jsonProblem(value[i], `${where}[${i}]`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, v] of Object.entries(value)) {
      const problem = jsonProblem(v, `${where}.${key}`);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  return `${where} is ${value === undefined ? 'undefined' : `a ${typeof value === 'object' ? (value.constructor?.name ?? 'non-plain object') : typeof value}`}, which JSON cannot hold`;
}
