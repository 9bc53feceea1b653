// The compiled training step: training an MLP, AdamW against a hand-computed update, gradient
// accumulation = one large batch, buffer reuse, state round trips, dropout handling.
import { describe, expect, it, vi } from 'vitest';
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { buildMlp, makeClusters, sliceBatch } from './testing.js';
import {
  createTrainingStep,
  dropoutSeedFor,
  STEP_BUFFERS,
  type StepBuffers,
} from './training-step.js';
import type { TrainingStep } from './types.js';

const f64 = (t: TensorData | undefined) => Array.from(t?.data as Float64Array);
const f32 = (t: TensorData | undefined) => Array.from(t?.data as Float32Array);
const maxAbsDiff = (a: number[], b: number[]) => {
  expect(a.length).toBe(b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
};
const buffers = (step: TrainingStep) =>
  (step as unknown as { [STEP_BUFFERS](): StepBuffers })[STEP_BUFFERS]();

async function expectTrainerError(promise: Promise<unknown> | (() => unknown), code: string) {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(TrainerError);
  expect((error as TrainerError).code).toBe(code);
  return error as TrainerError;
}

describe('createTrainingStep', () => {
  it('trains an MLP classifier with AdamW: loss falls, parameters change', async () => {
    const data = makeClusters(24);
    const step = await createTrainingStep({
      graph: buildMlp(),
      loss: 'loss',
      optimizer: { type: 'adamw', weightDecay: 0.01 },
      outputs: ['logits'],
      session: { threads: 1 },
    });
    expect(step.trainableParameters).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    const before = step.getParameters();
    const initial = await step.evaluate(data);
    const losses: number[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await step.run(data, 0.05);
      expect(r.updated).toBe(true);
      expect(r.gradNorm).toBeGreaterThan(0);
      expect(r.outputs.logits?.dims).toEqual([24, 3]);
      losses.push(r.loss);
    }
    const final = await step.evaluate(data);
    console.log(
      `MLP AdamW: loss ${initial.loss.toFixed(4)} → ${final.loss.toFixed(4)} after 50 steps; run losses ${losses[0]?.toFixed(4)} … ${losses[49]?.toFixed(4)}`,
    );
    expect(step.optimizerSteps).toBe(50);
    // The first run's loss is the loss before any update: same as evaluate (no dropout here).
    expect(losses[0]).toBeCloseTo(initial.loss, 6);
    expect(final.loss).toBeLessThan(initial.loss * 0.1);
    // Every logits row now picks its cluster.
    const logits = f32(final.outputs.logits);
    const labels = Array.from(data.labels.data as BigInt64Array, Number);
    labels.forEach((label, i) => {
      const row = logits.slice(i * 3, i * 3 + 3);
      expect(row.indexOf(Math.max(...row))).toBe(label);
    });
    const after = step.getParameters();
    for (const name of step.trainableParameters) {
      expect(maxAbsDiff(f32(after.get(name)), f32(before.get(name)))).toBeGreaterThan(1e-3);
    }
    await step.release();
  });

  it('matches a hand-computed AdamW update (analytic gradients, float64, bias correction, no decay on the bias)', async () => {
    // pred = x·w + b, loss = mean((pred − t)²): dL/dw = 2/N·xᵀ(pred − t), dL/db = 2/N·Σ(pred − t).
    const X = [
      [1, 2],
      [-1, 0.5],
      [0.3, -2],
      [2, 1],
    ];
    const T = [1, -1, 0.5, 2];
    const b = createGraphBuilder({ name: 'linear' });
    const x = b.input('x', 'float64', [4, 2]);
    const t = b.input('t', 'float64', [4, 1]);
    b.initializer('linear.weight', tensor('float64', [2, 1], [0.5, -0.25]));
    b.initializer('linear.bias', tensor('float64', [1], [0.1]));
    const pred = b.op('Add', [b.op('MatMul', [x, 'linear.weight']), 'linear.bias']);
    const diff = b.op('Sub', [pred, t]);
    b.op('ReduceMean', [b.op('Mul', [diff, diff])], { keepdims: 0 }, { outputs: ['loss'] });
    b.output('loss', 'float64', []);
    const opt = { beta1: 0.8, beta2: 0.95, eps: 1e-6, weightDecay: 0.1 };
    const step = await createTrainingStep({
      graph: b.graph,
      loss: 'loss',
      optimizer: { type: 'adamw', ...opt },
      session: { threads: 1 },
    });
    const batch = {
      x: tensor('float64', [4, 2], X.flat()),
      t: tensor('float64', [4, 1], T),
    };
    // Reference, in plain float64 arithmetic.
    let w = [0.5, -0.25];
    let bias = 0.1;
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    const lrs = [0.1, 0.05, 0.02];
    for (let k = 0; k < lrs.length; k++) {
      // The learning rate is a float32 graph input, cast to the parameters' float64.
      const lr = Math.fround(lrs[k] as number);
      const r = X.map(
        (row, i) =>
          (row[0] as number) * (w[0] as number) +
          (row[1] as number) * (w[1] as number) +
          bias -
          (T[i] as number),
      );
      const loss = r.reduce((s, e) => s + e * e, 0) / 4;
      const g = [
        (2 / 4) * r.reduce((s, e, i) => s + e * (X[i]?.[0] as number), 0),
        (2 / 4) * r.reduce((s, e, i) => s + e * (X[i]?.[1] as number), 0),
        (2 / 4) * r.reduce((s, e) => s + e, 0),
      ];
      const p = [
        (w[0] as number) * (1 - lr * opt.weightDecay),
        (w[1] as number) * (1 - lr * opt.weightDecay),
        bias,
      ];
      const tStep = k + 1;
      for (let j = 0; j < 3; j++) {
        m[j] = opt.beta1 * (m[j] as number) + (1 - opt.beta1) * (g[j] as number);
        v[j] = opt.beta2 * (v[j] as number) + (1 - opt.beta2) * (g[j] as number) ** 2;
        const mHat = (m[j] as number) / (1 - opt.beta1 ** tStep);
        const vHat = (v[j] as number) / (1 - opt.beta2 ** tStep);
        p[j] = (p[j] as number) - (lr * mHat) / (Math.sqrt(vHat) + opt.eps);
      }
      w = [p[0] as number, p[1] as number];
      bias = p[2] as number;
      const result = await step.run(batch, lrs[k] as number);
      expect(result.loss).toBeCloseTo(loss, 12);
      expect(result.gradNorm).toBeCloseTo(Math.hypot(...g), 12);
      const params = step.getParameters();
      expect(maxAbsDiff(f64(params.get('linear.weight')), w)).toBeLessThan(1e-12);
      expect(maxAbsDiff(f64(params.get('linear.bias')), [bias])).toBeLessThan(1e-12);
      const state = step.getOptimizerState();
      expect(state.step).toBe(k + 1);
      expect(
        maxAbsDiff(f64(state.tensors.get('linear.weight.exp_avg')), m.slice(0, 2)),
      ).toBeLessThan(1e-12);
      expect(maxAbsDiff(f64(state.tensors.get('linear.bias.exp_avg_sq')), v.slice(2))).toBeLessThan(
        1e-12,
      );
    }
    await step.release();
  });

  it('accumulating two half-batches gives the same update as one full batch (with clipping)', async () => {
    const data = makeClusters(12, { seed: 5 });
    const common = {
      graph: buildMlp({ seed: 3 }),
      loss: 'loss',
      optimizer: { type: 'adamw' as const },
      maxGradNorm: 0.5,
      session: { threads: 1 },
    };
    const full = await createTrainingStep(common);
    const accum = await createTrainingStep({ ...common, gradientAccumulationSteps: 2 });
    const halves = [sliceBatch(data, 0, 6), sliceBatch(data, 6, 12)];
    for (let k = 0; k < 3; k++) {
      const lr = 0.02 * (k + 1);
      const a = await full.run(data, lr);
      const h1 = await accum.run(halves[0] as Record<string, TensorData>, lr);
      expect(h1.updated).toBe(false);
      expect(h1.gradNorm).toBeUndefined();
      expect(accum.pendingMicroBatches).toBe(1);
      const h2 = await accum.run(halves[1] as Record<string, TensorData>, lr);
      expect(h2.updated).toBe(true);
      expect(accum.pendingMicroBatches).toBe(0);
      // Equal halves of a mean loss: the full-batch loss is the mean of the halves' losses.
      expect((h1.loss + h2.loss) / 2).toBeCloseTo(a.loss, 5);
      expect(h2.gradNorm).toBeCloseTo(a.gradNorm as number, 5);
      expect(a.gradNorm).toBeGreaterThan(0.5); // clipping was active
    }
    expect(accum.optimizerSteps).toBe(3);
    const pf = full.getParameters();
    const pa = accum.getParameters();
    let worst = 0;
    for (const name of full.trainableParameters)
      worst = Math.max(worst, maxAbsDiff(f32(pa.get(name)), f32(pf.get(name))));
    console.log(
      `accumulation (2 × 6 rows) vs full batch (12 rows), 3 AdamW steps: max |Δparam| = ${worst.toExponential(2)}`,
    );
    expect(worst).toBeLessThan(1e-6);
    // …and the parameters really moved.
    expect(
      maxAbsDiff(
        f32(pf.get('fc1.weight')),
        f32(buildMlp({ seed: 3 }).initializers.get('fc1.weight')),
      ),
    ).toBeGreaterThan(1e-3);
    await full.release();
    await accum.release();
  });

  it('writes updates into the same two pre-allocated buffers every step', async () => {
    const data = makeClusters(9);
    const step = await createTrainingStep({
      graph: buildMlp(),
      loss: 'loss',
      optimizer: { type: 'adamw' },
      session: { threads: 1 },
    });
    const first = buffers(step);
    expect([...first.keys()]).toContain('fc1.weight.exp_avg_sq');
    let previous = f32({
      dtype: 'float32',
      dims: [],
      data: first.get('fc1.weight')?.arrays[0] as Float32Array,
    });
    for (let i = 0; i < 6; i++) {
      await step.run(data, 0.01);
      const now = buffers(step);
      for (const [name, entry] of now) {
        const original = first.get(name);
        expect(entry.arrays[0]).toBe(original?.arrays[0]);
        expect(entry.arrays[1]).toBe(original?.arrays[1]);
        expect(entry.current).toBe((i + 1) % 2);
      }
      const current = now.get('fc1.weight');
      const values = Array.from(current?.arrays[current.current] as Float32Array);
      expect(maxAbsDiff(values, previous)).toBeGreaterThan(0);
      previous = values;
    }
    await step.release();
  });

  it('round-trips parameters and optimizer state: a restored step continues identically', async () => {
    const data = makeClusters(12);
    const options = {
      graph: buildMlp(),
      loss: 'loss',
      optimizer: { type: 'sgd' as const, momentum: 0.9, nesterov: true, weightDecay: 0.01 },
      session: { threads: 1 },
    };
    const a = await createTrainingStep(options);
    for (let i = 0; i < 3; i++) await a.run(data, 0.1);
    const params = a.getParameters();
    const state = a.getOptimizerState();
    expect([...state.tensors.keys()]).toEqual([
      'fc1.weight.momentum_buffer',
      'fc1.bias.momentum_buffer',
      'fc2.weight.momentum_buffer',
      'fc2.bias.momentum_buffer',
    ]);
    expect(state.step).toBe(3);

    const b = await createTrainingStep(options);
    b.setParameters(params);
    b.setOptimizerState(state);
    expect(b.optimizerSteps).toBe(3);
    expect(f32(b.getParameters().get('fc2.bias'))).toEqual(f32(params.get('fc2.bias')));
    const ra = await a.run(data, 0.1);
    const rb = await b.run(data, 0.1);
    expect(rb.loss).toBe(ra.loss);
    for (const name of a.trainableParameters) {
      expect(f32(b.getParameters().get(name))).toEqual(f32(a.getParameters().get(name)));
    }
    // Copies, not views: editing what getParameters returned changes nothing.
    const copy = a.getParameters();
    const view = copy.get('fc1.bias')?.data;
    expect(view).toBeInstanceOf(Float32Array);
    if (view instanceof Float32Array) view.fill(99);
    expect(f32(a.getParameters().get('fc1.bias'))).not.toContain(99);

    const wrong = await expectTrainerError(
      () =>
        b.setParameters(
          new Map([['fc1.weight', tensor('float32', [8, 4], new Array(32).fill(0))]]),
        ),
      'CHECKPOINT',
    );
    expect(wrong.message).toMatch(
      /parameter "fc1.weight" is float32 \[8, 4\] but the model has float32 \[4, 8\]/,
    );
    await expectTrainerError(
      () => b.setParameters(new Map([['fc9.weight', tensor('float32', [1], [0])]])),
      'CHECKPOINT',
    );
    const partial = new Map(state.tensors);
    partial.delete('fc2.bias.momentum_buffer');
    const missing = await expectTrainerError(
      () => b.setOptimizerState({ tensors: partial, step: 3 }),
      'CHECKPOINT',
    );
    expect(missing.message).toMatch(/"fc2.bias.momentum_buffer" is missing/);
    await a.release();
    await b.release();
  });

  it('evaluates with dropout off: an eval graph without Dropout nodes', async () => {
    const data = makeClusters(12);
    const withDropout = buildMlp({ dropout: 0.5 });
    const step = await createTrainingStep({
      graph: withDropout,
      loss: 'loss',
      optimizer: { type: 'adamw' },
      outputs: ['logits'],
      session: { threads: 1 },
    });
    // Reference: the same weights in a graph built without dropout.
    const plain = await createSession(
      { ...buildMlp(), outputs: [{ name: 'loss', dtype: 'float32', shape: [] }] } as Graph,
      { threads: 1 },
    );
    const expected = Number((await plain.run(data)).loss?.data[0]);
    const e1 = await step.evaluate(data);
    const e2 = await step.evaluate(data);
    expect(e1.loss).toBeCloseTo(expected, 6);
    expect(e2.loss).toBe(e1.loss);
    // Training runs do apply dropout (the loss differs from the deterministic eval loss).
    const r = await step.run(data, 0);
    expect(Math.abs(r.loss - expected)).toBeGreaterThan(1e-4);
    await plain.release();
    await step.release();
  });

  it('feeds dropout_seed = dropoutSeedFor(seed, step, micro-batch) and refuses an eval graph that still reads it', async () => {
    const b = createGraphBuilder({ name: 'seeded' });
    const x = b.input('x', 'float32', [2]);
    b.input('dropout_seed', 'int64', []);
    b.initializer('w', tensor('float32', [2], [1, 2]));
    const y = b.op('Mul', [x, 'w']);
    b.op('ReduceSum', [b.op('Mul', [y, y])], { keepdims: 0 }, { outputs: ['loss'] });
    b.op('Identity', ['dropout_seed'], {}, { outputs: ['seed_echo'] });
    b.output('loss', 'float32', []);
    const step = await createTrainingStep({
      graph: b.graph,
      loss: 'loss',
      optimizer: { type: 'sgd' },
      gradientAccumulationSteps: 2,
      seed: 42,
      outputs: ['seed_echo'],
      session: { threads: 1 },
    });
    const batch = { x: tensor('float32', [2], [1, -1]) };
    const seen: bigint[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await step.run(batch, 0.1);
      seen.push(r.outputs.seed_echo?.data[0] as bigint);
    }
    expect(seen).toEqual([
      dropoutSeedFor(42, 0, 0),
      dropoutSeedFor(42, 0, 1),
      dropoutSeedFor(42, 1, 0),
      dropoutSeedFor(42, 1, 1),
    ]);
    expect(new Set(seen).size).toBe(4);
    expect(dropoutSeedFor(42, 1, 1)).toBe(dropoutSeedFor(42, 1, 1));
    expect(dropoutSeedFor(43, 1, 1)).not.toBe(dropoutSeedFor(42, 1, 1));
    for (const s of seen) expect(s >= 0n && s < 2n ** 62n).toBe(true);
    const error = await expectTrainerError(step.evaluate(batch), 'INVALID_GRAPH');
    expect(error.node).toBe('Identity_0');
    expect(error.message).toMatch(/still reads "dropout_seed"/);
    await step.release();
  });

  it('keeps frozen parameters fixed, rejects a non-finite loss and leaves the parameters untouched', async () => {
    const data = makeClusters(6);
    const step = await createTrainingStep({
      graph: buildMlp(),
      loss: 'loss',
      frozen: /^fc1\./,
      optimizer: { type: 'adamw' },
      session: { threads: 1 },
    });
    expect(step.trainableParameters).toEqual(['fc2.weight', 'fc2.bias']);
    await step.run(data, 0.1);
    const before = step.getParameters();
    const bad = { ...data, x: tensor('float32', [6, 4], new Array(24).fill(Number.NaN)) };
    const error = await expectTrainerError(step.run(bad, 0.1), 'NON_FINITE_LOSS');
    expect(error.message).toMatch(/loss is NaN at optimizer step 1/);
    expect(step.optimizerSteps).toBe(1);
    expect(f32(step.getParameters().get('fc2.weight'))).toEqual(f32(before.get('fc2.weight')));
    await expectTrainerError(step.run({ x: data.x }, 0.1), 'INVALID_ARGUMENT');
    await expectTrainerError(step.run({ ...data, extra: data.x }, 0.1), 'INVALID_ARGUMENT');
    await step.release();
    await expectTrainerError(
      createTrainingStep({
        graph: buildMlp(),
        loss: 'loss',
        params: ['nope'],
        optimizer: { type: 'adamw' },
      }),
      'INVALID_ARGUMENT',
    );
  });

  it("falls back to the CPU when 'cuda' is asked for and its libraries are missing", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const data = makeClusters(6);
    const step = await createTrainingStep({
      graph: buildMlp(),
      loss: 'loss',
      optimizer: { type: 'adamw' },
      session: { threads: 1, executionProvider: 'cuda' },
    });
    expect(step.executionProvider).toBe('cpu');
    const r = await step.run(data, 0.01);
    expect(Number.isFinite(r.loss)).toBe(true);
    await step.release();
    const strict = await expectTrainerError(
      createTrainingStep({
        graph: buildMlp(),
        loss: 'loss',
        optimizer: { type: 'adamw' },
        session: { executionProvider: 'cuda', requireCuda: true },
      }),
      'PROVIDER_UNAVAILABLE',
    );
    expect(strict.message).toMatch(/ONNXRUNTIME_NODE_INSTALL=cuda12/);
    warn.mockRestore();
  });
});
