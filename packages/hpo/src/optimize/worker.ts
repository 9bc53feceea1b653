// Worker-process entry: receives one trial over IPC, runs the objective module with a proxy trial
// whose calls block on a socket (fd 4) until the study's process answers, then reports the end.
import { readSync, writeSync } from 'node:fs';
import { HpoError, type HpoErrorCode } from '../errors.js';
import type { ObjectiveTrial, SuggestFloatOptions, SuggestIntOptions } from '../trial.js';
import type { CategoricalChoice, ParamValue } from '../types.js';
import { importObjective } from './modules.js';
import type { CallRequest, CallResponse, ResultMessage, RunMessage } from './protocol.js';

const CHANNEL_FD = 4;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Sends one request and blocks until its answer line arrives. */
function call(request: CallRequest, trialNumber: number): unknown {
  writeSync(CHANNEL_FD, `${JSON.stringify(request)}\n`);
  const buffer = Buffer.alloc(64 * 1024);
  let text = '';
  for (;;) {
    let n: number;
    try {
      n = readSync(CHANNEL_FD, buffer, 0, buffer.length, null);
    } catch (error) {
      // A non-blocking socket says "not yet"; wait a millisecond and read again.
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      throw error;
    }
    if (n === 0) throw new Error('[@ft/hpo] the study process closed the worker channel');
    text += buffer.toString('utf8', 0, n);
    if (text.endsWith('\n')) break;
  }
  const response = JSON.parse(text) as CallResponse;
  if (response.ok) return response.value;
  if (response.name === 'HpoError' && response.code !== undefined) {
    throw new HpoError(response.code as HpoErrorCode, response.message, {
      ...(response.study !== undefined ? { study: response.study } : {}),
      trial: trialNumber,
      ...(response.param !== undefined ? { param: response.param } : {}),
    });
  }
  const error = new Error(response.message);
  error.name = response.name;
  throw error;
}

/** The objective's view of a trial whose sampler, pruner and storage live in the parent. */
class WorkerTrial implements ObjectiveTrial {
  readonly number: number;
  readonly #params: Record<string, ParamValue>;

  constructor(number: number, params: Record<string, ParamValue>) {
    this.number = number;
    this.#params = { ...params };
  }

  get params(): Readonly<Record<string, ParamValue>> {
    return { ...this.#params };
  }

  suggestFloat(name: string, low: number, high: number, options: SuggestFloatOptions = {}): number {
    const value = call({ op: 'suggestFloat', name, low, high, options }, this.number) as number;
    this.#params[name] = value;
    return value;
  }

  suggestInt(name: string, low: number, high: number, options: SuggestIntOptions = {}): number {
    const value = call({ op: 'suggestInt', name, low, high, options }, this.number) as number;
    this.#params[name] = value;
    return value;
  }

  suggestCategorical<T extends CategoricalChoice>(name: string, choices: readonly T[]): T {
    const value = call({ op: 'suggestCategorical', name, choices: [...choices] }, this.number) as T;
    this.#params[name] = value;
    return value;
  }

  async report(value: number, step: number): Promise<void> {
    call({ op: 'report', value, step }, this.number);
  }

  async shouldPrune(): Promise<boolean> {
    return call({ op: 'shouldPrune' }, this.number) as boolean;
  }

  setUserAttr(key: string, value: unknown): void {
    call({ op: 'setUserAttr', key, value }, this.number);
  }

  setConstraints(values: readonly number[]): void {
    call({ op: 'setConstraints', values: [...values] }, this.number);
  }
}

function finish(message: ResultMessage): void {
  // Exit once the message is out: objectives may leave timers or sockets open.
  process.send?.(message, () => process.exit(0));
}

process.on('disconnect', () => process.exit(1));
process.once('message', async (message: RunMessage) => {
  const trial = new WorkerTrial(message.trial.number, message.trial.params);
  try {
    const objective = await importObjective<(trial: ObjectiveTrial) => unknown>({
      module: message.moduleUrl,
      exportName: message.exportName,
    });
    const value = await objective(trial);
    finish({ type: 'result', value });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    if (e.name === 'TrialPruned') {
      finish({ type: 'pruned', message: e.message });
      return;
    }
    finish({
      type: 'error',
      name: e.name,
      message: e.message,
      ...(e.stack !== undefined ? { stack: e.stack } : {}),
      ...(error instanceof HpoError ? { code: error.code } : {}),
    });
  }
});
