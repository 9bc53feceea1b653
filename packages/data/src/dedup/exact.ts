// Exact duplicate removal: records whose normalised key text is equal; the first one is kept.
import { sha256Hex } from '../hash.js';
import type { DataRecord } from '../types.js';
import type { DedupExactOptions, DedupRemoval, DedupResult } from './types.js';
import { assertRecords, createKeyReader } from './utils.js';

/** Removes records whose normalised key equals an earlier record's; the first occurrence stays. */
export function dedupExact(records: DataRecord[], options: DedupExactOptions): DedupResult {
  assertRecords(records, 'dedupExact');
  const { key, normalize = true } = options;
  const readKey = createKeyReader(key, normalize);
  // A digest instead of the text keeps memory flat for long documents.
  const firstByDigest = new Map<string, number>();
  const kept: DataRecord[] = [];
  const keptIndices: number[] = [];
  const removed: DedupRemoval[] = [];
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as DataRecord;
    const digest = sha256Hex(readKey(record, i));
    const first = firstByDigest.get(digest);
    if (first === undefined) {
      firstByDigest.set(digest, i);
      kept.push(record);
      keptIndices.push(i);
    } else {
      removed.push({ index: i, duplicateOf: first, reason: 'exact' });
    }
  }
  return {
    kept,
    keptIndices,
    removed,
    report: {
      input: records.length,
      kept: kept.length,
      removedExact: removed.length,
      removedNear: 0,
    },
  };
}
