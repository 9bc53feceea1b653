import { describe, expect, it } from 'vitest';
import fixture from './fixtures/multi_objective.json' with { type: 'json' };
import {
  constrainedDominates,
  constraintViolation,
  createStudy,
  dominates,
  HpoError,
  isFeasible,
  nonDominatedSort,
  paretoFront,
  type StudyDirection,
} from './index.js';

interface Case {
  directions: StudyDirection[];
  values: number[][];
  constraints: number[][];
  ranks: number[];
  constrainedRanks: number[];
  paretoFront: number[];
}
const cases = fixture.cases as Case[];

function ranksOf(fronts: number[][], n: number): number[] {
  const ranks = new Array<number>(n).fill(-1);
  fronts.forEach((front, r) => {
    for (const i of front) ranks[i] = r;
  });
  return ranks;
}

describe('dominance', () => {
  it('follows the directions and needs one strict improvement', () => {
    expect(dominates([1, 2], [2, 2], ['minimize', 'minimize'])).toBe(true);
    expect(dominates([2, 2], [2, 2], ['minimize', 'minimize'])).toBe(false);
    expect(dominates([1, 3], [2, 2], ['minimize', 'minimize'])).toBe(false);
    expect(dominates([1, 3], [2, 2], ['minimize', 'maximize'])).toBe(true);
    expect(() => dominates([1], [1, 2], ['minimize', 'minimize'])).toThrow(HpoError);
  });

  it('computes violation and feasibility like Deb', () => {
    expect(constraintViolation([0.5, -2, 1.25])).toBe(1.75);
    expect(constraintViolation(undefined)).toBe(0);
    expect(isFeasible({ constraints: [0, -1] })).toBe(true);
    expect(isFeasible({ constraints: [0.001] })).toBe(false);
    const dirs: StudyDirection[] = ['minimize'];
    const feasibleWorse = { state: 'complete' as const, values: [9], constraints: [-1] };
    const infeasibleBetter = { state: 'complete' as const, values: [1], constraints: [2] };
    const lessInfeasible = { state: 'complete' as const, values: [5], constraints: [1] };
    expect(constrainedDominates(feasibleWorse, infeasibleBetter, dirs)).toBe(true);
    expect(constrainedDominates(infeasibleBetter, feasibleWorse, dirs)).toBe(false);
    expect(constrainedDominates(lessInfeasible, infeasibleBetter, dirs)).toBe(true);
    expect(constrainedDominates({ state: 'running', values: [0] }, feasibleWorse, dirs)).toBe(
      false,
    );
    expect(constrainedDominates(feasibleWorse, { state: 'fail' }, dirs)).toBe(true);
  });
});

describe('non-dominated sort against Optuna 3.1 (_fast_non_dominated_sort)', () => {
  it.each(cases.map((c, i) => [i, c] as const))('case %i: plain ranks', (_, c) => {
    expect(ranksOf(nonDominatedSort(c.values, c.directions), c.values.length)).toEqual(c.ranks);
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i: Pareto front', (_, c) => {
    const trials = c.values.map((values, number) => ({
      number,
      state: 'complete' as const,
      values,
    }));
    expect(paretoFront(trials, c.directions).map((t) => t.number)).toEqual(c.paretoFront);
    expect(c.paretoFront).toEqual(c.ranks.flatMap((r, i) => (r === 0 ? [i] : [])));
  });

  it.each(cases.map((c, i) => [i, c] as const))('case %i: constrained front = rank 0', (_, c) => {
    const trials = c.values.map((values, number) => ({
      number,
      state: 'complete' as const,
      values,
      constraints: c.constraints[number] as number[],
    }));
    const expected = c.constrainedRanks.flatMap((r, i) => (r === 0 ? [i] : []));
    expect(paretoFront(trials, c.directions).map((t) => t.number)).toEqual(expected);
    // The fixture really exercises constraints: constrained ranks differ from plain ones.
    expect(c.constrainedRanks).not.toEqual(c.ranks);
  });
});

describe('study.bestTrials', () => {
  it('returns the feasible Pareto front of a multi-objective study', async () => {
    const study = await createStudy({ directions: ['minimize', 'maximize'], seed: 1 });
    const points: [number, number, number[]][] = [
      [1, 1, [-1]], // feasible, front
      [2, 5, [0]], // feasible, front
      [0, 9, [3]], // dominates all but infeasible
      [3, 4, [-2]], // dominated by #1
      [2, 5, [-0.5]], // equal to #1: both stay
    ];
    for (const [a, b, c] of points) {
      const trial = await study.ask();
      trial.setConstraints(c);
      await study.tell(trial, [a, b]);
    }
    expect((await study.bestTrials()).map((t) => t.number)).toEqual([0, 1, 4]);
    await expect(study.bestTrial()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('falls back to the least-violating trials when none is feasible', async () => {
    const study = await createStudy({ directions: ['minimize', 'minimize'] });
    for (const [v, c] of [
      [[1, 1], [2]],
      [[5, 5], [0.5]],
      [
        [0, 0],
        [0.5, 0.1],
      ],
    ] as const) {
      const trial = await study.ask();
      trial.setConstraints(c);
      await study.tell(trial, v);
    }
    expect((await study.bestTrials()).map((t) => t.number)).toEqual([1]);
  });
});
