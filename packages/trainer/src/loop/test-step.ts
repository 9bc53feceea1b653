// TEST-ONLY TrainingStep: linear regression y = x·w + b with an MSE loss and SGD with momentum,
// gradients computed exactly in Float64Arrays, so the loop can be tested without ONNX Runtime.
import { createRng } from '@ft/data';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import type { Batch, BatchSource, OptimizerState, ProgressStream, TrainingStep } from './types.js';

export interface LinearStepOptions {
  /** Input features. */
  features: number;
  /** torch.optim.SGD momentum (buffer = μ·buffer + g, first step buffer = g). @default 0.9 */
  momentum?: number;
  /** Micro-batches whose gradients are averaged per update. @default 1 */
  accumulation?: number;
}

const f64 = (t: TensorData): Float64Array => t.data as Float64Array;

/** Batches are `{ x: [B, features], y: [B] }` float64 tensors. */
export function createLinearStep(options: LinearStepOptions): TrainingStep {
  const { features, momentum = 0.9, accumulation = 1 } = options;
  const w = new Float64Array(features);
  const b = new Float64Array(1);
  const bufW = new Float64Array(features);
  const bufB = new Float64Array(1);
  let hasBuffer = false;
  let updates = 0;
  const accW = new Float64Array(features);
  const accB = new Float64Array(1);
  let accumulated = 0;

  const forward = (batch: Batch): { loss: number; residual: Float64Array; pred: Float64Array } => {
    const x = f64(batch.x!);
    const y = f64(batch.y!);
    const n = y.length;
    const pred = new Float64Array(n);
    const residual = new Float64Array(n);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      let p = b[0]!;
      for (let j = 0; j < features; j++) p += x[i * features + j]! * w[j]!;
      pred[i] = p;
      residual[i] = p - y[i]!;
      loss += residual[i]! * residual[i]!;
    }
    return { loss: loss / n, residual, pred };
  };

  return {
    async run(batch, lr) {
      const { loss, residual, pred } = forward(batch);
      const x = f64(batch.x!);
      const n = residual.length;
      // d mean(r²)/dw_j = 2/n Σ r_i x_ij ; d/db = 2/n Σ r_i
      for (let i = 0; i < n; i++) {
        const g = (2 / n) * residual[i]!;
        for (let j = 0; j < features; j++) accW[j]! += (g * x[i * features + j]!) / accumulation;
        accB[0]! += g / accumulation;
      }
      accumulated += 1;
      if (accumulated < accumulation) {
        return { loss, updated: false, outputs: { pred: tensor('float64', [n], pred) } };
      }
      let norm = accB[0]! * accB[0]!;
      for (let j = 0; j < features; j++) norm += accW[j]! * accW[j]!;
      for (let j = 0; j < features; j++) {
        bufW[j] = hasBuffer ? momentum * bufW[j]! + accW[j]! : accW[j]!;
        w[j]! -= lr * bufW[j]!;
      }
      bufB[0] = hasBuffer ? momentum * bufB[0]! + accB[0]! : accB[0]!;
      b[0]! -= lr * bufB[0]!;
      hasBuffer = true;
      updates += 1;
      accW.fill(0);
      accB.fill(0);
      accumulated = 0;
      return {
        loss,
        gradNorm: Math.sqrt(norm),
        updated: true,
        outputs: { pred: tensor('float64', [n], pred) },
      };
    },
    async evaluate(batch) {
      const { loss, pred } = forward(batch);
      return { loss, outputs: { pred: tensor('float64', [pred.length], pred) } };
    },
    getParameters: () =>
      new Map([
        ['linear.weight', tensor('float64', [features], w)],
        ['linear.bias', tensor('float64', [1], b)],
      ]),
    setParameters(values) {
      w.set(f64(values.get('linear.weight')!));
      b.set(f64(values.get('linear.bias')!));
    },
    getOptimizerState(): OptimizerState {
      const tensors = new Map<string, TensorData>();
      if (hasBuffer) {
        tensors.set('momentum_buffer.linear.weight', tensor('float64', [features], bufW));
        tensors.set('momentum_buffer.linear.bias', tensor('float64', [1], bufB));
      }
      return { tensors, step: updates };
    },
    setOptimizerState(state) {
      const bw = state.tensors.get('momentum_buffer.linear.weight');
      const bb = state.tensors.get('momentum_buffer.linear.bias');
      hasBuffer = bw !== undefined && bb !== undefined;
      bufW.set(bw ? f64(bw) : new Float64Array(features));
      bufB.set(bb ? f64(bb) : new Float64Array(1));
      updates = state.step;
      // As the compiled step: restoring optimizer state starts a fresh accumulation cycle.
      accW.fill(0);
      accB.fill(0);
      accumulated = 0;
    },
    get optimizerSteps() {
      return updates;
    },
    trainableParameters: ['linear.weight', 'linear.bias'],
    async release() {},
  };
}

export interface LinearDataOptions {
  size: number;
  features: number;
  /** True weights and bias of the generating model. */
  weights: number[];
  bias: number;
  /** Gaussian-ish label noise amplitude (uniform in ±noise). @default 0 */
  noise?: number;
  seed?: string;
  /** Every `batch(indices)` call is recorded here. */
  calls?: number[][];
  /** Sample indices whose first feature is NaN. */
  nanSamples?: number[];
}

/** A seeded linear dataset as a BatchSource of `{ x, y }` float64 tensors. */
export function createLinearData(options: LinearDataOptions): BatchSource {
  const {
    size,
    features,
    weights,
    bias,
    noise = 0,
    seed = 'linear',
    calls,
    nanSamples = [],
  } = options;
  const rng = createRng(seed);
  const x = new Float64Array(size * features);
  const y = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let target = bias;
    for (let j = 0; j < features; j++) {
      const v = rng.next() * 2 - 1;
      x[i * features + j] = v;
      target += v * weights[j]!;
    }
    y[i] = target + (rng.next() * 2 - 1) * noise;
  }
  for (const i of nanSamples) x[i * features] = Number.NaN;
  return {
    size,
    batch(indices) {
      calls?.push([...indices]);
      const bx = new Float64Array(indices.length * features);
      const by = new Float64Array(indices.length);
      indices.forEach((index, row) => {
        bx.set(x.subarray(index * features, (index + 1) * features), row * features);
        by[row] = y[index]!;
      });
      return {
        x: tensor('float64', [indices.length, features], bx),
        y: tensor('float64', [indices.length], by),
      };
    },
  };
}

// Shared fixtures of the loop tests: the linear-regression task and byte-level comparisons.
export const FEATURES = 3;
export const TRUE_WEIGHTS = [1.5, -2, 0.5];
export const TRUE_BIAS = 0.3;

export function linearTask(
  options: {
    size?: number;
    evalSize?: number;
    calls?: number[][];
    nanSamples?: number[];
    step?: Partial<LinearStepOptions>;
  } = {},
): { step: TrainingStep; train: BatchSource; eval: BatchSource } {
  return {
    step: createLinearStep({ features: FEATURES, ...options.step }),
    train: createLinearData({
      size: options.size ?? 40,
      features: FEATURES,
      weights: TRUE_WEIGHTS,
      bias: TRUE_BIAS,
      noise: 0.05,
      seed: 'train',
      ...(options.calls ? { calls: options.calls } : {}),
      ...(options.nanSamples ? { nanSamples: options.nanSamples } : {}),
    }),
    eval: createLinearData({
      size: options.evalSize ?? 10,
      features: FEATURES,
      weights: TRUE_WEIGHTS,
      bias: TRUE_BIAS,
      noise: 0.05,
      seed: 'eval',
    }),
  };
}

/** Hex of a tensor's bytes: equal strings mean bit-identical values. */
export function hexOf(t: TensorData | undefined): string {
  if (t === undefined) return 'missing';
  return Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex');
}

export function hexMap(tensors: Map<string, TensorData>): Record<string, string> {
  return Object.fromEntries([...tensors].map(([name, t]) => [name, hexOf(t)]));
}

/** A progress stream that records what is written. */
export function recordingStream(isTTY: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return {
    isTTY,
    write(chunk: string) {
      chunks.push(chunk);
      return true;
    },
    text: () => chunks.join(''),
  };
}

/**
 * The run the SIGKILL resume test makes twice (in a child that is killed, and uninterrupted):
 * momentum, a warmup + linear-decay schedule, evaluation, early-stopping counters, a log window
 * that straddles checkpoints — every piece of state a resume must restore.
 */
export function resumableRunOptions(outputDir: string) {
  return {
    batchSize: 4,
    epochs: 8, // 10 batches per epoch: 80 optimizer steps
    seed: 'resume',
    lr: { name: 'linear' as const, baseLr: 0.05, warmupSteps: 6 },
    evalSteps: 7,
    earlyStopping: { patience: 100 },
    logEvery: 3,
    outputDir,
    saveSteps: 4,
    saveTotalLimit: 3,
    progress: false as const,
  };
}
