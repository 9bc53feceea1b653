// Parent side of worker-process trials: one child process per trial runs the objective module;
// its suggest/report/shouldPrune calls come back here, where the study's Trial answers them.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { HpoError } from '../errors.js';
import type { Trial } from '../trial.js';
import { resolveObjectiveModule } from './modules.js';
import type {
  CallRequest,
  CallResponse,
  ObjectiveModule,
  ResultMessage,
  RunMessage,
  TrialOutcome,
} from './protocol.js';

/** Options of `createProcessRunner`. */
export interface ProcessRunnerOptions {
  /** Study name for error messages. */
  study: string;
  /** Worker entry file. @default worker.js next to this module (worker.ts under tsx/vitest) */
  workerPath?: string;
}

/**
 * The worker entry: `worker.js` beside the built module (or in `optimize/` when bundled into
 * dist/index.js), `worker.ts` when running from sources under vitest/tsx.
 */
export function workerEntryPath(): string {
  const here = fileURLToPath(import.meta.url);
  const ext = extname(here) === '.ts' ? '.ts' : '.js';
  const candidates = [
    join(dirname(here), `worker${ext}`),
    join(dirname(here), 'optimize', `worker${ext}`),
  ];
  const found = candidates.find((path) => existsSync(path));
  if (!found) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `worker entry not found (looked for ${candidates.join(', ')}); build the package so dist has worker.js`,
    );
  }
  return found;
}

/** Answers one call from the child with the study-side trial. */
async function answer(trial: Trial, request: CallRequest): Promise<CallResponse> {
  try {
    switch (request.op) {
      case 'suggestFloat':
        return {
          ok: true,
          value: trial.suggestFloat(request.name, request.low, request.high, request.options),
        };
      case 'suggestInt':
        return {
          ok: true,
          value: trial.suggestInt(request.name, request.low, request.high, request.options),
        };
      case 'suggestCategorical':
        return { ok: true, value: trial.suggestCategorical(request.name, request.choices) };
      case 'report':
        await trial.report(request.value, request.step);
        return { ok: true };
      case 'shouldPrune':
        return { ok: true, value: await trial.shouldPrune() };
      case 'setUserAttr':
        trial.setUserAttr(request.key, request.value);
        return { ok: true };
      case 'setConstraints':
        trial.setConstraints(request.values);
        return { ok: true };
      default:
        throw new HpoError('INVALID_ARGUMENT', `unknown worker call ${JSON.stringify(request)}`);
    }
  } catch (error) {
    if (error instanceof HpoError) {
      return {
        ok: false,
        name: error.name,
        message: error.problem,
        code: error.code,
        ...(error.study !== undefined ? { study: error.study } : {}),
        ...(error.param !== undefined ? { param: error.param } : {}),
      };
    }
    const e = error instanceof Error ? error : new Error(String(error));
    return { ok: false, name: e.name, message: e.message };
  }
}

function toOutcome(message: ResultMessage): TrialOutcome {
  switch (message.type) {
    case 'result':
      return { kind: 'value', value: message.value };
    case 'pruned':
      return { kind: 'pruned' };
    default: {
      const error = new Error(message.message);
      error.name = message.name;
      if (message.stack !== undefined) error.stack = message.stack;
      if (message.code !== undefined) Object.assign(error, { code: message.code });
      return { kind: 'error', error };
    }
  }
}

/**
 * Runs each trial's objective in a fresh child process. A child that exits without an answer
 * (non-zero exit, process.exit, a signal such as SIGKILL) yields a `crash` outcome.
 */
export function createProcessRunner(
  ref: string | ObjectiveModule,
  options: ProcessRunnerOptions,
): (trial: Trial) => Promise<TrialOutcome> {
  const { study, workerPath = workerEntryPath() } = options;
  const { moduleUrl, exportName } = resolveObjectiveModule(ref, study);
  // Sources need a TypeScript loader in the child; tsx is what the repository runs TS with.
  const execArgv = workerPath.endsWith('.ts') ? ['--import', 'tsx'] : [];

  return (trial) =>
    new Promise<TrialOutcome>((resolve) => {
      const child = fork(workerPath, [], {
        execArgv,
        // fd 4 is a socket the child reads synchronously, so suggestXxx can stay synchronous.
        stdio: ['inherit', 'inherit', 'inherit', 'ipc', 'pipe'],
        serialization: 'json',
      });
      let outcome: TrialOutcome | undefined;
      const channel = child.stdio[4] as Duplex;
      // Writes after the child died fail with EPIPE, reads with ECONNRESET (readline passes the
      // channel's errors on); the exit itself is what gets recorded.
      channel.on('error', () => undefined);
      const lines = createInterface({ input: channel });
      lines.on('error', () => undefined);
      let answering: Promise<void> = Promise.resolve();
      lines.on('line', (line) => {
        answering = answering
          .then(async () => {
            const response = await answer(trial, JSON.parse(line) as CallRequest);
            if (!channel.destroyed) channel.write(`${JSON.stringify(response)}\n`);
          })
          .catch((error: unknown) => {
            // A line that is not a call (something else wrote to fd 4) must not leave the chain
            // rejected: 'close' waits on it, and the trial would never be recorded.
            outcome ??= { kind: 'crash', error: `worker protocol error: ${String(error)}` };
            child.kill();
          });
      });
      child.on('message', (message: ResultMessage) => {
        outcome ??= toOutcome(message);
      });
      child.on('error', (error) => {
        outcome ??= { kind: 'crash', error: `worker process error: ${error.message}` };
      });
      child.on('close', (code, signal) => {
        void answering.then(() => {
          if (outcome) return resolve(outcome);
          resolve({
            kind: 'crash',
            error:
              signal !== null
                ? `worker process was killed by ${signal}`
                : `worker process exited with code ${code} before returning a value`,
          });
        });
      });
      const run: RunMessage = {
        type: 'run',
        moduleUrl,
        exportName,
        trial: { number: trial.number, params: { ...trial.params } },
      };
      child.send(run);
    });
}
