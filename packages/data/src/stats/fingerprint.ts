// Dataset fingerprints: one sha256 over every record's canonical JSON, stable across runs, machines
// and key order, so a pipeline can tell whether a dataset changed.
import { createHash } from 'node:crypto';
import { DataError } from '../errors.js';
import { canonicalJson } from '../hash.js';
import type { DataRecord } from '../types.js';

export interface FingerprintOptions {
  /** Whether record order counts: reordered records give a different fingerprint. @default true */
  orderSensitive?: boolean;
  /** Hash only these fields of each record (missing ones are left out); all fields when omitted. */
  fields?: readonly string[];
}

/**
 * `'sha256:<64 hex>'` of a dataset. Each record becomes `b = UTF-8(canonicalJson(record))` framed
 * as `frame = uint64be(byteLength(b)) ‖ b`, so record boundaries are unambiguous.
 * Order-sensitive: `sha256(frame_1 ‖ … ‖ frame_n)`.
 * Order-insensitive: `sha256(sort(sha256(frame_1), …, sha256(frame_n)))` with the 32-byte
 * digests sorted bytewise and concatenated, which depends only on the multiset of records.
 * Values are hashed as canonicalJson writes them (Dates as ISO, BigInts tagged, keys sorted).
 */
export async function fingerprintDataset(
  records: Iterable<DataRecord> | AsyncIterable<DataRecord>,
  options: FingerprintOptions = {},
): Promise<string> {
  const { orderSensitive = true, fields } = options;
  if (
    fields !== undefined &&
    (!Array.isArray(fields) || fields.some((f) => typeof f !== 'string'))
  ) {
    throw new DataError('INVALID_ARGUMENT', '`fields` must be an array of field names.', {
      field: 'fields',
    });
  }
  const running = createHash('sha256');
  const digests: string[] = [];
  const header = Buffer.alloc(8);
  let index = 0;
  for await (const record of records) {
    index++;
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `record ${index} is ${Array.isArray(record) ? 'an array' : String(record)}, not an object; fingerprints take DataRecord objects.`,
        { line: index },
      );
    }
    const body = Buffer.from(canonicalJson(fields ? pick(record, fields) : record), 'utf8');
    header.writeBigUInt64BE(BigInt(body.length), 0);
    // update() copies its input into the hash state, so the header buffer can be reused.
    if (orderSensitive) running.update(header).update(body);
    else digests.push(createHash('sha256').update(header).update(body).digest('hex'));
  }
  if (!orderSensitive) {
    // Lower-case hex sorts as the bytes do, and string sort is much faster than Buffer.compare.
    digests.sort();
    for (const digest of digests) running.update(digest, 'hex');
  }
  return `sha256:${running.digest('hex')}`;
}

function pick(record: DataRecord, fields: readonly string[]): DataRecord {
  const out: DataRecord = {};
  for (const field of fields) {
    if (Object.hasOwn(record, field)) out[field] = record[field];
  }
  return out;
}
