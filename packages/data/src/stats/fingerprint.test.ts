// Dataset fingerprints: a value rebuilt with node:crypto from the documented framing, and
// properties (any changed character, record order in each mode, key order, duplicates).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DataError, type DataRecord, fingerprintDataset } from '../index.js';

/** The documented frame: uint64 big-endian byte length, then the UTF-8 text. */
function frame(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64BE(BigInt(body.length));
  return Buffer.concat([length, body]);
}
const sha = (data: Buffer): Buffer => createHash('sha256').update(data).digest();

const records: DataRecord[] = [
  { text: 'Hej världen', label: 'sv', n: 1 },
  { text: 'ሰላም ለዓለም', label: 'am', n: 2.5 },
  { text: 'hello', label: 'en', tags: ['a', 'b'], meta: { z: 1, a: null } },
];
// canonicalJson of each record written out by hand: keys sorted at every level.
const canonical = [
  '{"label":"sv","n":1,"text":"Hej världen"}',
  '{"label":"am","n":2.5,"text":"ሰላም ለዓለም"}',
  '{"label":"en","meta":{"a":null,"z":1},"tags":["a","b"],"text":"hello"}',
];

describe('fingerprintDataset', () => {
  it('matches the definition rebuilt with node:crypto (ordered)', async () => {
    const expected = sha(Buffer.concat(canonical.map(frame))).toString('hex');
    expect(await fingerprintDataset(records)).toBe(`sha256:${expected}`);
    // Pinned (computed once by a standalone node:crypto script) so format drift is noticed.
    expect(expected).toBe('5e60cc9aa1b0f20824efc7383c7895fb2f811051f1d109e915fee2072a3253d7');
  });

  it('matches the definition rebuilt with node:crypto (order-insensitive)', async () => {
    const digests = canonical.map((c) => sha(frame(c))).sort(Buffer.compare);
    const expected = sha(Buffer.concat(digests)).toString('hex');
    expect(await fingerprintDataset(records, { orderSensitive: false })).toBe(`sha256:${expected}`);
    expect(expected).toBe('ff6627b313428441674f59235a808bf9734c1720cde28c82fbdf327a6794117f');
  });

  it('gives sha256 of nothing for an empty dataset', async () => {
    const empty = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    expect(await fingerprintDataset([])).toBe(empty);
    expect(await fingerprintDataset([], { orderSensitive: false })).toBe(empty);
  });

  it('changes when any one character of any value changes', async () => {
    const base = await fingerprintDataset(records);
    const baseUnordered = await fingerprintDataset(records, { orderSensitive: false });
    const variants: DataRecord[][] = [
      [{ ...records[0], text: 'Hej världen!' }, records[1]!, records[2]!],
      [records[0]!, { ...records[1], text: 'ሰላም ለዓለሞ' }, records[2]!],
      [records[0]!, { ...records[1], n: 2.6 }, records[2]!],
      [records[0]!, records[1]!, { ...records[2], tags: ['a', 'c'] }],
      [records[0]!, records[1]!, { ...records[2], meta: { z: 1, a: 0 } }],
      [records[0]!, records[1]!, { ...records[2], label: 'En' }],
    ];
    const seen = new Set([base]);
    for (const variant of variants) {
      const ordered = await fingerprintDataset(variant);
      expect(seen.has(ordered)).toBe(false);
      seen.add(ordered);
      expect(await fingerprintDataset(variant, { orderSensitive: false })).not.toBe(baseUnordered);
    }
  });

  it('depends on record order only when order-sensitive', async () => {
    const swapped = [records[1]!, records[0]!, records[2]!];
    expect(await fingerprintDataset(swapped)).not.toBe(await fingerprintDataset(records));
    expect(await fingerprintDataset(swapped, { orderSensitive: false })).toBe(
      await fingerprintDataset(records, { orderSensitive: false }),
    );
  });

  it('ignores key order at every level and reads async iterables', async () => {
    const reordered = records.map((r) => Object.fromEntries(Object.entries(r).reverse()));
    reordered[2]!.meta = { a: null, z: 1 };
    async function* stream(): AsyncGenerator<DataRecord> {
      yield* reordered;
    }
    expect(await fingerprintDataset(stream())).toBe(await fingerprintDataset(records));
  });

  it('counts duplicates in order-insensitive mode', async () => {
    const a = { x: 1 };
    const b = { x: 2 };
    const once = await fingerprintDataset([a, b], { orderSensitive: false });
    expect(await fingerprintDataset([a, a, b], { orderSensitive: false })).not.toBe(once);
    expect(await fingerprintDataset([b, a], { orderSensitive: false })).toBe(once);
  });

  it('hashes only the chosen fields', async () => {
    const changedOther = records.map((r) => ({ ...r, n: 99 }));
    const options = { fields: ['text', 'label'] };
    expect(await fingerprintDataset(changedOther, options)).toBe(
      await fingerprintDataset(records, options),
    );
    const expected = sha(frame('{"label":"sv","text":"Hej världen"}')).toString('hex');
    expect(await fingerprintDataset([records[0]!], options)).toBe(`sha256:${expected}`);
  });

  it('rejects records that are not objects, naming the record', async () => {
    const error = await fingerprintDataset([{ a: 1 }, 'oops' as never]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', line: 2 });
    await expect(fingerprintDataset([], { fields: 'text' as never })).rejects.toThrow(
      /array of field names/,
    );
  });
});
