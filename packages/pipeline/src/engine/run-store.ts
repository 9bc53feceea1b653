// The run folder's state: an append-only, fsynced `journal.jsonl` of state transitions (the
// source of truth, which survives SIGKILL) and `run.json`, an atomic snapshot rebuilt from it.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@ft/data';
import { PipelineError } from '../errors.js';
import type { RunState, RunStatus, StepState } from '../types.js';

export const JOURNAL_FILE = 'journal.jsonl';
export const SNAPSHOT_FILE = 'run.json';

/** One line of `journal.jsonl`. */
export type JournalEntry =
  | {
      kind: 'run';
      runId: string;
      pipeline: string;
      pipelinePath: string;
      steps: string[];
      at: string;
    }
  | { kind: 'status'; status: RunStatus; at: string }
  | { kind: 'step'; step: string; state: StepState; at: string };

/** Folds journal entries into the run state (later entries win). */
export function reduceJournal(entries: readonly JournalEntry[], runDir: string): RunState {
  const first = entries[0];
  if (first?.kind !== 'run') {
    throw new PipelineError('IO_ERROR', 'the journal does not start with a run entry', {
      path: join(runDir, JOURNAL_FILE),
    });
  }
  const state: RunState = {
    runId: first.runId,
    pipeline: first.pipeline,
    pipelinePath: first.pipelinePath,
    status: 'running',
    createdAt: first.at,
    updatedAt: first.at,
    steps: Object.fromEntries(
      first.steps.map((id): [string, StepState] => [id, { status: 'pending', attempts: 0 }]),
    ),
  };
  for (const entry of entries.slice(1)) applyEntry(state, entry);
  return state;
}

function applyEntry(state: RunState, entry: JournalEntry): void {
  if (entry.kind === 'status') state.status = entry.status;
  else if (entry.kind === 'step') state.steps[entry.step] = entry.state;
  state.updatedAt = entry.at;
}

/** Parses journal text; a torn last line (the process died mid-write) is dropped. */
export function parseJournal(text: string, file: string): JournalEntry[] {
  const lines = text.split('\n');
  const entries: JournalEntry[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch (error) {
      const isLast = lines.slice(i + 1).every((rest) => rest.trim() === '');
      if (isLast) break;
      throw new PipelineError('IO_ERROR', `corrupt journal line ${i + 1}; the run cannot be read`, {
        path: file,
        cause: error,
      });
    }
  }
  return entries;
}

/** Appends to the journal of one run folder and keeps `run.json` in step with it. */
export interface RunJournal {
  readonly state: RunState;
  append(entry: JournalEntry): Promise<void>;
  close(): void;
}

/**
 * Opens the journal of `runDir` for appending; `initial` is the run entry of a new run, or
 * omitted to continue an existing journal (resume).
 */
export async function openRunJournal(runDir: string, initial?: JournalEntry): Promise<RunJournal> {
  const file = join(runDir, JOURNAL_FILE);
  let entries: JournalEntry[] = [];
  if (initial) {
    await writeFile(file, '', { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
      throw new PipelineError(
        error.code === 'EEXIST' ? 'INVALID_ARGUMENT' : 'IO_ERROR',
        error.code === 'EEXIST'
          ? 'this run folder already holds a run; pick another runId or resume it with resumeRun'
          : `could not create the journal: ${error.message}`,
        { path: file, cause: error },
      );
    });
  } else {
    const text = await readFile(file, 'utf8');
    entries = parseJournal(text, file);
    // Cut a torn tail so the next append starts on a fresh line.
    await writeFileAtomic(file, (tmp) =>
      writeFile(tmp, entries.map((entry) => `${JSON.stringify(entry)}\n`).join('')),
    );
  }
  const fd = openSync(file, 'a');
  let state = initial ? reduceJournal([initial], runDir) : reduceJournal(entries, runDir);
  const write = (entry: JournalEntry): void => {
    writeSync(fd, `${JSON.stringify(entry)}\n`);
    fsyncSync(fd);
  };
  const snapshot = (): Promise<void> =>
    writeFileAtomic(join(runDir, SNAPSHOT_FILE), (tmp) =>
      writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`),
    );
  if (initial) {
    write(initial);
    await snapshot();
  }
  return {
    get state() {
      return state;
    },
    async append(entry) {
      write(entry);
      state = structuredClone(state);
      applyEntry(state, entry);
      await snapshot();
    },
    close() {
      closeSync(fd);
    },
  };
}

/** The state of the run in `runDir`, rebuilt from its journal (or `run.json` without one). */
export async function readRunState(runDir: string): Promise<RunState> {
  const journal = join(runDir, JOURNAL_FILE);
  const text = await readFile(journal, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new PipelineError('IO_ERROR', `could not read the journal: ${error.message}`, {
      path: journal,
      cause: error,
    });
  });
  if (text !== undefined) {
    const entries = parseJournal(text, journal);
    if (entries.length > 0) return reduceJournal(entries, runDir);
  }
  const snapshot = join(runDir, SNAPSHOT_FILE);
  const json = await readFile(snapshot, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PipelineError(
      error.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      error.code === 'ENOENT'
        ? 'no run here (neither journal.jsonl nor run.json); check the run folder'
        : `could not read the run snapshot: ${error.message}`,
      { path: runDir, cause: error },
    );
  });
  try {
    return JSON.parse(json) as RunState;
  } catch (error) {
    throw new PipelineError('IO_ERROR', 'run.json is not valid JSON', {
      path: snapshot,
      cause: error,
    });
  }
}

/** Every run under `runsDir`, newest first; folders that hold no run are left out. */
export async function listRuns(runsDir: string): Promise<RunState[]> {
  const entries = await readdir(runsDir, { withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw new PipelineError('IO_ERROR', `could not list runs: ${error.message}`, {
        path: runsDir,
        cause: error,
      });
    },
  );
  const runs: RunState[] = [];
  for (const entry of entries) {
    // Dot folders hold the cache and other bookkeeping, not runs.
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    try {
      runs.push(await readRunState(join(runsDir, entry.name)));
    } catch (error) {
      if (!(error instanceof PipelineError && error.code === 'NOT_FOUND')) throw error;
    }
  }
  return runs.sort((a, b) =>
    a.createdAt === b.createdAt
      ? b.runId.localeCompare(a.runId)
      : b.createdAt.localeCompare(a.createdAt),
  );
}
