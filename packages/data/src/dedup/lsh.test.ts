import { describe, expect, it } from 'vitest';
import {
  createDedupNormalizer,
  createMinHasher,
  createRng,
  DataError,
  dedup,
  dedupNear,
  jaccardSorted,
  lshCandidateProbability,
  optimalLshParams,
} from '../index.js';

/** Seeded documents of 60–80 words over a 3000-word vocabulary: pairwise Jaccard ≈ 0. */
function corpus(seed: number, count: number): string[][] {
  const rng = createRng(seed);
  const vocabulary = Array.from(
    { length: 3000 },
    (_, i) => `ord${i}${String.fromCharCode(97 + (i % 26))}`,
  );
  return Array.from({ length: count }, () =>
    Array.from({ length: 60 + rng.int(21) }, () => rng.pick(vocabulary)),
  );
}

/** Replaces `edits` words (at fixed spread-out positions) with new words. */
function edit(words: string[], edits: number): string[] {
  const out = [...words];
  for (let e = 0; e < edits; e++) out[(e * 17 + 5) % out.length] = `edited${e}`;
  return out;
}

describe('optimalLshParams', () => {
  it("matches datasketch's _optimal_param for 128 permutations", () => {
    // (5, 25) for 0.9 is the example in datasketch's MinHashLSH docstring; the others are what its
    // _optimal_param (scipy quad, weights 0.5/0.5) returns for the same arguments.
    expect(optimalLshParams(0.9, 128)).toEqual({ bands: 5, rows: 25 });
    expect(optimalLshParams(0.8, 128)).toEqual({ bands: 9, rows: 13 });
    expect(optimalLshParams(0.5, 128)).toEqual({ bands: 25, rows: 5 });
    expect(optimalLshParams(0.7, 128)).toEqual({ bands: 14, rows: 9 });
    expect(optimalLshParams(0.85, 64)).toEqual({ bands: 4, rows: 15 });
  });

  it('moves toward recall when false negatives weigh more', () => {
    const balanced = optimalLshParams(0.8, 128);
    const recall = optimalLshParams(0.8, 128, [0.1, 0.9]);
    expect(recall).toEqual({ bands: 14, rows: 9 });
    expect(lshCandidateProbability(0.8, recall)).toBeGreaterThan(
      lshCandidateProbability(0.8, balanced),
    );
  });

  it('gives an S-curve rising through the threshold', () => {
    for (const threshold of [0.5, 0.8]) {
      const params = optimalLshParams(threshold, 128);
      expect(params.bands * params.rows).toBeLessThanOrEqual(128);
      let previous = -1;
      for (let s = 0; s <= 1.0001; s += 0.05) {
        const p = lshCandidateProbability(s, params);
        expect(p).toBeGreaterThanOrEqual(previous);
        previous = p;
      }
      expect(lshCandidateProbability(threshold, params)).toBeGreaterThan(0.3);
      expect(lshCandidateProbability(threshold, params)).toBeLessThan(0.8);
      expect(lshCandidateProbability(threshold - 0.3, params)).toBeLessThan(0.02);
      expect(lshCandidateProbability(Math.min(1, threshold + 0.15), params)).toBeGreaterThan(0.9);
    }
    // 1 − (1 − 0.5⁵)²⁵ by hand: 1 − (31/32)²⁵ = 0.5478…
    expect(lshCandidateProbability(0.5, { bands: 25, rows: 5 })).toBeCloseTo(0.547836, 5);
  });

  it('rejects thresholds, permutation counts and weights it cannot use', () => {
    expect(() => optimalLshParams(0, 128)).toThrow(/"threshold" must be in \(0, 1\]/);
    expect(() => optimalLshParams(1.2, 128)).toThrow(DataError);
    expect(() => optimalLshParams(0.8, 1)).toThrow(/"numPerm" must be an integer ≥ 2/);
    expect(() => optimalLshParams(0.8, 128, [0, 0])).toThrow(/"weights"/);
  });
});

describe('dedupNear', () => {
  const docs = corpus(11, 40);
  // Copies with 2 or 3 replaced words of documents 3, 10 and 20, plus one far-edited copy (25
  // of ~70 words replaced) that must stay.
  const texts = [
    ...docs.map((d) => d.join(' ')),
    edit(docs[3] as string[], 2).join(' '),
    edit(docs[10] as string[], 3).join(' '),
    edit(docs[20] as string[], 2).join(' '),
    edit(docs[30] as string[], 25).join(' '),
  ];
  const records = texts.map((text, id) => ({ id, text }));
  const hasher = createMinHasher();
  const norm = createDedupNormalizer();
  const exactJaccard = (i: number, j: number) =>
    jaccardSorted(
      hasher.shingleSet(norm(texts[i] as string)),
      hasher.shingleSet(norm(texts[j] as string)),
    );

  it('removes the planted near-duplicates and nothing else', () => {
    const result = dedupNear(records, { key: 'text' });
    expect(result.removed.map((r) => [r.index, r.duplicateOf, r.reason])).toEqual([
      [40, 3, 'near'],
      [41, 10, 'near'],
      [42, 20, 'near'],
    ]);
    for (const r of result.removed) {
      expect(r.similarity).toBeGreaterThanOrEqual(0.8);
      expect(r.similarity).toBeCloseTo(exactJaccard(r.index, r.duplicateOf), 12);
    }
    expect(exactJaccard(43, 30)).toBeLessThan(0.5);
    expect(result.report).toEqual({ input: 44, kept: 41, removedExact: 0, removedNear: 3 });
    expect(result.kept).toHaveLength(41);
    expect(result.keptIndices).not.toContain(40);
  });

  it('finds the same pairs from MinHash estimates with verify: false', () => {
    const result = dedupNear(records, { key: 'text', verify: false });
    expect(result.removed.map((r) => r.index)).toEqual([40, 41, 42]);
    for (const r of result.removed) {
      expect(
        Math.abs((r.similarity as number) - exactJaccard(r.index, r.duplicateOf)),
      ).toBeLessThan(0.15);
    }
  });

  it('keeps the lowest index of a cluster and follows the threshold', () => {
    const base = docs[0] as string[];
    const once = edit(base, 3);
    const twice = [...once];
    for (let e = 0; e < 3; e++) twice[(e * 13 + 40) % twice.length] = `again${e}`;
    const chain = [
      twice.join(' '),
      base.join(' '),
      once.join(' '),
      (docs[1] as string[]).join(' '),
    ];
    const result = dedupNear(
      chain.map((text) => ({ text })),
      { key: 'text', threshold: 0.75 },
    );
    expect(result.keptIndices).toEqual([0, 3]);
    expect(result.removed.map((r) => r.duplicateOf)).toEqual([0, 0]);
    // A pair around 0.6 is a duplicate at threshold 0.5 but not at 0.8.
    const half = [base.join(' '), edit(base, 9).join(' ')];
    const j = jaccardSorted(
      hasher.shingleSet(half[0] as string),
      hasher.shingleSet(half[1] as string),
    );
    expect(j).toBeGreaterThan(0.5);
    expect(j).toBeLessThan(0.8);
    const recs = half.map((text) => ({ text }));
    expect(dedupNear(recs, { key: 'text', threshold: 0.8 }).report.removedNear).toBe(0);
    expect(dedupNear(recs, { key: 'text', threshold: 0.5 }).report.removedNear).toBe(1);
  });

  it('finds Amharic near-duplicates with character shingles', () => {
    const amharic = [
      'የማሽን ትምህርት ንጹህ የስልጠና መረጃ ይፈልጋል። ሞዴሎች ብዙ ምሳሌዎችን ይማራሉ እና ውጤቱን ይገመግማሉ።',
      'ነገ ስለ ደረሰኙ ደውልልኝ። ስብሰባው በጠዋት ይጀምራል እና እስከ ምሳ ሰዓት ይቆያል።',
      'የማሽን ትምህርት ንጹህ የስልጠና መረጃ ይፈልጋል። ሞዴሎች ብዙ ምሳሌዎችን ይማራሉ እና ውጤቱን ይገመግማሉ!',
    ];
    const result = dedupNear(
      amharic.map((text) => ({ text })),
      { key: 'text' },
    );
    expect(result.removed.map((r) => [r.index, r.duplicateOf])).toEqual([[2, 0]]);
  });

  it('rejects bad options and records', () => {
    expect(() => dedupNear(records, { key: 'text', threshold: 0 })).toThrow(/"threshold"/);
    expect(() => dedupNear(records, { key: 'text', numPerm: 1 })).toThrow(/"numPerm"/);
    expect(() => dedupNear([{ text: 'a' }, {}], { key: 'text' })).toThrow(/index 1/);
  });
});

describe('dedup', () => {
  it('runs exact then near dedup with one report in input indices', () => {
    const docs = corpus(5, 10).map((d) => d.join(' '));
    const texts = [
      docs[0] as string,
      (docs[0] as string).toUpperCase(),
      docs[1] as string,
      edit((docs[1] as string).split(' '), 2).join(' '),
      docs[2] as string,
      `  ${docs[2]}  `,
      edit((docs[2] as string).split(' '), 1).join(' '),
    ];
    const records = texts.map((text) => ({ text }));
    const result = dedup(records, { exact: { key: 'text' }, near: { key: 'text' } });
    expect(result.report).toEqual({ input: 7, kept: 3, removedExact: 2, removedNear: 2 });
    expect(result.keptIndices).toEqual([0, 2, 4]);
    expect(result.kept).toEqual([records[0], records[2], records[4]]);
    expect(result.removed.map((r) => [r.index, r.duplicateOf, r.reason])).toEqual([
      [1, 0, 'exact'],
      [3, 2, 'near'],
      [5, 4, 'exact'],
      [6, 4, 'near'],
    ]);
  });

  it('handles an empty dataset', () => {
    const result = dedup([], { exact: { key: 'text' }, near: { key: 'text' } });
    expect(result.report).toEqual({ input: 0, kept: 0, removedExact: 0, removedNear: 0 });
    expect(result.kept).toEqual([]);
  });

  it('needs at least one stage', () => {
    expect(() => dedup([], {})).toThrow(/needs option "exact", option "near", or both/);
  });
});
