// The tables that the Markdown and HTML reports both show, as plain-text cells: each renderer
// escapes and styles the same cells its own way, so the two reports cannot drift apart.
import type { ClassScores, ComparisonResult, GateResult } from '../types.js';
import type { ReportConfusionMatrix, ReportHistoryPoint } from './types.js';
import {
  formatCi,
  formatLevel,
  formatNumber,
  formatSigned,
  historyLabel,
  historyMetrics,
} from './utils.js';

/** One table cell: raw text that the renderer escapes, plus how to show it. */
export interface ReportCell {
  text: string;
  /**
   * A number this module formatted: right-aligned in HTML, and not Markdown-escaped since it only
   * holds digits, signs, brackets and `%`.
   */
  numeric?: boolean;
  /** Free text that may wrap in HTML instead of widening the table. */
  wrap?: boolean;
  /** `pass` / `fail` are coloured in HTML (`fail` is bold in Markdown); `strong` is bold in both. */
  tone?: 'pass' | 'fail' | 'strong';
}

/** A table of raw header texts and rows of cells. */
export interface ReportTable {
  header: string[];
  rows: ReportCell[][];
}

const text = (value: string): ReportCell => ({ text: value });

/** A formatted number; `undefined` gives an empty cell in a numeric column. */
function numberCell(value: number | undefined, digits: number): ReportCell {
  return { text: value === undefined ? '' : formatNumber(value, digits), numeric: true };
}

export function gateTable(gates: GateResult, digits: number): ReportTable {
  return {
    header: ['Rule', 'Result', 'Actual', 'Threshold', 'Reason'],
    rows: gates.rules.map((r) => [
      // evaluateGates already writes the slice into the id as `id[slice]`; do not repeat it.
      text(r.slice === undefined || r.id.endsWith(`[${r.slice}]`) ? r.id : `${r.id} (${r.slice})`),
      r.passed ? { text: 'pass', tone: 'pass' } : { text: 'FAIL', tone: 'fail' },
      numberCell(r.actual, digits),
      numberCell(r.threshold, digits),
      { text: r.reason, wrap: true },
    ]),
  };
}

export function metricsTable(metrics: Record<string, number>, digits: number): ReportTable {
  return {
    header: ['Metric', 'Value'],
    rows: Object.entries(metrics).map(([name, value]) => [text(name), numberCell(value, digits)]),
  };
}

export function comparisonTable(comparisons: ComparisonResult[], digits: number): ReportTable {
  return {
    header: [
      'Metric',
      'Baseline',
      'Candidate',
      'Delta',
      'CI',
      'p-value',
      'Test',
      'n',
      'Degraded',
      'Verdict',
    ],
    rows: comparisons.map((c) => [
      text(c.metric),
      numberCell(c.baseline, digits),
      numberCell(c.candidate, digits),
      { text: formatSigned(c.delta, digits), numeric: true },
      { text: `${formatLevel(c.ci.level)} ${formatCi(c, digits)}`, numeric: true },
      numberCell(c.pValue, digits),
      text(c.test),
      { text: String(c.n), numeric: true },
      { text: String(c.degraded?.length ?? 0), numeric: true },
      c.verdict === 'worse'
        ? { text: 'worse', tone: 'fail' }
        : c.verdict === 'better'
          ? { text: 'better', tone: 'pass' }
          : text(c.verdict.replace(/_/g, ' ')),
    ]),
  };
}

export function perClassTable(perClass: Record<string, ClassScores>, digits: number): ReportTable {
  return {
    header: ['Class', 'Precision', 'Recall', 'F1', 'Support'],
    rows: Object.entries(perClass).map(([label, s]) => [
      text(label),
      numberCell(s.precision, digits),
      numberCell(s.recall, digits),
      numberCell(s.f1, digits),
      { text: String(s.support), numeric: true },
    ]),
  };
}

/** Rows are true labels, columns predicted labels. */
export function confusionTable(cm: ReportConfusionMatrix, digits: number): ReportTable {
  return {
    header: ['true \\ predicted', ...cm.labels.map(String)],
    rows: cm.matrix.map((row, i) => [
      { text: String(cm.labels[i] ?? ''), tone: 'strong' },
      ...row.map((v) => numberCell(v, digits)),
    ]),
  };
}

/** One row per history point, one column per metric seen at any point (gaps stay empty). */
export function historyTable(history: ReportHistoryPoint[], digits: number): ReportTable {
  const names = historyMetrics(history);
  return {
    header: [history.some((p) => p.run !== undefined) ? 'Run' : 'Step', ...names],
    rows: history.map((point, i) => [
      text(historyLabel(point, i)),
      ...names.map((name) => numberCell(point.values[name], digits)),
    ]),
  };
}

/** A section body's paragraphs: split on blank lines, trimmed, empty ones dropped. */
export function paragraphs(body: string): string[] {
  return body
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
