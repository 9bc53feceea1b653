// Comparing configurations over the same cross-validation folds with the Nadeau–Bengio
// corrected resampled t-test, which accounts for the overlap of training sets between folds.
import studentT from '@stdlib/stats-base-dists-t';
import { findDegradedSamples, verdictOf } from '../compare/baseline.js';
import { ValidateError } from '../errors.js';
import { cohensDPaired } from '../stats/effect-size.js';
import { type Alternative, tPValue } from '../stats/tests.js';
import {
  assertFiniteArray,
  assertOneOf,
  assertProbability,
  mean,
  sampleVariance,
} from '../stats/utils.js';
import type { ComparisonResult, ConfidenceInterval } from '../types.js';
import {
  type CrossValidateOptions,
  type CrossValidationResult,
  crossValidate,
  type FoldSpec,
  resolveFolds,
} from './cross-validate.js';

export interface NadeauBengioOptions {
  /** n_test / n_train: validation over training size of a fold. */
  testTrainRatio: number;
  /** Alternative hypothesis about the mean difference. @default 'two-sided' */
  alternative?: Alternative;
  /** Confidence level of the corrected t interval. @default 0.95 */
  level?: number;
}

export interface NadeauBengioResult {
  statistic: number;
  pValue: number;
  df: number;
  meanDifference: number;
  /** √((1/J + n_test/n_train) · s²) */
  standardError: number;
  ci: ConfidenceInterval;
}

/**
 * Nadeau & Bengio (2003) corrected resampled t-test on per-fold differences d_1..d_J:
 * t = mean(d) / √((1/J + n_test/n_train) · s²_d), with J − 1 degrees of freedom.
 */
export function nadeauBengioTest(
  differences: readonly number[],
  options: NadeauBengioOptions,
): NadeauBengioResult {
  const { testTrainRatio, alternative = 'two-sided', level = 0.95 } = options;
  assertFiniteArray(differences, 'differences', 2);
  if (
    typeof testTrainRatio !== 'number' ||
    !(testTrainRatio > 0) ||
    !Number.isFinite(testTrainRatio)
  ) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `must be a positive number, got ${String(testTrainRatio)}`,
      {
        field: 'testTrainRatio',
      },
    );
  }
  assertOneOf(alternative, ['two-sided', 'less', 'greater'] as const, 'alternative');
  assertProbability(level, 'level');
  const J = differences.length;
  const meanDifference = mean(differences);
  const standardError = Math.sqrt((1 / J + testTrainRatio) * sampleVariance(differences));
  const df = J - 1;
  let statistic: number;
  let pValue: number;
  if (standardError > 0) {
    statistic = meanDifference / standardError;
    pValue = tPValue(statistic, df, alternative);
  } else {
    statistic = meanDifference === 0 ? 0 : Math.sign(meanDifference) * Number.POSITIVE_INFINITY;
    pValue = meanDifference === 0 ? 1 : tPValue(statistic, df, alternative);
  }
  const half = studentT.quantile(1 - (1 - level) / 2, df) * standardError;
  return {
    statistic,
    pValue,
    df,
    meanDifference,
    standardError,
    ci: {
      low: meanDifference - half,
      high: meanDifference + half,
      level,
      method: 'nadeau-bengio-t',
    },
  };
}

/** A configuration to cross-validate: its own train and evaluate callbacks. */
export type Configuration<TModel> = Pick<CrossValidateOptions<TModel>, 'train' | 'evaluate'>;

export interface CompareConfigurationsOptions extends FoldSpec {
  /** Configurations by name; each runs on the same folds. */
  configurations: Record<string, Configuration<unknown>>;
  /** Name of the configuration the others are compared with. @default the first one */
  baseline?: string;
  /** Metric to compare. */
  metric: string;
  /** Whether larger values of the metric are better. @default true */
  higherIsBetter?: boolean;
  /** Significance level; intervals have level 1 − alpha. @default 0.05 */
  alpha?: number;
  /** A fold counts as degraded when the candidate is worse there by more than this. @default 0 */
  degradationThreshold?: number;
}

export interface CompareConfigurationsResult {
  baseline: string;
  /** Cross-validation of every configuration. */
  results: Record<string, CrossValidationResult>;
  /**
   * Each other configuration vs the baseline; `n` counts folds, `degraded` lists folds (index =
   * fold) and the effect size is mean over sd of the per-fold differences.
   */
  comparisons: Record<string, ComparisonResult>;
}

/**
 * Cross-validates several configurations on identical folds and compares each with the baseline
 * configuration by the Nadeau–Bengio corrected resampled t-test.
 */
export async function compareConfigurations(
  options: CompareConfigurationsOptions,
): Promise<CompareConfigurationsResult> {
  const {
    configurations,
    metric,
    higherIsBetter = true,
    alpha = 0.05,
    degradationThreshold = 0,
  } = options;
  const names = Object.keys(configurations ?? {});
  if (names.length < 2) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `needs at least 2 configurations, got ${names.length}`,
      {
        field: 'configurations',
      },
    );
  }
  const { baseline = names[0] as string } = options;
  if (!names.includes(baseline)) {
    throw new ValidateError(
      'NOT_FOUND',
      `"${baseline}" is not among the configurations (${names.join(', ')})`,
      {
        field: 'baseline',
      },
    );
  }
  assertProbability(alpha, 'alpha');
  const folds = resolveFolds(options);
  const ratio =
    mean(folds.map((f) => f.validation.length)) / mean(folds.map((f) => f.train.length));
  const results: Record<string, CrossValidationResult> = {};
  for (const name of names) {
    const config = configurations[name] as Configuration<unknown>;
    results[name] = await crossValidate({ ...config, folds, level: 1 - alpha });
  }
  const valuesOf = (name: string): number[] => {
    const summary = results[name]?.metrics[metric];
    if (summary === undefined) {
      throw new ValidateError(
        'NOT_FOUND',
        `configuration "${name}" did not report metric "${metric}" on every fold`,
        {
          field: 'metric',
        },
      );
    }
    return summary.values;
  };
  const base = valuesOf(baseline);
  const comparisons: Record<string, ComparisonResult> = {};
  for (const name of names) {
    if (name === baseline) continue;
    const cand = valuesOf(name);
    const differences = cand.map((v, i) => v - (base[i] as number));
    const test = nadeauBengioTest(differences, { testTrainRatio: ratio, level: 1 - alpha });
    // Listed in fold order rather than worst first: a fold is a place, not a ranked sample.
    const degraded = findDegradedSamples(base, cand, {
      higherIsBetter,
      threshold: degradationThreshold,
      ids: folds.map((_, index) => `fold-${index}`),
    }).sort((a, b) => a.index - b.index);
    comparisons[name] = {
      metric,
      higherIsBetter,
      n: folds.length,
      baseline: mean(base),
      candidate: mean(cand),
      delta: test.meanDifference,
      ci: test.ci,
      pValue: test.pValue,
      test: 'nadeau-bengio',
      effectSize: cohensDPaired(cand, base),
      alpha,
      degraded,
      verdict: verdictOf(test.pValue, alpha, test.meanDifference, higherIsBetter),
    };
  }
  return { baseline, results, comparisons };
}
