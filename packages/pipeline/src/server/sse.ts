// Server-Sent Events for a job: replays `<runDir>/events.jsonl`, then follows lines appended to it
// until the job ends (a final state, or waiting for approval) and nothing is left to send.

import { open } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { JobStore } from '../jobs/store.js';
import type { PipelineEvent } from '../types.js';

export interface EventStreamOptions {
  /** How often the events file is checked for new lines. @default 100 */
  pollMs?: number;
  /** A comment line is sent this often so proxies keep the connection open. @default 15000 */
  heartbeatMs?: number;
  /** Events with an id (line number) up to this one were seen already (`Last-Event-ID`). @default 0 */
  after?: number;
}

const ENDED = new Set(['succeeded', 'failed', 'cancelled', 'waiting-approval']);

export async function streamJobEvents(
  res: ServerResponse,
  store: JobStore,
  jobId: string,
  options: EventStreamOptions = {},
): Promise<void> {
  const { pollMs = 100, heartbeatMs = 15_000, after = 0 } = options;
  const job = await store.get(jobId);
  const file = join(job.runDir, 'events.jsonl');
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
  });
  res.write(': ft job events\n\n');
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  let offset = 0;
  let pending = '';
  let line = 0;
  let lastBeat = Date.now();

  /** Sends the complete lines appended since the last read. */
  const drain = async (): Promise<void> => {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(file, 'r');
    } catch {
      return; // The job process has not created the run folder yet.
    }
    try {
      const buffer = Buffer.alloc(64 * 1024);
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
        pending += buffer.toString('utf8', 0, bytesRead);
        let newline = pending.indexOf('\n');
        while (newline >= 0) {
          const text = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          newline = pending.indexOf('\n');
          if (text === '') continue;
          line += 1;
          if (line <= after) continue;
          let event: PipelineEvent;
          try {
            event = JSON.parse(text) as PipelineEvent;
          } catch {
            continue; // A torn line from a killed job process carries no event.
          }
          res.write(`id: ${line}\nevent: ${event.type}\ndata: ${text}\n\n`);
        }
      }
    } finally {
      await handle.close();
    }
  };

  while (!closed) {
    await drain();
    // The job's status, not a run-end line, ends the stream: a resumed run (after an approval)
    // still has the earlier attempt's run-end in its file.
    const current = await store.get(jobId);
    if (ENDED.has(current.status)) {
      // One more read: the last lines may have landed between the read and the status check.
      await drain();
      break;
    }
    if (Date.now() - lastBeat >= heartbeatMs) {
      res.write(': keep-alive\n\n');
      lastBeat = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  if (!closed) {
    const final = await store.get(jobId);
    res.write(
      `event: job-end\ndata: ${JSON.stringify({ id: final.id, status: final.status })}\n\n`,
    );
    res.end();
  }
}
