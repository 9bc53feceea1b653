// Regression and similarity metrics: MSE, RMSE, MAE and R² as scikit-learn 1.2 computes them,
// Pearson and Spearman correlations with two-sided p-values as SciPy 1.10 computes them.

import studentT from '@stdlib/stats-base-dists-t';
import { ValidateError } from '../errors.js';
import { checkFiniteArray, checkNonEmpty, checkPaired, checkSampleWeights } from './utils.js';

/** A correlation coefficient and its two-sided p-value (null hypothesis: no correlation). */
export interface CorrelationResult {
  r: number;
  pValue: number;
}

function checkRegression(
  yTrue: readonly number[],
  yPred: readonly number[],
  names: readonly [string, string] = ['yTrue', 'yPred'],
): void {
  checkPaired(yTrue, yPred, names);
  checkFiniteArray(yTrue, names[0]);
  checkFiniteArray(yPred, names[1]);
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

export interface RegressionOptions {
  /** Weight of each sample (finite, >= 0, one per sample), as scikit-learn's `sample_weight`. @default 1 for every sample */
  sampleWeight?: readonly number[];
}

function weightedAverage(values: (i: number) => number, weights: Float64Array): number {
  let sum = 0;
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    sum += values(i) * weights[i]!;
    total += weights[i]!;
  }
  return sum / total;
}

/** Weighted mean of `loss(yTrue[i] − yPred[i])` over the checked inputs. */
function meanLoss(
  yTrue: readonly number[],
  yPred: readonly number[],
  options: RegressionOptions,
  loss: (error: number) => number,
): number {
  checkRegression(yTrue, yPred);
  const w = checkSampleWeights(options.sampleWeight, yTrue.length);
  return weightedAverage((i) => loss(yTrue[i]! - yPred[i]!), w);
}

/** Mean of squared errors (weighted by `options.sampleWeight`). */
export function meanSquaredError(
  yTrue: readonly number[],
  yPred: readonly number[],
  options: RegressionOptions = {},
): number {
  return meanLoss(yTrue, yPred, options, (error) => error ** 2);
}

/** Square root of the mean squared error. */
export function rootMeanSquaredError(
  yTrue: readonly number[],
  yPred: readonly number[],
  options: RegressionOptions = {},
): number {
  return Math.sqrt(meanSquaredError(yTrue, yPred, options));
}

/** Mean of absolute errors (weighted by `options.sampleWeight`). */
export function meanAbsoluteError(
  yTrue: readonly number[],
  yPred: readonly number[],
  options: RegressionOptions = {},
): number {
  return meanLoss(yTrue, yPred, options, Math.abs);
}

export interface R2Options extends RegressionOptions {
  /**
   * For a constant `yTrue`, return 1 (perfect prediction) or 0 (otherwise) instead of NaN or
   * -Infinity, as scikit-learn's `force_finite`.
   * @default true
   */
  forceFinite?: boolean;
}

/** Coefficient of determination like `sklearn.metrics.r2_score`; needs at least 2 samples. */
export function r2Score(
  yTrue: readonly number[],
  yPred: readonly number[],
  options: R2Options = {},
): number {
  const { forceFinite = true, sampleWeight } = options;
  checkRegression(yTrue, yPred);
  checkNonEmpty(yTrue, 'yTrue', 2);
  const w = checkSampleWeights(sampleWeight, yTrue.length);
  const m = weightedAverage((i) => yTrue[i]!, w);
  let residual = 0;
  let total = 0;
  for (let i = 0; i < yTrue.length; i++) {
    residual += w[i]! * (yTrue[i]! - yPred[i]!) ** 2;
    total += w[i]! * (yTrue[i]! - m) ** 2;
  }
  if (total === 0) {
    if (forceFinite) return residual === 0 ? 1 : 0;
    return residual === 0 ? Number.NaN : Number.NEGATIVE_INFINITY;
  }
  return 1 - residual / total;
}

function checkNotConstant(values: readonly number[], field: string): void {
  if (values.every((v) => v === values[0])) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'is constant, so the correlation is undefined; pass values that vary',
      { field },
    );
  }
}

/** Two-sided p-value of a correlation `r` from the t distribution with n − 2 degrees of freedom. */
function correlationPValue(r: number, n: number): number {
  const dof = n - 2;
  // (1 + r)(1 − r) keeps precision for |r| near 1, where 1 − r² would cancel.
  const t = r * Math.sqrt(Math.max(0, dof / ((1 + r) * (1 - r))));
  if (!Number.isFinite(t)) return 0;
  return 2 * studentT.cdf(-Math.abs(t), dof);
}

/** Pearson's r with a two-sided p-value like `scipy.stats.pearsonr`; needs at least 2 samples. */
export function pearson(x: readonly number[], y: readonly number[]): CorrelationResult {
  checkRegression(x, y, ['x', 'y']);
  checkNonEmpty(x, 'x', 2);
  checkNotConstant(x, 'x');
  checkNotConstant(y, 'y');
  const n = x.length;
  if (n === 2) {
    // Two points always lie on a line; SciPy reports p = 1.
    return { r: Math.sign(x[1]! - x[0]!) * Math.sign(y[1]! - y[0]!), pValue: 1 };
  }
  const mx = mean(x);
  const my = mean(y);
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i]! - mx) ** 2;
    syy += (y[i]! - my) ** 2;
  }
  const nx = Math.sqrt(sxx);
  const ny = Math.sqrt(syy);
  let r = 0;
  // Normalising before the dot product avoids overflow, as SciPy does.
  for (let i = 0; i < n; i++) r += ((x[i]! - mx) / nx) * ((y[i]! - my) / ny);
  r = Math.max(-1, Math.min(1, r));
  return { r, pValue: correlationPValue(r, n) };
}

/** Ranks starting at 1, ties sharing their average rank (`scipy.stats.rankdata` 'average'). */
export function rankAverage(values: readonly number[]): number[] {
  checkFiniteArray(values, 'values');
  const order = Array.from(values.keys()).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (end < order.length && values[order[end]!] === values[order[start]!]) end++;
    // Positions start..end-1 hold equal values: ranks start+1..end, average (start+1+end)/2.
    const rank = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]!] = rank;
    start = end;
  }
  return ranks;
}

/**
 * Spearman's rank correlation with a two-sided p-value from the t approximation, like
 * `scipy.stats.spearmanr`; ties get average ranks. Needs at least 3 samples.
 */
export function spearman(x: readonly number[], y: readonly number[]): CorrelationResult {
  checkRegression(x, y, ['x', 'y']);
  checkNonEmpty(x, 'x', 3);
  checkNotConstant(x, 'x');
  checkNotConstant(y, 'y');
  const rx = rankAverage(x);
  const ry = rankAverage(y);
  const n = x.length;
  const mx = mean(rx);
  const my = mean(ry);
  let cxx = 0;
  let cyy = 0;
  let cxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = rx[i]! - mx;
    const dy = ry[i]! - my;
    cxx += dx * dx;
    cyy += dy * dy;
    cxy += dx * dy;
  }
  // numpy.corrcoef's order of operations: covariance / sd_x / sd_y.
  const r = Math.max(
    -1,
    Math.min(1, cxy / (n - 1) / Math.sqrt(cxx / (n - 1)) / Math.sqrt(cyy / (n - 1))),
  );
  return { r, pValue: correlationPValue(r, n) };
}
