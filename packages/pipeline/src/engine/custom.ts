// Custom step types (`module:<path>#<export>`): loads the module with a dynamic import and checks
// that the export really is a StepDefinition before the pipeline runs.
import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PipelineError } from '../errors.js';
import type { StepDefinition } from '../types.js';

export const MODULE_PREFIX = 'module:';

/** A parsed `module:<path>#<export>` type; `file` is absolute. */
export interface ModuleStepRef {
  file: string;
  exportName: string;
}

/** Parses `module:./steps/x.ts#myStep` against `baseDir`; the export defaults to `default`. */
export function parseModuleType(type: string, baseDir: string): ModuleStepRef {
  const spec = type.slice(MODULE_PREFIX.length);
  const hash = spec.lastIndexOf('#');
  const path = hash === -1 ? spec : spec.slice(0, hash);
  const exportName = hash === -1 ? 'default' : spec.slice(hash + 1);
  if (path === '' || exportName === '') {
    throw new PipelineError(
      'INVALID_CONFIG',
      `"${type}" is not a module step type: write module:<path>#<export>, e.g. module:./steps/my-step.ts#myStep`,
    );
  }
  return { file: isAbsolute(path) ? path : resolve(baseDir, path), exportName };
}

/** Problems that make `value` unusable as a StepDefinition (empty when it is one). */
export function stepDefinitionProblems(value: unknown): string[] {
  if (value === null || typeof value !== 'object') return ['it is not an object'];
  const def = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof def.type !== 'string' || def.type === '') problems.push('`type` must be a string');
  if (typeof def.description !== 'string') problems.push('`description` must be a string');
  if (typeof def.version !== 'string' || def.version === '') {
    problems.push('`version` must be a non-empty string');
  }
  // Duck-typed so a step built against another copy of zod still works.
  const params = def.params as { safeParse?: unknown } | null | undefined;
  if (params === null || typeof params !== 'object' || typeof params.safeParse !== 'function') {
    problems.push('`params` must be a zod schema');
  }
  if (typeof def.run !== 'function') problems.push('`run` must be a function');
  return problems;
}

/** Imports the module and returns its export after checking it is a StepDefinition. */
export async function loadModuleStep(type: string, baseDir: string): Promise<StepDefinition> {
  const { file, exportName } = parseModuleType(type, baseDir);
  const exists = await stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!exists) {
    throw new PipelineError(
      'INVALID_CONFIG',
      `custom step module ${file} does not exist (module paths are relative to the pipeline file)`,
    );
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new PipelineError(
      'INVALID_CONFIG',
      `could not import custom step module ${file}: ${(error as Error).message} (TypeScript modules need a loader such as \`node --import tsx\`)`,
      { cause: error },
    );
  }
  if (!(exportName in mod)) {
    const names = Object.keys(mod).join(', ') || 'none';
    throw new PipelineError(
      'INVALID_CONFIG',
      `custom step module ${file} has no export "${exportName}" (its exports: ${names})`,
    );
  }
  const problems = stepDefinitionProblems(mod[exportName]);
  if (problems.length > 0) {
    throw new PipelineError(
      'INVALID_CONFIG',
      `export "${exportName}" of ${file} is not a StepDefinition: ${problems.join('; ')}`,
    );
  }
  return mod[exportName] as StepDefinition;
}
