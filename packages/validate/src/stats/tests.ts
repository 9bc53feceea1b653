// Paired significance tests that agree with SciPy (and statsmodels for McNemar): paired t,
// Wilcoxon signed-rank, McNemar and the sign test.
import binomial from '@stdlib/stats-base-dists-binomial';
import chisquare from '@stdlib/stats-base-dists-chisquare';
import normal from '@stdlib/stats-base-dists-normal';
import studentT from '@stdlib/stats-base-dists-t';
import { ValidateError } from '../errors.js';
import {
  assertFiniteArray,
  assertOneOf,
  assertSameLength,
  differences,
  mean,
  rankAverage,
  sampleVariance,
} from './utils.js';

/** Direction of the alternative hypothesis about `x − y` (as in SciPy). */
export type Alternative = 'two-sided' | 'less' | 'greater';

const ALTERNATIVES: readonly Alternative[] = ['two-sided', 'less', 'greater'];

export interface TestResult {
  /** Test statistic (t, W/T, χ², or a count, depending on the test). */
  statistic: number;
  pValue: number;
  /** Name of the test, e.g. `paired-t`. */
  test: string;
  alternative: Alternative;
  /** Number of pairs used. */
  n: number;
}

export interface PairedTTestOptions {
  /** Alternative hypothesis about the mean of `x − y`. @default 'two-sided' */
  alternative?: Alternative;
}

export interface PairedTTestResult extends TestResult {
  /** Degrees of freedom, n − 1. */
  df: number;
  /** Mean of `x − y`. */
  meanDifference: number;
  /** Standard error of the mean difference. */
  standardError: number;
}

/** Standard-normal tail probability for `z` under `alternative`; tails computed directly, not as 1 − cdf. */
export function normalPValue(z: number, alternative: Alternative): number {
  if (alternative === 'two-sided') return Math.min(1, 2 * normal.cdf(-Math.abs(z), 0, 1));
  return alternative === 'greater' ? normal.cdf(-z, 0, 1) : normal.cdf(z, 0, 1);
}

/** Student-t tail probability for `t` with `df` degrees of freedom under `alternative`. */
export function tPValue(t: number, df: number, alternative: Alternative): number {
  if (alternative === 'two-sided') return Math.min(1, 2 * studentT.cdf(-Math.abs(t), df));
  return alternative === 'greater' ? studentT.cdf(-t, df) : studentT.cdf(t, df);
}

/**
 * Paired t-test on `x − y`, like `scipy.stats.ttest_rel(x, y, alternative=...)`. When every
 * difference is equal the t statistic is undefined (SciPy returns NaN); here identical samples
 * give t = 0, p = 1 and a constant non-zero shift gives t = ±Infinity, p = 0.
 */
export function pairedTTest(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: PairedTTestOptions = {},
): PairedTTestResult {
  const { alternative = 'two-sided' } = options;
  assertOneOf(alternative, ALTERNATIVES, 'alternative');
  assertFiniteArray(x, 'x', 2);
  assertFiniteArray(y, 'y', 2);
  assertSameLength(x, y, 'x', 'y');
  const d = differences(x, y);
  const n = d.length;
  const meanDifference = mean(d);
  const standardError = Math.sqrt(sampleVariance(d) / n);
  const df = n - 1;
  let statistic: number;
  if (standardError > 0) statistic = meanDifference / standardError;
  else if (meanDifference === 0) statistic = 0;
  else statistic = meanDifference > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const pValue =
    standardError === 0 && meanDifference === 0 ? 1 : tPValue(statistic, df, alternative);
  return { statistic, pValue, test: 'paired-t', alternative, n, df, meanDifference, standardError };
}

/** How zero differences are handled, as in SciPy. */
export type ZeroMethod = 'wilcox' | 'pratt' | 'zsplit';

export interface WilcoxonOptions {
  /** Alternative hypothesis about the distribution of `x − y`. @default 'two-sided' */
  alternative?: Alternative;
  /**
   * `wilcox` drops zero differences; `pratt` ranks them then drops them; `zsplit` splits their
   * ranks between the positive and negative sums. @default 'wilcox'
   */
  zeroMethod?: ZeroMethod;
  /** Continuity correction of the normal approximation. @default false */
  correction?: boolean;
  /**
   * `exact` uses the exact null distribution (only without zeros and ties; otherwise the normal
   * approximation is used), `approx` the normal approximation with tie correction, `auto` exact
   * for n ≤ 50. @default 'auto'
   */
  method?: 'auto' | 'exact' | 'approx';
}

export interface WilcoxonResult extends TestResult {
  /** Which null distribution gave the p-value. */
  method: 'exact' | 'approx';
  /** Sum of ranks of positive differences (plus half the zero ranks under `zsplit`). */
  rPlus: number;
  rMinus: number;
  /** z statistic of the normal approximation (NaN for the exact method). */
  z: number;
}

const wilcoxonCounts = new Map<number, Float64Array>();

/**
 * Number of subsets of {1..n} per rank sum: the exact null distribution of R+ times 2^n. Counts
 * stay below 2^53 up to n = 50, so they are exact in doubles.
 */
function wilcoxonDistribution(n: number): Float64Array {
  const cached = wilcoxonCounts.get(n);
  if (cached) return cached;
  const max = (n * (n + 1)) / 2;
  const counts = new Float64Array(max + 1);
  counts[0] = 1;
  for (let k = 1; k <= n; k++) {
    for (let s = (k * (k + 1)) / 2; s >= k; s--)
      counts[s] = (counts[s] as number) + (counts[s - k] as number);
  }
  wilcoxonCounts.set(n, counts);
  return counts;
}

/**
 * Wilcoxon signed-rank test on `x − y`, like `scipy.stats.wilcoxon` (SciPy 1.10). One
 * deliberate difference: with tied |differences| SciPy 1.10's `auto` still takes the exact
 * distribution (truncating R+), which is invalid with ties; here ties switch to the normal
 * approximation with tie correction, as later SciPy releases do.
 */
export function wilcoxonSignedRank(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: WilcoxonOptions = {},
): WilcoxonResult {
  const {
    alternative = 'two-sided',
    zeroMethod = 'wilcox',
    correction = false,
    method = 'auto',
  } = options;
  assertOneOf(alternative, ALTERNATIVES, 'alternative');
  assertOneOf(zeroMethod, ['wilcox', 'pratt', 'zsplit'] as const, 'zeroMethod');
  assertOneOf(method, ['auto', 'exact', 'approx'] as const, 'method');
  assertFiniteArray(x, 'x');
  assertFiniteArray(y, 'y');
  assertSameLength(x, y, 'x', 'y');
  let d = differences(x, y);
  let nZero = 0;
  for (const v of d) if (v === 0) nZero++;
  const abs = d.map(Math.abs);
  const tiesPresent = rankAverage(abs.filter((v) => v !== 0)).ties.length > 0;
  let mode: 'exact' | 'approx' =
    method === 'approx' || (method === 'auto' && d.length > 50) ? 'approx' : 'exact';
  if (mode === 'exact' && (nZero > 0 || tiesPresent)) mode = 'approx';
  if (mode === 'exact' && d.length > 1000) {
    // The exact distribution costs O(n³) time; the normal approximation is excellent long before this.
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `method 'exact' is limited to 1000 pairs, got ${d.length}; use method 'approx' or 'auto'`,
      { field: 'method' },
    );
  }
  if (nZero === d.length && zeroMethod !== 'zsplit') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `every difference x − y is zero, so zeroMethod '${zeroMethod}' leaves nothing to rank; use zeroMethod 'zsplit' or another test`,
      { field: 'x' },
    );
  }
  if (mode === 'approx' && zeroMethod === 'wilcox') d = d.filter((v) => v !== 0);
  const count = d.length;
  const { ranks } = rankAverage(d.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  let rZero = 0;
  for (let i = 0; i < count; i++) {
    const v = d[i] as number;
    const r = ranks[i] as number;
    if (v > 0) rPlus += r;
    else if (v < 0) rMinus += r;
    else rZero += r;
  }
  if (zeroMethod === 'zsplit') {
    rPlus += rZero / 2;
    rMinus += rZero / 2;
  }
  const statistic = alternative === 'two-sided' ? Math.min(rPlus, rMinus) : rPlus;
  let pValue: number;
  let z = Number.NaN;
  if (mode === 'approx') {
    let mn = (count * (count + 1)) / 4;
    let se = count * (count + 1) * (2 * count + 1);
    let tieRanks: ArrayLike<number> = ranks;
    if (zeroMethod === 'pratt') {
      tieRanks = ranks.filter((_, i) => d[i] !== 0);
      mn -= (nZero * (nZero + 1)) / 4;
      se -= nZero * (nZero + 1) * (2 * nZero + 1);
    }
    for (const t of rankAverage(tieRanks).ties) se -= 0.5 * t * (t * t - 1);
    se = Math.sqrt(se / 24);
    let shift = 0;
    if (correction) {
      if (alternative === 'two-sided') shift = 0.5 * Math.sign(statistic - mn);
      else shift = alternative === 'less' ? -0.5 : 0.5;
    }
    z = (statistic - mn - shift) / se;
    pValue = normalPValue(z, alternative);
  } else {
    const counts = wilcoxonDistribution(count);
    const total = 2 ** count;
    const max = counts.length - 1;
    let below = 0;
    for (let s = 0; s <= rPlus; s++) below += counts[s] as number;
    let above = 0;
    for (let s = rPlus; s <= max; s++) above += counts[s] as number;
    if (alternative === 'two-sided') {
      pValue =
        rPlus === Math.floor(max / 2) ? 1 : Math.min(1, (2 * Math.min(below, above)) / total);
    } else {
      pValue = (alternative === 'greater' ? above : below) / total;
    }
  }
  return {
    statistic,
    pValue: Math.min(1, Math.max(0, pValue)),
    test: 'wilcoxon',
    alternative,
    n: count,
    method: mode,
    rPlus,
    rMinus,
    z,
  };
}

export interface McNemarOptions {
  /** Exact binomial test on the discordant pairs; otherwise the χ² approximation. @default true */
  exact?: boolean;
  /** Continuity correction of the χ² statistic (ignored when exact). @default true */
  correction?: boolean;
}

export interface McNemarResult {
  /** min(b, c) when exact, else the χ² statistic. */
  statistic: number;
  pValue: number;
  test: 'mcnemar-exact' | 'mcnemar-chi2';
  /** Pairs only the baseline got right. */
  b: number;
  /** Pairs only the candidate got right. */
  c: number;
}

/**
 * McNemar's test from the discordant counts `b` and `c`, with statsmodels' formulas
 * (`statsmodels.stats.contingency_tables.mcnemar`): exact p = min(1, 2·BinomCDF(min(b, c); b + c, ½));
 * χ² = (|b − c| − corr)² / (b + c) with 1 degree of freedom. No discordant pairs gives p = 1.
 */
export function mcnemarFromCounts(
  b: number,
  c: number,
  options: McNemarOptions = {},
): McNemarResult {
  const { exact = true, correction = true } = options;
  for (const [name, v] of [
    ['b', b],
    ['c', c],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) {
      throw new ValidateError(
        'INVALID_ARGUMENT',
        `must be a non-negative integer count, got ${String(v)}`,
        {
          field: name,
        },
      );
    }
  }
  const n = b + c;
  if (exact) {
    const statistic = Math.min(b, c);
    const pValue = n === 0 ? 1 : Math.min(1, 2 * binomial.cdf(statistic, n, 0.5));
    return { statistic, pValue, test: 'mcnemar-exact', b, c };
  }
  if (n === 0) return { statistic: 0, pValue: 1, test: 'mcnemar-chi2', b, c };
  const statistic = (Math.abs(b - c) - (correction ? 1 : 0)) ** 2 / n;
  const pValue = 1 - chisquare.cdf(statistic, 1);
  // 1 − cdf loses digits in the far tail; the χ²(1) tail equals the two-sided normal tail of √χ².
  return {
    statistic,
    pValue: pValue < 1e-6 ? 2 * normal.cdf(-Math.sqrt(statistic), 0, 1) : pValue,
    test: 'mcnemar-chi2',
    b,
    c,
  };
}

/**
 * McNemar's test on paired correctness (true/1 = correct) of a baseline and a candidate over
 * the same samples.
 */
export function mcnemarTest(
  baselineCorrect: ArrayLike<boolean | number>,
  candidateCorrect: ArrayLike<boolean | number>,
  options: McNemarOptions = {},
): McNemarResult {
  assertSameLength(baselineCorrect, candidateCorrect, 'baselineCorrect', 'candidateCorrect');
  if (baselineCorrect.length === 0) {
    throw new ValidateError('EMPTY_INPUT', 'needs at least one pair', { field: 'baselineCorrect' });
  }
  let b = 0;
  let c = 0;
  const read = (values: ArrayLike<boolean | number>, name: string, i: number): boolean => {
    const v = values[i];
    if (v === true || v === 1) return true;
    if (v === false || v === 0) return false;
    throw new ValidateError('INVALID_ARGUMENT', `must be true/false or 1/0, got ${String(v)}`, {
      field: `${name}[${i}]`,
    });
  };
  for (let i = 0; i < baselineCorrect.length; i++) {
    const base = read(baselineCorrect, 'baselineCorrect', i);
    const cand = read(candidateCorrect, 'candidateCorrect', i);
    if (base && !cand) b++;
    else if (!base && cand) c++;
  }
  return mcnemarFromCounts(b, c, options);
}

export interface SignTestOptions {
  /** Alternative hypothesis about the median of `x − y`. @default 'two-sided' */
  alternative?: Alternative;
}

export interface SignTestResult extends TestResult {
  /** Number of positive differences (the statistic). */
  positives: number;
  negatives: number;
  /** Zero differences, dropped. */
  zeros: number;
}

/**
 * Sign test on `x − y`: zeros dropped, positives ~ Binomial(n, ½) under the null, p-value as
 * `scipy.stats.binomtest(positives, n, 0.5, alternative)`. No non-zero difference gives p = 1.
 */
export function signTest(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: SignTestOptions = {},
): SignTestResult {
  const { alternative = 'two-sided' } = options;
  assertOneOf(alternative, ALTERNATIVES, 'alternative');
  assertFiniteArray(x, 'x');
  assertFiniteArray(y, 'y');
  assertSameLength(x, y, 'x', 'y');
  let positives = 0;
  let negatives = 0;
  for (let i = 0; i < x.length; i++) {
    const d = (x[i] as number) - (y[i] as number);
    if (d > 0) positives++;
    else if (d < 0) negatives++;
  }
  const n = positives + negatives;
  const zeros = x.length - n;
  let pValue = 1;
  if (n > 0) {
    // Symmetry of Binomial(n, ½): P(X ≥ k) = P(X ≤ n − k), which avoids 1 − cdf cancellation.
    const lower = binomial.cdf(positives, n, 0.5);
    const upper = binomial.cdf(negatives, n, 0.5);
    if (alternative === 'two-sided')
      pValue = positives * 2 === n ? 1 : Math.min(1, 2 * Math.min(lower, upper));
    else pValue = alternative === 'greater' ? upper : lower;
  }
  return {
    statistic: positives,
    pValue,
    test: 'sign',
    alternative,
    n,
    positives,
    negatives,
    zeros,
  };
}
