// The causal-LM training objective on a decoder graph: mean cross-entropy of the logits against
// the already-shifted `labels` that sftFeeds writes, ignoring prompt, boundary and padding tokens.
import { createGraphBuilder } from '../ir/builder.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import type { ModelGraph } from '../models/utils.js';

export interface CausalLmLossOptions {
  /** Labels equal to this are ignored (prompt tokens, example ends, padding). @default -100 */
  ignoreIndex?: number;
  /** Name of the int64 [batch, sequence] labels input. @default 'labels' */
  labels?: string;
  /** Name of the scalar loss output. @default 'loss' */
  loss?: string;
}

/**
 * Adds a labels input and a scalar mean cross-entropy output over the model's `logits`, in place
 * (mean over non-ignored tokens, so the loss is the assistant tokens' mean NLL). Returns the
 * loss's name, for createTrainingStep.
 */
export function addCausalLmLoss(model: ModelGraph, options: CausalLmLossOptions = {}): string {
  const { ignoreIndex = -100, labels = 'labels', loss = 'loss' } = options;
  const b = createGraphBuilder({ graph: model.graph });
  const target = b.input(labels, 'int64', ['batch', 'sequence']);
  const dtype = model.graph.outputs.find((v) => v.name === 'logits')?.dtype ?? 'float32';
  crossEntropyLoss(b, { input: 'logits', target }, { name: loss, ignoreIndex });
  b.output(loss, dtype, []);
  model.inputs = model.graph.inputs.map((v) => v.name);
  model.outputs = model.graph.outputs.map((v) => v.name);
  return loss;
}
