// Feedback store in one process: stats on hand-computed cases, windows, exports, torn-tail
// recovery, corruption errors, batch mode and reads of other stores' appends.
import { createHash } from 'node:crypto';
import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataError, type FeedbackStore, openFeedbackStore } from '../index.js';

const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const min = (m: number): number => T0 + m * 60_000;

let dir: { path: string; cleanup: () => Promise<void> };
let journal: string;
const open: FeedbackStore[] = [];

beforeEach(async () => {
  dir = await createTempDir('ft-feedback-');
  journal = join(dir.path, 'feedback.jsonl');
});
afterEach(async () => {
  for (const store of open.splice(0)) await store.close();
  await dir.cleanup();
});

async function openStore(
  options: Partial<Parameters<typeof openFeedbackStore>[0]> = {},
): Promise<FeedbackStore> {
  const store = await openFeedbackStore({ path: journal, ...options });
  open.push(store);
  return store;
}

/** A journal line built straight from the documented format, independent of the store's code. */
function handLine(event: Record<string, unknown>): string {
  const sortKeys = (v: unknown): unknown =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
        )
      : v;
  const payload = JSON.stringify(sortKeys(event));
  const sum = createHash('sha256').update(payload).digest('hex').slice(0, 16);
  return `{"c":"${sum}","e":${payload}}\n`;
}

async function lineCount(): Promise<number> {
  const text = await readFile(journal, 'utf8');
  return text.split('\n').length - 1;
}

/**
 * Six predictions over two model versions (minutes after T0):
 * p1 v1 'pos' @0, corrected 'neg' @30            → error
 * p2 v1 'neg' @10, label 'neg'                   → right
 * p3 v1 {a:1,b:[1,2]} @20, corrected same value with other key order @35 → right
 * p4 v2 'pos' @40, label 'neg'                   → error
 * p5 v2 'pos' @50, nothing known                 → unlabeled
 * p6 v2 'neg' @60, corrected 'pos' @65 then 'neg' @70 → right (latest correction wins)
 */
async function fillExample(store: FeedbackStore): Promise<void> {
  await store.record({
    id: 'p1',
    time: min(0),
    input: 'i1',
    modelVersion: 'v1',
    prediction: 'pos',
  });
  await store.record({
    id: 'p2',
    time: min(10),
    input: 'i2',
    modelVersion: 'v1',
    prediction: 'neg',
    label: 'neg',
  });
  await store.record({
    id: 'p3',
    time: min(20),
    input: { q: 'i3' },
    modelVersion: 'v1',
    prediction: { a: 1, b: [1, 2] },
  });
  await store.correct('p1', 'neg', { time: min(30), by: 'alice' });
  await store.correct('p3', { b: [1, 2], a: 1 }, { time: min(35) });
  await store.record({
    id: 'p4',
    time: min(40),
    input: 'i4',
    modelVersion: 'v2',
    prediction: 'pos',
    label: 'neg',
  });
  await store.record({
    id: 'p5',
    time: min(50),
    input: 'i5',
    modelVersion: 'v2',
    prediction: 'pos',
  });
  await store.record({
    id: 'p6',
    time: min(60),
    input: 'i6',
    modelVersion: 'v2',
    prediction: 'neg',
  });
  await store.correct('p6', 'pos', { time: min(65) });
  await store.correct('p6', 'neg', { time: min(70), by: 'bob' });
}

describe('feedback store statistics', () => {
  it('counts predictions, labels, corrections and errors as computed by hand', async () => {
    const store = await openStore({ clock: () => min(90) });
    await fillExample(store);
    const stats = await store.stats();
    expect(stats).toEqual({
      predictions: 6,
      labeled: 5,
      corrected: 3,
      errors: 2,
      errorRate: 2 / 5,
      labeledShare: 5 / 6,
      since: null,
      until: null,
      byModelVersion: {
        v1: {
          predictions: 3,
          labeled: 3,
          corrected: 2,
          errors: 1,
          errorRate: 1 / 3,
          labeledShare: 1,
        },
        v2: {
          predictions: 3,
          labeled: 2,
          corrected: 1,
          errors: 1,
          errorRate: 1 / 2,
          labeledShare: 2 / 3,
        },
      },
    });
    const v1 = await store.stats({ modelVersion: 'v1' });
    expect([v1.predictions, v1.labeled, v1.corrected, v1.errors]).toEqual([3, 3, 2, 1]);
    expect(Object.keys(v1.byModelVersion)).toEqual(['v1']);
  });

  it('windows by prediction time and ignores corrections made after `until`', async () => {
    const store = await openStore({ clock: () => min(90) });
    await fillExample(store);
    // Last 45 minutes before 90: p5 (@50) and p6 (@60).
    const last45 = await store.stats({ windowMs: 45 * 60_000 });
    expect(last45).toMatchObject({
      predictions: 2,
      labeled: 1,
      corrected: 1,
      errors: 0,
      errorRate: 0,
    });
    expect(last45.since).toBe('2024-01-01T00:45:00.000Z');
    // At minute 68 p6's latest correction was still 'pos' → an error then.
    const at68 = await store.stats({ until: min(68) });
    expect(at68).toMatchObject({
      predictions: 6,
      labeled: 5,
      corrected: 3,
      errors: 3,
      errorRate: 3 / 5,
    });
    // At minute 32: p1..p3 exist, only p1's correction is made yet.
    const at32 = await store.stats({ until: new Date(min(32)) });
    expect(at32).toMatchObject({ predictions: 3, labeled: 2, corrected: 1, errors: 1 });
    // since is inclusive: p3 (@20) to p6.
    const from20 = await store.stats({ since: '2024-01-01T00:20:00.000Z' });
    expect(from20).toMatchObject({ predictions: 4, labeled: 3, corrected: 2, errors: 1 });
    const empty = await store.stats({ since: min(100), until: min(200) });
    expect(empty).toMatchObject({ predictions: 0, errors: 0, errorRate: null, labeledShare: null });
  });

  it('lists corrections joined with their predictions', async () => {
    const store = await openStore({ clock: () => min(90) });
    await fillExample(store);
    const all = await store.corrections();
    expect(all.map((c) => [c.id, c.correction, c.time])).toEqual([
      ['p1', 'neg', '2024-01-01T00:30:00.000Z'],
      ['p3', { a: 1, b: [1, 2] }, '2024-01-01T00:35:00.000Z'],
      ['p6', 'pos', '2024-01-01T01:05:00.000Z'],
      ['p6', 'neg', '2024-01-01T01:10:00.000Z'],
    ]);
    expect(all[0]).toEqual({
      id: 'p1',
      time: '2024-01-01T00:30:00.000Z',
      correction: 'neg',
      by: 'alice',
      input: 'i1',
      prediction: 'pos',
      modelVersion: 'v1',
      predictionTime: '2024-01-01T00:00:00.000Z',
    });
    expect((await store.corrections({ since: min(60) })).map((c) => c.correction)).toEqual([
      'pos',
      'neg',
    ]);
    expect((await store.corrections({ modelVersion: 'v1' })).map((c) => c.id)).toEqual([
      'p1',
      'p3',
    ]);
  });

  it('exports corrected examples as training records', async () => {
    const store = await openStore({ clock: () => min(90) });
    await fillExample(store);
    expect(await store.exportCorrected()).toEqual([
      { input: 'i1', label: 'neg', predictionId: 'p1', modelVersion: 'v1' },
      { input: { q: 'i3' }, label: { a: 1, b: [1, 2] }, predictionId: 'p3', modelVersion: 'v1' },
      { input: 'i6', label: 'neg', predictionId: 'p6', modelVersion: 'v2' },
    ]);
    const withLabels = await store.exportCorrected({
      includeLabeled: true,
      inputField: 'text',
      labelField: 'target',
    });
    expect(withLabels.map((r) => [r.predictionId, r.text, r.target])).toEqual([
      ['p1', 'i1', 'neg'],
      ['p2', 'i2', 'neg'],
      ['p3', { q: 'i3' }, { a: 1, b: [1, 2] }],
      ['p4', 'i4', 'neg'],
      ['p6', 'i6', 'neg'],
    ]);
    // since applies to the latest correction: only p6 (@70) is corrected after minute 66.
    expect((await store.exportCorrected({ since: min(66) })).map((r) => r.predictionId)).toEqual([
      'p6',
    ]);
    expect(
      (await store.exportCorrected({ modelVersion: 'v2' })).map((r) => r.predictionId),
    ).toEqual(['p6']);
    await expect(store.exportCorrected({ labelField: 'modelVersion' })).rejects.toThrow(
      /must differ/,
    );
  });

  it('keeps everything across a reopen and writes the documented line format', async () => {
    const store = await openStore({ clock: () => min(90) });
    await fillExample(store);
    await store.close();
    const again = await openStore({ clock: () => min(90) });
    expect(again.recovered).toBe(0);
    expect(await again.stats()).toMatchObject({ predictions: 6, labeled: 5, errors: 2 });
    const firstLine = (await readFile(journal, 'utf8')).split('\n')[0];
    expect(`${firstLine}\n`).toBe(
      handLine({
        kind: 'prediction',
        id: 'p1',
        time: '2024-01-01T00:00:00.000Z',
        input: 'i1',
        modelVersion: 'v1',
        prediction: 'pos',
      }),
    );
  });
});

describe('feedback store validation', () => {
  it('rejects a correction of an unknown id, naming it', async () => {
    const store = await openStore();
    await store.record({ id: 'known', input: 'x', modelVersion: 'v1', prediction: 1 });
    const error = await store.correct('missing-42', 2).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe('INVALID_ARGUMENT');
    expect((error as DataError).message).toContain('"missing-42"');
    expect(await lineCount()).toBe(1);
  });

  it('rejects duplicate ids, missing fields, bad times and conflicting windows', async () => {
    const store = await openStore();
    await store.record({ id: 'a', input: 'x', modelVersion: 'v1', prediction: 1 });
    await expect(
      store.record({ id: 'a', input: 'y', modelVersion: 'v1', prediction: 2 }),
    ).rejects.toThrow(/id "a" is already recorded/);
    await expect(
      store.record({ input: 'x', modelVersion: '', prediction: 1 } as never),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'modelVersion' });
    await expect(store.record({ input: 'x', modelVersion: 'v1' } as never)).rejects.toMatchObject({
      field: 'prediction',
    });
    await expect(
      store.record({ input: 'x', modelVersion: 'v1', prediction: 1, time: 'yesterday' }),
    ).rejects.toThrow(/time is not a valid time: yesterday/);
    await expect(store.correct('a', undefined)).rejects.toThrow(/needs the corrected output/);
    await expect(store.stats({ since: 0, windowMs: 10 })).rejects.toThrow(/not both/);
    await expect(store.stats({ windowMs: -1 })).rejects.toThrow(/positive/);
    expect(await lineCount()).toBe(1);
    await store.close();
    await expect(store.stats()).rejects.toThrow(/closed/);
  });

  it('rejects a bad sync mode', async () => {
    await expect(openFeedbackStore({ path: journal, sync: 'never' as never })).rejects.toThrow(
      /unknown sync mode "never"/,
    );
  });
});

describe('feedback journal recovery', () => {
  async function threeRecords(): Promise<number> {
    const store = await openFeedbackStore({ path: journal, clock: () => T0 });
    for (const id of ['a', 'b', 'c']) {
      await store.record({ id, input: id, modelVersion: 'v1', prediction: id.toUpperCase() });
    }
    await store.close();
    return (await stat(journal)).size;
  }

  it('truncates an unterminated final line on open', async () => {
    const size = await threeRecords();
    await appendFile(journal, '{"c":"0123456789abcdef","e":{"id":"d","inp');
    const store = await openStore();
    expect(store.recovered).toBe(1);
    expect(store.recoveredBytes).toBe(42);
    expect((await stat(journal)).size).toBe(size);
    expect((await store.stats()).predictions).toBe(3);
    await store.record({ id: 'd', input: 'd', modelVersion: 'v1', prediction: 'D' });
    await store.close();
    const again = await openStore();
    expect(again.recovered).toBe(0);
    expect((await again.stats()).predictions).toBe(4);
    expect(await lineCount()).toBe(4);
  });

  it('truncates a complete final line whose checksum fails', async () => {
    await threeRecords();
    const text = await readFile(journal, 'utf8');
    const lines = text.split('\n');
    const lastLine = lines[2]!;
    lines[2] = lastLine.replace('"C"', '"Z"');
    expect(lines[2]).not.toBe(lastLine);
    await writeFile(journal, lines.join('\n'));
    const store = await openStore();
    expect(store.recovered).toBe(1);
    expect(store.recoveredBytes).toBe(lastLine.length + 1);
    expect((await store.stats()).predictions).toBe(2);
    expect(await lineCount()).toBe(2);
  });

  it('throws on a corrupt line in the middle, naming file and line, and leaves the file alone', async () => {
    const size = await threeRecords();
    const lines = (await readFile(journal, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('"B"', '"Q"');
    await writeFile(journal, lines.join('\n'));
    const error = await openFeedbackStore({ path: journal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error).toMatchObject({ code: 'CORRUPT_FILE', file: journal, line: 2 });
    expect((error as DataError).message).toContain(`${journal}:2`);
    expect((error as DataError).message).toContain('checksum mismatch');
    expect((await stat(journal)).size).toBe(size);
  });

  it('treats a bad line followed only by a torn tail as corruption too', async () => {
    await threeRecords();
    await appendFile(journal, 'not json at all\n{"c":"01');
    await expect(openFeedbackStore({ path: journal })).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      line: 4,
    });
  });

  it('reads hand-written lines and rejects a checksummed correction of an unknown id', async () => {
    const p = {
      kind: 'prediction',
      id: 'h1',
      time: '2024-01-01T00:00:00.000Z',
      input: 'x',
      modelVersion: 'm',
      prediction: 'a',
    };
    const c = { kind: 'correction', id: 'h1', time: '2024-01-01T00:01:00.000Z', correction: 'b' };
    await writeFile(journal, handLine(p) + handLine(c));
    const store = await openStore({ clock: () => min(5) });
    expect(await store.stats()).toMatchObject({ predictions: 1, corrected: 1, errors: 1 });
    await store.close();
    open.length = 0;
    await appendFile(journal, handLine({ ...c, id: 'ghost' }));
    await expect(openFeedbackStore({ path: journal })).rejects.toMatchObject({
      code: 'CORRUPT_FILE',
      line: 3,
      message: expect.stringContaining('"ghost"'),
    });
  });

  it('cuts a torn tail left while open before its next append', async () => {
    const store = await openStore();
    await store.record({ id: 'a', input: 'a', modelVersion: 'v', prediction: 1 });
    // A writer that crashed mid-line after this store opened.
    await appendFile(journal, '{"c":"deadbeef');
    expect((await store.stats()).predictions).toBe(1);
    expect(store.recovered).toBe(0);
    await store.record({ id: 'b', input: 'b', modelVersion: 'v', prediction: 2 });
    expect(store.recovered).toBe(1);
    await store.close();
    const again = await openStore();
    expect(again.recovered).toBe(0);
    expect((await again.stats()).predictions).toBe(2);
  });
});

describe('feedback store sharing and batching', () => {
  it('lets a store see and correct what another store appended', async () => {
    const a = await openStore({ clock: () => min(10) });
    const b = await openStore({ clock: () => min(10) });
    const id = await a.record({ input: 'hello', modelVersion: 'v1', prediction: 'en' });
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await b.stats()).predictions).toBe(1);
    await b.correct(id, 'sv', { by: 'reviewer' });
    expect(await a.exportCorrected()).toEqual([
      { input: 'hello', label: 'sv', predictionId: id, modelVersion: 'v1' },
    ]);
    expect(await lineCount()).toBe(2);
  });

  it('writes a batch together and still rejects its bad items alone', async () => {
    const store = await openStore({ sync: 'batch', batchWindowMs: 20, clock: () => T0 });
    const results = await Promise.allSettled([
      store.record({ id: 'x1', input: 1, modelVersion: 'v', prediction: 'a' }),
      store.record({ id: 'x2', input: 2, modelVersion: 'v', prediction: 'b' }),
      store.correct('x1', 'b'),
      store.correct('nobody', 'c'),
      store.record({ id: 'x1', input: 3, modelVersion: 'v', prediction: 'c' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
    expect(await lineCount()).toBe(3);
    expect(await store.stats({ until: T0 + 1 })).toMatchObject({
      predictions: 2,
      corrected: 1,
      errors: 1,
    });
  });
});
