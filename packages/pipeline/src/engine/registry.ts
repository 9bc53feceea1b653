// The step registry: step types by name (built-ins, registered definitions) plus custom
// `module:` types, loaded on first use and remembered per resolved file and export.
import { PipelineError } from '../errors.js';
import type { StepDefinition } from '../types.js';
import {
  loadModuleStep,
  MODULE_PREFIX,
  parseModuleType,
  stepDefinitionProblems,
} from './custom.js';

export interface StepRegistry {
  /** Adds a step type; registering a type twice is an error (pick another `type`). */
  register(definition: StepDefinition): void;
  /** The definition registered under `type`, or undefined (`module:` types go through resolve). */
  get(type: string): StepDefinition | undefined;
  /** Registered type names, sorted. */
  types(): string[];
  /**
   * The definition for a pipeline's `type`: a registered one, or for `module:<path>#<export>`
   * the imported export (`path` relative to `baseDir`, the pipeline file's folder).
   */
  resolve(type: string, baseDir: string): Promise<StepDefinition>;
}

/** A registry holding `definitions` (e.g. `createStepRegistry(builtinSteps)`). */
export function createStepRegistry(definitions: StepDefinition[] = []): StepRegistry {
  const byType = new Map<string, StepDefinition>();
  const modules = new Map<string, Promise<StepDefinition>>();

  const registry: StepRegistry = {
    register(definition) {
      const problems = stepDefinitionProblems(definition);
      if (problems.length > 0) {
        throw new PipelineError(
          'INVALID_ARGUMENT',
          `register() was given something that is not a StepDefinition: ${problems.join('; ')}`,
        );
      }
      if (definition.type.startsWith(MODULE_PREFIX)) {
        throw new PipelineError(
          'INVALID_ARGUMENT',
          `step type "${definition.type}" may not start with "${MODULE_PREFIX}" (reserved for custom modules)`,
        );
      }
      if (byType.has(definition.type)) {
        throw new PipelineError(
          'INVALID_ARGUMENT',
          `step type "${definition.type}" is already registered; give the new step another type`,
        );
      }
      byType.set(definition.type, definition);
    },
    get(type) {
      return byType.get(type);
    },
    types() {
      return [...byType.keys()].sort();
    },
    async resolve(type, baseDir) {
      if (type.startsWith(MODULE_PREFIX)) {
        const { file, exportName } = parseModuleType(type, baseDir);
        const key = `${file}#${exportName}`;
        let loading = modules.get(key);
        if (!loading) {
          loading = loadModuleStep(type, baseDir);
          modules.set(key, loading);
          // A failed load is not remembered, so fixing the module and retrying works.
          loading.catch(() => modules.delete(key));
        }
        return loading;
      }
      const found = byType.get(type);
      if (!found) {
        const known = registry.types().join(', ') || 'none registered';
        throw new PipelineError(
          'NOT_FOUND',
          `unknown step type "${type}" (known types: ${known}; custom steps: module:<path>#<export>)`,
        );
      }
      return found;
    },
  };
  for (const definition of definitions) registry.register(definition);
  return registry;
}
