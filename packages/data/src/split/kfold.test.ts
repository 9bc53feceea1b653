import { describe, expect, it } from 'vitest';
import type { Fold } from '../index.js';
import { DataError, kFold } from '../index.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function expectFolds(folds: Fold[], n: number): void {
  const validation = folds.flatMap((f) => f.validation);
  expect([...validation].sort((a, b) => a - b)).toEqual(range(n));
  for (const fold of folds) {
    expect([...fold.train, ...fold.validation].sort((a, b) => a - b)).toEqual(range(n));
    expect(fold.train.length + fold.validation.length).toBe(n);
  }
}

describe('kFold', () => {
  it('makes k disjoint folds of sizes within one, pinned for a seed', () => {
    const records = range(12).map((id) => ({ id }));
    const folds = kFold(records, { k: 3, seed: 42 });
    expect(folds.map((f) => f.validation)).toEqual([
      [7, 8, 9, 11],
      [3, 4, 5, 10],
      [0, 1, 2, 6],
    ]);
    expectFolds(folds, 12);
    const uneven = kFold(
      range(11).map((id) => ({ id })),
      { k: 4 },
    );
    expect(uneven.map((f) => f.validation.length)).toEqual([3, 3, 3, 2]);
    expectFolds(uneven, 11);
    expect(kFold(records, { k: 3, seed: 1 })).not.toEqual(folds);
  });

  it('stratifies like StratifiedKFold: per-class counts per fold differ by at most one', () => {
    const labels = [...Array(23).fill('a'), ...Array(11).fill('b'), ...Array(6).fill('c')];
    const records = labels.map((label, id) => ({ id, label }));
    const folds = kFold(records, { k: 5, seed: 2, stratifyBy: 'label' });
    expectFolds(folds, 40);
    const sizes = folds.map((f) => f.validation.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    for (const label of ['a', 'b', 'c']) {
      const perFold = folds.map((f) => f.validation.filter((i) => labels[i] === label).length);
      expect(Math.max(...perFold) - Math.min(...perFold)).toBeLessThanOrEqual(1);
      expect(perFold.reduce((x, y) => x + y, 0)).toBe(labels.filter((l) => l === label).length);
    }
  });

  it('keeps each group in one fold', () => {
    const records = range(90).map((i) => ({ user: `u${i % 17}`, i }));
    const folds = kFold(records, { k: 4, seed: 3, groupBy: 'user' });
    expectFolds(folds, 90);
    const foldOfUser = new Map<string, number>();
    folds.forEach((fold, f) => {
      for (const i of fold.validation) {
        const user = records[i]?.user as string;
        expect(foldOfUser.get(user) ?? f).toBe(f);
        foldOfUser.set(user, f);
      }
    });
    expect(foldOfUser.size).toBe(17);
    const sizes = folds.map((f) => f.validation.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(6);
  });

  it('groups and stratifies together', () => {
    // 24 single-label groups of 3: 16 'x' groups, 8 'y' groups.
    const records = range(72).map((i) => ({
      g: Math.floor(i / 3),
      y: Math.floor(i / 3) % 3 === 0 ? 'y' : 'x',
    }));
    const folds = kFold(records, { k: 4, groupBy: 'g', stratifyBy: 'y' });
    expectFolds(folds, 72);
    for (const fold of folds) {
      const ys = fold.validation.filter((i) => records[i]?.y === 'y').length;
      expect(ys).toBe(6);
      expect(fold.validation).toHaveLength(18);
    }
  });

  it('rejects bad k, rare classes, missing fields and too few groups', () => {
    const records = range(6).map((id) => ({ id, label: id < 4 ? 'common' : 'rare' }));
    const check = (fn: () => unknown, pattern: RegExp) => {
      expect(fn).toThrowError(DataError);
      expect(fn).toThrowError(pattern);
    };
    check(() => kFold(records, { k: 1 }), /"k" must be an integer ≥ 2, got 1/);
    check(() => kFold(records, { k: 2.5 }), /"k" must be an integer ≥ 2/);
    check(() => kFold(records, { k: 7 }), /"k" \(7\) is larger than the number of records \(6\)/);
    check(
      () => kFold(records, { k: 3, stratifyBy: 'label' }),
      /class "rare" has 2 record\(s\), fewer than k = 3/,
    );
    check(
      () => kFold([...records, { id: 6 }], { k: 2, stratifyBy: 'label' }),
      /the record at index 6 has no value \(field "label" is missing\)/,
    );
    check(
      () => kFold(records, { k: 3, groupBy: 'label' }),
      /only 2 distinct group\(s\), fewer than k = 3/,
    );
    check(() => kFold(null as never, { k: 2 }), /expects an array/);
  });
});
