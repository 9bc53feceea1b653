// Shared pieces of the model builders: the built-model record, seeded parameter initialisation in
// Hugging Face's `_init_weights` style, and the layers (linear, LayerNorm, GELU, dropout switch).
import { createRng, type Rng } from '@ft/data';
import { TrainerError } from '../errors.js';
import { float, type GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { DROPOUT_SEED_INPUT } from '../step/graph-utils.js';
import { statelessDropout } from './dropout.js';

/** Float types the models are built in (float64 for finite-difference checks). */
export type ModelDType = 'float32' | 'float64';

/** A built forward graph and what a trainer needs to know about it. */
export interface ModelGraph {
  graph: Graph;
  /** Trainable parameters (initializers of `graph`), in Hugging Face state-dict order. */
  parameters: string[];
  /** Graph input names, in declaration order. */
  inputs: string[];
  /** Graph output names. */
  outputs: string[];
  /**
   * The int64 scalar input that seeds every dropout mask (feed a hash of run seed and step);
   * present only in training graphs with a non-zero dropout probability.
   */
  dropoutSeed?: string;
}

/** Options every model builder accepts. */
export interface ModelBuildOptions {
  /** Build the training variant: dropout active, driven by the `dropout_seed` input. @default false */
  training?: boolean;
  /** Float type of parameters and activations. @default 'float32' */
  dtype?: ModelDType;
  /** Seed of the parameter initialisation (createRng). @default 0 */
  seed?: number;
}

/** Name of the dropout seed input in training graphs (the training step feeds it). */
export { DROPOUT_SEED_INPUT };

/** The most negative finite value of a float type (PyTorch's `torch.finfo(dtype).min`). */
export function finfoMin(dtype: ModelDType): number {
  return dtype === 'float32' ? -3.4028234663852886e38 : -Number.MAX_VALUE;
}

/** How one parameter is initialised. */
export type Init = { normal: number } | { uniform: number } | 'zeros' | 'ones';

/** Draws N(0, 1) samples from a seeded Rng (Box–Muller; `1 − u` keeps the log finite). */
function gaussian(rng: Rng): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = 1 - rng.next();
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Registers parameters as initializers in declaration order, drawing values from one seeded Rng. */
export interface ParameterStore {
  add(name: string, dims: number[], init: Init): string;
  readonly names: string[];
}

export function createParameterStore(
  b: GraphBuilder,
  dtype: ModelDType,
  seed: number,
): ParameterStore {
  const rng = createRng(seed);
  const normal = gaussian(rng);
  const names: string[] = [];
  return {
    names,
    add(name, dims, init) {
      let n = 1;
      for (const d of dims) n *= d;
      const values = new Float64Array(n);
      if (init === 'ones') values.fill(1);
      else if (init !== 'zeros') {
        if ('normal' in init) for (let i = 0; i < n; i++) values[i] = normal() * init.normal;
        else for (let i = 0; i < n; i++) values[i] = (2 * rng.next() - 1) * init.uniform;
      }
      b.initializer(name, tensor(dtype, dims, values));
      names.push(name);
      return name;
    },
  };
}

/** y = x·Wᵀ + b on 2-D x with W in PyTorch's [out, in] layout (one Gemm, no weight copy). */
export function linear(b: GraphBuilder, x: string, weight: string, bias?: string): string {
  return b.op('Gemm', bias ? [x, weight, bias] : [x, weight], { transB: 1 });
}

/** y = x·W + b on 2-D x with W in GPT-2's Conv1D [in, out] layout. */
export function conv1d(b: GraphBuilder, x: string, weight: string, bias: string): string {
  return b.op('Gemm', [x, weight, bias]);
}

/**
 * A dense layer with parameters `<prefix>.weight` and `<prefix>.bias` (HF init: normal(0, std) /
 * zeros): PyTorch's Linear ([out, in] weight) or, with `layout: 'conv1d'`, GPT-2's Conv1D ([in, out]).
 */
export function denseLayer(
  b: GraphBuilder,
  p: ParameterStore,
  prefix: string,
  x: string,
  sizes: { in: number; out: number; std: number; layout?: 'linear' | 'conv1d' },
): string {
  const { in: inSize, out: outSize, std, layout = 'linear' } = sizes;
  const dims = layout === 'linear' ? [outSize, inSize] : [inSize, outSize];
  const w = p.add(`${prefix}.weight`, dims, { normal: std });
  const bias = p.add(`${prefix}.bias`, [outSize], 'zeros');
  return layout === 'linear' ? linear(b, x, w, bias) : conv1d(b, x, w, bias);
}

/**
 * Multi-head scaled dot-product attention of q, k, v [batch·seq, hidden]: heads split by
 * `headShape` ([batch, seq, heads, headSize] as an int64 shape value), additive `bias`
 * broadcast onto the scores [batch, heads, seq, seq], dropout on the probabilities. With
 * `cache`, the past keys and values [batch, heads, past, headSize] go before the new ones and
 * the concatenations are named as the cache's present outputs. Returns the context
 * [batch·seq, hidden], before the output projection.
 */
export function multiHeadAttention(
  b: GraphBuilder,
  drop: DropoutSwitch,
  qkv: { q: string; k: string; v: string },
  options: {
    headShape: string;
    /** Shape of q's heads when it has other rows than k and v (e.g. one query per sequence). @default headShape */
    queryHeadShape?: string;
    bias: string;
    hidden: number;
    headSize: number;
    dropout: number;
    dtype: ModelDType;
    cache?: { pastKey: string; pastValue: string; presentKey: string; presentValue: string };
  },
): string {
  const {
    headShape,
    queryHeadShape = headShape,
    bias,
    hidden,
    headSize,
    dropout,
    dtype,
    cache,
  } = options;
  const heads = (x: string, shape = headShape) =>
    b.op('Transpose', [b.op('Reshape', [x, shape])], { perm: [0, 2, 1, 3] });
  // Scaling q (N·hidden elements) instead of the scores (N·heads·seq) is the same product, cheaper.
  const qScaled = b.op('Mul', [qkv.q, b.scalar(dtype, 1 / Math.sqrt(headSize))]);
  const qh = heads(qScaled, queryHeadShape); // [B, heads, Tq, d]
  let kh: string; // [B, heads, T, d]
  let vh: string; // [B, heads, T, d]
  if (cache) {
    const concat = (past: string, x: string, present: string) =>
      b.op('Concat', [past, heads(x)], { axis: 2 }, { outputs: [present] });
    kh = concat(cache.pastKey, qkv.k, cache.presentKey);
    vh = concat(cache.pastValue, qkv.v, cache.presentValue);
  } else {
    kh = heads(qkv.k);
    vh = heads(qkv.v);
  }
  // The two products run on 3-D views [B·heads, rows, d]. With 4-D operands ONNX Runtime merges
  // the head split [0, 2, 1, 3] with a product's own last-two-axes Transpose (kᵀ here, qᵀ and vᵀ
  // in the backward pass) into one Transpose that moves the innermost axis, about twice the cost
  // of one that moves whole 64-float rows. Behind a Reshape they stay apart, and its
  // MatMulTransposeFusion folds the last-two-axes ones into the products (transA/transB); with
  // runtime/lower-transposed-matmul.ts no such Transpose is left (kernel profile, BERT-mini:
  // Transposes 29.5 → 15.4 ms per step, the products 2.7 ms dearer; GPT-mini: even).
  // Their shapes come from the head shapes [B, T, heads, d], which every layer shares, so ONNX
  // Runtime computes them once (common subexpressions); with a cache, keys and values have the
  // past rows too.
  const part = (shape: string, start: number, end: number) =>
    b.op('Slice', [shape, b.int64s([start]), b.int64s([end])]);
  const batch = part(queryHeadShape, 0, 1);
  const queryRows = part(queryHeadShape, 1, 2);
  const keyRows = cache ? part(b.op('Shape', [kh]), 2, 3) : part(headShape, 1, 2);
  const shape = (dims: string[]) => b.op('Concat', dims, { axis: 0 });
  const all = b.int64s([-1]);
  const d = b.int64s([headSize]);
  const keys3d = shape([all, keyRows, d]);
  const scores3d = b.op('MatMul', [
    b.op('Reshape', [qh, shape([all, queryRows, d])]),
    b.op('Transpose', [b.op('Reshape', [kh, keys3d])], { perm: [0, 2, 1] }),
  ]);
  const heads4d = b.int64s([hidden / headSize]);
  const scores = b.op('Add', [
    b.op('Reshape', [scores3d, shape([batch, heads4d, queryRows, keyRows])]),
    bias,
  ]);
  const probs = drop.apply(b.op('Softmax', [scores], { axis: -1 }), dropout);
  const context3d = b.op('MatMul', [
    b.op('Reshape', [probs, shape([all, queryRows, keyRows])]),
    b.op('Reshape', [vh, keys3d]),
  ]);
  const context4d = b.op('Reshape', [context3d, shape([batch, heads4d, queryRows, d])]);
  const context = b.op('Transpose', [context4d], { perm: [0, 2, 1, 3] });
  return b.op('Reshape', [context, b.int64s([-1, hidden])]);
}

export function layerNorm(
  b: GraphBuilder,
  x: string,
  weight: string,
  bias: string,
  eps: number,
): string {
  return b.op('LayerNormalization', [x, weight, bias], { axis: -1, epsilon: float(eps) });
}

/** Activation names as Hugging Face configs spell them (`hidden_act`, `activation_function`). */
export type Activation = 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu' | 'tanh';

/** Default-domain opset of the graphs the model builders emit: 20 is the first with `Gelu`. */
export const MODEL_OPSET = 20;

/**
 * Activations. `gelu` is exact, 0.5·x·(1 + erf(x/√2)); `gelu_new`/`gelu_pytorch_tanh` are the tanh
 * form 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))). From opset 20 both are one `Gelu` node: five to
 * eight elementwise passes become one, and the backward pass keeps only x alive instead of every
 * intermediate of the decomposed formula (BERT-mini: ~190 MB less per step, bench/). Older opsets
 * (graphs built on an imported model's opset) and float64 models get the decomposed formula:
 * ONNX Runtime's double tanh-Gelu kernel is ~1e-8 off (a float-grade tanh), while float64 models
 * exist to check numerics to 1e-10.
 */
export function activation(
  b: GraphBuilder,
  x: string,
  kind: Activation,
  dtype: ModelDType,
): string {
  const fused = b.graph.opset >= 20 && dtype !== 'float64';
  switch (kind) {
    case 'relu':
      return b.op('Relu', [x]);
    case 'tanh':
      return b.op('Tanh', [x]);
    case 'gelu': {
      if (fused) return b.op('Gelu', [x]);
      const erf = b.op('Erf', [b.op('Mul', [x, b.scalar(dtype, Math.SQRT1_2)])]);
      const half = b.op('Mul', [x, b.scalar(dtype, 0.5)]);
      return b.op('Mul', [half, b.op('Add', [erf, b.scalar(dtype, 1)])]);
    }
    case 'gelu_new':
    case 'gelu_pytorch_tanh': {
      if (fused) return b.op('Gelu', [x], { approximate: 'tanh' });
      const cube = b.op('Mul', [b.op('Mul', [x, x]), x]);
      const inner = b.op('Add', [x, b.op('Mul', [cube, b.scalar(dtype, 0.044715)])]);
      const t = b.op('Tanh', [b.op('Mul', [inner, b.scalar(dtype, Math.sqrt(2 / Math.PI))])]);
      const half = b.op('Mul', [x, b.scalar(dtype, 0.5)]);
      return b.op('Mul', [half, b.op('Add', [t, b.scalar(dtype, 1)])]);
    }
    default:
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `activation ${JSON.stringify(kind)} is not supported (supported: gelu, gelu_new, gelu_pytorch_tanh, relu, tanh)`,
      );
  }
}

/** Dropout that exists only in training graphs; creates the seed input on first use. */
export interface DropoutSwitch {
  apply(x: string, ratio: number): string;
  /** The seed input's name once a dropout was emitted. */
  readonly seed: string | undefined;
}

export function createDropoutSwitch(
  b: GraphBuilder,
  training: boolean,
  dtype: ModelDType,
): DropoutSwitch {
  let seed: string | undefined;
  return {
    get seed() {
      return seed;
    },
    apply(x, ratio) {
      checkProbability('dropout', ratio);
      if (!training || ratio === 0) return x;
      seed ??= b.input(DROPOUT_SEED_INPUT, 'int64', []);
      return statelessDropout(b, x, ratio, seed, { dtype });
    },
  };
}

export function checkProbability(field: string, p: number): void {
  if (!(p >= 0 && p < 1)) {
    throw new TrainerError('INVALID_ARGUMENT', `${field} must be in [0, 1), got ${p}`);
  }
}

export function checkPositiveInt(field: string, value: number): void {
  if (!(Number.isInteger(value) && value > 0)) {
    throw new TrainerError('INVALID_ARGUMENT', `${field} must be a positive integer, got ${value}`);
  }
}

/** Replaces parameter values (e.g. loaded weights), checking dtype and dims. */
export function setParameters(model: ModelGraph, values: Record<string, TensorData>): void {
  for (const [name, value] of Object.entries(values)) {
    const current = model.graph.initializers.get(name);
    if (current === undefined || !model.parameters.includes(name)) {
      throw new TrainerError('INVALID_ARGUMENT', `"${name}" is not a parameter of the model`);
    }
    if (current.dtype !== value.dtype || current.dims.join(',') !== value.dims.join(',')) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `parameter "${name}" is ${current.dtype} [${current.dims.join(', ')}], got ${value.dtype} [${value.dims.join(', ')}]`,
      );
    }
    model.graph.initializers.set(name, value);
  }
}

/** LayerNorm with parameters `<prefix>.weight` (ones) and `<prefix>.bias` (zeros), as HF names them. */
export function layerNormLayer(
  b: GraphBuilder,
  p: ParameterStore,
  prefix: string,
  x: string,
  size: number,
  eps: number,
): string {
  const w = p.add(`${prefix}.weight`, [size], 'ones');
  const bias = p.add(`${prefix}.bias`, [size], 'zeros');
  return layerNorm(b, x, w, bias, eps);
}
