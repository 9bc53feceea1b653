// Contracts of @ft/pipeline: the step interface every built-in and custom step implements, what a
// step receives and returns, the events a run emits, and the run state kept in the run folder.
import type { z } from 'zod';

/** JSON-serialisable values (step outputs and events are journaled as JSON). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What a step hands to the steps that depend on it. */
export interface StepOutput {
  /** Files the step wrote, name → path relative to the run folder (e.g. `steps/split/train.jsonl`). */
  files: Record<string, string>;
  /** Small JSON results: statistics, metrics, a registered version, … */
  values: Record<string, Json>;
}

/** Everything emitted while a run goes on; the server streams these as Server-Sent Events. */
export type PipelineEvent =
  | { type: 'run-start'; runId: string; pipeline: string; at: string }
  | { type: 'step-start'; runId: string; step: string; attempt: number; at: string }
  | { type: 'step-cached'; runId: string; step: string; fingerprint: string; at: string }
  | { type: 'step-skipped'; runId: string; step: string; reason: string; at: string }
  | { type: 'step-end'; runId: string; step: string; durationMs: number; at: string }
  | {
      type: 'step-retry';
      runId: string;
      step: string;
      attempt: number;
      error: string;
      delayMs: number;
      at: string;
    }
  | { type: 'step-fail'; runId: string; step: string; error: string; at: string }
  | {
      type: 'log';
      runId: string;
      step: string;
      level: 'info' | 'warn' | 'error';
      message: string;
      at: string;
    }
  /** Long steps: done of total units (steps, records, trials), with an optional label. */
  | {
      type: 'progress';
      runId: string;
      step: string;
      done: number;
      total?: number;
      label?: string;
      at: string;
    }
  /** Numbers worth plotting live: loss, learning rate, eval metrics (`step` = training step). */
  | {
      type: 'metric';
      runId: string;
      step: string;
      name: string;
      value: number;
      trainingStep?: number;
      at: string;
    }
  | { type: 'run-end'; runId: string; status: RunStatus; at: string };

/** Distributive Omit, so each event variant keeps its own fields. */
export type EventBody = PipelineEvent extends infer E
  ? E extends PipelineEvent
    ? Omit<E, 'runId' | 'step' | 'at'>
    : never
  : never;

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'waiting-approval';

/** What a step's `run` receives. */
export interface StepContext<P = unknown> {
  runId: string;
  /** Absolute path of the run folder (`<runsDir>/<runId>`). */
  runDir: string;
  /** This step's id in the pipeline. */
  stepId: string;
  /** Absolute path of this step's own output folder (`<runDir>/steps/<stepId>`), created empty. */
  outDir: string;
  /** Parameters after schema validation, defaults and `${ENV}` interpolation. */
  params: P;
  /** Outputs of the steps this one `needs`, by step id. */
  inputs: Record<string, StepOutput>;
  /** Folder the pipeline file lives in: relative paths in params resolve against it. */
  baseDir: string;
  /** Appends to the step's log file (`<runDir>/logs/<stepId>.log`) and emits a `log` event. */
  log(message: string, level?: 'info' | 'warn' | 'error'): void;
  /** Emits a progress or metric event (runId, step and timestamp are filled in). */
  emit(event: EventBody): void;
  /** Aborted when the run is cancelled; long steps check it between units of work. */
  signal: AbortSignal;
}

/**
 * A step type (`type: train` in YAML). `version` is part of the cache fingerprint: bump it when
 * the step's behaviour changes so cached outputs of the old code are not reused.
 */
export interface StepDefinition<S extends z.ZodType = z.ZodType> {
  type: string;
  description: string;
  version: string;
  /** Validates `params` and fills defaults; errors are reported with the YAML path and line. */
  params: S;
  /**
   * Whether a rerun may restore this step's outputs from the cache instead of running it. Steps
   * whose effect lies outside their folder (registering, deploying) say `false` and are
   * idempotent instead, so a cached rerun still finds the model registered and deployed.
   * @default true
   */
  cache?: boolean;
  /**
   * The step's own account of what it reads outside its inputs, for the cache fingerprint. When
   * absent, every file or folder a string param names is hashed whole; a step whose param names a
   * folder that changes for unrelated reasons (a registry, whose logs grow with every deploy)
   * hashes only what it will read (e.g. the files of the version an alias points at).
   */
  fingerprint?(params: z.infer<S>, context: { baseDir: string }): Promise<Json>;
  run(context: StepContext<z.infer<S>>): Promise<StepOutput>;
}

/** One step as written in the pipeline file, after schema validation. */
export interface StepConfig {
  id: string;
  /** A built-in step type, or `module:<path>#<export>` for a custom step. */
  type: string;
  params: Record<string, unknown>;
  /** Ids of steps whose outputs this one reads; they run first. @default [] */
  needs: string[];
  /** Disabled steps are skipped (and so are steps that need them). @default true */
  enabled: boolean;
  /** Retries with exponential backoff. @default { attempts: 1, backoffMs: 1000 } */
  retry: { attempts: number; backoffMs: number };
}

/** A validated pipeline file. */
export interface PipelineConfig {
  name: string;
  /** Default values for `${VAR}` interpolation (the process environment wins). */
  env: Record<string, string>;
  steps: StepConfig[];
}

/** Per-step state in the run journal (`<runDir>/run.json` is rebuilt from `journal.jsonl`). */
export interface StepState {
  status: 'pending' | 'running' | 'succeeded' | 'cached' | 'skipped' | 'failed' | 'cancelled';
  attempts: number;
  fingerprint?: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  output?: StepOutput;
  error?: string;
}

export interface RunState {
  runId: string;
  pipeline: string;
  /** Absolute path of the pipeline file it ran. */
  pipelinePath: string;
  status: RunStatus;
  createdAt: string;
  updatedAt: string;
  steps: Record<string, StepState>;
}
