// The conformance suite every RegistryStore implementation runs from its own test file:
// `testStore({ name, create })`. It pins the behaviour the registry relies on.
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RegistryStore } from './types.js';

export interface TestStoreOptions {
  /** Shown in the describe block. */
  name: string;
  /** A fresh, empty store and how to remove it. */
  create: () => Promise<{ store: RegistryStore; cleanup: () => Promise<void> }>;
}

const text = (value: string) => new TextEncoder().encode(value);
const sha = (value: string | Uint8Array) => createHash('sha256').update(value).digest('hex');
// sha256("abc"), FIPS 180-2 appendix B.1.
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

async function* chunks(...parts: string[]): AsyncIterable<Uint8Array> {
  for (const part of parts) yield text(part);
}

function mustNotBeRead(): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      throw new Error('the store read bytes it did not need');
    },
  };
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<string> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return Buffer.concat(parts).toString('utf8');
}

async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code?: string; message: string };
  }
  throw new Error('expected a rejection');
}

/** Declares the conformance tests for one store implementation. */
export function testStore({ name, create }: TestStoreOptions): void {
  describe(`RegistryStore conformance: ${name}`, () => {
    let store: RegistryStore;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      ({ store, cleanup } = await create());
    });
    afterEach(() => cleanup());

    describe('blobs', () => {
      it('stores bytes under their sha256 once', async () => {
        expect(await store.putBlob(text('abc'))).toEqual({ sha256: ABC, size: 3, created: true });
        expect(await store.putBlob(text('abc'))).toEqual({ sha256: ABC, size: 3, created: false });
        expect(await store.hasBlob(ABC)).toBe(true);
        expect(await store.blobSize(ABC)).toBe(3);
        expect(new TextDecoder().decode(await store.getBlob(ABC))).toBe('abc');
        expect(await collect(store.readBlob(ABC))).toBe('abc');
        expect(await store.listBlobs()).toEqual([ABC]);
      });

      it('hashes streamed chunks like the whole bytes', async () => {
        const result = await store.putBlob(chunks('hello ', 'wor', 'ld'));
        expect(result).toEqual({ sha256: sha('hello world'), size: 11, created: true });
        expect(await collect(store.readBlob(result.sha256))).toBe('hello world');
      });

      it('stores an empty blob', async () => {
        const result = await store.putBlob(new Uint8Array(0));
        expect(result.sha256).toBe(sha(''));
        expect((await store.getBlob(result.sha256)).length).toBe(0);
      });

      it('skips reading when the expected blob is already stored', async () => {
        await store.putBlob(text('abc'));
        const result = await store.putBlob(mustNotBeRead(), { expectedSha256: ABC });
        expect(result).toEqual({ sha256: ABC, size: 3, created: false });
      });

      it('refuses bytes that do not match the expected hash and stores nothing', async () => {
        const error = await errorOf(store.putBlob(text('abd'), { expectedSha256: ABC }));
        expect(error.code).toBe('INTEGRITY');
        expect(error.message).toContain(ABC);
        expect(await store.listBlobs()).toEqual([]);
      });

      it('lists blobs sorted and deletes them', async () => {
        const hashes = [];
        for (const value of ['one', 'two', 'three']) {
          hashes.push((await store.putBlob(text(value))).sha256);
        }
        expect(await store.listBlobs()).toEqual([...hashes].sort());
        expect(await store.deleteBlob(hashes[0]!)).toBe(true);
        expect(await store.deleteBlob(hashes[0]!)).toBe(false);
        expect(await store.hasBlob(hashes[0]!)).toBe(false);
        expect(await store.blobSize(hashes[0]!)).toBeUndefined();
        expect(await store.listBlobs()).toEqual([hashes[1]!, hashes[2]!].sort());
      });

      it('reports a missing blob as NOT_FOUND', async () => {
        expect((await errorOf(store.getBlob(ABC))).code).toBe('NOT_FOUND');
        expect((await errorOf(collect(store.readBlob(ABC)))).code).toBe('NOT_FOUND');
      });

      it('rejects addresses that are not sha256 hex', async () => {
        for (const bad of ['../../etc/passwd', ABC.toUpperCase(), ABC.slice(1), `${ABC}\u0000`]) {
          expect((await errorOf(store.hasBlob(bad))).code).toBe('INVALID_NAME');
          expect((await errorOf(store.getBlob(bad))).code).toBe('INVALID_NAME');
          expect((await errorOf(store.deleteBlob(bad))).code).toBe('INVALID_NAME');
        }
      });

      it('copies a blob to a new file that can be edited without touching the blob', async () => {
        const dir = await createTempDir('ft-store-copy-');
        try {
          await store.putBlob(text('abc'));
          const file = join(dir.path, 'copy.bin');
          await store.copyBlobToFile(ABC, file);
          expect(await readFile(file, 'utf8')).toBe('abc');
          await writeFile(file, 'changed');
          expect(new TextDecoder().decode(await store.getBlob(ABC))).toBe('abc');
          // The destination must be new: an existing file is never overwritten.
          expect(await errorOf(store.copyBlobToFile(ABC, file))).toBeInstanceOf(Error);
          expect(await readFile(file, 'utf8')).toBe('changed');
        } finally {
          await dir.cleanup();
        }
      });
    });

    describe('documents', () => {
      it('writes, reads, overwrites and deletes JSON documents', async () => {
        expect(await store.readDoc('a/b')).toBeUndefined();
        expect(await store.writeDoc('a/b', { x: 1, s: 'ä ሰላም' })).toBe(true);
        expect(await store.readDoc('a/b')).toEqual({ x: 1, s: 'ä ሰላም' });
        expect(await store.writeDoc('a/b', [1, 2])).toBe(true);
        expect(await store.readDoc('a/b')).toEqual([1, 2]);
        expect(await store.deleteDoc('a/b')).toBe(true);
        expect(await store.deleteDoc('a/b')).toBe(false);
        expect(await store.readDoc('a/b')).toBeUndefined();
      });

      it('create-only writes keep the first document', async () => {
        expect(await store.writeDoc('k', { n: 1 }, { ifAbsent: true })).toBe(true);
        expect(await store.writeDoc('k', { n: 2 }, { ifAbsent: true })).toBe(false);
        expect(await store.readDoc('k')).toEqual({ n: 1 });
      });

      it('lets exactly one of many concurrent create-only writes win', async () => {
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, n) => store.writeDoc('race', { n }, { ifAbsent: true })),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect(await store.readDoc('race')).toEqual({ n: winner });
      });

      it('lists documents and sub-prefixes one level at a time', async () => {
        await store.writeDoc('models/b/model', {});
        await store.writeDoc('models/a/model', {});
        await store.writeDoc('models/a/versions/0000000002', {});
        await store.writeDoc('models/a/versions/0000000001', {});
        await store.writeDoc('top', {});
        expect(await store.listPrefixes('models/')).toEqual(['a', 'b']);
        expect(await store.listDocs('models/a/')).toEqual(['models/a/model']);
        expect(await store.listDocs('models/a/versions/')).toEqual([
          'models/a/versions/0000000001',
          'models/a/versions/0000000002',
        ]);
        expect(await store.listDocs('')).toEqual(['top']);
        expect(await store.listDocs('nothing/here/')).toEqual([]);
        expect(await store.listPrefixes('nothing/')).toEqual([]);
      });

      it('rejects keys that could escape or are malformed', async () => {
        const bad = [
          '',
          '../x',
          '/abs',
          'a//b',
          'a/../b',
          'a/./b',
          'a\\b',
          'a\u0000b',
          'a/',
          'a b',
        ];
        for (const key of bad) {
          expect((await errorOf(store.writeDoc(key, {}))).code).toBe('INVALID_NAME');
          expect((await errorOf(store.readDoc(key))).code).toBe('INVALID_NAME');
          expect((await errorOf(store.deleteDoc(key))).code).toBe('INVALID_NAME');
        }
        for (const prefix of ['..', '../', 'a', '/a/']) {
          expect((await errorOf(store.listDocs(prefix))).code).toBe('INVALID_NAME');
        }
      });
    });

    describe('logs', () => {
      it('appends records and reads them back in order', async () => {
        expect(await store.readLog('audit')).toEqual([]);
        for (let i = 0; i < 5; i++) await store.appendLog('audit', { i, text: `line ${i}\nmore` });
        await store.appendLog('other', { other: true });
        expect(await store.readLog('audit')).toEqual(
          Array.from({ length: 5 }, (_, i) => ({ i, text: `line ${i}\nmore` })),
        );
        expect(await store.readLog('other')).toEqual([{ other: true }]);
      });

      it('keeps every record of concurrent appends', async () => {
        await Promise.all(Array.from({ length: 20 }, (_, i) => store.appendLog('audit', { i })));
        const records = (await store.readLog('audit')) as { i: number }[];
        expect(records.map((r) => r.i).sort((a, b) => a - b)).toEqual(
          Array.from({ length: 20 }, (_, i) => i),
        );
      });

      it('rejects log names with separators', async () => {
        expect((await errorOf(store.appendLog('../audit', {}))).code).toBe('INVALID_NAME');
        expect((await errorOf(store.readLog('a/b'))).code).toBe('INVALID_NAME');
      });
    });

    describe('lock', () => {
      it('makes a second holder wait until the first releases', async () => {
        const events: string[] = [];
        const first = await store.lock('test');
        events.push('first acquired');
        const second = store.lock('test').then((lock) => {
          events.push('second acquired');
          return lock;
        });
        // Let the second attempt poll a few times while the first still holds the lock.
        await new Promise((resolve) => setTimeout(resolve, 30));
        events.push('first releasing');
        await first.release();
        await (await second).release();
        expect(events).toEqual(['first acquired', 'first releasing', 'second acquired']);
      });

      it('gives up with LOCKED after the timeout', async () => {
        const held = await store.lock('test');
        try {
          const error = await errorOf(store.lock('test', { timeoutMs: 20 }));
          expect(error.code).toBe('LOCKED');
        } finally {
          await held.release();
        }
        const again = await store.lock('test', { timeoutMs: 20 });
        await again.release();
      });
    });

    it('recover() on a clean store removes nothing', async () => {
      await store.putBlob(text('abc'));
      await store.appendLog('audit', { a: 1 });
      expect(await store.recover()).toEqual({ removedTemp: 0, repairedLogs: 0 });
      expect(await store.listBlobs()).toEqual([ABC]);
      expect(await store.readLog('audit')).toEqual([{ a: 1 }]);
    });
  });
}
