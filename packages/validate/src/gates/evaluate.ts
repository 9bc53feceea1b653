// Evaluates quality-gate rules against metrics, baseline metrics, comparisons and per-slice
// metrics; every rule gets a pass/fail with its reason, and missing inputs fail the rule.
import { ValidateError } from '../errors.js';
import type { ComparisonResult, GateResult, GateRuleResult } from '../types.js';
import { validateGateConfig } from './load.js';
import type {
  DegradedRule,
  GateConfig,
  GateRule,
  RegressionRule,
  SignificanceRule,
  ThresholdRule,
} from './schema.js';

/** Metric name → value. */
export type MetricValues = Readonly<Record<string, number>>;

export interface GateInput {
  /** Metrics of the candidate. */
  metrics?: MetricValues;
  /** Metrics of the baseline, for `max-regression` rules. */
  baselineMetrics?: MetricValues;
  /** Comparisons with the baseline (by metric name, or a list), for `significance` and `max-degraded` rules. */
  comparisons?: Readonly<Record<string, ComparisonResult>> | readonly ComparisonResult[];
  /** Per-slice metrics of the candidate (slice, e.g. a class or tag → metrics), for rules with `slices`. */
  slices?: Readonly<Record<string, MetricValues>>;
  /** Per-slice metrics of the baseline, for `max-regression` rules with `slices`. */
  baselineSlices?: Readonly<Record<string, MetricValues>>;
}

const fmt = (v: number): string =>
  Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));

function ruleId(rule: GateRule): string {
  if (rule.id !== undefined) return rule.id;
  switch (rule.type) {
    case 'threshold':
      return `${rule.metric}${rule.op}${rule.threshold}`;
    case 'max-regression':
      return `${rule.metric}:max-regression${rule.relative ? '-relative' : ''}=${rule.threshold}`;
    case 'significance':
      return `${rule.metric}:significantly-${rule.require === 'better' ? 'better' : 'not-worse'}`;
    case 'max-degraded':
      return `${rule.metric}:max-degraded=${rule.threshold}`;
  }
}

function describeRule(rule: GateRule): string {
  if (rule.description !== undefined) return rule.description;
  switch (rule.type) {
    case 'threshold':
      return `${rule.metric} ${rule.op} ${rule.threshold}`;
    case 'max-regression':
      return `${rule.metric} drops by at most ${rule.relative ? `${fmt(rule.threshold * 100)}%` : fmt(rule.threshold)} vs the baseline`;
    case 'significance':
      return rule.require === 'better'
        ? `${rule.metric} significantly better than the baseline`
        : `${rule.metric} not significantly worse than the baseline`;
    case 'max-degraded':
      return `at most ${fmt(rule.threshold * 100)}% of samples degraded on ${rule.metric}`;
  }
}

function readMetric(
  values: MetricValues | undefined,
  metric: string,
  where: string,
): number | string {
  if (values === undefined) return `no ${where} given`;
  if (!Object.hasOwn(values, metric)) return `metric "${metric}" is missing from ${where}`;
  const v = values[metric];
  if (typeof v !== 'number' || !Number.isFinite(v))
    return `metric "${metric}" in ${where} is ${String(v)}, not a finite number`;
  return v;
}

type Outcome = Pick<GateRuleResult, 'passed' | 'reason' | 'actual' | 'threshold'>;

const fail = (reason: string): Outcome => ({ passed: false, reason });

function evaluateThreshold(
  rule: ThresholdRule,
  metrics: MetricValues | undefined,
  where: string,
): Outcome {
  const value = readMetric(metrics, rule.metric, where);
  if (typeof value === 'string') return fail(value);
  const passed =
    rule.op === '>='
      ? value >= rule.threshold
      : rule.op === '<='
        ? value <= rule.threshold
        : rule.op === '>'
          ? value > rule.threshold
          : value < rule.threshold;
  return {
    passed,
    reason: `${rule.metric} = ${fmt(value)} ${passed ? 'meets' : 'does not meet'} ${rule.op} ${fmt(rule.threshold)}`,
    actual: value,
    threshold: rule.threshold,
  };
}

function evaluateRegression(
  rule: RegressionRule,
  metrics: MetricValues | undefined,
  baseline: MetricValues | undefined,
  where: string,
): Outcome {
  const value = readMetric(metrics, rule.metric, where);
  if (typeof value === 'string') return fail(value);
  const base = readMetric(baseline, rule.metric, `baseline ${where}`);
  if (typeof base === 'string') return fail(base);
  const higherIsBetter = rule.higherIsBetter ?? true;
  const drop = higherIsBetter ? base - value : value - base;
  if (rule.relative && base === 0) {
    return fail(
      `baseline ${rule.metric} is 0, so a relative regression is undefined; use an absolute threshold`,
    );
  }
  const actual = rule.relative ? drop / Math.abs(base) : drop;
  const passed = actual <= rule.threshold;
  const show = (v: number) => (rule.relative ? `${fmt(v * 100)}%` : fmt(v));
  const change = `${rule.metric} went from ${fmt(base)} to ${fmt(value)} (${actual > 0 ? 'regression' : 'no regression'} of ${show(Math.max(0, actual))})`;
  return {
    passed,
    reason: `${change}; ${passed ? 'within' : 'exceeds'} the allowed ${show(rule.threshold)}`,
    actual,
    threshold: rule.threshold,
  };
}

function findComparison(input: GateInput, metric: string): ComparisonResult | string {
  const { comparisons } = input;
  if (comparisons === undefined) return 'no comparisons with the baseline given';
  const found = Array.isArray(comparisons)
    ? (comparisons as readonly ComparisonResult[]).find((c) => c.metric === metric)
    : Object.hasOwn(comparisons, metric)
      ? (comparisons as Readonly<Record<string, ComparisonResult>>)[metric]
      : undefined;
  return found ?? `no comparison with the baseline for metric "${metric}"`;
}

function evaluateSignificance(rule: SignificanceRule, input: GateInput): Outcome {
  const comparison = findComparison(input, rule.metric);
  if (typeof comparison === 'string') return fail(comparison);
  const alpha = rule.alpha ?? comparison.alpha;
  const { pValue, delta, higherIsBetter } = comparison;
  if (!Number.isFinite(pValue)) return fail(`the comparison's p-value is ${pValue}`);
  const significant = pValue < alpha && delta !== 0;
  const improved = delta > 0 === higherIsBetter;
  const direction = !significant
    ? 'no significant difference'
    : improved
      ? 'significantly better'
      : 'significantly worse';
  const passed = rule.require === 'better' ? significant && improved : !(significant && !improved);
  return {
    passed,
    reason: `${rule.metric}: ${direction} (delta ${fmt(delta)}, p = ${fmt(pValue)}, alpha = ${fmt(alpha)}, ${comparison.test}); required ${rule.require === 'better' ? 'significantly better' : 'not significantly worse'}`,
    actual: pValue,
    threshold: alpha,
  };
}

function evaluateDegraded(rule: DegradedRule, input: GateInput): Outcome {
  const comparison = findComparison(input, rule.metric);
  if (typeof comparison === 'string') return fail(comparison);
  if (!(comparison.n > 0)) return fail(`the comparison for "${rule.metric}" has no samples`);
  // Comparisons may come from stored JSON; a missing list must fail the rule, not crash.
  if (!Array.isArray(comparison.degraded)) {
    return fail(`the comparison for "${rule.metric}" has no list of degraded samples`);
  }
  const share = comparison.degraded.length / comparison.n;
  const passed = share <= rule.threshold;
  return {
    passed,
    reason: `${comparison.degraded.length} of ${comparison.n} samples (${fmt(share * 100)}%) degraded on ${rule.metric}; allowed at most ${fmt(rule.threshold * 100)}%`,
    actual: share,
    threshold: rule.threshold,
  };
}

/** Slice names a rule applies to; missing listed slices are reported as failed rules. */
function selectSlices(selector: 'all' | string[], input: GateInput): string[] {
  if (selector === 'all') return Object.keys(input.slices ?? {});
  return selector;
}

/**
 * Evaluates every rule (validated against the gate schema first) and lists each with pass/fail
 * and its reason. A rule whose metric, baseline or comparison is missing fails with a reason
 * instead of throwing. The gate passes when every rule passes.
 */
export function evaluateGates(
  rules: readonly GateRule[] | GateConfig,
  input: GateInput = {},
): GateResult {
  const config = validateGateConfig(rules);
  if (input === null || typeof input !== 'object') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'must be an object with metrics, baselineMetrics, comparisons or slices',
      {
        field: 'input',
      },
    );
  }
  const results: GateRuleResult[] = [];
  for (const rule of config.rules) {
    const id = ruleId(rule);
    const description = describeRule(rule);
    const push = (outcome: Outcome, slice?: string) =>
      results.push({
        id: slice === undefined ? id : `${id}[${slice}]`,
        description: slice === undefined ? description : `${description} (slice ${slice})`,
        ...outcome,
        ...(slice === undefined ? {} : { slice }),
      });
    if (
      (rule.type === 'threshold' || rule.type === 'max-regression') &&
      rule.slices !== undefined
    ) {
      const names = selectSlices(rule.slices, input);
      if (names.length === 0) {
        push(fail('the rule applies to slices but no slices were given'));
        continue;
      }
      for (const name of names) {
        const own = input.slices?.[name];
        if (own === undefined) {
          push(fail(`slice "${name}" is missing from slices`), name);
        } else if (rule.type === 'threshold') {
          push(evaluateThreshold(rule, own, `slice "${name}"`), name);
        } else {
          push(
            evaluateRegression(rule, own, input.baselineSlices?.[name], `slice "${name}"`),
            name,
          );
        }
      }
      continue;
    }
    switch (rule.type) {
      case 'threshold':
        push(evaluateThreshold(rule, input.metrics, 'metrics'));
        break;
      case 'max-regression':
        push(evaluateRegression(rule, input.metrics, input.baselineMetrics, 'metrics'));
        break;
      case 'significance':
        push(evaluateSignificance(rule, input));
        break;
      case 'max-degraded':
        push(evaluateDegraded(rule, input));
        break;
    }
  }
  return { passed: results.every((r) => r.passed), rules: results };
}
