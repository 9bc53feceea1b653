// Custom labelling function: wraps any record → label-or-abstain function with a name.
import { DataError } from '../errors.js';
import type { DataRecord } from '../types.js';
import type { ABSTAIN, LabelingFunction } from './types.js';
import { requireName } from './utils.js';

export function customLF<L extends string>(
  name: string,
  fn: (record: DataRecord) => L | typeof ABSTAIN,
): LabelingFunction<L> {
  requireName(name, 'customLF');
  if (typeof fn !== 'function') {
    throw new DataError(
      'INVALID_ARGUMENT',
      `customLF "${name}" needs a function (record) => label | ABSTAIN.`,
    );
  }
  return { name, apply: fn };
}
