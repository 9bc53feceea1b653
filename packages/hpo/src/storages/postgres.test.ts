// PostgreSQL storage against a real server started for this file: the conformance suite (several
// pools racing) and PostgreSQL specifics (schemas, concurrent table setup, bad connections).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStorage, HpoError } from '../index.js';
import { testStorage } from './conformance.js';
import { startPostgres, type TestServer } from './servers.test-setup.js';

let server: TestServer | undefined;
let run = 0;
let schema = '';

beforeAll(async () => {
  server = await startPostgres();
});
afterAll(async () => {
  await server?.stop();
});

const url = () => {
  if (!server) throw new Error('PostgreSQL did not start (see beforeAll)');
  return server.url;
};

describe('createPostgresStorage: conformance', () => {
  testStorage({
    // A fresh schema per test stands in for an empty database.
    create: async () => {
      if (!schema) schema = `conformance_${run++}`;
      return createPostgresStorage({ connectionString: url(), schema });
    },
    cleanup: async () => {
      schema = '';
    },
    multiProcess: true,
  });
});

describe('createPostgresStorage: server specifics', () => {
  it('sets up its tables once when many clients start together', async () => {
    const clients = await Promise.all(
      Array.from({ length: 6 }, () =>
        createPostgresStorage({ connectionString: url(), schema: 'racing_setup' }),
      ),
    );
    await clients[0]?.createStudy('shared', ['minimize']);
    for (const c of clients) expect((await c.listStudies()).map((s) => s.name)).toEqual(['shared']);
    await Promise.all(clients.map((c) => c.close()));
  });

  it('keeps studies in different schemas apart', async () => {
    const a = await createPostgresStorage({ connectionString: url(), schema: 'iso_a' });
    const b = await createPostgresStorage({ connectionString: url(), schema: 'iso_b' });
    await a.createStudy('same', ['minimize']);
    await b.createStudy('same', ['maximize']);
    await a.createTrial('same', { state: 'running' });
    expect((await b.getStudy('same'))?.directions).toEqual(['maximize']);
    expect(await b.getAllTrials('same')).toEqual([]);
    await a.close();
    await b.close();
  });

  it('fails with STORAGE_ERROR naming the server, without leaking the password', async () => {
    const error = await createPostgresStorage({
      connectionString: 'postgresql://someone:secret@127.0.0.1:1/db',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HpoError);
    expect((error as HpoError).code).toBe('STORAGE_ERROR');
    expect((error as HpoError).message).toContain('127.0.0.1:1');
    expect((error as HpoError).message).not.toContain('secret');
  });

  it('rejects bad options and use after close', async () => {
    const bad = await createPostgresStorage({ connectionString: 'mysql://x' }).catch((e) => e);
    expect((bad as HpoError).code).toBe('INVALID_ARGUMENT');
    const schemaError = await createPostgresStorage({
      connectionString: url(),
      schema: 'a"; DROP TABLE x; --',
    }).catch((e: unknown) => e);
    expect((schemaError as HpoError).code).toBe('INVALID_ARGUMENT');
    const storage = await createPostgresStorage({ connectionString: url(), schema: 'closed' });
    await storage.close();
    const error = await storage.listStudies().catch((e: unknown) => e);
    expect((error as HpoError).code).toBe('STORAGE_ERROR');
  });
});
