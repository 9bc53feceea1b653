// Test-only helpers for the model builders: the deterministic weight formula shared with
// fixtures/reference.py, and running a built model in ONNX Runtime.
import { readFileSync } from 'node:fs';
import { buildGradients } from '../autodiff/engine.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import type { ModelDType, ModelGraph } from './utils.js';
import { setParameters } from './utils.js';

/** A per-name seed both sides compute: Σ code(c_j)·(j+1) mod 997. */
export function nameSeed(name: string): number {
  let s = 0;
  for (let j = 0; j < name.length; j++) s += name.charCodeAt(j) * (j + 1);
  return s % 997;
}

/**
 * The reference weights: element i of parameter `name` is w(i) = a + c·sin(0.37·i + 0.0123·i² + 0.61·seed),
 * with (a, c) = (1, 0.1) for LayerNorm weights, (0, 0.05) for biases and (0, 0.2) otherwise.
 * The i² term matters: sin(α·i + β) over a row-major matrix is rank 2, which collapses hidden
 * states and makes LayerNorm amplify rounding by ~1000×.
 */
export function referenceWeight(name: string, dims: number[], dtype: ModelDType): TensorData {
  let n = 1;
  for (const d of dims) n *= d;
  const s = nameSeed(name);
  const isNorm = name.includes('LayerNorm.') || name.includes('.ln_');
  const [a, c] =
    isNorm && name.endsWith('.weight') ? [1, 0.1] : name.endsWith('.bias') ? [0, 0.05] : [0, 0.2];
  const values = Array.from(
    { length: n },
    (_, i) => a + c * Math.sin(0.37 * i + 0.0123 * i * i + 0.61 * s),
  );
  return tensor(dtype, dims, values);
}

/** Replaces every parameter of `model` with its reference weight. */
export function loadReferenceWeights(model: ModelGraph): void {
  const values: Record<string, TensorData> = {};
  for (const name of model.parameters) {
    const t = model.graph.initializers.get(name) as TensorData;
    values[name] = referenceWeight(name, t.dims, t.dtype as ModelDType);
  }
  setParameters(model, values);
}

export interface ReferenceCase {
  params?: Array<[string, number[]]>;
  logits: number[];
  last_hidden_state?: number[];
  logits_position_ids?: number[];
}

/** The PyTorch reference values computed by fixtures/reference.py. */
export function readReference(): Record<string, ReferenceCase> {
  const url = new URL('./fixtures/reference.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Record<string, ReferenceCase>;
}

/** An int64 [rows, cols] tensor from nested arrays. */
export function int64Matrix(rows: number[][]): TensorData {
  return tensor('int64', [rows.length, rows[0]?.length ?? 0], rows.flat());
}

/** Runs a model once in ONNX Runtime (one thread, so results are reproducible). */
export async function runModel(
  model: ModelGraph,
  feeds: Record<string, TensorData>,
): Promise<Record<string, TensorData>> {
  const session = await createSession(model.graph, { threads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

/** A tensor's elements as plain numbers (any dtype; int64 via Number). */
export function numbers(t: TensorData | undefined): number[] {
  return t === undefined ? [] : Array.from(t.data as ArrayLike<number | bigint>, Number);
}

/**
 * Largest |a − b| over two equally long sequences (Infinity when lengths differ, NaN as soon as
 * one difference is NaN, so a NaN anywhere fails every `< tolerance` check).
 */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(Number(a[i]) - Number(b[i]));
    if (Number.isNaN(d)) return Number.NaN;
    if (d > m) m = d;
  }
  return m;
}

export interface SpotCheckOptions {
  /** A float64 model. */
  model: ModelGraph;
  feeds: Record<string, TensorData>;
  /** Emits the scalar loss over the model's outputs into the same graph; returns its name. */
  loss: (b: GraphBuilder) => string;
  /** Parameters to check and the flat element indices of each ('all' = every element). */
  elements: Record<string, number[] | 'all'>;
  /** Central-difference step. @default 1e-6 */
  eps?: number;
}

export interface SpotCheckResult {
  /** Per checked element: parameter, index, analytic and finite-difference gradient. */
  checks: Array<{ param: string; index: number; analytic: number; numeric: number }>;
  maxAbsError: number;
}

/**
 * Compares buildGradients' dLoss/dParam with central differences, both run by ORT. The checked
 * parameters are turned from initializers into graph inputs (in place) so perturbed values can
 * be fed to one session.
 */
export async function spotCheckGradients(options: SpotCheckOptions): Promise<SpotCheckResult> {
  const { model, feeds, elements, eps = 1e-6 } = options;
  const graph = model.graph;
  const params = Object.keys(elements);
  const values: Record<string, TensorData> = {};
  for (const p of params) {
    const t = graph.initializers.get(p);
    if (t === undefined || t.dtype !== 'float64') {
      throw new Error(`spotCheckGradients: "${p}" is not a float64 parameter`);
    }
    values[p] = t;
    graph.initializers.delete(p);
    graph.inputs.push({ name: p, dtype: 'float64', shape: [...t.dims] });
  }
  const b = createGraphBuilder({ graph });
  const loss = options.loss(b);
  b.output(loss, 'float64', []);
  const { grads } = buildGradients(graph, { loss, wrt: params });
  for (const p of params) b.output(grads.get(p) as string, 'float64', values[p]?.dims);
  const session = await createSession(graph, { threads: 1 });
  const allFeeds = { ...feeds, ...values };
  const analytic = await session.run(allFeeds);
  const checks: SpotCheckResult['checks'] = [];
  let maxAbsError = 0;
  try {
    for (const p of params) {
      const base = values[p] as TensorData;
      const g = analytic[grads.get(p) as string]?.data as Float64Array;
      const wanted = elements[p];
      const indices =
        wanted === 'all' ? Array.from({ length: base.data.length }, (_, i) => i) : (wanted ?? []);
      for (const index of indices) {
        const shifted = (delta: number): TensorData => {
          const data = Float64Array.from(base.data as Float64Array);
          data[index] = (data[index] as number) + delta;
          return { ...base, data };
        };
        const plus = await session.run({ ...allFeeds, [p]: shifted(eps) }, [loss]);
        const minus = await session.run({ ...allFeeds, [p]: shifted(-eps) }, [loss]);
        const numeric = (Number(plus[loss]?.data[0]) - Number(minus[loss]?.data[0])) / (2 * eps);
        const a = g[index] as number;
        checks.push({ param: p, index, analytic: a, numeric });
        const err = Math.abs(a - numeric);
        if (!(err <= maxAbsError)) maxAbsError = err;
      }
    }
  } finally {
    await session.release();
  }
  return { checks, maxAbsError };
}
