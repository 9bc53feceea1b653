// Candidate vs baseline on one metric: paired test, confidence interval of the difference,
// effect size, degraded samples and a verdict, as a ComparisonResult.
import studentT from '@stdlib/stats-base-dists-t';
import { ValidateError } from '../errors.js';
import {
  bootstrap,
  createMeanDifference,
  createMetricDifference,
  type PairedStatistic,
  permutationTest,
  type SystemPairMetric,
} from '../stats/bootstrap.js';
import { cohensDPaired } from '../stats/effect-size.js';
import { pairedTTest, wilcoxonSignedRank } from '../stats/tests.js';
import {
  assertFiniteArray,
  assertOneOf,
  assertProbability,
  assertSameLength,
  mean,
} from '../stats/utils.js';
import type { ComparisonResult, ConfidenceInterval, DegradedSample, Verdict } from '../types.js';

/** Significance test behind the p-value of a per-sample comparison. */
export type ComparisonTest = 'paired-t' | 'wilcoxon' | 'bootstrap' | 'permutation';

/** How the confidence interval of the mean difference is computed. */
export type CiMethod = 't' | 'percentile' | 'bca';

interface CommonComparisonOptions {
  /** Metric name, copied into the result. */
  metric: string;
  /** Whether larger metric values are better. @default true */
  higherIsBetter?: boolean;
  /** Significance level; the interval's level is 1 − alpha. @default 0.05 */
  alpha?: number;
  /** Bootstrap resamples / random permutations. @default 9999 */
  resamples?: number;
  /** Seed of bootstrap resampling and permutations. @default 0 */
  seed?: number | string;
  /** A sample is degraded when it got worse than the baseline by more than this. @default 0 */
  degradationThreshold?: number;
  /** Caller's sample ids, reported with degraded samples. */
  ids?: readonly string[];
}

export interface CompareToBaselineOptions extends CommonComparisonOptions {
  /** Per-sample scores of the baseline. */
  baseline: ArrayLike<number>;
  /** Per-sample scores of the candidate, paired with `baseline`. */
  candidate: ArrayLike<number>;
  /** Test behind the p-value. @default 'paired-t' */
  test?: ComparisonTest;
  /** Interval of the mean difference. @default 't' for paired-t and wilcoxon, 'bca' otherwise */
  ciMethod?: CiMethod;
}

export interface CompareCorpusOptions extends CommonComparisonOptions {
  /** The corpus metric of both systems, recomputable on resampled indices. */
  corpus: SystemPairMetric;
  /** Test behind the p-value; `permutation` needs `corpus.scoreSwapped`. @default 'bootstrap' */
  test?: 'bootstrap' | 'permutation';
  /** Bootstrap interval of the difference. @default 'bca' */
  ciMethod?: 'percentile' | 'bca';
  /** Optional per-sample scores of both systems, for the list of degraded samples. */
  sampleScores?: { baseline: ArrayLike<number>; candidate: ArrayLike<number> };
}

/** `better` / `worse` when significant at `alpha` in that direction of the metric. */
export function verdictOf(
  pValue: number,
  alpha: number,
  direction: number,
  higherIsBetter: boolean,
): Verdict {
  if (!(pValue < alpha) || direction === 0) return 'no_significant_difference';
  return direction > 0 === higherIsBetter ? 'better' : 'worse';
}

/** Samples that got worse by more than `threshold`, worst first (ties in input order). */
export function findDegradedSamples(
  baseline: ArrayLike<number>,
  candidate: ArrayLike<number>,
  options: { higherIsBetter?: boolean; threshold?: number; ids?: readonly string[] } = {},
): DegradedSample[] {
  const { higherIsBetter = true, threshold = 0, ids } = options;
  assertSameLength(baseline, candidate, 'baseline', 'candidate');
  if (typeof threshold !== 'number' || !(threshold >= 0) || !Number.isFinite(threshold)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `must be a finite number ≥ 0, got ${String(threshold)}`,
      {
        field: 'degradationThreshold',
      },
    );
  }
  if (ids !== undefined) assertSameLength(baseline, ids, 'baseline', 'ids');
  const out: DegradedSample[] = [];
  for (let i = 0; i < baseline.length; i++) {
    const b = baseline[i] as number;
    const c = candidate[i] as number;
    const delta = c - b;
    const loss = higherIsBetter ? -delta : delta;
    if (loss > threshold) {
      const id = ids?.[i];
      out.push({ index: i, ...(id === undefined ? {} : { id }), baseline: b, candidate: c, delta });
    }
  }
  const sign = higherIsBetter ? 1 : -1;
  return out.sort((x, y) => sign * (x.delta - y.delta));
}

function checkCommon(options: CommonComparisonOptions): {
  higherIsBetter: boolean;
  alpha: number;
} {
  const { metric, higherIsBetter = true, alpha = 0.05 } = options;
  if (typeof metric !== 'string' || metric === '') {
    throw new ValidateError('INVALID_ARGUMENT', 'must be a non-empty metric name', {
      field: 'metric',
    });
  }
  if (typeof higherIsBetter !== 'boolean') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `must be true or false, got ${String(higherIsBetter)}`,
      {
        field: 'higherIsBetter',
      },
    );
  }
  assertProbability(alpha, 'alpha');
  return { higherIsBetter, alpha };
}

/**
 * Compares paired per-sample scores of a candidate with a baseline: mean difference
 * (candidate − baseline), its interval at level 1 − alpha, a two-sided p-value, Cohen's d for
 * paired samples, the degraded samples and a verdict (significant at alpha and in which direction).
 */
export function compareToBaseline(options: CompareToBaselineOptions): ComparisonResult {
  const {
    baseline,
    candidate,
    metric,
    test = 'paired-t',
    resamples = 9999,
    seed = 0,
    degradationThreshold = 0,
    ids,
  } = options;
  const { higherIsBetter, alpha } = checkCommon(options);
  assertOneOf(test, ['paired-t', 'wilcoxon', 'bootstrap', 'permutation'] as const, 'test');
  const { ciMethod = test === 'paired-t' || test === 'wilcoxon' ? 't' : 'bca' } = options;
  assertOneOf(ciMethod, ['t', 'percentile', 'bca'] as const, 'ciMethod');
  assertFiniteArray(baseline, 'baseline', 2);
  assertFiniteArray(candidate, 'candidate', 2);
  assertSameLength(baseline, candidate, 'baseline', 'candidate');
  const n = baseline.length;
  const level = 1 - alpha;
  const statistic = createMeanDifference(baseline, candidate);
  const t = pairedTTest(candidate, baseline);
  const delta = t.meanDifference;

  let ci: ConfidenceInterval;
  let boot: ReturnType<typeof bootstrap> | undefined;
  if (ciMethod === 't') {
    const half = studentT.quantile(1 - alpha / 2, t.df) * t.standardError;
    ci = { low: delta - half, high: delta + half, level, method: 't' };
  } else {
    boot = bootstrap(statistic, { resamples, level, method: ciMethod, seed });
    ci = boot.ci;
  }

  let pValue: number;
  let direction = delta;
  let testName: string = test;
  if (test === 'paired-t') {
    pValue = t.pValue;
  } else if (test === 'wilcoxon') {
    if (delta === 0 && t.standardError === 0) {
      pValue = 1;
    } else {
      const w = wilcoxonSignedRank(candidate, baseline);
      pValue = w.pValue;
      // The rank sums, not the mean, carry the direction the test found.
      direction = w.rPlus - w.rMinus;
    }
  } else if (test === 'bootstrap') {
    boot ??= bootstrap(statistic, { resamples, level, method: 'percentile', seed });
    pValue = boot.pValue;
    testName = 'paired-bootstrap';
  } else {
    pValue = permutationTest(statistic, { resamples, seed }).pValue;
    testName = 'paired-permutation';
  }

  return {
    metric,
    higherIsBetter,
    n,
    baseline: mean(baseline),
    candidate: mean(candidate),
    delta,
    ci,
    pValue,
    test: testName,
    effectSize: cohensDPaired(candidate, baseline),
    alpha,
    degraded: findDegradedSamples(baseline, candidate, {
      higherIsBetter,
      threshold: degradationThreshold,
      ids,
    }),
    verdict: verdictOf(pValue, alpha, direction, higherIsBetter),
  };
}

/**
 * Compares a corpus-level metric (BLEU, micro-F1, …) of a candidate with a baseline by paired
 * bootstrap over samples (and optionally a paired permutation test). The effect size is the
 * difference over its bootstrap standard error times √n, which equals Cohen's d for paired
 * samples when the metric is a mean of per-sample scores.
 */
export function compareCorpusToBaseline(options: CompareCorpusOptions): ComparisonResult {
  const {
    corpus,
    metric,
    test = 'bootstrap',
    ciMethod = 'bca',
    resamples = 9999,
    seed = 0,
    degradationThreshold = 0,
    ids,
    sampleScores,
  } = options;
  const { higherIsBetter, alpha } = checkCommon(options);
  assertOneOf(test, ['bootstrap', 'permutation'] as const, 'test');
  assertOneOf(ciMethod, ['percentile', 'bca'] as const, 'ciMethod');
  const statistic: PairedStatistic = createMetricDifference(corpus);
  if (test === 'permutation' && statistic.swapped === undefined) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'the permutation test needs corpus.scoreSwapped(system, swap); use createSufficientStatisticsMetric or test "bootstrap"',
      { field: 'corpus.scoreSwapped' },
    );
  }
  const n = corpus.n;
  if (n < 2)
    throw new ValidateError('EMPTY_INPUT', `needs at least 2 samples, got ${n}`, {
      field: 'corpus.n',
    });
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  const baselineScore = corpus.score('baseline', all);
  const candidateScore = corpus.score('candidate', all);
  const boot = bootstrap(statistic, { resamples, level: 1 - alpha, method: ciMethod, seed });
  const pValue =
    test === 'bootstrap' ? boot.pValue : permutationTest(statistic, { resamples, seed }).pValue;
  let degraded: DegradedSample[] = [];
  if (sampleScores !== undefined) {
    assertFiniteArray(sampleScores.baseline, 'sampleScores.baseline');
    assertFiniteArray(sampleScores.candidate, 'sampleScores.candidate');
    if (sampleScores.baseline.length !== n) {
      throw new ValidateError(
        'LENGTH_MISMATCH',
        `has ${sampleScores.baseline.length} scores but corpus.n is ${n}`,
        {
          field: 'sampleScores.baseline',
        },
      );
    }
    degraded = findDegradedSamples(sampleScores.baseline, sampleScores.candidate, {
      higherIsBetter,
      threshold: degradationThreshold,
      ids,
    });
  }
  const delta = boot.estimate;
  const spread = boot.standardError * Math.sqrt(n);
  return {
    metric,
    higherIsBetter,
    n,
    baseline: baselineScore,
    candidate: candidateScore,
    delta,
    ci: boot.ci,
    pValue,
    test: test === 'bootstrap' ? 'paired-bootstrap' : 'paired-permutation',
    effectSize: spread > 0 ? delta / spread : 0,
    alpha,
    degraded,
    verdict: verdictOf(pValue, alpha, delta, higherIsBetter),
  };
}
