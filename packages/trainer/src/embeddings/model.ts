// Sentence-embedding models: a BERT encoder with sentence-transformers' pooling (masked mean or
// [CLS]) and optional L2 normalisation on top of last_hidden_state, pruned to what they need.
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { ONNX_DTYPE_CODE } from '../ir/tensor.js';
import { type BertConfig, type BertOptions, buildBert } from '../models/bert.js';
import type { ModelGraph } from '../models/utils.js';
import { cloneGraph, pruneGraph } from '../step/graph-utils.js';
import { l2Normalize } from './similarity.js';

/** Name of the embedding model's output, [batch, hidden] (sentence-transformers' key). */
export const SENTENCE_EMBEDDING = 'sentence_embedding';

/** Smallest token count divided by in mean pooling (sentence-transformers clamps at 1e-9). */
const MIN_TOKENS = 1e-9;

/** Pooling options, plus buildBert's options (used only when building from a BertConfig). */
export interface EmbeddingModelOptions extends Omit<BertOptions, 'head'> {
  /**
   * 'mean': average of the token states where attention_mask is 1 (masked sum / token count);
   * 'cls': the first token's state. @default 'mean'
   */
  pooling?: 'mean' | 'cls';
  /** Divide each embedding by its L2 norm (then dot product = cosine similarity). @default true */
  normalize?: boolean;
}

/**
 * A sentence-embedding model: inputs those of the encoder (`input_ids`, `attention_mask`, …),
 * one output `sentence_embedding` [batch, hidden]. From a BertConfig the encoder is built with
 * `buildBert(config, { ...options, head: { type: 'none' } })`; a built BERT ModelGraph (any head)
 * is copied, not changed. Either way the graph is pruned to the embedding's dependencies, so the
 * pooler and any classifier head drop out of the graph and of `parameters` (they would otherwise
 * be trained with zero gradients and still be weight-decayed).
 */
export function buildEmbeddingModel(
  source: BertConfig | ModelGraph,
  options: EmbeddingModelOptions = {},
): ModelGraph {
  const { pooling = 'mean', normalize = true, ...bertOptions } = options;
  if (pooling !== 'mean' && pooling !== 'cls') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `pooling must be 'mean' or 'cls', got ${JSON.stringify(pooling)}`,
    );
  }
  const base = isModelGraph(source)
    ? source
    : buildBert(source, { ...bertOptions, head: { type: 'none' } });
  const graph = cloneGraph(base.graph);
  const hiddenInfo = graph.outputs.find((v) => v.name === 'last_hidden_state');
  const hidden = hiddenInfo?.shape?.at(-1);
  if (hiddenInfo === undefined || typeof hidden !== 'number') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `buildEmbeddingModel: model graph "${graph.name}" has no output "last_hidden_state" [batch, sequence, hidden] with a fixed hidden size — pass a BERT built by buildBert (a classifier needs lastHiddenState: true; outputs: ${graph.outputs.map((v) => v.name).join(', ') || 'none'})`,
    );
  }
  const dtype = hiddenInfo.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `buildEmbeddingModel: last_hidden_state is ${dtype}; only float32 and float64 models are supported`,
    );
  }
  const b = createGraphBuilder({ graph });
  const tokens = 'last_hidden_state';
  let pooled: string;
  if (pooling === 'cls') {
    pooled = b.op('Gather', [tokens, b.scalar('int64', 0n)], { axis: 1 });
  } else {
    if (!graph.inputs.some((v) => v.name === 'attention_mask')) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `buildEmbeddingModel: mean pooling needs the graph input "attention_mask", which model graph "${graph.name}" lacks — use pooling: 'cls' or a model with the mask input`,
      );
    }
    const mask = b.op('Unsqueeze', [
      b.op('Cast', ['attention_mask'], { to: ONNX_DTYPE_CODE[dtype] }),
      b.int64s([-1]),
    ]); // [batch, sequence, 1]
    const summed = b.op('ReduceSum', [b.op('Mul', [tokens, mask]), b.int64s([1])], {
      keepdims: 0,
    });
    const count = b.op('Max', [
      b.op('ReduceSum', [mask, b.int64s([1])], { keepdims: 0 }),
      b.scalar(dtype, MIN_TOKENS),
    ]); // [batch, 1]
    pooled = b.op('Div', [summed, count]);
  }
  const embedding = normalize ? l2Normalize(b, pooled, dtype) : pooled;
  b.op('Identity', [embedding], {}, { outputs: [SENTENCE_EMBEDDING] });
  graph.outputs = [{ name: SENTENCE_EMBEDDING, dtype, shape: ['batch', hidden] }];
  pruneGraph(graph);

  const result: ModelGraph = {
    graph,
    parameters: base.parameters.filter((p) => graph.initializers.has(p)),
    inputs: graph.inputs.map((v) => v.name),
    outputs: [SENTENCE_EMBEDDING],
  };
  if (base.dropoutSeed !== undefined && result.inputs.includes(base.dropoutSeed)) {
    result.dropoutSeed = base.dropoutSeed;
  }
  return result;
}

function isModelGraph(source: BertConfig | ModelGraph): source is ModelGraph {
  return typeof source === 'object' && source !== null && 'graph' in source;
}
