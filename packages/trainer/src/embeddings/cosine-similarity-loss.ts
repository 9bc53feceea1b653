// Cosine-similarity regression loss (sentence-transformers' CosineSimilarityLoss): the mean
// squared error between each pair's cosine similarity and its gold score.
import type { GraphBuilder } from '../ir/builder.js';
import { mseLoss } from '../losses/mse.js';
import { floatDTypeOf, onnxFloatCode } from '../losses/utils.js';
import type { ScoredPairInputs } from './cosent.js';
import { pairwiseCosine } from './similarity.js';

export interface CosineSimilarityLossOptions {
  /** Name of the loss value. @default a generated unique name */
  name?: string;
}

/** ℓ = mean_i (cos(aᵢ, bᵢ) − yᵢ)², a scalar; gold scores are usually in [0, 1] or [−1, 1]. */
export function cosineSimilarityLoss(
  b: GraphBuilder,
  inputs: ScoredPairInputs,
  options: CosineSimilarityLossOptions = {},
): string {
  const dtype = floatDTypeOf(b, inputs.embeddings1);
  const cos = pairwiseCosine(b, inputs.embeddings1, inputs.embeddings2, dtype);
  const y = b.op('Cast', [inputs.scores], { to: onnxFloatCode(dtype) });
  return mseLoss(
    b,
    { input: cos, target: y },
    options.name === undefined ? {} : { name: options.name },
  );
}
