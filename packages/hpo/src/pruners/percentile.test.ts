import { describe, expect, it } from 'vitest';
import { createMedianPruner, createPercentilePruner, HpoError } from '../index.js';
import { makeStudy, makeTrial, testPruner } from './conformance.js';

// Five completed trials reporting 1..5 at step 3 (and a poor value at step 0).
const completed = [1, 2, 3, 4, 5].map((v, i) =>
  makeTrial(i, 'complete', [
    [0, 10],
    [3, v],
  ]),
);

function decide(
  pruner: ReturnType<typeof createPercentilePruner>,
  reports: Array<[number, number]>,
  direction: 'minimize' | 'maximize' = 'minimize',
): boolean {
  const current = makeTrial(5, 'running', reports);
  return pruner.prune(makeStudy([direction], [...completed, current]), current);
}

describe('median and percentile pruners', () => {
  testPruner({ create: () => createMedianPruner(), name: 'median' });
  testPruner({ create: () => createPercentilePruner({ percentile: 25 }), name: 'percentile' });

  it('compares the best report with the percentile of completed trials at the same step', () => {
    const p25 = createPercentilePruner({ percentile: 25 });
    // 25th percentile of 1..5 is 2 (numpy linear interpolation).
    expect(decide(p25, [[3, 2.5]])).toBe(true);
    expect(decide(p25, [[3, 2]])).toBe(false);
    // The trial's best over all steps counts, not its latest report.
    expect(
      decide(p25, [
        [0, 1.5],
        [3, 9],
      ]),
    ).toBe(false);
    // 30th percentile: index 1.2 between 2 and 3 → 2.2.
    const p30 = createPercentilePruner({ percentile: 30 });
    expect(decide(p30, [[3, 2.25]])).toBe(true);
    expect(decide(p30, [[3, 2.15]])).toBe(false);
  });

  it('uses 100 - percentile when maximizing', () => {
    const p25 = createPercentilePruner({ percentile: 25 });
    // Keep the top quarter: the 75th percentile of 1..5 is 4.
    expect(decide(p25, [[3, 3.9]], 'maximize')).toBe(true);
    expect(decide(p25, [[3, 4]], 'maximize')).toBe(false);
    const median = createMedianPruner();
    expect(decide(median, [[3, 2.9]], 'maximize')).toBe(true);
    expect(decide(median, [[3, 3.1]], 'maximize')).toBe(false);
  });

  it('waits for startup trials, warmup steps and enough reports at the step', () => {
    expect(decide(createMedianPruner({ nStartupTrials: 6 }), [[3, 100]])).toBe(false);
    expect(decide(createMedianPruner({ nWarmupSteps: 4 }), [[3, 100]])).toBe(false);
    expect(decide(createMedianPruner({ nMinTrials: 6 }), [[3, 100]])).toBe(false);
    expect(decide(createMedianPruner({ nMinTrials: 5 }), [[3, 100]])).toBe(true);
    // Nobody else reported at step 7.
    expect(decide(createMedianPruner(), [[7, 100]])).toBe(false);
    // Only NaN reports so far: prune.
    expect(decide(createMedianPruner(), [[3, Number.NaN]])).toBe(true);
  });

  it('checks only at the first report of each interval', () => {
    const pruner = createMedianPruner({ intervalSteps: 3, nWarmupSteps: 0 });
    // Step 3 is a checkpoint; after a report at step 3, step 4 is not.
    expect(decide(pruner, [[3, 100]])).toBe(true);
    const steps4 = completed.map((t) => ({
      ...t,
      intermediateValues: { ...t.intermediateValues, '4': 1 },
    }));
    const current = makeTrial(5, 'running', [
      [3, 0],
      [4, 100],
    ]);
    expect(pruner.prune(makeStudy(['minimize'], [...steps4, current]), current)).toBe(false);
    // A checkpoint that fell on a skipped step is taken at the next report (step 4 after step 2).
    const late = makeTrial(5, 'running', [
      [2, 100],
      [4, 100],
    ]);
    expect(pruner.prune(makeStudy(['minimize'], [...steps4, late]), late)).toBe(true);
  });

  it('needs an objective index in multi-objective studies', () => {
    const current = makeTrial(5, 'running', [[3, 2.9]]);
    const study = makeStudy(['minimize', 'maximize'], [...completed, current]);
    expect(() => createMedianPruner().prune(study, current)).toThrow(HpoError);
    expect(() => createMedianPruner().prune(study, current)).toThrow(/objective/);
    // Objective 1 maximizes: 2.9 is below the median 3.
    expect(createMedianPruner({ objective: 1 }).prune(study, current)).toBe(true);
    expect(createMedianPruner({ objective: 0 }).prune(study, current)).toBe(false);
    expect(() => createMedianPruner({ objective: 2 }).prune(study, current)).toThrow(
      /objective is 2 but the study has 2/,
    );
  });

  it('rejects invalid options', () => {
    const bad: Array<() => unknown> = [
      () => createPercentilePruner({ percentile: 101 }),
      () => createPercentilePruner({ percentile: -1 }),
      () => createPercentilePruner({ percentile: Number.NaN }),
      () => createMedianPruner({ nStartupTrials: -1 }),
      () => createMedianPruner({ nWarmupSteps: 1.5 }),
      () => createMedianPruner({ intervalSteps: 0 }),
      () => createMedianPruner({ nMinTrials: 0 }),
      () => createMedianPruner({ objective: -1 }),
    ];
    for (const make of bad) {
      expect(make).toThrow(HpoError);
      try {
        make();
      } catch (error) {
        expect((error as HpoError).code).toBe('INVALID_ARGUMENT');
      }
    }
    expect(() => createMedianPruner({ intervalSteps: 0 })).toThrow(
      /intervalSteps must be an integer ≥ 1/,
    );
  });
});
