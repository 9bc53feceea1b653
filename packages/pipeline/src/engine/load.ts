// Loads a pipeline YAML file into a validated PipelineConfig. Every problem is a PipelineError
// INVALID_CONFIG naming the file, the YAML path (`steps[2].params.epochs`) and its line.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { PipelineError } from '../errors.js';
import type { PipelineConfig, StepConfig, StepDefinition } from '../types.js';
import { topologicalOrder } from './dag.js';
import type { StepRegistry } from './registry.js';
import {
  formatPath,
  interpolate,
  MissingVariableError,
  pipelineFileSchema,
  type YamlPath,
} from './schema.js';

export interface LoadPipelineOptions {
  /** Values for `${VAR}` interpolation; they win over `process.env` and the file's `env`. @default {} */
  env?: Record<string, string>;
  /**
   * When given, step types must exist in it (or be loadable `module:` types) and each step's
   * params are validated, with defaults filled in, by its definition's schema.
   * @default undefined (types and params are not checked)
   */
  registry?: StepRegistry;
  /** Folder that relative `module:` paths resolve against. @default the pipeline file's folder */
  baseDir?: string;
}

/** A loaded pipeline with what running it needs besides the config. */
export interface LoadedPipeline {
  config: PipelineConfig;
  /** Absolute path of the file read. */
  path: string;
  baseDir: string;
  /** The file's text, copied into each run folder. */
  text: string;
  /** Step definitions by step id (only when a registry was given). */
  definitions: Map<string, StepDefinition>;
}

/** Reads, interpolates and validates the pipeline file at `path`. */
export async function loadPipeline(
  path: string,
  options: LoadPipelineOptions = {},
): Promise<PipelineConfig> {
  return (await loadPipelineDetailed(path, options)).config;
}

export async function loadPipelineDetailed(
  path: string,
  options: LoadPipelineOptions = {},
): Promise<LoadedPipeline> {
  const file = resolve(path);
  const { env = {}, registry, baseDir = dirname(file) } = options;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new PipelineError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      code === 'ENOENT'
        ? 'pipeline file not found; check the path'
        : `could not read the pipeline file: ${(error as Error).message}`,
      { path: file, cause: error },
    );
  }

  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const line = syntaxError.linePos?.[0]?.line;
    const firstLine = (syntaxError.message.split('\n')[0] ?? syntaxError.message).replace(/:$/, '');
    throw new PipelineError('INVALID_CONFIG', `malformed YAML: ${firstLine}`, {
      path: file,
      field: line === undefined ? undefined : `line ${line}`,
      cause: syntaxError,
    });
  }
  const fail = (at: YamlPath, problem: string, cause?: unknown): never => {
    const line = lineOf(doc.contents, at, lineCounter);
    throw new PipelineError('INVALID_CONFIG', problem, {
      path: file,
      field: `${formatPath(at)}${line === undefined ? '' : `:${line}`}`,
      cause,
    });
  };

  const parsed = pipelineFileSchema.safeParse(doc.toJS());
  if (!parsed.success) reportZodIssues(parsed.error, [], fail);
  const raw = parsed.data!;

  const ids = new Map<string, number>();
  raw.steps.forEach((step, i) => {
    const first = ids.get(step.id);
    if (first !== undefined) {
      fail(['steps', i, 'id'], `duplicate step id "${step.id}" (also steps[${first}]); rename one`);
    }
    ids.set(step.id, i);
  });
  raw.steps.forEach((step, i) => {
    step.needs.forEach((need, j) => {
      if (need === step.id) fail(['steps', i, 'needs', j], `step "${step.id}" needs itself`);
      if (!ids.has(need)) {
        fail(
          ['steps', i, 'needs', j],
          `step "${step.id}" needs unknown step "${need}" (known: ${[...ids.keys()].join(', ')})`,
        );
      }
    });
  });
  const order = topologicalOrder(raw.steps);
  if ('cycle' in order) {
    const first = order.cycle[0]!;
    fail(
      ['steps', ids.get(first)!, 'needs'],
      `steps ${order.cycle.map((id) => `"${id}"`).join(' → ')} need each other in a cycle; remove one of those needs`,
    );
  }

  const lookup = (name: string): string | undefined =>
    env[name] ?? process.env[name] ?? raw.env[name];
  const definitions = new Map<string, StepDefinition>();
  const steps: StepConfig[] = [];
  for (const [i, step] of raw.steps.entries()) {
    let params: Record<string, unknown>;
    try {
      params = interpolate(step.params, lookup, ['steps', i, 'params']) as Record<string, unknown>;
    } catch (error) {
      if (!(error instanceof MissingVariableError)) throw error;
      return fail(
        error.path,
        `${error.message}: pass it in env, set it in the environment, add it to the file's env, or write \${${error.variable}:-default}`,
      );
    }
    if (registry) {
      let definition: StepDefinition;
      try {
        definition = await registry.resolve(step.type, baseDir);
      } catch (error) {
        if (!(error instanceof PipelineError)) throw error;
        return fail(['steps', i, 'type'], `step "${step.id}": ${error.problem}`, error);
      }
      const checked = (definition.params as z.ZodType).safeParse(params);
      if (!checked.success) reportZodIssues(checked.error, ['steps', i, 'params'], fail);
      params = checked.data as Record<string, unknown>;
      definitions.set(step.id, definition);
    }
    steps.push({ ...step, params });
  }
  return {
    config: { name: raw.name, env: raw.env, steps },
    path: file,
    baseDir,
    text,
    definitions,
  };
}

/** Reports the first zod issue (the one a user fixes first) with its YAML path and line. */
function reportZodIssues(
  error: z.ZodError,
  prefix: YamlPath,
  fail: (at: YamlPath, problem: string) => never,
): never {
  const issue = error.issues[0]!;
  let at: YamlPath = [...prefix, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
  // Point at the offending key itself so the line is the one to delete.
  if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined)
    at = [...at, issue.keys[0]];
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return fail(at, `${issue.message}${more}`);
}

/** 1-based line of the node at `path`, or of its nearest existing ancestor. */
function lineOf(root: unknown, path: YamlPath, lineCounter: LineCounter): number | undefined {
  let node = root as Node | null | undefined;
  let offset = node?.range?.[0];
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(part),
      );
      if (!pair) break;
      const key = pair.key as Node;
      const value = pair.value as Node | null;
      // A key without a value (`params:`) has no value range; its key still has a line.
      offset = value?.range?.[0] ?? key.range?.[0] ?? offset;
      node = value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}
