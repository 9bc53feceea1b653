// TPE sampler behaviour: reproducibility, beating random search, Optuna's split rules (pruned
// trials, constant liar, constraints, multi-objective), multivariate/group modes and bad options.

import { describe, expect, it } from 'vitest';
import {
  createTpeSampler,
  defaultGamma,
  defaultWeights,
  type FrozenTrial,
  HpoError,
  hyperoptDefaultGamma,
  type Sampler,
} from '../index.js';
import suggestions from './fixtures/tpe_suggestions.json' with { type: 'json' };
import { sampleUniform, seededRng } from './sampler-utils.js';
import { bestValue, type LoopContext, runLoop } from './testing.js';
import { splitObservations } from './tpe.js';

const quadratic = (c: LoopContext) => {
  const x = c.suggestFloat('x', -10, 10);
  const y = c.suggestFloat('y', -10, 10);
  return (x - 2) ** 2 + (y + 3) ** 2;
};

function randomSampler(seed: number): Sampler {
  const rng = seededRng(seed, 'random-baseline');
  return { name: 'random', sampleIndependent: (_s, _t, _n, d) => sampleUniform(rng, d) };
}

function finished(number: number, value: number, params: Record<string, number> = {}): FrozenTrial {
  const distributions: FrozenTrial['distributions'] = {};
  for (const k of Object.keys(params))
    distributions[k] = { type: 'float', low: -10, high: 10, log: false };
  return {
    number,
    state: 'complete',
    values: [value],
    params,
    distributions,
    intermediateValues: {},
    userAttrs: {},
    systemAttrs: {},
  };
}

describe('defaults (Optuna 3.1 values)', () => {
  it('gamma and weights', () => {
    expect([1, 10, 11, 100, 300].map(defaultGamma)).toEqual([1, 1, 2, 10, 25]);
    expect([1, 16, 17, 10_000].map(hyperoptDefaultGamma)).toEqual([1, 1, 2, 25]);
    expect(Array.from(defaultWeights(3))).toEqual([1, 1, 1]);
    // np.linspace(1/30, 1, 5) then 25 ones
    const w = Array.from(defaultWeights(30));
    expect(w.slice(0, 5)).toEqual(
      [1 / 30, 0.275, 0.5166666666666667, 0.7583333333333333, 1].map((v) => expect.closeTo(v, 12)),
    );
    expect(w.slice(5)).toEqual(new Array(25).fill(1));
  });
});

describe('createTpeSampler', () => {
  it('is reproducible with a seed and differs across seeds', () => {
    const run = (seed: number) =>
      runLoop({ sampler: createTpeSampler({ seed }), nTrials: 25, objective: quadratic }).map(
        (t) => t.params,
      );
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });

  it('suggests from the same distribution as Optuna 3.1 for a fixed history', () => {
    // fixtures/tpe_suggestions.py: quantiles of 1000 Optuna suggestions (one per seed).
    const d = { type: 'float', low: -5, high: 10, log: false } as const;
    const space = { x1: d, x2: { ...d, low: 0, high: 15 } };
    const trials: FrozenTrial[] = suggestions.history.map((h, i) => ({
      ...finished(i, h.value, h.params),
      distributions: space,
    }));
    const current: FrozenTrial = { ...finished(40, 0), state: 'running', values: undefined };
    const study = { name: 's', directions: ['minimize' as const], trials: [...trials, current] };
    for (const name of ['x1', 'x2'] as const) {
      const draws = Array.from(
        { length: 400 },
        (_, seed) =>
          createTpeSampler({ seed }).sampleIndependent(study, current, name, space[name]) as number,
      ).sort((a, b) => a - b);
      suggestions.quantiles.forEach((q, k) => {
        const ours = draws[Math.round(q * (draws.length - 1))] as number;
        const theirs = suggestions.optuna[name][k] as number;
        // Sampling error of a quantile from 400 draws is a few hundredths here.
        expect(Math.abs(ours - theirs)).toBeLessThan(q === 0.1 ? 0.6 : 0.15);
      });
    }
  });

  it('beats random search on a 2-D quadratic on average over seeds', () => {
    const seeds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const tpe = seeds.map((seed) =>
      bestValue(
        runLoop({ sampler: createTpeSampler({ seed }), nTrials: 50, objective: quadratic }),
      ),
    );
    const rnd = seeds.map((seed) =>
      bestValue(runLoop({ sampler: randomSampler(seed), nTrials: 50, objective: quadratic })),
    );
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(tpe)).toBeLessThan(0.6 * mean(rnd));
    expect(tpe.filter((v, i) => v < (rnd[i] as number)).length).toBeGreaterThanOrEqual(6);
  });

  it('multivariate and group modes also optimise, sampling jointly', () => {
    const warnings: string[] = [];
    // Median over seeds: a single 40-trial run is at the mercy of its seed.
    const bests = [0, 1, 2, 3, 4]
      .map((seed) => {
        const mv = createTpeSampler({ seed, multivariate: true, logger: (m) => warnings.push(m) });
        return bestValue(runLoop({ sampler: mv, nTrials: 40, objective: quadratic }));
      })
      .sort((a, b) => a - b);
    expect(bests[2]).toBeLessThan(1);
    expect(warnings).toEqual([]);
    const grouped = createTpeSampler({
      seed: 1,
      multivariate: true,
      group: true,
      logger: () => {},
    });
    const conditional = runLoop({
      sampler: grouped,
      nTrials: 40,
      objective: (c) => {
        const kind = c.suggest('kind', { type: 'categorical', choices: ['a', 'b'] });
        const x = c.suggestFloat(kind === 'a' ? 'xa' : 'xb', -10, 10);
        return kind === 'a' ? (x - 1) ** 2 : 5 + x * x;
      },
    });
    expect(bestValue(conditional)).toBeLessThan(0.5);
    const space = grouped.inferRelativeSearchSpace?.(
      { name: 's', directions: ['minimize'], trials: conditional },
      conditional.at(-1) as FrozenTrial,
    );
    expect(Object.keys(space ?? {}).sort()).toEqual(['kind', 'xa', 'xb']);
  });

  it('handles int, log, step and categorical parameters inside their domains', () => {
    const trials = runLoop({
      sampler: createTpeSampler({ seed: 5, nStartupTrials: 5 }),
      nTrials: 30,
      objective: (c) => {
        const n = c.suggest('n', { type: 'int', low: 1, high: 9, log: false, step: 2 }) as number;
        const lr = c.suggest('lr', { type: 'float', low: 1e-5, high: 1, log: true }) as number;
        const q = c.suggest('q', {
          type: 'float',
          low: 0,
          high: 1,
          log: false,
          step: 0.1,
        }) as number;
        const m = c.suggest('m', { type: 'int', low: 1, high: 1000, log: true, step: 1 }) as number;
        const opt = c.suggest('opt', { type: 'categorical', choices: ['sgd', 'adam', null] });
        const rest = ((n - 5) ** 2 + Math.log10(lr) ** 2 + q + Math.log(m)) / 50;
        return rest + (opt === 'adam' ? 0 : 10);
      },
    });
    for (const t of trials) {
      const { n, lr, q, m, opt } = t.params as Record<string, number>;
      expect([1, 3, 5, 7, 9]).toContain(n);
      expect(lr).toBeGreaterThanOrEqual(1e-5);
      expect(lr).toBeLessThanOrEqual(1);
      expect(Math.abs((q as number) * 10 - Math.round((q as number) * 10))).toBeLessThan(1e-9);
      expect(Number.isInteger(m) && (m as number) >= 1 && (m as number) <= 1000).toBe(true);
      expect(['sgd', 'adam', null]).toContain(opt);
    }
    const late = trials.slice(15);
    expect(late.filter((t) => t.params.opt === 'adam').length).toBeGreaterThan(late.length / 2);
  });

  it('ranks pruned trials by their last step, then value (Optuna order)', () => {
    // complete (step -inf) < pruned at step 5 < pruned at step 2 < pruned without reports
    const scores = [
      { step: -2, values: [0.1] },
      { step: Number.NEGATIVE_INFINITY, values: [9] },
      { step: -5, values: [3] },
      { step: 1, values: [0] },
      { step: -5, values: [1] },
    ];
    expect(splitObservations(scores, 3, undefined)).toEqual({ below: [1, 2, 4], above: [0, 3] });
  });

  it('learns from pruned trials through their last intermediate value', () => {
    // Trials with x > 0 are pruned at step 1 after reporting a bad value; TPE should move to x < 0.
    const trials = runLoop({
      sampler: createTpeSampler({ seed: 4 }),
      nTrials: 40,
      objective: (c) => {
        const x = c.suggestFloat('x', -10, 10);
        c.report(0, 50 + x);
        if (x > 0) {
          c.report(1, 100 + x);
          return { state: 'pruned' };
        }
        return (x + 5) ** 2;
      },
    });
    expect(trials.filter((t) => t.state === 'pruned').length).toBeGreaterThan(0);
    const late = trials.slice(20);
    expect(late.filter((t) => (t.params.x as number) < 0).length).toBeGreaterThanOrEqual(16);
  });

  it('constant liar treats running trials as worst; constraints put infeasible trials above', () => {
    const scores = [
      { step: Number.NEGATIVE_INFINITY, values: [1] },
      { step: Number.NEGATIVE_INFINITY, values: [0] },
      { step: Number.NEGATIVE_INFINITY, values: [2] },
      { step: Number.POSITIVE_INFINITY, values: [Number.POSITIVE_INFINITY] },
    ];
    expect(splitObservations(scores, 1, undefined)).toEqual({ below: [1], above: [0, 2, 3] });
    // trial 1 is infeasible: the best feasible one (0) is below
    const violations = Float64Array.from([0, 0.5, 0, Number.POSITIVE_INFINITY]);
    expect(splitObservations(scores, 1, violations)).toEqual({ below: [0], above: [1, 2, 3] });
    // fewer feasible trials than gamma: order by violation alone
    const mostlyInfeasible = Float64Array.from([0, 0.5, 0.2, Number.POSITIVE_INFINITY]);
    expect(splitObservations(scores, 2, mostlyInfeasible)).toEqual({
      below: [0, 2],
      above: [1, 3],
    });
  });

  it('multi-objective split: Pareto ranks first, then greedy hypervolume selection', () => {
    const pts = [
      [1, 5],
      [2, 2],
      [5, 1],
      [3, 3],
      [6, 6],
    ];
    const scores = pts.map((values) => ({ step: Number.NEGATIVE_INFINITY, values }));
    expect(splitObservations(scores, 3, undefined)).toEqual({ below: [0, 1, 2], above: [3, 4] });
    // Only 2 of the 3 front points fit: [2,2] has the largest lone hypervolume vs ref 1.1*[5,5].
    const pick = splitObservations(scores, 2, undefined).below;
    expect(pick).toContain(1);
    expect(pick).toHaveLength(2);
  });

  it('samples with a constant liar away from a running trial and respects constraints', () => {
    const base = Array.from({ length: 12 }, (_, i) => finished(i, Math.abs(i - 6), { x: i - 6 }));
    const sampler = createTpeSampler({
      seed: 0,
      constantLiar: true,
      constraintsFunc: (t) => [(t.params.x as number) - 2],
    });
    const trials = runLoop({
      sampler,
      nTrials: 20,
      trials: base,
      objective: (c) => {
        const x = c.suggestFloat('x', -10, 10);
        return Math.abs(x);
      },
    });
    const late = trials.slice(12);
    // feasible region is x ≤ 2, the optimum is near 0
    expect(late.filter((t) => Math.abs(t.params.x as number) < 3).length).toBeGreaterThan(10);
  });

  it('multi-objective TPE finds points near a convex front', () => {
    const trials = runLoop({
      sampler: createTpeSampler({ seed: 2 }),
      nTrials: 60,
      directions: ['minimize', 'minimize'],
      objective: (c) => {
        const x = c.suggestFloat('x', 0, 1);
        const y = c.suggestFloat('y', 0, 1);
        return [x + y * 0.5, 1 - x + y * 0.5];
      },
    });
    const ys = trials.slice(30).map((t) => t.params.y as number);
    expect(ys.reduce((a, b) => a + b, 0) / ys.length).toBeLessThan(0.35);
  });

  it('rejects invalid options with INVALID_ARGUMENT', () => {
    const bad = [
      { nStartupTrials: -1 },
      { nEiCandidates: 0 },
      { priorWeight: 0 },
      { group: true },
      { seed: 1.5 },
      { randomSource: 'mt' as 'numpy' },
    ];
    for (const options of bad) {
      expect(() => createTpeSampler(options)).toThrow(HpoError);
      try {
        createTpeSampler(options);
      } catch (e) {
        expect((e as HpoError).code).toBe('INVALID_ARGUMENT');
      }
    }
    const sampler = createTpeSampler({ seed: 0, nStartupTrials: 0, gamma: () => -1 });
    expect(() => runLoop({ sampler, nTrials: 2, objective: quadratic })).toThrow(/gamma/);
  });
});
