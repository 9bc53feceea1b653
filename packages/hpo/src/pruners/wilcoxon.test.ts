import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createWilcoxonPruner,
  HpoError,
  type WilcoxonAlternative,
  wilcoxonSignedRankTest,
} from '../index.js';
import { makeStudy, makeTrial, testPruner } from './conformance.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/pruners.json', import.meta.url), 'utf8'),
) as { wilcoxon: Array<{ diffs: number[]; alternative: WilcoxonAlternative; pvalue: number }> };

const folds = (values: number[]) => values.map((v, i) => [i, v] as const);

describe('Wilcoxon signed-rank test', () => {
  it('matches scipy.stats.wilcoxon(zero_method="zsplit") p-values', () => {
    expect(fixture.wilcoxon.length).toBeGreaterThanOrEqual(10);
    for (const { diffs, alternative, pvalue } of fixture.wilcoxon) {
      expect(wilcoxonSignedRankTest(diffs, alternative).pvalue).toBeCloseTo(pvalue, 10);
    }
  });

  it('uses the exact distribution for small samples without ties or zeros', () => {
    // All five differences positive: P(R+ ≥ 15) = 1/32.
    const result = wilcoxonSignedRankTest([1, 2, 3, 4, 5], 'greater');
    expect(result).toEqual({ statistic: 15, pvalue: 1 / 32, method: 'exact' });
    expect(wilcoxonSignedRankTest([1, 2, 3, 4, 5], 'less').pvalue).toBe(1);
    expect(wilcoxonSignedRankTest([0, 2, 3], 'greater').method).toBe('approx');
  });

  it('rejects empty or non-finite input', () => {
    expect(() => wilcoxonSignedRankTest([])).toThrow(HpoError);
    expect(() => wilcoxonSignedRankTest([1, Number.NaN])).toThrow(/diffs\[1\]/);
  });
});

describe('Wilcoxon pruner', () => {
  testPruner({ create: () => createWilcoxonPruner(), name: 'wilcoxon' });

  // Best trial (minimize): mean 0.3 over five folds; a worse complete trial too.
  const best = makeTrial(0, 'complete', folds([0.1, 0.2, 0.3, 0.4, 0.5]), [0.3]);
  const worse = makeTrial(1, 'complete', folds([0.5, 0.5, 0.5, 0.5, 0.5]), [0.5]);
  const decide = (
    values: number[],
    options: Parameters<typeof createWilcoxonPruner>[0] = {},
    directions: Array<'minimize' | 'maximize'> = ['minimize'],
  ): boolean => {
    const current = makeTrial(2, 'running', folds(values));
    return createWilcoxonPruner(options).prune(
      makeStudy(directions, [best, worse, current]),
      current,
    );
  };

  it('prunes a trial significantly worse than the best on shared folds', () => {
    // Five positive differences: p = 1/32 < 0.1.
    expect(decide([0.35, 0.5, 0.65, 0.95, 1.2])).toBe(true);
    expect(decide([0.35, 0.5, 0.65, 0.95, 1.2], { pThreshold: 0.03 })).toBe(false);
    // Four folds: p = 1/16 < 0.1; three folds: p = 1/8 ≥ 0.1.
    expect(decide([0.35, 0.5, 0.65, 0.95])).toBe(true);
    expect(decide([0.35, 0.5, 0.65])).toBe(false);
    expect(decide([0.35, 0.5, 0.65, 0.95, 1.2], { nStartupSteps: 6 })).toBe(false);
  });

  it('never prunes a trial whose average beats the best trial', () => {
    expect(decide([0.05, 0.1, 0.2, 0.3, 0.4])).toBe(false);
    // Average 0.29 < 0.3 even though four of five folds are worse.
    expect(decide([0.11, 0.21, 0.31, 0.41, 0.41 - 0.09])).toBe(false);
  });

  it('uses the chosen objective in multi-objective studies', () => {
    const values = [0.35, 0.5, 0.65, 0.95, 1.2];
    expect(() => decide(values, {}, ['minimize', 'maximize'])).toThrow(/objective/);
    // Objective 0 minimizes: best is trial 0 (value 0.3), as above.
    const mo = (objective: number) => {
      const b = { ...best, values: [0.3, 0.3] };
      const w = { ...worse, values: [0.5, 0.5] };
      const current = makeTrial(2, 'running', folds(values));
      return createWilcoxonPruner({ objective }).prune(
        makeStudy(['minimize', 'maximize'], [b, w, current]),
        current,
      );
    };
    expect(mo(0)).toBe(true);
    // Objective 1 maximizes: best is trial 1 (all 0.5); the current trial is better on average.
    expect(mo(1)).toBe(false);
  });

  it('rejects invalid options', () => {
    expect(() => createWilcoxonPruner({ pThreshold: 1.5 })).toThrow(/pThreshold/);
    expect(() => createWilcoxonPruner({ nStartupSteps: -1 })).toThrow(/nStartupSteps/);
  });
});
