// The job store: one JSON document per job in `<home>/jobs/<id>.json`, written atomically under a
// cross-process lock, so the server and the job processes it forks can both update a job safely.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive, withFileLock, writeFileAtomic } from '@ft/data';
import { PipelineError } from '../errors.js';

export type JobStatus =
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'waiting-approval';

/** Statuses after which nothing happens to a job unless someone acts on it. */
export const FINAL_JOB_STATUSES: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];

/** A recorded approve/reject decision; the retrain loop reads it from the job or the run folder. */
export interface ApprovalDecision {
  decision: 'approved' | 'rejected';
  /** Who decided, when known. */
  by?: string;
  comment?: string;
  /** ISO time of the decision. */
  at: string;
}

export interface Job {
  id: string;
  /** Absolute path of the pipeline file. */
  pipelinePath: string;
  runId: string;
  /** Absolute path of the run folder (`<home>/runs/<runId>`). */
  runDir: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  /** Variables for `${VAR}` interpolation passed with the job. */
  env?: Record<string, string>;
  error?: string;
  /** Process id of the job process while it runs. */
  pid?: number;
  approval?: ApprovalDecision;
}

export interface JobStoreOptions {
  /** The ft home folder: jobs live in `<home>/jobs`, run folders in `<home>/runs`. */
  home: string;
}

export interface JobStore {
  readonly home: string;
  readonly jobsDir: string;
  readonly runsDir: string;
  /** Creates a queued job with a fresh id and run id. */
  create(input: { pipelinePath: string; env?: Record<string, string> }): Promise<Job>;
  /** The job, or a NOT_FOUND PipelineError. */
  get(id: string): Promise<Job>;
  /** Every job, newest first. */
  list(): Promise<Job[]>;
  /** Applies `patch` to the job under its lock; `undefined` values remove fields. */
  update(id: string, patch: (job: Job) => Partial<Job> | undefined): Promise<Job>;
  /**
   * Marks jobs whose process is gone (`running`, or `queued` with a pid) as failed: called when a
   * server starts, so a job is never shown as running forever after a crash.
   */
  recover(): Promise<Job[]>;
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A sortable, unique id: UTC time plus random hex (crypto, not Math.random). */
export function newJobId(prefix = 'job'): string {
  const stamp = new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${prefix}-${stamp}-${randomBytes(4).toString('hex')}`;
}

/** Last creation time handed out in this process: jobs created within one millisecond still list in order. */
let lastCreatedMs = 0;

function nextCreatedAt(): string {
  lastCreatedMs = Math.max(Date.now(), lastCreatedMs + 1);
  return new Date(lastCreatedMs).toISOString();
}

export function createJobStore(options: JobStoreOptions): JobStore {
  const { home } = options;
  if (typeof home !== 'string' || home.length === 0) {
    throw new PipelineError('INVALID_ARGUMENT', 'home must be a non-empty folder path.', {
      field: 'home',
    });
  }
  const jobsDir = join(home, 'jobs');
  const runsDir = join(home, 'runs');
  const fileOf = (id: string): string => {
    if (!ID_PATTERN.test(id)) {
      throw new PipelineError(
        'NOT_FOUND',
        `no job ${JSON.stringify(id)}: job ids are letters, digits, '.', '_' and '-'.`,
        { field: 'id' },
      );
    }
    return join(jobsDir, `${id}.json`);
  };

  async function read(id: string): Promise<Job> {
    const file = fileOf(id);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new PipelineError(
          'NOT_FOUND',
          `no job ${JSON.stringify(id)}; list jobs to see ids.`,
          {
            path: file,
          },
        );
      }
      throw new PipelineError('IO_ERROR', `could not read the job: ${(error as Error).message}`, {
        path: file,
        cause: error,
      });
    }
    try {
      return JSON.parse(text) as Job;
    } catch (error) {
      throw new PipelineError(
        'INVALID_CONFIG',
        'the job file is not valid JSON; delete it or restore it from a backup.',
        { path: file, cause: error },
      );
    }
  }

  async function write(job: Job): Promise<void> {
    await mkdir(jobsDir, { recursive: true });
    await writeFileAtomic(fileOf(job.id), (tmp) =>
      writeFile(tmp, `${JSON.stringify(job, null, 2)}\n`, 'utf8'),
    );
  }

  async function update(id: string, patch: (job: Job) => Partial<Job> | undefined): Promise<Job> {
    const file = fileOf(id);
    return withFileLock(`${file}.lock`, async () => {
      const job = await read(id);
      const changes = patch(job);
      if (changes === undefined) return job;
      const next: Job = { ...job, ...changes, updatedAt: new Date().toISOString() };
      for (const key of Object.keys(changes) as (keyof Job)[]) {
        if (changes[key] === undefined) delete next[key];
      }
      await write(next);
      return next;
    });
  }

  return {
    home,
    jobsDir,
    runsDir,
    async create({ pipelinePath, env }) {
      const id = newJobId();
      const now = nextCreatedAt();
      const runId = id.replace(/^job-/, 'run-');
      const job: Job = {
        id,
        pipelinePath,
        runId,
        runDir: join(runsDir, runId),
        status: 'queued',
        createdAt: now,
        updatedAt: now,
        ...(env !== undefined && Object.keys(env).length > 0 ? { env } : {}),
      };
      await write(job);
      return job;
    },
    get: read,
    async list() {
      let names: string[];
      try {
        names = await readdir(jobsDir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const jobs: Job[] = [];
      for (const name of names) {
        if (!name.endsWith('.json') || name.startsWith('.')) continue;
        try {
          jobs.push(await read(name.slice(0, -'.json'.length)));
        } catch (error) {
          // A job deleted between readdir and read is simply gone.
          if (!(error instanceof PipelineError && error.code === 'NOT_FOUND')) throw error;
        }
      }
      return jobs.sort((a, b) =>
        a.createdAt === b.createdAt
          ? b.id.localeCompare(a.id)
          : b.createdAt.localeCompare(a.createdAt),
      );
    },
    update,
    async recover() {
      const changed: Job[] = [];
      for (const job of await this.list()) {
        if (job.status !== 'running' && job.status !== 'queued') continue;
        // A queued job that never got a process is started again by the runner, not failed.
        if (job.status === 'queued' && job.pid === undefined) continue;
        if (job.pid !== undefined && isProcessAlive(job.pid)) continue;
        const next = await update(job.id, (current) =>
          current.status === 'running' || current.status === 'queued'
            ? {
                status: 'failed',
                pid: undefined,
                error:
                  'the job process ended without recording a result (server or machine restart); resume it with `ft resume` on its run folder.',
              }
            : undefined,
        );
        changed.push(next);
      }
      return changed;
    },
  };
}
