// Input and options of the report renderers: one plain-data description of a validation run that
// the Markdown, JSON and HTML renderers all read.
import type { ClassScores, ComparisonResult, GateResult } from '../types.js';

/** A confusion matrix: `matrix[i][j]` counts samples of true label `labels[i]` predicted as `labels[j]`. */
export interface ReportConfusionMatrix {
  /** Class labels; numbers are shown as text (so `confusionMatrix()` output can be passed as is). */
  labels: Array<string | number>;
  matrix: number[][];
}

/** One point of a metric history: a training step or a run, with the metric values it had. */
export interface ReportHistoryPoint {
  /** Training step or epoch; used for the x axis when `run` is absent. */
  step?: number;
  /** Run name or model version; used for the x axis when given. */
  run?: string;
  /** Metric name → value; metrics missing at a point leave a gap in their line. */
  values: Record<string, number>;
}

/** A free-form section appended after the built-in ones; `body` is plain text (paragraphs split on blank lines). */
export interface ReportSection {
  title: string;
  body: string;
}

/** Everything a report can show; every part but `title` is optional and skipped when absent. */
export interface ReportInput {
  title: string;
  /** Version of the model under test. */
  modelVersion?: string;
  /** Version it was compared with. */
  baselineVersion?: string;
  /** When the report was made (ISO string); left out of the report when absent, so output stays reproducible. */
  createdAt?: string;
  /** Headline metrics, name → value. */
  metrics?: Record<string, number>;
  /** Candidate-vs-baseline comparisons, one per metric. */
  comparisons?: ComparisonResult[];
  /** Quality gate outcome. */
  gates?: GateResult;
  confusionMatrix?: ReportConfusionMatrix;
  /** Per-class precision/recall/F1/support, class label → scores. */
  perClass?: Record<string, ClassScores>;
  /** Metric values over steps or runs, in order. */
  history?: ReportHistoryPoint[];
  sections?: ReportSection[];
}

export type ReportFormat = 'markdown' | 'json' | 'html';

export interface RenderReportOptions {
  /** Output format. @default 'markdown' */
  format?: ReportFormat;
  /** Decimal places of numbers in Markdown and HTML tables. @default 4 */
  digits?: number;
}

export interface WriteReportOptions {
  /** Decimal places of numbers in Markdown and HTML tables. @default 4 */
  digits?: number;
}

/** Paths of the files `writeReport` wrote. */
export interface WrittenReport {
  markdown: string;
  json: string;
  html: string;
}
