// Runs a pipeline in a run folder: steps in topological order, one at a time (steps such as
// training use the whole machine, and one at a time keeps logs and resume simple), with the step
// cache, retries with exponential backoff, cancellation, and resume after a failure or a crash.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { acquireFileLock, type FileLock } from '@ft/data';
import { PipelineError } from '../errors.js';
import type {
  Json,
  PipelineEvent,
  RunState,
  StepConfig,
  StepContext,
  StepDefinition,
  StepOutput,
  StepState,
} from '../types.js';
import { restoreFromCache, storeInCache } from './cache.js';
import { MODULE_PREFIX, parseModuleType } from './custom.js';
import { topologicalOrder } from './dag.js';
import { createEventSink, type EmitEvent } from './events.js';
import { fingerprintOf, hashInputFiles, hashParamFiles, hashPath } from './fingerprint.js';
import { type LoadedPipeline, loadPipelineDetailed } from './load.js';
import type { StepRegistry } from './registry.js';
import { JOURNAL_FILE, openRunJournal, type RunJournal, readRunState } from './run-store.js';

/** The copy of the pipeline file kept in every run folder (resume reads it). */
export const PIPELINE_COPY = 'pipeline.yaml';
/** The `env` option of the run, kept so a resume interpolates the same values. */
const ENV_FILE = 'env.json';
const LOCK_FILE = 'run.lock';
const RUN_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface RunPipelineOptions {
  /** Folder holding one folder per run (`<runsDir>/<runId>/`) and the step cache. */
  runsDir: string;
  /** Name of the run folder. @default `<UTC time>-<random hex>`, e.g. `20261122T023400Z-1a2b3c` */
  runId?: string;
  /** Step types the pipeline may use, e.g. `createStepRegistry(builtinSteps)`. */
  registry: StepRegistry;
  /**
   * `${VAR}` values; they win over `process.env` and the file's `env`. Saved in the run folder
   * (`env.json`, owner-only) so `resumeRun` uses the same values. @default {}
   */
  env?: Record<string, string>;
  /** Called with every event (they are appended to `events.jsonl` as well). @default undefined */
  onEvent?: (event: PipelineEvent) => void;
  /** Cancels the run: the running step sees `signal.aborted` and the run ends `cancelled`. @default undefined */
  signal?: AbortSignal;
  /** Reuse cached outputs of unchanged steps and store new ones. @default true */
  cache?: boolean;
  /** Folder of the step cache. @default `<runsDir>/.cache` */
  cacheDir?: string;
}

/** The run's own options again (registry, events, cancellation, cache), with resume defaults. */
export interface ResumeRunOptions
  extends Pick<RunPipelineOptions, 'registry' | 'onEvent' | 'signal' | 'cache'> {
  /** `${VAR}` values; they win over the ones saved with the run. @default {} */
  env?: Record<string, string>;
  /** Folder of the step cache. @default `<parent of runDir>/.cache` */
  cacheDir?: string;
}

/**
 * Runs the pipeline file at `pipelinePath` in a new run folder and returns its final state.
 * A failing or cancelled step does not throw: the state says `failed` / `cancelled` and names
 * the step's error. Invalid files and options throw INVALID_CONFIG / INVALID_ARGUMENT; a run
 * folder in use by another process throws LOCKED.
 */
export async function runPipeline(
  pipelinePath: string,
  options: RunPipelineOptions,
): Promise<RunState> {
  const {
    runsDir,
    runId = newRunId(),
    registry,
    env = {},
    onEvent,
    signal,
    cache = true,
    cacheDir = join(resolve(runsDir ?? '.'), '.cache'),
  } = options;
  if (typeof runsDir !== 'string' || runsDir === '') {
    throw new PipelineError('INVALID_ARGUMENT', 'runsDir must name the folder that holds runs', {
      field: 'runsDir',
    });
  }
  if (!RUN_ID_PATTERN.test(runId)) {
    throw new PipelineError(
      'INVALID_ARGUMENT',
      `runId "${runId}" names a folder: use letters, digits, ".", "_" and "-" (at most 128), starting with a letter or digit`,
      { field: 'runId' },
    );
  }
  const loaded = await loadPipelineDetailed(pipelinePath, { env, registry });
  const runDir = join(resolve(runsDir), runId);
  await mkdir(runDir, { recursive: true });
  const lock = await lockRunFolder(runDir);
  let journal: RunJournal | undefined;
  try {
    if (existsSync(join(runDir, JOURNAL_FILE))) {
      throw new PipelineError(
        'INVALID_ARGUMENT',
        'this run folder already holds a run; pick another runId or continue it with resumeRun',
        { path: runDir, field: 'runId' },
      );
    }
    // The copies come before the journal: a journal always has what resume needs beside it.
    await writeFile(join(runDir, PIPELINE_COPY), loaded.text);
    await writeFile(join(runDir, ENV_FILE), `${JSON.stringify(env, null, 2)}\n`, { mode: 0o600 });
    journal = await openRunJournal(runDir, {
      kind: 'run',
      runId,
      pipeline: loaded.config.name,
      pipelinePath: loaded.path,
      steps: loaded.config.steps.map((step) => step.id),
      at: new Date().toISOString(),
    });
    return await execute({
      loaded,
      runDir,
      runsDir: resolve(runsDir),
      journal,
      emit: createEventSink(runDir, runId, onEvent),
      signal: signal ?? new AbortController().signal,
      cacheDir: cache ? resolve(cacheDir) : undefined,
    });
  } finally {
    journal?.close();
    await lock.release();
  }
}

/**
 * Continues the run in `runDir` from its first step that did not succeed (failed, cancelled,
 * pending, or running when its process died), keeping the outputs of succeeded steps. The
 * pipeline is read from the run folder's copy; relative paths still resolve against the
 * original pipeline file's folder. A run that already succeeded is returned as it is.
 */
export async function resumeRun(runDir: string, options: ResumeRunOptions): Promise<RunState> {
  const dir = resolve(runDir);
  const { registry, env = {}, onEvent, signal, cache = true } = options;
  const { cacheDir = join(dirname(dir), '.cache') } = options;
  // Fails with NOT_FOUND before a lock file is created in a folder that holds no run.
  await readRunState(dir);
  const lock = await lockRunFolder(dir);
  let journal: RunJournal | undefined;
  try {
    const state = await readRunState(dir);
    if (state.status === 'succeeded') return state;
    const saved = await readFile(join(dir, ENV_FILE), 'utf8').then(
      (text) => JSON.parse(text) as Record<string, string>,
      () => ({}),
    );
    const loaded = await loadPipelineDetailed(join(dir, PIPELINE_COPY), {
      env: { ...saved, ...env },
      registry,
      baseDir: dirname(state.pipelinePath),
    });
    journal = await openRunJournal(dir);
    await journal.append({ kind: 'status', status: 'running', at: new Date().toISOString() });
    return await execute({
      loaded,
      runDir: dir,
      runsDir: dirname(dir),
      journal,
      emit: createEventSink(dir, state.runId, onEvent),
      signal: signal ?? new AbortController().signal,
      cacheDir: cache ? resolve(cacheDir) : undefined,
    });
  } finally {
    journal?.close();
    await lock.release();
  }
}

interface Execution {
  loaded: LoadedPipeline;
  runDir: string;
  runsDir: string;
  journal: RunJournal;
  emit: EmitEvent;
  signal: AbortSignal;
  /** undefined: caching off. */
  cacheDir: string | undefined;
}

type StepResult = 'done' | 'failed' | 'cancelled';

async function execute(run: Execution): Promise<RunState> {
  const { loaded, journal, emit } = run;
  const { config } = loaded;
  emit({ type: 'run-start', pipeline: config.name });
  const byId = new Map(config.steps.map((step) => [step.id, step]));
  const order = topologicalOrder(config.steps);
  // load.ts rejects cycles, so this only guards against a changed loader.
  if (!('order' in order)) throw new PipelineError('INVALID_CONFIG', 'the steps form a cycle');
  let status: 'succeeded' | 'failed' | 'cancelled';
  try {
    status = await executeSteps(run, order.order, byId);
  } catch (error) {
    // The engine itself failed (disk full, …): leave the run `failed`, not `running`, if we can.
    await journal
      .append({ kind: 'status', status: 'failed', at: new Date().toISOString() })
      .catch(() => undefined);
    emit({ type: 'run-end', status: 'failed' });
    throw error;
  }
  await journal.append({ kind: 'status', status, at: new Date().toISOString() });
  emit({ type: 'run-end', status });
  return journal.state;
}

async function executeSteps(
  run: Execution,
  order: string[],
  byId: Map<string, StepConfig>,
): Promise<'succeeded' | 'failed' | 'cancelled'> {
  const { journal, emit, signal } = run;
  const outputs: Record<string, StepOutput> = {};
  const fingerprints: Record<string, string> = {};
  const skipped = new Set<string>();
  for (const id of order) {
    if (signal.aborted) return 'cancelled';
    const step = byId.get(id)!;
    const prior = journal.state.steps[id];
    if ((prior?.status === 'succeeded' || prior?.status === 'cached') && prior.output) {
      outputs[id] = prior.output;
      if (prior.fingerprint) fingerprints[id] = prior.fingerprint;
      continue;
    }
    const blockedBy = step.needs.find((need) => skipped.has(need));
    if (!step.enabled || blockedBy !== undefined) {
      const reason = step.enabled
        ? `needs step "${blockedBy}", which was skipped`
        : 'disabled in the pipeline file (enabled: false)';
      skipped.add(id);
      await journal.append(stepEntry(id, { status: 'skipped', attempts: 0, error: reason }));
      emit({ type: 'step-skipped', step: id, reason });
      continue;
    }
    const result = await runStep(run, step, outputs, fingerprints);
    if (result !== 'done') return result;
  }
  return 'succeeded';
}

async function runStep(
  run: Execution,
  step: StepConfig,
  outputs: Record<string, StepOutput>,
  fingerprints: Record<string, string>,
): Promise<StepResult> {
  const { loaded, runDir, journal, emit, signal } = run;
  const definition = loaded.definitions.get(step.id)!;
  const inputs: Record<string, StepOutput> = {};
  for (const need of step.needs) inputs[need] = outputs[need]!;
  const outDir = join(runDir, 'steps', step.id);
  const logFile = join(runDir, 'logs', `${step.id}.log`);
  await mkdir(dirname(logFile), { recursive: true });
  const log = (message: string, level: 'info' | 'warn' | 'error' = 'info'): void => {
    const at = new Date().toISOString();
    appendFileSync(logFile, `${at} ${level.toUpperCase()} ${message}\n`);
    emit({ type: 'log', step: step.id, level, message });
  };

  const fingerprint = await fingerprintStep(run, step, definition, inputs, fingerprints);
  fingerprints[step.id] = fingerprint;
  const cacheDir = definition.cache === false ? undefined : run.cacheDir;
  if (cacheDir) {
    const startedAt = new Date().toISOString();
    const cached = await restoreFromCache(cacheDir, fingerprint, runDir, outDir);
    if (cached) {
      outputs[step.id] = cached;
      const endedAt = new Date().toISOString();
      await journal.append(
        stepEntry(step.id, {
          status: 'cached',
          attempts: 0,
          fingerprint,
          startedAt,
          endedAt,
          durationMs: Date.parse(endedAt) - Date.parse(startedAt),
          output: cached,
        }),
      );
      log(`restored from the cache (fingerprint ${fingerprint})`);
      emit({ type: 'step-cached', step: step.id, fingerprint });
      return 'done';
    }
  }

  const { attempts, backoffMs } = step.retry;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const startedAt = new Date().toISOString();
    const started = Date.now();
    await journal.append(
      stepEntry(step.id, { status: 'running', attempts: attempt, fingerprint, startedAt }),
    );
    emit({ type: 'step-start', step: step.id, attempt });
    log(`attempt ${attempt} of ${attempts} started (fingerprint ${fingerprint})`);
    const context: StepContext = {
      runId: journal.state.runId,
      runDir,
      stepId: step.id,
      outDir,
      params: step.params,
      inputs,
      baseDir: loaded.baseDir,
      log,
      emit: (body) => {
        // Steps report progress, metrics and logs; run and step lifecycle events are the runner's.
        if (body.type !== 'progress' && body.type !== 'metric' && body.type !== 'log') {
          throw new PipelineError(
            'INVALID_ARGUMENT',
            `step "${step.id}" emitted a "${body.type}" event; steps may emit progress, metric and log events only`,
          );
        }
        emit({ ...body, step: step.id } as Parameters<EmitEvent>[0]);
      },
      signal,
    };
    let error: unknown;
    let output: StepOutput | undefined;
    try {
      output = await checkOutput(await definition.run(context), runDir, step.id);
    } catch (caught) {
      error = caught;
    }
    const endedAt = new Date().toISOString();
    const timing = { startedAt, endedAt, durationMs: Date.now() - started };
    if (output) {
      outputs[step.id] = output;
      await journal.append(
        stepEntry(step.id, {
          status: 'succeeded',
          attempts: attempt,
          fingerprint,
          ...timing,
          output,
        }),
      );
      if (cacheDir) {
        const stored = await storeInCache(cacheDir, fingerprint, runDir, outDir, output);
        if (!stored) log('not cached: an output file lies outside the step folder', 'warn');
      }
      log(`succeeded in ${timing.durationMs} ms`);
      emit({ type: 'step-end', step: step.id, durationMs: timing.durationMs });
      return 'done';
    }

    const message = errorMessage(error);
    log(
      `attempt ${attempt} failed: ${error instanceof Error ? (error.stack ?? message) : message}`,
      'error',
    );
    const delayMs = backoffMs * 2 ** (attempt - 1);
    const retry = attempt < attempts && !signal.aborted;
    if (retry) {
      emit({ type: 'step-retry', step: step.id, attempt, error: message, delayMs });
      if (await sleep(delayMs, signal)) continue;
    }
    const cancelled = signal.aborted;
    await journal.append(
      stepEntry(step.id, {
        status: cancelled ? 'cancelled' : 'failed',
        attempts: attempt,
        fingerprint,
        ...timing,
        error: cancelled ? `cancelled: ${message}` : message,
      }),
    );
    emit({
      type: 'step-fail',
      step: step.id,
      error: cancelled ? `cancelled: ${message}` : message,
    });
    return cancelled ? 'cancelled' : 'failed';
  }
  // attempts >= 1 (schema), so the loop always returns.
  throw new PipelineError('INVALID_CONFIG', `step "${step.id}" has no attempts`);
}

async function fingerprintStep(
  run: Execution,
  step: StepConfig,
  definition: StepDefinition,
  inputs: Record<string, StepOutput>,
  fingerprints: Record<string, string>,
): Promise<string> {
  const { loaded, runDir, runsDir } = run;
  const inputFingerprints: Record<string, string> = {};
  for (const need of step.needs) inputFingerprints[need] = fingerprints[need] ?? '';
  const moduleHash = step.type.startsWith(MODULE_PREFIX)
    ? await hashPath(parseModuleType(step.type, loaded.baseDir).file)
    : undefined;
  return fingerprintOf({
    type: step.type,
    version: definition.version,
    params: step.params,
    inputFingerprints,
    inputFiles: await hashInputFiles(runDir, inputs),
    paramFiles: definition.fingerprint
      ? { step: await definition.fingerprint(step.params, { baseDir: loaded.baseDir }) }
      : await hashParamFiles(step.params, loaded.baseDir, runsDir),
    ...(moduleHash === undefined ? {} : { moduleHash }),
  });
}

/**
 * Checks what a step returned: `files` must name existing paths inside the run folder (absolute
 * ones are made relative) and `values` must be JSON. Returns a JSON-clean copy.
 */
async function checkOutput(output: unknown, runDir: string, stepId: string): Promise<StepOutput> {
  const fail = (problem: string): never => {
    throw new PipelineError('INVALID_ARGUMENT', `step "${stepId}" returned ${problem}`, {
      field: `${stepId}.output`,
    });
  };
  if (output === null || typeof output !== 'object') fail('no output: return { files, values }');
  const { files, values } = output as { files?: unknown; values?: unknown };
  if (files === null || typeof files !== 'object' || Array.isArray(files)) {
    fail('an output without a `files` object');
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    fail('an output without a `values` object');
  }
  const checkedFiles: Record<string, string> = {};
  for (const [name, file] of Object.entries(files as Record<string, unknown>)) {
    if (typeof file !== 'string') return fail(`files.${name} that is not a path`);
    const full = resolve(runDir, file);
    const rel = relative(runDir, full);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      fail(`files.${name} = ${file}, outside the run folder; write outputs under context.outDir`);
    }
    if (
      !(await stat(full).then(
        () => true,
        () => false,
      ))
    ) {
      fail(`files.${name} = ${file}, which does not exist`);
    }
    checkedFiles[name] = rel.split(sep).join('/');
  }
  let json: Record<string, Json>;
  try {
    json = JSON.parse(JSON.stringify(values)) as Record<string, Json>;
  } catch (error) {
    return fail(`values that are not JSON (${(error as Error).message})`);
  }
  return { files: checkedFiles, values: json };
}

function stepEntry(step: string, state: StepState) {
  return { kind: 'step' as const, step, state, at: new Date().toISOString() };
}

async function lockRunFolder(runDir: string): Promise<FileLock> {
  try {
    // No waiting: a live holder means another process is running this very run.
    return await acquireFileLock(join(runDir, LOCK_FILE), { timeoutMs: 0 });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'LOCKED') {
      throw new PipelineError(
        'LOCKED',
        'another live process is running this run folder; wait for it to end or cancel it',
        { path: runDir, cause: error },
      );
    }
    throw new PipelineError('IO_ERROR', `could not lock the run folder: ${errorMessage(error)}`, {
      path: runDir,
      cause: error,
    });
  }
}

function newRunId(): string {
  const time = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return `${time}-${randomBytes(3).toString('hex')}`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Waits `ms`; resolves false early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((done) => {
    if (signal.aborted) return done(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      done(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      done(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
