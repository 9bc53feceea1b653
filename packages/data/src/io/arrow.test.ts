// Arrow IPC format: file and stream round trips, type mapping, foreign files, corrupt input.
import { readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { tableFromArrays, tableFromIPC, tableToIPC } from 'apache-arrow';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataError, DataRecord } from '../index.js';
import { allTypesRecords, allTypesSchema, catchDataError, collect } from '../test-helpers.js';
// The io registry does not re-export the format factories, so they are imported directly.
import { createArrowFormat } from './arrow.js';

const arrow = createArrowFormat();
let dir: { path: string; cleanup: () => Promise<void> };

beforeEach(async () => {
  dir = await createTempDir('ft-arrow-');
});
afterEach(async () => {
  await dir.cleanup();
});

const schema = allTypesSchema;
const records = allTypesRecords;

function readAll(path: string, options = {}): Promise<DataRecord[]> {
  return collect(arrow.read(path, options));
}

function readError(path: string, options = {}): Promise<DataError> {
  return catchDataError(() => readAll(path, options));
}

describe('arrow round trip', () => {
  for (const extension of ['.arrow', '.arrows']) {
    it(`writes and reads every field type in several batches (${extension})`, async () => {
      const path = join(dir.path, `all${extension}`);
      const result = await arrow.write(path, records, { schema, rowGroupSize: 2 });
      expect(result.records).toBe(5);
      const bytes = await readFile(path);
      expect(result.bytes).toBe(bytes.length);
      // The file format starts with the ARROW1 magic; the stream format does not.
      expect(bytes.subarray(0, 6).toString('latin1') === 'ARROW1').toBe(extension === '.arrow');
      const back = await readAll(path);
      expect(back).toEqual(records);
      expect(typeof back[1]?.id).toBe('bigint');
      expect(typeof back[0]?.id).toBe('number');

      // apache-arrow's own (non-streaming) reader sees the same batches, types and metadata.
      const table = tableFromIPC(bytes);
      expect(table.batches.map((b) => b.numRows)).toEqual([2, 2, 1]);
      expect(table.schema.fields.map((f) => String(f.type))).toEqual([
        'Int64',
        'Utf8',
        'Float64',
        'Bool',
        'Timestamp<MILLISECOND>',
        'Utf8',
      ]);
      expect(table.schema.fields[0]?.nullable).toBe(false);
      expect(table.schema.fields[5]?.metadata.get('ft.type')).toBe('json');
      expect(table.getChild('meta')?.get(0)).toBe('{"tags":["a","b"],"n":1}');
    });
  }

  it('tells the file and stream formats apart by content, not by extension', async () => {
    const streamPath = join(dir.path, 'data.arrows');
    await arrow.write(streamPath, records, { schema });
    const renamed = join(dir.path, 'data.arrow');
    await rename(streamPath, renamed);
    expect(await readAll(renamed)).toEqual(records);
  });

  it('infers the schema, writes zero records from a schema, and refuses zero records without one', async () => {
    const path = join(dir.path, 'inferred.arrow');
    await arrow.write(path, [{ a: 1, b: 'x' }, { a: 2.5 }]);
    expect(await readAll(path)).toEqual([
      { a: 1, b: 'x' },
      { a: 2.5, b: null },
    ]);
    const empty = join(dir.path, 'empty.arrow');
    expect((await arrow.write(empty, [], { schema })).records).toBe(0);
    expect(await readAll(empty)).toEqual([]);
    expect(tableFromIPC(await readFile(empty)).schema.fields.map((f) => f.name)).toEqual(
      schema.fields.map((f) => f.name),
    );
    await expect(arrow.write(join(dir.path, 'none.arrow'), [])).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('leaves an existing file untouched and no temporary file when a write fails', async () => {
    const path = join(dir.path, 'keep.arrow');
    await arrow.write(path, records, { schema });
    const before = await readFile(path);
    const error = await arrow
      .write(path, [...records, { ...records[0], ok: 'maybe' }], { schema, rowGroupSize: 2 })
      .catch((e) => e);
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.field).toBe('ok');
    expect(error.line).toBe(6);
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(dir.path)).toEqual(['keep.arrow']);
  });
});

describe('arrow files from other writers', () => {
  it('reads Int32, Int64 and Utf8 columns of a Feather v2 file written by apache-arrow', async () => {
    const table = tableFromArrays({
      small: Int32Array.from([1, -2, 3]),
      wide: BigInt64Array.from([1n, 9007199254740993n, -5n]),
      name: ['a', 'räksmörgås', 'ሰላም'],
    });
    const path = join(dir.path, 'foreign.feather');
    await writeFile(path, tableToIPC(table, 'file'));
    expect(await readAll(path)).toEqual([
      { small: 1, wide: 1, name: 'a' },
      { small: -2, wide: 9007199254740993n, name: 'räksmörgås' },
      { small: 3, wide: -5, name: 'ሰላም' },
    ]);
  });

  it('checks the columns against an explicit schema', async () => {
    const path = join(dir.path, 'cols.arrow');
    await arrow.write(path, records, { schema });
    const error = await readError(path, {
      schema: { fields: [...schema.fields, { name: 'label', type: 'string' }] },
    });
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.field).toBe('label');
    expect(error.file).toBe(path);
  });
});

describe('arrow corrupt input', () => {
  async function expectCorrupt(bytes: Uint8Array, extension: string): Promise<void> {
    const path = join(dir.path, `bad${extension}`);
    await writeFile(path, bytes);
    const error = await readError(path);
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.file).toBe(path);
    expect(error.problem).toMatch(/Re-create or re-download/);
  }

  for (const extension of ['.arrow', '.arrows']) {
    it(`rejects truncated, garbage and empty input (${extension})`, {
      timeout: 10_000,
    }, async () => {
      const path = join(dir.path, `good${extension}`);
      await arrow.write(path, records, { schema, rowGroupSize: 2 });
      const bytes = await readFile(path);
      for (const fraction of [0.1, 0.5, 0.9]) {
        await expectCorrupt(bytes.subarray(0, Math.floor(bytes.length * fraction)), extension);
      }
      await expectCorrupt(bytes.subarray(0, bytes.length - 4), extension);
      await expectCorrupt(
        Buffer.from('this is not an arrow file at all, just text\n'.repeat(4)),
        extension,
      );
      await expectCorrupt(new Uint8Array(0), extension);
    });
  }

  it('gives IO_ERROR for a missing file', async () => {
    const error = await readError(join(dir.path, 'nope.arrow'));
    expect(error.code).toBe('IO_ERROR');
    expect(error.file).toBe(join(dir.path, 'nope.arrow'));
  });
});
