// Shared helpers of the report renderers: input validation, number formatting, escaping and the
// derived rows (gate, comparison, per-class tables) that Markdown and HTML both show.
import { ValidateError } from '../errors.js';
import type { ComparisonResult } from '../types.js';
import type { ReportInput } from './types.js';

/** Checks a report input, naming the first bad field; reports must not silently show NaN. */
export function validateReportInput(input: ReportInput): void {
  if (typeof input !== 'object' || input === null) {
    throw new ValidateError('INVALID_ARGUMENT', 'expected a report input object', {
      field: 'input',
    });
  }
  if (typeof input.title !== 'string' || input.title.trim() === '') {
    throw new ValidateError('INVALID_CONFIG', 'give the report a non-empty title', {
      field: 'title',
    });
  }
  for (const key of ['modelVersion', 'baselineVersion', 'createdAt'] as const) {
    const value = input[key];
    if (value !== undefined && typeof value !== 'string') {
      throw new ValidateError('INVALID_CONFIG', `expected a string, got ${typeof value}`, {
        field: key,
      });
    }
  }
  if (input.metrics !== undefined) {
    for (const [name, value] of Object.entries(input.metrics)) {
      requireFinite(value, `metrics.${name}`);
    }
  }
  input.comparisons?.forEach((c, i) => {
    if (typeof c !== 'object' || c === null || typeof c.metric !== 'string') {
      throw new ValidateError('INVALID_CONFIG', 'expected a ComparisonResult with a metric name', {
        field: `comparisons[${i}]`,
      });
    }
    for (const key of ['baseline', 'candidate', 'delta'] as const) {
      requireFinite(c[key], `comparisons[${i}].${key}`);
    }
    if (typeof c.ci !== 'object' || c.ci === null) {
      throw new ValidateError('INVALID_CONFIG', 'expected a confidence interval { low, high }', {
        field: `comparisons[${i}].ci`,
      });
    }
  });
  if (input.gates !== undefined) {
    if (!Array.isArray(input.gates.rules)) {
      throw new ValidateError('INVALID_CONFIG', 'expected a GateResult with a rules array', {
        field: 'gates.rules',
      });
    }
  }
  const cm = input.confusionMatrix;
  if (cm !== undefined) {
    if (!Array.isArray(cm.labels) || cm.labels.length === 0) {
      throw new ValidateError('EMPTY_INPUT', 'the confusion matrix needs at least one label', {
        field: 'confusionMatrix.labels',
      });
    }
    cm.labels.forEach((label, i) => {
      if (typeof label !== 'string' && typeof label !== 'number') {
        throw new ValidateError(
          'INVALID_CONFIG',
          `expected a string or number label, got ${typeof label}`,
          {
            field: `confusionMatrix.labels[${i}]`,
          },
        );
      }
    });
    if (!Array.isArray(cm.matrix) || cm.matrix.length !== cm.labels.length) {
      throw new ValidateError(
        'LENGTH_MISMATCH',
        `expected ${cm.labels.length} rows (one per label), got ${Array.isArray(cm.matrix) ? cm.matrix.length : 'no array'}`,
        { field: 'confusionMatrix.matrix' },
      );
    }
    cm.matrix.forEach((row, i) => {
      if (!Array.isArray(row) || row.length !== cm.labels.length) {
        throw new ValidateError(
          'LENGTH_MISMATCH',
          `expected ${cm.labels.length} columns (one per label), got ${Array.isArray(row) ? row.length : 'no array'}`,
          { field: `confusionMatrix.matrix[${i}]` },
        );
      }
      row.forEach((v, j) => {
        requireFinite(v, `confusionMatrix.matrix[${i}][${j}]`);
      });
    });
  }
  if (input.perClass !== undefined) {
    for (const [label, scores] of Object.entries(input.perClass)) {
      for (const key of ['precision', 'recall', 'f1', 'support'] as const) {
        requireFinite(scores?.[key], `perClass[${JSON.stringify(label)}].${key}`);
      }
    }
  }
  input.history?.forEach((point, i) => {
    if (typeof point !== 'object' || point === null || typeof point.values !== 'object') {
      throw new ValidateError(
        'INVALID_CONFIG',
        'expected { step or run, values: { metric: number } }',
        {
          field: `history[${i}]`,
        },
      );
    }
    for (const [name, value] of Object.entries(point.values)) {
      requireFinite(value, `history[${i}].values.${name}`);
    }
  });
  input.sections?.forEach((s, i) => {
    if (typeof s?.title !== 'string' || typeof s.body !== 'string') {
      throw new ValidateError('INVALID_CONFIG', 'expected { title: string, body: string }', {
        field: `sections[${i}]`,
      });
    }
  });
}

function requireFinite(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidateError(
      'NOT_FINITE',
      `expected a finite number, got ${typeof value === 'number' ? String(value) : typeof value}; compute the value or leave the field out`,
      { field },
    );
  }
}

/** Integers as they are, tiny values in exponent form (so p = 0.00001 does not print as 0.0000). */
export function formatNumber(value: number, digits: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (Number.isInteger(value)) return String(value);
  if (value !== 0 && Math.abs(value) < 10 ** -digits) return value.toExponential(2);
  return value.toFixed(digits);
}

/** A signed number: deltas read better with an explicit `+`. */
export function formatSigned(value: number, digits: number): string {
  const text = formatNumber(value, digits);
  return value > 0 ? `+${text}` : text;
}

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** The x-axis label of a history point: its run name, else its step, else its position. */
export function historyLabel(point: { step?: number; run?: string }, index: number): string {
  if (point.run !== undefined) return point.run;
  if (point.step !== undefined) return String(point.step);
  return String(index + 1);
}

/** Metric names across all history points, in first-seen order. */
export function historyMetrics(
  history: ReadonlyArray<{ values: Record<string, number> }>,
): string[] {
  const names = new Set<string>();
  for (const point of history) for (const name of Object.keys(point.values)) names.add(name);
  return [...names];
}

/** `95% CI [low, high]` style interval text. */
export function formatCi(c: ComparisonResult, digits: number): string {
  return `[${formatSigned(c.ci.low, digits)}, ${formatSigned(c.ci.high, digits)}]`;
}

/** Level as a percentage, e.g. 0.95 → `95%`. */
export function formatLevel(level: number): string {
  return Number.isFinite(level) ? `${Math.round(level * 1000) / 10}%` : 'n/a';
}
