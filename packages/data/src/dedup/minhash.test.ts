import { describe, expect, it } from 'vitest';
import { createMinHasher, createRng, estimateJaccard, jaccardSorted } from '../index.js';

/** Independent reference: exact Jaccard on the sets of character n-gram strings. */
function charJaccard(a: string, b: string, n: number): number {
  const grams = (t: string) =>
    new Set(Array.from({ length: t.length - n + 1 }, (_, i) => t.slice(i, i + n)));
  const A = grams(a);
  const B = grams(b);
  let common = 0;
  for (const g of A) if (B.has(g)) common++;
  return common / (A.size + B.size - common);
}

function randomWords(
  rng: ReturnType<typeof createRng>,
  vocabulary: string[],
  count: number,
): string[] {
  return Array.from({ length: count }, () => rng.pick(vocabulary));
}

describe('createMinHasher', () => {
  it('makes deterministic signatures of numPerm values that depend on the seed', () => {
    const text = 'den snabba bruna räven hoppar över den lata hunden';
    const a = createMinHasher({ numPerm: 64, seed: 7 }).signature(text);
    const b = createMinHasher({ numPerm: 64, seed: 7 }).signature(text);
    const c = createMinHasher({ numPerm: 64, seed: 8 }).signature(text);
    expect(a).toHaveLength(64);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(estimateJaccard(a, c)).toBeLessThan(0.1);
  });

  it('gives the empty text an all-max signature, and one shingle to texts shorter than n', () => {
    const hasher = createMinHasher({ numPerm: 8 });
    expect(Array.from(hasher.signature(''))).toEqual(new Array(8).fill(0xffffffff));
    expect(hasher.shingleSet('')).toHaveLength(0);
    expect(hasher.shingleSet('abc')).toHaveLength(1);
    expect(hasher.shingleSet('abcdef')).toHaveLength(2);
    // Repeated shingles count once: "aaaaaaa" has one distinct 5-gram.
    expect(hasher.shingleSet('aaaaaaa')).toHaveLength(1);
    const words = createMinHasher({ shingle: { type: 'word', size: 2 } });
    expect(words.shingleSet('a b c')).toHaveLength(2);
    expect(words.shingleSet('  a\u00a0 b\t\nc ')).toEqual(words.shingleSet('a b c'));
    expect(words.shingleSet('a b a b')).toHaveLength(2);
    expect(words.shingleSet('ሰላም')).toHaveLength(1);
  });

  it('fills a slice of a shared buffer exactly like signature()', () => {
    const hasher = createMinHasher({ numPerm: 6 });
    const out = new Uint32Array(18);
    hasher.signatureInto('ring mig i morgon', out, 6);
    expect(Array.from(out.subarray(6, 12))).toEqual(
      Array.from(hasher.signature('ring mig i morgon')),
    );
    expect(Array.from(out.subarray(0, 6))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('estimates Jaccard within the binomial error on 300 pairs of known similarity', () => {
    const numPerm = 128;
    const rng = createRng(3);
    const vocabulary = Array.from({ length: 2000 }, (_, i) => `w${(i * 7919) % 10007}x`);
    const hasher = createMinHasher({ numPerm, seed: 1 });
    let absError = 0;
    let signedError = 0;
    let expectedAbs = 0;
    let worst = 0;
    const pairs = 300;
    for (let p = 0; p < pairs; p++) {
      const base = randomWords(rng, vocabulary, 40);
      // Replace a varying share of the words so similarities spread over (0, 1].
      const other = base.map((w) => (rng.next() < (p % 10) / 10 ? rng.pick(vocabulary) : w));
      const a = base.join(' ');
      const b = other.join(' ');
      const exact = charJaccard(a, b, 5);
      const estimate = estimateJaccard(hasher.signature(a), hasher.signature(b));
      const error = estimate - exact;
      absError += Math.abs(error);
      signedError += error;
      worst = Math.max(worst, Math.abs(error));
      // E|X − J| for a binomial mean of numPerm trials ≈ √(2/π)·√(J(1−J)/numPerm).
      expectedAbs += Math.sqrt(2 / Math.PI) * Math.sqrt((exact * (1 - exact)) / numPerm);
    }
    const mae = absError / pairs;
    expect(mae).toBeLessThan(1.25 * (expectedAbs / pairs));
    expect(mae).toBeLessThan(1 / Math.sqrt(numPerm));
    expect(Math.abs(signedError / pairs)).toBeLessThan(0.01);
    expect(worst).toBeLessThan(3 / Math.sqrt(numPerm));
  });

  it('rejects bad options', () => {
    expect(() => createMinHasher({ numPerm: 0 })).toThrow(/"numPerm" must be a positive integer/);
    expect(() => createMinHasher({ shingle: { type: 'char', size: 2.5 } })).toThrow(
      /"shingle.size"/,
    );
    expect(() => createMinHasher({ shingle: { type: 'line' as never, size: 2 } })).toThrow(
      /"shingle.type" must be 'char' or 'word'/,
    );
  });
});

describe('Jaccard helpers', () => {
  it('computes exact Jaccard of sorted sets by hand-checked cases', () => {
    const s = (...v: number[]) => Uint32Array.from(v);
    expect(jaccardSorted(s(1, 2, 3), s(2, 3, 4))).toBe(0.5);
    expect(jaccardSorted(s(1, 2), s(3, 4))).toBe(0);
    expect(jaccardSorted(s(), s())).toBe(1);
    expect(jaccardSorted(s(5), s())).toBe(0);
    expect(jaccardSorted(s(1, 0xffffffff), s(0xffffffff))).toBe(0.5);
  });

  it('matches the string-set Jaccard through hashed shingles', () => {
    const hasher = createMinHasher();
    const a = 'maskininlärning kräver ren träningsdata på svenska';
    const b = 'maskininlärning kräver mycket ren träningsdata på svenska';
    expect(jaccardSorted(hasher.shingleSet(a), hasher.shingleSet(b))).toBeCloseTo(
      charJaccard(a, b, 5),
      12,
    );
  });

  it('estimates from equal slots and rejects mismatched signatures', () => {
    expect(estimateJaccard(Uint32Array.from([1, 2, 3, 4]), Uint32Array.from([1, 9, 3, 9]))).toBe(
      0.5,
    );
    expect(() => estimateJaccard(new Uint32Array(4), new Uint32Array(5))).toThrow(/equally long/);
  });
});
