// Messages between the study (parent) and a trial's worker process, and how a trial run ended.
import type { CategoricalChoice, ParamValue } from '../types.js';

/** Where a worker process finds the objective: a module path (or URL) and its export. */
export interface ObjectiveModule {
  /** Path (relative to the current directory) or `file:` URL of an ES module. */
  module: string;
  /** The exported objective function. @default 'default' */
  exportName?: string;
}

/** Parent → child over the IPC channel: run the objective for this trial. */
export interface RunMessage {
  type: 'run';
  /** `file:` URL of the objective module. */
  moduleUrl: string;
  exportName: string;
  trial: { number: number; params: Record<string, ParamValue> };
}

/** Child → parent over the IPC channel: how the objective ended. */
export type ResultMessage =
  | { type: 'result'; value: unknown }
  | { type: 'pruned'; message: string }
  | { type: 'error'; name: string; message: string; stack?: string; code?: string };

/** Child → parent on the synchronous channel (one JSON line each, answered in order). */
export type CallRequest =
  | {
      op: 'suggestFloat' | 'suggestInt';
      name: string;
      low: number;
      high: number;
      options: { log?: boolean; step?: number };
    }
  | { op: 'suggestCategorical'; name: string; choices: CategoricalChoice[] }
  | { op: 'report'; value: number; step: number }
  | { op: 'shouldPrune' }
  | { op: 'setUserAttr'; key: string; value: unknown }
  | { op: 'setConstraints'; values: number[] };

/** Parent → child answer on the synchronous channel. */
export type CallResponse =
  | { ok: true; value?: unknown }
  | { ok: false; name: string; message: string; code?: string; study?: string; param?: string };

/** How one trial's objective run ended, whichever way it ran. */
export type TrialOutcome =
  | { kind: 'value'; value: unknown }
  | { kind: 'pruned' }
  | { kind: 'error'; error: unknown }
  /** The worker process died without an answer (exit code or signal). */
  | { kind: 'crash'; error: string };
