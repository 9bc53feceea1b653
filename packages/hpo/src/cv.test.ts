import { describe, expect, it } from 'vitest';
import { createStudy, HpoError, kFoldObjective, type Pruner } from './index.js';

/** Prunes when the latest reported running mean is above `threshold`. */
const above = (threshold: number): Pruner => ({
  name: 'above',
  prune(_study, trial) {
    const steps = Object.keys(trial.intermediateValues).map(Number);
    return (
      steps.length > 0 &&
      (trial.intermediateValues[String(Math.max(...steps))] as number) > threshold
    );
  },
});

describe('kFoldObjective', () => {
  it('evaluates folds in order and reports running means at step = fold', async () => {
    const study = await createStudy({ seed: 1 });
    const calls: number[] = [];
    const scores = [0.5, 0.25, 0.75, 1];
    await study.optimize(
      kFoldObjective({
        k: 4,
        evaluateFold: async (trial, fold) => {
          calls.push(fold);
          trial.suggestFloat('lr', 0.01, 0.1);
          return scores[fold] as number;
        },
      }),
      { nTrials: 1 },
    );
    const [trial] = await study.getTrials();
    expect(calls).toEqual([0, 1, 2, 3]);
    // Running means: 0.5, 0.375, 0.5, 0.625.
    expect(trial?.intermediateValues).toEqual({ '0': 0.5, '1': 0.375, '2': 0.5, '3': 0.625 });
    expect(trial?.values).toEqual([0.625]);
  });

  it('aggregates with the median', async () => {
    const study = await createStudy();
    await study.optimize(
      kFoldObjective({
        k: 4,
        aggregate: 'median',
        evaluateFold: (_t, fold) => [3, 1, 10, 2][fold] as number,
      }),
      { nTrials: 1 },
    );
    const [trial] = await study.getTrials();
    // Running medians: 3, 2, 3, 2.5.
    expect(trial?.intermediateValues).toEqual({ '0': 3, '1': 2, '2': 3, '3': 2.5 });
    expect(trial?.values).toEqual([2.5]);
  });

  it('prunes after the first fold whose running mean the pruner rejects', async () => {
    const study = await createStudy({ pruner: above(0.5) });
    const calls: number[] = [];
    await study.optimize(
      kFoldObjective({
        k: 5,
        evaluateFold: (_t, fold) => {
          calls.push(fold);
          return [0.2, 0.6, 1.2, 0, 0][fold] as number;
        },
      }),
      { nTrials: 1 },
    );
    const [trial] = await study.getTrials();
    // Means 0.2, 0.4, 0.667 → pruned after fold 2; folds 3 and 4 never run.
    expect(calls).toEqual([0, 1, 2]);
    expect(trial?.state).toBe('pruned');
    expect(trial?.values?.[0]).toBeCloseTo(2 / 3, 12);
  });

  it('fails the trial on a non-finite fold score and validates its options', async () => {
    const study = await createStudy();
    await study.optimize(kFoldObjective({ k: 2, evaluateFold: () => Number.NaN }), { nTrials: 1 });
    const [trial] = await study.getTrials();
    expect(trial?.state).toBe('fail');
    expect(trial?.error).toContain('returned NaN for fold 0');
    expect(() => kFoldObjective({ k: 1, evaluateFold: () => 0 })).toThrow(HpoError);
    expect(() => kFoldObjective({ k: 3, evaluateFold: 'no' as never })).toThrow(/evaluateFold/);
    expect(() =>
      kFoldObjective({ k: 3, evaluateFold: () => 0, aggregate: 'max' as never }),
    ).toThrow(/aggregate/);
  });
});
