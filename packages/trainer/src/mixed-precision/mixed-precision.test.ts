// Mixed precision on real ONNX Runtime sessions: float64 master / float32 compute (and float16
// compute) against the full-precision step, dynamic loss scaling, CPU refusal, checkpoint resume.
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { DType, Graph, TensorData } from '../ir/types.js';
import { loadCheckpoint } from '../loop/checkpoint.js';
import { train } from '../loop/train.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import { buildBert } from '../models/bert.js';
import { buildMlp } from '../models/mlp.js';
import { maxAbsDiff, numbers } from '../models/testing.js';
import { compileTrainingStep } from '../step/compile.js';
import { makeClusters } from '../step/testing.js';
import { createTrainingStep } from '../step/training-step.js';
import type { TrainingStep, TrainingStepOptions } from '../step/types.js';
import { readSafetensors, writeSafetensors } from '../weights/safetensors.js';
import { applyMixedPrecision } from './autocast.js';
import type { MixedPrecisionOptions } from './options.js';
import { createMixedPrecisionTestStep } from './testing.js';

type Batch = Record<string, TensorData>;
const paramDiff = (a: TrainingStep, b: TrainingStep) => {
  const pb = b.getParameters();
  let m = 0;
  for (const [name, t] of a.getParameters())
    m = Math.max(m, maxAbsDiff(numbers(t), numbers(pb.get(name))));
  return m;
};
const snapshot = (step: TrainingStep) => ({
  params: [...step.getParameters()].map(([n, t]) => [n, numbers(t)]),
  state: [...step.getOptimizerState().tensors].map(([n, t]) => [n, numbers(t)]),
  step: step.getOptimizerState().step,
});

function withLoss(graph: Graph, dtype: DType): Graph {
  const b = createGraphBuilder({ graph });
  const labels = b.input('labels', 'int64', ['batch']);
  const loss = crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
  b.output(loss, dtype, []);
  return graph;
}

function mlp(dtype: 'float32' | 'float64'): Graph {
  const model = buildMlp({ inputSize: 4, hiddenSizes: [16], outputSize: 3, dtype, seed: 3 });
  return withLoss(model.graph, dtype);
}

function mlpBatches(dtype: 'float32' | 'float64', n: number, size = 8): Batch[] {
  const { x, labels } = makeClusters(n * size, { seed: 5 });
  return Array.from({ length: n }, (_, i) => ({
    input: tensor(
      dtype,
      [size, 4],
      Array.from(x.data as Float32Array).slice(i * size * 4, (i + 1) * size * 4),
    ),
    labels: tensor(
      'int64',
      [size],
      Array.from(labels.data as BigInt64Array, Number).slice(i * size, (i + 1) * size),
    ),
  }));
}

const base = (graph: Graph): TrainingStepOptions => ({
  graph,
  loss: 'loss',
  optimizer: { type: 'adamw', weightDecay: 0.01 },
  session: { threads: 1 },
});

async function expectError(promise: Promise<unknown>, code: string): Promise<TrainerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrainerError);
  expect((error as TrainerError).code).toBe(code);
  return error as TrainerError;
}

const opened: TrainingStep[] = [];
const track = async (p: Promise<TrainingStep>) => {
  const step = await p;
  opened.push(step);
  return step;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.release()));
  vi.restoreAllMocks();
});

describe('applyMixedPrecision', () => {
  it('casts MatMul/Gemm inputs to the compute dtype and results back; parameters stay float64', () => {
    const graph = mlp('float64');
    const out = applyMixedPrecision(graph, { computeDtype: 'float32' });
    const gemms = out.nodes.filter((n) => n.opType === 'Gemm');
    expect(gemms).toHaveLength(2);
    const casts = (g: Graph) => g.nodes.filter((n) => n.opType === 'Cast').length;
    // 2 Gemms × (input, weight, bias) in, 2 results back.
    expect(casts(out) - casts(graph)).toBe(8);
    for (const gemm of gemms) {
      for (const i of gemm.inputs) {
        const producer = out.nodes.find((n) => n.outputs.includes(i));
        expect(producer?.opType).toBe('Cast');
        expect(producer?.attributes.to).toEqual({ type: 'int', value: 1 });
      }
    }
    for (const [name, t] of out.initializers) expect(t.dtype, name).toBe('float64');
    // The input graph is untouched.
    expect(
      graph.nodes
        .filter((n) => n.opType === 'Gemm')
        .every((n) => !n.inputs.some((i) => i.includes('/float32'))),
    ).toBe(true);
  });

  it('refuses ops that must stay in the master dtype, naming the field', () => {
    expect(() =>
      applyMixedPrecision(mlp('float64'), { computeDtype: 'float16', ops: ['Softmax'] }),
    ).toThrow(/mixedPrecision\.ops has "Softmax"/);
  });
});

describe('mixed-precision training step', () => {
  it('float64 master + float32 compute matches the float64 step over AdamW steps (MLP)', async () => {
    const batches = mlpBatches('float64', 5);
    const plain = await track(createTrainingStep(base(mlp('float64'))));
    const mixed = await track(
      createMixedPrecisionTestStep(
        { ...base(mlp('float64')), mixedPrecision: { dtype: 'float16' } },
        'float32',
      ),
    );
    let largest = 0;
    for (const batch of batches) {
      const a = await plain.run(batch, 0.01);
      const b = await mixed.run(batch, 0.01);
      expect(b.skipped).toBe(false);
      expect(b.lossScale).toBe(2 ** 16);
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-6 * Math.abs(a.loss));
      largest = Math.max(largest, Math.abs(a.loss - b.loss), paramDiff(plain, mixed));
    }
    expect(paramDiff(plain, mixed)).toBeLessThan(1e-5);
    // The compute really ran in float32: results differ from float64 at float32 rounding.
    expect(largest).toBeGreaterThan(0);
    expect(mixed.optimizerSteps).toBe(5);
  });

  it('float64 master + float32 compute matches the float64 step (tiny BERT)', async () => {
    const bert = () =>
      withLoss(
        buildBert(
          {
            vocab_size: 40,
            hidden_size: 16,
            num_hidden_layers: 2,
            num_attention_heads: 2,
            intermediate_size: 32,
            max_position_embeddings: 16,
            hidden_act: 'gelu_new',
          },
          { dtype: 'float64', head: { type: 'sequence-classification', numLabels: 3 }, seed: 4 },
        ).graph,
        'float64',
      );
    const ids = [
      [2, 7, 9, 11, 3, 0],
      [2, 15, 21, 3, 0, 0],
    ];
    const batch: Batch = {
      input_ids: tensor('int64', [2, 6], ids.flat()),
      attention_mask: tensor(
        'int64',
        [2, 6],
        ids.flat().map((t) => (t === 0 ? 0 : 1)),
      ),
      token_type_ids: tensor('int64', [2, 6], Array(12).fill(0)),
      labels: tensor('int64', [2], [1, 2]),
    };
    const plain = await track(createTrainingStep(base(bert())));
    const mixed = await track(
      createMixedPrecisionTestStep(
        { ...base(bert()), mixedPrecision: { dtype: 'float16' } },
        'float32',
      ),
    );
    for (let i = 0; i < 3; i++) {
      const a = await plain.run(batch, 1e-3);
      const b = await mixed.run(batch, 1e-3);
      expect(b.skipped).toBe(false);
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-6);
      expect(Math.abs((a.gradNorm ?? 0) - (b.gradNorm ?? 0))).toBeLessThan(
        1e-5 * (a.gradNorm ?? 1),
      );
    }
    const diff = paramDiff(plain, mixed);
    expect(diff).toBeLessThan(1e-5);
    expect(diff).toBeGreaterThan(0);
  });

  it('float16 compute on the CPU runs, but ONNX Runtime computes its forward in float32 (why the CPU is refused)', async () => {
    const batches = mlpBatches('float32', 4);
    const plain = await track(createTrainingStep(base(mlp('float32'))));
    const mixed = await track(
      createMixedPrecisionTestStep(
        { ...base(mlp('float32')), mixedPrecision: { dtype: 'float16' } },
        'float16',
      ),
    );
    let gradNormDiff = 0;
    for (const [i, batch] of batches.entries()) {
      const a = await plain.run(batch, 0.01);
      const b = await mixed.run(batch, 0.01);
      expect(b.skipped).toBe(false);
      // The CPU provider has no float16 Gemm: it runs the float32 kernel and drops the Cast
      // pairs, so from equal parameters the forward loss is the float32 one bit for bit ...
      if (i === 0) expect(b.loss).toBe(a.loss);
      expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5 * a.loss);
      // ... while a few float16 roundings survive in the backward.
      gradNormDiff = Math.max(gradNormDiff, Math.abs((a.gradNorm ?? 0) - (b.gradNorm ?? 0)));
      expect(Math.abs((a.gradNorm ?? 0) - (b.gradNorm ?? 0))).toBeLessThan(
        1e-3 * (a.gradNorm ?? 1),
      );
    }
    expect(gradNormDiff).toBeGreaterThan(0);
    expect(paramDiff(plain, mixed)).toBeLessThan(1e-3);
  });

  it.each([
    ['float64', 'float32', 2 ** 160],
    ['float32', 'float16', 2 ** 24],
  ] as const)(
    'an overflowing scale (%s master, %s compute) skips the update bit-exactly and backs off until training proceeds',
    async (master, compute, initScale) => {
      const batches = mlpBatches(master, 1);
      const batch = batches[0] as Batch;
      const options = {
        ...base(mlp(master)),
        mixedPrecision: { dtype: 'float16', initScale },
      } as const;
      const step = await track(createMixedPrecisionTestStep(options, compute));
      const before = snapshot(step);
      const first = await step.run(batch, 0.01);
      expect(first).toMatchObject({ updated: true, skipped: true, lossScale: initScale });
      expect(first.gradNorm).toBeUndefined();
      expect(Number.isFinite(first.loss)).toBe(true);
      expect(snapshot(step)).toEqual(before);
      expect(step.optimizerSteps).toBe(0);
      expect(step.getOptimizerState().lossScaler).toEqual({
        scale: initScale / 2,
        growthTracker: 0,
      });

      let result = first;
      let skips = 0;
      while (result.skipped) {
        skips++;
        expect(skips).toBeLessThan(60);
        result = await step.run(batch, 0.01);
      }
      expect(result.lossScale).toBe(initScale / 2 ** skips);
      expect(step.optimizerSteps).toBe(1);
      // The first real update equals the plain step's first update (AdamW step 1).
      const plain = await track(createTrainingStep(base(mlp(master))));
      const reference = await plain.run(batch, 0.01);
      expect(Math.abs(reference.loss - result.loss)).toBeLessThan(
        master === 'float64' ? 1e-6 : 5e-3,
      );
      expect(paramDiff(plain, step)).toBeLessThan(master === 'float64' ? 1e-6 : 1e-3);
    },
  );

  it('with gradient accumulation an overflow in any micro-batch skips the whole update, with one scale per cycle', async () => {
    const batches = mlpBatches('float64', 4);
    const first = batches[0] as Batch;
    // Inputs ×1e8 make the gradients ~1e8 larger: at scale 2^120 only they pass float32's 2^128.
    const big: Batch = {
      ...first,
      input: tensor(
        'float64',
        [8, 4],
        numbers(first.input).map((v) => v * 1e8),
      ),
    };
    const make = (initScale: number) =>
      track(
        createMixedPrecisionTestStep(
          {
            ...base(mlp('float64')),
            gradientAccumulationSteps: 2,
            mixedPrecision: { dtype: 'float16', initScale },
          },
          'float32',
        ),
      );
    // Ordinary batches are clean at that scale ...
    const clean = await make(2 ** 120);
    await clean.run(first, 0.01);
    expect(await clean.run(batches[1] as Batch, 0.01)).toMatchObject({
      updated: true,
      skipped: false,
      lossScale: 2 ** 120,
    });
    // ... and an overflow in the cycle's first micro-batch, followed by a clean one, skips it.
    const step = await make(2 ** 120);
    const before = snapshot(step);
    const start = await step.run(big, 0.01);
    expect(start).toMatchObject({ updated: false });
    expect(Number.isFinite(start.loss)).toBe(true);
    expect(start.lossScale).toBeUndefined();
    const end = await step.run(batches[1] as Batch, 0.01);
    expect(end).toMatchObject({ updated: true, skipped: true, lossScale: 2 ** 120 });
    expect(snapshot(step)).toEqual(before);
    expect(step.pendingMicroBatches).toBe(0);
    // The next cycle starts from zero accumulators with the halved scale and equals a fresh
    // step's first cycle run at that scale.
    const fresh = await make(2 ** 119);
    for (const batch of batches.slice(2)) {
      const a = await step.run(batch, 0.01);
      const b = await fresh.run(batch, 0.01);
      expect(a).toEqual(b);
    }
  });

  it('a fixed loss scale is fed every step and an overflow is a NON_FINITE_LOSS error', async () => {
    const batch = mlpBatches('float64', 1)[0] as Batch;
    const fixed = await track(
      createMixedPrecisionTestStep(
        { ...base(mlp('float64')), mixedPrecision: { dtype: 'float16', lossScaling: 1024 } },
        'float32',
      ),
    );
    const unscaled = await track(
      createMixedPrecisionTestStep(
        { ...base(mlp('float64')), mixedPrecision: { dtype: 'float16', lossScaling: false } },
        'float32',
      ),
    );
    const a = await fixed.run(batch, 0.01);
    const b = await unscaled.run(batch, 0.01);
    expect(a.lossScale).toBe(1024);
    expect(a.gradNorm).toBe(b.gradNorm);
    expect(fixed.getOptimizerState().lossScaler).toBeUndefined();
    const overflowing = await track(
      createMixedPrecisionTestStep(
        { ...base(mlp('float64')), mixedPrecision: { dtype: 'float16', lossScaling: 2 ** 160 } },
        'float32',
      ),
    );
    const before = snapshot(overflowing);
    const error = await expectError(overflowing.run(batch, 0.01), 'NON_FINITE_LOSS');
    expect(error.message).toMatch(/gradient norm is (Infinity|NaN)/);
    expect(error.message).toMatch(/lossScaling .* lower it or pass lossScaling: 'dynamic'/);
    expect(snapshot(overflowing)).toEqual(before);
  });

  it('grows the scale after growthInterval clean steps', async () => {
    const batches = mlpBatches('float64', 7);
    const mixed: MixedPrecisionOptions = {
      dtype: 'float16',
      initScale: 256,
      growthInterval: 3,
      growthFactor: 4,
    };
    const step = await track(
      createMixedPrecisionTestStep({ ...base(mlp('float64')), mixedPrecision: mixed }, 'float32'),
    );
    const scales: number[] = [];
    for (const batch of batches) scales.push((await step.run(batch, 0.01)).lossScale as number);
    expect(scales).toEqual([256, 256, 256, 1024, 1024, 1024, 4096]);
    expect(step.getOptimizerState().lossScaler).toEqual({ scale: 4096, growthTracker: 1 });
  });

  it('loss scaling does not change gradients: scaled and unscaled steps are bit-identical, with and without accumulation', async () => {
    for (const gradientAccumulationSteps of [1, 2]) {
      const batches = mlpBatches('float64', 4);
      const make = (lossScaling: 'dynamic' | false) =>
        track(
          createMixedPrecisionTestStep(
            {
              ...base(mlp('float64')),
              gradientAccumulationSteps,
              maxGradNorm: 0.5,
              mixedPrecision: { dtype: 'float16', lossScaling, initScale: 2 ** 40 },
            },
            'float32',
          ),
        );
      const unscaled = await make(false);
      const scaled = await make('dynamic');
      for (const batch of batches) {
        const a = await unscaled.run(batch, 0.01);
        const b = await scaled.run(batch, 0.01);
        expect(b.loss).toBe(a.loss);
        expect(b.gradNorm).toBe(a.gradNorm);
        expect(a.lossScale).toBeUndefined();
        if (b.updated) expect(b.lossScale).toBe(2 ** 40);
      }
      expect(snapshot(scaled)).toEqual(snapshot(unscaled));
    }
  });

  it('the compiled gradient graph yields scale × gradient, which divides back to the unscaled gradient', async () => {
    const { createSession } = await import('../runtime/session.js');
    const graph = applyMixedPrecision(mlp('float64'), { computeDtype: 'float32' });
    const compiled = compileTrainingStep({
      graph,
      loss: 'loss',
      optimizer: { type: 'sgd' },
      gradientAccumulationSteps: 2,
      lossScaling: true,
    });
    const session = await createSession(compiled.grad as Graph, { threads: 1 });
    const batch = mlpBatches('float64', 1)[0] as Batch;
    const feeds: Batch = { ...batch };
    for (const p of compiled.params) {
      feeds[p.name] = graph.initializers.get(p.name) as TensorData;
      feeds[`${p.name}.grad_acc`] = tensor(
        'float64',
        p.dims,
        Array(p.dims.reduce((a, d) => a * d, 1)).fill(0),
      );
    }
    const gradsAt = async (scale: number) => {
      const out = await session.run({ ...feeds, loss_scale: tensor('float64', [], [scale]) });
      return compiled.params.map((p) => numbers(out[`${p.name}.grad_acc.next`]));
    };
    const one = await gradsAt(1);
    const scaled = await gradsAt(3 * 2 ** 20);
    await session.release();
    one.forEach((g, i) => {
      // Not a power of two, so the float32 compute rounds the scaled gradients differently.
      const back = (scaled[i] as number[]).map((v) => v / (3 * 2 ** 20));
      const largest = Math.max(...g.map(Math.abs));
      expect(largest).toBeGreaterThan(0);
      expect(maxAbsDiff(back, g)).toBeLessThan(1e-6 * largest);
    });
  });

  it('on the CPU: refused with a clear error, or full precision (warned once) with onCpu: fp32', async () => {
    const refused = await expectError(
      createTrainingStep({ ...base(mlp('float32')), mixedPrecision: { dtype: 'float16' } }),
      'INVALID_ARGUMENT',
    );
    expect(refused.message).toMatch(/needs the CUDA execution provider/);
    expect(refused.message).toMatch(/executionProvider: 'cuda'/);
    expect(refused.message).toMatch(/onCpu: 'fp32'/);
    // CUDA asked for but its libraries are missing here: the fallback is refused as well.
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fallback = await expectError(
      createTrainingStep({
        ...base(mlp('float32')),
        session: { threads: 1, executionProvider: 'cuda' },
        mixedPrecision: { dtype: 'float16' },
      }),
      'PROVIDER_UNAVAILABLE',
    );
    expect(fallback.message).toMatch(/fell back to the CPU/);
    vi.restoreAllMocks();

    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const options = {
      ...base(mlp('float32')),
      mixedPrecision: { dtype: 'float16', onCpu: 'fp32' },
    } as const;
    const full = await track(createTrainingStep(options));
    const again = await track(createTrainingStep(options));
    const mpWarnings = warn.mock.calls.filter((c) =>
      String(c[0]).includes('mixedPrecision is ignored'),
    );
    expect(mpWarnings).toHaveLength(1);
    const plain = await track(createTrainingStep(base(mlp('float32'))));
    for (const batch of mlpBatches('float32', 3)) {
      const a = await plain.run(batch, 0.01);
      const b = await full.run(batch, 0.01);
      await again.run(batch, 0.01);
      expect(b).toEqual(a);
    }
    expect(snapshot(full)).toEqual(snapshot(plain));
    expect(full.getOptimizerState().lossScaler).toBeUndefined();
  });

  it('rejects bad options, naming the field', async () => {
    const cases: Array<[MixedPrecisionOptions, RegExp]> = [
      [
        { dtype: 'bfloat16' as 'float16' },
        /mixedPrecision\.dtype .*bfloat16 compute is not supported yet/,
      ],
      [{ dtype: 'float16', growthFactor: 1 }, /mixedPrecision\.growthFactor must be > 1/],
      [{ dtype: 'float16', backoffFactor: 2 }, /mixedPrecision\.backoffFactor must be in \(0, 1\)/],
      [
        { dtype: 'float16', growthInterval: 0.5 },
        /mixedPrecision\.growthInterval must be an integer/,
      ],
      [
        { dtype: 'float16', lossScaling: -1 },
        /mixedPrecision\.lossScaling must be a finite number > 0/,
      ],
      [
        { dtype: 'float16', onCpu: 'gpu' as 'fp32' },
        /mixedPrecision\.onCpu must be 'error' or 'fp32'/,
      ],
    ];
    for (const [mixedPrecision, message] of cases) {
      const error = await expectError(
        createMixedPrecisionTestStep({ ...base(mlp('float64')), mixedPrecision }, 'float32'),
        'INVALID_ARGUMENT',
      );
      expect(error.message).toMatch(message);
    }
  });

  it('the scaler state survives a checkpoint: a resumed run ends bit-identical to an uninterrupted one', async () => {
    const dir = await createTempDir('ft-mp-');
    try {
      const samples = mlpBatches('float64', 1, 32)[0] as Batch;
      const source = {
        size: 32,
        batch(indices: number[]): Batch {
          const x = samples.input?.data as Float64Array;
          const y = samples.labels?.data as BigInt64Array;
          return {
            input: tensor(
              'float64',
              [indices.length, 4],
              indices.flatMap((i) => Array.from(x.slice(i * 4, i * 4 + 4))),
            ),
            labels: tensor(
              'int64',
              [indices.length],
              indices.map((i) => Number(y[i])),
            ),
          };
        },
      };
      // initScale 2^135 overflows the float32 compute: the first steps skip and back off.
      const mixedPrecision: MixedPrecisionOptions = {
        dtype: 'float16',
        initScale: 2 ** 135,
        growthInterval: 2,
      };
      const make = () =>
        track(createMixedPrecisionTestStep({ ...base(mlp('float64')), mixedPrecision }, 'float32'));
      const common = {
        data: { train: source },
        batchSize: 4,
        maxSteps: 8,
        lr: 0.01,
        seed: 1,
        progress: false,
      };
      const whole = await make();
      const events: boolean[] = [];
      const wholeRun = await train({
        ...common,
        step: whole,
        onEvent: (e) => {
          if (e.type === 'step') events.push(e.skipped);
        },
      });
      const first = await make();
      await train({ ...common, step: first, maxSteps: 5, outputDir: dir.path, saveSteps: 5 });
      const saved = first.getOptimizerState().lossScaler;
      const resumed = await make();
      await train({
        ...common,
        step: resumed,
        outputDir: dir.path,
        resumeFrom: join(dir.path, 'checkpoint-5'),
      });
      expect(resumed.getOptimizerState().lossScaler).toEqual(whole.getOptimizerState().lossScaler);
      expect(snapshot(resumed)).toEqual(snapshot(whole));
      // The run did skip and grow: the saved state is not the initial one.
      expect(saved?.scale).toBeLessThan(2 ** 135);
      expect(whole.optimizerSteps).toBeLessThan(8);
      // The loop counts the overflowed updates as steps (HF's global step) and as skipped.
      expect(events).toHaveLength(8);
      expect(wholeRun.skippedSteps).toBe(8 - whole.optimizerSteps);
      expect(events.filter(Boolean)).toHaveLength(8 - whole.optimizerSteps);

      // A corrupt scaler entry is refused, naming the file and the fields.
      const file = join(dir.path, 'checkpoint-5', 'optimizer.safetensors');
      const content = await readSafetensors(file);
      await writeSafetensors(file, content.tensors, { ...content.metadata, loss_scale: 'abc' });
      const error = await expectError(
        loadCheckpoint(join(dir.path, 'checkpoint-5'), resumed),
        'CHECKPOINT',
      );
      expect(error.file).toBe(file);
      expect(error.message).toMatch(/"loss_scale" \(abc\)/);
    } finally {
      await dir.cleanup();
    }
  });
});
