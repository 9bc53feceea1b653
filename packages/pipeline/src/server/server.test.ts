// HTTP API tests against a real server on 127.0.0.1: auth, body limits and validation, routing,
// the feedback store and the model list.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openFeedbackStore } from '@ft/data';
import { createRegistry } from '@ft/registry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FtServer, PipelineError, startServer } from '../index.js';
import { call } from './fixtures/client.js';

const json = { 'content-type': 'application/json' };
let home: string;
let server: FtServer | undefined;

beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'ft-server-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(home, { recursive: true, force: true });
});

describe('startServer', () => {
  it('refuses a non-loopback host without a token', async () => {
    const error = await startServer({ home, host: '0.0.0.0', port: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('INVALID_ARGUMENT');
    expect((error as PipelineError).field).toBe('token');
  });

  it('answers unknown routes with 404 and wrong methods with 405 and Allow', async () => {
    server = await startServer({ home, port: 0 });
    const missing = await call(server.url, 'GET', '/v2/nothing');
    expect(missing.status).toBe(404);
    expect(missing.json().error.code).toBe('NOT_FOUND');
    const wrong = await call(server.url, 'DELETE', '/v1/jobs');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, POST');
    const noJob = await call(server.url, 'GET', '/v1/jobs/job-nope');
    expect(noJob.status).toBe(404);
    expect((await call(server.url, 'GET', '/v1/jobs/%E0%A4%A')).status).toBe(400);
    expect((await call(server.url, 'GET', '/v1/jobs/..%2F..%2Fetc')).status).toBe(404);
    const list = await call(server.url, 'GET', '/v1/jobs');
    expect(list.status).toBe(200);
    expect(list.json()).toEqual({ jobs: [] });
  });

  it('requires the bearer token on every request when one is set', async () => {
    server = await startServer({ home, port: 0, token: 's3cret-token' });
    const none = await call(server.url, 'GET', '/v1/jobs');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="ft"');
    const wrong = await call(server.url, 'GET', '/v1/jobs', {
      headers: { authorization: 'Bearer s3cret-tokeN' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toContain('invalid_token');
    const shorter = await call(server.url, 'GET', '/v1/jobs', {
      headers: { authorization: 'Bearer s3cret' },
    });
    expect(shorter.status).toBe(401);
    // Unknown routes are not revealed without the token either.
    expect((await call(server.url, 'GET', '/nope')).status).toBe(401);
    const ok = await call(server.url, 'GET', '/v1/jobs', {
      headers: { authorization: 'Bearer s3cret-token' },
    });
    expect(ok.status).toBe(200);
  });

  it('rejects malformed JSON, wrong types, unknown fields and other content types with 400/415', async () => {
    server = await startServer({ home, port: 0 });
    const bad = await call(server.url, 'POST', '/v1/jobs', {
      body: '{"pipeline": ',
      headers: json,
    });
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('INVALID_JSON');
    const typed = await call(server.url, 'POST', '/v1/jobs', {
      body: JSON.stringify({ pipeline: 42 }),
      headers: json,
    });
    expect(typed.status).toBe(400);
    expect(typed.json().error.field).toBe('pipeline');
    const envTyped = await call(server.url, 'POST', '/v1/jobs', {
      body: JSON.stringify({ pipeline: 'p.yaml', env: { SEED: 1 } }),
      headers: json,
    });
    expect(envTyped.status).toBe(400);
    expect(envTyped.json().error.field).toBe('env.SEED');
    const extra = await call(server.url, 'POST', '/v1/jobs', {
      body: JSON.stringify({ pipeline: 'p.yaml', priority: 1 }),
      headers: json,
    });
    expect(extra.status).toBe(400);
    const text = await call(server.url, 'POST', '/v1/jobs', {
      body: 'pipeline=p.yaml',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    const empty = await call(server.url, 'POST', '/v1/jobs', { headers: json });
    expect(empty.status).toBe(400);
  });

  it('answers 413 for bodies over maxBodyBytes, declared or streamed, and keeps serving', async () => {
    server = await startServer({ home, port: 0, maxBodyBytes: 1000 });
    const big = JSON.stringify({ pipeline: 'x'.repeat(5000) });
    const declared = await call(server.url, 'POST', '/v1/jobs', { body: big, headers: json });
    expect(declared.status).toBe(413);
    expect(declared.json().error.code).toBe('PAYLOAD_TOO_LARGE');
    const streamed = await call(server.url, 'POST', '/v1/jobs', {
      body: big,
      headers: json,
      chunked: true,
    });
    expect(streamed.status).toBe(413);
    const justUnder = await call(server.url, 'POST', '/v1/feedback', {
      body: JSON.stringify({ input: 'a', modelVersion: '1', prediction: 'b' }),
      headers: json,
    });
    expect(justUnder.status).toBe(201);
  });

  it('only runs pipelines inside the allowed folders', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'ft-outside-'));
    try {
      await writeFile(join(outside, 'p.yaml'), 'name: p\nsteps: []\n');
      server = await startServer({ home, port: 0 });
      const outsideReply = await call(server.url, 'POST', '/v1/jobs', {
        body: JSON.stringify({ pipeline: join(outside, 'p.yaml') }),
        headers: json,
      });
      expect(outsideReply.status).toBe(403);
      expect(outsideReply.json().error.field).toBe('pipeline');
      const dotdot = await call(server.url, 'POST', '/v1/jobs', {
        body: JSON.stringify({
          pipeline: `../${join(outside, 'p.yaml').split('/').slice(-2).join('/')}`,
        }),
        headers: json,
      });
      expect(dotdot.status).toBe(403);
      const missing = await call(server.url, 'POST', '/v1/jobs', {
        body: JSON.stringify({ pipeline: 'nope.yaml' }),
        headers: json,
      });
      expect(missing.status).toBe(404);
      expect((await call(server.url, 'GET', '/v1/jobs')).json().jobs).toEqual([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('appends predictions and corrections to the feedback store', async () => {
    server = await startServer({ home, port: 0 });
    const recorded = await call(server.url, 'POST', '/v1/feedback', {
      body: JSON.stringify({ input: 'great product', modelVersion: '3', prediction: 'neg' }),
      headers: json,
    });
    expect(recorded.status).toBe(201);
    const { id } = recorded.json();
    expect(typeof id).toBe('string');
    const corrected = await call(server.url, 'POST', '/v1/feedback', {
      body: JSON.stringify({ kind: 'correction', id, correction: 'pos', by: 'reviewer' }),
      headers: json,
    });
    expect(corrected.status).toBe(201);
    const unknown = await call(server.url, 'POST', '/v1/feedback', {
      body: JSON.stringify({ kind: 'correction', id: 'nope', correction: 'pos' }),
      headers: json,
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json().error.field).toBe('id');
    const missingField = await call(server.url, 'POST', '/v1/feedback', {
      body: JSON.stringify({ input: 'x', prediction: 'y' }),
      headers: json,
    });
    expect(missingField.status).toBe(400);
    await server.close();
    server = undefined;
    const store = await openFeedbackStore({ path: join(home, 'feedback', 'feedback.jsonl') });
    const stats = await store.stats();
    await store.close();
    expect(stats.predictions).toBe(1);
    expect(stats.corrected).toBe(1);
    expect(stats.errors).toBe(1);
  });

  it('lists the models of the registry in <home>/registry', async () => {
    await mkdir(join(home, 'registry'), { recursive: true });
    const registry = await createRegistry({ root: join(home, 'registry'), user: 'test' });
    await registry.register('sentiment', { source: { 'weights.bin': new Uint8Array([1, 2, 3]) } });
    await registry.register('sentiment', { source: { 'weights.bin': new Uint8Array([4, 5]) } });
    await registry.setAlias('sentiment', 'production', 2);
    server = await startServer({ home, port: 0 });
    const reply = await call(server.url, 'GET', '/v1/models');
    expect(reply.status).toBe(200);
    const [model] = reply.json().models;
    expect(model.name).toBe('sentiment');
    expect(model.latestVersion).toBe(2);
    expect(model.versionCount).toBe(2);
    expect(model.aliases).toEqual({ production: 2 });
  });
});
