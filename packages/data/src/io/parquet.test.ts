// Parquet format: round trips, type mapping, schema checks, DuckDB interop, corrupt input.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createTempDir } from '@ft/test-utils';
import { asyncBufferFromFile, parquetMetadataAsync } from 'hyparquet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataRecord } from '../index.js';
import { DataError } from '../index.js';
import { allTypesRecords, allTypesSchema, catchDataError, collect } from '../test-helpers.js';
// The io registry does not re-export the format factories, so they are imported directly.
import { createParquetFormat } from './parquet.js';

const parquet = createParquetFormat();
let dir: { path: string; cleanup: () => Promise<void> };

beforeEach(async () => {
  dir = await createTempDir('ft-parquet-');
});
afterEach(async () => {
  await dir.cleanup();
});

const schema = allTypesSchema;
const records = allTypesRecords;

function readAll(path: string, options = {}): Promise<DataRecord[]> {
  return collect(parquet.read(path, options));
}

function readError(path: string, options = {}): Promise<DataError> {
  return catchDataError(() => readAll(path, options));
}

describe('parquet round trip', () => {
  it('writes and reads every field type across several row groups', async () => {
    const path = join(dir.path, 'all.parquet');
    const result = await parquet.write(path, records, { schema, rowGroupSize: 2 });
    expect(result.records).toBe(5);
    expect(result.bytes).toBe((await readFile(path)).length);
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
    expect(metadata.row_groups.map((g) => Number(g.num_rows))).toEqual([2, 2, 1]);
    const back = await readAll(path);
    expect(back).toEqual(
      records.map((r) => ({ ...r, id: r.id === 2n ** 60n + 1n ? r.id : Number(r.id) })),
    );
    expect(typeof back[1]?.id).toBe('bigint');
    expect(typeof back[0]?.id).toBe('number');
    expect(back[0]?.at).toBeInstanceOf(Date);
  });

  it('maps types to Parquet physical and logical types, nullable fields as OPTIONAL', async () => {
    const path = join(dir.path, 'types.parquet');
    await parquet.write(path, records, { schema });
    const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
    const elements = Object.fromEntries(metadata.schema.slice(1).map((e) => [e.name, e]));
    expect(elements.id).toMatchObject({ type: 'INT64', repetition_type: 'REQUIRED' });
    expect(elements.text).toMatchObject({
      type: 'BYTE_ARRAY',
      converted_type: 'UTF8',
      repetition_type: 'OPTIONAL',
    });
    expect(elements.score).toMatchObject({ type: 'DOUBLE' });
    expect(elements.ok).toMatchObject({ type: 'BOOLEAN' });
    expect(elements.at).toMatchObject({ type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' });
    expect(elements.meta).toMatchObject({ type: 'BYTE_ARRAY', converted_type: 'UTF8' });
    const entry = metadata.key_value_metadata?.find((kv) => kv.key === 'ft.schema');
    expect(JSON.parse(entry?.value ?? '{}')).toEqual(schema);
  });

  it('infers the schema from an in-memory array and from the first row group of a stream', async () => {
    const arrayPath = join(dir.path, 'array.parquet');
    await parquet.write(arrayPath, [{ a: 1, b: 'x' }, { a: 2.5 }]);
    expect(await readAll(arrayPath)).toEqual([
      { a: 1, b: 'x' },
      { a: 2.5, b: null },
    ]);

    async function* stream(): AsyncGenerator<DataRecord> {
      yield { a: 1, b: 'x' };
      yield { a: 2, b: 'y' };
      yield { a: 3 };
    }
    const streamPath = join(dir.path, 'stream.parquet');
    await parquet.write(streamPath, stream(), { rowGroupSize: 2 });
    expect(await readAll(streamPath)).toEqual([
      { a: 1, b: 'x' },
      { a: 2, b: 'y' },
      { a: 3, b: null },
    ]);
  });

  it('rejects a streamed record that does not fit the schema inferred from the first row group', async () => {
    async function* stream(): AsyncGenerator<DataRecord> {
      yield { a: 1 };
      yield { a: 2, extra: true };
    }
    const error = await parquet
      .write(join(dir.path, 'bad.parquet'), stream(), { rowGroupSize: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.field).toBe('extra');
    expect(error.line).toBe(2);
  });

  it('writes gzip and uncompressed files that read back equal', async () => {
    for (const compression of ['gzip', 'uncompressed'] as const) {
      const path = join(dir.path, `${compression}.parquet`);
      await parquet.write(path, records, { schema, compression });
      const metadata = await parquetMetadataAsync(await asyncBufferFromFile(path));
      expect(metadata.row_groups[0]?.columns[0]?.meta_data?.codec).toBe(compression.toUpperCase());
      expect((await readAll(path)).map((r) => r.text)).toEqual(records.map((r) => r.text));
    }
  });

  it('writes an empty file from a schema and refuses to guess one from zero records', async () => {
    const path = join(dir.path, 'empty.parquet');
    const result = await parquet.write(path, [], { schema });
    expect(result.records).toBe(0);
    expect(await readAll(path)).toEqual([]);
    const error = await parquet.write(join(dir.path, 'none.parquet'), []).catch((e) => e);
    expect(error.code).toBe('INVALID_ARGUMENT');
  });

  it('leaves an existing file untouched and no temporary file when a write fails', async () => {
    const path = join(dir.path, 'keep.parquet');
    await parquet.write(path, records, { schema });
    const before = await readFile(path);
    const bad = [...records, { ...records[0], id: 'not a number' }];
    const error = await parquet.write(path, bad, { schema, rowGroupSize: 2 }).catch((e) => e);
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.line).toBe(6);
    expect(await readFile(path)).toEqual(before);
    expect(await readdir(dir.path)).toEqual(['keep.parquet']);
  });

  it('rejects bad options', async () => {
    const path = join(dir.path, 'x.parquet');
    await expect(parquet.write(path, records, { rowGroupSize: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      parquet.write(path, records, { compression: 'lzma' as never }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    const overflow = await parquet
      .write(path, [{ n: 2n ** 64n }], { schema: { fields: [{ name: 'n', type: 'integer' }] } })
      .catch((e) => e);
    expect(overflow.code).toBe('SCHEMA_MISMATCH');
  });
});

describe('parquet reading with an explicit schema', () => {
  it('names a missing column and the file', async () => {
    const path = join(dir.path, 'cols.parquet');
    await parquet.write(path, records, { schema });
    const error = await readError(path, {
      schema: { fields: [...schema.fields, { name: 'label', type: 'string' }] },
    });
    expect(error.code).toBe('SCHEMA_MISMATCH');
    expect(error.field).toBe('label');
    expect(error.file).toBe(path);
  });

  it('conforms records and skips the ones that do not fit with onError skip', async () => {
    const path = join(dir.path, 'conform.parquet');
    await parquet.write(
      path,
      [
        { n: 1.0, s: 'a' },
        { n: 2.5, s: 'b' },
        { n: 3, s: 'c' },
      ],
      {
        schema: {
          fields: [
            { name: 'n', type: 'float' },
            { name: 's', type: 'string' },
          ],
        },
      },
    );
    const stream = parquet.read(path, {
      schema: {
        fields: [
          { name: 'n', type: 'integer' },
          { name: 's', type: 'string' },
        ],
      },
      onError: 'skip',
    });
    const out: DataRecord[] = [];
    for await (const r of stream) out.push(r);
    expect(out).toEqual([
      { n: 1, s: 'a' },
      { n: 3, s: 'c' },
    ]);
    expect(stream.stats.skipped).toBe(1);
    expect(stream.stats.skippedErrors[0]?.line).toBe(2);
  });
});

describe('parquet interop with DuckDB', () => {
  async function duck() {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    return {
      connection,
      close: () => {
        connection.closeSync();
        instance.closeSync();
      },
    };
  }

  it('reads a file DuckDB wrote with equal values', async () => {
    const path = join(dir.path, 'duck.parquet');
    const db = await duck();
    await db.connection.run(`COPY (
      SELECT * FROM (VALUES
        (1::BIGINT, 1.5::DOUBLE, 'ሰላም ለዓለም', true, TIMESTAMP '2024-03-01 12:34:56.789', 42::INTEGER),
        (9007199254740993::BIGINT, -0.25::DOUBLE, 'räksmörgås', false, NULL, NULL),
        (NULL, NULL, NULL, NULL, TIMESTAMP '1970-01-01 00:00:00', -1::INTEGER)
      ) AS t(id, score, text, ok, ts, small)
    ) TO '${path}' (FORMAT parquet)`);
    db.close();
    expect(await readAll(path)).toEqual([
      {
        id: 1,
        score: 1.5,
        text: 'ሰላም ለዓለም',
        ok: true,
        ts: new Date('2024-03-01T12:34:56.789Z'),
        small: 42,
      },
      { id: 9007199254740993n, score: -0.25, text: 'räksmörgås', ok: false, ts: null, small: null },
      { id: null, score: null, text: null, ok: null, ts: new Date(0), small: -1 },
    ]);
  });

  it('writes a file DuckDB reads back with equal values, row by row', async () => {
    const path = join(dir.path, 'ours.parquet');
    await parquet.write(path, records, { schema, rowGroupSize: 2 });
    const db = await duck();
    const reader = await db.connection.runAndReadAll(
      `SELECT id::VARCHAR AS id, text, score, ok, epoch_ms("at") AS at_ms, meta FROM read_parquet('${path}')`,
    );
    const types = await db.connection.runAndReadAll(
      `DESCRIBE SELECT * FROM read_parquet('${path}')`,
    );
    db.close();
    const rows = reader.getRowObjectsJS();
    expect(rows).toHaveLength(records.length);
    for (const [i, record] of records.entries()) {
      const at = record.at as Date | null;
      expect(rows[i]).toEqual({
        id: String(record.id),
        text: record.text,
        score: record.score,
        ok: record.ok,
        at_ms: at === null ? null : BigInt(at.getTime()),
        meta: record.meta === null ? null : JSON.stringify(record.meta),
      });
    }
    expect(types.getRowObjectsJS().map((r) => [r.column_name, r.column_type])).toEqual([
      ['id', 'BIGINT'],
      ['text', 'VARCHAR'],
      ['score', 'DOUBLE'],
      ['ok', 'BOOLEAN'],
      ['at', 'TIMESTAMP WITH TIME ZONE'],
      ['meta', 'VARCHAR'],
    ]);
  });
});

describe('parquet corrupt input', () => {
  async function writeGood(): Promise<{ path: string; bytes: Buffer }> {
    const path = join(dir.path, 'good.parquet');
    await parquet.write(path, records, { schema, rowGroupSize: 2 });
    return { path, bytes: await readFile(path) };
  }

  async function expectCorrupt(bytes: Uint8Array, what: RegExp): Promise<void> {
    const path = join(dir.path, 'bad.parquet');
    await writeFile(path, bytes);
    const error = await readError(path);
    expect(error.code).toBe('CORRUPT_FILE');
    expect(error.file).toBe(path);
    expect(error.message).toContain(path);
    expect(error.problem).toMatch(what);
    expect(error.problem).toMatch(/Re-create or re-download/);
  }

  it('rejects an empty file', { timeout: 5_000 }, async () => {
    await expectCorrupt(new Uint8Array(0), /empty/);
  });

  it('rejects a file that is not Parquet', { timeout: 5_000 }, async () => {
    await expectCorrupt(Buffer.from('{"a": 1}\n{"a": 2}\n'), /PAR1/);
  });

  it('rejects a file truncated at 10%, 50%, 90% and short of its last 4 bytes', {
    timeout: 10_000,
  }, async () => {
    const { bytes } = await writeGood();
    for (const fraction of [0.1, 0.5, 0.9]) {
      await expectCorrupt(bytes.subarray(0, Math.floor(bytes.length * fraction)), /truncated|PAR1/);
    }
    await expectCorrupt(bytes.subarray(0, bytes.length - 4), /truncated/);
  });

  it('rejects flipped bytes in the footer', { timeout: 10_000 }, async () => {
    const { bytes } = await writeGood();
    const footerLength = bytes.readUInt32LE(bytes.length - 8);
    const footerStart = bytes.length - 8 - footerLength;
    // The footer length itself, and the Thrift header of the FileMetaData struct.
    const lengthFlip = Buffer.from(bytes);
    lengthFlip[bytes.length - 6] = (lengthFlip[bytes.length - 6] as number) ^ 0xff;
    await expectCorrupt(lengthFlip, /footer/);
    const structFlip = Buffer.from(bytes);
    structFlip[footerStart] = (structFlip[footerStart] as number) ^ 0xff;
    await expectCorrupt(structFlip, /cannot be decoded|differ|points outside|columns/);
  });

  it('rejects flipped bytes in a data page through the row group checksum', {
    timeout: 10_000,
  }, async () => {
    const { bytes } = await writeGood();
    const metadata = await parquetMetadataAsync(
      await asyncBufferFromFile(join(dir.path, 'good.parquet')),
    );
    const text = metadata.row_groups[1]?.columns[1]?.meta_data;
    const at = Number(text?.data_page_offset) + Number(text?.total_compressed_size) - 3;
    const flipped = Buffer.from(bytes);
    flipped[at] = (flipped[at] as number) ^ 0x01;
    await expectCorrupt(flipped, /row group 2 fails its CRC-32 check/);
  });

  it('gives IO_ERROR for a missing file and for a folder', async () => {
    const missing = await readError(join(dir.path, 'nope.parquet'));
    expect(missing.code).toBe('IO_ERROR');
    expect(missing.file).toBe(join(dir.path, 'nope.parquet'));
    const folder = await readError(dir.path);
    expect(folder.code).toBe('IO_ERROR');
  });
});
