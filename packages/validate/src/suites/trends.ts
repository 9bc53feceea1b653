// Trends over a suite's run history: each set's metric per run, its least-squares slope and
// whether it is improving or declining, taking into account which way the metric is better.
import { ValidateError } from '../errors.js';
import type { SuiteRunRecord, SuiteTrend, SuiteTrendsOptions } from './types.js';

/** Least-squares slope of `y` over `x`; 0 for fewer than two distinct x. */
export function leastSquaresSlope(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  // Unequal lengths would read undefined y values and return NaN silently.
  if (y.length !== n) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `has ${y.length} value(s) but x has ${n}; pass one y per x`,
      { field: 'y' },
    );
  }
  if (n < 2) return 0;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    sxy += dx * ((y[i] as number) - my);
    sxx += dx * dx;
  }
  return sxx === 0 ? 0 : sxy / sxx;
}

/** Per set and metric: the values over the recorded runs, slope and direction. */
export function suiteTrends(
  history: readonly SuiteRunRecord[],
  options: SuiteTrendsOptions = {},
): SuiteTrend[] {
  const { set: onlySet, metric: onlyMetric, lastRuns, tolerance = 1e-9 } = options;
  if (!Array.isArray(history as unknown)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'expected the array store.readHistory(suite) returns',
      {
        field: 'history',
      },
    );
  }
  if (lastRuns !== undefined && (!Number.isInteger(lastRuns) || lastRuns < 1)) {
    throw new ValidateError('INVALID_ARGUMENT', `must be a positive integer, got ${lastRuns}`, {
      field: 'options.lastRuns',
    });
  }
  if (!(tolerance >= 0)) {
    throw new ValidateError('INVALID_ARGUMENT', `must be ≥ 0, got ${tolerance}`, {
      field: 'options.tolerance',
    });
  }
  // Series keyed by set then metric, in first-seen order.
  const series = new Map<string, Map<string, SuiteTrend>>();
  for (const record of history) {
    for (const summary of record.sets) {
      if (onlySet !== undefined && summary.set !== onlySet) continue;
      let metrics = series.get(summary.set);
      if (metrics === undefined) {
        metrics = new Map();
        series.set(summary.set, metrics);
      }
      for (const [metric, value] of Object.entries(summary.aggregate)) {
        if (onlyMetric !== undefined && metric !== onlyMetric) continue;
        let trend = metrics.get(metric);
        if (trend === undefined) {
          trend = {
            set: summary.set,
            metric,
            higherIsBetter: summary.higherIsBetter[metric] ?? true,
            points: [],
            slope: 0,
            change: 0,
            direction: 'flat',
          };
          metrics.set(metric, trend);
        }
        trend.higherIsBetter = summary.higherIsBetter[metric] ?? trend.higherIsBetter;
        trend.points.push({ run: record.run, modelVersion: record.modelVersion, value });
      }
    }
  }
  const out: SuiteTrend[] = [];
  for (const metrics of series.values()) {
    for (const trend of metrics.values()) {
      if (lastRuns !== undefined) trend.points = trend.points.slice(-lastRuns);
      const points = trend.points;
      trend.slope = leastSquaresSlope(
        points.map((p) => p.run),
        points.map((p) => p.value),
      );
      trend.change = (points.at(-1)?.value ?? 0) - (points[0]?.value ?? 0);
      const better = trend.higherIsBetter ? trend.slope : -trend.slope;
      trend.direction =
        Math.abs(trend.slope) <= tolerance ? 'flat' : better > 0 ? 'improving' : 'declining';
      out.push(trend);
    }
  }
  return out;
}
