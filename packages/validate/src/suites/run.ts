// Runs a regression suite: predicts and scores every set, compares the per-sample scores with a
// stored baseline under the set kind's thresholds, and records the run in the suite's history.
import { compareToBaseline, findDegradedSamples } from '../compare/baseline.js';
import { ValidateError } from '../errors.js';
import { formatNumber } from '../reports/utils.js';
import type { ComparisonResult, GateRuleResult } from '../types.js';
import { checkVersion } from './files.js';
import type {
  ResolvedThresholds,
  RunSuiteOptions,
  SetBaseline,
  SetRunResult,
  SetThresholds,
  SuiteBaseline,
  SuiteDegradedSample,
  SuiteRunResult,
  SuiteStore,
  TestExample,
  TestSetInfo,
  TestSetKind,
} from './types.js';

/** Thresholds each kind gets unless a set overrides them. */
export const DEFAULT_THRESHOLDS: Readonly<Record<TestSetKind, Readonly<ResolvedThresholds>>> =
  Object.freeze({
    critical: {
      maxAggregateDrop: 0,
      maxDegradedShare: 0,
      sampleTolerance: 0,
      requireSignificance: false,
      alpha: 0.05,
      test: 'paired-t',
    },
    benchmark: {
      maxAggregateDrop: 0.01,
      maxDegradedShare: null,
      sampleTolerance: 0,
      requireSignificance: true,
      alpha: 0.05,
      test: 'paired-t',
    },
    'edge-case': {
      maxAggregateDrop: null,
      maxDegradedShare: 0.1,
      sampleTolerance: 0,
      requireSignificance: false,
      alpha: 0.05,
      test: 'paired-t',
    },
  });

/** The kind's defaults with the set's overrides applied. */
export function resolveThresholds(
  kind: TestSetKind,
  overrides: SetThresholds = {},
): ResolvedThresholds {
  const base = DEFAULT_THRESHOLDS[kind];
  const pick = <K extends keyof ResolvedThresholds>(key: K): ResolvedThresholds[K] =>
    (overrides[key] === undefined ? base[key] : overrides[key]) as ResolvedThresholds[K];
  return {
    maxAggregateDrop: pick('maxAggregateDrop'),
    maxDegradedShare: pick('maxDegradedShare'),
    sampleTolerance: pick('sampleTolerance'),
    requireSignificance: pick('requireSignificance'),
    alpha: pick('alpha'),
    test: pick('test'),
  };
}

/** Runs every set (or `options.sets`) of a suite against the model and, if given, a baseline. */
export async function runSuite<I = unknown, O = unknown, E = unknown>(
  store: SuiteStore,
  suite: string,
  options: RunSuiteOptions<I, O, E>,
): Promise<SuiteRunResult> {
  const {
    modelVersion,
    predict,
    score,
    baselineVersion,
    lowerIsBetter = [],
    sets: only,
    batchSize = 64,
    saveBaseline = false,
    record = true,
    seed = 0,
    now = () => new Date(),
  } = options;
  checkVersion(modelVersion, 'options.modelVersion');
  if (baselineVersion !== undefined) checkVersion(baselineVersion, 'options.baselineVersion');
  if (typeof predict !== 'function' || typeof score !== 'function') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'give both predict(inputs) and score(output, expected)',
      {
        field: typeof predict !== 'function' ? 'options.predict' : 'options.score',
      },
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ValidateError('INVALID_ARGUMENT', `must be a positive integer, got ${batchSize}`, {
      field: 'options.batchSize',
    });
  }
  const startedAt = now().toISOString();
  const registered = await store.listTestSets(suite);
  let selected: TestSetInfo[] = registered;
  if (only !== undefined) {
    if (only.length === 0) {
      throw new ValidateError(
        'EMPTY_INPUT',
        'name at least one set, or leave sets out to run all',
        {
          field: 'options.sets',
        },
      );
    }
    selected = only.map((name, i) => {
      const info = registered.find((s) => s.name === name);
      if (info === undefined) {
        throw new ValidateError(
          'NOT_FOUND',
          `suite ${JSON.stringify(suite)} has no test set ${JSON.stringify(name)}; it has ${registered.map((s) => s.name).join(', ')}`,
          { field: `options.sets[${i}]` },
        );
      }
      return info;
    });
  }
  // Load the baseline before predicting: a wrong version should fail fast, not after inference.
  const baseline: SuiteBaseline | undefined =
    baselineVersion === undefined ? undefined : await store.loadBaseline(suite, baselineVersion);
  const lower = new Set(lowerIsBetter);

  const results: SetRunResult[] = [];
  for (const info of selected) {
    const examples = (await store.loadExamples(suite, info.name)) as TestExample<I, E>[];
    const scores = await scoreSet(info, examples, predict, score, batchSize);
    const metrics = Object.keys(scores[0] ?? {});
    const higherIsBetter = Object.fromEntries(metrics.map((m) => [m, !lower.has(m)]));
    results.push(
      evaluateSet({
        info,
        ids: examples.map((e) => e.id),
        scores,
        higherIsBetter,
        baseline: baseline?.sets[info.name],
        baselineVersion,
        seed,
      }),
    );
  }
  const finishedAt = now().toISOString();
  const result: SuiteRunResult = {
    suite,
    modelVersion,
    ...(baselineVersion === undefined ? {} : { baselineVersion }),
    startedAt,
    finishedAt,
    passed: results.every((r) => r.passed),
    sets: results,
  };

  if (saveBaseline) {
    // Merged: sets not run this time keep their scores from an earlier baseline of this version.
    await store.saveBaseline(
      {
        suite,
        modelVersion,
        createdAt: finishedAt,
        sets: Object.fromEntries(
          results.map((r) => [
            r.set,
            {
              kind: r.kind,
              examplesSha256: r.examplesSha256,
              higherIsBetter: r.higherIsBetter,
              aggregate: r.aggregate,
              scores: r.scores,
            } satisfies SetBaseline,
          ]),
        ),
      },
      { merge: true },
    );
  }
  if (record) {
    const appended = await store.appendRun({
      suite,
      modelVersion,
      baselineVersion: baselineVersion ?? null,
      startedAt,
      finishedAt,
      passed: result.passed,
      sets: results.map((r) => ({
        set: r.set,
        kind: r.kind,
        status: r.status,
        n: r.n,
        compared: r.compared,
        aggregate: r.aggregate,
        higherIsBetter: r.higherIsBetter,
        degradedCount: new Set(r.degraded.map((d) => d.index)).size,
        failed: r.gate.rules.filter((rule) => !rule.passed).map((rule) => rule.id),
        examplesSha256: r.examplesSha256,
      })),
    });
    result.run = appended.run;
  }
  return result;
}

async function scoreSet<I, O, E>(
  info: TestSetInfo,
  examples: TestExample<I, E>[],
  predict: RunSuiteOptions<I, O, E>['predict'],
  score: RunSuiteOptions<I, O, E>['score'],
  batchSize: number,
): Promise<Array<Record<string, number>>> {
  const out: Array<Record<string, number>> = [];
  let metricNames: string[] | undefined;
  for (let start = 0; start < examples.length; start += batchSize) {
    const batch = examples.slice(start, start + batchSize);
    const outputs = await predict(
      batch.map((e) => e.input),
      { set: info.name, kind: info.kind },
    );
    if (!Array.isArray(outputs) || outputs.length !== batch.length) {
      throw new ValidateError(
        'LENGTH_MISMATCH',
        `predict returned ${Array.isArray(outputs) ? outputs.length : 'no array'} outputs for ${batch.length} inputs of set ${JSON.stringify(info.name)} (examples ${start}–${start + batch.length - 1}); return one output per input, in order`,
        { field: 'options.predict' },
      );
    }
    batch.forEach((example, i) => {
      const raw = score(outputs[i] as O, example.expected, example);
      const scores: Record<string, number> =
        typeof raw === 'number'
          ? { score: raw }
          : typeof raw === 'object' && raw !== null
            ? raw
            : {};
      const field = `score(${info.name}/${example.id})`;
      const names = Object.keys(scores);
      if (names.length === 0) {
        throw new ValidateError(
          'INVALID_ARGUMENT',
          `returned ${JSON.stringify(raw)}; return a number or an object of named numbers`,
          { field },
        );
      }
      for (const [name, value] of Object.entries(scores)) {
        if (typeof value !== 'number' || !Number.isFinite(value)) {
          throw new ValidateError(
            'NOT_FINITE',
            `metric ${JSON.stringify(name)} is ${String(value)}; scores must be finite numbers`,
            {
              field,
            },
          );
        }
      }
      metricNames ??= names;
      if (names.length !== metricNames.length || names.some((n) => !metricNames?.includes(n))) {
        throw new ValidateError(
          'INVALID_ARGUMENT',
          `returned metrics [${names.join(', ')}] but earlier samples returned [${metricNames.join(', ')}]; every sample must return the same metrics`,
          { field },
        );
      }
      out.push({ ...scores });
    });
  }
  return out;
}

interface EvaluateSetInput {
  info: TestSetInfo;
  ids: string[];
  scores: Array<Record<string, number>>;
  higherIsBetter: Record<string, boolean>;
  baseline: SetBaseline | undefined;
  baselineVersion: string | undefined;
  seed: number;
}

const fmt = (v: number) => formatNumber(v, 4);
const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;

function evaluateSet(input: EvaluateSetInput): SetRunResult {
  const { info, ids, scores, higherIsBetter, baseline, baselineVersion, seed } = input;
  const thresholds = resolveThresholds(info.kind, info.thresholds);
  const metrics = Object.keys(higherIsBetter);
  const aggregate = Object.fromEntries(metrics.map((m) => [m, mean(scores.map((s) => s[m] ?? 0))]));
  const byId = Object.fromEntries(ids.map((id, i) => [id, scores[i] ?? {}]));
  const common: SetRunResult = {
    set: info.name,
    kind: info.kind,
    status: 'no-baseline',
    passed: true,
    gate: { passed: true, rules: [] },
    reasons: [],
    thresholds,
    n: ids.length,
    compared: 0,
    aggregate,
    higherIsBetter,
    comparisons: [],
    degraded: [],
    degradedShare: 0,
    scores: byId,
    examplesSha256: info.sha256,
  };
  if (baseline === undefined) {
    const why =
      baselineVersion === undefined
        ? 'no baseline version given'
        : `baseline ${baselineVersion} has no scores for this set`;
    common.gate.rules.push({
      id: 'baseline',
      description: 'a stored baseline to compare with',
      passed: true,
      reason: `${why}; scores recorded, nothing compared`,
    });
    return common;
  }

  const rules: GateRuleResult[] = [];
  const metricsInBoth = metrics.filter((m) => m in baseline.higherIsBetter);
  if (metricsInBoth.length === 0) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `set ${JSON.stringify(info.name)}: score() returned metrics [${metrics.join(', ')}] but baseline ${baselineVersion} stored [${Object.keys(baseline.higherIsBetter).join(', ')}]; score with the same function the baseline was made with`,
      { field: 'options.score' },
    );
  }
  const pairedIds = ids.filter((id) => baseline.scores[id] !== undefined);
  const unmatched = ids.length - pairedIds.length;
  rules.push({
    id: 'coverage',
    description: 'examples with a baseline score',
    passed: true,
    reason:
      unmatched === 0
        ? `all ${ids.length} examples compared`
        : `${pairedIds.length} of ${ids.length} examples compared; ${unmatched} have no baseline score (added after the baseline)`,
    actual: pairedIds.length,
  });

  const comparisons: ComparisonResult[] = [];
  const degraded: SuiteDegradedSample[] = [];
  for (const metric of metricsInBoth) {
    const hib = higherIsBetter[metric] ?? true;
    const base = pairedIds.map((id) => baseline.scores[id]?.[metric] ?? Number.NaN);
    const cand = pairedIds.map((id) => byId[id]?.[metric] ?? Number.NaN);
    const missing = base.findIndex((v) => Number.isNaN(v));
    if (missing >= 0) {
      throw new ValidateError(
        'INVALID_CONFIG',
        `baseline ${baselineVersion} has no ${JSON.stringify(metric)} score for example ${JSON.stringify(pairedIds[missing])} of set ${JSON.stringify(info.name)}; save the baseline again`,
        { field: 'baselineVersion' },
      );
    }
    for (const d of findDegradedSamples(base, cand, {
      higherIsBetter: hib,
      threshold: thresholds.sampleTolerance,
      ids: pairedIds,
    })) {
      degraded.push({ ...d, metric });
    }
    if (pairedIds.length === 0) continue;
    const baseMean = mean(base);
    const candMean = mean(cand);
    const drop = hib ? baseMean - candMean : candMean - baseMean;
    let comparison: ComparisonResult | undefined;
    if (pairedIds.length >= 2) {
      comparison = compareToBaseline({
        metric,
        baseline: base,
        candidate: cand,
        higherIsBetter: hib,
        alpha: thresholds.alpha,
        test: thresholds.test,
        degradationThreshold: thresholds.sampleTolerance,
        ids: pairedIds,
        seed,
      });
      comparisons.push(comparison);
    }
    const limit = thresholds.maxAggregateDrop;
    if (limit !== null) {
      const tooLarge = drop > limit;
      let passed = !tooLarge;
      let reason = `${metric} mean ${fmt(baseMean)} → ${fmt(candMean)} (${hib ? 'higher' : 'lower'} is better): drop ${fmt(drop)} ${tooLarge ? '>' : '≤'} allowed ${fmt(limit)}`;
      if (tooLarge && thresholds.requireSignificance) {
        if (comparison === undefined) {
          reason +=
            '; fewer than 2 compared samples, so no significance test: the drop alone fails';
        } else if (comparison.verdict === 'worse') {
          reason += `; significantly worse (${comparison.test} p = ${fmt(comparison.pValue)} < ${thresholds.alpha})`;
        } else {
          passed = true;
          reason += `; not significant (${comparison.test} p = ${fmt(comparison.pValue)} ≥ ${thresholds.alpha}), so tolerated`;
        }
      }
      rules.push({
        id: `${metric}.drop<=${limit}`,
        description: `mean ${metric} drops by at most ${limit}`,
        passed,
        reason,
        actual: drop,
        threshold: limit,
      });
    }
  }

  const degradedIds = new Set(degraded.map((d) => d.index));
  const degradedShare = pairedIds.length === 0 ? 0 : degradedIds.size / pairedIds.length;
  if (thresholds.maxDegradedShare !== null) {
    const passed = degradedShare <= thresholds.maxDegradedShare;
    const worst = degraded
      .slice(0, 5)
      .map((d) => `${d.id ?? d.index} (${d.metric} ${fmt(d.baseline)} → ${fmt(d.candidate)})`)
      .join(', ');
    rules.push({
      id: `degraded<=${thresholds.maxDegradedShare}`,
      description: `at most ${thresholds.maxDegradedShare * 100}% of samples get worse by more than ${thresholds.sampleTolerance}`,
      passed,
      reason: `${degradedIds.size} of ${pairedIds.length} samples got worse (${fmt(degradedShare * 100)}%, allowed ${fmt(thresholds.maxDegradedShare * 100)}%)${worst === '' ? '' : `: ${worst}${degraded.length > 5 ? ', …' : ''}`}`,
      actual: degradedShare,
      threshold: thresholds.maxDegradedShare,
    });
  }

  const passed = rules.every((r) => r.passed);
  return {
    ...common,
    status: passed ? 'pass' : 'fail',
    passed,
    gate: { passed, rules },
    reasons: rules
      .filter((r) => !r.passed)
      .map((r) => `${info.name} [${info.kind}] ${r.id}: ${r.reason}`),
    compared: pairedIds.length,
    comparisons,
    degraded,
    degradedShare,
  };
}
