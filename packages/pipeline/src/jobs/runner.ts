// Runs jobs in child processes (child_process.fork of job-runner), cancels them with SIGTERM then
// SIGKILL, and records approve/reject decisions. A job process that dies is recorded as failed.
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from '@ft/data';
import { PipelineError } from '../errors.js';
import type { ApprovalDecision, Job, JobStore } from './store.js';

export interface JobRunnerOptions {
  store: JobStore;
  /**
   * A module exporting `steps: StepDefinition[]` that job processes use instead of the built-in
   * steps (tests point it at custom steps). @default the built-in steps
   */
  registryModule?: string;
  /** How long a cancelled job gets to stop after SIGTERM before SIGKILL. @default 5000 */
  killGraceMs?: number;
  /** Jobs running at once; more wait as `queued` (training jobs compete for the same cores). @default 2 */
  maxConcurrentJobs?: number;
}

export interface DecisionOptions {
  /** Who decided. */
  by?: string;
  comment?: string;
}

export interface JobRunner {
  /** Creates a job and starts its process. */
  submit(input: { pipelinePath: string; env?: Record<string, string> }): Promise<Job>;
  /**
   * Starts (or queues) every `queued` job without a process: jobs an earlier server accepted but
   * did not start, or approved ones. Servers call it at start.
   */
  startQueued(): Promise<Job[]>;
  /** Starts a process that resumes the job's run (after a failure, cancellation or approval). */
  resume(id: string): Promise<Job>;
  /** Stops a queued, running or waiting job: SIGTERM, then SIGKILL after the grace period. */
  cancel(id: string): Promise<Job>;
  /** Approves a job waiting for approval and resumes its run. */
  approve(id: string, options?: DecisionOptions): Promise<Job>;
  /** Rejects a job waiting for approval; it ends as failed with the decision recorded. */
  reject(id: string, options?: DecisionOptions): Promise<Job>;
  /** Resolves when the job's current process (if any) has exited and its state is recorded. */
  settled(id: string): Promise<Job>;
  /** Stops every job process this runner started (their jobs end as cancelled). */
  close(): Promise<void>;
}

/** Name of the decision file written into the run folder, where the retrain loop reads it. */
export const APPROVAL_FILE = 'approval.json';

/** The job-runner entry next to this module: the .ts source under tsx, dist/jobs/*.js built. */
function runnerEntry(): { path: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) {
    const tsx = createRequire(import.meta.url).resolve('tsx');
    return {
      path: join(dirname(here), 'job-runner.ts'),
      execArgv: ['--import', pathToFileURL(tsx).href],
    };
  }
  // Bundled code runs from dist/ (index, cli or a shared chunk) or from dist/jobs/.
  const candidates = [
    join(dirname(here), 'jobs', 'job-runner.js'),
    join(dirname(here), 'job-runner.js'),
  ];
  const path = candidates.find((candidate) => existsSync(candidate));
  if (path === undefined) {
    throw new PipelineError(
      'IO_ERROR',
      `the job-runner entry is missing (looked for ${candidates.join(', ')}); rebuild the package.`,
    );
  }
  return { path, execArgv: [] };
}

/**
 * Records an approve/reject decision for a job waiting for approval, in the job and in
 * `<runDir>/approval.json`. Approved jobs become queued (resume them next); rejected ones fail.
 */
export async function recordDecision(
  store: JobStore,
  id: string,
  decision: ApprovalDecision['decision'],
  options: DecisionOptions = {},
): Promise<Job> {
  const job = await store.get(id);
  if (job.status !== 'waiting-approval') {
    throw new PipelineError(
      'INVALID_ARGUMENT',
      `job ${id} is ${job.status}, not waiting-approval; only a waiting job can be ${decision}.`,
      { field: 'status' },
    );
  }
  const approval: ApprovalDecision = {
    decision,
    at: new Date().toISOString(),
    ...(options.by !== undefined ? { by: options.by } : {}),
    ...(options.comment !== undefined ? { comment: options.comment } : {}),
  };
  await mkdir(job.runDir, { recursive: true });
  await writeFileAtomic(join(job.runDir, APPROVAL_FILE), (tmp) =>
    writeFile(tmp, `${JSON.stringify(approval, null, 2)}\n`, 'utf8'),
  );
  return store.update(id, () =>
    decision === 'approved'
      ? { approval, status: 'queued' }
      : {
          approval,
          status: 'failed',
          error: `rejected${options.by ? ` by ${options.by}` : ''}`,
        },
  );
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { store, registryModule, killGraceMs = 5000, maxConcurrentJobs = 2 } = options;
  if (!Number.isSafeInteger(maxConcurrentJobs) || maxConcurrentJobs < 1) {
    throw new PipelineError('INVALID_ARGUMENT', 'maxConcurrentJobs must be a whole number >= 1.', {
      field: 'maxConcurrentJobs',
    });
  }
  const children = new Map<string, { child: ChildProcess; exited: Promise<Job> }>();
  const cancelling = new Set<string>();
  const waiting: { id: string; mode: 'run' | 'resume' }[] = [];
  /** Jobs taken off `waiting` whose process is about to start; they hold a slot. */
  const starting = new Set<string>();
  const busy = () => children.size + starting.size;

  /** Starts the job now if a slot is free, else queues it (the job file says `queued`). */
  function schedule(job: Job, mode: 'run' | 'resume'): void {
    if (busy() < maxConcurrentJobs) spawn(job, mode);
    else waiting.push({ id: job.id, mode });
  }

  function startNext(): void {
    while (busy() < maxConcurrentJobs && waiting.length > 0) {
      const next = waiting.shift();
      if (!next) return;
      starting.add(next.id);
      // A queued job may have been cancelled meanwhile: start it only if it still waits.
      void store.get(next.id).then(
        (job) => {
          starting.delete(next.id);
          if (job.status === 'queued') spawn(job, next.mode);
          else startNext();
        },
        () => {
          starting.delete(next.id);
          startNext();
        },
      );
    }
  }

  function spawn(job: Job, mode: 'run' | 'resume'): void {
    const entry = runnerEntry();
    const args = [store.home, job.id, mode, ...(registryModule ? [registryModule] : [])];
    const child = fork(entry.path, args, { execArgv: entry.execArgv, stdio: 'pipe' });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      // Keep the end: the last lines say why a process died.
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.stdout?.resume();
    const exited = new Promise<Job>((resolve) => {
      child.on('exit', (code, signal) => {
        // The child records its own outcome; this covers deaths that left the job "running".
        const record = store.update(job.id, (current) => {
          if (current.pid !== undefined && current.pid !== child.pid) return undefined;
          if (cancelling.has(job.id)) {
            return current.status === 'running' || current.status === 'queued'
              ? { status: 'cancelled', pid: undefined, error: 'the job was cancelled' }
              : { pid: undefined };
          }
          if (current.status !== 'running' && current.status !== 'queued') {
            return current.pid === undefined ? undefined : { pid: undefined };
          }
          const how = signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
          const tail = stderr.trim().split('\n').slice(-3).join(' | ');
          return {
            status: 'failed',
            pid: undefined,
            error: `the job process ${how} before recording a result${tail ? `: ${tail}` : ''}`,
          };
        });
        record
          .catch(() => store.get(job.id))
          .then(resolve, () => resolve(job))
          .finally(() => {
            cancelling.delete(job.id);
            if (children.get(job.id)?.child === child) children.delete(job.id);
            startNext();
          });
      });
    });
    children.set(job.id, { child, exited });
    if (child.pid !== undefined) {
      const pid = child.pid;
      void store
        .update(job.id, (current) =>
          current.status === 'queued' || current.status === 'running' ? { pid } : undefined,
        )
        .catch(() => undefined);
    }
  }

  const runner: JobRunner = {
    async submit(input) {
      const job = await store.create(input);
      schedule(job, 'run');
      return store.get(job.id);
    },
    async startQueued() {
      const started: Job[] = [];
      for (const job of [...(await store.list())].reverse()) {
        if (job.status !== 'queued' || job.pid !== undefined) continue;
        if (children.has(job.id) || starting.has(job.id) || waiting.some((w) => w.id === job.id)) {
          continue;
        }
        // A run folder means the run began (or was approved mid-way): continue it.
        schedule(job, existsSync(job.runDir) ? 'resume' : 'run');
        started.push(job);
      }
      return started;
    },
    async resume(id) {
      if (children.has(id) || starting.has(id) || waiting.some((w) => w.id === id)) {
        throw new PipelineError('INVALID_ARGUMENT', `job ${id} is running already.`, {
          field: 'id',
        });
      }
      const job = await store.update(id, () => ({ status: 'queued', error: undefined }));
      schedule(job, 'resume');
      return store.get(id);
    },
    async cancel(id) {
      const job = await store.get(id);
      const running = children.get(id);
      if (running) {
        cancelling.add(id);
        running.child.kill('SIGTERM');
        const timer = setTimeout(() => running.child.kill('SIGKILL'), killGraceMs);
        const done = await running.exited;
        clearTimeout(timer);
        return done.status === 'cancelled' ? done : store.get(id);
      }
      const queued = waiting.findIndex((w) => w.id === id);
      if (queued >= 0) waiting.splice(queued, 1);
      if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') {
        return job;
      }
      // A process this runner did not start (an earlier server's): signal it by pid.
      if (job.pid !== undefined) {
        try {
          process.kill(job.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      return store.update(id, () => ({
        status: 'cancelled',
        pid: undefined,
        error: 'the job was cancelled',
      }));
    },
    async approve(id, opts = {}) {
      await recordDecision(store, id, 'approved', opts);
      return runner.resume(id);
    },
    async reject(id, opts = {}) {
      return recordDecision(store, id, 'rejected', opts);
    },
    async settled(id) {
      for (;;) {
        const running = children.get(id);
        if (running) return running.exited;
        if (!waiting.some((w) => w.id === id) && !starting.has(id)) return store.get(id);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async close() {
      // Queued jobs stay queued: the next server starts them.
      waiting.length = 0;
      await Promise.all([...children.keys()].map((id) => runner.cancel(id)));
    },
  };
  return runner;
}
