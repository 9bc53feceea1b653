// Jobs through the HTTP API: child processes run real pipelines (custom steps from
// fixtures/steps.ts), SSE streams their events, crashes and cancellation, restart and approvals.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobStore, type FtServer, type Job, readRunState, startServer } from '../index.js';
import { call } from '../server/fixtures/client.js';

const registryModule = fileURLToPath(new URL('./fixtures/steps.ts', import.meta.url));
const json = { 'content-type': 'application/json' };
let home: string;
let server: FtServer | undefined;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'ft-jobs-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(home, { recursive: true, force: true });
});

async function pipeline(name: string, steps: string): Promise<string> {
  const path = join(home, `${name}.yaml`);
  await writeFile(path, `name: ${name}\nsteps:\n${steps}`);
  return path;
}

async function submit(s: FtServer, path: string): Promise<Job> {
  const reply = await call(s.url, 'POST', '/v1/jobs', {
    body: JSON.stringify({ pipeline: path }),
    headers: json,
  });
  expect(reply.status).toBe(201);
  return reply.json().job as Job;
}

/** Reads a whole SSE response into its events (name + parsed data). */
interface SseData {
  step?: string;
  done?: number;
  value?: number;
  [key: string]: unknown;
}

function readSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ event: string; data: SseData }[]> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      expect(res.headers['content-type']).toContain('text/event-stream');
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      res.on('end', () => {
        const events = text
          .split('\n\n')
          .filter((block) => block.includes('data: '))
          .map((block) => {
            const lines = block.split('\n');
            const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? 'message';
            const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? 'null';
            return { event, data: JSON.parse(data) };
          });
        resolve(events);
      });
    }).on('error', reject);
  });
}

async function waitForStatus(s: FtServer, id: string, status: string): Promise<Job> {
  for (let i = 0; i < 400; i++) {
    const job = (await s.store.get(id)) as Job;
    if (job.status === status) return job;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`job ${id} never became ${status}`);
}

describe('jobs over HTTP', () => {
  it('runs a pipeline in a child process and streams its events over SSE', async () => {
    server = await startServer({ home, port: 0, registryModule });
    const path = await pipeline(
      'count',
      '  - id: a\n    type: count\n    params: { n: 3 }\n  - id: b\n    type: count\n    params: { n: 2 }\n    needs: [a]\n',
    );
    const job = await submit(server, path);
    expect(job.status).toBe('queued');
    expect(job.pipelinePath).toBe(path);
    const events = await readSse(`${server.url}/v1/jobs/${job.id}/events`);
    const types = events.map((e) =>
      e.event === 'step-start' || e.event === 'step-end' ? `${e.event}:${e.data.step}` : e.event,
    );
    expect(types.filter((t) => t !== 'progress' && t !== 'metric' && t !== 'log')).toEqual([
      'run-start',
      'step-start:a',
      'step-end:a',
      'step-start:b',
      'step-end:b',
      'run-end',
      'job-end',
    ]);
    const progress = events.filter((e) => e.event === 'progress' && e.data.step === 'a');
    expect(progress.map((e) => e.data.done)).toEqual([1, 2, 3]);
    const metrics = events
      .filter((e) => e.event === 'metric')
      .map((e) => [e.data.step, e.data.value]);
    expect(metrics).toEqual([
      ['a', 6],
      ['b', 3],
    ]);
    expect(events.at(-1)?.data).toEqual({ id: job.id, status: 'succeeded' });
    const done = (await call(server.url, 'GET', `/v1/jobs/${job.id}`)).json().job as Job;
    expect(done.status).toBe('succeeded');
    expect(done.pid).toBeUndefined();
    const state = await readRunState(done.runDir);
    expect(state.steps.b?.output?.values).toEqual({ sum: 3 });
    // A second subscriber after the end gets the full replay; Last-Event-ID skips what was seen.
    const replay = await readSse(`${server.url}/v1/jobs/${job.id}/events`);
    expect(replay.length).toBe(events.length);
    const rest = await readSse(`${server.url}/v1/jobs/${job.id}/events`, { 'last-event-id': '3' });
    expect(rest.map((e) => e.event)).toEqual(events.slice(3).map((e) => e.event));

    // Approval: only a waiting job can be approved; approving resumes its run in a new process.
    const early = await call(server.url, 'POST', `/v1/jobs/${job.id}/approve`);
    expect(early.status).toBe(400);
    // The retrain loop parks a job like this once a candidate needs a human decision.
    await server.store.update(job.id, () => ({ status: 'waiting-approval' }));
    const approved = await call(server.url, 'POST', `/v1/jobs/${job.id}/approve`, {
      body: JSON.stringify({ by: 'alice', comment: 'metrics look fine' }),
      headers: json,
    });
    expect(approved.status).toBe(200);
    const resumed = await server.runner.settled(job.id);
    expect(resumed.status).toBe('succeeded');
    expect(resumed.approval).toMatchObject({
      decision: 'approved',
      by: 'alice',
      comment: 'metrics look fine',
    });
    const file = JSON.parse(await readFile(join(resumed.runDir, 'approval.json'), 'utf8'));
    expect(file).toMatchObject({ decision: 'approved', by: 'alice' });
  });

  it('survives a job whose process exits, and records the job as failed', async () => {
    server = await startServer({ home, port: 0, registryModule });
    const path = await pipeline('crash', '  - id: c\n    type: crash\n    params: { code: 7 }\n');
    const job = await submit(server, path);
    const settled = await server.runner.settled(job.id);
    expect(settled.status).toBe('failed');
    expect(settled.error).toContain('exited with code 7');
    const list = await call(server.url, 'GET', '/v1/jobs');
    expect(list.status).toBe(200);
    expect(list.json().jobs.map((j: Job) => j.status)).toEqual(['failed']);
    // A step that throws fails the job with the step's error, not the process.
    const boom = await submit(
      server,
      await pipeline('boom', '  - id: b\n    type: boom\n    params: { message: no data }\n'),
    );
    const failed = await server.runner.settled(boom.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('step b failed: no data');
  });

  it('cancels a running job: SIGTERM, the run ends cancelled', async () => {
    server = await startServer({ home, port: 0, registryModule, killGraceMs: 5000 });
    const path = await pipeline('wait', '  - id: w\n    type: wait\n    params: { ms: 60000 }\n');
    const job = await submit(server, path);
    await waitForStatus(server, job.id, 'running');
    // Wait until the step itself runs, so the engine records the cancellation in the run.
    for (let i = 0; i < 400; i++) {
      const text = await readFile(join(job.runDir, 'events.jsonl'), 'utf8').catch(() => '');
      if (text.includes('"step-start"')) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const reply = await call(server.url, 'POST', `/v1/jobs/${job.id}/cancel`);
    expect(reply.status).toBe(200);
    expect(reply.json().job.status).toBe('cancelled');
    const state = await readRunState(job.runDir);
    expect(state.status).toBe('cancelled');
    expect(state.steps.w?.status).toBe('cancelled');
  });

  it('keeps job state across a restart, fails jobs whose process is gone, records rejections', async () => {
    const path = await pipeline('count', '  - id: a\n    type: count\n    params: { n: 1 }\n');
    server = await startServer({ home, port: 0, registryModule });
    const first = await server.store.create({ pipelinePath: path });
    await server.store.update(first.id, () => ({ status: 'succeeded' }));
    const waiting = await server.store.create({ pipelinePath: path });
    await server.store.update(waiting.id, () => ({ status: 'waiting-approval' }));
    await server.close();
    server = undefined;
    // A job left "running" by a crashed server, with a pid that has exited.
    const store = createJobStore({ home });
    const orphan = await store.create({ pipelinePath: path });
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    await store.update(orphan.id, () => ({ status: 'running', pid: deadPid }));
    // Jobs accepted but never started: the next server starts them, one at a time here.
    const q1 = await store.create({ pipelinePath: path });
    const q2 = await store.create({ pipelinePath: path });
    server = await startServer({ home, port: 0, registryModule, maxConcurrentJobs: 1 });
    const jobs = (await call(server.url, 'GET', '/v1/jobs')).json().jobs as Job[];
    expect(jobs.map((j) => j.id)).toEqual([q2.id, q1.id, orphan.id, waiting.id, first.id]);
    expect((await server.runner.settled(q1.id)).status).toBe('succeeded');
    expect((await server.runner.settled(q2.id)).status).toBe('succeeded');
    const eventsOf = async (job: Job) =>
      (await readFile(join(job.runDir, 'events.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { type: string; at: string });
    const firstEnd = (await eventsOf(q1)).find((e) => e.type === 'run-end')?.at ?? '';
    const secondStart = (await eventsOf(q2)).find((e) => e.type === 'run-start')?.at ?? '';
    expect(firstEnd).not.toBe('');
    expect(secondStart >= firstEnd).toBe(true);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    expect(byId.get(first.id)?.status).toBe('succeeded');
    expect(byId.get(waiting.id)?.status).toBe('waiting-approval');
    expect(byId.get(orphan.id)?.status).toBe('failed');
    expect(byId.get(orphan.id)?.error).toContain('ended without recording a result');
    expect(byId.get(orphan.id)?.pid).toBeUndefined();

    const typo = await call(server.url, 'POST', `/v1/jobs/${waiting.id}/reject`, {
      body: JSON.stringify({ by: 3 }),
      headers: json,
    });
    expect(typo.status).toBe(400);
    expect(typo.json().error.field).toBe('by');
    const rejected = await call(server.url, 'POST', `/v1/jobs/${waiting.id}/reject`, {
      body: JSON.stringify({ by: 'bob' }),
      headers: json,
    });
    expect(rejected.status).toBe(200);
    expect(rejected.json().job).toMatchObject({
      status: 'failed',
      error: 'rejected by bob',
      approval: { decision: 'rejected', by: 'bob' },
    });
    const file = JSON.parse(await readFile(join(waiting.runDir, 'approval.json'), 'utf8'));
    expect(file).toMatchObject({ decision: 'rejected', by: 'bob' });
  });
});
