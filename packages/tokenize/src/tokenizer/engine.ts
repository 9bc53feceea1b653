// Synchronous access to the Rust `tokenizers` engine, whose encode/decode return promises: the
// engine lives in one shared worker thread and the caller blocks on Atomics until it answers.
import { createRequire } from 'node:module';
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from 'node:worker_threads';
import { ENGINE_WORKER_SOURCE } from './engine-worker-source.js';

/** What the engine reports when it loads a tokenizer.json. */
export interface EngineLoadResult {
  handle: number;
  vocab: Record<string, number>;
  vocabSize: number;
  /** Special tokens the post-processor adds to one sequence / to a pair. */
  addedSingle: number;
  addedPair: number;
}

/** Truncation settings as the engine spells them. */
export interface EngineTruncation {
  maxLength: number;
  strategy: 'LongestFirst' | 'OnlyFirst' | 'OnlySecond';
  direction: 'left' | 'right';
  stride: number;
}

export interface EngineEncodeRequest {
  handle: number;
  inputs: ReadonlyArray<string | readonly [string, string]>;
  addSpecialTokens: boolean;
  truncation: EngineTruncation | null;
  overflow: boolean;
  withTokens: boolean;
}

/** Unpadded rows, flattened: row r holds `rowLengths[r]` tokens and came from input `rowSample[r]`. */
export interface EngineEncodeResult {
  ids: Int32Array;
  typeIds: Int32Array;
  special: Uint8Array;
  /** Code-point offsets, two per token. */
  offsets: Int32Array;
  /** -1 where the engine has no word. */
  words: Int32Array;
  /** -1 where the token belongs to no sequence. */
  sequences: Int8Array;
  rowLengths: Int32Array;
  rowSample: Int32Array;
  tokens: string[][] | undefined;
}

/** Thrown (and rewrapped by callers) when the engine rejects a request. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  /** Set when the request itself was at fault (e.g. a stride too long for a window): the option concerned. */
  readonly field: string | undefined;

  constructor(message: string, field?: string) {
    super(message);
    this.field = field;
  }
}

type Reply = { ok: true; value: unknown } | { ok: false; message: string; field?: string };

interface Bridge {
  worker: Worker;
  port: MessagePort;
  signal: Int32Array;
}

let bridge: Bridge | undefined;

function startBridge(): Bridge {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const enginePath = createRequire(import.meta.url).resolve('tokenizers');
  const worker = new Worker(ENGINE_WORKER_SOURCE, {
    eval: true,
    workerData: { port: port2, signal, enginePath },
    transferList: [port2],
  });
  // The worker only serves blocking calls, so it must never keep the process alive.
  worker.unref();
  port1.unref();
  return { worker, port: port1, signal };
}

function call<T>(request: object): T {
  bridge ??= startBridge();
  const { worker, port, signal } = bridge;
  Atomics.store(signal, 0, 0);
  port.postMessage(request);
  while (Atomics.load(signal, 0) === 0) {
    // Wake up now and then: a dead worker would otherwise leave us waiting forever.
    if (Atomics.wait(signal, 0, 0, 1000) === 'timed-out' && worker.threadId === -1) {
      bridge = undefined;
      throw new EngineError('the tokenizer worker thread stopped unexpectedly');
    }
  }
  const received = receiveMessageOnPort(port);
  if (received === undefined)
    throw new EngineError('the tokenizer worker signalled without a reply');
  const reply = received.message as Reply;
  if (!reply.ok) throw new EngineError(reply.message, reply.field);
  return reply.value as T;
}

/** Parses and registers a tokenizer.json; throws EngineError with the engine's message when it is rejected. */
export function engineLoad(json: string): EngineLoadResult {
  return call<EngineLoadResult>({ op: 'load', json });
}

export function engineEncode(request: EngineEncodeRequest): EngineEncodeResult {
  return call<EngineEncodeResult>({ op: 'encode', ...request });
}

export function engineDecode(
  handle: number,
  ids: readonly number[],
  skipSpecialTokens: boolean,
): string {
  return call<{ text: string }>({ op: 'decode', handle, ids: [...ids], skipSpecialTokens }).text;
}

/** Releases an engine tokenizer; fire and forget (the worker does not answer). */
export function engineFree(handle: number): void {
  bridge?.port.postMessage({ op: 'free', handle });
}
