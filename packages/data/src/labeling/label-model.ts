// Dawid–Skene label model: EM over per-LF confusion matrices turns noisy, conflicting LF votes
// into per-record label probabilities, weighting each LF by its estimated reliability.
import { DataError } from '../errors.js';
import { createRng } from '../random.js';
import type { LabelMatrix } from './types.js';
import { checkMatrix } from './utils.js';

export interface LabelModelOptions {
  /** Upper bound on EM iterations. @default 100 */
  maxIterations?: number;
  /** Stop when the log-likelihood changes by less than this between iterations. @default 1e-6 */
  tolerance?: number;
  /**
   * Additive (Laplace) smoothing added to every confusion-matrix cell and class-prior count; must
   * be > 0 so that a label never seen from an LF does not get probability 0 (log 0 = −∞).
   * @default 1
   */
  smoothing?: number;
  /**
   * Fixed class priors aligned with `matrix.labels` (normalised to sum to 1). When given, priors are
   * not re-estimated.
   */
  classBalance?: readonly number[];
  /** Seed for breaking exact ties in `predict()`. @default 0 */
  seed?: number | string;
}

export interface LabelModel<L extends string> {
  /** The label set, as in the matrix. */
  labels: L[];
  /**
   * n × k posterior class probabilities, row-major. Records where every LF abstained hold the
   * class prior: with no evidence, the prior is the model's belief.
   */
  probabilities: Float64Array;
  /**
   * Most probable label per record; null where every LF abstained (no evidence to label from).
   * Exact ties are broken by a generator seeded with `seed`, so results are reproducible.
   */
  predict(): (L | null)[];
  /**
   * Per LF: its expected accuracy under the posterior, i.e. the mean posterior probability of the
   * label it voted, over the records it labelled. NaN for an LF that never votes.
   */
  accuracies: number[];
  /** Per LF, a k × k matrix: `confusion[j][c][l]` = P(LF j votes l | true class c, LF j votes). */
  confusion: number[][][];
  /** Class priors P(c), aligned with `labels`. */
  priors: number[];
  /** EM iterations run. */
  iterations: number;
  /** Final log-likelihood of the observed votes (records where every LF abstained add 0). */
  logLikelihood: number;
  /** Whether the log-likelihood change fell below `tolerance` before `maxIterations`. */
  converged: boolean;
}

/**
 * Fits a Dawid–Skene model (Dawid & Skene 1979) by EM. Posteriors start from the soft majority vote
 * (each record's vote fractions), which anchors class identities and avoids label switching. Abstains
 * are treated as missing: they carry no evidence and are not part of any confusion matrix.
 */
export function trainLabelModel<L extends string>(
  matrix: LabelMatrix<L>,
  options: LabelModelOptions = {},
): LabelModel<L> {
  const { maxIterations = 100, tolerance = 1e-6, smoothing = 1, classBalance, seed = 0 } = options;
  checkMatrix(matrix);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `maxIterations must be a positive integer; got ${maxIterations}.`,
    );
  }
  if (!(tolerance >= 0))
    throw new DataError('INVALID_ARGUMENT', `tolerance must be ≥ 0; got ${tolerance}.`);
  if (!(smoothing > 0) || !Number.isFinite(smoothing)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `smoothing must be a finite number > 0; got ${smoothing}.`,
    );
  }
  const { n, m, values, labels } = matrix;
  const k = labels.length;
  if (k === 0) {
    throw new DataError(
      'INVALID_ARGUMENT',
      'the label matrix has no labels (every LF abstained on every record); pass `labels` to applyLabelingFunctions.',
    );
  }
  let fixedPriors: Float64Array | undefined;
  if (classBalance !== undefined) {
    if (classBalance.length !== k || classBalance.some((p) => !(p > 0) || !Number.isFinite(p))) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `classBalance must hold ${k} positive numbers aligned with labels ${JSON.stringify(labels)}; got ${JSON.stringify(classBalance)}.`,
      );
    }
    const total = classBalance.reduce((a, b) => a + b, 0);
    fixedPriors = Float64Array.from(classBalance, (p) => p / total);
  }

  // Only records with at least one vote carry information; the rest get the prior at the end.
  const covered: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if ((values[i * m + j] as number) >= 0) {
        covered.push(i);
        break;
      }
    }
  }

  const post = new Float64Array(n * k);
  for (const i of covered) {
    let votes = 0;
    for (let j = 0; j < m; j++) {
      const v = values[i * m + j] as number;
      if (v >= 0) {
        post[i * k + v] = (post[i * k + v] as number) + 1;
        votes++;
      }
    }
    for (let c = 0; c < k; c++) post[i * k + c] = (post[i * k + c] as number) / votes;
  }

  const priors = new Float64Array(k);
  // theta[(j * k + c) * k + l] = P(LF j votes l | true class c)
  const theta = new Float64Array(m * k * k);
  const logTheta = new Float64Array(m * k * k);
  const logPriors = new Float64Array(k);
  const scores = new Float64Array(k);
  let logLikelihood = Number.NEGATIVE_INFINITY;
  let iterations = 0;
  let converged = false;

  while (iterations < maxIterations) {
    iterations++;
    // M-step: priors and confusion matrices from the current posteriors.
    if (fixedPriors) priors.set(fixedPriors);
    else {
      priors.fill(smoothing);
      for (const i of covered)
        for (let c = 0; c < k; c++) priors[c] = (priors[c] as number) + (post[i * k + c] as number);
      const total = covered.length + k * smoothing;
      for (let c = 0; c < k; c++) priors[c] = (priors[c] as number) / total;
    }
    theta.fill(smoothing);
    for (const i of covered) {
      for (let j = 0; j < m; j++) {
        const v = values[i * m + j] as number;
        if (v < 0) continue;
        for (let c = 0; c < k; c++) {
          const cell = (j * k + c) * k + v;
          theta[cell] = (theta[cell] as number) + (post[i * k + c] as number);
        }
      }
    }
    for (let row = 0; row < m * k; row++) {
      let total = 0;
      for (let l = 0; l < k; l++) total += theta[row * k + l] as number;
      for (let l = 0; l < k; l++) {
        const p = (theta[row * k + l] as number) / total;
        theta[row * k + l] = p;
        logTheta[row * k + l] = Math.log(p);
      }
    }
    for (let c = 0; c < k; c++) logPriors[c] = Math.log(priors[c] as number);

    // E-step in log space: log P(c) + Σ_j log P(vote_j | c), normalised with log-sum-exp.
    let ll = 0;
    for (const i of covered) {
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) {
        let s = logPriors[c] as number;
        for (let j = 0; j < m; j++) {
          const v = values[i * m + j] as number;
          if (v >= 0) s += logTheta[(j * k + c) * k + v] as number;
        }
        scores[c] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp((scores[c] as number) - max);
      const logNorm = max + Math.log(sum);
      ll += logNorm;
      for (let c = 0; c < k; c++) post[i * k + c] = Math.exp((scores[c] as number) - logNorm);
    }
    const change = Math.abs(ll - logLikelihood);
    logLikelihood = ll;
    if (change < tolerance) {
      converged = true;
      break;
    }
  }
  if (covered.length === 0) logLikelihood = 0;

  // Uncovered records: the posterior given no votes is the prior.
  const isCovered = new Uint8Array(n);
  for (const i of covered) isCovered[i] = 1;
  for (let i = 0; i < n; i++) if (!isCovered[i]) post.set(priors, i * k);

  const accuracies: number[] = [];
  for (let j = 0; j < m; j++) {
    let sum = 0;
    let count = 0;
    for (const i of covered) {
      const v = values[i * m + j] as number;
      if (v < 0) continue;
      sum += post[i * k + v] as number;
      count++;
    }
    accuracies.push(count === 0 ? Number.NaN : sum / count);
  }
  const confusion: number[][][] = [];
  for (let j = 0; j < m; j++) {
    const rows: number[][] = [];
    for (let c = 0; c < k; c++)
      rows.push(Array.from(theta.subarray((j * k + c) * k, (j * k + c + 1) * k)));
    confusion.push(rows);
  }

  return {
    labels: [...labels],
    probabilities: post,
    predict() {
      const rng = createRng(seed);
      const out: (L | null)[] = new Array(n);
      const tied: number[] = [];
      for (let i = 0; i < n; i++) {
        if (!isCovered[i]) {
          out[i] = null;
          continue;
        }
        let best = Number.NEGATIVE_INFINITY;
        tied.length = 0;
        for (let c = 0; c < k; c++) {
          const p = post[i * k + c] as number;
          if (p > best) {
            best = p;
            tied.length = 0;
            tied.push(c);
          } else if (p === best) tied.push(c);
        }
        out[i] = labels[tied.length === 1 ? (tied[0] as number) : rng.pick(tied)] as L;
      }
      return out;
    },
    accuracies,
    confusion,
    priors: Array.from(priors),
    iterations,
    logLikelihood,
    converged,
  };
}
