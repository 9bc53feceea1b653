import { describe, expect, it } from 'vitest';
import { createThresholdPruner, HpoError } from '../index.js';
import { makeStudy, makeTrial, testPruner } from './conformance.js';

describe('threshold pruner', () => {
  testPruner({ create: () => createThresholdPruner({ upper: 3 }), name: 'threshold' });

  const decide = (
    options: Parameters<typeof createThresholdPruner>[0],
    reports: Array<[number, number]>,
    directions: Array<'minimize' | 'maximize'> = ['minimize'],
  ): boolean => {
    const trial = makeTrial(0, 'running', reports);
    return createThresholdPruner(options).prune(makeStudy(directions, [trial]), trial);
  };

  it('prunes on the latest report leaving [lower, upper] or NaN', () => {
    expect(decide({ lower: 0, upper: 1 }, [[0, 1.01]])).toBe(true);
    expect(decide({ lower: 0, upper: 1 }, [[0, -0.01]])).toBe(true);
    expect(decide({ lower: 0, upper: 1 }, [[0, 1]])).toBe(false);
    expect(decide({ upper: 1 }, [[0, -1e9]])).toBe(false);
    expect(decide({ lower: 0 }, [[0, Number.NaN]])).toBe(true);
    // Only the latest report counts.
    expect(
      decide({ upper: 1 }, [
        [0, 5],
        [1, 0.5],
      ]),
    ).toBe(false);
  });

  it('honours warmup and interval steps', () => {
    expect(decide({ upper: 1, nWarmupSteps: 2 }, [[1, 5]])).toBe(false);
    expect(decide({ upper: 1, nWarmupSteps: 2 }, [[2, 5]])).toBe(true);
    // Checkpoints at 2, 5, 8: a report at step 3 right after step 2 is not checked.
    expect(
      decide({ upper: 1, nWarmupSteps: 2, intervalSteps: 3 }, [
        [2, 0],
        [3, 5],
      ]),
    ).toBe(false);
    expect(
      decide({ upper: 1, nWarmupSteps: 2, intervalSteps: 3 }, [
        [2, 0],
        [5, 5],
      ]),
    ).toBe(true);
  });

  it('works for multi-objective studies without an objective index', () => {
    expect(decide({ upper: 1 }, [[0, 2]], ['minimize', 'maximize'])).toBe(true);
    expect(decide({ upper: 1 }, [[0, 0.5]], ['minimize', 'maximize'])).toBe(false);
  });

  it('rejects invalid options', () => {
    expect(() => createThresholdPruner({})).toThrow(/pass lower, upper or both/);
    expect(() => createThresholdPruner({ lower: 2, upper: 1 })).toThrow(/greater than upper/);
    expect(() => createThresholdPruner({ lower: Number.NaN })).toThrow(HpoError);
    expect(() => createThresholdPruner({ upper: 1, nWarmupSteps: -1 })).toThrow(/nWarmupSteps/);
    expect(() => createThresholdPruner({ upper: 1, intervalSteps: 0 })).toThrow(/intervalSteps/);
  });
});
