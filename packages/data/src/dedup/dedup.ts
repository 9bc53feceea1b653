// Exact then near-duplicate removal in one call, with one report in input indices.
import { DataError } from '../errors.js';
import type { DataRecord } from '../types.js';
import { dedupExact } from './exact.js';
import { dedupNear } from './lsh.js';
import type { DedupOptions, DedupRemoval, DedupResult } from './types.js';
import { assertRecords } from './utils.js';

/** Runs exact dedup, then near dedup on what it kept; indices in the result refer to `records`. */
export function dedup(records: DataRecord[], options: DedupOptions): DedupResult {
  assertRecords(records, 'dedup');
  const { exact = false, near = false } = options;
  if (!exact && !near) {
    throw new DataError(
      'INVALID_ARGUMENT',
      'dedup needs option "exact", option "near", or both (each with at least a "key")',
    );
  }
  let current = records;
  let toInput: number[] = records.map((_, i) => i);
  const removed: DedupRemoval[] = [];
  let removedExact = 0;
  let removedNear = 0;
  if (exact) {
    const result = dedupExact(current, exact);
    removed.push(...result.removed);
    removedExact = result.removed.length;
    current = result.kept;
    toInput = result.keptIndices;
  }
  if (near) {
    const result = dedupNear(current, near);
    for (const r of result.removed) {
      removed.push({
        ...r,
        index: toInput[r.index] as number,
        duplicateOf: toInput[r.duplicateOf] as number,
      });
    }
    removedNear = result.removed.length;
    current = result.kept;
    toInput = result.keptIndices.map((i) => toInput[i] as number);
  }
  removed.sort((a, b) => a.index - b.index);
  return {
    kept: current,
    keptIndices: toInput,
    removed,
    report: { input: records.length, kept: current.length, removedExact, removedNear },
  };
}
