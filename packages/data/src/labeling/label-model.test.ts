import { describe, expect, it } from 'vitest';
import {
  applyLabelingFunctions,
  createRng,
  customLF,
  DataError,
  type LabelMatrix,
  lfAnalysis,
  majorityVote,
  trainLabelModel,
} from '../index.js';

interface LfSpec {
  accuracy: number;
  coverage: number;
  /** When wrong, vote this label (if it is not the truth) instead of a uniformly random wrong one. */
  bias?: string;
}

/** Votes of conditionally independent LFs with known accuracies on records with known truth. */
function synthesize(seed: number, n: number, labels: string[], specs: LfSpec[]) {
  const rng = createRng(seed);
  const truth: string[] = [];
  const records = [];
  for (let i = 0; i < n; i++) {
    const t = rng.pick(labels);
    truth.push(t);
    const votes = specs.map(({ accuracy, coverage, bias }) => {
      if (rng.next() >= coverage) return null;
      if (rng.next() < accuracy) return t;
      if (bias !== undefined && bias !== t) return bias;
      return rng.pick(labels.filter((l) => l !== t));
    });
    records.push({ votes });
  }
  const lfs = specs.map((_, j) =>
    customLF(`lf${j}`, (r) => (r.votes as (string | null)[])[j] ?? null),
  );
  return { truth, matrix: applyLabelingFunctions(records, lfs, { labels }) };
}

const accuracyOf = (predicted: (string | null)[], truth: string[]): number =>
  predicted.filter((p, i) => p === truth[i]).length / truth.length;

describe('trainLabelModel', () => {
  it('matches a hand-computed first EM iteration', () => {
    // r0: (a, a), r1: (a, b), r2: (b, –). Soft majority vote: [1,0], [½,½], [0,1].
    const matrix: LabelMatrix<'a' | 'b'> = {
      labels: ['a', 'b'],
      lfNames: ['lf0', 'lf1'],
      n: 3,
      m: 2,
      values: Int32Array.from([0, 0, 0, 1, 1, -1]),
    };
    const model = trainLabelModel(matrix, { maxIterations: 1, smoothing: 1 });
    // Priors: (2.5, 2.5) / 5. Confusion rows (Laplace +1, then normalised):
    // lf0 | a: (1+1.5, 1+0) → (5/7, 2/7); lf0 | b: (1+.5, 1+1) → (3/7, 4/7)
    // lf1 | a: (1+1, 1+.5) → (4/7, 3/7); lf1 | b: (1+0, 1+.5) → (2/5, 3/5)
    expect(model.priors).toEqual([0.5, 0.5]);
    const c = model.confusion;
    expect(c[0]?.[0]?.[0]).toBeCloseTo(5 / 7, 12);
    expect(c[0]?.[1]?.[1]).toBeCloseTo(4 / 7, 12);
    expect(c[1]?.[0]?.[1]).toBeCloseTo(3 / 7, 12);
    expect(c[1]?.[1]?.[0]).toBeCloseTo(2 / 5, 12);
    // E-step: r0 ∝ (5/7·4/7, 3/7·2/5) = (100, 42)/245; r1 ∝ (5/7·3/7, 3/7·3/5) = (75, 63)/245; r2 ∝ (2/7, 4/7).
    const p = Array.from(model.probabilities);
    const expected = [100 / 142, 42 / 142, 75 / 138, 63 / 138, 1 / 3, 2 / 3];
    for (let q = 0; q < 6; q++) expect(p[q]).toBeCloseTo(expected[q] as number, 12);
    const ll = Math.log(0.5 * (142 / 245)) + Math.log(0.5 * (138 / 245)) + Math.log(0.5 * (6 / 7));
    expect(model.logLikelihood).toBeCloseTo(ll, 12);
    expect(model.accuracies[0]).toBeCloseTo((100 / 142 + 75 / 138 + 2 / 3) / 3, 12);
    expect(model.accuracies[1]).toBeCloseTo((100 / 142 + 63 / 138) / 2, 12);
    expect([model.iterations, model.converged]).toEqual([1, false]);
    expect(model.predict()).toEqual(['a', 'a', 'b']);
  });

  it('recovers LF accuracies within ±0.05 and beats majority vote on a synthetic set', () => {
    const trueAccuracies = [0.9, 0.85, 0.7, 0.6, 0.55];
    const coverages = [0.6, 0.5, 0.8, 0.7, 0.9];
    const specs = trueAccuracies.map((accuracy, j) => ({
      accuracy,
      coverage: coverages[j] as number,
    }));
    const { truth, matrix } = synthesize(1, 2000, ['neg', 'neu', 'pos'], specs);
    const model = trainLabelModel(matrix, { seed: 1 });
    expect(model.converged).toBe(true);
    for (let j = 0; j < 5; j++) {
      expect(
        Math.abs((model.accuracies[j] as number) - (trueAccuracies[j] as number)),
      ).toBeLessThan(0.05);
    }
    // The empirical accuracies against the truth agree with the model's estimates too.
    const empirical = lfAnalysis(matrix, { gold: truth }).lfs.map(
      (s) => s.empiricalAccuracy as number,
    );
    for (let j = 0; j < 5; j++)
      expect(Math.abs((model.accuracies[j] as number) - (empirical[j] as number))).toBeLessThan(
        0.05,
      );
    const dsAccuracy = accuracyOf(model.predict(), truth);
    const mvAccuracy = accuracyOf(majorityVote(matrix, { tieBreak: 'random', seed: 1 }), truth);
    expect(dsAccuracy).toBeGreaterThanOrEqual(mvAccuracy);
    expect(dsAccuracy).toBeGreaterThan(0.8);
    for (const prior of model.priors) expect(Math.abs(prior - 1 / 3)).toBeLessThan(0.05);
    // Rows of the posterior sum to one.
    for (let i = 0; i < 2000; i += 97) {
      const row = model.probabilities.subarray(i * 3, i * 3 + 3);
      expect(row[0]! + row[1]! + row[2]!).toBeCloseTo(1, 12);
    }
  });

  it('beats majority vote when two poor LFs are biased towards different wrong labels', () => {
    // lf1 says "a" and lf2 says "b" whenever they are wrong; together they often outvote lf0.
    const { truth, matrix } = synthesize(
      2,
      1000,
      ['a', 'b', 'c'],
      [
        { accuracy: 0.95, coverage: 1 },
        { accuracy: 0.4, coverage: 1, bias: 'a' },
        { accuracy: 0.4, coverage: 1, bias: 'b' },
      ],
    );
    const model = trainLabelModel(matrix);
    const dsAccuracy = accuracyOf(model.predict(), truth);
    const mvAccuracy = accuracyOf(majorityVote(matrix, { tieBreak: 'random', seed: 3 }), truth);
    expect(mvAccuracy).toBeLessThan(0.8);
    expect(dsAccuracy).toBeGreaterThan(0.9);
    expect(dsAccuracy - mvAccuracy).toBeGreaterThan(0.15);
    expect(model.accuracies[0]).toBeGreaterThan(0.9);
    expect(model.accuracies[1]).toBeLessThan(0.5);
    // lf1 votes "a" for true "c" far more often than for true "b" (its bias).
    const lf1 = model.confusion[1]!;
    expect(lf1[2]![0]).toBeGreaterThan(0.4);
    expect(lf1[2]![2]).toBeLessThan(0.55);
  });

  it('gives uncovered records the prior and a null prediction; honours classBalance', () => {
    // 10 records voted x by both LFs, 10 voted y by both, and one nobody labels.
    const votes = [
      ...new Array(20).fill(0).map((_, i) => (i < 10 ? [0, 0] : [1, 1])),
      [-1, -1],
    ].flat();
    const matrix: LabelMatrix<'x' | 'y'> = {
      labels: ['x', 'y'],
      lfNames: ['p', 'q'],
      n: 21,
      m: 2,
      values: Int32Array.from(votes),
    };
    const model = trainLabelModel(matrix, { classBalance: [3, 1] });
    expect(model.priors).toEqual([0.75, 0.25]);
    expect(Array.from(model.probabilities.subarray(40, 42))).toEqual([0.75, 0.25]);
    const predicted = model.predict();
    expect(predicted.slice(0, 10)).toEqual(new Array(10).fill('x'));
    expect(predicted.slice(10, 20)).toEqual(new Array(10).fill('y'));
    expect(predicted[20]).toBeNull();
    const free = trainLabelModel(matrix);
    // Estimated priors: (10 + 1) / (20 + 2) each, as the two groups are symmetric.
    expect(free.priors[0]).toBeCloseTo(0.5, 9);
    expect(free.priors[1]).toBeCloseTo(0.5, 9);
  });

  it('is deterministic', () => {
    const { matrix } = synthesize(
      9,
      300,
      ['a', 'b'],
      [
        { accuracy: 0.8, coverage: 0.7 },
        { accuracy: 0.7, coverage: 0.7 },
        { accuracy: 0.65, coverage: 0.7 },
      ],
    );
    const a = trainLabelModel(matrix, { seed: 4 });
    const b = trainLabelModel(matrix, { seed: 4 });
    expect(Array.from(a.probabilities)).toEqual(Array.from(b.probabilities));
    expect(a.predict()).toEqual(b.predict());
  });

  it('rejects bad options and label-less matrices', () => {
    const matrix: LabelMatrix = {
      labels: ['a', 'b'],
      lfNames: ['l'],
      n: 1,
      m: 1,
      values: Int32Array.from([0]),
    };
    expect(() => trainLabelModel(matrix, { smoothing: 0 })).toThrow(
      /smoothing must be a finite number > 0/,
    );
    expect(() => trainLabelModel(matrix, { maxIterations: 0 })).toThrow(DataError);
    expect(() => trainLabelModel(matrix, { classBalance: [1] })).toThrow(
      /classBalance must hold 2 positive numbers/,
    );
    const empty = applyLabelingFunctions([{}, {}], [customLF('never', () => null)]);
    expect(() => trainLabelModel(empty)).toThrow(/pass `labels` to applyLabelingFunctions/);
  });
});
