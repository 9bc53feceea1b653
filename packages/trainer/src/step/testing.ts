// Test fixtures for the step compiler and the exporter: a tiny MLP classifier and its data.
import { createRng } from '@ft/data';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';

export interface MlpOptions {
  inputs?: number;
  hidden?: number;
  classes?: number;
  /** Insert a training-mode Dropout with this ratio after the hidden activation. @default 0 (none) */
  dropout?: number;
  /** Seed of the weight initialisation. @default 1 */
  seed?: number;
}

/**
 * logits = Relu(x·W1 + b1)·W2 + b2; loss = SoftmaxCrossEntropyLoss(logits, labels) (mean).
 * Parameter names follow Hugging Face (`fc1.weight` …); weights are uniform in ±1/√fan_in.
 */
export function buildMlp(options: MlpOptions = {}): Graph {
  const { inputs = 4, hidden = 8, classes = 3, dropout = 0, seed = 1 } = options;
  const rng = createRng(seed);
  const uniform = (dims: number[], fanIn: number) => {
    const bound = 1 / Math.sqrt(fanIn);
    const n = dims.reduce((a, d) => a * d, 1);
    return tensor(
      'float32',
      dims,
      Array.from({ length: n }, () => (rng.next() * 2 - 1) * bound),
    );
  };
  const b = createGraphBuilder({ name: 'mlp' });
  const x = b.input('x', 'float32', ['batch', inputs]);
  const labels = b.input('labels', 'int64', ['batch']);
  const w1 = b.initializer('fc1.weight', uniform([inputs, hidden], inputs));
  const b1 = b.initializer('fc1.bias', uniform([hidden], inputs));
  const w2 = b.initializer('fc2.weight', uniform([hidden, classes], hidden));
  const b2 = b.initializer('fc2.bias', uniform([classes], hidden));
  let h = b.op('Relu', [b.op('Add', [b.op('MatMul', [x, w1]), b1])]);
  if (dropout > 0) {
    const ratio = b.constant(tensor('float32', [], [dropout]));
    const training = b.constant(tensor('bool', [], [1]));
    h = b.op('Dropout', [h, ratio, training], { seed: 7 });
  }
  b.op('Add', [b.op('MatMul', [h, w2]), b2], {}, { outputs: ['logits'] });
  b.op('SoftmaxCrossEntropyLoss', ['logits', labels], { reduction: 'mean' }, { outputs: ['loss'] });
  b.output('loss', 'float32', []);
  b.output('logits', 'float32', ['batch', classes]);
  return b.graph;
}

/** `n` points in `classes` Gaussian-ish clusters (sums of uniforms) around distinct centres. */
export function makeClusters(
  n: number,
  options: { inputs?: number; classes?: number; seed?: number } = {},
): { x: TensorData; labels: TensorData } {
  const { inputs = 4, classes = 3, seed = 2 } = options;
  const rng = createRng(seed);
  const centres = Array.from({ length: classes }, () =>
    Array.from({ length: inputs }, () => rng.next() * 4 - 2),
  );
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    for (let j = 0; j < inputs; j++) {
      const noise = (rng.next() + rng.next() + rng.next() - 1.5) * 0.5;
      xs.push((centres[c]?.[j] ?? 0) + noise);
    }
    ys.push(c);
  }
  return { x: tensor('float32', [n, inputs], xs), labels: tensor('int64', [n], ys) };
}

/** Rows [start, end) of a batch (every tensor split along axis 0). */
export function sliceBatch(
  batch: Record<string, TensorData>,
  start: number,
  end: number,
): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const [name, t] of Object.entries(batch)) {
    const row = t.dims.slice(1).reduce((a, d) => a * d, 1);
    out[name] = {
      dtype: t.dtype,
      dims: [end - start, ...t.dims.slice(1)],
      data: t.data.slice(start * row, end * row) as TensorData['data'],
    };
  }
  return out;
}
