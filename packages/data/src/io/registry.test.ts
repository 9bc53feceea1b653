import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  detectFormat,
  type FileFormatName,
  fileFormats,
  getFileFormat,
  readDataset,
  readRecords,
  writeDataset,
  writeRecords,
} from '../index.js';
import { catchDataError, collect } from '../test-helpers.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-io-');
});
afterEach(async () => {
  await dir.cleanup();
});

const at = (name: string) => join(dir.path, name);

describe('format registry', () => {
  it('detects the format from the extension, case-insensitively', () => {
    const cases: Array<[string, FileFormatName]> = [
      ['a.jsonl', 'jsonl'],
      ['dir.v2/a.NDJSON', 'jsonl'],
      ['a.csv', 'csv'],
      ['a.tsv', 'csv'],
      ['a.parquet', 'parquet'],
      ['a.pq', 'parquet'],
      ['a.arrow', 'arrow'],
      ['a.feather', 'arrow'],
      ['a.ipc', 'arrow'],
      ['a.arrows', 'arrow'],
    ];
    for (const [path, format] of cases) expect([path, detectFormat(path)]).toEqual([path, format]);
  });

  it('rejects an unknown extension, listing the known ones and the format option', async () => {
    for (const path of ['data.txt', 'folder.csv/data', '.jsonl']) {
      const error = await catchDataError(() => detectFormat(path));
      expect(error.code).toBe('UNSUPPORTED_FORMAT');
      expect(error.file).toBe(path);
      expect(error.problem).toContain('.jsonl, .ndjson, .csv, .tsv');
      expect(error.problem).toContain('format option');
    }
    expect((await catchDataError(() => readRecords('x.xlsx'))).code).toBe('UNSUPPORTED_FORMAT');
  });

  it('has one loader per format name and loads JSONL and CSV by name', async () => {
    expect(Object.keys(fileFormats).sort()).toEqual(['arrow', 'csv', 'jsonl', 'parquet']);
    const jsonl = await getFileFormat('jsonl');
    expect([jsonl.name, jsonl.extensions]).toEqual(['jsonl', ['.jsonl', '.ndjson']]);
    expect((await getFileFormat('csv')).name).toBe('csv');
    const error = await catchDataError(() => getFileFormat('xml' as FileFormatName));
    expect(error.code).toBe('UNSUPPORTED_FORMAT');
    expect(error.problem).toContain('jsonl, csv, parquet, arrow');
  });
});

describe('readRecords / writeRecords', () => {
  it('uses the format option over the extension', async () => {
    await writeFile(at('data.txt'), '{"a":1}\n');
    expect(await collect(readRecords(at('data.txt'), { format: 'jsonl' }))).toEqual([{ a: 1 }]);
  });

  it('reads and writes .tsv with a tab delimiter', async () => {
    const path = at('data.tsv');
    await writeRecords(path, [{ a: 'x,y', b: 'z' }]);
    expect(await readFile(path, 'utf8')).toBe('a\tb\nx,y\tz\n');
    expect(await collect(readRecords(path))).toEqual([{ a: 'x,y', b: 'z' }]);
  });

  it('returns a stream at once whose stats object stays live', async () => {
    await writeFile(at('s.jsonl'), '{"a":1}\nbad\n{"a":2}\n');
    const stream = readRecords(at('s.jsonl'), { onError: 'skip' });
    const { stats } = stream;
    expect([stats.records, stats.skipped]).toEqual([0, 0]);
    const seen: number[] = [];
    for await (const _ of stream) seen.push(stats.records);
    expect(seen).toEqual([1, 2]);
    expect([stats.records, stats.skipped, stats.skippedErrors[0]?.line]).toEqual([2, 1, 2]);
  });
});

describe('readDataset / writeDataset', () => {
  it('infers CSV column types and converts the values', async () => {
    await writeFile(at('d.csv'), 'id,score,ok,text\n1,0.5,true,a\n2,,false,\n');
    const dataset = await readDataset(at('d.csv'));
    expect(dataset.schema).toEqual({
      fields: [
        { name: 'id', type: 'integer', nullable: false },
        { name: 'score', type: 'float', nullable: true },
        { name: 'ok', type: 'boolean', nullable: false },
        { name: 'text', type: 'string', nullable: true },
      ],
    });
    expect(dataset.records).toEqual([
      { id: 1, score: 0.5, ok: true, text: 'a' },
      { id: 2, score: null, ok: false, text: '' },
    ]);
    expect(dataset.stats).toEqual({ records: 2, skipped: 0, skippedErrors: [] });
  });

  it('uses an explicit schema as given', async () => {
    await writeFile(at('d.csv'), 'id,score\n1,2\n');
    const schema = {
      fields: [
        { name: 'id', type: 'string' as const },
        { name: 'score', type: 'float' as const },
      ],
    };
    const dataset = await readDataset(at('d.csv'), { schema });
    expect(dataset).toMatchObject({ schema, records: [{ id: '1', score: 2 }] });
  });

  it('infers a JSONL schema from the records', async () => {
    await writeFile(at('d.jsonl'), '{"text":"a","n":1}\n{"text":"b","n":1.5,"extra":true}\n');
    const dataset = await readDataset(at('d.jsonl'));
    expect(dataset.schema).toEqual({
      fields: [
        { name: 'text', type: 'string', nullable: false },
        { name: 'n', type: 'float', nullable: false },
        { name: 'extra', type: 'boolean', nullable: true },
      ],
    });
    expect(dataset.records).toHaveLength(2);
  });

  it('writes every key of an array to CSV, and round-trips a dataset through JSONL', async () => {
    const records = [{ a: 1 }, { a: 2, b: 'x' }];
    const result = await writeDataset(at('w.csv'), records);
    expect(result.records).toBe(2);
    expect(await readFile(at('w.csv'), 'utf8')).toBe('a,b\n1,\n2,x\n');

    const dataset = await readDataset(at('w.csv'));
    await writeDataset(at('w.jsonl'), dataset);
    expect(await readFile(at('w.jsonl'), 'utf8')).toBe('{"a":1,"b":""}\n{"a":2,"b":"x"}\n');
    // An array written to JSONL keeps each record as it is.
    await writeDataset(at('plain.jsonl'), records);
    expect(await readFile(at('plain.jsonl'), 'utf8')).toBe('{"a":1}\n{"a":2,"b":"x"}\n');
  });
});
