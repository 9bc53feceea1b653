// Classification metrics against scikit-learn 1.2 values (fixtures/classification.py) and
// hand-computed cases.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Label } from '../index.js';
import {
  accuracy,
  averagePrecisionScore,
  classificationReport,
  confusionMatrix,
  f1Score,
  fbetaScore,
  hammingLoss,
  multiclassRocAucScore,
  multilabelAveragePrecision,
  multilabelPrecisionRecallFscore,
  multilabelRocAucScore,
  precisionRecallCurve,
  precisionRecallFscore,
  precisionScore,
  recallScore,
  rocAucScore,
  rocCurve,
  subsetAccuracy,
} from '../index.js';
import { close, closeAveraged, codeOf } from './test-helpers.js';

interface PrfRow {
  beta: number;
  zeroDivision: 0 | 1;
  average: 'none' | 'micro' | 'macro' | 'weighted' | 'binary';
  precision: number[];
  recall: number[];
  fScore: number[];
  support: number[] | null;
}
interface Curve {
  [key: string]: number[];
}
interface Fixture {
  multiclass: Array<{
    yTrue: Label[];
    yPred: Label[];
    labels: Label[] | null;
    accuracy: number;
    prf: PrfRow[];
    confusion: Record<'none' | 'true' | 'pred' | 'all', number[][]>;
    report: Record<
      string,
      { precision: number; recall: number; 'f1-score': number; support: number } | number
    >;
  }>;
  binaryScores: Array<{
    yTrue: number[];
    yScore: number[];
    rocAuc: number;
    averagePrecision: number;
    roc: Curve;
    rocAll: Curve;
    pr: Curve;
  }>;
  multiclassScores: Array<{
    yTrue: number[];
    yScore: number[][];
    macro: number;
    weighted: number;
    micro: number;
    ovo_macro: number;
    ovo_weighted: number;
    sampleWeight: number[];
    weighted_macro: number;
    weighted_weighted: number;
    weighted_micro: number;
  }>;
  weighted: Array<{
    case: number;
    sampleWeight: number[];
    accuracy: number;
    prf: Array<Omit<PrfRow, 'beta' | 'zeroDivision'>>;
    confusion: Record<'none' | 'true', number[][]>;
  }>;
  weightedScores: Array<{
    index: number;
    sampleWeight: number[];
    rocAuc: number;
    averagePrecision: number;
    roc: Curve;
    pr: Curve;
  }>;
  multilabel: Array<{
    yTrue: number[][];
    yPred: number[][];
    yScore: number[][];
    prf: PrfRow[];
    hammingLoss: number;
    subsetAccuracy: number;
    samplesRows: number[];
    weighted: {
      sampleWeight: number[];
      hammingLoss: number;
      subsetAccuracy: number;
      prf: Array<Omit<PrfRow, 'beta' | 'zeroDivision'>>;
      [key: string]: unknown;
    };
    [key: string]: unknown;
  }>;
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/classification.json', import.meta.url), 'utf8'),
) as Fixture;

function closeAll(actual: readonly number[], expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    if (Number.isNaN(expected[i]!)) expect(v).toBeNaN();
    else close(v, expected[i]!);
  });
}

describe('single-label metrics match scikit-learn', () => {
  fixture.multiclass.forEach((c, ci) => {
    const labels = c.labels ?? undefined;
    it(`case ${ci}: accuracy, precision/recall/F-beta, confusion matrix, report`, () => {
      close(accuracy(c.yTrue, c.yPred), c.accuracy);
      for (const row of c.prf) {
        const base = { labels, beta: row.beta, zeroDivision: row.zeroDivision };
        if (row.average === 'none') {
          const got = precisionRecallFscore(c.yTrue, c.yPred, { ...base, average: 'none' });
          closeAll(got.precision, row.precision);
          closeAll(got.recall, row.recall);
          closeAll(got.fScore, row.fScore);
          expect(got.support).toEqual(row.support);
        } else {
          const got = precisionRecallFscore(c.yTrue, c.yPred, { ...base, average: row.average });
          closeAveraged(got, row);
          close(
            precisionScore(c.yTrue, c.yPred, { ...base, average: row.average }),
            row.precision[0]!,
          );
          close(recallScore(c.yTrue, c.yPred, { ...base, average: row.average }), row.recall[0]!);
          close(fbetaScore(c.yTrue, c.yPred, { ...base, average: row.average }), row.fScore[0]!);
        }
      }
      for (const norm of ['none', 'true', 'pred', 'all'] as const) {
        const got = confusionMatrix(c.yTrue, c.yPred, {
          labels,
          normalize: norm === 'none' ? undefined : norm,
        });
        expect(got.matrix.length).toBe(c.confusion[norm].length);
        got.matrix.forEach((row, i) => {
          closeAll(row, c.confusion[norm][i]!);
        });
      }
      const report = classificationReport(c.yTrue, c.yPred, { labels });
      for (const cls of report.classes) {
        const ref = c.report[String(cls.label)] as Exclude<
          Fixture['multiclass'][0]['report'][string],
          number
        >;
        close(cls.precision, ref.precision);
        close(cls.recall, ref.recall);
        close(cls.f1, ref['f1-score']);
        expect(cls.support).toBe(ref.support);
      }
      for (const [key, mine] of [
        ['macro avg', report.macroAvg],
        ['weighted avg', report.weightedAvg],
      ] as const) {
        const ref = c.report[key] as {
          precision: number;
          recall: number;
          'f1-score': number;
          support: number;
        };
        close(mine.precision, ref.precision);
        close(mine.f1, ref['f1-score']);
        expect(mine.support).toBe(ref.support);
      }
      const micro = c.report['micro avg'];
      if (micro !== undefined && typeof micro !== 'number')
        close(report.microAvg.f1, micro['f1-score']);
      else close(report.accuracy, c.report.accuracy as number);
    });
  });

  it('follows the declared label order', () => {
    const yTrue = ['a', 'b', 'a'];
    const yPred = ['a', 'a', 'b'];
    expect(confusionMatrix(yTrue, yPred, { labels: ['b', 'a'] })).toEqual({
      labels: ['b', 'a'],
      matrix: [
        [0, 1],
        [1, 1],
      ],
    });
    expect(recallScore(yTrue, yPred, { labels: ['b', 'a'], average: 'none' })).toEqual([0, 0.5]);
    expect(
      classificationReport(yTrue, yPred, { labels: ['b', 'a'] }).classes.map((c) => c.label),
    ).toEqual(['b', 'a']);
  });

  it('hand-computed binary case: 3 TP, 1 FP, 1 FN', () => {
    const yTrue = [1, 1, 1, 1, 0, 0];
    const yPred = [1, 1, 1, 0, 1, 0];
    expect(precisionScore(yTrue, yPred, { average: 'binary' })).toBe(0.75);
    expect(recallScore(yTrue, yPred, { average: 'binary' })).toBe(0.75);
    expect(f1Score(yTrue, yPred, { average: 'none' })).toEqual([0.5, 0.75]);
    // F2 = 5PR/(4P+R) with P = R = 0.75
    close(fbetaScore(yTrue, yPred, { average: 'binary', beta: 2 }), 0.75);
    expect(fbetaScore(yTrue, yPred, { average: 'binary', beta: Number.POSITIVE_INFINITY })).toBe(
      0.75,
    );
  });
});

describe('ranking metrics match scikit-learn', () => {
  fixture.binaryScores.forEach((c, ci) => {
    it(`binary case ${ci}: ROC/PR curves, ROC AUC, average precision`, () => {
      close(rocAucScore(c.yTrue, c.yScore), c.rocAuc);
      close(averagePrecisionScore(c.yTrue, c.yScore), c.averagePrecision);
      const roc = rocCurve(c.yTrue, c.yScore);
      closeAll(roc.fpr, c.roc.fpr!);
      closeAll(roc.tpr, c.roc.tpr!);
      closeAll(roc.thresholds, c.roc.thresholds!);
      const all = rocCurve(c.yTrue, c.yScore, { dropIntermediate: false });
      closeAll(all.fpr, c.rocAll.fpr!);
      closeAll(all.thresholds, c.rocAll.thresholds!);
      const pr = precisionRecallCurve(c.yTrue, c.yScore);
      closeAll(pr.precision, c.pr.precision!);
      closeAll(pr.recall, c.pr.recall!);
      closeAll(pr.thresholds, c.pr.thresholds!);
    });
  });

  fixture.multiclassScores.forEach((c, ci) => {
    it(`multi-class one-vs-rest and one-vs-one ROC AUC case ${ci}`, () => {
      for (const average of ['macro', 'weighted', 'micro'] as const) {
        close(multiclassRocAucScore(c.yTrue, c.yScore, { average }), c[average]);
      }
      for (const average of ['macro', 'weighted'] as const) {
        close(
          multiclassRocAucScore(c.yTrue, c.yScore, { average, multiClass: 'ovo' }),
          c[`ovo_${average}`],
        );
      }
    });
  });

  it('string labels: ROC AUC takes the larger label as positive, curves need posLabel', () => {
    const yTrue = ['no', 'yes', 'no', 'yes'];
    const yScore = [0.1, 0.35, 0.4, 0.8];
    expect(rocAucScore(yTrue, yScore)).toBe(0.75);
    expect(rocAucScore(yTrue, yScore, { posLabel: 'no' })).toBe(0.25);
    expect(codeOf(() => rocCurve(yTrue, yScore))).toBe('INVALID_ARGUMENT');
    // AP for positives at ranks 2 and 4 of [0.8, 0.4, 0.35, 0.1]: (1 + 2/3) / 2
    close(averagePrecisionScore(yTrue, yScore, { posLabel: 'yes' }), 5 / 6);
  });
});

describe('sample weights match scikit-learn', () => {
  fixture.weighted.forEach((wc) => {
    it(`single-label case ${wc.case} with weights (one of them 0)`, () => {
      const c = fixture.multiclass[wc.case]!;
      const sampleWeight = wc.sampleWeight;
      close(accuracy(c.yTrue, c.yPred, { sampleWeight }), wc.accuracy);
      for (const row of wc.prf) {
        if (row.average === 'none') {
          const got = precisionRecallFscore(c.yTrue, c.yPred, { sampleWeight, average: 'none' });
          closeAll(got.precision, row.precision);
          closeAll(got.recall, row.recall);
          closeAll(got.fScore, row.fScore);
          closeAll(got.support, row.support!);
        } else {
          const got = precisionRecallFscore(c.yTrue, c.yPred, {
            sampleWeight,
            average: row.average as 'micro',
          });
          closeAveraged(got, row);
        }
      }
      for (const norm of ['none', 'true'] as const) {
        const got = confusionMatrix(c.yTrue, c.yPred, {
          sampleWeight,
          normalize: norm === 'none' ? undefined : norm,
        });
        got.matrix.forEach((row, i) => {
          closeAll(row, wc.confusion[norm][i]!);
        });
      }
      close(classificationReport(c.yTrue, c.yPred, { sampleWeight }).accuracy, wc.accuracy);
    });
  });

  fixture.weightedScores.forEach((wc) => {
    it(`binary scores case ${wc.index} with weights (one of them 0)`, () => {
      const c = fixture.binaryScores[wc.index]!;
      const sampleWeight = wc.sampleWeight;
      close(rocAucScore(c.yTrue, c.yScore, { sampleWeight }), wc.rocAuc);
      close(averagePrecisionScore(c.yTrue, c.yScore, { sampleWeight }), wc.averagePrecision);
      const roc = rocCurve(c.yTrue, c.yScore, { sampleWeight });
      closeAll(roc.fpr, wc.roc.fpr!);
      closeAll(roc.tpr, wc.roc.tpr!);
      closeAll(roc.thresholds, wc.roc.thresholds!);
      const pr = precisionRecallCurve(c.yTrue, c.yScore, { sampleWeight });
      closeAll(pr.precision, wc.pr.precision!);
      closeAll(pr.recall, wc.pr.recall!);
      closeAll(pr.thresholds, wc.pr.thresholds!);
    });
  });

  fixture.multiclassScores.forEach((c, ci) => {
    it(`multi-class one-vs-rest ROC AUC case ${ci} with weights`, () => {
      for (const average of ['macro', 'weighted', 'micro'] as const) {
        close(
          multiclassRocAucScore(c.yTrue, c.yScore, { average, sampleWeight: c.sampleWeight }),
          c[`weighted_${average}`],
        );
      }
    });
  });

  fixture.multilabel.forEach((c, ci) => {
    it(`multi-label case ${ci} with weights`, () => {
      const wc = c.weighted;
      const sampleWeight = wc.sampleWeight;
      close(hammingLoss(c.yTrue, c.yPred, { sampleWeight }), wc.hammingLoss);
      close(subsetAccuracy(c.yTrue, c.yPred, { sampleWeight }), wc.subsetAccuracy);
      for (const row of wc.prf) {
        if (row.average === 'none') {
          const got = multilabelPrecisionRecallFscore(c.yTrue, c.yPred, {
            sampleWeight,
            average: 'none',
          });
          closeAll(got.precision, row.precision);
          closeAll(got.recall, row.recall);
          closeAll(got.support, row.support!);
        } else {
          const got = multilabelPrecisionRecallFscore(c.yTrue, c.yPred, {
            sampleWeight,
            average: row.average as 'micro',
          });
          closeAveraged(got, row);
        }
      }
      for (const average of ['micro', 'macro', 'weighted'] as const) {
        close(
          multilabelRocAucScore(c.yTrue, c.yScore, { average, sampleWeight }),
          wc[`rocAuc_${average}`] as number,
        );
        close(
          multilabelAveragePrecision(c.yTrue, c.yScore, { average, sampleWeight }),
          wc[`ap_${average}`] as number,
        );
      }
      const rows = c.samplesRows;
      close(
        multilabelAveragePrecision(
          rows.map((i) => c.yTrue[i]!),
          rows.map((i) => c.yScore[i]!),
          { average: 'samples', sampleWeight: rows.map((i) => sampleWeight[i]!) },
        ),
        wc.ap_samples as number,
      );
    });
  });

  it('rejects bad weights', () => {
    expect(codeOf(() => accuracy([1, 2], [1, 2], { sampleWeight: [1] }))).toBe('LENGTH_MISMATCH');
    expect(codeOf(() => accuracy([1, 2], [1, 2], { sampleWeight: [1, -1] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => accuracy([1, 2], [1, 2], { sampleWeight: [0, 0] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(
      codeOf(() =>
        multiclassRocAucScore(
          [0, 1],
          [
            [0.4, 0.6],
            [0.3, 0.7],
          ],
          { multiClass: 'ovo', sampleWeight: [1, 1] },
        ),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => rocAucScore([0, 1], [0.1, 0.2], { sampleWeight: [1, Number.NaN] }))).toBe(
      'NOT_FINITE',
    );
  });
});

describe('multi-label metrics match scikit-learn', () => {
  fixture.multilabel.forEach((c, ci) => {
    it(`case ${ci}`, () => {
      close(hammingLoss(c.yTrue, c.yPred), c.hammingLoss);
      close(subsetAccuracy(c.yTrue, c.yPred), c.subsetAccuracy);
      for (const row of c.prf) {
        const base = { beta: row.beta, zeroDivision: row.zeroDivision };
        if (row.average === 'none') {
          const got = multilabelPrecisionRecallFscore(c.yTrue, c.yPred, {
            ...base,
            average: 'none',
          });
          closeAll(got.precision, row.precision);
          closeAll(got.fScore, row.fScore);
          expect(got.support).toEqual(row.support);
        } else {
          const got = multilabelPrecisionRecallFscore(c.yTrue, c.yPred, {
            ...base,
            average: row.average as 'micro',
          });
          closeAveraged(got, row);
        }
      }
      for (const average of ['micro', 'macro', 'weighted'] as const) {
        close(
          multilabelRocAucScore(c.yTrue, c.yScore, { average }),
          c[`rocAuc_${average}`] as number,
        );
        close(
          multilabelAveragePrecision(c.yTrue, c.yScore, { average }),
          c[`ap_${average}`] as number,
        );
      }
      const rows = c.samplesRows;
      close(
        multilabelAveragePrecision(
          rows.map((i) => c.yTrue[i]!),
          rows.map((i) => c.yScore[i]!),
          { average: 'samples' },
        ),
        c.ap_samples as number,
      );
    });
  });
});

describe('multi-label ROC AUC per sample (hand-computed)', () => {
  it('averages each row’s AUC', () => {
    // Row 0: positives 0.9 and 0.4 both above the negative 0.2 → 1.
    // Row 1: the positive 0.5 is below both negatives 0.6 and 0.7 → 0.
    const yTrue = [
      [1, 0, 1],
      [0, 1, 0],
    ];
    const yScore = [
      [0.9, 0.2, 0.4],
      [0.6, 0.5, 0.7],
    ];
    expect(multilabelRocAucScore(yTrue, yScore, { average: 'samples' })).toBe(0.5);
  });
});

describe('input validation', () => {
  it('rejects bad inputs with typed codes', () => {
    expect(codeOf(() => accuracy([1, 2], [1]))).toBe('LENGTH_MISMATCH');
    expect(codeOf(() => accuracy([], []))).toBe('EMPTY_INPUT');
    expect(codeOf(() => accuracy([1, Number.NaN], [1, 1]))).toBe('NOT_FINITE');
    expect(codeOf(() => accuracy([1, 'a'], [1, 1]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => f1Score([0, 1, 2], [0, 1, 1], { labels: [0, 1] }))).toBe('UNKNOWN_LABEL');
    expect(codeOf(() => f1Score([0, 1, 2], [0, 1, 1], { average: 'binary' }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => fbetaScore([0, 1], [0, 1], { beta: -1 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => rocAucScore([1, 1, 1], [0.2, 0.3, 0.4]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => rocAucScore([0, 1], [0.2, Number.POSITIVE_INFINITY]))).toBe('NOT_FINITE');
    expect(
      codeOf(() =>
        multiclassRocAucScore(
          [0, 1, 2],
          [
            [0.5, 0.5, 0.5],
            [0.2, 0.3, 0.5],
            [0, 0, 1],
          ],
        ),
      ),
    ).toBe('INVALID_ARGUMENT');
    expect(
      codeOf(() =>
        multiclassRocAucScore(
          [0, 1, 2],
          [
            [0.5, 0.5],
            [0.2, 0.8],
            [0, 1],
          ],
        ),
      ),
    ).toBe('LENGTH_MISMATCH');
    expect(codeOf(() => hammingLoss([[0, 1]], [[0, 2]]))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => hammingLoss([[0, 1]], [[0, 1, 1]]))).toBe('LENGTH_MISMATCH');
  });

  it('names the offending field in the message', () => {
    expect(() => f1Score(['a', 'b'], ['a', 'c'], { labels: ['a', 'b'] })).toThrow(/yPred\[1\]/);
  });
});
