// Run events: each goes to the caller's onEvent and is appended to `<runDir>/events.jsonl`, so a
// server can replay a run's history; step logs go to `<runDir>/logs/<step>.log` as well.
import { appendFileSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PipelineError } from '../errors.js';
import type { PipelineEvent } from '../types.js';

export const EVENTS_FILE = 'events.jsonl';

/** Distributive Omit of the fields the sink fills in. */
export type EventInput = PipelineEvent extends infer E
  ? E extends PipelineEvent
    ? Omit<E, 'runId' | 'at'>
    : never
  : never;

export type EmitEvent = (event: EventInput) => PipelineEvent;

/** An emitter for one run: stamps runId and time, appends the line, then calls `onEvent`. */
export function createEventSink(
  runDir: string,
  runId: string,
  onEvent?: (event: PipelineEvent) => void,
): EmitEvent {
  const file = join(runDir, EVENTS_FILE);
  return (input) => {
    const event = { ...input, runId, at: new Date().toISOString() } as PipelineEvent;
    // Synchronous so lines keep their order even when a step emits from callbacks.
    appendFileSync(file, `${JSON.stringify(event)}\n`);
    if (onEvent) {
      try {
        onEvent(event);
      } catch {
        // A failing listener must not break the run's bookkeeping; events.jsonl keeps the event.
      }
    }
    return event;
  };
}

/** Every event recorded for the run in `runDir`, in order (a torn last line is dropped). */
export async function readRunEvents(runDir: string): Promise<PipelineEvent[]> {
  const file = join(runDir, EVENTS_FILE);
  return parseEvents(await readEventsText(file), file);
}

export interface FollowRunEventsOptions {
  /** Stops following (the iteration ends) when aborted. @default undefined */
  signal?: AbortSignal;
  /** How often to look for new lines, in ms. @default 200 */
  pollMs?: number;
}

/**
 * The run's recorded events, then new ones as they are appended (e.g. by a job process), for a
 * server's live stream. Ends once everything written so far has been read and the last event is
 * `run-end`, or when `signal` aborts. Waits for `events.jsonl` to appear if it does not exist yet.
 */
export async function* followRunEvents(
  runDir: string,
  options: FollowRunEventsOptions = {},
): AsyncGenerator<PipelineEvent> {
  const { signal, pollMs = 200 } = options;
  const file = join(runDir, EVENTS_FILE);
  // Reads from a byte offset, so a long run's metric stream is not re-read on every poll.
  let offset = 0;
  let line = 1;
  let last: PipelineEvent | undefined;
  while (!signal?.aborted) {
    const chunk = await readWholeLinesFrom(file, offset);
    if (chunk.length > 0) {
      offset += chunk.length;
      const text = chunk.toString('utf8');
      const events = parseEvents(text, file, line);
      line += text.split('\n').length - 1;
      for (const event of events) {
        last = event;
        yield event;
      }
      continue;
    }
    if (last?.type === 'run-end') return;
    await new Promise((done) => setTimeout(done, pollMs));
  }
}

/** The bytes after `offset` up to the last newline (a line still being written waits). */
async function readWholeLinesFrom(file: string, offset: number): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw new PipelineError('IO_ERROR', `could not read events: ${(error as Error).message}`, {
      path: file,
      cause: error,
    });
  }
  try {
    const { size } = await handle.stat();
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    const end = buffer.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
    return buffer.subarray(0, end);
  } finally {
    await handle.close();
  }
}

function readEventsText(file: string): Promise<string> {
  return readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new PipelineError(
      error.code === 'ENOENT' ? 'NOT_FOUND' : 'IO_ERROR',
      error.code === 'ENOENT'
        ? 'no events.jsonl here; check the run folder'
        : `could not read events: ${error.message}`,
      { path: file, cause: error },
    );
  });
}

function parseEvents(text: string, file: string, firstLine = 1): PipelineEvent[] {
  const events: PipelineEvent[] = [];
  const lines = text.split('\n');
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as PipelineEvent);
    } catch (error) {
      if (lines.slice(i + 1).every((rest) => rest.trim() === '')) break;
      throw new PipelineError('IO_ERROR', `corrupt event on line ${firstLine + i}`, {
        path: file,
        cause: error,
      });
    }
  }
  return events;
}
