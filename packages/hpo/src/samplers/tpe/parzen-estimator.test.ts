// Parzen estimator and truncated-normal helpers against Optuna 3.1's _ParzenEstimator kernels and
// scipy densities/quantiles (fixtures/*.py generated the JSON files beside this test).

import { createRng } from '@ft/data';
import { describe, expect, it } from 'vitest';
import { createParzenEstimator, type Distribution, defaultWeights, HpoError } from '../../index.js';
import cases from './fixtures/parzen_estimator.json' with { type: 'json' };
import truncnorm from './fixtures/truncnorm.json' with { type: 'json' };
// Internal numerics, not part of the public API.
import { logGaussMass, truncnormPpf } from './truncnorm.js';

interface Case {
  label: string;
  space: Record<string, Distribution>;
  observations: Record<string, number[]>;
  samples: Record<string, number[]>;
  parameters: {
    multivariate: boolean;
    considerEndpoints: boolean;
    considerMagicClip: boolean;
    priorWeight: number;
  };
  predeterminedWeights: number[] | null;
  weights: number[];
  mus: Record<string, number[]>;
  sigmas: Record<string, number[]>;
  categoricalWeights: Record<string, number[]>;
  logPdf: number[];
  logPdfNormalized: number[];
}

function fit(c: Case, normalizedKernels = false) {
  return createParzenEstimator(
    c.observations,
    c.space,
    { considerPrior: true, weights: defaultWeights, normalizedKernels, ...c.parameters },
    c.predeterminedWeights ?? undefined,
  );
}

describe('createParzenEstimator (Optuna 3.1 reference)', () => {
  for (const c of cases as unknown as Case[]) {
    it(`matches kernels and log-pdf: ${c.label}`, () => {
      const pe = fit(c);
      expect(Array.from(pe.weights)).toEqual(c.weights.map((w) => expect.closeTo(w, 12)));
      for (const [name, mus] of Object.entries(c.mus)) {
        expect(Array.from(pe.mus[name] ?? [])).toEqual(mus.map((m) => expect.closeTo(m, 12)));
        const sigmas = c.sigmas[name] ?? [];
        expect(Array.from(pe.sigmas[name] ?? [])).toEqual(sigmas.map((s) => expect.closeTo(s, 12)));
      }
      for (const [name, probs] of Object.entries(c.categoricalWeights)) {
        expect(Array.from(pe.categoricalWeights[name] ?? [])).toEqual(
          probs.map((p) => expect.closeTo(p, 12)),
        );
      }
      const samples: Record<string, Float64Array> = {};
      for (const [name, xs] of Object.entries(c.samples)) samples[name] = Float64Array.from(xs);
      expect(Array.from(pe.logPdf(samples))).toEqual(c.logPdf.map((v) => expect.closeTo(v, 9)));
      const normalized = fit(c, true).logPdf(samples);
      expect(Array.from(normalized)).toEqual(c.logPdfNormalized.map((v) => expect.closeTo(v, 9)));
    });
  }

  it('samples stay inside the space and follow the mixture (int: probabilities sum to 1)', () => {
    const space: Record<string, Distribution> = {
      n: { type: 'int', low: 1, high: 6, log: false, step: 1 },
    };
    const pe = createParzenEstimator({ n: [2, 2, 5] }, space, {
      considerPrior: true,
      priorWeight: 1,
      considerMagicClip: true,
      considerEndpoints: false,
      weights: defaultWeights,
      multivariate: false,
    });
    const all = Float64Array.from([1, 2, 3, 4, 5, 6]);
    const probs = Array.from(pe.logPdf({ n: all }), Math.exp);
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const draws = pe.sample(createRng(7), 6000).n as Float64Array;
    const freq = [1, 2, 3, 4, 5, 6].map((v) => draws.filter((d) => d === v).length / draws.length);
    for (let i = 0; i < 6; i++)
      expect(Math.abs((freq[i] as number) - (probs[i] as number))).toBeLessThan(0.025);
  });

  it('rejects observations of different lengths and bad weights', () => {
    const space: Record<string, Distribution> = {
      x: { type: 'float', low: 0, high: 1, log: false },
      y: { type: 'float', low: 0, high: 1, log: false },
    };
    const params = {
      considerPrior: true,
      priorWeight: 1,
      considerMagicClip: true,
      considerEndpoints: false,
      weights: defaultWeights,
      multivariate: true,
    };
    expect(() => createParzenEstimator({ x: [0.1, 0.2], y: [0.3] }, space, params)).toThrow(
      /observations of "y"/,
    );
    expect(() =>
      createParzenEstimator({ x: [0.1], y: [0.2] }, space, { ...params, weights: () => [-1] }),
    ).toThrow(HpoError);
  });
});

describe('truncated normal helpers (scipy reference)', () => {
  it('log mass of an interval, including far tails', () => {
    for (const { a, b, logMass } of truncnorm.logMass) {
      expect(logGaussMass(a, b)).toBeCloseTo(logMass, 8);
    }
  });

  it('quantiles match scipy.stats.truncnorm.ppf', () => {
    for (const { q, a, b, ppf } of truncnorm.ppf) {
      expect(truncnormPpf(q, a, b)).toBeCloseTo(ppf, 6);
    }
  });
});
