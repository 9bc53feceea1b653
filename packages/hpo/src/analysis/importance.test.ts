import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createFanovaEvaluator,
  createMeanDecreaseImpurityEvaluator,
  type Distribution,
  type FrozenTrial,
  getParamImportances,
  HpoError,
  type ParamValue,
  type StudyView,
} from '../index.js';

interface Dataset {
  name: string;
  distributions: Record<string, Distribution>;
  trials: Array<{ params: Record<string, ParamValue>; value: number }>;
  fanova: Array<[string, number]>;
  meanDecreaseImpurity: Array<[string, number]>;
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/importance.json', import.meta.url), 'utf8'),
) as { datasets: Dataset[] };

function studyOf(
  dataset: Dataset,
  directions: Array<'minimize' | 'maximize'> = ['minimize'],
): StudyView {
  const trials: FrozenTrial[] = dataset.trials.map((t, number) => ({
    number,
    state: 'complete',
    values: directions.map(() => t.value),
    params: t.params,
    distributions: dataset.distributions,
    intermediateValues: {},
    userAttrs: {},
    systemAttrs: {},
  }));
  return { name: dataset.name, directions, trials };
}

const asPairs = (result: Array<{ name: string; importance: number }>) =>
  result.map((r) => [r.name, r.importance] as const);

describe('parameter importances', () => {
  const [linear, mixed] = fixture.datasets as [Dataset, Dataset];

  it('fANOVA: for f = 10x + 0.1y, x dominates and the unused z is near 0', () => {
    const result = getParamImportances(studyOf(linear));
    expect(result.map((r) => r.name)[0]).toBe('x');
    const byName = Object.fromEntries(asPairs(result));
    expect(byName.x).toBeGreaterThan(0.99);
    expect(byName.z).toBeLessThan(0.005);
    expect(result.reduce((s, r) => s + r.importance, 0)).toBeCloseTo(1, 12);
    // Ordered most important first.
    for (let i = 1; i < result.length; i++) {
      expect(result[i - 1]!.importance).toBeGreaterThanOrEqual(result[i]!.importance);
    }
  });

  for (const [label, create, key] of [
    ['fANOVA', createFanovaEvaluator, 'fanova'],
    ['mean decrease impurity', createMeanDecreaseImpurityEvaluator, 'meanDecreaseImpurity'],
  ] as const) {
    it(`${label} agrees with Optuna 3.1 within 0.01 on both data sets`, () => {
      for (const dataset of fixture.datasets) {
        const ours = Object.fromEntries(asPairs(create().evaluate(studyOf(dataset))));
        const reference = dataset[key];
        expect(Object.keys(ours).sort()).toEqual(reference.map(([n]) => n).sort());
        for (const [name, value] of reference)
          expect(Math.abs((ours[name] ?? -1) - value)).toBeLessThan(0.01);
        // Same most important parameter (the result is ordered).
        expect(Object.keys(ours)[0]).toBe(reference[0]?.[0]);
      }
    });
  }

  it('gives single-valued parameters importance 0 and is reproducible per seed', () => {
    const a = createFanovaEvaluator({ seed: 3, nTrees: 8 }).evaluate(studyOf(mixed));
    const b = createFanovaEvaluator({ seed: 3, nTrees: 8 }).evaluate(studyOf(mixed));
    expect(a).toEqual(b);
    expect(a[a.length - 1]).toEqual({ name: 'constant', importance: 0 });
    expect(a[0]?.name).toBe('optimizer');
  });

  it('limits to params and uses target for multi-objective studies', () => {
    const two = studyOf(linear, ['minimize', 'maximize']);
    expect(() => getParamImportances(two)).toThrow(/pass target/);
    const result = getParamImportances(two, {
      params: ['z', 'y'],
      // 10x + 0.1y minus the x term leaves 0.1y.
      target: (t) => t.values![1]! - 10 * (t.params.x as number),
    });
    expect(result.map((r) => r.name).sort()).toEqual(['y', 'z']);
    // Only y affects the value among y and z.
    expect(result[0]?.name).toBe('y');
    expect(result[0]!.importance).toBeGreaterThan(0.9);
  });

  it('rejects studies it cannot assess', () => {
    const one = studyOf({ ...linear, trials: linear.trials.slice(0, 1) });
    expect(() => getParamImportances(one)).toThrow(/at least 2 complete trials/);
    const flat = studyOf({
      ...linear,
      trials: linear.trials.slice(0, 10).map((t) => ({ ...t, value: 1 })),
    });
    expect(() => getParamImportances(flat)).toThrow(HpoError);
    expect(() => getParamImportances(studyOf(linear), { params: ['nope'] })).toThrow(
      /parameter nope/,
    );
    expect(() => createFanovaEvaluator({ nTrees: 0 })).toThrow(/nTrees/);
  });
});
