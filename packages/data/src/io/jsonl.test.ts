import { readdir, readFile, realpath, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, multilingualSentences } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createJsonlFormat,
  type DataError,
  type DataRecord,
  readRecords,
  writeRecords,
} from '../index.js';
import { catchDataError, collect, openHandlesTo } from '../test-helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-jsonl-');
});
afterEach(async () => {
  await dir.cleanup();
});

const at = (name: string) => join(dir.path, name);

describe('JSONL reader', () => {
  it('reads one object per line, with or without a final newline', async () => {
    await writeFile(at('a.jsonl'), '{"id":1,"text":"a"}\n{"id":2,"text":"b","tags":["x"]}');
    const stream = readRecords(at('a.jsonl'));
    expect(await collect(stream)).toEqual([
      { id: 1, text: 'a' },
      { id: 2, text: 'b', tags: ['x'] },
    ]);
    expect(stream.stats).toEqual({ records: 2, skipped: 0, skippedErrors: [] });
  });

  it('names the file and exact line of a malformed line, after yielding the lines before it', async () => {
    const path = at('bad.jsonl');
    await writeFile(path, '{"id":1}\n{"id":2}\n{"id":3,}\n{"id":4}\n');
    const seen: DataRecord[] = [];
    const error = await catchDataError(async () => {
      for await (const record of readRecords(path)) seen.push(record);
    });
    expect(seen).toEqual([{ id: 1 }, { id: 2 }]);
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.file).toBe(path);
    expect(error.line).toBe(3);
    expect(error.message).toContain(`${path}:3: invalid JSON`);
  });

  it('rejects lines that are JSON but not objects', async () => {
    await writeFile(at('arr.jsonl'), '{"a":1}\n[1,2]\n');
    const error = await catchDataError(() => collect(readRecords(at('arr.jsonl'))));
    expect(error.line).toBe(2);
    expect(error.problem).toContain('expected an object, got an array');
    await writeFile(at('num.jsonl'), '42\n');
    expect((await catchDataError(() => collect(readRecords(at('num.jsonl'))))).problem).toContain(
      'got a number',
    );
  });

  it('skips bad lines with onError "skip", counting them and calling onSkip', async () => {
    const path = at('skip.jsonl');
    await writeFile(path, '{"id":1}\n{"id":2}\nnot json\n{"id":4}\n\n["array"]\n{"id":7}\n');
    const skipped: number[] = [];
    const stream = readRecords(path, {
      onError: 'skip',
      onSkip: (error) => skipped.push(error.line ?? -1),
    });
    expect(await collect(stream)).toEqual([{ id: 1 }, { id: 2 }, { id: 4 }, { id: 7 }]);
    expect(stream.stats.records).toBe(4);
    expect(stream.stats.skipped).toBe(2);
    expect(stream.stats.skippedErrors.map((e: DataError) => [e.code, e.line])).toEqual([
      ['PARSE_ERROR', 3],
      ['PARSE_ERROR', 6],
    ]);
    expect(skipped).toEqual([3, 6]);
  });

  it('keeps only the first 100 skipped errors but counts all of them', async () => {
    const path = at('many.jsonl');
    await writeFile(path, `${'x\n'.repeat(150)}{"ok":true}\n`);
    const stream = readRecords(path, { onError: 'skip' });
    expect(await collect(stream)).toEqual([{ ok: true }]);
    expect(stream.stats.skipped).toBe(150);
    expect(stream.stats.skippedErrors).toHaveLength(100);
    expect(stream.stats.skippedErrors[99]?.line).toBe(100);
  });

  it('skips blank lines and handles CRLF and a BOM while keeping line numbers right', async () => {
    const path = at('crlf.jsonl');
    await writeFile(path, '\uFEFF{"id":1}\r\n\r\n   \r\n{"id":2}\r\n\n{"id":3\r\n');
    const seen: DataRecord[] = [];
    const error = await catchDataError(async () => {
      for await (const record of readRecords(path)) seen.push(record);
    });
    expect(seen).toEqual([{ id: 1 }, { id: 2 }]);
    expect(error.line).toBe(6);
  });

  it('decodes multi-byte characters split across chunk boundaries', async () => {
    const path = at('split.jsonl');
    const records = [
      ...multilingualSentences.amharic.map((text, i) => ({ i, text })),
      ...multilingualSentences.swedish.map((text, i) => ({ i, text })),
      { i: 9, text: '😀 emoji and ሰላም' },
    ];
    await writeFile(path, `\uFEFF${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
    // Chunks of 1 to 7 bytes cut every 3- and 4-byte character somewhere.
    for (const highWaterMark of [1, 2, 3, 4, 5, 7, 64]) {
      const format = createJsonlFormat({ highWaterMark });
      expect(await collect(format.read(path))).toEqual(records);
    }
  });

  it('checks records against a schema, naming the field and line of a mismatch', async () => {
    const path = at('schema.jsonl');
    await writeFile(
      path,
      '{"text":"a","label":1}\n{"text":"b","label":"2"}\n{"text":"c","label":"x"}\n',
    );
    const schema = {
      fields: [
        { name: 'text', type: 'string' as const },
        { name: 'label', type: 'integer' as const },
      ],
    };
    const error = await catchDataError(() => collect(readRecords(path, { schema })));
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.line).toBe(3);
    expect(error.field).toBe('label');
    const stream = readRecords(path, { schema, onError: 'skip' });
    expect(await collect(stream)).toEqual([
      { text: 'a', label: 1 },
      { text: 'b', label: 2 },
    ]);
    expect(stream.stats.skippedErrors.map((e) => [e.code, e.line, e.field])).toEqual([
      ['SCHEMA_MISMATCH', 3, 'label'],
    ]);
  });

  it('fails early on a line longer than maxLineBytes (e.g. a pretty-printed JSON file)', async () => {
    const path = at('long.jsonl');
    await writeFile(path, `{"a":1}\n{"text":"${'x'.repeat(5000)}"}\n`);
    const format = createJsonlFormat({ highWaterMark: 256, maxLineBytes: 1000 });
    const error = await catchDataError(() => collect(format.read(path)));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.line).toBe(2);
    expect(error.problem).toContain('longer than 1000 bytes');
  });

  it('reports a missing file as IO_ERROR naming the path', async () => {
    const path = at('missing.jsonl');
    const error = await catchDataError(() => collect(readRecords(path)));
    expect(error.code).toBe('IO_ERROR');
    expect(error.file).toBe(path);
    expect(error.message).toContain('file not found');
  });

  it('closes the file when the consumer stops early', async () => {
    const path = at('big.jsonl');
    const lines = Array.from({ length: 2000 }, (_, i) =>
      JSON.stringify({ i, text: 'x'.repeat(40) }),
    );
    await writeFile(path, `${lines.join('\n')}\n`);
    const real = await realpath(path);
    // Small chunks, so the file is far from fully read when we stop.
    const format = createJsonlFormat({ highWaterMark: 1024 });
    let openWhileReading = -1;
    const seen: unknown[] = [];
    for await (const record of format.read(path)) {
      seen.push(record.i);
      openWhileReading = openHandlesTo(real);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    expect(openWhileReading).toBe(1);
    expect(openHandlesTo(real)).toBe(0);
  });

  it('stops with the abort reason when the signal aborts, and closes the file', async () => {
    const path = at('abort.jsonl');
    await writeFile(path, `${Array.from({ length: 1000 }, (_, i) => `{"i":${i}}`).join('\n')}\n`);
    const real = await realpath(path);
    const controller = new AbortController();
    const seen: unknown[] = [];
    const reason = new Error('stop');
    await expect(async () => {
      for await (const record of createJsonlFormat({ highWaterMark: 256 }).read(path, {
        signal: controller.signal,
      })) {
        seen.push(record.i);
        if (seen.length === 2) controller.abort(reason);
      }
    }).rejects.toBe(reason);
    expect(seen).toEqual([0, 1]);
    expect(openHandlesTo(real)).toBe(0);
  });

  it('rejects an unknown onError value', async () => {
    await writeFile(at('x.jsonl'), '{}\n');
    const error = await catchDataError(() =>
      collect(readRecords(at('x.jsonl'), { onError: 'ignore' as 'skip' })),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
  });
});

describe('JSONL writer', () => {
  it('round-trips records, with Dates as ISO strings and BigInts as numbers or strings', async () => {
    const path = at('out.jsonl');
    const records = [
      { id: 1, text: 'plain', nested: { a: [1, 2, { b: null }] } },
      { id: 2, at: new Date('2024-05-06T07:08:09.010Z'), small: 5n, big: 2n ** 70n },
    ];
    const result = await writeRecords(path, records);
    expect(result).toEqual({ path, records: 2, bytes: (await stat(path)).size });
    const text = await readFile(path, 'utf8');
    expect(text).toBe(
      '{"id":1,"text":"plain","nested":{"a":[1,2,{"b":null}]}}\n' +
        '{"id":2,"at":"2024-05-06T07:08:09.010Z","small":5,"big":"1180591620717411303424"}\n',
    );
    expect(await collect(readRecords(path))).toEqual([
      records[0],
      { id: 2, at: '2024-05-06T07:08:09.010Z', small: 5, big: '1180591620717411303424' },
    ]);
  });

  it('round-trips Amharic, Swedish and English text byte for byte', async () => {
    const path = at('multi.jsonl');
    const records = Object.entries(multilingualSentences).flatMap(([lang, texts]) =>
      texts.map((text) => ({ lang, text })),
    );
    async function* source() {
      yield* records;
    }
    const result = await writeRecords(path, source());
    expect(result.records).toBe(9);
    expect(result.bytes).toBe(
      Buffer.byteLength(records.map((r) => `${JSON.stringify(r)}\n`).join('')),
    );
    expect(await collect(readRecords(path))).toEqual(records);
  });

  it('leaves an existing file untouched and no temporary file behind when writing fails', async () => {
    const path = at('keep.jsonl');
    await writeFile(path, '{"old":true}\n');
    async function* failing() {
      yield { id: 1 };
      throw new Error('source broke');
    }
    await expect(writeRecords(path, failing())).rejects.toThrow('source broke');
    expect(await readFile(path, 'utf8')).toBe('{"old":true}\n');
    expect(await readdir(dir.path)).toEqual(['keep.jsonl']);
  });

  it('rejects records that are not objects, naming the record number', async () => {
    const error = await catchDataError(() =>
      writeRecords(at('bad.jsonl'), [{ a: 1 }, [1, 2] as unknown as DataRecord]),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.line).toBe(2);
    expect(error.problem).toContain('record 2 is an array');
  });

  it('reports a missing folder as IO_ERROR naming the path', async () => {
    const path = join(dir.path, 'no', 'such', 'out.jsonl');
    const error = await catchDataError(() => writeRecords(path, [{ a: 1 }]));
    expect(error.code).toBe('IO_ERROR');
    expect(error.file).toBe(path);
  });
});
