import { describe, expect, it } from 'vitest';
import {
  categoricalDistribution,
  checkDistributionCompatibility,
  contains,
  type Distribution,
  distributionsEqual,
  floatDistribution,
  fromInternal,
  HpoError,
  intDistribution,
  isSingle,
  singleValue,
  toInternal,
  validateDistribution,
} from './index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof HpoError ? error.code : 'not-an-HpoError';
  }
  return undefined;
}

describe('validateDistribution', () => {
  const bad: [string, Distribution][] = [
    ['low > high', { type: 'float', low: 2, high: 1, log: false }],
    ['log with low 0', { type: 'float', low: 0, high: 1, log: true }],
    ['log with negative low', { type: 'float', low: -1, high: 1, log: true }],
    ['int log with low 0', { type: 'int', low: 0, high: 10, log: true, step: 1 }],
    ['step 0', { type: 'float', low: 0, high: 1, log: false, step: 0 }],
    ['negative step', { type: 'int', low: 0, high: 10, log: false, step: -2 }],
    ['step with log', { type: 'float', low: 0.1, high: 1, log: true, step: 0.1 }],
    ['int log with step 2', { type: 'int', low: 1, high: 9, log: true, step: 2 }],
    ['NaN bound', { type: 'float', low: Number.NaN, high: 1, log: false }],
    ['infinite bound', { type: 'float', low: 0, high: Number.POSITIVE_INFINITY, log: false }],
    ['fractional int bound', { type: 'int', low: 0.5, high: 3, log: false, step: 1 }],
    ['empty choices', { type: 'categorical', choices: [] }],
    ['duplicate choices', { type: 'categorical', choices: ['a', 'b', 'a'] }],
    ['NaN choice', { type: 'categorical', choices: [1, Number.NaN] }],
    ['object choice', { type: 'categorical', choices: [{ a: 1 } as never] }],
  ];

  it.each(bad)('rejects %s with INVALID_DISTRIBUTION naming the param', (_, distribution) => {
    let caught: unknown;
    try {
      validateDistribution(distribution, { param: 'lr', study: 's' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(HpoError);
    expect((caught as HpoError).code).toBe('INVALID_DISTRIBUTION');
    expect((caught as HpoError).param).toBe('lr');
    expect((caught as HpoError).message).toContain('param lr');
  });

  it('accepts valid spaces, including an int log space with step 1 and low = high', () => {
    const good: Distribution[] = [
      { type: 'float', low: 1e-5, high: 1, log: true },
      { type: 'float', low: 0, high: 1, log: false, step: 0.25 },
      { type: 'int', low: 1, high: 1024, log: true, step: 1 },
      { type: 'int', low: 3, high: 3, log: false, step: 1 },
      { type: 'categorical', choices: ['a', 1, true, null] },
    ];
    for (const d of good) expect(codeOf(() => validateDistribution(d))).toBeUndefined();
  });
});

describe('constructors snap high onto the step grid (Optuna _adjust_*_high)', () => {
  it('float', () => {
    expect(floatDistribution(0, 1, { step: 0.3 }).high).toBe(0.9);
    expect(floatDistribution(0.1, 1.05, { step: 0.2 }).high).toBe(0.9);
    expect(floatDistribution(0, 1, { step: 0.25 }).high).toBe(1);
  });
  it('int', () => {
    expect(intDistribution(0, 10, { step: 3 }).high).toBe(9);
    expect(intDistribution(1, 10, { step: 2 }).high).toBe(9);
    expect(intDistribution(0, 10).step).toBe(1);
  });
});

describe('contains', () => {
  it('checks range and step grid', () => {
    const f = floatDistribution(0, 1, { step: 0.1 });
    expect(contains(f, 0.3)).toBe(true);
    expect(contains(f, 0.1 + 0.2)).toBe(true); // 0.30000000000000004 is on the grid within 1e-8
    expect(contains(f, 0.35)).toBe(false);
    expect(contains(f, 1.1)).toBe(false);
    const i = intDistribution(1, 9, { step: 2 });
    expect([1, 3, 9].map((v) => contains(i, v))).toEqual([true, true, true]);
    expect([2, 11, 1.5].map((v) => contains(i, v))).toEqual([false, false, false]);
    const c = categoricalDistribution(['a', null, 2]);
    expect([null, 2, 'a', '2', undefined].map((v) => contains(c, v))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });
});

describe('internal representation', () => {
  it('maps categorical choices to indices and back', () => {
    const c = categoricalDistribution(['relu', 'gelu', false]);
    expect(toInternal(c, 'gelu')).toBe(1);
    expect(toInternal(c, false)).toBe(2);
    expect(fromInternal(c, 1)).toBe('gelu');
    expect(codeOf(() => toInternal(c, 'tanh'))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => fromInternal(c, 3))).toBe('INVALID_ARGUMENT');
  });
  it('keeps numbers and rounds ints', () => {
    const i = intDistribution(0, 10);
    expect(fromInternal(i, 3.6)).toBe(4);
    expect(toInternal(floatDistribution(0, 1), 0.5)).toBe(0.5);
    expect(codeOf(() => toInternal(i, 'x'))).toBe('INVALID_ARGUMENT');
  });
});

describe('isSingle / singleValue (Optuna single())', () => {
  it.each([
    [floatDistribution(1, 1), true],
    [floatDistribution(0, 0.09, { step: 0.1 }), true],
    [floatDistribution(0, 0.1, { step: 0.1 }), false],
    [intDistribution(2, 3, { step: 2 }), true],
    [intDistribution(2, 4, { step: 2 }), false],
    [intDistribution(5, 5, { log: true }), true],
    [categoricalDistribution(['only']), true],
    [categoricalDistribution(['a', 'b']), false],
  ] as const)('%j → %s', (d, single) => {
    expect(isSingle(d)).toBe(single);
  });
  it('returns low or the only choice', () => {
    expect(singleValue(intDistribution(2, 3, { step: 2 }))).toBe(2);
    expect(singleValue(categoricalDistribution(['only']))).toBe('only');
  });
});

describe('equality and compatibility', () => {
  it('distributionsEqual compares every field', () => {
    expect(distributionsEqual(floatDistribution(0, 1), floatDistribution(0, 1))).toBe(true);
    expect(distributionsEqual(floatDistribution(0, 1), floatDistribution(0, 2))).toBe(false);
    expect(
      distributionsEqual(floatDistribution(0, 1), floatDistribution(0, 1, { step: 0.5 })),
    ).toBe(false);
    expect(distributionsEqual(intDistribution(0, 1), floatDistribution(0, 1))).toBe(false);
    expect(
      distributionsEqual(categoricalDistribution([1, 2]), categoricalDistribution([2, 1])),
    ).toBe(false);
  });
  it('allows a changed range but not a changed kind, log flag or choices', () => {
    expect(
      codeOf(() =>
        checkDistributionCompatibility(floatDistribution(0, 1), floatDistribution(-5, 5)),
      ),
    ).toBeUndefined();
    expect(
      codeOf(() =>
        checkDistributionCompatibility(
          floatDistribution(0.1, 1),
          floatDistribution(0.1, 1, { log: true }),
        ),
      ),
    ).toBe('INCOMPATIBLE_DISTRIBUTION');
    expect(
      codeOf(() => checkDistributionCompatibility(floatDistribution(0, 1), intDistribution(0, 1))),
    ).toBe('INCOMPATIBLE_DISTRIBUTION');
    expect(
      codeOf(() =>
        checkDistributionCompatibility(
          categoricalDistribution(['a']),
          categoricalDistribution(['a', 'b']),
        ),
      ),
    ).toBe('INCOMPATIBLE_DISTRIBUTION');
  });
});
