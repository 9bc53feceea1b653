import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  conformRecord,
  createRng,
  DataError,
  inferSchema,
  sha256Hex,
} from './index.js';

describe('createRng', () => {
  it('gives the same sequence for the same seed and a different one for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 5 }, () => a.next());
    const sb = Array.from({ length: 5 }, () => b.next());
    const sc = Array.from({ length: 5 }, () => c.next());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    for (const x of sa) expect(x >= 0 && x < 1).toBe(true);
  });

  it('is pinned: these values must never change across machines or releases', () => {
    // Regenerating splits on another machine depends on this exact sequence.
    const rng = createRng('ft');
    const values = Array.from({ length: 3 }, () => rng.int(1_000_000));
    expect(values).toEqual(PINNED);
  });

  it('is close to uniform', () => {
    const rng = createRng(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[rng.int(10)]++;
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

// Recorded from the first release of createRng: a change here silently reshuffles every user's splits.
const PINNED = [500441, 142769, 149424];

describe('inferSchema and conformRecord', () => {
  it('widens integer to float, marks missing fields nullable, mixes to json', () => {
    const schema = inferSchema([
      { a: 1, b: 'x', c: 1 },
      { a: 2.5, c: 'y' },
    ]);
    expect(schema.fields).toEqual([
      { name: 'a', type: 'float', nullable: false },
      { name: 'b', type: 'string', nullable: true },
      { name: 'c', type: 'json', nullable: false },
    ]);
  });

  it('converts CSV strings by schema and names the field on mismatch', () => {
    const schema = inferSchema([{ n: 1, ok: true, s: 'a' }]);
    expect(conformRecord({ n: '12', ok: 'false', s: 'b' }, schema)).toEqual({
      n: 12,
      ok: false,
      s: 'b',
    });
    const attempt = () =>
      conformRecord({ n: 'twelve', ok: 'true', s: 'b' }, schema, { file: 'x.csv', line: 3 });
    expect(attempt).toThrow(DataError);
    expect(attempt).toThrow(/x\.csv:3 field "n": expected an integer/);
  });

  it('rejects fields not in the schema', () => {
    const schema = { fields: [{ name: 'a', type: 'string' as const }] };
    expect(() => conformRecord({ a: 'x', typo: 1 }, schema)).toThrow(
      /field "typo" is not in the schema/,
    );
  });
});

describe('canonicalJson', () => {
  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: [1, { y: 1, x: 2 }] } })).toBe(
      canonicalJson({ a: { c: [1, { x: 2, y: 1 }], d: 2 }, b: 1 }),
    );
    expect(sha256Hex('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });
});
