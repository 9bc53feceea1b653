// In-batch negatives contrastive loss (sentence-transformers' MultipleNegativesRankingLoss):
// each anchor must pick its own positive among every candidate in the batch.
import type { GraphBuilder } from '../ir/builder.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import { checkFinite, floatDTypeOf } from '../losses/utils.js';
import { cosineMatrix } from './similarity.js';

/** The graph values the loss reads. */
export interface AnchorPositiveInputs {
  /** Anchor embeddings, [N, H]. */
  anchors: string;
  /** Positive embeddings, [N, H]: row i belongs to anchor i and is a negative for every other. */
  positives: string;
  /** Hard negatives, each [N, H], appended to the candidates (as extra texts in a row). @default [] */
  negatives?: readonly string[];
}

export interface MultipleNegativesRankingOptions {
  /** Multiplies the cosine similarities before the softmax (inverse temperature). @default 20 */
  scale?: number;
  /** Name of the loss value. @default a generated unique name */
  name?: string;
}

/**
 * ℓ = cross_entropy(s·cos(anchors, candidates), arange(N)) with candidates = [positives;
 * negatives…] ([N, N·(1 + #negatives)] scores); the core crossEntropyLoss does the mean. The
 * target range is computed from the batch at run time, so any batch size works.
 */
export function multipleNegativesRankingLoss(
  b: GraphBuilder,
  inputs: AnchorPositiveInputs,
  options: MultipleNegativesRankingOptions = {},
): string {
  const { scale = 20, name } = options;
  checkFinite('MultipleNegativesRanking scale', scale);
  const dtype = floatDTypeOf(b, inputs.anchors);
  const negatives = inputs.negatives ?? [];
  const candidates =
    negatives.length === 0
      ? inputs.positives
      : b.op('Concat', [inputs.positives, ...negatives], { axis: 0 });
  const scores = b.op('Mul', [
    cosineMatrix(b, inputs.anchors, candidates, dtype),
    b.scalar(dtype, scale),
  ]);
  const n = b.op('Gather', [b.op('Shape', [inputs.anchors]), b.scalar('int64', 0n)], { axis: 0 });
  const target = b.op('Range', [b.scalar('int64', 0n), n, b.scalar('int64', 1n)]);
  return crossEntropyLoss(
    b,
    { input: scores, target },
    name === undefined ? { dtype } : { dtype, name },
  );
}
