// Redis storage against a real redis-server: the conformance suite (several clients racing) and
// Redis-specific behaviour (prefix isolation, lazy client, unreachable server).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisStorage, HpoError } from '../index.js';
import { testStorage } from './conformance.js';
import { startRedis, type TestServer } from './servers.test-setup.js';

let server: TestServer | undefined;
let run = 0;
let prefix = '';

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

const url = () => {
  if (!server) throw new Error('redis-server did not start (see beforeAll)');
  return server.url;
};

describe('createRedisStorage: conformance', () => {
  testStorage({
    // A fresh key prefix per test stands in for an empty database.
    create: async () => {
      if (!prefix) prefix = `test${run++}:`;
      return createRedisStorage({ url: url(), prefix });
    },
    cleanup: async () => {
      prefix = '';
    },
    multiProcess: true,
  });
});

describe('createRedisStorage: server specifics', () => {
  it('keeps studies under different prefixes apart', async () => {
    const a = await createRedisStorage({ url: url(), prefix: 'iso-a:' });
    const b = await createRedisStorage({ url: url(), prefix: 'iso-b:' });
    await a.createStudy('same', ['minimize']);
    await b.createStudy('same', ['maximize']);
    await a.createTrial('same', { state: 'running' });
    expect((await a.getStudy('same'))?.directions).toEqual(['minimize']);
    expect((await b.getStudy('same'))?.directions).toEqual(['maximize']);
    expect(await b.getAllTrials('same')).toEqual([]);
    await a.close();
    await b.close();
  });

  it('reports data it did not write as STORAGE_ERROR', async () => {
    const storage = await createRedisStorage({ url: url(), prefix: 'garbage:' });
    await storage.createStudy('g', ['minimize']);
    await storage.createTrial('g', { state: 'running' });
    const { createClient } = await import('redis');
    const raw = createClient({ url: url() });
    await raw.connect();
    await raw.hSet('garbage:study:g:trial:0', 'u:x', '{not json');
    await raw.close();
    const error = await storage.getTrial('g', 0).catch((e: unknown) => e);
    expect((error as HpoError).code).toBe('STORAGE_ERROR');
    expect((error as HpoError).message).toContain('trial field u:x');
    await storage.close();
  });

  it('fails with STORAGE_ERROR naming the URL when no server listens', async () => {
    const error = await createRedisStorage({ url: 'redis://127.0.0.1:1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HpoError);
    expect((error as HpoError).code).toBe('STORAGE_ERROR');
    expect((error as HpoError).message).toContain('redis://127.0.0.1:1');
  });

  it('rejects a missing or non-redis URL and use after close', async () => {
    const bad = await createRedisStorage({ url: 'http://127.0.0.1:6379' }).catch((e: unknown) => e);
    expect((bad as HpoError).code).toBe('INVALID_ARGUMENT');
    const storage = await createRedisStorage({ url: url(), prefix: 'closed:' });
    await storage.close();
    const error = await storage.listStudies().catch((e: unknown) => e);
    expect((error as HpoError).code).toBe('STORAGE_ERROR');
  });
});
