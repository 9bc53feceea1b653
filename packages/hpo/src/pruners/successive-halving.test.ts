import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  createHyperbandPruner,
  createSuccessiveHalvingPruner,
  getHyperbandBracket,
  HpoError,
  hyperbandBrackets,
} from '../index.js';
import { makeStudy, makeTrial, testPruner } from './conformance.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/pruners.json', import.meta.url), 'utf8'),
) as {
  hyperbandBrackets: {
    studyName: string;
    minResource: number;
    maxResource: number;
    reductionFactor: number;
    ids: number[];
  };
};

// Four completed trials reporting 0.1..0.4 at steps 0..3.
const completed = [0.1, 0.2, 0.3, 0.4].map((v, i) =>
  makeTrial(
    i,
    'complete',
    [0, 1, 2, 3].map((s) => [s, v] as const),
  ),
);

describe('successive halving pruner', () => {
  testPruner({ create: () => createSuccessiveHalvingPruner(), name: 'successive-halving' });

  it('promotes only the top 1/η at each rung', () => {
    const pruner = () => createSuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
    const decide = (reports: Array<[number, number]>): boolean => {
      const current = makeTrial(4, 'running', reports);
      return pruner().prune(makeStudy(['minimize'], [...completed, current]), current);
    };
    // Step 0 is before the first rung (minResource·η⁰ = 1).
    expect(decide([[0, 9]])).toBe(false);
    // Rung 0 at step 1: 5 competitors, index ⌊5/2⌋-1 = 1 → must be ≤ 0.2.
    expect(
      decide([
        [0, 9],
        [1, 0.35],
      ]),
    ).toBe(true);
    expect(
      decide([
        [0, 9],
        [1, 0.2],
      ]),
    ).toBe(false);
    // Rung 1 at step 2 with the same 5 competitors.
    expect(
      decide([
        [0, 9],
        [1, 0.2],
        [2, 0.25],
      ]),
    ).toBe(true);
    expect(
      decide([
        [0, 9],
        [1, 0.2],
        [2, 0.15],
      ]),
    ).toBe(false);
    // NaN at a rung prunes.
    expect(
      decide([
        [0, 9],
        [1, Number.NaN],
      ]),
    ).toBe(true);
  });

  it('prunes until bootstrapCount trials reached the rung', () => {
    const current = makeTrial(1, 'running', [[1, 0]]);
    const study = makeStudy(['minimize'], [completed[0]!, current]);
    expect(
      createSuccessiveHalvingPruner({ minResource: 1, bootstrapCount: 2 }).prune(study, current),
    ).toBe(true);
    expect(
      createSuccessiveHalvingPruner({ minResource: 1, bootstrapCount: 1 }).prune(study, current),
    ).toBe(false);
  });

  it('needs an objective index in multi-objective studies', () => {
    const current = makeTrial(4, 'running', [[1, 0.35]]);
    const study = makeStudy(['minimize', 'maximize'], [...completed, current]);
    expect(() => createSuccessiveHalvingPruner({ minResource: 1 }).prune(study, current)).toThrow(
      /objective/,
    );
    const options = { minResource: 1, reductionFactor: 2 };
    expect(createSuccessiveHalvingPruner({ ...options, objective: 0 }).prune(study, current)).toBe(
      true,
    );
    // Maximizing objective 1: must be ≥ 0.3 (second largest of 0.1..0.4, 0.35).
    expect(createSuccessiveHalvingPruner({ ...options, objective: 1 }).prune(study, current)).toBe(
      false,
    );
  });

  it('rejects invalid options', () => {
    expect(() => createSuccessiveHalvingPruner({ minResource: 0 })).toThrow(HpoError);
    expect(() => createSuccessiveHalvingPruner({ reductionFactor: 1 })).toThrow(/reductionFactor/);
    expect(() => createSuccessiveHalvingPruner({ minEarlyStoppingRate: -1 })).toThrow(
      /minEarlyStoppingRate/,
    );
    expect(() => createSuccessiveHalvingPruner({ bootstrapCount: 1 })).toThrow(
      /numeric minResource/,
    );
  });
});

describe('hyperband pruner', () => {
  testPruner({ create: () => createHyperbandPruner(), name: 'hyperband' });

  it('computes CRC-32 like zlib', () => {
    expect(crc32('hello')).toBe(0x3610a686);
    expect(crc32('')).toBe(0);
    expect(crc32('The quick brown fox jumps over the lazy dog')).toBe(0x414fa339);
  });

  it('assigns brackets exactly like Optuna', () => {
    const { studyName, minResource, maxResource, reductionFactor, ids } = fixture.hyperbandBrackets;
    const brackets = hyperbandBrackets(minResource, maxResource, reductionFactor);
    // ⌊log₃ 27⌋ + 1 = 4 brackets with budgets ⌈4·3^s/(s+1)⌉ for s = 3..0.
    expect(brackets).toEqual({ count: 4, budgets: [27, 12, 6, 4] });
    expect(ids.map((_, n) => getHyperbandBracket(studyName, n, brackets))).toEqual(ids);
  });

  it('lets a trial compete only within its bracket', () => {
    const brackets = hyperbandBrackets(1, 9, 3);
    // Find two trial numbers in bracket 0 of study "hb" (rungs at steps 1, 3, 9).
    const inZero: number[] = [];
    const elsewhere: number[] = [];
    for (let n = 0; inZero.length < 2 || elsewhere.length < 1; n++) {
      (getHyperbandBracket('hb', n, brackets) === 0 ? inZero : elsewhere).push(n);
    }
    const [a, b] = inZero as [number, number];
    const other = elsewhere[0] as number;
    const reports = (v: number) => Array.from({ length: 9 }, (_, s) => [s, v] as const);
    const current = makeTrial(b, 'running', [
      [0, 5],
      [1, 5],
    ]);
    // Against a better trial of its own bracket it is pruned at rung 0 (step 1): with fewer
    // than η competitors only the best is promoted.
    const same = makeStudy(['minimize'], [makeTrial(a, 'complete', reports(1)), current], 'hb');
    expect(createHyperbandPruner({ maxResource: 9 }).prune(same, current)).toBe(true);
    // A better trial in another bracket does not count.
    const apart = makeStudy(
      ['minimize'],
      [makeTrial(other, 'complete', reports(0)), current],
      'hb',
    );
    expect(createHyperbandPruner({ maxResource: 9 }).prune(apart, current)).toBe(false);
  });

  it('rejects invalid options', () => {
    expect(() => createHyperbandPruner({ minResource: 0 })).toThrow(/minResource/);
    expect(() => createHyperbandPruner({ minResource: 10, maxResource: 5 })).toThrow(
      /below minResource/,
    );
    expect(() => createHyperbandPruner({ reductionFactor: 1 })).toThrow(/reductionFactor/);
    expect(() => createHyperbandPruner({ bootstrapCount: 2 })).toThrow(/numeric maxResource/);
  });
});
