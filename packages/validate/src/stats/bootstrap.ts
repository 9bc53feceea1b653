// Seeded paired bootstrap (percentile and BCa intervals, bootstrap test) and paired
// permutation (sign-flip) test for any metric, including corpus-level ones via sufficient statistics.
import { createRng } from '@ft/data';
import normal from '@stdlib/stats-base-dists-normal';
import { ValidateError } from '../errors.js';
import type { ConfidenceInterval } from '../types.js';
import type { Alternative } from './tests.js';
import {
  assertFiniteArray,
  assertInteger,
  assertOneOf,
  assertProbability,
  assertSameLength,
} from './utils.js';

/**
 * A statistic of n paired samples that can be recomputed on any multiset of them. Resampling
 * passes indices (with repeats), so corpus metrics (BLEU, micro-F1) are recomputed per resample
 * instead of averaged per sample.
 */
export interface PairedStatistic {
  /** Number of paired samples. */
  n: number;
  /** The statistic over the samples at `indices` (repeats allowed; the array is reused, do not keep it). */
  resample(indices: Uint32Array): number;
  /**
   * The statistic after exchanging the two systems' outputs where `swap[i]` is 1; only the
   * permutation test needs it.
   */
  swapped?(swap: Uint8Array): number;
  /**
   * Set when the statistic is the mean of these per-sample values: resampling then sums them
   * directly and the jackknife has a closed form, which is several times faster.
   */
  meanOf?: Float64Array;
  /**
   * The n leave-one-out values of the statistic, for BCa's jackknife; without it the jackknife
   * calls `resample` n times (O(n²)).
   */
  leaveOneOut?(): Float64Array;
}

/** Which of the two compared systems. */
export type System = 'baseline' | 'candidate';

/** A metric of two systems on the same n samples, recomputable on any multiset of samples. */
export interface SystemPairMetric {
  /** Number of paired samples. */
  n: number;
  /** The metric of one system over the samples at `indices` (repeats allowed). */
  score(system: System, indices: Uint32Array): number;
  /** The metric of one system after exchanging outputs where `swap[i]` is 1 (permutation test). */
  scoreSwapped?(system: System, swap: Uint8Array): number;
  /** The metric of one system on each leave-one-out corpus (BCa's jackknife), if cheaper than rescoring. */
  scoreLeaveOneOut?(system: System): Float64Array;
}

export interface SufficientStatisticsOptions {
  /** Per-sample sufficient statistics of the baseline: one row of k numbers per sample. */
  baseline: ArrayLike<number>[];
  /** Per-sample sufficient statistics of the candidate, same shape as `baseline`. */
  candidate: ArrayLike<number>[];
  /** Turns column sums into the corpus metric, e.g. BLEU from n-gram matches, totals and lengths. */
  finalize(totals: Float64Array): number;
}

/**
 * A corpus metric defined by additive per-sample statistics (counts of matches, totals,
 * lengths): resampling only sums rows, so it stays fast for 10,000 resamples.
 */
export function createSufficientStatisticsMetric(
  options: SufficientStatisticsOptions,
): SystemPairMetric {
  const { baseline, candidate, finalize } = options;
  assertSameLength(baseline, candidate, 'baseline', 'candidate');
  const n = baseline.length;
  if (n === 0)
    throw new ValidateError('EMPTY_INPUT', 'needs at least one sample', { field: 'baseline' });
  if (typeof finalize !== 'function') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'must be a function from summed statistics to the metric',
      {
        field: 'finalize',
      },
    );
  }
  const k = (baseline[0] as ArrayLike<number>).length;
  // Row-major copies make the inner loops cache-friendly and reject ragged or non-finite rows once.
  const flat = (rows: ArrayLike<number>[], name: string): Float64Array => {
    const out = new Float64Array(n * k);
    rows.forEach((row, i) => {
      if (row.length !== k) {
        throw new ValidateError(
          'LENGTH_MISMATCH',
          `has ${row.length} statistics but row 0 has ${k}; every row needs the same k`,
          {
            field: `${name}[${i}]`,
          },
        );
      }
      assertFiniteArray(row, `${name}[${i}]`);
      for (let j = 0; j < k; j++) out[i * k + j] = row[j] as number;
    });
    return out;
  };
  const data = { baseline: flat(baseline, 'baseline'), candidate: flat(candidate, 'candidate') };
  const totals = new Float64Array(k);
  return {
    n,
    score(system, indices) {
      const rows = data[system];
      totals.fill(0);
      for (let t = 0; t < indices.length; t++) {
        const base = (indices[t] as number) * k;
        for (let j = 0; j < k; j++) totals[j] = (totals[j] as number) + (rows[base + j] as number);
      }
      return finalize(totals);
    },
    scoreSwapped(system, swap) {
      totals.fill(0);
      for (let i = 0; i < n; i++) {
        const own = swap[i] === 1 ? system !== 'candidate' : system === 'candidate';
        const rows = own ? data.candidate : data.baseline;
        for (let j = 0; j < k; j++) totals[j] = (totals[j] as number) + (rows[i * k + j] as number);
      }
      return finalize(totals);
    },
    scoreLeaveOneOut(system) {
      const rows = data[system];
      const all = new Float64Array(k);
      for (let t = 0; t < n * k; t++) all[t % k] = (all[t % k] as number) + (rows[t] as number);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) totals[j] = (all[j] as number) - (rows[i * k + j] as number);
        out[i] = finalize(totals);
      }
      return out;
    },
  };
}

/** candidate − baseline of a two-system metric, as a paired statistic. */
export function createMetricDifference(metric: SystemPairMetric): PairedStatistic {
  if (metric === null || typeof metric !== 'object' || typeof metric.score !== 'function') {
    throw new ValidateError('INVALID_ARGUMENT', 'must be a SystemPairMetric with n and score()', {
      field: 'metric',
    });
  }
  assertInteger(metric.n, 'metric.n', 1);
  const scoreSwapped = metric.scoreSwapped?.bind(metric);
  const scoreLeaveOneOut = metric.scoreLeaveOneOut?.bind(metric);
  return {
    n: metric.n,
    resample: (indices) => metric.score('candidate', indices) - metric.score('baseline', indices),
    ...(scoreSwapped
      ? {
          swapped: (swap: Uint8Array) =>
            scoreSwapped('candidate', swap) - scoreSwapped('baseline', swap),
        }
      : {}),
    ...(scoreLeaveOneOut
      ? {
          leaveOneOut: () => {
            const candidate = scoreLeaveOneOut('candidate');
            const baseline = scoreLeaveOneOut('baseline');
            return candidate.map((v, i) => v - (baseline[i] as number));
          },
        }
      : {}),
  };
}

/**
 * Any statistic of two paired samples, e.g. the median difference: `fn` receives the resampled
 * baseline and candidate values (reused buffers, valid during the call only).
 */
export function createPairedStatistic(
  baseline: ArrayLike<number>,
  candidate: ArrayLike<number>,
  fn: (baseline: Float64Array, candidate: Float64Array) => number,
): PairedStatistic {
  assertFiniteArray(baseline, 'baseline');
  assertFiniteArray(candidate, 'candidate');
  assertSameLength(baseline, candidate, 'baseline', 'candidate');
  if (typeof fn !== 'function') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'must be a function of (baseline, candidate) values',
      {
        field: 'fn',
      },
    );
  }
  const n = baseline.length;
  const b = Float64Array.from(baseline);
  const c = Float64Array.from(candidate);
  const bufferB = new Float64Array(n);
  const bufferC = new Float64Array(n);
  return {
    n,
    resample(indices) {
      const m = indices.length;
      for (let t = 0; t < m; t++) {
        const i = indices[t] as number;
        bufferB[t] = b[i] as number;
        bufferC[t] = c[i] as number;
      }
      return fn(bufferB.subarray(0, m), bufferC.subarray(0, m));
    },
    swapped(swap) {
      for (let i = 0; i < n; i++) {
        const own = swap[i] !== 1;
        bufferB[i] = (own ? b[i] : c[i]) as number;
        bufferC[i] = (own ? c[i] : b[i]) as number;
      }
      return fn(bufferB, bufferC);
    },
  };
}

/** Mean of `candidate − baseline` per-sample scores, as a paired statistic. */
export function createMeanDifference(
  baseline: ArrayLike<number>,
  candidate: ArrayLike<number>,
): PairedStatistic {
  assertFiniteArray(baseline, 'baseline');
  assertFiniteArray(candidate, 'candidate');
  assertSameLength(baseline, candidate, 'baseline', 'candidate');
  const n = baseline.length;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = (candidate[i] as number) - (baseline[i] as number);
  return {
    n,
    meanOf: d,
    resample(indices) {
      let sum = 0;
      for (let t = 0; t < indices.length; t++) sum += d[indices[t] as number] as number;
      return sum / indices.length;
    },
    swapped(swap) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += swap[i] === 1 ? -(d[i] as number) : (d[i] as number);
      return sum / n;
    },
  };
}

export interface BootstrapOptions {
  /** Number of bootstrap resamples. @default 9999 */
  resamples?: number;
  /** Confidence level of the interval. @default 0.95 */
  level?: number;
  /** `percentile` or bias-corrected and accelerated (`bca`, as scipy.stats.bootstrap). @default 'bca' */
  method?: 'percentile' | 'bca';
  /** Seed of the resampling; the same seed draws the same resamples as `resampleIndices`. @default 0 */
  seed?: number | string;
  /** Alternative hypothesis of the bootstrap test about the statistic (vs 0). @default 'two-sided' */
  alternative?: Alternative;
}

export interface BootstrapResult {
  /** The statistic on the original samples. */
  estimate: number;
  ci: ConfidenceInterval;
  /** Standard deviation of the bootstrap distribution. */
  standardError: number;
  /**
   * Bootstrap test of "statistic = 0": the distribution shifted to the null, p = (count + 1) /
   * (resamples + 1) of shifted values at least as extreme as the estimate (two-sided: twice the
   * smaller tail, capped at 1).
   */
  pValue: number;
  resamples: number;
  /** BCa only: bias correction z0. */
  bias?: number;
  /** BCa only: acceleration a (jackknife skewness of the statistic). */
  acceleration?: number;
}

function checkStatistic(statistic: PairedStatistic): number {
  if (
    statistic === null ||
    typeof statistic !== 'object' ||
    typeof statistic.resample !== 'function'
  ) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'must be a PairedStatistic with n and resample(indices)',
      {
        field: 'statistic',
      },
    );
  }
  assertInteger(statistic.n, 'statistic.n', 1);
  return statistic.n;
}

/**
 * The resample indices `bootstrap` draws for (n, resamples, seed), row after row: resample b is
 * `out.subarray(b * n, (b + 1) * n)`. For reproducing results elsewhere (e.g. NumPy).
 */
export function resampleIndices(
  n: number,
  resamples: number,
  seed: number | string = 0,
): Uint32Array {
  assertInteger(n, 'n', 1);
  assertInteger(resamples, 'resamples', 1);
  const rng = createRng(seed);
  const out = new Uint32Array(n * resamples);
  for (let t = 0; t < out.length; t++) out[t] = Math.floor(rng.next() * n);
  return out;
}

/** p-value of the chosen alternative from the two one-sided resampling p-values. */
function resampledPValue(pLess: number, pGreater: number, alternative: Alternative): number {
  if (alternative === 'less') return pLess;
  if (alternative === 'greater') return pGreater;
  return Math.min(1, 2 * Math.min(pLess, pGreater));
}

/** np.percentile (linear interpolation) of an ascending array, `q` in [0, 1]. */
function percentileSorted(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const lo = Math.floor(position);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (position - lo);
}

function finiteStatistic(value: number, what: string): number {
  if (!Number.isFinite(value)) {
    throw new ValidateError(
      'NOT_FINITE',
      `the statistic returned ${value} on ${what}; make it finite for every resample`,
      {
        field: 'statistic',
      },
    );
  }
  return value;
}

/**
 * Paired bootstrap of any statistic: confidence interval (percentile or BCa with the formulas of
 * scipy.stats.bootstrap) and a bootstrap test against 0. Pairs are resampled jointly.
 */
export function bootstrap(
  statistic: PairedStatistic,
  options: BootstrapOptions = {},
): BootstrapResult {
  const {
    resamples = 9999,
    level = 0.95,
    method = 'bca',
    seed = 0,
    alternative = 'two-sided',
  } = options;
  const n = checkStatistic(statistic);
  assertInteger(resamples, 'resamples', 2);
  assertProbability(level, 'level');
  assertOneOf(method, ['percentile', 'bca'] as const, 'method');
  assertOneOf(alternative, ['two-sided', 'less', 'greater'] as const, 'alternative');
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const estimate = finiteStatistic(statistic.resample(all), 'the original samples');

  const rng = createRng(seed);
  const indices = new Uint32Array(n);
  const theta = new Float64Array(resamples);
  let sum = 0;
  const values = statistic.meanOf;
  if (values !== undefined && values.length !== n) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `has ${values.length} values but statistic.n is ${n}`,
      {
        field: 'statistic.meanOf',
      },
    );
  }
  // The fast path never calls finiteStatistic, so a NaN here would reach the interval silently.
  if (values !== undefined) assertFiniteArray(values, 'statistic.meanOf');
  for (let b = 0; b < resamples; b++) {
    let value: number;
    if (values !== undefined) {
      // Same draws as the generic path (and resampleIndices), without the index buffer.
      let total = 0;
      for (let t = 0; t < n; t++) total += values[Math.floor(rng.next() * n)] as number;
      value = total / n;
    } else {
      for (let t = 0; t < n; t++) indices[t] = Math.floor(rng.next() * n);
      value = finiteStatistic(statistic.resample(indices), `resample ${b}`);
    }
    theta[b] = value;
    sum += value;
  }
  const bootMean = sum / resamples;
  let ss = 0;
  // Null distribution: theta shifted by the estimate, compared with the estimate as in the
  // permutation test (with SciPy's relative tolerance for ties).
  const gamma = Math.max(1e-14, Math.abs(1e-14 * estimate));
  let atMost = 0;
  let atLeast = 0;
  for (let b = 0; b < resamples; b++) {
    const v = theta[b] as number;
    ss += (v - bootMean) ** 2;
    const shifted = v - estimate;
    if (shifted <= estimate + gamma) atMost++;
    if (shifted >= estimate - gamma) atLeast++;
  }
  const pLess = (atMost + 1) / (resamples + 1);
  const pGreater = (atLeast + 1) / (resamples + 1);
  const pValue = resampledPValue(pLess, pGreater, alternative);
  const standardError = Math.sqrt(ss / (resamples - 1));

  const tail = (1 - level) / 2;
  let qLow = tail;
  let qHigh = 1 - tail;
  let bias: number | undefined;
  let acceleration: number | undefined;
  let low = Number.POSITIVE_INFINITY;
  let high = Number.NEGATIVE_INFINITY;
  for (let b = 0; b < resamples; b++) {
    low = Math.min(low, theta[b] as number);
    high = Math.max(high, theta[b] as number);
  }
  // Every resample equal (e.g. identical systems): any interval method gives [value, value],
  // while BCa's bias correction would be infinite.
  const degenerate = low === high;
  if (method === 'bca' && !degenerate) {
    let below = 0;
    let equal = 0;
    for (let b = 0; b < resamples; b++) {
      const v = theta[b] as number;
      if (v < estimate) below++;
      else if (v === estimate) equal++;
    }
    // SciPy's _percentile_of_score: ((# <) + (# ≤)) / 2B.
    const z0 = normal.quantile((2 * below + equal) / (2 * resamples), 0, 1);
    const a = jackknifeAcceleration(statistic, n);
    if (!Number.isFinite(z0) || !Number.isFinite(a)) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        'the BCa interval is undefined for this statistic (degenerate bootstrap or jackknife distribution); use method "percentile"',
        { field: 'method' },
      );
    }
    const zLow = normal.quantile(tail, 0, 1);
    const adjust = (z: number): number => normal.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)), 0, 1);
    qLow = adjust(zLow);
    qHigh = adjust(-zLow);
    bias = z0;
    acceleration = a;
  }
  theta.sort();
  return {
    estimate,
    ci: {
      low: percentileSorted(theta, qLow),
      high: percentileSorted(theta, qHigh),
      level,
      method: degenerate ? 'percentile' : method,
    },
    standardError,
    pValue,
    resamples,
    ...(bias === undefined ? {} : { bias, acceleration }),
  };
}

/** Jackknife acceleration a = Σ(θ̄ − θᵢ)³ / (6 (Σ(θ̄ − θᵢ)²)^{3/2}) over leave-one-out statistics. */
function jackknifeAcceleration(statistic: PairedStatistic, n: number): number {
  if (n < 2) return Number.NaN;
  if (statistic.leaveOneOut) {
    const given = statistic.leaveOneOut();
    if (given.length !== n) {
      throw new ValidateError(
        'LENGTH_MISMATCH',
        `returned ${given.length} values but statistic.n is ${n}`,
        {
          field: 'statistic.leaveOneOut',
        },
      );
    }
    given.forEach((v, i) => {
      finiteStatistic(v, `the jackknife sample without ${i}`);
    });
    return accelerationFrom(given);
  }
  const thetas = new Float64Array(n);
  const values = statistic.meanOf;
  if (values !== undefined) {
    let total = 0;
    for (let i = 0; i < n; i++) total += values[i] as number;
    for (let i = 0; i < n; i++) thetas[i] = (total - (values[i] as number)) / (n - 1);
    return accelerationFrom(thetas);
  }
  const indices = new Uint32Array(n - 1);
  for (let i = 1; i < n; i++) indices[i - 1] = i;
  // Leaving out i: indices hold 0..n−1 without i; moving from i to i+1 puts i back in slot i.
  for (let i = 0; i < n; i++) {
    if (i > 0) indices[i - 1] = i - 1;
    thetas[i] = finiteStatistic(statistic.resample(indices), `the jackknife sample without ${i}`);
  }
  return accelerationFrom(thetas);
}

function accelerationFrom(thetas: Float64Array): number {
  const n = thetas.length;
  let dot = 0;
  for (let i = 0; i < n; i++) dot += thetas[i] as number;
  dot /= n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const u = dot - (thetas[i] as number);
    num += u * u * u;
    den += u * u;
  }
  return num / (6 * den ** 1.5);
}

export interface PermutationOptions {
  /** Random sign-flip resamples; when 2^n ≤ resamples every flip is enumerated (exact test). @default 9999 */
  resamples?: number;
  /** Seed of the random flips. @default 0 */
  seed?: number | string;
  /** Alternative hypothesis about the statistic (candidate − baseline). @default 'two-sided' */
  alternative?: Alternative;
}

export interface PermutationResult {
  estimate: number;
  pValue: number;
  /** Whether every one of the 2^n flips was enumerated. */
  exact: boolean;
  /** Number of flips in the null distribution. */
  resamples: number;
}

/**
 * Paired permutation test: under the null the two systems are exchangeable per sample, so their
 * outputs are swapped at random (sign flips for a mean difference). p-values as
 * scipy.stats.permutation_test(permutation_type='samples'): exact count / 2^n when enumerated,
 * (count + 1) / (resamples + 1) otherwise; two-sided doubles the smaller tail.
 */
export function permutationTest(
  statistic: PairedStatistic,
  options: PermutationOptions = {},
): PermutationResult {
  const { resamples = 9999, seed = 0, alternative = 'two-sided' } = options;
  const n = checkStatistic(statistic);
  assertInteger(resamples, 'resamples', 1);
  assertOneOf(alternative, ['two-sided', 'less', 'greater'] as const, 'alternative');
  if (typeof statistic.swapped !== 'function') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'the permutation test needs statistic.swapped(swap); build it with createMeanDifference, createSufficientStatisticsMetric or give SystemPairMetric.scoreSwapped',
      { field: 'statistic.swapped' },
    );
  }
  const swap = new Uint8Array(n);
  const estimate = finiteStatistic(statistic.swapped(swap), 'the original samples');
  const gamma = Math.max(1e-14, Math.abs(1e-14 * estimate));
  const exact = n <= 30 && 2 ** n <= resamples;
  const total = exact ? 2 ** n : resamples;
  let atMost = 0;
  let atLeast = 0;
  const rng = createRng(seed);
  for (let b = 0; b < total; b++) {
    if (exact) for (let i = 0; i < n; i++) swap[i] = (b >>> i) & 1;
    else {
      // One 32-bit draw gives 32 fair coin flips (sfc32's output bits are all full quality).
      let bits = 0;
      for (let i = 0; i < n; i++) {
        if ((i & 31) === 0) bits = (rng.next() * 4294967296) >>> 0;
        swap[i] = bits & 1;
        bits >>>= 1;
      }
    }
    const value = finiteStatistic(statistic.swapped(swap), `flip ${b}`);
    if (value <= estimate + gamma) atMost++;
    if (value >= estimate - gamma) atLeast++;
  }
  const adjustment = exact ? 0 : 1;
  const pLess = (atMost + adjustment) / (total + adjustment);
  const pGreater = (atLeast + adjustment) / (total + adjustment);
  const pValue = resampledPValue(pLess, pGreater, alternative);
  return { estimate, pValue, exact, resamples: total };
}
