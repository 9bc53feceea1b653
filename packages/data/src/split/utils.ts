// Shared by splits and k-fold: reading class/group values, largest-remainder rounding, and the
// greedy assignment of whole groups.
import { DataError } from '../errors.js';
import { canonicalJson } from '../hash.js';
import type { DataRecord } from '../types.js';
import type { SplitKey } from './types.js';

export function assertRecords(records: unknown, fn: string): asserts records is DataRecord[] {
  if (!Array.isArray(records)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `${fn} expects an array of records, got ${typeof records}`,
    );
  }
}

/** A value read by a SplitKey: `id` tells values apart (1 ≠ "1"), `label` is for messages. */
export interface KeyValue {
  id: string;
  label: string;
}

/** Reads `key` from every record; a missing or null value is an error naming the record index. */
export function readKeys(records: DataRecord[], key: SplitKey, option: string): KeyValue[] {
  const name = typeof key === 'string' ? key : undefined;
  return records.map((record, index) => {
    const value = typeof key === 'string' ? record[key] : key(record, index);
    if (value === undefined || value === null) {
      const what =
        name === undefined
          ? `the ${option} function returned ${value}`
          : `field "${name}" is missing`;
      throw new DataError(
        'INVALID_ARGUMENT',
        `option "${option}": the record at index ${index} has no value (${what}); fill it or filter such records out first`,
        name === undefined ? {} : { field: name },
      );
    }
    return typeof value === 'string'
      ? { id: `s:${value}`, label: JSON.stringify(value) }
      : { id: `j:${canonicalJson(value)}`, label: canonicalJson(value) };
  });
}

/** Indices per distinct value, values in first-appearance order. */
export function groupIndices(keys: KeyValue[]): { value: KeyValue; indices: number[] }[] {
  const byId = new Map<string, { value: KeyValue; indices: number[] }>();
  keys.forEach((value, index) => {
    let group = byId.get(value.id);
    if (!group) {
      group = { value, indices: [] };
      byId.set(value.id, group);
    }
    group.indices.push(index);
  });
  return [...byId.values()];
}

/**
 * Integer parts of `total` in proportion to `weights` (summing to 1) that add up to `total`
 * exactly: floors first, then one more each to the largest remainders (earlier name on ties).
 */
export function largestRemainder(total: number, weights: readonly number[]): number[] {
  const quotas = weights.map((w) => w * total);
  // The 1e-9 keeps 0.29 * 100 = 28.999999999999996 from flooring to 28.
  const sizes = quotas.map((q) => Math.floor(q + 1e-9));
  let left = total - sizes.reduce((a, b) => a + b, 0);
  const order = quotas
    .map((q, i) => ({ i, frac: q - (sizes[i] as number) }))
    .sort((a, b) => b.frac - a.frac || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    sizes[i] = (sizes[i] as number) + 1;
    left--;
  }
  return sizes;
}

/**
 * Per-class counts per split: each class split by its own largest remainder where that is
 * compatible with the exact global `sizes`; the leftover units go first to the cells with the
 * largest fractional quota, so every class stays within one of its exact share whenever the
 * sizes allow it, and the split sizes are always exact.
 */
export function allocateStratified(
  classCounts: readonly number[],
  weights: readonly number[],
  sizes: readonly number[],
): number[][] {
  const cells: { c: number; j: number; frac: number }[] = [];
  const rowLeft: number[] = [];
  const colLeft = [...sizes];
  const table = classCounts.map((count, c) => {
    const row = weights.map((w, j) => {
      const quota = w * count;
      const base = Math.floor(quota + 1e-9);
      cells.push({ c, j, frac: quota - base });
      colLeft[j] = (colLeft[j] as number) - base;
      return base;
    });
    rowLeft.push(count - row.reduce((a, b) => a + b, 0));
    return row;
  });
  cells.sort((a, b) => b.frac - a.frac || a.c - b.c || a.j - b.j);
  const give = (c: number, j: number, units: number): void => {
    const row = table[c] as number[];
    row[j] = (row[j] as number) + units;
    rowLeft[c] = (rowLeft[c] as number) - units;
    colLeft[j] = (colLeft[j] as number) - units;
  };
  for (const { c, j } of cells) {
    if ((rowLeft[c] as number) > 0 && (colLeft[j] as number) > 0) give(c, j, 1);
  }
  // Rarely the greedy pass strands a unit; any split still short takes it (Σ rows = Σ cols).
  for (let c = 0; c < classCounts.length; c++) {
    for (let j = 0; j < sizes.length && (rowLeft[c] as number) > 0; j++) {
      const units = Math.min(rowLeft[c] as number, colLeft[j] as number);
      if (units > 0) give(c, j, units);
    }
  }
  return table;
}

/** A group of records that must stay together, with its class histogram. */
export interface Unit {
  indices: number[];
  classes: Map<number, number>;
}

/**
 * Assigns whole units (groups) in the given order, each to the bin whose per-class counts move
 * closest to their targets (least added squared error). With one class this is simply "the bin
 * furthest below its target"; with classes it also balances class proportions. Returns the bin
 * of each unit.
 */
export function assignUnits(
  units: readonly Unit[],
  weights: readonly number[],
  classTotals: readonly number[],
): number[] {
  const bins = weights.length;
  const counts = weights.map(() => new Float64Array(classTotals.length));
  const sizes = new Float64Array(bins);
  const targetSizes = weights.map((w) => w * classTotals.reduce((a, b) => a + b, 0));
  return units.map((unit) => {
    let best = 0;
    let bestCost = Number.POSITIVE_INFINITY;
    let bestDeficit = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < bins; j++) {
      const w = weights[j] as number;
      const binCounts = counts[j] as Float64Array;
      let cost = 0;
      for (const [c, n] of unit.classes) {
        const over = (binCounts[c] as number) - w * (classTotals[c] as number);
        cost += (over + n) ** 2 - over ** 2;
      }
      const deficit = (targetSizes[j] as number) - (sizes[j] as number);
      if (cost < bestCost - 1e-9 || (Math.abs(cost - bestCost) <= 1e-9 && deficit > bestDeficit)) {
        best = j;
        bestCost = cost;
        bestDeficit = deficit;
      }
    }
    const binCounts = counts[best] as Float64Array;
    for (const [c, n] of unit.classes) binCounts[c] = (binCounts[c] as number) + n;
    sizes[best] = (sizes[best] as number) + unit.indices.length;
    return best;
  });
}

/** Units from group values, with class histograms from class ids (one class when unstratified). */
export function buildUnits(groupKeys: KeyValue[], classOf: Int32Array): Unit[] {
  return groupIndices(groupKeys).map(({ indices }) => {
    const classes = new Map<number, number>();
    for (const i of indices) {
      const c = classOf[i] as number;
      classes.set(c, (classes.get(c) ?? 0) + 1);
    }
    return { indices, classes };
  });
}

/** Class index per record and the class list (first-appearance order); one class without a key. */
export function classify(
  records: DataRecord[],
  key: SplitKey | undefined,
  option: string,
): { classOf: Int32Array; classes: { value: KeyValue; indices: number[] }[] } {
  const classOf = new Int32Array(records.length);
  if (key === undefined) {
    return {
      classOf,
      classes: [{ value: { id: '', label: '' }, indices: records.map((_, i) => i) }],
    };
  }
  const classes = groupIndices(readKeys(records, key, option));
  classes.forEach(({ indices }, c) => {
    for (const i of indices) classOf[i] = c;
  });
  return { classOf, classes };
}
