// Token selection on hand-made distributions: top-k / top-p keep exactly the tokens worked out by
// hand, seeded draws follow the filtered probabilities.
import { createRng } from '@ft/data';
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import {
  argmax,
  checkSamplingOptions,
  processLogits,
  sampleIndex,
  selectToken,
  softmax,
  topKFilter,
  topPFilter,
} from './sampling.js';

const NEG = Number.NEGATIVE_INFINITY;
const kept = (filtered: Float64Array) =>
  Array.from(filtered).flatMap((v, i) => (v === NEG ? [] : [i]));

describe('sampling', () => {
  it('softmax and argmax', () => {
    const p = softmax([0, Math.log(3), NEG]);
    expect(p[0]).toBeCloseTo(0.25, 15);
    expect(p[1]).toBeCloseTo(0.75, 15);
    expect(p[2]).toBe(0);
    expect(argmax([1, 4, 4, 2])).toBe(1); // first of a tie, like torch.argmax
  });

  it('top-k keeps the k largest logits (and ties at the k-th value)', () => {
    expect(kept(topKFilter([1, 3, 2, 0.5, 0], 2))).toEqual([1, 2]);
    expect(kept(topKFilter([1, 3, 2, 3, 0], 2))).toEqual([1, 3]);
    expect(kept(topKFilter([1, 3, 2, 2, 0], 2))).toEqual([1, 2, 3]);
    expect(kept(topKFilter([1, 3, 2], 0))).toEqual([0, 1, 2]);
    expect(kept(topKFilter([1, 3, 2], 5))).toEqual([0, 1, 2]);
  });

  it('top-p keeps the smallest most-likely set reaching p (hand-made distribution)', () => {
    // Probabilities 0.05, 0.5, 0.15, 0.3 in scrambled order.
    const logits = [0.05, 0.5, 0.15, 0.3].map(Math.log);
    expect(kept(topPFilter(logits, 0.1))).toEqual([1]); // the top token always stays
    expect(kept(topPFilter(logits, 0.49))).toEqual([1]);
    expect(kept(topPFilter(logits, 0.51))).toEqual([1, 3]);
    expect(kept(topPFilter(logits, 0.79))).toEqual([1, 3]);
    expect(kept(topPFilter(logits, 0.81))).toEqual([1, 2, 3]);
    expect(kept(topPFilter(logits, 0.96))).toEqual([0, 1, 2, 3]);
    expect(kept(topPFilter(logits, 1))).toEqual([0, 1, 2, 3]);
    // Kept logits are unchanged.
    expect(topPFilter(logits, 0.6)[3]).toBe(logits[3]);
  });

  it('temperature scales before top-k and top-p (HF order)', () => {
    const logits = [2, 1, 0];
    expect(Array.from(processLogits(logits, { temperature: 0.5 }))).toEqual([4, 2, 0]);
    // At T = 0.5 the top token has p = e⁴/(e⁴+e²+1) ≈ 0.867 ≥ 0.8: alone in the nucleus; at
    // T = 1 it has 0.665 < 0.8, so the second token joins.
    expect(kept(processLogits(logits, { temperature: 0.5, topP: 0.8 }))).toEqual([0]);
    expect(kept(processLogits(logits, { topP: 0.8 }))).toEqual([0, 1]);
    expect(kept(processLogits([3, 1, 2, 0], { topK: 3, topP: 0.5 }))).toEqual([0]);
  });

  it('seeded draws follow the filtered probabilities', () => {
    const rng = createRng(7);
    const counts = [0, 0, 0];
    for (let i = 0; i < 20000; i++) {
      const k = sampleIndex([0.2, 0.5, 0.3], rng);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    // Binomial std ≈ 0.0035 at n = 20000: 0.015 is > 4σ.
    expect(Math.abs((counts[0] as number) / 20000 - 0.2)).toBeLessThan(0.015);
    expect(Math.abs((counts[1] as number) / 20000 - 0.5)).toBeLessThan(0.015);

    // Nucleus 0.7 of (0.05, 0.5, 0.15, 0.3): tokens 1 and 3, renormalised to 0.625 / 0.375.
    const logits = [0.05, 0.5, 0.15, 0.3].map(Math.log);
    const draws = new Map<number, number>();
    const r2 = createRng(8);
    for (let i = 0; i < 20000; i++) {
      const t = selectToken(logits, { doSample: true, topP: 0.7 }, r2);
      draws.set(t, (draws.get(t) ?? 0) + 1);
    }
    expect([...draws.keys()].sort()).toEqual([1, 3]);
    expect(Math.abs((draws.get(1) ?? 0) / 20000 - 0.625)).toBeLessThan(0.015);

    const a = createRng(3);
    const b = createRng(3);
    const seqA = Array.from({ length: 50 }, () => selectToken(logits, { doSample: true }, a));
    const seqB = Array.from({ length: 50 }, () => selectToken(logits, { doSample: true }, b));
    expect(seqA).toEqual(seqB);
    expect(new Set(seqA).size).toBeGreaterThan(1);
    expect(selectToken(logits, {}, a)).toBe(1); // greedy ignores the rng
  });

  it('rejects bad options with the field and the fix', () => {
    expect(() => checkSamplingOptions({ temperature: 0 })).toThrow(/temperature.*doSample: false/);
    expect(() => checkSamplingOptions({ topK: 1.5 })).toThrow(TrainerError);
    expect(() => checkSamplingOptions({ topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect(() => checkSamplingOptions({ topP: 1.2 })).toThrow(/topP/);
  });
});
