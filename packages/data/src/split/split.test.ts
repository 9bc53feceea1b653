import { describe, expect, it } from 'vitest';
import type { DataRecord } from '../index.js';
import { DataError, splitDataset } from '../index.js';

const ratios = { train: 0.7, validation: 0.2, test: 0.1 };
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function expectPartition(indices: Record<string, number[]>, n: number): void {
  const all = Object.values(indices).flat();
  expect(all).toHaveLength(n);
  expect([...all].sort((a, b) => a - b)).toEqual(range(n));
  for (const list of Object.values(indices)) {
    expect(list).toEqual([...list].sort((a, b) => a - b));
  }
}

function count(records: DataRecord[], field: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[String(r[field])] = (out[String(r[field])] ?? 0) + 1;
  return out;
}

describe('splitDataset (shuffle)', () => {
  it('gives exact largest-remainder sizes that partition the records', () => {
    // 101 · (0.7, 0.2, 0.1) = (70.7, 20.2, 10.1): floors sum to 100, the spare one goes to train.
    const records = range(101).map((id) => ({ id }));
    const { splits, indices } = splitDataset(records, { ratios, seed: 1 });
    expect(Object.keys(splits)).toEqual(['train', 'validation', 'test']);
    expect([splits.train?.length, splits.validation?.length, splits.test?.length]).toEqual([
      71, 20, 10,
    ]);
    expectPartition(indices, 101);
    expect(splits.test?.map((r) => r.id)).toEqual(indices.test);
    // 3 · (0.5, 0.25, 0.25) = (1.5, 0.75, 0.75): remainders 0.75, 0.75, 0.5 → validation, test first.
    const small = splitDataset(
      range(3).map((id) => ({ id })),
      {
        ratios: { train: 0.5, validation: 0.25, test: 0.25 },
      },
    );
    expect(Object.values(small.indices).map((l) => l.length)).toEqual([1, 1, 1]);
    expect(splitDataset([], { ratios }).indices).toEqual({ train: [], validation: [], test: [] });
  });

  it('is pinned: seed 42 gives this split on every machine', () => {
    const records = range(12).map((id) => ({ id }));
    const { indices } = splitDataset(records, {
      ratios: { train: 0.5, validation: 0.25, test: 0.25 },
      seed: 42,
    });
    expect(indices).toEqual({
      train: [4, 7, 8, 9, 10, 11],
      validation: [1, 3, 5],
      test: [0, 2, 6],
    });
  });

  it('repeats for a seed and changes with it', () => {
    const records = range(50).map((id) => ({ id }));
    const a = splitDataset(records, { ratios, seed: 'exp-1' });
    const b = splitDataset(records, { ratios, seed: 'exp-1' });
    const c = splitDataset(records, { ratios, seed: 'exp-2' });
    expect(a.indices).toEqual(b.indices);
    expect(a.indices).not.toEqual(c.indices);
    // The default seed is 0.
    expect(splitDataset(records, { ratios }).indices).toEqual(
      splitDataset(records, { ratios, seed: 0 }).indices,
    );
  });

  it('stratifies: every class split in proportion, split sizes still exact', () => {
    const labels = [...Array(50).fill('a'), ...Array(30).fill('b'), ...Array(20).fill('c')];
    const records = labels.map((label, id) => ({ id, label }));
    const { splits, indices } = splitDataset(records, { ratios, seed: 3, stratifyBy: 'label' });
    expectPartition(indices, 100);
    expect(count(splits.train ?? [], 'label')).toEqual({ a: 35, b: 21, c: 14 });
    expect(count(splits.validation ?? [], 'label')).toEqual({ a: 10, b: 6, c: 4 });
    expect(count(splits.test ?? [], 'label')).toEqual({ a: 5, b: 3, c: 2 });
  });

  it('stratifies with fractional shares: each class within one of its share, sizes exact', () => {
    // 7 a's and 3 b's halved: shares 3.5 and 1.5; sizes must be exactly 5 and 5.
    const records = range(10).map((id) => ({ id, y: id < 7 ? 'a' : 'b' }));
    const { indices, splits } = splitDataset(records, {
      ratios: { x: 0.5, y: 0.5 },
      stratifyBy: 'y',
    });
    expect([indices.x?.length, indices.y?.length]).toEqual([5, 5]);
    const x = count(splits.x ?? [], 'y');
    expect([3, 4]).toContain(x.a);
    expect([1, 2]).toContain(x.b);
    // Three classes of 7 into thirds: every cell 2 or 3, splits 7 each.
    const three = range(21).map((id) => ({ id, k: id % 3 }));
    const r = splitDataset(three, {
      ratios: { a: 1 / 3, b: 1 / 3, c: 1 / 3 },
      stratifyBy: (rec) => rec.k,
    });
    for (const list of Object.values(r.splits)) {
      expect(list).toHaveLength(7);
      for (const n of Object.values(count(list, 'k'))) expect([2, 3]).toContain(n);
    }
  });

  it('keeps groups whole and sizes near target', () => {
    // 40 users with 1–6 records each.
    const records: DataRecord[] = [];
    for (let user = 0; user < 40; user++) {
      for (let k = 0; k < 1 + (user % 6); k++) records.push({ user: `u${user}`, k });
    }
    const n = records.length;
    const { splits, indices } = splitDataset(records, { ratios, seed: 9, groupBy: 'user' });
    expectPartition(indices, n);
    const owner = new Map<unknown, string>();
    for (const [name, list] of Object.entries(splits)) {
      for (const r of list) {
        expect(owner.get(r.user) ?? name).toBe(name);
        owner.set(r.user, name);
      }
    }
    expect(Math.abs((splits.train?.length ?? 0) - 0.7 * n)).toBeLessThanOrEqual(6);
    expect(Math.abs((splits.test?.length ?? 0) - 0.1 * n)).toBeLessThanOrEqual(6);
  });

  it('groups and stratifies together', () => {
    // 60 single-label groups of 2: 40 positive, 20 negative.
    const records = range(120).map((i) => ({
      g: Math.floor(i / 2),
      y: Math.floor(i / 2) % 3 === 0 ? 'neg' : 'pos',
    }));
    const { splits } = splitDataset(records, {
      ratios: { train: 0.5, test: 0.5 },
      seed: 4,
      groupBy: 'g',
      stratifyBy: 'y',
    });
    expect(count(splits.train ?? [], 'y')).toEqual({ pos: 40, neg: 20 });
    expect(count(splits.test ?? [], 'y')).toEqual({ pos: 40, neg: 20 });
    const trainGroups = new Set(splits.train?.map((r) => r.g));
    expect(splits.test?.some((r) => trainGroups.has(r.g))).toBe(false);
  });
});

describe('splitDataset (hash)', () => {
  it('never moves existing records when new ones are appended', () => {
    const records = range(400).map((i) => ({ id: `doc-${i}` }));
    const before = splitDataset(records, { ratios, method: 'hash', hashKey: 'id', seed: 5 });
    const grown = [...records, ...range(200).map((i) => ({ id: `new-${i}` }))];
    const after = splitDataset(grown, { ratios, method: 'hash', hashKey: 'id', seed: 5 });
    for (const name of Object.keys(ratios)) {
      expect(after.indices[name]?.filter((i) => i < 400)).toEqual(before.indices[name]);
    }
    expectPartition(after.indices, 600);
    // Approximate sizes: a binomial spread around 600 · ratio.
    expect(Math.abs((after.indices.train?.length ?? 0) - 420)).toBeLessThan(45);
    expect(Math.abs((after.indices.test?.length ?? 0) - 60)).toBeLessThan(25);
    // Order does not matter either, only the key.
    const reversed = splitDataset([...records].reverse(), {
      ratios,
      method: 'hash',
      hashKey: 'id',
      seed: 5,
    });
    expect(reversed.splits.test?.map((r) => r.id).sort()).toEqual(
      before.splits.test?.map((r) => r.id).sort(),
    );
  });

  it('hashes the group key when only groupBy is given, keeping groups whole', () => {
    const records = range(300).map((i) => ({ user: `u${i % 37}`, i }));
    const { splits } = splitDataset(records, { ratios, method: 'hash', groupBy: 'user' });
    const seen = new Map<unknown, string>();
    for (const [name, list] of Object.entries(splits)) {
      for (const r of list) {
        expect(seen.get(r.user) ?? name).toBe(name);
        seen.set(r.user, name);
      }
    }
    expect(seen.size).toBe(37);
  });
});

describe('splitDataset errors', () => {
  const records = range(10).map((id) => ({ id, label: id % 2 ? 'odd' : 'even' }));
  const fails = (options: Parameters<typeof splitDataset>[1], pattern: RegExp, field?: string) => {
    let error: unknown;
    try {
      splitDataset(records, options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DataError);
    expect((error as DataError).code).toBe('INVALID_ARGUMENT');
    expect((error as DataError).message).toMatch(pattern);
    if (field !== undefined) expect((error as DataError).field).toBe(field);
  };

  it('rejects ratios that do not sum to 1 or are not fractions', () => {
    fails({ ratios: { train: 0.7, test: 0.2 } }, /"ratios" must sum to 1, got 0\.9/, 'ratios');
    fails({ ratios: { train: 1.1, test: -0.1 } }, /"test" must be a finite number ≥ 0/, 'ratios');
    fails({ ratios: {} }, /names no split/, 'ratios');
    fails({ ratios: { train: Number.NaN } }, /"train" must be a finite number/, 'ratios');
    fails({ ratios: [0.5, 0.5] as never }, /must be an object of split names/, 'ratios');
    // Within 1e-9 of 1 is accepted.
    expect(splitDataset(records, { ratios: { a: 0.1, b: 0.2, c: 0.7 } }).indices.c).toHaveLength(7);
  });

  it('names the record missing the stratify or group field', () => {
    const broken = [...records, { id: 10 }];
    expect(() => splitDataset(broken, { ratios: { a: 0.5, b: 0.5 }, stratifyBy: 'label' })).toThrow(
      /"stratifyBy": the record at index 10 has no value \(field "label" is missing\)/,
    );
    expect(() =>
      splitDataset(broken, { ratios: { a: 0.5, b: 0.5 }, groupBy: (r) => r.label }),
    ).toThrow(/"groupBy": the record at index 10 has no value/);
  });

  it('rejects hash splits without a key, stratified hash splits, and unknown methods', () => {
    fails({ ratios, method: 'hash' }, /needs option "hashKey"/, 'hashKey');
    fails(
      { ratios, method: 'hash', hashKey: 'id', stratifyBy: 'label' },
      /not supported with method "hash"/,
    );
    fails({ ratios, method: 'random' as never }, /"method" must be 'shuffle' or 'hash'/, 'method');
    expect(() => splitDataset({} as never, { ratios })).toThrow(/expects an array/);
  });
});
