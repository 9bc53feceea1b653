// In-graph cosine similarity pieces shared by the embedding model and losses: L2 normalisation,
// row-wise and all-pairs cosine similarity, and splitting a stacked batch into its sentence sets.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { FloatDType } from '../losses/utils.js';

/**
 * Smallest norm divided by, as in PyTorch's `F.normalize(eps=1e-12)`: a zero vector stays zero
 * instead of becoming NaN.
 */
export const NORMALIZE_EPS = 1e-12;

/** x / max(‖x‖₂, 1e-12) along the last axis (sentence-transformers' `Normalize` module). */
export function l2Normalize(b: GraphBuilder, x: string, dtype: FloatDType): string {
  const squares = b.op('ReduceSum', [b.op('Mul', [x, x]), b.int64s([-1])], { keepdims: 1 });
  const norm = b.op('Max', [b.op('Sqrt', [squares]), b.scalar(dtype, NORMALIZE_EPS)]);
  return b.op('Div', [x, norm]);
}

/** cos(aᵢ, bᵢ) for rows of a and b [N, H] → [N] (sentence-transformers' `pairwise_cos_sim`). */
export function pairwiseCosine(b: GraphBuilder, x: string, y: string, dtype: FloatDType): string {
  const product = b.op('Mul', [l2Normalize(b, x, dtype), l2Normalize(b, y, dtype)]);
  return b.op('ReduceSum', [product, b.int64s([-1])], { keepdims: 0 });
}

/** cos(aᵢ, bⱼ) for a [N, H] and b [M, H] → [N, M] (sentence-transformers' `cos_sim`). */
export function cosineMatrix(b: GraphBuilder, x: string, y: string, dtype: FloatDType): string {
  const yT = b.op('Transpose', [l2Normalize(b, y, dtype)], { perm: [1, 0] });
  return b.op('MatMul', [l2Normalize(b, x, dtype), yT]);
}

/**
 * Splits embeddings of a stacked batch [k·N, H] — sentence set 1 in rows 0..N−1, set 2 in rows
 * N..2N−1, … — into k values [N, H]. Pair losses take their two sides this way, so one encoder
 * pass embeds both (every sentence padded to the batch's length; the mask hides the padding).
 */
export function splitStacked(b: GraphBuilder, embeddings: string, parts = 2): string[] {
  if (!Number.isInteger(parts) || parts < 2) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `splitStacked: parts must be an integer ≥ 2 (sentence sets stacked in the batch), got ${parts}`,
    );
  }
  return b.opN('Split', [embeddings], parts, { axis: 0, num_outputs: parts });
}
