// The zod schema of a pipeline file and `${VAR}` interpolation of step params; load.ts maps the
// issues found here back to YAML lines.
import { z } from 'zod';

/** Step ids name folders (`steps/<id>/`, `logs/<id>.log`), so they stay filename-safe. */
export const STEP_ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

const retrySchema = z
  .object({
    attempts: z.int().min(1).max(100).default(1),
    backoffMs: z.number().min(0).max(3_600_000).default(1000),
  })
  .strict();

export const stepConfigSchema = z
  .object({
    id: z
      .string()
      .regex(STEP_ID_PATTERN, 'use letters, digits, "_" and "-" only (it names folders)'),
    type: z.string().min(1, 'name a step type, e.g. "train" or "module:./my-step.ts#myStep"'),
    // `params:` left empty in YAML reads as null; treat it as no params.
    params: z
      .record(z.string(), z.unknown())
      .nullish()
      .transform((params) => params ?? {}),
    needs: z.array(z.string()).default([]),
    enabled: z.boolean().default(true),
    retry: retrySchema.default({ attempts: 1, backoffMs: 1000 }),
  })
  .strict();

export const pipelineFileSchema = z
  .object({
    name: z.string().min(1),
    env: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .nullish()
      .transform((env) =>
        Object.fromEntries(Object.entries(env ?? {}).map(([key, value]) => [key, String(value)])),
      ),
    steps: z.array(stepConfigSchema).min(1, 'a pipeline needs at least one step'),
  })
  .strict();

/** A path into the YAML document, e.g. `['steps', 2, 'params', 'epochs']`. */
export type YamlPath = ReadonlyArray<string | number>;

/** `['steps', 2, 'params', 'epochs']` → `steps[2].params.epochs`. */
export function formatPath(path: YamlPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === '' ? '(root)' : out;
}

/** Thrown by `interpolate` for a variable with neither a value nor a default. */
export class MissingVariableError extends Error {
  constructor(
    readonly variable: string,
    readonly path: YamlPath,
  ) {
    super(`variable \${${variable}} is not set`);
  }
}

// `$${X}` escapes a literal `${X}`; `${X}` and `${X:-default}` are references.
const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const WHOLE_REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/**
 * Replaces `${VAR}` / `${VAR:-default}` in every string inside `value`. A string that is exactly
 * one reference and resolves to a number or `true`/`false` becomes that number or boolean, as if
 * it had been written literally in the YAML (so `epochs: ${EPOCHS:-3}` is the number 3).
 */
export function interpolate(
  value: unknown,
  lookup: (name: string) => string | undefined,
  path: YamlPath = [],
): unknown {
  if (typeof value === 'string') return interpolateString(value, lookup, path);
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, lookup, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] = interpolate(item, lookup, [...path, key]);
    }
    return out;
  }
  return value;
}

function interpolateString(
  text: string,
  lookup: (name: string) => string | undefined,
  path: YamlPath,
): unknown {
  const resolve = (name: string, fallback: string | undefined): string => {
    const found = lookup(name);
    if (found !== undefined) return found;
    if (fallback !== undefined) return fallback;
    throw new MissingVariableError(name, path);
  };
  const whole = WHOLE_REFERENCE.exec(text);
  if (whole) {
    const resolved = resolve(whole[1]!, whole[2]);
    if (NUMBER.test(resolved)) return Number(resolved);
    if (resolved === 'true' || resolved === 'false') return resolved === 'true';
    return resolved;
  }
  return text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) =>
    name === undefined ? match.slice(1) : resolve(name, fallback),
  );
}
