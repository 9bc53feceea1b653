// Objective module references (`'./objective.ts'` or `{ module, exportName }`): resolving them to a
// `file:` URL and importing the exported function, in the study's process or a worker process.
import { pathToFileURL } from 'node:url';
import { HpoError } from '../errors.js';
import type { ObjectiveTrial } from '../trial.js';
import type { ObjectiveModule } from './protocol.js';

/** The objective shape a module must export (same as `Objective` of study.ts). */
export type ModuleObjective = (trial: ObjectiveTrial) => unknown;

/** A module reference as an absolute `file:` URL and export name (paths resolve against cwd). */
export function resolveObjectiveModule(
  ref: string | ObjectiveModule,
  study?: string,
): { moduleUrl: string; exportName: string } {
  const { module, exportName = 'default' } =
    typeof ref === 'string' ? { module: ref } : ((ref ?? {}) as Partial<ObjectiveModule>);
  if (typeof module !== 'string' || module === '' || typeof exportName !== 'string') {
    throw new HpoError(
      'INVALID_ARGUMENT',
      'optimize: the objective must be a function, a module path, or { module, exportName }',
      { study },
    );
  }
  const moduleUrl = module.startsWith('file:')
    ? module
    : new URL(module, pathToFileURL(`${process.cwd()}/`)).href;
  return { moduleUrl, exportName };
}

/** Imports the objective function a module reference names. */
export async function importObjective<T = ModuleObjective>(
  ref: string | ObjectiveModule,
  study?: string,
): Promise<T> {
  const { moduleUrl, exportName } = resolveObjectiveModule(ref, study);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `cannot import the objective module ${moduleUrl}: ${String(error)}`,
      { study, cause: error },
    );
  }
  const fn = loaded[exportName];
  if (typeof fn !== 'function') {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${moduleUrl} has no exported function "${exportName}"; export it or pass { module, exportName }`,
      { study },
    );
  }
  return fn as T;
}
