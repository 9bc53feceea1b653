// Loads and validates gate definitions from JSON or YAML text and files; errors name the file,
// the rule path (e.g. `rules[2].threshold`) and the line.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ValidateError } from '../errors.js';
import { type GateConfig, gateConfigSchema } from './schema.js';

export interface ParseGatesOptions {
  /** Text format; `yaml` also reads JSON. @default 'yaml' */
  format?: 'json' | 'yaml';
  /** File name used in error messages. */
  path?: string;
}

/** `['rules', 2, 'threshold']` → `rules[2].threshold`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** 1-based line of the node at `path` in `source`, or of its nearest existing ancestor. */
function lineOf(source: string, path: readonly PropertyKey[]): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter });
  for (let depth = path.length; depth >= 0; depth--) {
    const node = doc.getIn(path.slice(0, depth) as (string | number)[], true) as
      | { range?: [number, number, number] }
      | undefined;
    if (node && typeof node === 'object' && node.range)
      return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

function issueMessage(issue: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  if (issue.code === 'unrecognized_keys') {
    return {
      path: [...issue.path, issue.keys[0] ?? ''],
      message: `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}; remove or rename them`,
    };
  }
  return { path: [...issue.path], message: issue.message };
}

/**
 * Validates a parsed gate definition (plain objects from code, JSON or YAML). Throws
 * INVALID_CONFIG naming the first problem's path, and its line when `source` text is given.
 */
export function validateGateConfig(
  value: unknown,
  options: { path?: string; source?: string } = {},
): GateConfig {
  const input = Array.isArray(value) ? { rules: value } : value;
  const parsed = gateConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  // A misspelt field also shows up as a missing one; naming the unknown field first points at the typo.
  const issues = [...parsed.error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const problems = issues.map(issueMessage);
  const first = problems[0] as { path: PropertyKey[]; message: string };
  // A bare list of rules stands for `{ rules: [...] }`; its source has no `rules` key to look up.
  const sourcePath = Array.isArray(value) ? first.path.slice(1) : first.path;
  const line = options.source === undefined ? undefined : lineOf(options.source, sourcePath);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
  throw new ValidateError(
    'INVALID_CONFIG',
    `${line === undefined ? '' : `line ${line}: `}${first.message}${more}; fix the gate definition`,
    {
      field: formatPath(first.path),
      ...(options.path === undefined ? {} : { path: options.path }),
      cause: parsed.error,
    },
  );
}

/**
 * Offset of a JSON syntax error. Node 20's messages carry no position, so binary-search the
 * longest prefix that is still valid (parses, or fails only for ending early).
 */
function jsonErrorOffset(text: string): number {
  const validPrefix = (length: number): boolean => {
    try {
      JSON.parse(text.slice(0, length));
      return true;
    } catch (error) {
      return /end of JSON input/i.test((error as Error).message);
    }
  };
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (validPrefix(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Parses and validates gate rules from JSON or YAML text. */
export function parseGates(text: string, options: ParseGatesOptions = {}): GateConfig {
  const { format = 'yaml', path } = options;
  const where = path === undefined ? {} : { path };
  let value: unknown;
  if (format === 'json') {
    try {
      value = JSON.parse(text);
    } catch (error) {
      // V8 reports a character offset; turn it into a line for the message.
      const line = text.slice(0, jsonErrorOffset(text)).split('\n').length;
      throw new ValidateError(
        'INVALID_CONFIG',
        `${line === undefined ? '' : `line ${line}: `}malformed JSON (${(error as Error).message}); fix the syntax`,
        { ...where, cause: error },
      );
    }
  } else if (format === 'yaml') {
    const doc = parseDocument(text, { prettyErrors: true });
    const error = doc.errors[0];
    if (error) {
      const line = error.linePos?.[0].line;
      throw new ValidateError(
        'INVALID_CONFIG',
        `${line === undefined ? '' : `line ${line}: `}malformed YAML (${error.message.split('\n')[0]}); fix the syntax`,
        { ...where, cause: error },
      );
    }
    value = doc.toJS();
  } else {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `must be 'json' or 'yaml', got ${JSON.stringify(format)}`,
      {
        field: 'format',
      },
    );
  }
  return validateGateConfig(value, { ...where, source: text });
}

/** Reads gate rules from a `.json`, `.yaml` or `.yml` file. */
export async function loadGates(path: string): Promise<GateConfig> {
  const lower = path.toLowerCase();
  const format = lower.endsWith('.json')
    ? 'json'
    : lower.endsWith('.yaml') || lower.endsWith('.yml')
      ? 'yaml'
      : undefined;
  if (format === undefined) {
    throw new ValidateError('INVALID_ARGUMENT', 'gate files must end in .json, .yaml or .yml', {
      path,
    });
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ValidateError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      code === 'ENOENT'
        ? 'gate file does not exist; check the path'
        : `cannot read the gate file (${code ?? String(error)})`,
      { path, cause: error },
    );
  }
  return parseGates(text, { format, path });
}
