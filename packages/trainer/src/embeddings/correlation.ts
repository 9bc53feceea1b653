// Host-side evaluation of embedding similarity: row-wise cosine of embeddings, average ranks, and
// Pearson / Spearman correlation (as scipy.stats.pearsonr / spearmanr compute them).
import { TrainerError } from '../errors.js';
import type { TensorData } from '../ir/types.js';

type Numbers = ArrayLike<number>;

function checkPaired(what: string, x: Numbers, y: Numbers): void {
  if (x.length !== y.length) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `${what}: the two lists must have the same length, got ${x.length} and ${y.length}`,
    );
  }
  if (x.length < 2) {
    throw new TrainerError('INVALID_ARGUMENT', `${what}: needs at least 2 pairs, got ${x.length}`);
  }
  for (const [name, list] of [
    ['first', x],
    ['second', y],
  ] as const) {
    for (let i = 0; i < list.length; i++) {
      if (!Number.isFinite(list[i])) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `${what}: ${name} list has a non-finite value ${list[i]} at index ${i}`,
        );
      }
    }
  }
}

/**
 * 1-based ranks with ties given their average rank (scipy.stats.rankdata's 'average' method):
 * [10, 20, 20, 30] → [1, 2.5, 2.5, 4].
 */
export function averageRanks(values: Numbers): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort(
    (a, b) => (values[a] as number) - (values[b] as number),
  );
  const ranks = new Float64Array(values.length);
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    const v = values[order[start] as number];
    while (end < order.length && values[order[end] as number] === v) end++;
    // Positions start..end−1 (0-based) share the mean of ranks start+1..end.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k] as number] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson's r; NaN when either list is constant (as scipy, which also warns). */
export function pearsonCorrelation(x: Numbers, y: Numbers): number {
  checkPaired('pearsonCorrelation', x, y);
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Spearman's ρ: Pearson's r of the average ranks (scipy.stats.spearmanr), the standard score of
 * embedding models on STS-style pairs. NaN when either list is constant.
 */
export function spearmanCorrelation(x: Numbers, y: Numbers): number {
  checkPaired('spearmanCorrelation', x, y);
  return pearsonCorrelation(averageRanks(x), averageRanks(y));
}

/** cos(aᵢ, bᵢ) of two embedding tensors [N, H] (float64 arithmetic; zero rows give 0). */
export function cosineSimilarities(a: TensorData, b: TensorData): Float64Array {
  const [n = 0, h = 0] = a.dims;
  if (a.dims.length !== 2 || b.dims.join(',') !== a.dims.join(',')) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `cosineSimilarities: embeddings must both be [N, H] of the same shape, got [${a.dims.join(', ')}] and [${b.dims.join(', ')}]`,
    );
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let k = 0; k < h; k++) {
      const u = Number(a.data[i * h + k]);
      const v = Number(b.data[i * h + k]);
      dot += u * v;
      na += u * u;
      nb += v * v;
    }
    const denom = Math.sqrt(na) * Math.sqrt(nb);
    out[i] = denom === 0 ? 0 : dot / denom;
  }
  return out;
}
