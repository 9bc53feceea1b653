// Classification metrics with scikit-learn 1.2 semantics: accuracy, precision/recall/F-beta,
// reports, confusion matrices, ROC/PR curves and AUCs, and their multi-label variants.

import { ValidateError } from '../errors.js';
import type { ClassScores } from '../types.js';
import { checkFiniteArray, checkNonEmpty, checkPaired, checkSampleWeights } from './utils.js';

/** A class label: all labels of one call are numbers, or all are strings. */
export type Label = string | number;

/** How per-class scores are combined; `none` returns one score per label. */
export type ClassAverage = 'micro' | 'macro' | 'weighted' | 'binary' | 'none';

/** Averaging for multi-label indicator matrices; `samples` averages per-row scores. */
export type MultilabelAverage = 'micro' | 'macro' | 'weighted' | 'samples' | 'none';

export interface ClassificationOptions {
  /**
   * Every label that may occur, in output order. A label in the data that is not listed is an
   * `UNKNOWN_LABEL` error (scikit-learn would silently drop it).
   * @default the sorted union of the labels in `yTrue` and `yPred`
   */
  labels?: readonly Label[];
}

export interface SampleWeightOptions {
  /** Weight of each sample (finite, >= 0, one per sample), as scikit-learn's `sample_weight`. @default 1 for every sample */
  sampleWeight?: readonly number[];
}

/** Options of `accuracy`. */
export interface AccuracyOptions extends SampleWeightOptions {}

export interface PrecisionRecallFscoreOptions extends ClassificationOptions, SampleWeightOptions {
  /**
   * How per-class scores are combined. scikit-learn defaults to `binary`; `macro` is the default
   * here because it also works for string and multi-class labels.
   * @default 'macro'
   */
  average?: ClassAverage;
  /** Weight of recall in the F-score (`Infinity` gives recall). @default 1 */
  beta?: number;
  /** Value of a precision or recall whose denominator is zero, as scikit-learn's `zero_division`. @default 0 */
  zeroDivision?: 0 | 1;
  /** The positive class when `average` is `binary`. @default 1 */
  posLabel?: Label;
}

/** Averaged scores (support is not returned for averages, as in scikit-learn). */
export interface AveragedScores {
  precision: number;
  recall: number;
  fScore: number;
}

/** One score per label, in the order of `labels`. */
export interface PerClassScores {
  labels: Label[];
  precision: number[];
  recall: number[];
  fScore: number[];
  support: number[];
}

type AveragedOptions = PrecisionRecallFscoreOptions & { average?: Exclude<ClassAverage, 'none'> };
type PerClassOptions = PrecisionRecallFscoreOptions & { average: 'none' };

interface Encoded {
  labels: Label[];
  yTrue: Int32Array;
  yPred: Int32Array;
}

function labelKind(value: unknown, field: string): 'number' | 'string' {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new ValidateError(
        'NOT_FINITE',
        `is ${value}; labels must be finite numbers or strings`,
        {
          field,
        },
      );
    }
    return 'number';
  }
  throw new ValidateError(
    'INVALID_ARGUMENT',
    `is ${typeof value}; labels must be numbers or strings`,
    {
      field,
    },
  );
}

function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sorted distinct labels of the given arrays; mixing numbers and strings is an error like in scikit-learn. */
function uniqueLabels(arrays: ReadonlyArray<readonly [readonly Label[], string]>): Label[] {
  const seen = new Set<Label>();
  let kind: 'number' | 'string' | undefined;
  for (const [values, field] of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as Label;
      const k = labelKind(v, `${field}[${i}]`);
      if (kind !== undefined && k !== kind) {
        throw new ValidateError(
          'INVALID_ARGUMENT',
          `is a ${k} but earlier labels are ${kind}s; use one label type throughout`,
          { field: `${field}[${i}]` },
        );
      }
      kind = k;
      seen.add(v);
    }
  }
  return [...seen].sort(compareLabels);
}

function indexLabels(labels: readonly Label[]): Map<Label, number> {
  const index = new Map<Label, number>();
  labels.forEach((label, i) => {
    labelKind(label, `labels[${i}]`);
    if (index.has(label)) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        `repeats ${JSON.stringify(label)}; list each label once`,
        {
          field: `labels[${i}]`,
        },
      );
    }
    index.set(label, i);
  });
  return index;
}

function encodeWith(
  values: readonly Label[],
  index: Map<Label, number>,
  field: string,
): Int32Array {
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const code = index.get(values[i] as Label);
    if (code === undefined) {
      labelKind(values[i], `${field}[${i}]`);
      throw new ValidateError(
        'UNKNOWN_LABEL',
        `is ${JSON.stringify(values[i])}, which is not in options.labels; add it to labels or fix the data`,
        { field: `${field}[${i}]` },
      );
    }
    codes[i] = code;
  }
  return codes;
}

function encode(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  declared?: readonly Label[],
): Encoded {
  checkPaired(yTrue, yPred, ['yTrue', 'yPred']);
  const labels =
    declared === undefined
      ? uniqueLabels([
          [yTrue, 'yTrue'],
          [yPred, 'yPred'],
        ])
      : [...declared];
  if (declared !== undefined) checkNonEmpty(declared, 'options.labels');
  const index = indexLabels(labels);
  return {
    labels,
    yTrue: encodeWith(yTrue, index, 'yTrue'),
    yPred: encodeWith(yPred, index, 'yPred'),
  };
}

function checkBeta(beta: number): void {
  if (!(beta >= 0)) {
    throw new ValidateError('INVALID_ARGUMENT', `is ${beta}; pass a number >= 0 (or Infinity)`, {
      field: 'options.beta',
    });
  }
}

function checkZeroDivision(zeroDivision: number): void {
  if (zeroDivision !== 0 && zeroDivision !== 1) {
    throw new ValidateError('INVALID_ARGUMENT', `is ${zeroDivision}; pass 0 or 1`, {
      field: 'options.zeroDivision',
    });
  }
}

function divide(num: number, den: number, zeroDivision: number): number {
  return den === 0 ? zeroDivision : num / den;
}

function fbeta(p: number, r: number, beta: number): number {
  if (beta === Number.POSITIVE_INFINITY) return r;
  const beta2 = beta * beta;
  const den = beta2 * p + r;
  return ((1 + beta2) * p * r) / (den === 0 ? 1 : den);
}

function weightedMean(values: readonly number[], weights?: readonly number[]): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < values.length; i++) {
    const w = weights === undefined ? 1 : (weights[i] as number);
    sum += (values[i] as number) * w;
    total += w;
  }
  return sum / total;
}

/**
 * Per-class counts → scores, following `precision_recall_fscore_support` step by step. Shared
 * with the NER metrics (seqeval uses the same arithmetic); not part of the public API.
 */
export function scoresFromCounts(
  tp: readonly number[],
  predSum: readonly number[],
  trueSum: readonly number[],
  average: 'micro' | 'macro' | 'weighted' | 'none',
  beta: number,
  zeroDivision: number,
): { precision: number[]; recall: number[]; fScore: number[] } | AveragedScores {
  let t = tp;
  let p = predSum;
  let s = trueSum;
  if (average === 'micro') {
    const total = (xs: readonly number[]) => [xs.reduce((a, b) => a + b, 0)];
    t = total(tp);
    p = total(predSum);
    s = total(trueSum);
  }
  const precision = t.map((v, i) => divide(v, p[i] as number, zeroDivision));
  const recall = t.map((v, i) => divide(v, s[i] as number, zeroDivision));
  const fScore = precision.map((v, i) => fbeta(v, recall[i] as number, beta));
  if (average === 'none') return { precision, recall, fScore };
  let weights: readonly number[] | undefined;
  if (average === 'weighted') {
    if (s.reduce((a, b) => a + b, 0) === 0) {
      // scikit-learn's special case: no true samples in any class.
      const z = zeroDivision;
      if (p.reduce((a, b) => a + b, 0) === 0) return { precision: z, recall: z, fScore: z };
      return { precision: 0, recall: z, fScore: 0 };
    }
    weights = s;
  }
  return {
    precision: weightedMean(precision, weights),
    recall: weightedMean(recall, weights),
    fScore: weightedMean(fScore, weights),
  };
}

/** Fraction of samples whose prediction equals the truth. */
export function accuracy(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: AccuracyOptions = {},
): number {
  const { yTrue: t, yPred: p } = encode(yTrue, yPred);
  const w = checkSampleWeights(options.sampleWeight, t.length);
  let hits = 0;
  let total = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === p[i]) hits += w[i]!;
    total += w[i]!;
  }
  return hits / total;
}

/** Precision, recall and F-beta like `sklearn.metrics.precision_recall_fscore_support`. */
export function precisionRecallFscore(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: PerClassOptions,
): PerClassScores;
export function precisionRecallFscore(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options?: AveragedOptions,
): AveragedScores;
export function precisionRecallFscore(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: PrecisionRecallFscoreOptions = {},
): PerClassScores | AveragedScores {
  const {
    average = 'macro',
    beta = 1,
    zeroDivision = 0,
    posLabel = 1,
    labels: declared,
    sampleWeight,
  } = options;
  checkBeta(beta);
  checkZeroDivision(zeroDivision);
  if (!['micro', 'macro', 'weighted', 'binary', 'none'].includes(average)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(average)}; use micro, macro, weighted, binary or none`,
      { field: 'options.average' },
    );
  }
  const enc = encode(yTrue, yPred, declared);
  const k = enc.labels.length;
  const tp = new Array<number>(k).fill(0);
  const predSum = new Array<number>(k).fill(0);
  const trueSum = new Array<number>(k).fill(0);
  const w = checkSampleWeights(sampleWeight, enc.yTrue.length);
  for (let i = 0; i < enc.yTrue.length; i++) {
    const t = enc.yTrue[i] as number;
    const p = enc.yPred[i] as number;
    trueSum[t]! += w[i]!;
    predSum[p]! += w[i]!;
    if (t === p) tp[t]! += w[i]!;
  }
  if (average === 'binary') {
    if (k > 2) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        `is 'binary' but there are ${k} labels (${enc.labels.join(', ')}); use micro, macro or weighted`,
        { field: 'options.average' },
      );
    }
    const pos = enc.labels.indexOf(posLabel);
    if (pos < 0) {
      if (k === 2) {
        throw new ValidateError(
          'INVALID_ARGUMENT',
          `is ${JSON.stringify(posLabel)}, which is not one of the labels ${enc.labels.join(', ')}; set options.posLabel`,
          { field: 'options.posLabel' },
        );
      }
      // The positive class never occurs: every count is zero, as in scikit-learn.
      return scoresFromCounts([0], [0], [0], 'macro', beta, zeroDivision) as AveragedScores;
    }
    return scoresFromCounts(
      [tp[pos]!],
      [predSum[pos]!],
      [trueSum[pos]!],
      'macro',
      beta,
      zeroDivision,
    ) as AveragedScores;
  }
  const scores = scoresFromCounts(tp, predSum, trueSum, average, beta, zeroDivision);
  if (average === 'none') {
    const perClass = scores as { precision: number[]; recall: number[]; fScore: number[] };
    return { labels: enc.labels, ...perClass, support: trueSum };
  }
  return scores as AveragedScores;
}

/** One score of `precisionRecallFscore`: a number, or one per label with `average: 'none'`. */
export interface ClassScoreFunction {
  (yTrue: readonly Label[], yPred: readonly Label[], options: PerClassOptions): number[];
  (yTrue: readonly Label[], yPred: readonly Label[], options?: AveragedOptions): number;
}

function classScore(
  key: keyof AveragedScores,
  fixed: Partial<PrecisionRecallFscoreOptions> = {},
): ClassScoreFunction {
  return ((yTrue, yPred, options: PrecisionRecallFscoreOptions = {}) =>
    (
      precisionRecallFscore(yTrue, yPred, {
        ...options,
        ...fixed,
      } as AveragedOptions) as AveragedScores
    )[key]) as ClassScoreFunction;
}

/** Precision (`average: 'none'` gives one value per label). */
export const precisionScore = classScore('precision');

/** Recall (`average: 'none'` gives one value per label). */
export const recallScore = classScore('recall');

/** F-beta score; `options.beta` defaults to 1 (F1). */
export const fbetaScore = classScore('fScore');

/** F1 score (F-beta with beta = 1, whatever `options.beta` says). */
export const f1Score = classScore('fScore', { beta: 1 });

export interface ClassificationReportOptions extends ClassificationOptions, SampleWeightOptions {
  /** Value of a precision or recall whose denominator is zero. @default 0 */
  zeroDivision?: 0 | 1;
}

/** Per-class scores plus averages, like `classification_report(output_dict=True)`. */
export interface ClassificationReport {
  classes: Array<ClassScores & { label: Label }>;
  /** Equals the micro average when every label is covered, which `labels` guarantees here. */
  accuracy: number;
  microAvg: ClassScores;
  macroAvg: ClassScores;
  weightedAvg: ClassScores;
}

export function classificationReport(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: ClassificationReportOptions = {},
): ClassificationReport {
  const { labels, zeroDivision = 0, sampleWeight } = options;
  const perClass = precisionRecallFscore(yTrue, yPred, {
    labels,
    zeroDivision,
    sampleWeight,
    average: 'none',
  });
  const total = perClass.support.reduce((a, b) => a + b, 0);
  const avg = (average: 'micro' | 'macro' | 'weighted'): ClassScores => {
    const s = precisionRecallFscore(yTrue, yPred, { labels, zeroDivision, sampleWeight, average });
    return { precision: s.precision, recall: s.recall, f1: s.fScore, support: total };
  };
  return {
    classes: perClass.labels.map((label, i) => ({
      label,
      precision: perClass.precision[i]!,
      recall: perClass.recall[i]!,
      f1: perClass.fScore[i]!,
      support: perClass.support[i]!,
    })),
    accuracy: accuracy(yTrue, yPred, { sampleWeight }),
    microAvg: avg('micro'),
    macroAvg: avg('macro'),
    weightedAvg: avg('weighted'),
  };
}

export interface ConfusionMatrixOptions extends ClassificationOptions, SampleWeightOptions {
  /**
   * Divide counts by the row sums (`true`), column sums (`pred`) or the total (`all`); empty rows
   * or columns give zeros, as in scikit-learn.
   * @default undefined (raw counts)
   */
  normalize?: 'true' | 'pred' | 'all';
}

export interface ConfusionMatrix {
  labels: Label[];
  /** `matrix[i][j]`: samples of true label `labels[i]` predicted as `labels[j]`. */
  matrix: number[][];
}

export function confusionMatrix(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: ConfusionMatrixOptions = {},
): ConfusionMatrix {
  const { labels: declared, normalize } = options;
  if (normalize !== undefined && !['true', 'pred', 'all'].includes(normalize)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(normalize)}; use true, pred or all`,
      {
        field: 'options.normalize',
      },
    );
  }
  const enc = encode(yTrue, yPred, declared);
  const k = enc.labels.length;
  const w = checkSampleWeights(options.sampleWeight, enc.yTrue.length);
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < enc.yTrue.length; i++) matrix[enc.yTrue[i]!]![enc.yPred[i]!]! += w[i]!;
  if (normalize !== undefined) {
    const rowSums = matrix.map((row) => row.reduce((a, b) => a + b, 0));
    const colSums = enc.labels.map((_, j) => matrix.reduce((a, row) => a + row[j]!, 0));
    const all = rowSums.reduce((a, b) => a + b, 0);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const den = normalize === 'true' ? rowSums[i]! : normalize === 'pred' ? colSums[j]! : all;
        matrix[i]![j] = den === 0 ? 0 : matrix[i]![j]! / den;
      }
    }
  }
  return { labels: enc.labels, matrix };
}

// ---------------------------------------------------------------------------------------------
// Ranking metrics from scores: ROC and precision-recall curves, ROC AUC, average precision.

export interface BinaryScoreOptions extends SampleWeightOptions {
  /**
   * The positive class in `yTrue`.
   * @default 1 for curves and average precision; the larger of the two labels for `rocAucScore`
   */
  posLabel?: Label;
}

export interface RocCurveOptions extends BinaryScoreOptions {
  /** Drop thresholds that lie on a straight segment of the curve, as scikit-learn does. @default true */
  dropIntermediate?: boolean;
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Decreasing; the first is the highest score + 1 (scikit-learn 1.2's convention). */
  thresholds: number[];
}

export interface PrecisionRecallCurve {
  /** Ends with 1 (the point at recall 0). */
  precision: number[];
  /** Decreasing, ends with 0. */
  recall: number[];
  /** Increasing; one fewer than `precision`. */
  thresholds: number[];
}

function binarize(yTrue: readonly Label[], posLabel: Label, field: string): Uint8Array {
  const classes = uniqueLabels([[yTrue, field]]);
  if (classes.length > 2) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `has ${classes.length} classes; binary scores need at most 2 (use multiclassRocAucScore for more)`,
      { field },
    );
  }
  if (classes.length === 2 && !classes.includes(posLabel)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(posLabel)}, which is not one of ${classes.join(', ')}; set options.posLabel`,
      { field: 'options.posLabel' },
    );
  }
  return Uint8Array.from(yTrue, (v) => (v === posLabel ? 1 : 0));
}

/** `_binary_clf_curve`: cumulative false/true positives at each distinct score, highest first. */
function clfCurve(
  positive: ArrayLike<number>,
  yScore: readonly number[],
  weights?: Float64Array,
): { fps: number[]; tps: number[]; thresholds: number[] } {
  // Zero-weight samples are dropped first, so their scores do not become thresholds.
  const order = Array.from(yScore.keys())
    .filter((i) => weights === undefined || weights[i] !== 0)
    .sort((a, b) => yScore[b]! - yScore[a]!);
  const fps: number[] = [];
  const tps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    const idx = order[i]!;
    const w = weights === undefined ? 1 : weights[idx]!;
    if (positive[idx] === 1) tp += w;
    else fp += w;
    const next = order[i + 1];
    if (next === undefined || yScore[next] !== yScore[idx]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(yScore[idx]!);
    }
  }
  return { fps, tps, thresholds };
}

function checkScores(yTrue: readonly unknown[], yScore: readonly number[]): void {
  checkPaired(yTrue, yScore, ['yTrue', 'yScore']);
  checkFiniteArray(yScore, 'yScore');
}

/** The checked inputs of a binary score curve: 1/0 per sample for `posLabel`, and the weights. */
function binaryInputs(
  yTrue: readonly Label[],
  yScore: readonly number[],
  posLabel: Label,
  sampleWeight: readonly number[] | undefined,
): { positive: Uint8Array; weights: Float64Array } {
  checkScores(yTrue, yScore);
  const weights = checkSampleWeights(sampleWeight, yTrue.length);
  return { positive: binarize(yTrue, posLabel, 'yTrue'), weights };
}

function rocFromBinary(
  positive: ArrayLike<number>,
  yScore: readonly number[],
  dropIntermediate: boolean,
  weights?: Float64Array,
): RocCurve {
  let { fps, tps, thresholds } = clfCurve(positive, yScore, weights);
  if (dropIntermediate && fps.length > 2) {
    // Keep the ends and every point where the curve bends (non-zero second difference).
    const keep = fps.map(
      (_, i) =>
        i === 0 ||
        i === fps.length - 1 ||
        fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0 ||
        tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0,
    );
    fps = fps.filter((_, i) => keep[i]);
    tps = tps.filter((_, i) => keep[i]);
    thresholds = thresholds.filter((_, i) => keep[i]);
  }
  fps.unshift(0);
  tps.unshift(0);
  thresholds.unshift(thresholds[0]! + 1);
  const lastF = fps[fps.length - 1]!;
  const lastT = tps[tps.length - 1]!;
  // Without negatives (or positives) the rate is undefined; scikit-learn returns NaN.
  return {
    fpr: fps.map((v) => (lastF > 0 ? v / lastF : Number.NaN)),
    tpr: tps.map((v) => (lastT > 0 ? v / lastT : Number.NaN)),
    thresholds,
  };
}

/** ROC curve points like `sklearn.metrics.roc_curve`. */
export function rocCurve(
  yTrue: readonly Label[],
  yScore: readonly number[],
  options: RocCurveOptions = {},
): RocCurve {
  const { posLabel = 1, dropIntermediate = true, sampleWeight } = options;
  const { positive, weights } = binaryInputs(yTrue, yScore, posLabel, sampleWeight);
  return rocFromBinary(positive, yScore, dropIntermediate, weights);
}

function trapezoid(x: readonly number[], y: readonly number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!)) / 2;
  return area;
}

function binaryRocAuc(
  positive: ArrayLike<number>,
  yScore: readonly number[],
  field: string,
  weights?: Float64Array,
): number {
  let pos = 0;
  for (let i = 0; i < positive.length; i++) pos += positive[i]!;
  if (pos === 0 || pos === positive.length) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'holds only one class; ROC AUC needs both positive and negative samples',
      { field },
    );
  }
  const { fpr, tpr } = rocFromBinary(positive, yScore, true, weights);
  return trapezoid(fpr, tpr);
}

/** Binary ROC AUC like `sklearn.metrics.roc_auc_score` (ties in scores count one half). */
export function rocAucScore(
  yTrue: readonly Label[],
  yScore: readonly number[],
  options: BinaryScoreOptions = {},
): number {
  checkScores(yTrue, yScore);
  const classes = uniqueLabels([[yTrue, 'yTrue']]);
  const { posLabel = classes[classes.length - 1]!, sampleWeight } = options;
  const weights = checkSampleWeights(sampleWeight, yTrue.length);
  return binaryRocAuc(binarize(yTrue, posLabel, 'yTrue'), yScore, 'yTrue', weights);
}

function prFromBinary(
  positive: ArrayLike<number>,
  yScore: readonly number[],
  weights?: Float64Array,
): PrecisionRecallCurve {
  const { fps, tps, thresholds } = clfCurve(positive, yScore, weights);
  const lastT = tps[tps.length - 1]!;
  const precision = tps.map((tp, i) => (tp + fps[i]! === 0 ? 0 : tp / (tp + fps[i]!)));
  // No positives at all: scikit-learn sets recall to 1 everywhere.
  const recall = tps.map((tp) => (lastT === 0 ? 1 : tp / lastT));
  return {
    precision: [...precision.reverse(), 1],
    recall: [...recall.reverse(), 0],
    thresholds: thresholds.reverse(),
  };
}

/** Precision-recall pairs for every distinct threshold, like `precision_recall_curve`. */
export function precisionRecallCurve(
  yTrue: readonly Label[],
  yScore: readonly number[],
  options: BinaryScoreOptions = {},
): PrecisionRecallCurve {
  const { posLabel = 1, sampleWeight } = options;
  const { positive, weights } = binaryInputs(yTrue, yScore, posLabel, sampleWeight);
  return prFromBinary(positive, yScore, weights);
}

function binaryAveragePrecision(
  positive: ArrayLike<number>,
  yScore: readonly number[],
  weights?: Float64Array,
): number {
  const { precision, recall } = prFromBinary(positive, yScore, weights);
  // Step-function integral: sum over thresholds of (recall gain) × precision.
  let ap = 0;
  for (let i = 0; i + 1 < recall.length; i++) ap -= (recall[i + 1]! - recall[i]!) * precision[i]!;
  return ap;
}

/** PR-AUC as `sklearn.metrics.average_precision_score` (no interpolation). */
export function averagePrecisionScore(
  yTrue: readonly Label[],
  yScore: readonly number[],
  options: BinaryScoreOptions = {},
): number {
  const { posLabel = 1, sampleWeight } = options;
  const { positive, weights } = binaryInputs(yTrue, yScore, posLabel, sampleWeight);
  return binaryAveragePrecision(positive, yScore, weights);
}

export interface MulticlassRocAucOptions extends ClassificationOptions, SampleWeightOptions {
  /**
   * How per-class (`ovr`) or per-pair (`ovo`) AUCs are combined: `weighted` by prevalence;
   * `micro` pools all one-vs-rest decisions and exists for `ovr` only.
   * @default 'macro'
   */
  average?: 'macro' | 'weighted' | 'micro';
  /** One-vs-rest, or one-vs-one (Hand & Till) as scikit-learn's `multi_class`. @default 'ovr' */
  multiClass?: 'ovr' | 'ovo';
}

function checkMatrix(
  matrix: readonly (readonly number[])[],
  field: string,
  width?: number,
): number {
  checkNonEmpty(matrix, field);
  const cols = width ?? matrix[0]!.length;
  matrix.forEach((row, i) => {
    if (row.length !== cols) {
      throw new ValidateError(
        'LENGTH_MISMATCH',
        `has ${row.length} columns but ${cols} are expected; give every row one value per class`,
        { field: `${field}[${i}]` },
      );
    }
    checkFiniteArray(row, `${field}[${i}]`);
  });
  checkNonEmpty(matrix[0]!, `${field}[0]`);
  return cols;
}

function column(matrix: readonly (readonly number[])[], j: number): number[] {
  return matrix.map((row) => row[j]!);
}

/** Combines per-column binary scores the way scikit-learn's `_average_binary_score` does. */
function averageBinary(
  yTrue: readonly (readonly number[])[],
  yScore: readonly (readonly number[])[],
  average: 'micro' | 'macro' | 'weighted' | 'samples',
  metric: (
    positive: ArrayLike<number>,
    score: readonly number[],
    field: string,
    weights: Float64Array,
  ) => number,
  sampleWeight: Float64Array,
): number {
  const k = yTrue[0]!.length;
  if (average === 'micro') {
    const repeated = new Float64Array(yTrue.length * k);
    for (let i = 0; i < yTrue.length; i++) repeated.fill(sampleWeight[i]!, i * k, (i + 1) * k);
    return metric(yTrue.flat(), yScore.flat(), 'yTrue (all columns)', repeated);
  }
  if (average === 'samples') {
    // Rows are scored unweighted; the sample weights weigh the rows' scores.
    const ones = new Float64Array(k).fill(1);
    const scores = yTrue.map((row, i) => metric(row, yScore[i] as number[], `yTrue[${i}]`, ones));
    return weightedMean(scores, Array.from(sampleWeight));
  }
  const weights =
    average === 'weighted'
      ? Array.from({ length: k }, (_, j) =>
          yTrue.reduce((total, row, i) => total + row[j]! * sampleWeight[i]!, 0),
        )
      : undefined;
  if (weights !== undefined && weights.reduce((a, b) => a + b, 0) === 0) return 0;
  const scores = Array.from({ length: k }, (_, j) =>
    weights !== undefined && weights[j] === 0
      ? 0
      : metric(column(yTrue, j), column(yScore, j), `yTrue[*][${j}]`, sampleWeight),
  );
  return weightedMean(scores, weights);
}

/**
 * One-vs-rest multi-class ROC AUC like `roc_auc_score(multi_class='ovr')`: `yScore[i][j]` is
 * the probability of `labels[j]`, and each row must sum to 1.
 */
export function multiclassRocAucScore(
  yTrue: readonly Label[],
  yScore: readonly (readonly number[])[],
  options: MulticlassRocAucOptions = {},
): number {
  const { average = 'macro', multiClass = 'ovr', labels: declared, sampleWeight } = options;
  if (multiClass === 'ovo' && sampleWeight !== undefined) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'is not supported with one-vs-one ROC AUC (as in scikit-learn); use multiClass ovr',
      { field: 'options.sampleWeight' },
    );
  }
  if (multiClass !== 'ovr' && multiClass !== 'ovo') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(multiClass)}; use ovr or ovo`,
      {
        field: 'options.multiClass',
      },
    );
  }
  if (
    !(multiClass === 'ovo' ? ['macro', 'weighted'] : ['macro', 'weighted', 'micro']).includes(
      average,
    )
  ) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(average)}; use macro, weighted or micro`,
      {
        field: 'options.average',
      },
    );
  }
  checkPaired(yTrue, yScore, ['yTrue', 'yScore']);
  const k = checkMatrix(yScore, 'yScore');
  const labels = declared === undefined ? uniqueLabels([[yTrue, 'yTrue']]) : [...declared];
  if (labels.length !== k) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `has ${k} columns but there are ${labels.length} classes (${labels.join(', ')}); give one column per class`,
      { field: 'yScore' },
    );
  }
  const codes = encodeWith(yTrue, indexLabels(labels), 'yTrue');
  yScore.forEach((row, i) => {
    const sum = row.reduce((a, b) => a + b, 0);
    // numpy.allclose(1, sum) tolerances
    if (Math.abs(sum - 1) > 1e-8 + 1e-5 * Math.abs(sum)) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        `sums to ${sum}; multi-class ROC AUC needs probabilities that sum to 1`,
        {
          field: `yScore[${i}]`,
        },
      );
    }
  });
  if (multiClass === 'ovo') return ovoRocAuc(codes, yScore, k, average as 'macro' | 'weighted');
  const onehot = Array.from(codes, (c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0)));
  return averageBinary(
    onehot,
    yScore,
    average,
    binaryRocAuc,
    checkSampleWeights(sampleWeight, codes.length),
  );
}

/** scikit-learn's `_average_multiclass_ovo_score`: mean of both directions' AUC per class pair. */
function ovoRocAuc(
  codes: Int32Array,
  yScore: readonly (readonly number[])[],
  k: number,
  average: 'macro' | 'weighted',
): number {
  const pairScores: number[] = [];
  const prevalence: number[] = [];
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      const rows: number[] = [];
      codes.forEach((c, i) => {
        if (c === a || c === b) rows.push(i);
      });
      const field = `yTrue (classes ${a} and ${b})`;
      const aScore = binaryRocAuc(
        rows.map((i) => (codes[i] === a ? 1 : 0)),
        rows.map((i) => yScore[i]![a]!),
        field,
      );
      const bScore = binaryRocAuc(
        rows.map((i) => (codes[i] === b ? 1 : 0)),
        rows.map((i) => yScore[i]![b]!),
        field,
      );
      pairScores.push((aScore + bScore) / 2);
      prevalence.push(rows.length / codes.length);
    }
  }
  return weightedMean(pairScores, average === 'weighted' ? prevalence : undefined);
}

// ---------------------------------------------------------------------------------------------
// Multi-label: binary indicator matrices, one row per sample and one column per label.

export interface MultilabelPrecisionRecallFscoreOptions extends SampleWeightOptions {
  /** How per-label scores are combined; `samples` averages per-row scores. @default 'macro' */
  average?: MultilabelAverage;
  /** Weight of recall in the F-score (`Infinity` gives recall). @default 1 */
  beta?: number;
  /** Value of a precision or recall whose denominator is zero. @default 0 */
  zeroDivision?: 0 | 1;
}

function checkIndicator(
  matrix: readonly (readonly number[])[],
  field: string,
  width?: number,
): number {
  const k = checkMatrix(matrix, field, width);
  matrix.forEach((row, i) => {
    row.forEach((v, j) => {
      if (v !== 0 && v !== 1) {
        throw new ValidateError(
          'INVALID_ARGUMENT',
          `is ${v}; indicator matrices hold only 0 and 1`,
          {
            field: `${field}[${i}][${j}]`,
          },
        );
      }
    });
  });
  return k;
}

function checkIndicatorPair(
  yTrue: readonly (readonly number[])[],
  other: readonly (readonly number[])[],
  otherName: string,
  otherIsIndicator: boolean,
): number {
  checkPaired(yTrue, other, ['yTrue', otherName]);
  const k = checkIndicator(yTrue, 'yTrue');
  if (otherIsIndicator) checkIndicator(other, otherName, k);
  else checkMatrix(other, otherName, k);
  return k;
}

/** Per-label scores of `average: 'none'`: one entry per column. */
export interface MultilabelPerClassScores {
  precision: number[];
  recall: number[];
  fScore: number[];
  support: number[];
}

/** Multi-label precision, recall and F-beta like `precision_recall_fscore_support`. */
export function multilabelPrecisionRecallFscore(
  yTrue: readonly (readonly number[])[],
  yPred: readonly (readonly number[])[],
  options: MultilabelPrecisionRecallFscoreOptions & { average: 'none' },
): MultilabelPerClassScores;
export function multilabelPrecisionRecallFscore(
  yTrue: readonly (readonly number[])[],
  yPred: readonly (readonly number[])[],
  options?: MultilabelPrecisionRecallFscoreOptions & {
    average?: Exclude<MultilabelAverage, 'none'>;
  },
): AveragedScores;
export function multilabelPrecisionRecallFscore(
  yTrue: readonly (readonly number[])[],
  yPred: readonly (readonly number[])[],
  options: MultilabelPrecisionRecallFscoreOptions = {},
): MultilabelPerClassScores | AveragedScores {
  const { average = 'macro', beta = 1, zeroDivision = 0, sampleWeight } = options;
  checkBeta(beta);
  checkZeroDivision(zeroDivision);
  if (!['micro', 'macro', 'weighted', 'samples', 'none'].includes(average)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(average)}; use micro, macro, weighted, samples or none`,
      { field: 'options.average' },
    );
  }
  const k = checkIndicatorPair(yTrue, yPred, 'yPred', true);
  const w = checkSampleWeights(sampleWeight, yTrue.length);
  if (average === 'samples') {
    const per = yTrue.map((row, i) => {
      let tp = 0;
      let pred = 0;
      let truth = 0;
      row.forEach((t, j) => {
        const p = yPred[i]![j]!;
        tp += t * p;
        pred += p;
        truth += t;
      });
      return scoresFromCounts([tp], [pred], [truth], 'macro', beta, zeroDivision) as AveragedScores;
    });
    const rowWeights = Array.from(w);
    return {
      precision: weightedMean(
        per.map((s) => s.precision),
        rowWeights,
      ),
      recall: weightedMean(
        per.map((s) => s.recall),
        rowWeights,
      ),
      fScore: weightedMean(
        per.map((s) => s.fScore),
        rowWeights,
      ),
    };
  }
  const tp = new Array<number>(k).fill(0);
  const predSum = new Array<number>(k).fill(0);
  const trueSum = new Array<number>(k).fill(0);
  yTrue.forEach((row, i) => {
    row.forEach((t, j) => {
      const p = yPred[i]![j]!;
      tp[j]! += t * p * w[i]!;
      predSum[j]! += p * w[i]!;
      trueSum[j]! += t * w[i]!;
    });
  });
  const scores = scoresFromCounts(tp, predSum, trueSum, average, beta, zeroDivision);
  if (average === 'none') {
    return { ...(scores as Omit<MultilabelPerClassScores, 'support'>), support: trueSum };
  }
  return scores as AveragedScores;
}

/** Fraction of label cells predicted wrongly, like `sklearn.metrics.hamming_loss`. */
export function hammingLoss(
  yTrue: readonly (readonly number[])[],
  yPred: readonly (readonly number[])[],
  options: SampleWeightOptions = {},
): number {
  const k = checkIndicatorPair(yTrue, yPred, 'yPred', true);
  const w = checkSampleWeights(options.sampleWeight, yTrue.length);
  let wrong = 0;
  let total = 0;
  yTrue.forEach((row, i) => {
    row.forEach((t, j) => {
      if (t !== yPred[i]![j]) wrong += w[i]!;
    });
    total += w[i]!;
  });
  return wrong / (k * total);
}

/** Fraction of rows predicted exactly, like `accuracy_score` on indicator matrices. */
export function subsetAccuracy(
  yTrue: readonly (readonly number[])[],
  yPred: readonly (readonly number[])[],
  options: SampleWeightOptions = {},
): number {
  checkIndicatorPair(yTrue, yPred, 'yPred', true);
  const w = checkSampleWeights(options.sampleWeight, yTrue.length);
  let exact = 0;
  let total = 0;
  yTrue.forEach((row, i) => {
    if (row.every((t, j) => t === yPred[i]![j])) exact += w[i]!;
    total += w[i]!;
  });
  return exact / total;
}

export interface MultilabelScoreOptions extends SampleWeightOptions {
  /** How per-label (or per-row for `samples`) scores are combined. @default 'macro' */
  average?: 'micro' | 'macro' | 'weighted' | 'samples';
}

function checkMultilabelAverage(average: string): void {
  if (!['micro', 'macro', 'weighted', 'samples'].includes(average)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(average)}; use micro, macro, weighted or samples`,
      {
        field: 'options.average',
      },
    );
  }
}

/** A multi-label score: checks the indicator and score matrices, then averages a binary score per label. */
function multilabelScore(
  binary: Parameters<typeof averageBinary>[3],
): (
  yTrue: readonly (readonly number[])[],
  yScore: readonly (readonly number[])[],
  options?: MultilabelScoreOptions,
) => number {
  return (yTrue, yScore, options = {}) => {
    const { average = 'macro', sampleWeight } = options;
    checkMultilabelAverage(average);
    checkIndicatorPair(yTrue, yScore, 'yScore', false);
    const weights = checkSampleWeights(sampleWeight, yTrue.length);
    return averageBinary(yTrue, yScore, average, binary, weights);
  };
}

/** Multi-label ROC AUC like `roc_auc_score` on an indicator matrix and a score matrix. */
export const multilabelRocAucScore = multilabelScore(binaryRocAuc);

/** Multi-label average precision like `average_precision_score` on an indicator matrix. */
export const multilabelAveragePrecision = multilabelScore((positive, score, _field, rowWeights) =>
  binaryAveragePrecision(positive, score, rowWeights),
);
