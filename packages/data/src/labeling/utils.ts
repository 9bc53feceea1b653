// Helpers shared by the labelling functions and the label-matrix consumers.
import { DataError } from '../errors.js';
import type { DataRecord } from '../types.js';
import type { LabelMatrix } from './types.js';

/**
 * A "word character" for boundary checks: letters, digits and combining marks. Marks matter for
 * decomposed text (an "o" followed by U+0308) and for the Ethiopic marks U+135D–U+135F.
 */
export const WORD_CHAR = '[\\p{L}\\p{N}\\p{M}]';

/** Escapes a literal string for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The string value of `field`, or undefined when the record has no string there. */
export function textField(record: DataRecord, field: string): string | undefined {
  const value = record[field];
  return typeof value === 'string' ? value : undefined;
}

export function requireName(name: unknown, what: string): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw new DataError(
      'INVALID_ARGUMENT',
      `${what} needs a non-empty string name; got ${String(name)}.`,
    );
  }
  return name;
}

/** Throws a DataError when the matrix is inconsistent, so consumers can index it without checks. */
export function checkMatrix(matrix: LabelMatrix): void {
  const { n, m, values, labels } = matrix;
  if (!Number.isInteger(n) || !Number.isInteger(m) || n < 0 || m < 0) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `label matrix has invalid shape ${n} × ${m}; n and m must be non-negative integers.`,
    );
  }
  if (values.length !== n * m) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `label matrix holds ${values.length} values but n × m = ${n * m}; build it with applyLabelingFunctions.`,
    );
  }
  if (matrix.lfNames.length !== m) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `label matrix has ${matrix.lfNames.length} LF names for m = ${m} columns.`,
    );
  }
  const k = labels.length;
  for (let p = 0; p < values.length; p++) {
    const v = values[p] as number;
    if (v < -1 || v >= k) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `label matrix value ${v} at record ${Math.floor(p / m)}, LF "${matrix.lfNames[p % m]}" is outside −1…${k - 1} (${k} labels).`,
      );
    }
  }
}
