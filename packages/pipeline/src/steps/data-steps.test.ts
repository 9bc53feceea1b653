import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cleanStep,
  createStepTestContext,
  dedupStep,
  ingestStep,
  labelStep,
  PipelineError,
  type StepOutput,
  splitStep,
} from '../index.js';
import { reviewRecords, writeJsonlFile } from './test-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-steps-'));
});
afterEach(() => cleanup());

async function readLines(path: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** A previous step's output holding `records` as its records.jsonl. */
async function recordsInput(
  id: string,
  records: readonly object[],
): Promise<Record<string, StepOutput>> {
  await writeJsonlFile(join(dir, `${id}.jsonl`), records);
  return { [id]: { files: { records: `${id}.jsonl` }, values: {} } };
}

async function expectConfigError(promise: Promise<unknown>, field: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineError);
  expect((error as PipelineError).code).toBe('INVALID_CONFIG');
  expect((error as PipelineError).field).toBe(field);
}

describe('ingest', () => {
  it('reads JSONL and CSV files, skipping malformed lines, and fingerprints records.jsonl', async () => {
    const records = reviewRecords(5);
    const lines = records.map((r) => JSON.stringify(r));
    lines.splice(3, 0, '{"id": 99, "text": broken');
    await writeFile(join(dir, 'a.jsonl'), `${lines.join('\n')}\n`);
    await writeFile(join(dir, 'b.csv'), 'id,text,label\n100,"hello, world",pos\n101,bye,neg\n');
    const t = await createStepTestContext(ingestStep, {
      runDir: dir,
      params: { path: ['a.jsonl', 'b.csv'], onError: 'skip' },
    });
    const out = await t.run();
    expect(out.files.records).toBe('steps/ingest/records.jsonl');
    expect(out.values.records).toBe(12);
    expect(out.values.skipped).toBe(1);
    expect(out.values.skippedErrors).toHaveLength(1);
    expect(String((out.values.skippedErrors as string[])[0])).toContain(':4');
    const written = await readLines(join(dir, out.files.records as string));
    expect(written).toHaveLength(12);
    expect(written[0]).toEqual(records[0]);
    // Without a schema, CSV values stay strings.
    expect(written[10]).toEqual({ id: '100', text: 'hello, world', label: 'pos' });
    const bytes = await readFile(join(dir, out.files.records as string));
    expect(out.values.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(t.events).toEqual([
      { type: 'progress', done: 1, total: 2, label: 'files' },
      { type: 'progress', done: 2, total: 2, label: 'files' },
    ]);
    expect(t.logs.some((l) => l.level === 'warn' && l.message.includes('a.jsonl'))).toBe(true);
  });

  it('converts CSV values with an explicit schema and skips rows that do not fit it', async () => {
    await writeFile(join(dir, 'c.csv'), 'id,text,score\n1,good,0.5\n2,bad,oops\n3,fine,2\n');
    const t = await createStepTestContext(ingestStep, {
      runDir: dir,
      params: {
        path: 'c.csv',
        onError: 'skip',
        schema: {
          fields: [
            { name: 'id', type: 'integer' },
            { name: 'text', type: 'string' },
            { name: 'score', type: 'float' },
          ],
        },
      },
    });
    const out = await t.run();
    expect(out.values).toMatchObject({ records: 2, skipped: 1 });
    expect(await readLines(join(dir, out.files.records as string))).toEqual([
      { id: 1, text: 'good', score: 0.5 },
      { id: 3, text: 'fine', score: 2 },
    ]);
    await expectConfigError(
      createStepTestContext(ingestStep, {
        params: { path: 'c.csv', schema: { fields: [{ name: 'id', type: 'int' }] } },
      }),
      'params.schema.fields.0.type',
    );
  });

  it('fails on a malformed line with onError "fail", naming the line', async () => {
    await writeFile(join(dir, 'a.jsonl'), '{"text":"ok"}\n{"text": nope}\n');
    const t = await createStepTestContext(ingestStep, { runDir: dir, params: { path: 'a.jsonl' } });
    await expect(t.run()).rejects.toThrow(/a\.jsonl:2/);
  });

  it('rejects a missing file, an empty file and bad params with INVALID_CONFIG', async () => {
    const missing = await createStepTestContext(ingestStep, {
      runDir: dir,
      params: { path: 'nope.jsonl' },
    });
    await expectConfigError(missing.run(), 'params.path');
    await writeFile(join(dir, 'empty.jsonl'), '');
    const empty = await createStepTestContext(ingestStep, {
      runDir: dir,
      params: { path: 'empty.jsonl' },
    });
    await expectConfigError(empty.run(), 'params.path');
    await expectConfigError(
      createStepTestContext(ingestStep, { params: { path: 'a.jsonl', onError: 'ignore' } }),
      'params.onError',
    );
    await expectConfigError(createStepTestContext(ingestStep, { params: {} }), 'params.path');
    await expectConfigError(
      createStepTestContext(ingestStep, { params: { path: 'a.jsonl', colour: 1 } }),
      'params.colour',
    );
  });
});

describe('clean', () => {
  it('scrubs PII, normalises and drops records failing quality checks', async () => {
    const inputs = await recordsInput('raw', [
      { text: 'Mail me at jane.doe@example.com   about it', label: 'pos' },
      { text: 'ok', label: 'neg' },
      { text: 'Ｆｕｌｌ width text here', label: 'pos' },
      { text: 'a perfectly normal sentence', label: 'neg' },
    ]);
    const t = await createStepTestContext(cleanStep, {
      runDir: dir,
      inputs,
      params: { fields: ['text'], quality: { minWords: 3 } },
    });
    const out = await t.run();
    expect(out.values).toMatchObject({
      recordsIn: 4,
      recordsOut: 3,
      dropped: { 'too-few-words': 1 },
      fieldsChanged: 2,
    });
    expect((out.values.pii as Record<string, number>).email).toBe(1);
    const written = await readLines(join(dir, out.files.records as string));
    expect(written.map((r) => r.text)).toEqual([
      'Mail me at [EMAIL] about it',
      'Full width text here',
      'a perfectly normal sentence',
    ]);
  });

  it('fails when every record is dropped, and without a records input', async () => {
    const inputs = await recordsInput('raw', [{ text: 'ok' }]);
    const t = await createStepTestContext(cleanStep, {
      runDir: dir,
      inputs,
      params: { quality: { minWords: 3 } },
    });
    await expectConfigError(t.run(), 'params.quality');
    const none = await createStepTestContext(cleanStep, { runDir: dir, params: {} });
    await expectConfigError(none.run(), 'needs');
    const wrongFrom = await createStepTestContext(cleanStep, {
      runDir: dir,
      inputs,
      params: { from: 'x' },
    });
    await expectConfigError(wrongFrom.run(), 'params.from');
    await expectConfigError(
      createStepTestContext(cleanStep, { params: { pii: { types: ['ssn'] } } }),
      'params.pii.types.0',
    );
  });
});

describe('dedup', () => {
  it('removes exact (after normalisation) and near duplicates', async () => {
    const long =
      'the quick brown fox jumps over the lazy dog near the river bank every single morning';
    const inputs = await recordsInput('raw', [
      { text: 'Hello World' },
      { text: long },
      { text: 'hello   world' },
      { text: `${long}s` },
      { text: 'something else entirely' },
    ]);
    const t = await createStepTestContext(dedupStep, { runDir: dir, inputs, params: {} });
    const out = await t.run();
    expect(out.values).toEqual({ input: 5, kept: 3, removedExact: 1, removedNear: 1 });
    const kept = await readLines(join(dir, out.files.records as string));
    expect(kept.map((r) => r.text)).toEqual(['Hello World', long, 'something else entirely']);
    const removed = await readLines(join(dir, out.files.removed as string));
    expect(removed.map((r) => [r.index, r.duplicateOf, r.reason])).toEqual([
      [2, 0, 'exact'],
      [3, 1, 'near'],
    ]);
    expect(removed[1]?.similarity as number).toBeGreaterThanOrEqual(0.8);
  });

  it('keeps near duplicates with near: false and rejects bad params', async () => {
    const inputs = await recordsInput('raw', [{ text: 'abcdefghij' }, { text: 'abcdefghik' }]);
    const t = await createStepTestContext(dedupStep, {
      runDir: dir,
      inputs,
      params: { near: false },
    });
    expect((await t.run()).values.kept).toBe(2);
    const wrongKey = await createStepTestContext(dedupStep, {
      runDir: dir,
      inputs,
      params: { key: 'body' },
    });
    await expectConfigError(wrongKey.run(), 'params.key');
    await expectConfigError(
      createStepTestContext(dedupStep, { params: { near: { threshold: 1.5 } } }),
      'params.near.threshold',
    );
    await expectConfigError(
      createStepTestContext(dedupStep, { params: { exact: false, near: false } }),
      'params.exact',
    );
  });
});

describe('split', () => {
  it('writes stratified splits with exact sizes and per-split label counts', async () => {
    const records = reviewRecords(20);
    const inputs = await recordsInput('clean', records);
    const params = {
      ratios: { train: 0.5, validation: 0.25, test: 0.25 },
      stratifyBy: 'label',
      seed: 7,
    };
    const t = await createStepTestContext(splitStep, { runDir: dir, inputs, params });
    const out = await t.run();
    expect(out.values).toEqual({
      total: 40,
      sizes: { train: 20, validation: 10, test: 10 },
      labelDistribution: {
        train: { neg: 10, pos: 10 },
        validation: { neg: 5, pos: 5 },
        test: { neg: 5, pos: 5 },
      },
    });
    const ids: number[] = [];
    for (const name of ['train', 'validation', 'test']) {
      expect(out.files[name]).toBe(`steps/split/${name}.jsonl`);
      ids.push(
        ...(await readLines(join(dir, out.files[name] as string))).map((r) => r.id as number),
      );
    }
    expect(ids.sort((a, b) => a - b)).toEqual(records.map((r) => r.id));
    // The same seed gives the same split.
    const again = await createStepTestContext(splitStep, {
      inputs,
      params,
      runDir: dir,
      stepId: 'again',
    });
    const out2 = await again.run();
    expect(await readFile(join(dir, out2.files.test as string), 'utf8')).toBe(
      await readFile(join(dir, out.files.test as string), 'utf8'),
    );
  });

  it('keeps each group in one split', async () => {
    const inputs = await recordsInput('clean', reviewRecords(20));
    const t = await createStepTestContext(splitStep, {
      runDir: dir,
      inputs,
      params: { ratios: { train: 0.75, test: 0.25 }, groupBy: 'user' },
    });
    const out = await t.run();
    const train = await readLines(join(dir, out.files.train as string));
    const test = await readLines(join(dir, out.files.test as string));
    expect(train.length + test.length).toBe(40);
    const trainUsers = new Set(train.map((r) => r.user));
    expect(test.some((r) => trainUsers.has(r.user))).toBe(false);
    expect(test.length).toBeGreaterThan(0);
  });

  it('rejects ratios that do not sum to 1 and hash splits without a key', async () => {
    await expectConfigError(
      createStepTestContext(splitStep, { params: { ratios: { train: 0.5, test: 0.4 } } }),
      'params.ratios',
    );
    await expectConfigError(
      createStepTestContext(splitStep, { params: { method: 'hash' } }),
      'params.hashKey',
    );
  });
});

describe('label', () => {
  const functions = [
    { type: 'keyword', name: 'good', label: 'pos', keywords: ['great', 'excellent', 'loved'] },
    { type: 'keyword', name: 'bad', label: 'neg', keywords: ['terrible', 'awful', 'hated'] },
    { type: 'regex', name: 'refund', label: 'neg', pattern: 'refund\\b' },
  ];
  const texts = [
    { text: 'a great film, loved it' },
    { text: 'awful, I want a REFUND' },
    { text: 'nothing to say' },
    { text: 'great but then terrible' },
    { text: 'excellent', label: 'neg' },
  ];

  it('labels by majority vote, keeps existing labels and drops records without votes', async () => {
    const inputs = await recordsInput('raw', texts);
    const t = await createStepTestContext(labelStep, {
      runDir: dir,
      inputs,
      params: { functions, model: 'majority', confidenceField: 'confidence' },
    });
    const out = await t.run();
    const written = await readLines(join(dir, out.files.records as string));
    // Record 4 has one vote each way: a tie, so majority vote abstains and it is dropped.
    expect(written).toEqual([
      { text: 'a great film, loved it', label: 'pos', confidence: 1 },
      { text: 'awful, I want a REFUND', label: 'neg', confidence: 1 },
      { text: 'excellent', label: 'neg' },
    ]);
    expect(out.values).toMatchObject({
      records: 3,
      labelled: 2,
      unlabelled: 2,
      keptExisting: 1,
      coverage: 0.8,
      conflict: 0.2,
      labelDistribution: { neg: 2, pos: 1 },
    });
    const good = (
      out.values.functions as { name: string; coverage: number; empiricalAccuracy: number }[]
    )[0];
    // "good" votes on records 1, 4 and 5; only record 5 has a gold label, and it disagrees.
    expect(good).toMatchObject({ name: 'good', coverage: 0.6, empiricalAccuracy: 0 });
  });

  it('labels with the Dawid–Skene model and agrees with the keywords on clean data', async () => {
    const records = reviewRecords(10).map(({ text }) => ({ text }));
    const inputs = await recordsInput('raw', records);
    const t = await createStepTestContext(labelStep, {
      runDir: dir,
      inputs,
      params: {
        functions: [
          {
            type: 'lexicon',
            name: 'adjectives',
            keywords: { pos: ['great', 'excellent'], neg: ['terrible', 'awful'] },
          },
          { type: 'lexicon', name: 'feelings', keywords: { pos: ['loved'], neg: ['hated'] } },
          { type: 'regex', name: 'nice', label: 'pos', pattern: '(wonderful|fantastic)' },
        ],
        model: 'dawid-skene',
        keepUnlabeled: true,
      },
    });
    const out = await t.run();
    const written = await readLines(join(dir, out.files.records as string));
    expect(written.map((r) => r.label)).toEqual(reviewRecords(10).map((r) => r.label));
    expect(out.values.labelDistribution).toEqual({ neg: 10, pos: 10 });
    expect(out.values.coverage).toBe(1);
  });

  it('rejects invalid patterns, duplicate names and labels outside the label set', async () => {
    const bad = (fns: unknown[], extra: object = {}) =>
      createStepTestContext(labelStep, { params: { functions: fns, ...extra } });
    await expectConfigError(
      bad([functions[0], { type: 'regex', name: 'x', label: 'neg', pattern: '(' }]),
      'params.functions.1.pattern',
    );
    await expectConfigError(bad([functions[0], functions[0]]), 'params.functions.1.name');
    await expectConfigError(bad([functions[0]], { labels: ['neg'] }), 'params.functions.0.label');
    await expectConfigError(bad([]), 'params.functions');
    await expectConfigError(bad([functions[0]], { model: 'dawid-skene' }), 'params.model');
    await expectConfigError(
      bad([{ type: 'lookup', name: 'x', label: 'a' }]),
      'params.functions.0.type',
    );
  });
});
