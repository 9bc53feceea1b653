// A stand-alone context for running one step without the engine: a temp run folder, the step's
// output folder, validated params, inputs and a recorder of its logs and events (tests, custom steps).
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import type { EventBody, StepContext, StepDefinition, StepOutput } from '../types.js';
import { parseStepParams } from './utils.js';

export interface StepTestContextOptions {
  /** Raw params, validated by the step's schema (defaults filled in). @default {} */
  params?: unknown;
  /** Outputs of needed steps, by step id (paths relative to `runDir`). @default {} */
  inputs?: Record<string, StepOutput>;
  /** This step's id. @default the step type */
  stepId?: string;
  /** Run folder to use (created if missing). @default a fresh temporary folder */
  runDir?: string;
  /** Folder relative param paths resolve against. @default runDir */
  baseDir?: string;
  /** Run id. @default 'test-run' */
  runId?: string;
}

export interface StepTestContext<P> {
  context: StepContext<P>;
  /** Messages passed to `log`, in order. */
  logs: { message: string; level: 'info' | 'warn' | 'error' }[];
  /** Events passed to `emit`, in order. */
  events: EventBody[];
  /** Aborts `context.signal`. */
  controller: AbortController;
  /** Runs the step on the context. */
  run(): Promise<StepOutput>;
  /** Removes the run folder when it was created here. */
  cleanup(): Promise<void>;
}

/** Builds a context for `definition` (params validated as the engine would). */
export async function createStepTestContext<S extends z.ZodType>(
  definition: StepDefinition<S>,
  options: StepTestContextOptions = {},
): Promise<StepTestContext<z.infer<S>>> {
  const { params = {}, inputs = {}, stepId = definition.type, runId = 'test-run' } = options;
  const params_ = parseStepParams(definition, params);
  const ownDir = options.runDir === undefined;
  const runDir = options.runDir ?? (await mkdtemp(join(tmpdir(), 'ft-step-')));
  const outDir = join(runDir, 'steps', stepId);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const logs: StepTestContext<z.infer<S>>['logs'] = [];
  const events: EventBody[] = [];
  const controller = new AbortController();
  const context: StepContext<z.infer<S>> = {
    runId,
    runDir,
    stepId,
    outDir,
    params: params_,
    inputs,
    baseDir: options.baseDir ?? runDir,
    log: (message, level = 'info') => logs.push({ message, level }),
    emit: (event) => events.push(event),
    signal: controller.signal,
  };
  return {
    context,
    logs,
    events,
    controller,
    run: () => definition.run(context),
    cleanup: async () => {
      if (ownDir) await rm(runDir, { recursive: true, force: true });
    },
  };
}
