// Runs one job's pipeline in this process and records the outcome in the job store: used by the
// forked job process and by the CLI when it resumes an approved job in the foreground.
import { pathToFileURL } from 'node:url';
import { createStepRegistry } from '../engine/registry.js';
import { resumeRun, runPipeline } from '../engine/runner.js';
import type { PipelineEvent, RunState, StepDefinition } from '../types.js';
import type { Job, JobStatus, JobStore } from './store.js';

export interface ExecuteJobOptions {
  /** Step definitions of the registry. @default the built-in steps */
  steps?: StepDefinition[];
  signal?: AbortSignal;
  onEvent?: (event: PipelineEvent) => void;
}

/** The step definitions a module exports as `steps` (or as its default export). */
export async function loadStepsModule(path: string): Promise<StepDefinition[]> {
  const mod = (await import(pathToFileURL(path).href)) as {
    steps?: StepDefinition[];
    default?: StepDefinition[];
  };
  const steps = mod.steps ?? mod.default;
  if (!Array.isArray(steps)) {
    throw new Error(`registry module ${path} exports no \`steps\` array of step definitions.`);
  }
  return steps;
}

/** The built-in steps, imported only when a registry needs them. */
export async function loadBuiltinSteps(): Promise<StepDefinition[]> {
  const builtin = (await import('../steps/index.js')) as { builtinSteps: StepDefinition[] };
  return builtin.builtinSteps;
}

/** Why a run did not succeed, from its first failed step. */
export function runError(state: RunState): string | undefined {
  if (state.status === 'succeeded' || state.status === 'waiting-approval') return undefined;
  const failed = Object.entries(state.steps).find(([, step]) => step.status === 'failed');
  if (failed) return `step ${failed[0]} failed: ${failed[1].error ?? 'unknown error'}`;
  return state.status === 'cancelled' ? 'the job was cancelled' : 'the run failed';
}

/** Runs (`run`) or resumes (`resume`) the job's run; the job ends with the run's status. */
export async function executeJob(
  store: JobStore,
  jobId: string,
  mode: 'run' | 'resume',
  options: ExecuteJobOptions = {},
): Promise<Job> {
  const { signal = new AbortController().signal, onEvent } = options;
  const job = await store.update(jobId, () => ({
    status: 'running',
    pid: process.pid,
    error: undefined,
  }));
  try {
    const registry = createStepRegistry(options.steps ?? (await loadBuiltinSteps()));
    const common = { registry, signal, ...(onEvent !== undefined ? { onEvent } : {}) };
    const state =
      mode === 'run'
        ? await runPipeline(job.pipelinePath, {
            ...common,
            runsDir: store.runsDir,
            runId: job.runId,
            ...(job.env !== undefined ? { env: job.env } : {}),
          })
        : await resumeRun(job.runDir, common);
    const status: JobStatus = state.status === 'running' ? 'failed' : state.status;
    return await store.update(jobId, () => ({ status, pid: undefined, error: runError(state) }));
  } catch (error) {
    return await store.update(jobId, () => ({
      status: signal.aborted ? 'cancelled' : 'failed',
      pid: undefined,
      error: error instanceof Error ? error.message : String(error),
    }));
  }
}
