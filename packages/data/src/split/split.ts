// Seeded train/validation/test splits: exact sizes, stratified, grouped, or hash-stable.
import { DataError } from '../errors.js';
import { sha256Hex } from '../hash.js';
import { createRng } from '../random.js';
import type { DataRecord } from '../types.js';
import type { SplitOptions, SplitResult } from './types.js';
import {
  allocateStratified,
  assertRecords,
  assignUnits,
  buildUnits,
  classify,
  largestRemainder,
  readKeys,
} from './utils.js';

function validateRatios(ratios: unknown): [string, number][] {
  if (typeof ratios !== 'object' || ratios === null || Array.isArray(ratios)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      'option "ratios" must be an object of split names to fractions, e.g. { train: 0.8, test: 0.2 }',
      { field: 'ratios' },
    );
  }
  const entries = Object.entries(ratios as Record<string, unknown>);
  if (entries.length === 0) {
    throw new DataError('INVALID_ARGUMENT', 'option "ratios" names no split; give at least one', {
      field: 'ratios',
    });
  }
  for (const [name, ratio] of entries) {
    if (typeof ratio !== 'number' || !Number.isFinite(ratio) || ratio < 0) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `option "ratios": "${name}" must be a finite number ≥ 0, got ${String(ratio)}`,
        { field: 'ratios' },
      );
    }
  }
  const sum = entries.reduce((a, [, r]) => a + (r as number), 0);
  if (Math.abs(sum - 1) > 1e-9) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `option "ratios" must sum to 1, got ${Number(sum.toPrecision(12))} (${entries.map(([n, r]) => `${n}: ${r}`).join(', ')})`,
      { field: 'ratios' },
    );
  }
  return entries as [string, number][];
}

/** A uniform number in [0, 1) from sha256(seed, key): the same on every machine, forever. */
function hashUnit(seed: number | string, key: string): number {
  return (
    Number.parseInt(sha256Hex(`${typeof seed}:${seed}\u0000${key}`).slice(0, 13), 16) / 2 ** 52
  );
}

/**
 * Splits records by `ratios`. `shuffle` (default) gives exact sizes (largest remainder), per-class
 * proportions with `stratifyBy`, whole groups with `groupBy` (sizes then as close as the groups
 * allow), or both. `hash` places each record by a hash of its key, so a growing dataset keeps
 * old records where they were. Same seed, same split, on every machine.
 */
export function splitDataset(records: DataRecord[], options: SplitOptions): SplitResult {
  assertRecords(records, 'splitDataset');
  const { ratios, seed = 0, stratifyBy, groupBy, method = 'shuffle', hashKey } = options;
  const entries = validateRatios(ratios);
  const names = entries.map(([name]) => name);
  const weights = entries.map(([, ratio]) => ratio);
  const n = records.length;
  const assigned = new Int32Array(n);

  if (method === 'hash') {
    if (stratifyBy !== undefined) {
      throw new DataError(
        'INVALID_ARGUMENT',
        'option "stratifyBy" is not supported with method "hash" (a record\'s place depends only on its own key); use method "shuffle" to stratify',
        { field: 'stratifyBy' },
      );
    }
    const key = hashKey ?? groupBy;
    if (key === undefined) {
      throw new DataError(
        'INVALID_ARGUMENT',
        'method "hash" needs option "hashKey" (a field or function unique per record, such as an id) or "groupBy"',
        { field: 'hashKey' },
      );
    }
    const cumulative: number[] = [];
    weights.reduce((acc, w) => {
      cumulative.push(acc + w);
      return acc + w;
    }, 0);
    readKeys(records, key, hashKey === undefined ? 'groupBy' : 'hashKey').forEach((value, i) => {
      const u = hashUnit(seed, value.id);
      const j = cumulative.findIndex((c, jj) => u < c && (weights[jj] as number) > 0);
      assigned[i] = j === -1 ? lastPositive(weights) : j;
    });
  } else if (method === 'shuffle') {
    const rng = createRng(seed);
    const { classOf, classes } = classify(records, stratifyBy, 'stratifyBy');
    if (groupBy !== undefined) {
      const units = rng.shuffle(buildUnits(readKeys(records, groupBy, 'groupBy'), classOf));
      const bins = assignUnits(
        units,
        weights,
        classes.map((c) => c.indices.length),
      );
      units.forEach((unit, u) => {
        for (const i of unit.indices) assigned[i] = bins[u] as number;
      });
    } else {
      const sizes = largestRemainder(n, weights);
      const table = allocateStratified(
        classes.map((c) => c.indices.length),
        weights,
        sizes,
      );
      classes.forEach(({ indices }, c) => {
        const shuffled = rng.shuffle([...indices]);
        let at = 0;
        (table[c] as number[]).forEach((count, j) => {
          for (let k = 0; k < count; k++) assigned[shuffled[at++] as number] = j;
        });
      });
    }
  } else {
    throw new DataError(
      'INVALID_ARGUMENT',
      `option "method" must be 'shuffle' or 'hash', got ${JSON.stringify(method)}`,
      { field: 'method' },
    );
  }

  const splits: Record<string, DataRecord[]> = {};
  const indices: Record<string, number[]> = {};
  for (const name of names) {
    splits[name] = [];
    indices[name] = [];
  }
  for (let i = 0; i < n; i++) {
    const name = names[assigned[i] as number] as string;
    (indices[name] as number[]).push(i);
    (splits[name] as DataRecord[]).push(records[i] as DataRecord);
  }
  return { splits, indices };
}

function lastPositive(weights: readonly number[]): number {
  for (let j = weights.length - 1; j >= 0; j--) if ((weights[j] as number) > 0) return j;
  return weights.length - 1;
}
