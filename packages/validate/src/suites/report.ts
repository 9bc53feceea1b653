// Turns a suite run (and optionally its history) into a report input, so a run can be written as
// Markdown, JSON and HTML with writeReport.
import type { ReportHistoryPoint, ReportInput } from '../reports/types.js';
import type { SuiteRunRecord, SuiteRunResult } from './types.js';

export interface SuiteReportOptions {
  /** Runs to chart as the metric history (e.g. `await store.readHistory(suite)`). @default [] */
  history?: readonly SuiteRunRecord[];
  /** Report title. @default `Regression suite <suite>` */
  title?: string;
}

/** Metrics are named `<set>/<metric>`; gate rules carry their set as the slice. */
export function suiteReportInput(
  result: SuiteRunResult,
  options: SuiteReportOptions = {},
): ReportInput {
  const { history = [], title = `Regression suite ${result.suite}` } = options;
  const metrics: Record<string, number> = {};
  for (const set of result.sets) {
    for (const [metric, value] of Object.entries(set.aggregate))
      metrics[`${set.set}/${metric}`] = value;
  }
  const points: ReportHistoryPoint[] = history.map((record) => {
    const values: Record<string, number> = {};
    for (const set of record.sets) {
      for (const [metric, value] of Object.entries(set.aggregate))
        values[`${set.set}/${metric}`] = value;
    }
    return { run: `#${record.run} ${record.modelVersion}`, values };
  });
  const failing = result.sets.filter((s) => !s.passed);
  return {
    title,
    modelVersion: result.modelVersion,
    ...(result.baselineVersion === undefined ? {} : { baselineVersion: result.baselineVersion }),
    createdAt: result.finishedAt,
    metrics,
    comparisons: result.sets.flatMap((s) =>
      s.comparisons.map((c) => ({ ...c, metric: `${s.set}/${c.metric}` })),
    ),
    gates: {
      passed: result.passed,
      rules: result.sets.flatMap((s) =>
        s.gate.rules.map((rule) => ({ ...rule, slice: `${s.set} [${s.kind}]` })),
      ),
    },
    ...(points.length > 0 ? { history: points } : {}),
    sections: [
      {
        title: 'Sets',
        body: result.sets
          .map(
            (s) =>
              `${s.set} (${s.kind}): ${s.status}, ${s.n} examples, ${s.compared} compared, ${s.degraded.length} degraded scores.`,
          )
          .join('\n\n'),
      },
      ...(failing.length > 0
        ? [{ title: 'Failures', body: failing.flatMap((s) => s.reasons).join('\n\n') }]
        : []),
    ],
  };
}
