// CMA-ES: one-generation updates against the `cmaes` package (fixtures/cmaes_tell.py), Jacobi
// eigenvalues against numpy, convergence on a sphere, state carried in systemAttrs, fallbacks.

import { describe, expect, it } from 'vitest';
import {
  CMA_OPTIMIZER_KEY,
  type CmaState,
  createCmaEsSampler,
  type FrozenTrial,
  HpoError,
} from '../index.js';
import { initialCmaState, jacobiEigen, tellCma } from './cmaes.js';
import ref from './fixtures/cmaes_tell.json' with { type: 'json' };
import { bestValue, type LoopContext, runLoop } from './testing.js';

const close = (xs: number[], digits = 10) => xs.map((x) => expect.closeTo(x, digits));

const sphere = (c: LoopContext) => {
  let s = 0;
  for (let i = 0; i < 5; i++) s += (c.suggestFloat(`x${i}`, -5, 5) - 1) ** 2;
  return s;
};

describe('CMA-ES update equations (cmaes 0.9.1 reference)', () => {
  it('three tells reproduce mean, sigma, covariance and evolution paths', () => {
    let state: CmaState = initialCmaState(ref.bounds as [number, number][], {
      mean: ref.mean0,
      sigma0: ref.sigma0,
    });
    expect(state.popsize).toBe(ref.popsize);
    for (const g of ref.generations) {
      state = tellCma(
        state,
        g.solutions.map(([x, y]) => [x as number[], y as number] as [number[], number]),
      );
      expect(state.mean).toEqual(close(g.mean));
      expect(state.sigma).toBeCloseTo(g.sigma, 10);
      expect(state.cov).toEqual(close(g.cov, 9));
      expect(state.pc).toEqual(close(g.pc));
      expect(state.ps).toEqual(close(g.ps));
    }
    expect(state.generation).toBe(3);
  });

  it('Jacobi eigenvalues match numpy.linalg.eigvalsh', () => {
    const { values, vectors } = jacobiEigen(ref.eigen.matrix, 3);
    expect([...values].sort((a, b) => a - b)).toEqual(close(ref.eigen.values, 12));
    // A·v = λ·v for every column
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 3; i++) {
        let av = 0;
        for (let j = 0; j < 3; j++)
          av += (ref.eigen.matrix[i * 3 + j] as number) * (vectors[j * 3 + k] as number);
        expect(av).toBeCloseTo((values[k] as number) * (vectors[i * 3 + k] as number), 12);
      }
    }
  });

  it('rejects a tell with the wrong number of solutions', () => {
    const state = initialCmaState(
      [
        [0, 1],
        [0, 1],
      ],
      {},
    );
    expect(() => tellCma(state, [[[0.5, 0.5], 1]])).toThrow(/needs 6 solutions/);
  });
});

describe('createCmaEsSampler', () => {
  it('converges on a 5-D sphere and keeps its state in systemAttrs', () => {
    for (const seed of [0, 1]) {
      const trials = runLoop({
        sampler: createCmaEsSampler({ seed }),
        nTrials: 400,
        objective: sphere,
      });
      expect(bestValue(trials)).toBeLessThan(1e-2);
      const withState = trials.filter((t) => t.systemAttrs[CMA_OPTIMIZER_KEY] !== undefined);
      const last = withState.at(-1)?.systemAttrs[CMA_OPTIMIZER_KEY] as CmaState;
      expect(last.mean).toEqual(last.mean.map(() => expect.closeTo(1, 1)));
      expect(trials.at(-1)?.systemAttrs['cma:generation']).toBeGreaterThan(40);
    }
  });

  it('is reproducible and resumes from the state in a study snapshot', () => {
    const a = runLoop({ sampler: createCmaEsSampler({ seed: 4 }), nTrials: 30, objective: sphere });
    const b = runLoop({ sampler: createCmaEsSampler({ seed: 4 }), nTrials: 30, objective: sphere });
    expect(a.map((t) => t.params)).toEqual(b.map((t) => t.params));
    // A fresh sampler (another process) picks up generation and optimizer from the trials.
    const snapshot: FrozenTrial[] = structuredClone(a);
    const resumed = runLoop({
      sampler: createCmaEsSampler({ seed: 99 }),
      nTrials: 20,
      objective: sphere,
      trials: snapshot,
    });
    const gens = resumed.slice(30).map((t) => t.systemAttrs['cma:generation'] as number);
    expect(Math.min(...gens)).toBeGreaterThanOrEqual(
      a.at(-1)?.systemAttrs['cma:generation'] as number,
    );
  });

  it('falls back to random sampling for categorical parameters, warning once', () => {
    const warnings: string[] = [];
    const trials = runLoop({
      sampler: createCmaEsSampler({ seed: 2, logger: (m) => warnings.push(m) }),
      nTrials: 40,
      objective: (c) => {
        const kind = c.suggest('kind', { type: 'categorical', choices: ['a', 'b', 'c'] });
        const n = c.suggest('n', {
          type: 'int',
          low: -10,
          high: 10,
          log: false,
          step: 1,
        }) as number;
        return c.suggestFloat('x', -5, 5) ** 2 + n * n + (kind === 'a' ? 0 : 1);
      },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/categorical/);
    expect(new Set(trials.map((t) => t.params.kind)).size).toBe(3);
    expect(trials.every((t) => Number.isInteger(t.params.n))).toBe(true);
    expect(trials.at(-1)?.systemAttrs['cma:generation']).toBeGreaterThan(0);
  });

  it('IPOP restarts grow the population', () => {
    const trials = runLoop({
      sampler: createCmaEsSampler({ seed: 0, restartStrategy: 'ipop', popsize: 4, sigma0: 0.01 }),
      nTrials: 300,
      objective: (c) =>
        Math.abs(c.suggestFloat('x', -1, 1)) < 2 ? Math.round(c.suggestFloat('y', -1, 1)) : 0,
    });
    const restarts = trials.at(-1)?.systemAttrs['cma:n_restarts'] as number;
    expect(restarts).toBeGreaterThanOrEqual(1);
    const state = trials.filter((t) => t.systemAttrs[CMA_OPTIMIZER_KEY]).at(-1)?.systemAttrs[
      CMA_OPTIMIZER_KEY
    ] as CmaState;
    expect(state.popsize).toBe(4 * 2 ** restarts);
  });

  it('rejects invalid options and multi-objective studies', () => {
    for (const options of [
      { sigma0: 0 },
      { popsize: 1 },
      { nStartupTrials: -1 },
      { restartStrategy: 'bipop' as 'ipop' },
    ]) {
      expect(() => createCmaEsSampler(options)).toThrow(HpoError);
    }
    expect(() =>
      runLoop({
        sampler: createCmaEsSampler({ seed: 0 }),
        nTrials: 1,
        directions: ['minimize', 'maximize'],
        objective: () => [1, 2],
      }),
    ).toThrow(/one objective/);
  });
});
