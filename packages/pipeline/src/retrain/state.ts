// The retrain loop's persistent state: one JSON file under the ft home, written atomically, so a
// loop recreated after a restart continues where the last one stopped.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '@ft/data';
import { PipelineError } from '../errors.js';

/** The deployment a retrain produced and the error-rate watch over it. */
export interface MonitoringState {
  jobId: string;
  model: string;
  /** The version deployed by the retrain, and the one it replaced. */
  version: number;
  previousVersion: number;
  /** ISO time of the deployment: only predictions made since count. */
  deployedAt: string;
  /** The previous version's error rate the new one is compared with (null: never labeled). */
  baselineErrorRate: number | null;
}

/** One finished retrain cycle, newest last. */
export interface RetrainHistoryEntry {
  jobId: string;
  outcome: 'deployed' | 'kept' | 'rolled-back' | 'rejected' | 'failed';
  at: string;
  reason: string;
  version?: number;
}

export interface RetrainState {
  /** Format version of this file. */
  format: 1;
  startedAt: string;
  /** Prediction ids whose corrections went into a retrain dataset. */
  consumedIds: string[];
  lastRetrainAt?: string;
  /** Retrains started so far (seeds each replay sample differently). */
  retrains: number;
  phase: 'idle' | 'training' | 'waiting-approval' | 'monitoring';
  /** The job of the current retrain (training or waiting for approval). */
  jobId?: string;
  /** The version live when the current retrain started (what a rollback returns to). */
  baseVersion?: number;
  /** Why the current retrain started. */
  reasons?: string[];
  monitoring?: MonitoringState;
  history: RetrainHistoryEntry[];
}

export const RETRAIN_STATE_FILE = 'state.json';

/** `<home>/retrain/state.json`. */
export function retrainStatePath(home: string): string {
  return join(home, 'retrain', RETRAIN_STATE_FILE);
}

/** The saved state, or a fresh idle one when none was saved yet. */
export async function readRetrainState(home: string, now = new Date()): Promise<RetrainState> {
  const path = retrainStatePath(home);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return {
        format: 1,
        startedAt: now.toISOString(),
        consumedIds: [],
        retrains: 0,
        phase: 'idle',
        history: [],
      };
    }
    throw new PipelineError(
      'IO_ERROR',
      `could not read the retrain state: ${(error as Error).message}`,
      {
        path,
        cause: error,
      },
    );
  }
  let state: RetrainState;
  try {
    state = JSON.parse(text) as RetrainState;
  } catch (error) {
    throw new PipelineError(
      'INVALID_CONFIG',
      'the retrain state is not valid JSON; restore it from a backup or delete it to start over (consumed feedback would count again).',
      { path, cause: error },
    );
  }
  if (state.format !== 1 || !Array.isArray(state.consumedIds) || !Array.isArray(state.history)) {
    throw new PipelineError(
      'INVALID_CONFIG',
      'the retrain state has an unknown layout (format 1 with consumedIds and history expected); restore it or delete it to start over.',
      { path },
    );
  }
  return state;
}

/** Saves the state atomically (a crash leaves the old file or the new one, never half of one). */
export async function writeRetrainState(home: string, state: RetrainState): Promise<void> {
  const path = retrainStatePath(home);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, (tmp) =>
    writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, 'utf8'),
  );
}
