// MinHash LSH near-duplicate removal: band/row choice for a threshold, band buckets, union-find.
import { DataError } from '../errors.js';
import type { DataRecord } from '../types.js';
import { createMinHasher, estimateJaccard, jaccardSorted } from './minhash.js';
import type { DedupNearOptions, DedupRemoval, DedupResult } from './types.js';
import { assertRecords, createKeyReader } from './utils.js';

/** How a signature is cut for LSH: `bands` bands of `rows` values (bands·rows ≤ numPerm). */
export interface LshParams {
  bands: number;
  rows: number;
}

// Five-point Gauss–Legendre nodes and weights on [-1, 1].
const GL_NODES = [
  0, -0.5384693101056831, 0.5384693101056831, -0.906179845938664, 0.906179845938664,
];
const GL_WEIGHTS = [
  0.5688888888888889, 0.4786286704993665, 0.4786286704993665, 0.2369268850561891,
  0.2369268850561891,
];

/**
 * ∫ P(candidate | s) ds over [from, to] (or of 1 − P with `complement`) by composite
 * Gauss–Legendre: exact for polynomials of degree ≤ 9 per panel, and 64 panels keep the
 * steep part of the S-curve resolved while the whole grid search stays a few milliseconds.
 */
function integrateCandidate(
  bands: number,
  rows: number,
  from: number,
  to: number,
  complement: boolean,
): number {
  const panels = 64;
  const half = (to - from) / panels / 2;
  let sum = 0;
  for (let k = 0; k < panels; k++) {
    const mid = from + (2 * k + 1) * half;
    for (let g = 0; g < 5; g++) {
      const s = mid + half * (GL_NODES[g] as number);
      const miss = (1 - s ** rows) ** bands;
      sum += (GL_WEIGHTS[g] as number) * (complement ? miss : 1 - miss);
    }
  }
  return sum * half;
}

const paramCache = new Map<string, LshParams>();

/** Shingle sets kept for verification: about 20 MB for documents of a few hundred characters. */
const SHINGLE_CACHE = 8192;

/**
 * The bands × rows minimising the weighted false positive area ∫₀ᵗ P(candidate|s) ds plus false
 * negative area ∫ₜ¹ (1 − P(candidate|s)) ds, with P(candidate|s) = 1 − (1 − sʳ)ᵇ: the same grid
 * search as datasketch's `_optimal_param`, so both pick the same parameters.
 */
export function optimalLshParams(
  threshold: number,
  numPerm: number,
  weights: readonly [number, number] = [0.5, 0.5],
): LshParams {
  if (!(threshold > 0 && threshold <= 1)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `option "threshold" must be in (0, 1], got ${threshold}`,
      {
        field: 'threshold',
      },
    );
  }
  if (!Number.isInteger(numPerm) || numPerm < 2) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `option "numPerm" must be an integer ≥ 2, got ${numPerm}`,
      {
        field: 'numPerm',
      },
    );
  }
  const [fpWeight, fnWeight] = weights;
  if (!(fpWeight >= 0 && fnWeight >= 0 && fpWeight + fnWeight > 0)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `option "weights" must be two non-negative numbers, not both 0, got [${weights.join(', ')}]`,
      { field: 'weights' },
    );
  }
  const cacheKey = `${threshold}|${numPerm}|${fpWeight}|${fnWeight}`;
  const cached = paramCache.get(cacheKey);
  if (cached) return cached;
  let best: LshParams = { bands: 1, rows: numPerm };
  let bestError = Number.POSITIVE_INFINITY;
  for (let b = 1; b <= numPerm; b++) {
    for (let r = 1; r <= Math.floor(numPerm / b); r++) {
      const fp = integrateCandidate(b, r, 0, threshold, false);
      const fn = integrateCandidate(b, r, threshold, 1, true);
      const error = fp * fpWeight + fn * fnWeight;
      if (error < bestError) {
        bestError = error;
        best = { bands: b, rows: r };
      }
    }
  }
  paramCache.set(cacheKey, best);
  return best;
}

/** Probability that a pair with Jaccard `s` shares at least one band: 1 − (1 − sʳ)ᵇ. */
export function lshCandidateProbability(similarity: number, params: LshParams): number {
  return 1 - (1 - similarity ** params.rows) ** params.bands;
}

/** Union-find whose root is always the lowest index, so "keep the root" keeps the first record. */
function createUnionFind(n: number) {
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  const find = (i: number): number => {
    let x = i;
    while (parent[x] !== x) {
      const up = parent[parent[x] as number] as number;
      parent[x] = up;
      x = up;
    }
    return x;
  };
  const union = (a: number, b: number): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  };
  return { find, union };
}

/** A 53-bit bucket key from one band of a signature: two independent 32-bit hashes combined. */
function bandKey(signatures: Uint32Array, start: number, rows: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  for (let i = start; i < start + rows; i++) {
    const v = signatures[i] as number;
    h1 = Math.imul(h1 ^ v, 0x01000193);
    h2 = Math.imul(h2 ^ v, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 ^= h1 >>> 13;
  return (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff);
}

/**
 * Removes near duplicates: records whose key texts have shingle-set Jaccard ≥ `threshold` with
 * an earlier record. Candidate pairs come from MinHash LSH, are checked (exactly with `verify`),
 * and are joined into clusters; each cluster keeps its lowest-index record. Memory is one
 * signature per record (numPerm × 4 bytes) plus one band's buckets at a time, and the shingle
 * sets of candidate records only.
 */
export function dedupNear(records: DataRecord[], options: DedupNearOptions): DedupResult {
  assertRecords(records, 'dedupNear');
  const {
    key,
    normalize = true,
    threshold = 0.8,
    numPerm = 128,
    shingle = { type: 'char', size: 5 },
    seed = 0,
    verify = true,
    weights = [0.1, 0.9],
  } = options;
  const { bands, rows } = optimalLshParams(threshold, numPerm, weights);
  const hasher = createMinHasher({ numPerm, shingle, seed });
  const readKey = createKeyReader(key, normalize);
  const n = records.length;

  const signatures = new Uint32Array(n * numPerm);
  for (let i = 0; i < n; i++) {
    hasher.signatureInto(readKey(records[i] as DataRecord, i), signatures, i * numPerm);
  }

  // Shingle sets are rebuilt from the text only for records in candidate pairs, and at most
  // SHINGLE_CACHE of them are kept (oldest out first), so memory stays bounded when most records
  // have duplicates.
  const shingleSets = new Map<number, Uint32Array>();
  const shinglesOf = (i: number): Uint32Array => {
    let set = shingleSets.get(i);
    if (!set) {
      set = hasher.shingleSet(readKey(records[i] as DataRecord, i));
      if (shingleSets.size >= SHINGLE_CACHE) {
        shingleSets.delete(shingleSets.keys().next().value as number);
      }
      shingleSets.set(i, set);
    }
    return set;
  };
  const similarity = (i: number, j: number): number =>
    verify
      ? jaccardSorted(shinglesOf(i), shinglesOf(j))
      : estimateJaccard(
          signatures.subarray(i * numPerm, (i + 1) * numPerm),
          signatures.subarray(j * numPerm, (j + 1) * numPerm),
        );

  const { find, union } = createUnionFind(n);
  // Pairs already found dissimilar, so a pair sharing several bands is checked once.
  const rejected = new Set<number>();
  for (let band = 0; band < bands; band++) {
    const firstInBucket = new Map<number, number>();
    const crowded = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const bucket = bandKey(signatures, i * numPerm + band * rows, rows);
      const first = firstInBucket.get(bucket);
      if (first === undefined) {
        firstInBucket.set(bucket, i);
        continue;
      }
      let members = crowded.get(bucket);
      if (!members) {
        members = [first];
        crowded.set(bucket, members);
      }
      for (const m of members) {
        if (find(m) === find(i)) continue;
        const pair = m * n + i;
        if (rejected.has(pair)) continue;
        if (similarity(m, i) >= threshold) union(m, i);
        else rejected.add(pair);
      }
      members.push(i);
    }
  }

  const kept: DataRecord[] = [];
  const keptIndices: number[] = [];
  const removed: DedupRemoval[] = [];
  for (let i = 0; i < n; i++) {
    const root = find(i);
    if (root === i) {
      kept.push(records[i] as DataRecord);
      keptIndices.push(i);
    } else {
      removed.push({
        index: i,
        duplicateOf: root,
        reason: 'near',
        similarity: similarity(root, i),
      });
    }
  }
  return {
    kept,
    keptIndices,
    removed,
    report: { input: n, kept: kept.length, removedExact: 0, removedNear: removed.length },
  };
}
