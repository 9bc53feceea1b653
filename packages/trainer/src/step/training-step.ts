// createTrainingStep: compiles the training graphs once, then runs them with double-buffered,
// pre-allocated parameter and optimizer-state tensors (no reallocation per step).
import { TrainerError } from '../errors.js';
import { allocate, scalar, sizeOf } from '../ir/tensor.js';
import type { TensorArray, TensorData } from '../ir/types.js';
import { applyMixedPrecision, type ComputeDType } from '../mixed-precision/autocast.js';
import {
  MIXED_PRECISION_COMPUTE,
  refuseOrWarnOnCpu,
  resolveMixedPrecision,
} from '../mixed-precision/options.js';
import { createSession, type RuntimeSession } from '../runtime/session.js';
import {
  accumulatorName,
  type CompiledStep,
  compileTrainingStep,
  GRAD_NORM_OUTPUT,
  LOSS_SCALE_INPUT,
  LR_INPUT,
  nextName,
  type ParamInfo,
  STEP_INPUT,
} from './compile.js';
import { createEvalGraph, DROPOUT_SEED_INPUT } from './graph-utils.js';
import type { TrainingStep, TrainingStepOptions, TrainingStepResult } from './types.js';

/**
 * The dropout seed of one micro-batch: a 62-bit mix of (seed, optimizer step, micro-batch index),
 * so a run resumed from a checkpoint draws the same masks as the original run did.
 */
export function dropoutSeedFor(seed: number, optimizerStep: number, microBatch: number): bigint {
  const mix = (h: number, v: number): number => {
    // Both 32-bit halves of v (steps can pass 2^32 in principle).
    for (const part of [v >>> 0, Math.floor(v / 2 ** 32) >>> 0]) {
      h = Math.imul(h ^ part, 0x9e3779b1);
      h ^= h >>> 15;
      h = Math.imul(h, 0x85ebca77);
      h ^= h >>> 13;
    }
    return h >>> 0;
  };
  const hi = mix(mix(mix(0x243f6a88, seed), optimizerStep), microBatch) & 0x3fffffff;
  const lo = mix(mix(mix(0x85a308d3, microBatch), optimizerStep), seed);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/**
 * Diagnostics key: `(step as any)[STEP_BUFFERS]()` lists, per parameter and optimizer-state
 * tensor, the two typed arrays it alternates between and which one holds the current value.
 * Tests use it to check that steps reuse the same memory.
 */
export const STEP_BUFFERS = Symbol('ft.trainer.stepBuffers');

/** What STEP_BUFFERS returns. */
export type StepBuffers = Map<string, { arrays: [TensorArray, TensorArray]; current: 0 | 1 }>;

/** A tensor held in two buffers: runs read `current` and write the other, then swap. */
interface DoubleBuffer {
  name: string;
  buffers: [TensorData, TensorData];
  current: 0 | 1;
}

function doubleBuffer(name: string, info: ParamInfo, initial?: TensorData): DoubleBuffer {
  const make = (): TensorData => ({
    dtype: info.dtype,
    dims: [...info.dims],
    data: allocate(info.dtype, sizeOf(info.dims)),
  });
  const a = make();
  if (initial) a.data.set(initial.data as never);
  return { name, buffers: [a, make()], current: 0 };
}
const cur = (d: DoubleBuffer): TensorData => d.buffers[d.current];
const other = (d: DoubleBuffer): TensorData => d.buffers[d.current === 0 ? 1 : 0];
const swap = (d: DoubleBuffer): void => {
  d.current = d.current === 0 ? 1 : 0;
};
const copyOf = (t: TensorData): TensorData => ({
  dtype: t.dtype,
  dims: [...t.dims],
  data: t.data.slice() as TensorData['data'],
});

function checkAgainst(what: string, name: string, info: ParamInfo, value: TensorData): void {
  if (value.dtype !== info.dtype || value.dims.join(',') !== info.dims.join(',')) {
    throw new TrainerError(
      'CHECKPOINT',
      `${what} "${name}" is ${value.dtype} [${value.dims.join(', ')}] but the model has ${info.dtype} [${info.dims.join(', ')}]`,
    );
  }
  if (value.data.length !== sizeOf(info.dims)) {
    throw new TrainerError(
      'CHECKPOINT',
      `${what} "${name}" holds ${value.data.length} values; its dims [${info.dims.join(', ')}] need ${sizeOf(info.dims)}`,
    );
  }
}

/**
 * Compiles a forward graph into a training step (forward → loss → gradients → clip → optimizer)
 * and opens ONNX Runtime sessions for it. With `gradientAccumulationSteps` k > 1, a grad graph
 * sums gradients of k micro-batches and an update graph applies their mean.
 */
export async function createTrainingStep(options: TrainingStepOptions): Promise<TrainingStep> {
  const { gradientAccumulationSteps = 1, seed = 0, session: sessionOptions = {} } = options;
  const testCompute = (options as { [MIXED_PRECISION_COMPUTE]?: ComputeDType })[
    MIXED_PRECISION_COMPUTE
  ];
  const mixed =
    options.mixedPrecision === undefined
      ? undefined
      : resolveMixedPrecision(options.mixedPrecision, testCompute);
  // Full precision instead of mixed (onCpu: 'fp32'): exactly the step built without the option.
  const { mixedPrecision: _, ...fullPrecision } = options;
  if (mixed && !mixed.allowCpu && (sessionOptions.executionProvider ?? 'cpu') === 'cpu') {
    refuseOrWarnOnCpu(mixed, 'cpu');
    return createTrainingStep(fullPrecision);
  }
  const compiled: CompiledStep = compileTrainingStep({
    graph: mixed ? applyMixedPrecision(options.graph, mixed.transform) : options.graph,
    loss: options.loss,
    lossScaling: mixed?.scaled ?? false,
    optimizer: options.optimizer,
    gradientAccumulationSteps,
    ...(options.params !== undefined ? { params: options.params } : {}),
    ...(options.frozen !== undefined ? { frozen: options.frozen } : {}),
    ...(options.maxGradNorm !== undefined ? { maxGradNorm: options.maxGradNorm } : {}),
    ...(options.outputs !== undefined ? { outputs: options.outputs } : {}),
  });
  const open = (graph: Parameters<typeof createSession>[0]) =>
    createSession(graph, { memoryPattern: false, ...sessionOptions });

  const sessions: RuntimeSession[] = [];
  let fused: RuntimeSession | undefined;
  let grad: RuntimeSession | undefined;
  let update: RuntimeSession | undefined;
  try {
    if (compiled.fused) {
      fused = await open(compiled.fused);
      sessions.push(fused);
    } else {
      grad = await open(compiled.grad as NonNullable<CompiledStep['grad']>);
      sessions.push(grad);
      update = await open(compiled.update as NonNullable<CompiledStep['update']>);
      sessions.push(update);
    }
  } catch (error) {
    await Promise.all(sessions.map((s) => s.release()));
    throw error;
  }
  const provider = (fused ?? grad)?.executionProvider ?? 'cpu';
  if (mixed && !mixed.allowCpu && provider === 'cpu') {
    // CUDA was asked for but is missing (createSession fell back to the CPU).
    await Promise.all(sessions.map((s) => s.release()));
    refuseOrWarnOnCpu(mixed, 'cuda');
    return createTrainingStep(fullPrecision);
  }
  const scaler = mixed?.scaler;

  const infos = new Map(compiled.params.map((p) => [p.name, p]));
  const params = compiled.params.map((p) =>
    doubleBuffer(p.name, p, options.graph.initializers.get(p.name)),
  );
  const stateOwner = new Map<string, ParamInfo>();
  const state: DoubleBuffer[] = [];
  for (const p of compiled.params) {
    for (const s of compiled.state.get(p.name) ?? []) {
      stateOwner.set(s, p);
      state.push(doubleBuffer(s, p));
    }
  }
  const accumulators = grad
    ? compiled.params.map((p) => doubleBuffer(accumulatorName(p.name), p))
    : [];
  const lossDType = compiled.lossInfo.dtype;
  const lossOut: TensorData = { dtype: lossDType, dims: [], data: allocate(lossDType, 1) };
  const paramDType = compiled.params[0]?.dtype ?? 'float32';
  const normOut: TensorData = { dtype: paramDType, dims: [], data: allocate(paramDType, 1) };
  const lrIn = scalar('float32', 0);
  const stepIn = scalar('int64', 1n);
  const seedIn = scalar('int64', 0n);
  const scaleIn = scalar(paramDType, mixed?.fixedScale ?? 1);
  const dataNames = new Set(compiled.dataInputs.map((v) => v.name));

  let optimizerSteps = 0;
  let micro = 0;
  let evalSession: RuntimeSession | undefined;
  let released = false;

  const checkBatch = (batch: Record<string, TensorData>, needed: Iterable<string>) => {
    if (released) throw new TrainerError('INVALID_ARGUMENT', 'the training step was released');
    for (const name of Object.keys(batch)) {
      if (!dataNames.has(name)) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `batch has "${name}", which is not an input of graph "${options.graph.name}" (inputs: ${[...dataNames].join(', ')})`,
        );
      }
    }
    for (const name of needed) {
      if (!(name in batch)) {
        throw new TrainerError('INVALID_ARGUMENT', `batch is missing the graph input "${name}"`);
      }
    }
  };
  const lossValue = (what: string): number => {
    const loss = Number(lossOut.data[0]);
    if (!Number.isFinite(loss)) {
      throw new TrainerError(
        'NON_FINITE_LOSS',
        `the loss is ${loss} at optimizer step ${optimizerSteps}, micro-batch ${micro}; ${what} was discarded, so parameters and optimizer state are those before this call — lower the learning rate, clip gradients (maxGradNorm) or check the batch`,
      );
    }
    return loss;
  };
  const extras = (out: Record<string, TensorData>) => {
    const result: Record<string, TensorData> = {};
    for (const name of compiled.outputs) result[name] = out[name] as TensorData;
    return result;
  };

  // Parameters and optimizer state: the tensors an update reads and rewrites.
  const updated = [...params, ...state];
  // Feeds and outputs are built once: every run overwrites the same keys (a batch has exactly
  // the graph's data inputs, checked by checkBatch), so only the values change between steps.
  const stepFeeds: Record<string, TensorData> = {};
  const stepOutputs: Record<string, TensorData | null> = { [options.loss]: lossOut };
  for (const name of compiled.outputs) stepOutputs[name] = null;
  if (compiled.usesDropoutSeed) stepFeeds[DROPOUT_SEED_INPUT] = seedIn;
  // The update inputs go into the fused step's feeds, or into a separate update graph's.
  const updateFeeds: Record<string, TensorData> = fused ? stepFeeds : {};
  const updateOutputs: Record<string, TensorData | null> = fused ? stepOutputs : {};
  updateFeeds[LR_INPUT] = lrIn;
  updateFeeds[STEP_INPUT] = stepIn;
  updateOutputs[GRAD_NORM_OUTPUT] = normOut;
  if (mixed?.scaled) {
    stepFeeds[LOSS_SCALE_INPUT] = scaleIn;
    updateFeeds[LOSS_SCALE_INPUT] = scaleIn;
  }
  /**
   * Ends an update whose outputs sit in the buffers not yet swapped in. A non-finite gradient
   * norm discards it: with dynamic loss scaling that is a skipped step (the scale backs off and
   * the optimizer's step count stays, as torch's GradScaler skips optimizer.step()), otherwise a
   * NON_FINITE_LOSS error saying `nonFinite`.
   */
  const finishUpdate = (
    loss: number,
    gradNorm: number,
    outputs: Record<string, TensorData>,
    nonFinite: string,
  ): TrainingStepResult => {
    // The scale changes only after an update, so it was constant within the accumulation cycle.
    const scaleInfo = mixed?.scaled ? { lossScale: Number(scaleIn.data[0]) } : {};
    const finite = Number.isFinite(gradNorm);
    if (scaler) {
      scaler.update(finite);
      scaleIn.data[0] = scaler.scale as never;
    }
    if (!finite) {
      if (scaler) return { loss, updated: true, skipped: true, ...scaleInfo, outputs };
      // A fixed scale is the likeliest cause when there is one: say how to change it.
      const fix = mixed?.scaled
        ? `the fixed mixedPrecision.lossScaling ${Number(scaleIn.data[0])} may overflow the float16 gradients: lower it or pass lossScaling: 'dynamic'`
        : 'lower the learning rate, clip gradients (maxGradNorm) or check the batch';
      throw new TrainerError(
        'NON_FINITE_LOSS',
        `${nonFinite}; the update was discarded, so parameters and optimizer state are those before this call — ${fix}`,
      );
    }
    for (const d of updated) swap(d);
    optimizerSteps++;
    const skipInfo = scaler ? { skipped: false } : {};
    return { loss, gradNorm, updated: true, ...skipInfo, ...scaleInfo, outputs };
  };
  if (scaler) scaleIn.data[0] = scaler.scale as never;

  const runUpdate = (session: RuntimeSession, lr: number) => {
    (lrIn.data as Float32Array)[0] = lr;
    (stepIn.data as BigInt64Array)[0] = BigInt(optimizerSteps + 1);
    for (const d of updated) {
      updateFeeds[d.name] = cur(d);
      updateOutputs[nextName(d.name)] = other(d);
    }
    return session.runInto(updateFeeds, updateOutputs);
  };

  const step: TrainingStep & { [STEP_BUFFERS](): StepBuffers } = {
    [STEP_BUFFERS]() {
      return new Map(
        updated.map((d) => [
          d.name,
          { arrays: [d.buffers[0].data, d.buffers[1].data], current: d.current },
        ]),
      );
    },
    async run(batch, lr): Promise<TrainingStepResult> {
      checkBatch(batch, dataNames);
      if (!Number.isFinite(lr)) {
        throw new TrainerError('INVALID_ARGUMENT', `lr must be a finite number, got ${lr}`);
      }
      Object.assign(stepFeeds, batch);
      if (compiled.usesDropoutSeed) {
        (seedIn.data as BigInt64Array)[0] = dropoutSeedFor(seed, optimizerSteps, micro);
      }

      if (fused) {
        const out = await runUpdate(fused, lr);
        const loss = lossValue('the update');
        const gradNorm = Number(normOut.data[0]);
        return finishUpdate(
          loss,
          gradNorm,
          extras(out),
          `the gradient norm is ${gradNorm} at optimizer step ${optimizerSteps} (loss ${loss})`,
        );
      }

      for (const d of params) stepFeeds[d.name] = cur(d);
      for (const d of accumulators) {
        stepFeeds[d.name] = cur(d);
        stepOutputs[nextName(d.name)] = other(d);
      }
      const out = await (grad as RuntimeSession).runInto(stepFeeds, stepOutputs);
      const loss = lossValue("this micro-batch's gradient");
      for (const d of accumulators) swap(d);
      micro++;
      if (micro < gradientAccumulationSteps) return { loss, updated: false, outputs: extras(out) };

      for (const d of accumulators) updateFeeds[d.name] = cur(d);
      await runUpdate(update as RuntimeSession, lr);
      const gradNorm = Number(normOut.data[0]);
      // Either way the cycle is over: start the next one from zero gradients.
      for (const d of accumulators) cur(d).data.fill(0 as never);
      micro = 0;
      return finishUpdate(
        loss,
        gradNorm,
        extras(out),
        `the accumulated gradient norm is ${gradNorm} at optimizer step ${optimizerSteps}`,
      );
    },

    async evaluate(batch) {
      if (evalSession === undefined) {
        const graph = createEvalGraph(options.evalGraph ?? options.graph, [
          options.loss,
          ...compiled.outputs,
        ]);
        for (const p of compiled.params) {
          if (!graph.initializers.has(p.name) && !graph.inputs.some((v) => v.name === p.name)) {
            continue;
          }
          graph.initializers.delete(p.name);
          if (!graph.inputs.some((v) => v.name === p.name)) {
            graph.inputs.push({ name: p.name, dtype: p.dtype, shape: [...p.dims] });
          }
        }
        graph.name = `${options.graph.name}_eval`;
        evalSession = await open(graph);
        sessions.push(evalSession);
      }
      const session = evalSession;
      const needed = session.inputNames.filter((n) => !infos.has(n));
      checkBatch(batch, needed);
      const feeds: Record<string, TensorData> = {};
      for (const name of needed) feeds[name] = batch[name] as TensorData;
      for (const d of params) if (session.inputNames.includes(d.name)) feeds[d.name] = cur(d);
      const out = await session.run(feeds, [options.loss, ...compiled.outputs]);
      return { loss: Number(out[options.loss]?.data[0]), outputs: extras(out) };
    },

    getParameters() {
      return new Map(params.map((d) => [d.name, copyOf(cur(d))]));
    },

    setParameters(values) {
      for (const [name, value] of values) {
        const info = infos.get(name);
        if (info === undefined) {
          throw new TrainerError(
            'CHECKPOINT',
            `parameter "${name}" is not a trainable parameter of graph "${options.graph.name}"`,
          );
        }
        checkAgainst('parameter', name, info, value);
      }
      for (const d of params) {
        const value = values.get(d.name);
        if (value) cur(d).data.set(value.data as never);
      }
    },

    getOptimizerState() {
      return {
        tensors: new Map(state.map((d) => [d.name, copyOf(cur(d))])),
        step: optimizerSteps,
        ...(scaler ? { lossScaler: scaler.state() } : {}),
      };
    },

    setOptimizerState(saved) {
      if (!Number.isInteger(saved.step) || saved.step < 0) {
        throw new TrainerError(
          'CHECKPOINT',
          `optimizer step must be an integer ≥ 0, got ${saved.step}`,
        );
      }
      for (const name of saved.tensors.keys()) {
        if (!stateOwner.has(name)) {
          throw new TrainerError(
            'CHECKPOINT',
            `optimizer state "${name}" does not belong to this optimizer (${options.optimizer.type}) and parameters`,
          );
        }
      }
      for (const d of state) {
        const value = saved.tensors.get(d.name);
        if (value === undefined) {
          throw new TrainerError('CHECKPOINT', `optimizer state "${d.name}" is missing`);
        }
        checkAgainst('optimizer state', d.name, stateOwner.get(d.name) as ParamInfo, value);
      }
      // A state saved without a scaler (full precision, or copied by the loop) keeps the current one.
      if (scaler && saved.lossScaler) {
        scaler.restore(saved.lossScaler);
        scaleIn.data[0] = scaler.scale as never;
      }
      for (const d of state) cur(d).data.set(saved.tensors.get(d.name)?.data as never);
      for (const d of accumulators) cur(d).data.fill(0 as never);
      optimizerSteps = saved.step;
      micro = 0;
    },

    get optimizerSteps() {
      return optimizerSteps;
    },
    get pendingMicroBatches() {
      return micro;
    },
    trainableParameters: compiled.params.map((p) => p.name),
    executionProvider: provider,

    async release() {
      if (released) return;
      released = true;
      await Promise.all(sessions.map((s) => s.release()));
    },
  };
  return step;
}
