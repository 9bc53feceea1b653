// Helpers of the end-to-end tests: a cross-entropy loss on a built model, and accuracy / token
// negative log-likelihood computed on the host from logits (independently of the loss graph).
import { createGraphBuilder } from '../ir/builder.js';
import type { TensorData } from '../ir/types.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import type { ModelGraph } from '../models/utils.js';

/** Name of the loss value withCrossEntropy adds. */
export const LOSS = 'loss';

/**
 * Adds an int64 `labels` input with `labelDims` and a mean cross-entropy `loss` output on the
 * model's `logits` (in place), and returns the model.
 */
export function withCrossEntropy(
  model: ModelGraph,
  labelDims: string[],
  ignoreIndex = -100,
): ModelGraph {
  const b = createGraphBuilder({ graph: model.graph });
  const labels = b.input('labels', 'int64', labelDims);
  crossEntropyLoss(b, { input: 'logits', target: labels }, { name: LOSS, ignoreIndex });
  b.output(LOSS, 'float32', []);
  return model;
}

/** Row-wise argmax of logits [rows, classes]. */
export function argmaxRows(logits: TensorData): number[] {
  const [rows = 0, classes = 0] = logits.dims;
  const data = logits.data as Float32Array | Float64Array;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if ((data[r * classes + c] as number) > (data[r * classes + best] as number)) best = c;
    }
    out.push(best);
  }
  return out;
}

/** Fraction of rows whose argmax equals the label. */
export function accuracy(logits: TensorData, labels: readonly number[]): number {
  const predicted = argmaxRows(logits);
  let correct = 0;
  predicted.forEach((p, i) => {
    if (p === labels[i]) correct++;
  });
  return correct / labels.length;
}

/**
 * Σ −log softmax(logits)[label] over positions whose label is not `ignoreIndex`, in float64 with
 * a max-shifted log-sum-exp; logits [..., vocab], labels the leading dims.
 */
export function tokenNll(
  logits: TensorData,
  labels: TensorData,
  ignoreIndex: number,
): { sum: number; count: number } {
  const vocab = logits.dims[logits.dims.length - 1] ?? 0;
  const data = logits.data as Float32Array | Float64Array;
  const targets = labels.data as BigInt64Array;
  let sum = 0;
  let count = 0;
  for (let i = 0; i < targets.length; i++) {
    const y = Number(targets[i]);
    if (y === ignoreIndex) continue;
    const row = data.subarray(i * vocab, (i + 1) * vocab);
    let max = Number.NEGATIVE_INFINITY;
    for (const v of row) max = Math.max(max, v);
    let z = 0;
    for (const v of row) z += Math.exp(v - max);
    sum += max + Math.log(z) - (row[y] as number);
    count++;
  }
  return { sum, count };
}
