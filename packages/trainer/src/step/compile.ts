// The training-step compiler: turns a forward graph into plain ONNX inference graphs that take
// parameters, optimizer state, lr and step as inputs and return their updated values.
import { buildGradients } from '../autodiff/engine.js';
import { TrainerError } from '../errors.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import { indexGraph } from '../ir/graph-index.js';
import { ONNX_DTYPE_CODE } from '../ir/tensor.js';
import type { DType, Graph, ValueInfo } from '../ir/types.js';
import { buildGradAccumulate } from '../optim/accumulate.js';
import { buildAdamWUpdate } from '../optim/adamw.js';
import {
  buildGlobalNorm,
  buildGlobalNormClip,
  buildGlobalNormClipCoefficient,
} from '../optim/clip.js';
import { defaultNoDecay } from '../optim/no-decay.js';
import { packSmallTensors } from '../optim/pack.js';
import { buildSgdUpdate } from '../optim/sgd.js';
import { inferShapes } from '../shape/infer.js';
import { cloneGraph, DROPOUT_SEED_INPUT } from './graph-utils.js';
import type { OptimizerOptions, ParamSelector } from './types.js';

/** Graph input holding the learning rate (float32 scalar). */
export const LR_INPUT = 'lr';
/** Graph input holding the 1-based optimizer step (int64 scalar), for bias correction. */
export const STEP_INPUT = 'step';
/** Graph output holding the global gradient norm before clipping. */
export const GRAD_NORM_OUTPUT = 'grad_norm';
/** Graph input holding the loss scale (a scalar of the parameters' dtype), with `lossScaling`. */
export const LOSS_SCALE_INPUT = 'loss_scale';

/** Name of the value holding the next step's version of an input (`w` → `w.next`). */
export function nextName(name: string): string {
  return `${name}.next`;
}
/** Name of a parameter's gradient accumulator. */
export function accumulatorName(param: string): string {
  return `${param}.grad_acc`;
}

/** Optimizer state tensors per parameter, named as PyTorch's optimizer state_dict keys. */
export function optimizerStateNames(optimizer: OptimizerOptions, param: string): string[] {
  if (optimizer.type === 'adamw') return [`${param}.exp_avg`, `${param}.exp_avg_sq`];
  return (optimizer.momentum ?? 0) > 0 ? [`${param}.momentum_buffer`] : [];
}

export interface CompileOptions {
  graph: Graph;
  loss: string;
  params?: ParamSelector;
  frozen?: ParamSelector;
  optimizer: OptimizerOptions;
  maxGradNorm?: number;
  gradientAccumulationSteps?: number;
  outputs?: readonly string[];
  /**
   * Mixed precision: differentiate `loss × loss_scale` (input LOSS_SCALE_INPUT) and divide the
   * gradients by the scale before clipping and the update, so small float16 gradients do not
   * flush to zero. The caller checks the gradient norm for overflow. @default false
   */
  lossScaling?: boolean;
}

/** One trainable parameter: fed as a graph input of this dtype and shape. */
export interface ParamInfo {
  name: string;
  dtype: DType;
  dims: number[];
}

export interface CompiledStep {
  params: ParamInfo[];
  /** Optimizer state input names per parameter (same dtype and dims as the parameter). */
  state: Map<string, string[]>;
  /** Batch inputs of the forward graph (everything the caller feeds), without dropout_seed. */
  dataInputs: ValueInfo[];
  /** Whether the graphs declare the `dropout_seed` input (the step then feeds it). */
  usesDropoutSeed: boolean;
  lossInfo: ValueInfo;
  /** Extra outputs fetched each micro-batch. */
  outputs: string[];
  /** With no accumulation: forward, backward and update in one graph. */
  fused?: Graph;
  /** With accumulation: forward + backward adding into the accumulators … */
  grad?: Graph;
  /** … and the update from the averaged accumulators. */
  update?: Graph;
}

function selector(sel: ParamSelector | undefined, fallback: boolean): (name: string) => boolean {
  if (sel === undefined) return () => fallback;
  if (sel instanceof RegExp) return (name) => sel.test(name);
  if (typeof sel === 'function') return sel;
  const set = new Set(sel);
  return (name) => set.has(name);
}

/** Trainable float32/float64 initializers, in initializer order. */
export function selectTrainable(
  graph: Graph,
  params: ParamSelector | undefined,
  frozen: ParamSelector | undefined,
): string[] {
  for (const list of [params, frozen]) {
    if (Array.isArray(list)) {
      for (const name of list as string[]) {
        if (!graph.initializers.has(name)) {
          throw new TrainerError(
            'INVALID_ARGUMENT',
            `parameter "${name}" is not an initializer of graph "${graph.name}"`,
          );
        }
      }
    }
  }
  const isParam = selector(params, true);
  const isFrozen = selector(frozen, false);
  const chosen: string[] = [];
  for (const [name, t] of graph.initializers) {
    if (!isParam(name) || isFrozen(name)) continue;
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      if (Array.isArray(params)) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `parameter "${name}" is ${t.dtype}; only float32 and float64 parameters can be trained`,
        );
      }
      continue;
    }
    chosen.push(name);
  }
  if (chosen.length === 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `no trainable parameters: graph "${graph.name}" has no float32/float64 initializer selected by \`params\` and not \`frozen\``,
    );
  }
  return chosen;
}

/** The forward graph with trainable initializers turned into inputs, plus its gradients. */
function forwardBackward(options: CompileOptions, trainable: string[]) {
  const g = cloneGraph(options.graph);
  const params: ParamInfo[] = trainable.map((name) => {
    const t = g.initializers.get(name);
    if (t === undefined) throw new Error(`unreachable: ${name}`);
    g.initializers.delete(name);
    return { name, dtype: t.dtype, dims: [...t.dims] };
  });
  g.inputs.push(...params.map((p) => ({ name: p.name, dtype: p.dtype, shape: [...p.dims] })));
  const shapes = inferShapes(g, { store: false });
  const lossInfo = shapes.get(options.loss);
  if (lossInfo === undefined) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `the loss "${options.loss}" is not a value of graph "${g.name}"`,
    );
  }
  const outputs = [...new Set(options.outputs ?? [])].filter((o) => o !== options.loss);
  const outputInfos = outputs.map((name) => {
    const info = shapes.get(name);
    if (info === undefined) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `output "${name}" is not a value of graph "${g.name}"`,
      );
    }
    return { ...info, name };
  });
  const dataInputs = options.graph.inputs.filter((v) => v.name !== DROPOUT_SEED_INPUT);
  // Fed whenever declared: ONNX Runtime requires every declared input, used or not.
  const usesDropoutSeed = g.inputs.some((v) => v.name === DROPOUT_SEED_INPUT);
  let differentiated = options.loss;
  if (options.lossScaling) {
    const b = createGraphBuilder({ graph: g });
    const dtype = params[0]?.dtype ?? 'float32';
    let scale = b.input(LOSS_SCALE_INPUT, dtype, []);
    if (lossInfo.dtype !== dtype) {
      scale = b.op('Cast', [scale], { to: ONNX_DTYPE_CODE[lossInfo.dtype] });
    }
    differentiated = b.op('Mul', [options.loss, scale]);
    // The scaled loss is a scalar like the loss: extend the shapes instead of inferring again.
    shapes.set(scale, { ...lossInfo, name: scale });
    shapes.set(differentiated, { ...lossInfo, name: differentiated });
  }
  const { grads } = buildGradients(g, { loss: differentiated, wrt: trainable, shapes });
  g.outputs = [{ ...lossInfo, name: options.loss }, ...outputInfos];
  return {
    g,
    params,
    grads: trainable.map((p) => grads.get(p) as string),
    lossInfo,
    outputs,
    dataInputs,
    usesDropoutSeed,
  };
}

/**
 * Makes each `[value, name]` pair's value available as graph output `name` (declared with the
 * given dtype and dims). Where a node of this graph produces the value, the value itself is
 * renamed (producer output and every consumer input), so ONNX Runtime writes the result straight
 * into the caller's pre-allocated output; an Identity would add a full copy of every parameter
 * and optimizer-state tensor per step (~2% of a BERT-mini step on 2 threads, see bench/).
 * Values that are graph inputs, initializers or outputs already, or that appear twice, get an
 * Identity as before.
 */
function exposeAs(
  b: GraphBuilder,
  pairs: ReadonlyArray<readonly [value: string, name: string, info: ParamInfo]>,
): void {
  const g = b.graph;
  const { producer, consumers } = indexGraph(g);
  const fixed = new Set([
    ...g.inputs.map((v) => v.name),
    ...g.outputs.map((v) => v.name),
    ...g.initializers.keys(),
  ]);
  const seen = new Map<string, number>();
  for (const [value] of pairs) seen.set(value, (seen.get(value) ?? 0) + 1);
  for (const [value, name, info] of pairs) {
    const node = producer.get(value);
    if (node === undefined || fixed.has(value) || seen.get(value) !== 1) {
      b.op('Identity', [value], {}, { outputs: [name] });
    } else {
      node.outputs = node.outputs.map((o) => (o === value ? name : o));
      for (const c of consumers.get(value) ?? []) {
        c.inputs = c.inputs.map((i) => (i === value ? name : i));
      }
      const vi = g.valueInfo.get(value);
      if (vi) g.valueInfo.set(name, { ...vi, name });
    }
    b.output(name, info.dtype, info.dims);
  }
}

/** Adds clip + optimizer nodes for `grads` and marks the new params/state and norm as outputs. */
function appendUpdate(
  b: GraphBuilder,
  options: CompileOptions,
  params: ParamInfo[],
  grads: string[],
  state: Map<string, string[]>,
): void {
  const { optimizer, maxGradNorm } = options;
  const dtype = params[0]?.dtype ?? 'float32';
  const lr = b.input(LR_INPUT, 'float32', []);
  const step = b.input(STEP_INPUT, 'int64', []);
  for (const p of params) {
    for (const s of state.get(p.name) ?? []) b.input(s, p.dtype, p.dims);
  }
  if (optimizer.type !== 'adamw' && optimizer.type !== 'sgd') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `optimizer.type must be 'adamw' or 'sgd', got ${JSON.stringify((optimizer as { type: unknown }).type)}`,
    );
  }
  const noDecay = optimizer.noDecay ?? defaultNoDecay;
  const decays = params.map((p) => !noDecay(p.name));
  // Everything after the gradients runs on packed items: small parameters of one dtype and decay
  // setting share one flat vector per tensor role (param, grad, state...), see optim/pack.ts.
  const packed = packSmallTensors(
    b,
    params.map((p, i) => ({
      values: [p.name, grads[i] as string, ...(state.get(p.name) ?? [])],
      dims: p.dims,
      key: `${p.dtype} ${decays[i]}`,
    })),
  );
  const items = packed.items.map(({ values: [param, grad, ...rest], first }) => ({
    param: param as string,
    grad: grad as string,
    state: rest,
    decay: decays[first] as boolean,
  }));
  let unscaled = items.map((item) => item.grad);
  if (options.lossScaling) {
    const scale = b.graph.inputs.some((v) => v.name === LOSS_SCALE_INPUT)
      ? LOSS_SCALE_INPUT
      : b.input(LOSS_SCALE_INPUT, dtype, []);
    // A power-of-two scale makes the reciprocal, and so the unscaled gradient, exact.
    const inverse = b.op('Reciprocal', [scale]);
    unscaled = unscaled.map((g) => b.op('Mul', [g, inverse]));
  }
  let clipped = unscaled;
  let clipCoef: string | undefined;
  let norm: string;
  if (maxGradNorm === undefined) {
    norm = buildGlobalNorm(b, unscaled);
  } else if (optimizer.type === 'adamw') {
    // AdamW folds the clip coefficient into its moment factors: no pass over every gradient.
    ({ coef: clipCoef, totalNorm: norm } = buildGlobalNormClipCoefficient(
      b,
      unscaled,
      maxGradNorm,
    ));
  } else {
    ({ grads: clipped, totalNorm: norm } = buildGlobalNormClip(b, unscaled, maxGradNorm));
  }
  // Per packed item, the updated tensors in the order of its values without the gradient.
  let updated: string[][];
  if (optimizer.type === 'adamw') {
    updated = buildAdamWUpdate(b, {
      params: items.map((item, i) => {
        const [m, v] = item.state as [string, string];
        return { param: item.param, grad: clipped[i] as string, m, v, decay: item.decay };
      }),
      lr,
      step,
      ...(clipCoef !== undefined ? { gradScale: clipCoef } : {}),
      ...(optimizer.beta1 !== undefined ? { beta1: optimizer.beta1 } : {}),
      ...(optimizer.beta2 !== undefined ? { beta2: optimizer.beta2 } : {}),
      ...(optimizer.eps !== undefined ? { eps: optimizer.eps } : {}),
      ...(optimizer.weightDecay !== undefined ? { weightDecay: optimizer.weightDecay } : {}),
    }).map((u) => [u.param, u.m, u.v]);
  } else {
    updated = buildSgdUpdate(b, {
      params: items.map((item, i) => {
        const [buffer] = item.state;
        return {
          param: item.param,
          grad: clipped[i] as string,
          ...(buffer !== undefined ? { momentumBuffer: buffer } : {}),
          decay: item.decay,
        };
      }),
      lr,
      step,
      ...(optimizer.momentum !== undefined ? { momentum: optimizer.momentum } : {}),
      ...(optimizer.dampening !== undefined ? { dampening: optimizer.dampening } : {}),
      ...(optimizer.nesterov !== undefined ? { nesterov: optimizer.nesterov } : {}),
      ...(optimizer.weightDecay !== undefined ? { weightDecay: optimizer.weightDecay } : {}),
    }).map((u) => (u.momentumBuffer === undefined ? [u.param] : [u.param, u.momentumBuffer]));
  }
  const outputs: Array<[string, string, ParamInfo]> = [];
  packed.unpack(updated).forEach(([param, ...newState], i) => {
    const p = params[i] as ParamInfo;
    outputs.push([p.name, param as string, p]);
    (state.get(p.name) ?? []).forEach((s, k) => {
      const value = newState[k];
      if (value !== undefined) outputs.push([s, value, p]);
    });
  });
  b.op('Identity', [norm], {}, { outputs: [GRAD_NORM_OUTPUT] });
  b.output(GRAD_NORM_OUTPUT, dtype, []);
  exposeAs(
    b,
    outputs.map(([input, value, p]) => [value, nextName(input), p] as const),
  );
}

/**
 * Compiles the training graphs. Trainable initializers become inputs (fed each step, never
 * baked in), and each updated tensor `x` is the output `x.next`; optimizer state inputs are
 * named `<param>.exp_avg`/`.exp_avg_sq` (AdamW) or `<param>.momentum_buffer` (SGD).
 */
export function compileTrainingStep(options: CompileOptions): CompiledStep {
  const { gradientAccumulationSteps = 1, optimizer } = options;
  if (!Number.isInteger(gradientAccumulationSteps) || gradientAccumulationSteps < 1) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `gradientAccumulationSteps must be an integer ≥ 1, got ${gradientAccumulationSteps}`,
    );
  }
  const trainable = selectTrainable(options.graph, options.params, options.frozen);
  const dtypes = new Set(trainable.map((p) => options.graph.initializers.get(p)?.dtype));
  if (dtypes.size > 1) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `trainable parameters mix ${[...dtypes].join(' and ')}; the gradient norm and clipping need one float dtype`,
    );
  }
  const fb = forwardBackward(options, trainable);
  const state = new Map(fb.params.map((p) => [p.name, optimizerStateNames(optimizer, p.name)]));
  const compiled: CompiledStep = {
    params: fb.params,
    state,
    dataInputs: fb.dataInputs,
    usesDropoutSeed: fb.usesDropoutSeed,
    lossInfo: fb.lossInfo,
    outputs: fb.outputs,
  };
  if (gradientAccumulationSteps === 1) {
    const b = createGraphBuilder({ graph: fb.g });
    appendUpdate(b, options, fb.params, fb.grads, state);
    fb.g.name = `${options.graph.name}_train_step`;
    compiled.fused = fb.g;
    return compiled;
  }

  // Grad graph: acc.next = acc + g for each parameter.
  const gb = createGraphBuilder({ graph: fb.g });
  const accumulators = fb.params.map((p) => gb.input(accumulatorName(p.name), p.dtype, p.dims));
  const summed = buildGradAccumulate(gb, { grads: fb.grads, accumulators });
  exposeAs(
    gb,
    fb.params.map((p, i) => [summed[i] as string, nextName(accumulators[i] as string), p] as const),
  );
  fb.g.name = `${options.graph.name}_grad_step`;
  compiled.grad = fb.g;

  // Update graph: the mean of the accumulated micro-batch gradients feeds clip + optimizer.
  const ub = createGraphBuilder({
    name: `${options.graph.name}_update`,
    opset: options.graph.opset,
  });
  const dtype = fb.params[0]?.dtype ?? 'float32';
  const inv = ub.scalar(dtype, 1 / gradientAccumulationSteps);
  const averaged = fb.params.map((p) => {
    ub.input(p.name, p.dtype, p.dims);
    const acc = ub.input(accumulatorName(p.name), p.dtype, p.dims);
    return ub.op('Mul', [acc, inv]);
  });
  appendUpdate(ub, options, fb.params, averaged, state);
  compiled.update = ub.graph;
  return compiled;
}
