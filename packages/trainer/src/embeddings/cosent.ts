// CoSENT loss (Su 2022; sentence-transformers' CoSENTLoss) on scored sentence pairs: a ranking
// loss asking every pair with a higher gold score for a higher cosine similarity.
import type { GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import { checkFinite, floatDTypeOf, named, onnxFloatCode } from '../losses/utils.js';
import { pairwiseCosine } from './similarity.js';

/** The graph values a scored-pair loss reads. */
export interface ScoredPairInputs {
  /** Embeddings of the first sentences, [N, H]. */
  embeddings1: string;
  /** Embeddings of the second sentences, [N, H]. */
  embeddings2: string;
  /** Gold similarity of each pair, [N] (any numeric dtype; cast to the embeddings' float type). */
  scores: string;
}

export interface CosentOptions {
  /** Multiplies the cosine similarities (sentence-transformers' `scale`, an inverse temperature). @default 20 */
  scale?: number;
  /** Name of the loss value. @default a generated unique name */
  name?: string;
}

/** Stands in for −∞ on excluded (i, j): exp of it is 0 in float32 and float64 alike. */
const EXCLUDED = -1e12;

/**
 * ℓ = log(1 + Σ_{(i,j): yᵢ < yⱼ} exp(s·cos_i − s·cos_j)), a scalar, exactly as CoSENTLoss
 * computes it: logsumexp over [0, the masked pairwise differences]. Written as −LogSoftmax(v)[0]
 * with v₀ = 0 — the same number, numerically stable, and built only from ops with gradient
 * builders (there is none for ReduceLogSumExp or ReduceMax). Excluded pairs go through `Where`,
 * so they get exactly zero gradient.
 */
export function cosentLoss(
  b: GraphBuilder,
  inputs: ScoredPairInputs,
  options: CosentOptions = {},
): string {
  const { scale = 20, name } = options;
  checkFinite('CoSENT scale', scale);
  const dtype = floatDTypeOf(b, inputs.embeddings1);
  const cos = pairwiseCosine(b, inputs.embeddings1, inputs.embeddings2, dtype);
  const s = b.op('Mul', [cos, b.scalar(dtype, scale)]);
  // diff[i, j] = sᵢ − sⱼ, kept where yᵢ < yⱼ.
  const diff = b.op('Sub', [
    b.op('Unsqueeze', [s, b.int64s([1])]),
    b.op('Unsqueeze', [s, b.int64s([0])]),
  ]);
  const y = b.op('Cast', [inputs.scores], { to: onnxFloatCode(dtype) });
  const lower = b.op('Less', [
    b.op('Unsqueeze', [y, b.int64s([1])]),
    b.op('Unsqueeze', [y, b.int64s([0])]),
  ]);
  const masked = b.op('Where', [lower, diff, b.scalar(dtype, EXCLUDED)]);
  const v = b.op(
    'Concat',
    [b.constant(tensor(dtype, [1], [0])), b.op('Reshape', [masked, b.int64s([-1])])],
    { axis: 0 },
  );
  const first = b.op('Gather', [b.op('LogSoftmax', [v], { axis: 0 }), b.scalar('int64', 0n)], {
    axis: 0,
  });
  return named(b, b.op('Neg', [first]), name);
}
