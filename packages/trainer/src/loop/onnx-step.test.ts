// The loop with the real compiled ONNX step (MLP classifier, AdamW, seeded dropout, gradient
// accumulation): it learns, reports an accuracy metric, and resumes bit-identically.
import { cp, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createGraphBuilder } from '../ir/builder.js';
import type { TensorData } from '../ir/types.js';
import { buildMlp } from '../models/mlp.js';
import { makeClusters } from '../step/testing.js';
import { createTrainingStep } from '../step/training-step.js';
import { epochOrder } from './batches.js';
import { meanMetrics } from './metrics.js';
import { hexMap } from './test-step.js';
import { train } from './train.js';
import type { BatchSource, HistoryEntry } from './types.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-loop-onnx-');
});
afterEach(() => dir.cleanup());

/** A BatchSource over in-memory tensors: rows gathered along axis 0. */
function tensorSource(tensors: Record<string, TensorData>): BatchSource {
  const size = Object.values(tensors)[0]!.dims[0]!;
  return {
    size,
    batch(indices) {
      const out: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(tensors)) {
        const row = t.dims.slice(1).reduce((a, d) => a * d, 1);
        const data = new (t.data.constructor as new (n: number) => TensorData['data'])(
          indices.length * row,
        );
        indices.forEach((index, r) => {
          (data as Float32Array).set(
            (t.data as Float32Array).subarray(index * row, (index + 1) * row),
            r * row,
          );
        });
        out[name] = { dtype: t.dtype, dims: [indices.length, ...t.dims.slice(1)], data };
      }
      return out;
    },
  };
}

const accuracy = meanMetrics((outputs, batch) => {
  const logits = outputs.logits!.data as Float32Array;
  const labels = batch.labels!.data as BigInt64Array;
  const classes = outputs.logits!.dims[1]!;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from(logits.subarray(i * classes, (i + 1) * classes));
    if (row.indexOf(Math.max(...row)) === Number(labels[i])) correct += 1;
  }
  return { accuracy: correct / labels.length };
});

/**
 * The models/ MLP (dropout driven by the `dropout_seed` input, so masks are a function of the
 * optimizer step and survive a restart) with a mean cross-entropy loss on `labels`.
 */
function classifier(training: boolean) {
  const model = buildMlp({
    inputSize: 4,
    hiddenSizes: [8],
    outputSize: 3,
    dropout: 0.1,
    training,
    seed: 1,
  });
  const b = createGraphBuilder({ graph: model.graph });
  const labels = b.input('labels', 'int64', ['batch']);
  b.op('SoftmaxCrossEntropyLoss', ['logits', labels], { reduction: 'mean' }, { outputs: ['loss'] });
  b.output('loss', 'float32', []);
  return b.graph;
}

const makeStep = () =>
  createTrainingStep({
    graph: classifier(true),
    evalGraph: classifier(false),
    loss: 'loss',
    optimizer: { type: 'adamw', weightDecay: 0.01 },
    gradientAccumulationSteps: 2,
    outputs: ['logits'],
    seed: 5,
    session: { threads: 1 },
  });

const withoutTiming = (history: HistoryEntry[]) =>
  history.map(({ samplesPerSecond: _rate, ...rest }) => rest);

it('trains the compiled ONNX step and resumes it bit-identically', async () => {
  // One draw of clusters (same centres), split 48 / 24.
  const clusters = makeClusters(72, { seed: 2 });
  const all = tensorSource({ input: clusters.x, labels: clusters.labels });
  const trainData: BatchSource = { size: 48, batch: (indices) => all.batch(indices) };
  const evalData: BatchSource = {
    size: 24,
    batch: (indices) => all.batch(indices.map((i) => 48 + i)),
  };
  const options = (outputDir: string) => ({
    data: { train: trainData, eval: evalData },
    batchSize: 6, // 8 micro-batches per epoch, 4 optimizer steps
    epochs: 5,
    seed: 11,
    lr: { name: 'linear' as const, baseLr: 0.05, warmupSteps: 2, totalSteps: 20 },
    metrics: accuracy,
    logEvery: 3,
    outputDir,
    saveSteps: 6,
    progress: false as const,
  });
  const full = await makeStep();
  const fullDir = join(dir.path, 'full');
  const uninterrupted = await train({ step: full, ...options(fullDir) });
  expect(uninterrupted.steps).toBe(20);
  const evals = uninterrupted.history.flatMap((e) => (e.type === 'eval' ? [e] : []));
  expect(evals.map((e) => e.step)).toEqual([4, 8, 12, 16, 20]);
  console.log(
    `ONNX MLP in train(): eval_loss ${evals.map((e) => e.metrics.eval_loss!.toFixed(4)).join(' → ')}; ` +
      `eval_accuracy ${evals.map((e) => e.metrics.eval_accuracy!.toFixed(3)).join(' → ')}`,
  );
  expect(evals.at(-1)!.metrics.eval_loss!).toBeLessThan(evals[0]!.metrics.eval_loss! * 0.5);
  expect(evals.at(-1)!.metrics.eval_accuracy!).toBeGreaterThanOrEqual(0.9);

  // Resume from checkpoint-6 (mid-epoch: epoch 1, micro-batch 4) in a fresh step.
  const resumedDir = join(dir.path, 'resumed');
  await mkdir(resumedDir);
  await cp(join(fullDir, 'checkpoint-6'), join(resumedDir, 'checkpoint-6'), { recursive: true });
  const again = await makeStep();
  const resumed = await train({ step: again, ...options(resumedDir), resumeFrom: 'latest' });
  expect(resumed.steps).toBe(20);
  const params = again.getParameters();
  expect([...params.values()].every((t) => t.dtype === 'float32')).toBe(true);
  expect(hexMap(params)).toEqual(hexMap(full.getParameters()));
  expect(hexMap(again.getOptimizerState().tensors)).toEqual(
    hexMap(full.getOptimizerState().tensors),
  );
  expect(again.optimizerSteps).toBe(20);
  expect(withoutTiming(resumed.history)).toEqual(withoutTiming(uninterrupted.history));
  await full.release();
  await again.release();
});

it('handles a NaN input with the compiled step: NON_FINITE_LOSS, or skipped and counted', async () => {
  const clusters = makeClusters(48, { seed: 2 });
  (clusters.x.data as Float32Array)[5 * 4] = Number.NaN; // sample 5
  const source = tensorSource({ input: clusters.x, labels: clusters.labels });
  const base = {
    data: { train: source },
    batchSize: 6,
    epochs: 2,
    seed: 11,
    lr: 0.05,
    progress: false as const,
  };
  const position = epochOrder(
    { size: 48, batchSize: 6, seed: 11, shuffle: true, dropLast: false },
    0,
  ).indexOf(5);
  // Two micro-batches per optimizer step.
  const expectedStep = Math.floor(Math.floor(position / 6) / 2) + 1;
  const failing = await makeStep();
  const error = await train({ step: failing, ...base }).catch((e: unknown) => e);
  expect(error).toMatchObject({ name: 'TrainerError', code: 'NON_FINITE_LOSS' });
  expect((error as Error).message).toContain(
    `at optimizer step ${expectedStep} (epoch 0, batch ${Math.floor(position / 6)} of the epoch`,
  );
  expect((error as Error).message).toContain('the step refused a non-finite value');

  const skipping = await makeStep();
  const result = await train({ step: skipping, ...base, onNonFinite: 'skip' });
  expect(result.skippedSteps).toBe(2);
  expect(skipping.optimizerSteps).toBe(result.steps);
  for (const t of skipping.getParameters().values()) {
    expect(Array.from(t.data as Float32Array).every(Number.isFinite)).toBe(true);
  }
  await failing.release();
  await skipping.release();
});
