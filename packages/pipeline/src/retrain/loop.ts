// The feedback-driven retrain loop: checks trigger policies, runs a retrain pipeline as a job
// (corrected cases + a seeded replay sample), holds it for approval, then watches the new
// version's live error rate and rolls back when it degrades. All state survives a restart.
import { access, cp, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  createRng,
  type DataRecord,
  type FeedbackStore,
  isProcessAlive,
  readDataset,
  withFileLock,
  writeRecords,
} from '@ft/data';
import { createRegistry, currentDeployment, rollback } from '@ft/registry';
import { readRunState } from '../engine/run-store.js';
import { PipelineError } from '../errors.js';
import { executeJob, loadBuiltinSteps } from '../jobs/execute.js';
import { APPROVAL_FILE, type DecisionOptions, recordDecision } from '../jobs/runner.js';
import { createJobStore, type Job, type JobStore } from '../jobs/store.js';
import type { PipelineEvent, StepDefinition } from '../types.js';
import {
  evaluateTriggers,
  parseTriggerPolicies,
  type TriggerPolicy,
  type TriggerPolicyInput,
} from './policies.js';
import {
  type RetrainHistoryEntry,
  type RetrainState,
  readRetrainState,
  writeRetrainState,
} from './state.js';
import { APPROVAL_REQUEST_FILE } from './steps.js';

/** When a deployed retrain is judged: how long to watch it and how much worse it may get. */
export interface RetrainMonitorOptions {
  /** Labeled predictions of the new version needed before its error rate is judged. @default 20 */
  minLabeled?: number;
  /** The watch ends (the version is kept) after this many labeled predictions. @default 200 */
  windowLabeled?: number;
  /** … or after this many hours since the deployment, whichever comes first. @default 24 */
  windowHours?: number;
  /**
   * Roll back when the new error rate exceeds the previous version's by more than this fraction
   * of it (0.25: more than 25 % worse). @default 0.25
   */
  maxRelativeIncrease?: number;
  /** … and by more than this many points absolute, so tiny rates do not roll back on noise. @default 0.02 */
  minAbsoluteIncrease?: number;
}

export interface RetrainLoopOptions {
  /** The ft home: jobs in `<home>/jobs`, runs in `<home>/runs`, loop state in `<home>/retrain`. */
  home: string;
  /** The feedback store the deployed model's predictions and corrections go to. */
  feedback: FeedbackStore;
  /** Trigger policies (plain objects, e.g. from YAML); any one firing starts a retrain. */
  policies: TriggerPolicyInput[];
  /**
   * The retrain pipeline file. Jobs get `${FT_RETRAIN_DATA}` (the dataset JSONL),
   * `${FT_PRODUCTION_MODEL}` and `${FT_PRODUCTION_TOKENIZER}` (copies of the live model folder
   * and of its tokenizer files; unset when nothing is deployed), `${FT_DEPLOY_TARGET}`,
   * `${FT_AUTO_APPROVE}`, `${FT_REGISTRY}` and `${FT_MODEL}`; its `approval` step decides
   * between deploying and waiting.
   */
  pipeline: string;
  /** The original training data (JSONL, CSV, …) replay samples come from. */
  trainingData: string;
  /** Registry folder the pipeline registers into. */
  registry: string;
  /** Model name in the registry. */
  model: string;
  /** The deploy target readers load the production model from. */
  target: string;
  /** Replay records drawn from the original data per corrected case. @default 1 */
  replayRatio?: number;
  /** Seed of the replay sample (retrain n uses seed + n). @default 0 */
  seed?: number;
  /** Field of a dataset record holding a string input. @default 'text' */
  inputField?: string;
  /** Field holding the label. @default 'label' */
  labelField?: string;
  /** Deploy without a human when the quality gates pass. @default false */
  autoApprove?: boolean;
  /** Post-deployment watch and rollback rule. @default see RetrainMonitorOptions */
  monitor?: RetrainMonitorOptions;
  /** The `modelVersion` the serving code records for a registry version. @default String(version) */
  versionLabel?: (version: number) => string;
  /** Step definitions of the retrain jobs. @default the built-in steps (which include retrainSteps) */
  steps?: StepDefinition[];
  /** Extra `${VAR}` values for the pipeline. @default {} */
  env?: Record<string, string>;
  /** Current time in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Receives the retrain jobs' pipeline events. @default undefined */
  onEvent?: (event: PipelineEvent) => void;
}

/** What one `tick` did. */
export interface RetrainTickResult {
  action:
    | 'none'
    | 'waiting-approval'
    | 'deployed'
    | 'kept'
    | 'rolled-back'
    | 'rejected'
    | 'failed'
    | 'monitoring';
  /** The state after the tick. */
  state: RetrainState;
  /** Why a retrain started, when this tick started one. */
  reasons?: string[];
  job?: Job;
}

export interface RetrainLoop {
  readonly store: JobStore;
  /**
   * Does what is due once: continues a pending job, judges a deployment under watch, or checks
   * the trigger policies and runs a retrain. Safe to call from several processes (one at a time).
   */
  tick(): Promise<RetrainTickResult>;
  /** The saved state. */
  state(): Promise<RetrainState>;
  /** Approves the job waiting for approval; the next tick resumes it (register, deploy). */
  approve(options?: DecisionOptions): Promise<Job>;
  /** Rejects the job waiting for approval; the next tick records it and goes back to idle. */
  reject(options?: DecisionOptions): Promise<Job>;
}

const HOUR_MS = 3_600_000;

/** Files of a Hugging Face-style tokenizer folder (what @ft/tokenize loads and saves). */
const TOKENIZER_FILES = new Set([
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.txt',
  'vocab.json',
  'merges.txt',
]);

export function createRetrainLoop(options: RetrainLoopOptions): RetrainLoop {
  const {
    home,
    feedback,
    pipeline,
    trainingData,
    model,
    replayRatio = 1,
    seed = 0,
    inputField = 'text',
    labelField = 'label',
    autoApprove = false,
    monitor = {},
    versionLabel = (version: number) => String(version),
    env = {},
    now = Date.now,
    onEvent,
  } = options;
  const {
    minLabeled = 20,
    windowLabeled = 200,
    windowHours = 24,
    maxRelativeIncrease = 0.25,
    minAbsoluteIncrease = 0.02,
  } = monitor;
  const paths = {
    home,
    pipeline,
    trainingData,
    model,
    registry: options.registry,
    target: options.target,
  };
  for (const [field, value] of Object.entries(paths)) {
    if (typeof value !== 'string' || value === '') {
      throw new PipelineError('INVALID_ARGUMENT', `${field} must be a non-empty string.`, {
        field,
      });
    }
  }
  if (!Number.isFinite(replayRatio) || replayRatio < 0) {
    throw new PipelineError('INVALID_ARGUMENT', 'replayRatio must be a number >= 0.', {
      field: 'replayRatio',
    });
  }
  if (!(maxRelativeIncrease >= 0) || !(minAbsoluteIncrease >= 0)) {
    throw new PipelineError(
      'INVALID_ARGUMENT',
      'monitor.maxRelativeIncrease and monitor.minAbsoluteIncrease must be numbers >= 0.',
      { field: 'monitor' },
    );
  }
  if (!(windowHours > 0)) {
    throw new PipelineError('INVALID_ARGUMENT', 'monitor.windowHours must be a number > 0.', {
      field: 'monitor.windowHours',
    });
  }
  if (!Number.isSafeInteger(minLabeled) || minLabeled < 1 || windowLabeled < minLabeled) {
    throw new PipelineError(
      'INVALID_ARGUMENT',
      'monitor.minLabeled must be a whole number >= 1 and monitor.windowLabeled >= minLabeled.',
      { field: 'monitor.minLabeled' },
    );
  }
  const policies: TriggerPolicy[] = parseTriggerPolicies(options.policies);
  const registryRoot = resolve(options.registry);
  const target = resolve(options.target);
  const pipelinePath = resolve(pipeline);
  const store = createJobStore({ home });
  const retrainDir = join(home, 'retrain');
  const nowIso = () => new Date(now()).toISOString();

  async function stepsOf(): Promise<StepDefinition[]> {
    return options.steps ?? (await loadBuiltinSteps());
  }

  async function save(state: RetrainState): Promise<RetrainState> {
    await writeRetrainState(home, state);
    return state;
  }

  async function finish(
    state: RetrainState,
    entry: Omit<RetrainHistoryEntry, 'at'>,
  ): Promise<RetrainState> {
    const { jobId: _job, reasons: _r, monitoring: _m, baseVersion: _b, ...rest } = state;
    return save({
      ...rest,
      phase: 'idle',
      history: [...state.history, { ...entry, at: nowIso() }],
    });
  }

  /** The corrected cases plus a seeded replay sample, written as JSONL; returns its path and counts. */
  async function buildDataset(
    ids: readonly string[],
    index: number,
  ): Promise<{ path: string; corrected: number; replay: number }> {
    const wanted = new Set(ids);
    const corrected: DataRecord[] = (await feedback.exportCorrected({ labelField }))
      .filter((r) => wanted.has(r.predictionId as string))
      .map((r) => {
        const input = r.input;
        const fields =
          input !== null && typeof input === 'object' && !Array.isArray(input)
            ? (input as DataRecord)
            : { [inputField]: input };
        return { ...fields, [labelField]: r[labelField] } as DataRecord;
      });
    const original = (await readDataset(trainingData)).records;
    const count = Math.min(original.length, Math.round(replayRatio * corrected.length));
    const rng = createRng(seed + index);
    const order = rng.shuffle(original.map((_, i) => i));
    const replay = order.slice(0, count).map((i) => original[i] as DataRecord);
    const path = join(retrainDir, 'datasets', `retrain-${index}.jsonl`);
    await mkdir(join(retrainDir, 'datasets'), { recursive: true });
    await writeRecords(path, [...corrected, ...replay], { format: 'jsonl' });
    return { path, corrected: corrected.length, replay: replay.length };
  }

  /**
   * Copies the live deployment into `<home>/retrain/production/retrain-<n>/`: `model` (what the
   * job fine-tunes from and compares with, pinned even if someone deploys meanwhile) and
   * `tokenizer` (its tokenizer files alone, for the tokenize step's `tokenizer` param).
   */
  async function snapshotProduction(
    folder: string,
    index: number,
  ): Promise<{ model: string; tokenizer: string }> {
    const base = join(retrainDir, 'production', `retrain-${index}`);
    const model = join(base, 'model');
    const tokenizer = join(base, 'tokenizer');
    await rm(base, { recursive: true, force: true });
    await cp(folder, model, { recursive: true });
    await mkdir(tokenizer, { recursive: true });
    for (const name of await readdir(model)) {
      if (TOKENIZER_FILES.has(name)) await cp(join(model, name), join(tokenizer, name));
    }
    return { model, tokenizer };
  }

  async function startRetrain(state: RetrainState, reasons: string[], ids: string[]) {
    const index = state.retrains + 1;
    const dataset = await buildDataset(ids, index);
    const registry = await createRegistry({ root: registryRoot });
    const live = await currentDeployment(registry, { target });
    const production = live ? await snapshotProduction(live.folder, index) : undefined;
    const job = await store.create({
      pipelinePath,
      env: {
        ...env,
        FT_RETRAIN_DATA: dataset.path,
        ...(production
          ? { FT_PRODUCTION_MODEL: production.model, FT_PRODUCTION_TOKENIZER: production.tokenizer }
          : {}),
        FT_DEPLOY_TARGET: target,
        FT_AUTO_APPROVE: String(autoApprove),
        FT_REGISTRY: registryRoot,
        FT_MODEL: model,
      },
    });
    // Saved before the job runs: a crash from here on finds the job and continues it.
    const next = await save({
      ...state,
      consumedIds: [...state.consumedIds, ...ids],
      lastRetrainAt: nowIso(),
      retrains: index,
      phase: 'training',
      jobId: job.id,
      reasons: [
        ...reasons,
        `dataset: ${dataset.corrected} corrected + ${dataset.replay} replay records`,
      ],
      ...(live ? { baseVersion: live.version } : {}),
    });
    return { job, state: next };
  }

  async function execute(job: Job, mode: 'run' | 'resume'): Promise<Job> {
    return executeJob(store, job.id, mode, {
      steps: await stepsOf(),
      ...(onEvent !== undefined ? { onEvent } : {}),
    });
  }

  /** Moves the loop on from a job that ended (or stopped to wait for approval). */
  async function settle(state: RetrainState, job: Job): Promise<RetrainTickResult> {
    if (job.status === 'succeeded') {
      const run = await readRunState(job.runDir);
      const deployed = Object.values(run.steps)
        .map((s) => s.output?.values.deployment)
        .find((d) => d !== null && typeof d === 'object' && !Array.isArray(d)) as
        | { version: number; model: string }
        | undefined;
      if (deployed === undefined) {
        const next = await finish(state, {
          jobId: job.id,
          outcome: 'kept',
          reason: 'the retrain run succeeded without a deploy step; nothing changed in production',
        });
        return { action: 'kept', state: next, job };
      }
      const previous = state.baseVersion;
      if (previous === undefined || previous === deployed.version) {
        const next = await finish(state, {
          jobId: job.id,
          outcome: 'deployed',
          version: deployed.version,
          reason:
            previous === undefined
              ? `deployed v${deployed.version}; nothing was deployed before, so there is nothing to watch against`
              : `v${deployed.version} was live already (identical model); nothing to watch`,
        });
        return { action: 'deployed', state: next, job };
      }
      const deployedAt = nowIso();
      const before = await feedback.stats({
        modelVersion: versionLabel(previous),
        until: deployedAt,
      });
      const next = await save({
        ...state,
        phase: 'monitoring',
        monitoring: {
          jobId: job.id,
          model: deployed.model,
          version: deployed.version,
          previousVersion: previous,
          deployedAt,
          baselineErrorRate: before.errorRate,
        },
      });
      return { action: 'deployed', state: next, job };
    }
    if (job.approval?.decision === 'rejected') {
      const next = await finish(state, {
        jobId: job.id,
        outcome: 'rejected',
        reason: `rejected${job.approval.by ? ` by ${job.approval.by}` : ''}${job.approval.comment ? `: ${job.approval.comment}` : ''}`,
      });
      return { action: 'rejected', state: next, job };
    }
    if (job.status === 'waiting-approval') {
      return {
        action: 'waiting-approval',
        state: await save({ ...state, phase: 'waiting-approval' }),
        job,
      };
    }
    const asked = await exists(join(job.runDir, APPROVAL_REQUEST_FILE));
    const decided = await exists(join(job.runDir, APPROVAL_FILE));
    if (job.status === 'failed' && asked && !decided) {
      const waiting = await store.update(job.id, () => ({
        status: 'waiting-approval',
        error: undefined,
      }));
      return {
        action: 'waiting-approval',
        state: await save({ ...state, phase: 'waiting-approval' }),
        job: waiting,
      };
    }
    const next = await finish(state, {
      jobId: job.id,
      outcome: 'failed',
      reason: job.error ?? `the retrain job ended ${job.status}`,
    });
    return { action: 'failed', state: next, job };
  }

  /** Continues the current job: runs it if it never ran, resumes it if its process died or it was approved. */
  async function continueJob(state: RetrainState): Promise<RetrainTickResult> {
    const job = await store.get(state.jobId as string);
    const orphaned =
      job.status === 'queued' ||
      (job.status === 'running' && (job.pid === undefined || !isProcessAlive(job.pid)));
    if (!orphaned) {
      if (job.status === 'running') {
        return {
          action: state.phase === 'waiting-approval' ? 'waiting-approval' : 'none',
          state,
          job,
        };
      }
      return settle(state, job);
    }
    const started = await exists(join(job.runDir, 'journal.jsonl'));
    return settle(state, await execute(job, started ? 'resume' : 'run'));
  }

  async function watch(state: RetrainState): Promise<RetrainTickResult> {
    const m = state.monitoring;
    if (m === undefined) return { action: 'none', state: await save({ ...state, phase: 'idle' }) };
    const stats = await feedback.stats({
      since: m.deployedAt,
      // `until` is exclusive: +1 ms keeps feedback recorded at this very millisecond.
      until: now() + 1,
      modelVersion: versionLabel(m.version),
    });
    const elapsedHours = (now() - Date.parse(m.deployedAt)) / HOUR_MS;
    if (stats.labeled >= minLabeled && stats.errorRate !== null && m.baselineErrorRate !== null) {
      const limit = Math.max(
        m.baselineErrorRate * (1 + maxRelativeIncrease),
        m.baselineErrorRate + minAbsoluteIncrease,
      );
      if (stats.errorRate > limit) {
        const registry = await createRegistry({ root: registryRoot });
        const live = await currentDeployment(registry, { target });
        // Roll back only what this loop deployed: someone may have deployed by hand since.
        if (live?.model === m.model && live.version === m.version) {
          const record = await rollback(registry, { target });
          const reason = `error rate ${fmt(stats.errorRate)} (${stats.errors}/${stats.labeled}) of v${m.version} exceeds ${fmt(limit)} (v${m.previousVersion}: ${fmt(m.baselineErrorRate)}); rolled back to v${record.version}`;
          const next = await finish(state, {
            jobId: m.jobId,
            outcome: 'rolled-back',
            version: m.version,
            reason,
          });
          return { action: 'rolled-back', state: next };
        }
        const next = await finish(state, {
          jobId: m.jobId,
          outcome: 'kept',
          version: m.version,
          reason: `v${m.version} degraded but is no longer live (v${live?.version ?? 'none'} is); not rolled back`,
        });
        return { action: 'kept', state: next };
      }
    }
    if (stats.labeled >= windowLabeled || elapsedHours >= windowHours) {
      const next = await finish(state, {
        jobId: m.jobId,
        outcome: 'kept',
        version: m.version,
        reason: `watched ${stats.labeled} labeled predictions over ${fmt(elapsedHours)} h: error rate ${stats.errorRate === null ? 'unknown' : fmt(stats.errorRate)} vs ${m.baselineErrorRate === null ? 'unknown' : fmt(m.baselineErrorRate)} before; kept`,
      });
      return { action: 'kept', state: next };
    }
    return { action: 'monitoring', state };
  }

  async function tickLocked(): Promise<RetrainTickResult> {
    const state = await readRetrainState(home, new Date(now()));
    switch (state.phase) {
      case 'training':
      case 'waiting-approval':
        return continueJob(state);
      case 'monitoring':
        return watch(state);
      case 'idle': {
        const decision = await evaluateTriggers(feedback, policies, state, { now: now() });
        if (!decision.fire) return { action: 'none', state: await save(state) };
        const started = await startRetrain(state, decision.reasons, decision.newIds);
        const result = await settle(started.state, await execute(started.job, 'run'));
        return { ...result, reasons: decision.reasons };
      }
    }
  }

  async function pendingJob(): Promise<string> {
    const state = await readRetrainState(home);
    if (state.phase !== 'waiting-approval' || state.jobId === undefined) {
      throw new PipelineError(
        'INVALID_ARGUMENT',
        `the retrain loop is ${state.phase}, not waiting for approval; nothing to decide.`,
        { field: 'phase' },
      );
    }
    return state.jobId;
  }

  return {
    store,
    tick: () => {
      const lock = join(retrainDir, 'loop.lock');
      return mkdir(retrainDir, { recursive: true }).then(() => withFileLock(lock, tickLocked));
    },
    state: () => readRetrainState(home),
    async approve(decision = {}) {
      return recordDecision(store, await pendingJob(), 'approved', decision);
    },
    async reject(decision = {}) {
      return recordDecision(store, await pendingJob(), 'rejected', decision);
    },
  };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function fmt(value: number): string {
  return String(Math.round(value * 1e4) / 1e4);
}
