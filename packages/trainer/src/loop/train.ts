// The training loop: seeded epochs of micro-batches through a compiled TrainingStep, host-side
// learning-rate schedules, evaluation, early stopping, checkpoints with exact resume, history.
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '@ft/data';
import { TrainerError } from '../errors.js';
import type { TensorData } from '../ir/types.js';
import type { ReduceOnPlateau } from '../schedules/reduce-on-plateau.js';
import { createSchedule, type Schedule, type ScheduleOptions } from '../schedules/schedule.js';
import { batchesPerEpoch, epochBatches } from './batches.js';
import {
  cleanStaleTemporaries,
  findLatestCheckpoint,
  type LoadedCheckpoint,
  loadCheckpoint,
  readCheckpointParameters,
  rotateCheckpoints,
  saveCheckpoint,
} from './checkpoint.js';
import { createImprovementTracker } from './improvement.js';
import { createProgress, type Progress } from './progress.js';
import type { LogWindow, SchedulerState, TrainerState } from './trainer-state.js';
import type {
  Batch,
  EvalLogEntry,
  HistoryEntry,
  LrOption,
  OptimizerState,
  TrainEvent,
  TrainLogEntry,
  TrainOptions,
  TrainResult,
} from './types.js';

function invalid(problem: string): never {
  throw new TrainerError('INVALID_ARGUMENT', problem);
}

function positiveInteger(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    invalid(`${name} must be a positive integer, got ${value}`);
  }
}

function isPlateau(lr: LrOption): lr is ReduceOnPlateau {
  return typeof lr === 'object' && typeof (lr as ReduceOnPlateau).step === 'function';
}

function isSchedule(lr: LrOption): lr is Schedule {
  return (
    typeof lr === 'function' &&
    typeof (lr as Schedule).state === 'function' &&
    typeof (lr as Schedule).restore === 'function'
  );
}

interface LrSource {
  at(step: number): number;
  state(): SchedulerState;
  restore(state: SchedulerState, file: string): void;
  plateau?: ReduceOnPlateau;
}

function createLrSource(lr: LrOption, totalSteps: number | undefined): LrSource {
  if (typeof lr === 'number') {
    if (!Number.isFinite(lr) || lr < 0) invalid(`lr must be a finite number ≥ 0, got ${lr}`);
    return { at: () => lr, state: () => ({ kind: 'constant', lr }), restore: () => undefined };
  }
  if (isPlateau(lr)) {
    return {
      at: () => lr.lr,
      state: () => ({ kind: 'plateau', state: lr.state() }),
      restore(saved, file) {
        if (saved.kind !== 'plateau') mismatch(file, 'scheduler', saved.kind, 'plateau');
        lr.restore(saved.state);
      },
      plateau: lr,
    };
  }
  let schedule: Schedule | undefined;
  let fn: (step: number) => number;
  if (typeof lr === 'function') {
    fn = lr;
    if (isSchedule(lr)) schedule = lr;
  } else {
    const options: ScheduleOptions = { ...lr, totalSteps: lr.totalSteps ?? totalSteps };
    schedule = createSchedule(options);
    fn = schedule;
  }
  const sched = schedule;
  return {
    at(step) {
      const value = fn(step);
      if (!Number.isFinite(value)) invalid(`the lr schedule returned ${value} at step ${step}`);
      return value;
    },
    state: () => (sched ? { kind: 'schedule', state: sched.state() } : { kind: 'function' }),
    restore(saved, file) {
      if (sched) {
        if (saved.kind !== 'schedule') mismatch(file, 'scheduler', saved.kind, 'schedule');
        sched.restore(saved.state);
      }
    },
  };
}

function mismatch(file: string, field: string, saved: unknown, current: unknown): never {
  throw new TrainerError(
    'CHECKPOINT',
    `${field} is ${JSON.stringify(saved)} in the checkpoint but ${JSON.stringify(current)} now; ` +
      'exact resume needs the same data, batch size and shuffling — start a fresh run instead',
    { file },
  );
}

/** Deep copies (the step may hand out views of buffers it overwrites on the next run). */
function copyTensors(tensors: Map<string, TensorData>): Map<string, TensorData> {
  const copy = new Map<string, TensorData>();
  for (const [name, t] of tensors)
    copy.set(name, { ...t, dims: [...t.dims], data: t.data.slice() });
  return copy;
}

function copyOptimizerState(state: OptimizerState): OptimizerState {
  return { tensors: copyTensors(state.tensors), step: state.step };
}

const emptyWindow = (): LogWindow => ({
  steps: 0,
  lossSum: 0,
  samples: 0,
  tokens: 0,
  seconds: 0,
  lastLr: 0,
  lastGradNorm: null,
});

/** Runs `evaluate` over the whole eval set; loss and metrics are batch-size-weighted means. */
async function runEvaluation(
  options: TrainOptions,
  evalBatchSize: number,
): Promise<{ metrics: Record<string, number>; samplesPerSecond: number }> {
  const source = options.data.eval!;
  const metric = options.metrics?.();
  const started = performance.now();
  let lossSum = 0;
  let samples = 0;
  for (let start = 0; start < source.size; start += evalBatchSize) {
    const indices: number[] = [];
    for (let i = start; i < Math.min(start + evalBatchSize, source.size); i++) indices.push(i);
    const batch = await source.batch(indices);
    const { loss, outputs } = await options.step.evaluate(batch);
    lossSum += loss * indices.length;
    samples += indices.length;
    metric?.update(outputs, batch, indices.length);
  }
  const seconds = (performance.now() - started) / 1000;
  const metrics: Record<string, number> = { eval_loss: lossSum / samples };
  for (const [name, value] of Object.entries(metric?.compute() ?? {})) {
    metrics[`eval_${name}`] = value;
  }
  return { metrics, samplesPerSecond: seconds > 0 ? samples / seconds : 0 };
}

function metricValue(metrics: Record<string, number>, name: string, purpose: string): number {
  const value = metrics[name];
  if (value === undefined) {
    invalid(
      `${purpose} watches metric "${name}", but evaluation reported only ${Object.keys(metrics).join(', ')}`,
    );
  }
  return value;
}

/**
 * Trains `options.step` on `options.data.train`. Resumed runs (resumeFrom) end with parameters
 * bit-identical to an uninterrupted run: batch order is a pure function of (seed, epoch) and
 * every counter the loop keeps is in trainer_state.json.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const {
    step,
    data,
    batchSize,
    evalBatchSize = batchSize,
    maxSteps,
    seed = 0,
    shuffle = true,
    dropLast = false,
    evalSteps,
    earlyStopping,
    outputDir,
    saveSteps,
    saveTotalLimit,
    resumeFrom,
    loadBestModelAtEnd = false,
    logEvery = 10,
    progress = true,
    tokensPerBatch,
    onEvent,
    onNonFinite = 'error',
  } = options;
  const epochs = options.epochs ?? (maxSteps === undefined ? 1 : Number.POSITIVE_INFINITY);
  const evalEveryEpoch =
    options.evalEveryEpoch ?? (data.eval !== undefined && evalSteps === undefined);

  positiveInteger('batchSize', batchSize);
  positiveInteger('evalBatchSize', evalBatchSize);
  positiveInteger('maxSteps', maxSteps);
  positiveInteger('evalSteps', evalSteps);
  positiveInteger('saveSteps', saveSteps);
  positiveInteger('saveTotalLimit', saveTotalLimit);
  positiveInteger('logEvery', logEvery);
  if (options.epochs !== undefined) positiveInteger('epochs', options.epochs);
  if (!(Number.isInteger(data.train.size) && data.train.size >= 0)) {
    invalid(`data.train.size must be an integer ≥ 0, got ${data.train.size}`);
  }
  if (onNonFinite !== 'error' && onNonFinite !== 'skip') {
    invalid(`onNonFinite must be 'error' or 'skip', got ${String(onNonFinite)}`);
  }
  if ((evalSteps !== undefined || options.evalEveryEpoch) && data.eval === undefined) {
    invalid('evaluation was requested (evalSteps / evalEveryEpoch) but data.eval is missing');
  }
  if (earlyStopping !== undefined) {
    if (data.eval === undefined) invalid('earlyStopping needs data.eval');
    if (!(Number.isInteger(earlyStopping.patience) && earlyStopping.patience >= 1)) {
      invalid(`earlyStopping.patience must be an integer ≥ 1, got ${earlyStopping.patience}`);
    }
    if (!((earlyStopping.threshold ?? 0) >= 0)) {
      invalid(`earlyStopping.threshold must be ≥ 0, got ${earlyStopping.threshold}`);
    }
  }
  if (saveSteps !== undefined && outputDir === undefined) invalid('saveSteps needs outputDir');
  if (resumeFrom === 'latest' && outputDir === undefined) {
    invalid("resumeFrom: 'latest' needs outputDir");
  }
  if (loadBestModelAtEnd && (outputDir === undefined || data.eval === undefined)) {
    invalid('loadBestModelAtEnd needs outputDir and data.eval');
  }

  const plan = { size: data.train.size, batchSize, seed, shuffle, dropLast };
  const perEpoch = batchesPerEpoch(plan);
  if (perEpoch === 0) {
    invalid(
      `the training set (${data.train.size} samples) gives no batch of ${batchSize}` +
        (dropLast ? ' with dropLast' : ''),
    );
  }
  const lr = createLrSource(
    options.lr,
    maxSteps ?? (Number.isFinite(epochs) ? epochs * perEpoch : undefined),
  );
  const bestMetricName = options.metricForBestModel ?? earlyStopping?.metric ?? 'eval_loss';
  const bestMode = options.bestModelMode ?? earlyStopping?.mode ?? 'min';
  const best = createImprovementTracker({ mode: bestMode, threshold: 0 });
  let bestCheckpoint: string | null = null;
  const stopper =
    earlyStopping &&
    createImprovementTracker({
      mode: earlyStopping.mode ?? 'min',
      threshold: earlyStopping.threshold ?? 0,
    });
  const stopMetric = earlyStopping?.metric ?? 'eval_loss';

  let optimizerStep = 0;
  let epoch = 0;
  let batchInEpoch = 0;
  let samplesSeen = 0;
  let skippedSteps = 0;
  let history: HistoryEntry[] = [];
  let window = emptyWindow();
  let stoppedEarly = false;
  const epochProgress = (): number => epoch + batchInEpoch / perEpoch;

  const output = outputDir === undefined ? undefined : resolve(outputDir);
  if (output !== undefined) {
    await mkdir(output, { recursive: true });
    await cleanStaleTemporaries(output);
  }

  if (resumeFrom !== undefined) {
    const folder =
      resumeFrom === 'latest' ? await findLatestCheckpoint(output!) : resolve(resumeFrom);
    if (folder === null) {
      throw new TrainerError(
        'CHECKPOINT',
        "resumeFrom: 'latest' found no complete checkpoint-<step> folder",
        { file: output },
      );
    }
    const loaded: LoadedCheckpoint = await loadCheckpoint(folder, step);
    const { state } = loaded;
    const file = join(folder, 'trainer_state.json');
    const expected = { ...plan, trainSize: plan.size, batchesPerEpoch: perEpoch };
    for (const key of [
      'trainSize',
      'batchSize',
      'seed',
      'shuffle',
      'dropLast',
      'batchesPerEpoch',
    ] as const) {
      if (state.data[key] !== expected[key])
        mismatch(file, `data.${key}`, state.data[key], expected[key]);
    }
    if (state.best.metric !== bestMetricName || state.best.mode !== bestMode) {
      mismatch(
        file,
        'best.metric',
        `${state.best.metric}/${state.best.mode}`,
        `${bestMetricName}/${bestMode}`,
      );
    }
    lr.restore(state.scheduler, file);
    step.setParameters(loaded.parameters);
    step.setOptimizerState(loaded.optimizer);
    optimizerStep = state.optimizerStep;
    epoch = state.epoch;
    batchInEpoch = state.batchInEpoch;
    samplesSeen = state.samplesSeen;
    skippedSteps = state.skippedSteps;
    history = state.history;
    window = state.logWindow;
    best.restore({ best: state.best.value, bestStep: state.best.step, badEvaluations: 0 });
    // The best checkpoint is a sibling of the one resumed from; it is ours only in outputDir.
    bestCheckpoint = dirname(folder) === output ? state.best.checkpoint : null;
    if (stopper && state.earlyStopping) {
      stopper.restore({
        best: state.earlyStopping.best,
        bestStep: state.earlyStopping.bestStep,
        badEvaluations: state.earlyStopping.badEvaluations,
      });
    }
  }

  // A checkpoint written at the evaluation that triggered early stopping stays stopped.
  if (stopper && earlyStopping && stopper.state().badEvaluations >= earlyStopping.patience) {
    stoppedEarly = true;
  }

  const reporter: Progress | undefined =
    progress === false
      ? undefined
      : createProgress(progress === true ? process.stdout : progress.stream);
  const emit = async (event: TrainEvent): Promise<void> => {
    await onEvent?.(event);
  };

  const trainerState = (): TrainerState => ({
    format: 'ft-trainer-state',
    version: 1,
    optimizerStep,
    epoch,
    batchInEpoch,
    epochProgress: epochProgress(),
    samplesSeen,
    data: {
      trainSize: plan.size,
      batchSize,
      batchesPerEpoch: perEpoch,
      seed,
      shuffle,
      dropLast,
      rngKey: `${seed}:${epoch}`,
    },
    scheduler: lr.state(),
    best: {
      metric: bestMetricName,
      mode: bestMode,
      value: best.state().best,
      step: best.state().bestStep,
      checkpoint: bestCheckpoint,
    },
    earlyStopping:
      earlyStopping && stopper
        ? {
            metric: stopMetric,
            mode: earlyStopping.mode ?? 'min',
            patience: earlyStopping.patience,
            threshold: earlyStopping.threshold ?? 0,
            ...stopper.state(),
          }
        : null,
    skippedSteps,
    logWindow: { ...window },
    history,
  });

  const writeHistory = async (): Promise<void> => {
    if (output === undefined) return;
    const text = `${JSON.stringify(history, null, 2)}\n`;
    await writeFileAtomic(join(output, 'history.json'), (tmp) => writeFile(tmp, text));
  };

  let lastSaved = resumeFrom !== undefined ? optimizerStep : -1;
  const save = async (): Promise<void> => {
    const folder = await saveCheckpoint(output!, optimizerStep, {
      parameters: step.getParameters(),
      optimizer: step.getOptimizerState(),
      state: trainerState(),
    });
    lastSaved = optimizerStep;
    await rotateCheckpoints(output!, saveTotalLimit, bestCheckpoint);
    await writeHistory();
    await emit({ type: 'checkpoint', step: optimizerStep, path: folder });
  };

  const flushWindow = (): TrainLogEntry => {
    const entry: TrainLogEntry = {
      type: 'train',
      step: optimizerStep,
      epoch: epochProgress(),
      loss: window.lossSum / window.steps,
      lr: window.lastLr,
      ...(window.lastGradNorm !== null ? { gradNorm: window.lastGradNorm } : {}),
      samplesPerSecond: window.seconds > 0 ? window.samples / window.seconds : 0,
      ...(tokensPerBatch
        ? { tokensPerSecond: window.seconds > 0 ? window.tokens / window.seconds : 0 }
        : {}),
      skippedSteps,
    };
    history.push(entry);
    window = emptyWindow();
    return entry;
  };

  // Throughput and ETA of this process only (time before a resume is unknown).
  const runStart = { step: optimizerStep, batches: 0, seconds: 0 };
  const etaSeconds = (): number | undefined => {
    if (runStart.batches === 0) return undefined;
    const perBatch = runStart.seconds / runStart.batches;
    const candidates: number[] = [];
    if (Number.isFinite(epochs))
      candidates.push(epochs * perEpoch - (epoch * perEpoch + batchInEpoch));
    const stepsDone = optimizerStep - runStart.step;
    if (maxSteps !== undefined && stepsDone > 0) {
      candidates.push(((maxSteps - optimizerStep) * runStart.batches) / stepsDone);
    }
    return candidates.length > 0 ? Math.max(0, Math.min(...candidates)) * perBatch : undefined;
  };

  // Losses of the micro-batches of the optimizer step in progress (gradient accumulation).
  let microLossSum = 0;
  let microCount = 0;
  const done = (): boolean =>
    epoch >= epochs || (maxSteps !== undefined && optimizerStep >= maxSteps);

  training: while (!stoppedEarly && !done()) {
    const batches = epochBatches(plan, epoch);
    while (batchInEpoch < batches.length) {
      const indices = batches[batchInEpoch]!;
      const started = performance.now();
      const batch: Batch = await data.train.batch(indices);
      const currentLr = lr.at(optimizerStep);
      // Only 'skip' mode pays for a copy of the parameters and optimizer state.
      const before =
        onNonFinite === 'skip'
          ? {
              parameters: copyTensors(step.getParameters()),
              optimizer: copyOptimizerState(step.getOptimizerState()),
            }
          : undefined;
      let result: Awaited<ReturnType<typeof step.run>>;
      // A step may itself refuse a non-finite loss (the compiled ONNX step throws and discards
      // the update); that is the same event as a NaN result.
      let refused: TrainerError | undefined;
      try {
        result = await step.run(batch, currentLr);
      } catch (error) {
        if (!(error instanceof TrainerError && error.code === 'NON_FINITE_LOSS')) throw error;
        refused = error;
        result = { loss: Number.NaN, updated: false, outputs: {} };
      }
      const seconds = (performance.now() - started) / 1000;
      runStart.batches += 1;
      runStart.seconds += seconds;
      const finite =
        Number.isFinite(result.loss) &&
        (result.gradNorm === undefined || Number.isFinite(result.gradNorm));
      if (!finite) {
        const what = refused
          ? `the step refused a non-finite value (${refused.problem})`
          : Number.isFinite(result.loss)
            ? `gradient norm is ${result.gradNorm}`
            : `loss is ${result.loss}`;
        if (before === undefined) {
          throw new TrainerError(
            'NON_FINITE_LOSS',
            `${what} at optimizer step ${optimizerStep + 1} (epoch ${epoch}, batch ${batchInEpoch} ` +
              `of the epoch, samples ${indices.slice(0, 8).join(', ')}${indices.length > 8 ? ', …' : ''}); ` +
              "lower the learning rate, check the data, or pass onNonFinite: 'skip'",
            refused ? { cause: refused } : {},
          );
        }
        step.setParameters(before.parameters);
        step.setOptimizerState(before.optimizer);
        skippedSteps += 1;
        microLossSum = 0;
        microCount = 0;
      }
      batchInEpoch += 1;
      samplesSeen += indices.length;
      window.samples += indices.length;
      window.seconds += seconds;
      if (tokensPerBatch) window.tokens += tokensPerBatch(batch);
      const epochDone = batchInEpoch === batches.length;
      const updated = finite && result.updated;
      let logged = false;
      if (!finite) {
        await emit({
          type: 'step',
          step: optimizerStep,
          epoch: epochProgress(),
          loss: result.loss,
          lr: currentLr,
          skipped: true,
        });
      } else {
        microLossSum += result.loss;
        microCount += 1;
      }
      if (updated) {
        optimizerStep += 1;
        // Mixed precision: an update whose gradients overflowed was skipped by the step itself
        // (parameters kept, loss scale backed off). It counts as a step, as HF's global_step
        // does; unlike HF, which holds its LR scheduler back on a skipped step, the schedule here
        // follows this step count, so the next update gets the next step's rate.
        if (result.skipped) skippedSteps += 1;
        const loss = microLossSum / microCount;
        microLossSum = 0;
        microCount = 0;
        window.steps += 1;
        window.lossSum += loss;
        window.lastLr = currentLr;
        window.lastGradNorm = result.gradNorm ?? null;
        await emit({
          type: 'step',
          step: optimizerStep,
          epoch: epochProgress(),
          loss,
          lr: currentLr,
          ...(result.gradNorm !== undefined ? { gradNorm: result.gradNorm } : {}),
          skipped: result.skipped === true,
        });
        logged = optimizerStep % logEvery === 0;
        // The shown loss and rate are those of the history window, so plain lines match history.
        const shown = {
          loss: window.lossSum / window.steps,
          rate:
            window.seconds > 0
              ? (tokensPerBatch ? window.tokens : window.samples) / window.seconds
              : 0,
        };
        if (logged) flushWindow();
        if (reporter) {
          const eta = etaSeconds();
          reporter.step(
            {
              step: optimizerStep,
              ...(maxSteps !== undefined ? { totalSteps: maxSteps } : {}),
              epoch: epochProgress(),
              loss: shown.loss,
              lr: currentLr,
              rate: shown.rate,
              unit: tokensPerBatch ? 'tokens' : 'samples',
              ...(eta !== undefined ? { etaSeconds: eta } : {}),
            },
            logged,
          );
        }
      }
      if (epochDone) {
        epoch += 1;
        batchInEpoch = 0;
      }

      const evalDue =
        data.eval !== undefined &&
        ((updated && evalSteps !== undefined && optimizerStep % evalSteps === 0) ||
          (epochDone && evalEveryEpoch));
      let improvedBest = false;
      if (evalDue) {
        const { metrics, samplesPerSecond } = await runEvaluation(options, evalBatchSize);
        const entry: EvalLogEntry = {
          type: 'eval',
          step: optimizerStep,
          epoch: epochProgress(),
          metrics,
          samplesPerSecond,
        };
        history.push(entry);
        reporter?.eval(optimizerStep, entry.epoch, metrics);
        await emit({ type: 'eval', step: optimizerStep, epoch: entry.epoch, metrics });
        const bestValue = metricValue(metrics, bestMetricName, 'metricForBestModel');
        improvedBest = best.record(bestValue, optimizerStep);
        // The best parameters are on disk only if a checkpoint is written at this very step.
        if (improvedBest) bestCheckpoint = null;
        lr.plateau?.step(bestValue);
        if (stopper) {
          stopper.record(metricValue(metrics, stopMetric, 'earlyStopping'), optimizerStep);
          if (stopper.state().badEvaluations >= earlyStopping!.patience) stoppedEarly = true;
        }
        await writeHistory();
      }

      const saveDue =
        output !== undefined &&
        updated &&
        ((saveSteps !== undefined && optimizerStep % saveSteps === 0) ||
          (improvedBest && loadBestModelAtEnd));
      if (saveDue) {
        if (improvedBest) bestCheckpoint = `checkpoint-${optimizerStep}`;
        await save();
      }
      if (stoppedEarly) {
        const tracked = stopper!.state();
        await emit({
          type: 'early_stop',
          step: optimizerStep,
          metric: stopMetric,
          best: tracked.best!,
          evaluations: tracked.badEvaluations,
        });
        break training;
      }
      if (maxSteps !== undefined && optimizerStep >= maxSteps) break training;
      // The epoch counter moved on: the next epoch gets its own batch order.
      if (epochDone) break;
    }
  }

  if (window.steps > 0) {
    const entry = flushWindow();
    if (reporter && optimizerStep % logEvery !== 0) {
      // The last line of a plain log always shows where training ended.
      reporter.step(
        {
          step: optimizerStep,
          ...(maxSteps !== undefined ? { totalSteps: maxSteps } : {}),
          epoch: entry.epoch,
          loss: entry.loss,
          lr: entry.lr,
          rate: tokensPerBatch ? (entry.tokensPerSecond ?? 0) : entry.samplesPerSecond,
          unit: tokensPerBatch ? 'tokens' : 'samples',
          etaSeconds: 0,
        },
        true,
      );
    }
  }
  reporter?.end();
  if (output !== undefined && saveSteps !== undefined && lastSaved !== optimizerStep) await save();
  await writeHistory();

  if (loadBestModelAtEnd && bestCheckpoint !== null) {
    step.setParameters(await readCheckpointParameters(join(output!, bestCheckpoint), step));
  }
  const result: TrainResult = {
    steps: optimizerStep,
    epochs: epochProgress(),
    bestMetric: best.state().best,
    bestCheckpoint: bestCheckpoint === null ? null : join(output!, basename(bestCheckpoint)),
    history,
    skippedSteps,
    stoppedEarly,
  };
  await emit({ type: 'end', result });
  return result;
}
