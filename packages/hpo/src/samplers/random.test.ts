import { describe, expect, it } from 'vitest';
import {
  createRandomSampler,
  createStudy,
  type Distribution,
  type FrozenTrial,
  HpoError,
  type ParamValue,
  type StudyView,
} from '../index.js';

const view: StudyView = { name: 's', directions: ['minimize'], trials: [] };
const trial: FrozenTrial = {
  number: 0,
  state: 'running',
  params: {},
  distributions: {},
  intermediateValues: {},
  userAttrs: {},
  systemAttrs: {},
};

function draw(distribution: Distribution, n: number, seed = 11): ParamValue[] {
  const sampler = createRandomSampler({ seed });
  return Array.from({ length: n }, () => sampler.sampleIndependent(view, trial, 'p', distribution));
}

function frequencies(values: ParamValue[]): Map<ParamValue, number> {
  const counts = new Map<ParamValue, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1 / values.length);
  return counts;
}

const N = 6000;
// 4 standard deviations of a frequency estimate with p ≤ 0.5.
const TOL = 4 * Math.sqrt(0.25 / N);

describe('random sampler (Optuna RandomSampler semantics)', () => {
  it('is reproducible from its seed and differs across seeds', () => {
    const d: Distribution = { type: 'float', low: 0, high: 1, log: false };
    expect(draw(d, 5, 3)).toEqual(draw(d, 5, 3));
    expect(draw(d, 5, 3)).not.toEqual(draw(d, 5, 4));
  });

  it('draws floats uniformly in [low, high)', () => {
    const xs = draw({ type: 'float', low: -2, high: 6, log: false }, N) as number[];
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(-2);
    expect(Math.max(...xs)).toBeLessThan(6);
    // Uniform on [-2, 6]: mean 2, P(x < 0) = 0.25.
    expect(xs.reduce((a, b) => a + b, 0) / N).toBeCloseTo(2, 0);
    expect(xs.filter((x) => x < 0).length / N).toBeGreaterThan(0.25 - TOL);
    expect(xs.filter((x) => x < 0).length / N).toBeLessThan(0.25 + TOL);
  });

  it('draws log floats uniformly in log space', () => {
    const xs = draw({ type: 'float', low: 1e-4, high: 1, log: true }, N) as number[];
    // log10 uniform on [-4, 0]: P(x < 1e-3) = 0.25, P(x < 1e-2) = 0.5.
    const below3 = xs.filter((x) => x < 1e-3).length / N;
    const below2 = xs.filter((x) => x < 1e-2).length / N;
    expect(Math.abs(below3 - 0.25)).toBeLessThan(TOL);
    expect(Math.abs(below2 - 0.5)).toBeLessThan(TOL);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(1e-4);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('puts stepped floats on the grid with equal mass per point (half-step margins)', () => {
    const xs = draw({ type: 'float', low: 0, high: 1, log: false, step: 0.25 }, N) as number[];
    const f = frequencies(xs);
    expect([...f.keys()].sort()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    for (const p of f.values()) expect(Math.abs(p - 0.2)).toBeLessThan(TOL);
  });

  it('draws stepped ints uniformly over low + k·step', () => {
    const xs = draw({ type: 'int', low: 0, high: 10, log: false, step: 2 }, N) as number[];
    const f = frequencies(xs);
    expect([...f.keys()].sort((a, b) => (a as number) - (b as number))).toEqual([
      0, 2, 4, 6, 8, 10,
    ]);
    for (const p of f.values()) expect(Math.abs(p - 1 / 6)).toBeLessThan(TOL);
  });

  it('draws log ints with P(k) = ln((k+½)/(k−½)) / ln((high+½)/(low−½))', () => {
    const xs = draw({ type: 'int', low: 1, high: 100, log: true, step: 1 }, N) as number[];
    const f = frequencies(xs);
    const denominator = Math.log(100.5 / 0.5);
    for (const k of [1, 2, 3, 10]) {
      const expected = Math.log((k + 0.5) / (k - 0.5)) / denominator; // k=1: 0.2072
      expect(Math.abs((f.get(k) ?? 0) - expected)).toBeLessThan(TOL);
    }
    expect(xs.every((x) => Number.isInteger(x) && x >= 1 && x <= 100)).toBe(true);
  });

  it('picks categorical choices uniformly', () => {
    const f = frequencies(draw({ type: 'categorical', choices: ['a', null, true, 3] }, N));
    expect(f.size).toBe(4);
    for (const p of f.values()) expect(Math.abs(p - 0.25)).toBeLessThan(TOL);
  });

  it('rejects a non-integer seed', () => {
    expect(() => createRandomSampler({ seed: 1.5 })).toThrow(HpoError);
  });

  it('makes a seeded study reproducible', async () => {
    const run = async () => {
      const study = await createStudy({ seed: 42 });
      await study.optimize(
        (t) =>
          t.suggestFloat('x', -1, 1) +
          t.suggestInt('n', 1, 64, { log: true }) +
          (t.suggestCategorical('c', ['a', 'b']) === 'a' ? 0 : 1),
        { nTrials: 8 },
      );
      return (await study.getTrials()).map((t) => t.params);
    };
    const first = await run();
    expect(await run()).toEqual(first);
    expect(new Set(first.map((p) => p.x)).size).toBe(8);
  });
});
