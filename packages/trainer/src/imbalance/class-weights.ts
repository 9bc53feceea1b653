// Per-class loss weights from label counts, for imbalanced sequence or token classification: feed
// them to crossEntropyLoss's `weight` or focalLoss's `alpha`.
import { TrainerError } from '../errors.js';
import type { TensorData } from '../ir/types.js';

/** Labels: one per sequence, rows of token labels, or an integer tensor of either. */
export type ClassLabels = readonly number[] | readonly (readonly number[])[] | TensorData;

/** How weights follow from the class counts nᶜ (N kept labels, C classes). */
export type ClassWeightMethod = 'balanced' | 'inverse' | 'effective' | 'given';

export interface ClassWeightsOptions {
  /**
   * 'balanced': N / (C·nᶜ), scikit-learn's `compute_class_weight('balanced')` (a balanced data
   * set gets all ones); 'inverse': N / nᶜ, the inverse class frequency; 'effective': Cui et al.
   * 2019's inverse effective number (1 − β) / (1 − β^nᶜ), scaled to sum to C as in their code;
   * 'given': `weights`, 1 for classes it leaves out (scikit-learn's dict form).
   * @default 'balanced'
   */
  method?: ClassWeightMethod;
  /** Number of classes C (labels must lie in 0..C−1). @default largest label + 1 */
  numClasses?: number;
  /** Labels equal to this (padding, sub-word continuations) are not counted. @default -100 */
  ignoreIndex?: number;
  /** β of the 'effective' method, in [0, 1); larger β weights rare classes more. @default 0.999 */
  beta?: number;
  /** The 'given' weights: one per class, or by class id (missing ids get 1). @default none (required by 'given') */
  weights?: readonly number[] | Readonly<Record<number, number>>;
}

function labelList(labels: ClassLabels): ArrayLike<number | bigint> {
  if (Array.isArray(labels)) {
    return labels.some((row) => Array.isArray(row))
      ? (labels as readonly (readonly number[])[]).flat()
      : (labels as readonly number[]);
  }
  const t = labels as TensorData;
  if (t.dtype !== 'int64' && t.dtype !== 'int32') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `classWeights: label tensor is ${t.dtype}; class labels must be int64 or int32 class ids`,
    );
  }
  return t.data as ArrayLike<number | bigint>;
}

/**
 * Count of each class 0..C−1 among the labels, skipping `ignoreIndex`.
 * @throws TrainerError naming the position of a label that is not an integer in 0..C−1.
 */
export function classCounts(
  labels: ClassLabels,
  options: Pick<ClassWeightsOptions, 'numClasses' | 'ignoreIndex'> = {},
): number[] {
  const { ignoreIndex = -100 } = options;
  const list = labelList(labels);
  const kept: number[] = [];
  let max = -1;
  for (let i = 0; i < list.length; i++) {
    const y = Number(list[i]);
    if (y === ignoreIndex) continue;
    if (!Number.isInteger(y) || y < 0) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `classWeights: label ${y} at flat position ${i} is not a class id (an integer ≥ 0) nor the ignore index ${ignoreIndex}`,
      );
    }
    kept.push(y);
    if (y > max) max = y;
  }
  const numClasses = options.numClasses ?? max + 1;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      kept.length === 0
        ? 'classWeights: every label is the ignore index, so there is nothing to count — pass labels with at least one class id'
        : `classWeights: numClasses must be a positive integer, got ${numClasses}`,
    );
  }
  if (max >= numClasses) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `classWeights: label ${max} is out of range for numClasses ${numClasses} (labels must be 0..${numClasses - 1}) — raise numClasses`,
    );
  }
  const counts = new Array<number>(numClasses).fill(0);
  for (const y of kept) counts[y] = (counts[y] as number) + 1;
  return counts;
}

/**
 * One weight per class 0..C−1 from the labels' class counts (ignored labels skipped). The
 * count-based methods need every class present: a class with no example has no frequency to
 * invert (scikit-learn raises too), so that is an error naming the class.
 */
export function classWeights(labels: ClassLabels, options: ClassWeightsOptions = {}): number[] {
  const { method = 'balanced', beta = 0.999 } = options;
  const counts = classCounts(labels, options);
  const C = counts.length;
  if (method === 'given') return givenWeights(options.weights, C);
  if (method !== 'balanced' && method !== 'inverse' && method !== 'effective') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `classWeights: method must be 'balanced', 'inverse', 'effective' or 'given', got ${JSON.stringify(method)}`,
    );
  }
  const missing = counts.indexOf(0);
  if (missing >= 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `classWeights: class ${missing} has no example among the labels, so '${method}' weights cannot be computed — lower numClasses, add examples, or use method 'given'`,
    );
  }
  const N = counts.reduce((s, n) => s + n, 0);
  if (method === 'balanced') return counts.map((n) => N / (C * n));
  if (method === 'inverse') return counts.map((n) => N / n);
  if (!(beta >= 0 && beta < 1)) {
    throw new TrainerError('INVALID_ARGUMENT', `classWeights: beta must be in [0, 1), got ${beta}`);
  }
  // 1 − β^n = −expm1(n·ln β) keeps its digits for β near 1, where 1 − β^n is small.
  const raw = counts.map((n) => (1 - beta) / -Math.expm1(n * Math.log1p(beta - 1)));
  const sum = raw.reduce((s, w) => s + w, 0);
  return raw.map((w) => (w / sum) * C);
}

function givenWeights(weights: ClassWeightsOptions['weights'], C: number): number[] {
  if (weights === undefined) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      "classWeights: method 'given' needs `weights` (one per class, or by class id)",
    );
  }
  const out = new Array<number>(C).fill(1);
  const entries: Array<[string, number]> = Array.isArray(weights)
    ? (weights as readonly number[]).map((w, i) => [String(i), w])
    : Object.entries(weights);
  if (Array.isArray(weights) && weights.length !== C) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `classWeights: weights has ${weights.length} values but there are ${C} classes — give one per class or set numClasses`,
    );
  }
  for (const [key, w] of entries) {
    const c = Number(key);
    if (!Number.isInteger(c) || c < 0 || c >= C) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `classWeights: weights names class ${JSON.stringify(key)}, which is not in 0..${C - 1}`,
      );
    }
    if (!Number.isFinite(w) || w < 0) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `classWeights: weights[${key}] must be a finite number ≥ 0, got ${w}`,
      );
    }
    out[c] = w;
  }
  return out;
}
