// Record-level augmentation: n synonym-replaced variants of each record's text field.
import { DataError } from '../errors.js';
import type { DataRecord } from '../types.js';
import { type SynonymReplaceOptions, synonymReplace } from './synonyms.js';

export interface AugmentRecordsOptions extends Omit<SynonymReplaceOptions, 'seed'> {
  /** The string field to augment. */
  field: string;
  /** Variants to produce per record. */
  n: number;
  /** Field that receives the index of the source record in `records`. @default 'sourceIndex' */
  sourceField?: string;
  /**
   * Base seed. Each variant gets its own seed derived from this, the record index and the variant
   * number, so a record's variants do not change when other records are added or removed.
   * @default 0
   */
  seed?: number | string;
}

/**
 * Returns `n` variants per record, in record order (all variants of record 0 first). Each is a
 * shallow copy with `field` replaced and `sourceField` set; a variant can equal its source when the
 * text has no lexicon match or none was drawn.
 */
export function augmentRecords(
  records: Iterable<DataRecord>,
  options: AugmentRecordsOptions,
): DataRecord[] {
  const { field, n, sourceField = 'sourceIndex', seed = 0, ...replaceOptions } = options;
  if (!Number.isInteger(n) || n < 0) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `augmentRecords n must be a non-negative integer; got ${n}.`,
    );
  }
  const out: DataRecord[] = [];
  let index = 0;
  for (const record of records) {
    const text = record[field];
    if (typeof text !== 'string') {
      throw new DataError(
        'INVALID_ARGUMENT',
        `record index ${index} has ${text === undefined ? 'no' : `a ${typeof text}`} value in "${field}"; augmentRecords needs a string there.`,
        { line: index + 1, field },
      );
    }
    for (let v = 0; v < n; v++) {
      const result = synonymReplace(text, { ...replaceOptions, seed: `${seed}:${index}:${v}` });
      out.push({ ...record, [field]: result.text, [sourceField]: index });
    }
    index++;
  }
  return out;
}
