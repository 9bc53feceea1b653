import { describe, expect, it } from 'vitest';
import { createNopPruner, createPruner, HpoError, prunerNames } from '../index.js';
import { makeStudy, makeTrial, testPruner } from './conformance.js';

describe('nop pruner', () => {
  testPruner({ create: createNopPruner, name: 'nop' });

  it('keeps a trial whose reports are NaN and far worse than every other', () => {
    const done = makeTrial(0, 'complete', [[0, 0]]);
    const current = makeTrial(1, 'running', [[0, Number.NaN]]);
    expect(createNopPruner().prune(makeStudy(['minimize'], [done, current]), current)).toBe(false);
  });
});

describe('createPruner', () => {
  it('creates pruners by name with their options', () => {
    expect(prunerNames).toEqual([
      'median',
      'percentile',
      'successive-halving',
      'hyperband',
      'wilcoxon',
      'threshold',
      'nop',
    ]);
    for (const name of prunerNames) {
      const options =
        name === 'percentile' ? { percentile: 10 } : name === 'threshold' ? { upper: 1 } : {};
      expect(createPruner(name, options as never).name).toBe(name);
    }
    // Options reach the factory: threshold with upper 1 prunes a report of 2.
    const trial = makeTrial(0, 'running', [[0, 2]]);
    expect(
      createPruner('threshold', { upper: 1 }).prune(makeStudy(['minimize'], [trial]), trial),
    ).toBe(true);
  });

  it('rejects unknown names and option keys', () => {
    expect(() => createPruner('medain' as never)).toThrow(
      /unknown pruner "medain"; use one of median/,
    );
    expect(() => createPruner('median', { nWarmupStep: 3 } as never)).toThrow(
      /median has no option nWarmupStep/,
    );
    expect(() => createPruner('toString' as never)).toThrow(HpoError);
  });
});
