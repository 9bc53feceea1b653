// The training loop on a linear-regression step with exact JS gradients: convergence, seeded
// shuffling, eval cadence and metrics, early stopping, schedules, non-finite losses, progress.
import { createRng } from '@ft/data';
import { describe, expect, it } from 'vitest';
import type { TensorData } from '../ir/types.js';
import { epochOrder } from './batches.js';
import { meanMetrics } from './metrics.js';
import { formatDuration, formatNumber } from './progress.js';
import {
  FEATURES,
  hexMap,
  linearTask,
  recordingStream,
  TRUE_BIAS,
  TRUE_WEIGHTS,
} from './test-step.js';
import { train } from './train.js';
import type { BatchSource, TrainEvent, TrainingStep } from './types.js';

const values = (t: TensorData | undefined): number[] => Array.from(t!.data as Float64Array);

/** MSE and MAE of the step's current parameters over a source, computed independently. */
async function referenceEval(
  step: TrainingStep,
  source: BatchSource,
): Promise<{ mse: number; mae: number }> {
  const w = values(step.getParameters().get('linear.weight'));
  const b = values(step.getParameters().get('linear.bias'))[0]!;
  const all = await source.batch(Array.from({ length: source.size }, (_, i) => i));
  const x = values(all.x);
  const y = values(all.y);
  let se = 0;
  let ae = 0;
  for (let i = 0; i < y.length; i++) {
    let p = b;
    for (let j = 0; j < FEATURES; j++) p += x[i * FEATURES + j]! * w[j]!;
    se += (p - y[i]!) ** 2;
    ae += Math.abs(p - y[i]!);
  }
  return { mse: se / y.length, mae: ae / y.length };
}

describe('train', () => {
  it('drives the loss down and recovers the generating weights', async () => {
    const task = linearTask({ step: { momentum: 0.5 } });
    const result = await train({
      step: task.step,
      data: { train: task.train, eval: task.eval },
      batchSize: 8,
      epochs: 10,
      lr: 0.1,
      seed: 1,
      logEvery: 5,
      progress: false,
    });
    expect(result.steps).toBe(50);
    expect(result.epochs).toBe(10);
    const trainLosses = result.history.flatMap((e) => (e.type === 'train' ? [e.loss] : []));
    expect(trainLosses).toHaveLength(10);
    expect(trainLosses[0]!).toBeGreaterThan(0.5);
    // The noise floor: labels carry uniform ±0.05 noise (variance 0.05²/3 ≈ 8.3e-4).
    expect(trainLosses.at(-1)!).toBeLessThan(0.002);
    expect(trainLosses.at(-1)!).toBeLessThan(trainLosses[0]! / 100);
    const w = values(task.step.getParameters().get('linear.weight'));
    for (const [j, v] of w.entries()) expect(Math.abs(v - TRUE_WEIGHTS[j]!)).toBeLessThan(0.02);
    expect(
      Math.abs(values(task.step.getParameters().get('linear.bias'))[0]! - TRUE_BIAS),
    ).toBeLessThan(0.02);
    // Eval at each epoch end by default; eval losses fall too.
    const evals = result.history.flatMap((e) => (e.type === 'eval' ? [e] : []));
    expect(evals.map((e) => e.step)).toEqual([5, 10, 15, 20, 25, 30, 35, 40, 45, 50]);
    expect(evals.at(-1)!.metrics.eval_loss!).toBeLessThan(evals[0]!.metrics.eval_loss! / 10);
    expect(result.bestMetric).toBe(Math.min(...evals.map((e) => e.metrics.eval_loss!)));
  });

  it('shuffles with createRng("<seed>:<epoch>"), differently each epoch, reproducibly', async () => {
    const run = async (options: { shuffle?: boolean; dropLast?: boolean; size?: number }) => {
      const calls: number[][] = [];
      const task = linearTask({ calls, size: options.size ?? 20 });
      await train({
        step: task.step,
        data: { train: task.train },
        batchSize: 8,
        epochs: 2,
        lr: 0.01,
        seed: 'abc',
        progress: false,
        ...options,
      });
      return calls;
    };
    const calls = await run({});
    // 20 samples in batches of 8: 8, 8, 4 per epoch.
    expect(calls.map((c) => c.length)).toEqual([8, 8, 4, 8, 8, 4]);
    for (const epoch of [0, 1]) {
      const expected = createRng(`abc:${epoch}`).shuffle(Array.from({ length: 20 }, (_, i) => i));
      expect(calls.slice(epoch * 3, epoch * 3 + 3).flat()).toEqual(expected);
      expect([...expected].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    }
    expect(calls.slice(0, 3).flat()).not.toEqual(calls.slice(3, 6).flat());
    expect(await run({})).toEqual(calls);
    // No shuffling: natural order; dropLast drops the short batch.
    const plain = await run({ shuffle: false, dropLast: true });
    expect(plain).toEqual([
      [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10, 11, 12, 13, 14, 15],
      [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10, 11, 12, 13, 14, 15],
    ]);
  });

  it('evaluates every evalSteps and at epoch ends; loss and metrics are batch-size weighted', async () => {
    const task = linearTask();
    const events: TrainEvent[] = [];
    const atEval: { mse: number; mae: number }[] = [];
    const result = await train({
      step: task.step,
      data: { train: task.train, eval: task.eval },
      batchSize: 8,
      evalBatchSize: 4, // 10 eval samples: batches of 4, 4, 2
      epochs: 3,
      lr: 0.05,
      evalSteps: 4,
      evalEveryEpoch: true,
      metrics: meanMetrics((outputs, batch) => {
        const pred = values(outputs.pred);
        const y = values(batch.y);
        return { mae: pred.reduce((s, p, i) => s + Math.abs(p - y[i]!), 0) / pred.length };
      }),
      progress: false,
      onEvent: async (event) => {
        events.push(event);
        if (event.type === 'eval') atEval.push(await referenceEval(task.step, task.eval));
      },
    });
    const evals = events.flatMap((e) => (e.type === 'eval' ? [e] : []));
    // 5 batches per epoch, 15 steps: every 4 steps plus epoch ends 5, 10, 15.
    expect(evals.map((e) => e.step)).toEqual([4, 5, 8, 10, 12, 15]);
    expect(evals.map((e) => e.epoch)).toEqual([0.8, 1, 1.6, 2, 2.4, 3]);
    evals.forEach((e, i) => {
      expect(Object.keys(e.metrics).sort()).toEqual(['eval_loss', 'eval_mae']);
      expect(e.metrics.eval_loss!).toBeCloseTo(atEval[i]!.mse, 12);
      expect(e.metrics.eval_mae!).toBeCloseTo(atEval[i]!.mae, 12);
    });
    expect(result.history.filter((e) => e.type === 'eval')).toHaveLength(6);
    // Events: one 'step' per optimizer step, then 'end'.
    expect(events.filter((e) => e.type === 'step')).toHaveLength(15);
    expect(events.at(-1)!.type).toBe('end');
  });

  it('stops early after `patience` evaluations without an improvement above threshold', async () => {
    const task = linearTask();
    const events: TrainEvent[] = [];
    const result = await train({
      step: task.step,
      data: { train: task.train, eval: task.eval },
      batchSize: 8,
      maxSteps: 100,
      lr: 1e-6, // eval loss moves by ~1e-6 per step: below the threshold
      evalSteps: 2,
      earlyStopping: { patience: 2, threshold: 1e-3 },
      progress: false,
      onEvent: (event) => {
        events.push(event);
      },
    });
    expect(result.stoppedEarly).toBe(true);
    expect(result.steps).toBe(6); // evals at 2 (first best), 4 (1 bad), 6 (2 bad → stop)
    const stop = events.find((e) => e.type === 'early_stop');
    expect(stop).toMatchObject({ step: 6, metric: 'eval_loss', evaluations: 2 });
    const firstEval = result.history.find((e) => e.type === 'eval');
    expect(stop).toMatchObject({
      best: firstEval!.type === 'eval' && firstEval!.metrics.eval_loss,
    });

    // 'max' mode on a falling loss: every evaluation after the first is worse.
    const maxTask = linearTask();
    const maxRun = await train({
      step: maxTask.step,
      data: { train: maxTask.train, eval: maxTask.eval },
      batchSize: 8,
      maxSteps: 100,
      lr: 0.05,
      evalSteps: 3,
      earlyStopping: { patience: 1, mode: 'max' },
      progress: false,
    });
    expect([maxRun.stoppedEarly, maxRun.steps]).toEqual([true, 6]);

    // Improving evaluations reset the counter: no stop with a useful learning rate.
    const goodTask = linearTask();
    const good = await train({
      step: goodTask.step,
      data: { train: goodTask.train, eval: goodTask.eval },
      batchSize: 8,
      maxSteps: 10,
      lr: 0.05,
      evalSteps: 2,
      earlyStopping: { patience: 1 },
      progress: false,
    });
    expect([good.stoppedEarly, good.steps]).toEqual([false, 10]);
  });

  it('feeds the schedule the count of completed optimizer steps (HF linear decay)', async () => {
    const task = linearTask();
    const lrs: number[] = [];
    await train({
      step: task.step,
      data: { train: task.train },
      batchSize: 8,
      epochs: 2, // 10 steps: totalSteps is filled in as 10
      lr: { name: 'linear', baseLr: 0.1, warmupSteps: 2 },
      progress: false,
      onEvent: (e) => {
        if (e.type === 'step') lrs.push(e.lr);
      },
    });
    // warmup: s/2 · 0.1 for s < 2; then 0.1 · (10 − s) / 8
    const expected = [0, 0.05, 0.1, 0.0875, 0.075, 0.0625, 0.05, 0.0375, 0.025, 0.0125];
    for (const [s, lr] of lrs.entries()) expect(lr).toBeCloseTo(expected[s]!, 15);
    expect(lrs).toHaveLength(10);
  });

  it('counts optimizer steps, not micro-batches, under gradient accumulation', async () => {
    const task = linearTask({ step: { accumulation: 2 } });
    const steps: TrainEvent[] = [];
    const result = await train({
      step: task.step,
      data: { train: task.train },
      batchSize: 8,
      epochs: 2, // 10 micro-batches → 5 updates
      lr: 0.1,
      logEvery: 1,
      progress: false,
      onEvent: (e) => {
        if (e.type === 'step') steps.push(e);
      },
    });
    expect(result.steps).toBe(5);
    expect(task.step.optimizerSteps).toBe(5);
    expect(steps.map((e) => e.type === 'step' && e.step)).toEqual([1, 2, 3, 4, 5]);
    // Step 3 spans the last micro-batch of epoch 0 and the first of epoch 1.
    expect(steps.map((e) => e.type === 'step' && e.epoch)).toEqual([0.4, 0.8, 1.2, 1.6, 2]);
  });

  it('throws NON_FINITE_LOSS naming the optimizer step and epoch', async () => {
    // Sample 13's first feature is NaN; find where seed 3 puts it in epoch 0.
    const position = epochOrder(
      { size: 40, batchSize: 8, seed: 3, shuffle: true, dropLast: false },
      0,
    ).indexOf(13);
    const expectedStep = Math.floor(position / 8) + 1;
    const task = linearTask({ nanSamples: [13] });
    const failure = await train({
      step: task.step,
      data: { train: task.train },
      batchSize: 8,
      epochs: 2,
      lr: 0.1,
      seed: 3,
      progress: false,
    }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'TrainerError', code: 'NON_FINITE_LOSS' });
    expect((failure as Error).message).toContain(
      `loss is NaN at optimizer step ${expectedStep} (epoch 0, batch ${expectedStep - 1} of the epoch`,
    );
  });

  it("with onNonFinite: 'skip' undoes the step bit-exactly and counts it", async () => {
    const task = linearTask({ nanSamples: [13] });
    const snapshots: {
      skipped: boolean;
      params: Record<string, string>;
      opt: Record<string, string>;
      optStep: number;
    }[] = [];
    const result = await train({
      step: task.step,
      data: { train: task.train },
      batchSize: 8,
      epochs: 2,
      lr: 0.1,
      seed: 3,
      logEvery: 4,
      onNonFinite: 'skip',
      progress: false,
      onEvent: (e) => {
        if (e.type !== 'step') return;
        const opt = task.step.getOptimizerState();
        snapshots.push({
          skipped: e.skipped,
          params: hexMap(task.step.getParameters()),
          opt: hexMap(opt.tensors),
          optStep: opt.step,
        });
      },
    });
    // Sample 13 is met once per epoch.
    expect(result.skippedSteps).toBe(2);
    expect(result.steps).toBe(8);
    expect(task.step.optimizerSteps).toBe(8);
    const skips = snapshots.flatMap((s, i) => (s.skipped ? [i] : []));
    expect(skips).toHaveLength(2);
    for (const i of skips) {
      if (i === 0) continue; // nothing before the very first step to compare with
      expect(snapshots[i]!.params).toEqual(snapshots[i - 1]!.params);
      expect(snapshots[i]!.opt).toEqual(snapshots[i - 1]!.opt);
      expect(snapshots[i]!.optStep).toBe(snapshots[i - 1]!.optStep);
    }
    for (const t of task.step.getParameters().values()) {
      expect(Array.from(t.data as Float64Array).every(Number.isFinite)).toBe(true);
    }
    const last = result.history.filter((e) => e.type === 'train').at(-1);
    expect(last).toMatchObject({ step: 8, skippedSteps: 2 });
  });

  it('writes plain progress lines every logEvery steps when not a TTY', async () => {
    const task = linearTask();
    const stream = recordingStream(false);
    const result = await train({
      step: task.step,
      data: { train: task.train, eval: task.eval },
      batchSize: 8,
      maxSteps: 12,
      lr: 0.1,
      logEvery: 5,
      evalSteps: 10,
      progress: { stream },
    });
    const lines = stream.text().split('\n');
    expect(lines.at(-1)).toBe('');
    const trainEntries = result.history.filter((e) => e.type === 'train');
    expect(trainEntries.map((e) => e.step)).toEqual([5, 10, 12]);
    const evalEntry = result.history.find((e) => e.type === 'eval')!;
    const progressLines = lines.filter((l) => l.startsWith('step '));
    expect(progressLines).toHaveLength(3);
    trainEntries.forEach((entry, i) => {
      const epoch = (entry.step / 5).toFixed(2);
      expect(progressLines[i]).toMatch(
        new RegExp(
          `^step ${entry.step}/12 \\| epoch ${epoch} \\| loss ${formatNumber(entry.loss).replace('.', '\\.')} \\| lr 1\\.000e-1 \\| \\d+\\.\\d samples/s \\| ETA \\d+:\\d\\d$`,
        ),
      );
    });
    expect(lines).toContain(
      `eval step 10 | epoch 2.00 | eval_loss ${formatNumber(evalEntry.type === 'eval' ? evalEntry.metrics.eval_loss! : Number.NaN)}`,
    );
    // Order: the eval line follows the step-10 line.
    expect(lines.indexOf(progressLines[1]!) + 1).toBe(
      lines.findIndex((l) => l.startsWith('eval step 10')),
    );
  });

  it('rewrites one line on a TTY and reports tokens/s when tokensPerBatch is given', async () => {
    const task = linearTask();
    const stream = recordingStream(true);
    await train({
      step: task.step,
      data: { train: task.train },
      batchSize: 8,
      maxSteps: 10,
      lr: 0.1,
      logEvery: 5,
      tokensPerBatch: (batch) => batch.y!.dims[0]! * 16,
      progress: { stream },
    });
    const text = stream.text();
    expect(text.endsWith('\n')).toBe(true);
    expect(text.split('\n')).toHaveLength(2); // one physical line, then the final newline
    const paints = text.slice(0, -1).split('\r').filter(Boolean);
    for (const paint of paints) {
      expect(paint).toMatch(
        /^step \d+\/10 \| epoch \d\.\d\d \| loss \S+ \| lr 1\.000e-1 \| \d+\.\d tokens\/s( \| ETA \d+:\d\d)?\x1b\[K$/,
      );
    }
    expect(paints.some((p) => p.startsWith('step 5/10 '))).toBe(true);
    expect(paints.at(-1)!.startsWith('step 10/10 ')).toBe(true);
  });

  it('formats numbers and durations', () => {
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(0.00001234)).toBe('1.234e-5');
    expect(formatNumber(0)).toBe('0.0000');
    expect(formatNumber(Number.NaN)).toBe('NaN');
    expect(formatDuration(59.6)).toBe('1:00');
    expect(formatDuration(3725)).toBe('1:02:05');
  });

  it('rejects options it cannot honour', async () => {
    const task = linearTask({ size: 5 });
    const base = {
      step: task.step,
      data: { train: task.train },
      lr: 0.1,
      progress: false,
    } as const;
    await expect(train({ ...base, batchSize: 8, dropLast: true })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(train({ ...base, batchSize: 0 })).rejects.toThrow(
      /batchSize must be a positive integer/,
    );
    await expect(train({ ...base, batchSize: 2, evalSteps: 2 })).rejects.toThrow(
      /data\.eval is missing/,
    );
    await expect(train({ ...base, batchSize: 2, saveSteps: 2 })).rejects.toThrow(
      /saveSteps needs outputDir/,
    );
  });
});
