import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir, multilingualSentences } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createCsvFormat,
  type DataRecord,
  inferCsvSchema,
  readRecords,
  type Schema,
  writeRecords,
} from '../index.js';
import { catchDataError, collect, openHandlesTo } from '../test-helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-csv-');
});
afterEach(async () => {
  await dir.cleanup();
});

const at = (name: string) => join(dir.path, name);

async function readCsvText(text: string, options: Parameters<typeof readRecords>[1] = {}) {
  const path = at('in.csv');
  await writeFile(path, text);
  return collect(readRecords(path, options));
}

async function csvError(text: string, options: Parameters<typeof readRecords>[1] = {}) {
  const path = at('in.csv');
  await writeFile(path, text);
  const error = await catchDataError(() => collect(readRecords(path, options)));
  expect(error.file).toBe(path);
  return error;
}

describe('CSV reader (RFC 4180)', () => {
  it('reads quoted fields with delimiters, doubled quotes and line breaks', async () => {
    const text =
      'id,text,label\n' +
      '1,"Hello, world",pos\n' +
      '2,"She said ""hi""",neg\n' +
      '3,"two\nlines",pos\n' +
      '4,,""\n' +
      '5,"a,""b""\r\nc",neg\n';
    expect(await readCsvText(text)).toEqual([
      { id: '1', text: 'Hello, world', label: 'pos' },
      { id: '2', text: 'She said "hi"', label: 'neg' },
      { id: '3', text: 'two\nlines', label: 'pos' },
      { id: '4', text: '', label: '' },
      { id: '5', text: 'a,"b"\r\nc', label: 'neg' },
    ]);
  });

  it('handles CRLF, a BOM, a missing final newline and a trailing empty field', async () => {
    expect(await readCsvText('\uFEFFa,b\r\n1,2\r\n"x",\r\n3,')).toEqual([
      { a: '1', b: '2' },
      { a: 'x', b: '' },
      { a: '3', b: '' },
    ]);
  });

  it("reads other delimiters: ';' and tab", async () => {
    expect(await readCsvText('a;b\n"1;2";3\n', { delimiter: ';' })).toEqual([{ a: '1;2', b: '3' }]);
    expect(await readCsvText('a\tb\n"x\ty"\tz\n', { delimiter: '\t' })).toEqual([
      { a: 'x\ty', b: 'z' },
    ]);
    const semicolon = createCsvFormat({ delimiter: ';' });
    await writeFile(at('s.csv'), 'a;b\n1;2\n');
    expect(await collect(semicolon.read(at('s.csv')))).toEqual([{ a: '1', b: '2' }]);
  });

  it('skips blank lines but counts them in line numbers', async () => {
    const error = await csvError('a,b\n\n1,2\r\n\r\n"multi\nline",3\n\n4,5,6\n');
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.line).toBe(8);
    expect(error.problem).toContain('expected 2 fields (a, b), got 3');
  });

  it('reports a wrong field count at the line the record starts on', async () => {
    const error = await csvError('id,text,label\n1,"a\nb",x\n2,c,d,e\n');
    expect(error.line).toBe(4);
    expect(error.problem).toContain('expected 3 fields (id, text, label), got 4');
    expect(error.message).toContain(`${at('in.csv')}:4:`);
    const spanning = await csvError('id,text,label\n1,"a\nb\nc"\n');
    expect(spanning.line).toBe(2);
    expect(spanning.problem).toContain('got 2');
  });

  it('reports an unterminated quote at the end of the file', async () => {
    const error = await csvError('a,b\n1,2\n3,"never closed\nmore\n');
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.line).toBe(3);
    expect(error.problem).toContain('unterminated quote');
  });

  it('fails early on an unterminated quote in a large file, naming where it opened', async () => {
    const path = at('open.csv');
    await writeFile(path, `a,b\n1,2\n3,"${'x\n'.repeat(3000)}`);
    const format = createCsvFormat({ highWaterMark: 256, maxRowBytes: 1000 });
    const error = await catchDataError(() => collect(format.read(path)));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.line).toBe(3);
    expect(error.problem).toContain(
      'the quoted field opened on line 3 is still open after 1000 bytes',
    );
  });

  it('reports a stray quote inside an unquoted field', async () => {
    const error = await csvError('a,b\n1,2\n3,ab"c\n');
    expect(error.line).toBe(3);
    expect(error.problem).toContain('stray quote in unquoted field 2');
  });

  it('reports text after a closing quote', async () => {
    const error = await csvError('a,b\n"x"y,2\n');
    expect(error.line).toBe(2);
    expect(error.problem).toContain('after the closing quote of field 1');
  });

  it('rejects duplicate and empty header names', async () => {
    const duplicate = await csvError('id,text,id\n1,2,3\n');
    expect(duplicate.line).toBe(1);
    expect(duplicate.field).toBe('id');
    expect(duplicate.problem).toContain('duplicate header name "id" (columns 1 and 3)');
    const empty = await csvError('\n\nid,,label\n');
    expect(empty.line).toBe(3);
    expect(empty.problem).toContain('column 2 has an empty header name');
  });

  it('skips malformed rows with onError "skip" and keeps parsing after them', async () => {
    const path = at('skip.csv');
    await writeFile(path, 'a,b\n1,2\n3,x"y\n4,5,6\n"q"z,7\n8,"9\n9"\n');
    const stream = readRecords(path, { onError: 'skip' });
    expect(await collect(stream)).toEqual([
      { a: '1', b: '2' },
      { a: '8', b: '9\n9' },
    ]);
    expect(stream.stats.skipped).toBe(3);
    expect(stream.stats.skippedErrors.map((e) => e.line)).toEqual([3, 4, 5]);
  });

  it('uses columns when there is no header, and requires names then', async () => {
    expect(await readCsvText('1,x\n2,y\n', { header: false, columns: ['id', 'text'] })).toEqual([
      { id: '1', text: 'x' },
      { id: '2', text: 'y' },
    ]);
    // With a header row, columns rename it.
    expect(await readCsvText('a,b\n1,x\n', { columns: ['id', 'text'] })).toEqual([
      { id: '1', text: 'x' },
    ]);
    const error = await csvError('1,x\n', { header: false });
    expect(error.code).toBe('INVALID_ARGUMENT');
  });

  it('converts values with a schema: empty → null for non-strings, mismatches name field and line', async () => {
    const schema: Schema = {
      fields: [
        { name: 'id', type: 'integer' },
        { name: 'score', type: 'float' },
        { name: 'ok', type: 'boolean' },
        { name: 'text', type: 'string' },
      ],
    };
    expect(await readCsvText('id,score,ok,text\n1,0.5,true,\n2,,FALSE,hi\n', { schema })).toEqual([
      { id: 1, score: 0.5, ok: true, text: '' },
      { id: 2, score: null, ok: false, text: 'hi' },
    ]);
    const error = await csvError(
      'id,score,ok,text\n1,0.5,true,a\n2,0.1,true,"multi\nline"\n3,x,true,c\n',
      {
        schema,
      },
    );
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.line).toBe(5);
    expect(error.field).toBe('score');
  });

  it('parses the same rows whatever the chunk size (multi-byte text, CRLF, quotes)', async () => {
    const path = at('chunks.csv');
    const [am0, am1] = multilingualSentences.amharic;
    const [sv0] = multilingualSentences.swedish;
    const text = `\uFEFFid,text\r\n1,"${am0}"\r\n2,${sv0}\r\n\r\n3,"${am1}\r\n""quoted"""\r\n4,😀\n${sv0},\nå,"x""y"\n`;
    await writeFile(path, text);
    const expected = [
      { id: '1', text: am0 },
      { id: '2', text: sv0 },
      { id: '3', text: `${am1}\r\n"quoted"` },
      { id: '4', text: '😀' },
      { id: sv0, text: '' },
      { id: 'å', text: 'x"y' },
    ];
    for (const highWaterMark of [1, 2, 3, 5, 7, 1024]) {
      expect(await collect(createCsvFormat({ highWaterMark }).read(path))).toEqual(expected);
    }
  });

  it('closes the file when the consumer stops early', async () => {
    const path = at('big.csv');
    await writeFile(
      path,
      `id,text\n${Array.from({ length: 2000 }, (_, i) => `${i},row ${i}`).join('\n')}\n`,
    );
    const real = await realpath(path);
    let openWhileReading = -1;
    for await (const record of createCsvFormat({ highWaterMark: 512 }).read(path)) {
      openWhileReading = openHandlesTo(real);
      if (record.id === '2') break;
    }
    expect(openWhileReading).toBe(1);
    expect(openHandlesTo(real)).toBe(0);
  });

  it('rejects a delimiter that cannot work', () => {
    expect(() => createCsvFormat({ delimiter: '"' })).toThrow(
      /delimiter must be one ASCII character/,
    );
    expect(() => createCsvFormat({ delimiter: ';;' })).toThrow(/delimiter/);
  });
});

describe('inferCsvSchema', () => {
  it('infers integer, float, boolean and string columns from all values', () => {
    const rows = [
      { i: '1', f: '1', b: 'true', s: 'x', z: '007', e: '', n: '-3' },
      { i: '-20', f: '2.5', b: 'FALSE', s: '1', z: '12', e: '', n: '' },
      { i: '+3', f: '1e3', b: 'false', s: 'true', z: '3', e: '', n: '4' },
    ];
    expect(inferCsvSchema(rows)).toEqual({
      fields: [
        { name: 'i', type: 'integer', nullable: false },
        { name: 'f', type: 'float', nullable: false },
        { name: 'b', type: 'boolean', nullable: false },
        { name: 's', type: 'string', nullable: false },
        { name: 'z', type: 'string', nullable: false },
        { name: 'e', type: 'string', nullable: true },
        { name: 'n', type: 'integer', nullable: true },
      ],
    });
  });
});

describe('CSV writer', () => {
  it('quotes what needs quoting and JSON-encodes nested values', async () => {
    const path = at('out.csv');
    const records: DataRecord[] = [
      {
        id: 1,
        text: 'Hello, "world"',
        meta: { tags: ['a'] },
        when: new Date('2024-01-02T03:04:05.000Z'),
      },
      { id: 2n, text: 'two\nlines', meta: null, when: undefined },
    ];
    const result = await writeRecords(path, records);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(
      'id,text,meta,when\n' +
        '1,"Hello, ""world""","{""tags"":[""a""]}",2024-01-02T03:04:05.000Z\n' +
        '2,"two\nlines",,\n',
    );
    expect(result).toEqual({ path, records: 2, bytes: Buffer.byteLength(text) });
    expect(await collect(readRecords(path))).toEqual([
      { id: '1', text: 'Hello, "world"', meta: '{"tags":["a"]}', when: '2024-01-02T03:04:05.000Z' },
      { id: '2', text: 'two\nlines', meta: '', when: '' },
    ]);
  });

  it('round-trips multilingual text and a single column of empty values', async () => {
    const path = at('multi.tsv');
    const records: DataRecord[] = Object.values(multilingualSentences)
      .flat()
      .map((text) => ({ text }));
    records.push({ text: '' });
    await writeRecords(path, records);
    expect(await collect(readRecords(path))).toEqual(records);
  });

  it('writes the header from a schema and converts values to it', async () => {
    const path = at('schema.csv');
    const schema: Schema = {
      fields: [
        { name: 'label', type: 'integer' },
        { name: 'text', type: 'string' },
      ],
    };
    await writeRecords(path, [{ text: 'a', label: '1' }, { text: 'b' }], {
      schema,
      delimiter: ';',
    });
    expect(await readFile(path, 'utf8')).toBe('label;text\n1;a\n;b\n');
  });

  it('rejects a later record with a key that is not a column, naming the record number', async () => {
    const path = at('keys.csv');
    const error = await catchDataError(() =>
      writeRecords(path, [{ a: 1 }, { a: 2 }, { a: 3, extra: true }]),
    );
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.line).toBe(3);
    expect(error.field).toBe('extra');
    expect(error.problem).toContain('record 3 has field "extra"');
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });
});
