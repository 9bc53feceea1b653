// prepareForeignModel on an Optimum-style BERT export: fine-tuning with frozen initializers,
// gradients of the imported graph against central differences, and clear errors.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { describe, expect, it } from 'vitest';
import { buildGradients } from '../autodiff/engine.js';
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { saveOnnxFile } from '../ir/external-data.js';
import { toOnnxBytes } from '../ir/onnx-export.js';
import { fromOnnxBytes } from '../ir/onnx-import.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { int64Matrix, maxAbsDiff, numbers } from '../models/testing.js';
import { createSession } from '../runtime/session.js';
import { cloneGraph } from '../step/graph-utils.js';
import { createTrainingStep } from '../step/training-step.js';
import { prepareForeignModel } from './prepare-foreign-model.js';
import { buildOptimumBert } from './testing.js';

const BYTES = buildOptimumBert();
const TRAINABLE = ['classifier.*', 'bert.pooler.*', '*LayerNorm*'];
const LOSS = { output: 'logits', type: 'cross-entropy', labelsInput: 'labels' } as const;

function batch(rows: number[][], labels: number[]): Record<string, TensorData> {
  return {
    input_ids: int64Matrix(rows),
    attention_mask: int64Matrix(rows.map((r) => r.map((t) => (t === 0 ? 0 : 1)))),
    token_type_ids: int64Matrix(rows.map((r) => r.map(() => 0))),
    labels: tensor('int64', [labels.length], labels),
  };
}
const BATCH = batch(
  [
    [1, 5, 9, 3, 2],
    [1, 7, 2, 0, 0],
    [1, 12, 4, 8, 2],
    [1, 15, 2, 0, 0],
  ],
  [0, 2, 1, 2],
);

describe('prepareForeignModel', () => {
  it('picks trainable initializers by pattern, freezes the rest and adds the loss', async () => {
    const model = await prepareForeignModel(BYTES, { trainable: TRAINABLE, loss: LOSS });
    expect(model.opset).toEqual({ from: 14, to: 17 });
    expect(model.graph.opset).toBe(17);
    expect(model.parameters).toEqual([
      'bert.embeddings.LayerNorm.weight',
      'bert.embeddings.LayerNorm.bias',
      'bert.encoder.layer.0.attention.output.LayerNorm.weight',
      'bert.encoder.layer.0.attention.output.LayerNorm.bias',
      'bert.encoder.layer.0.output.LayerNorm.weight',
      'bert.encoder.layer.0.output.LayerNorm.bias',
      'bert.pooler.dense.weight',
      'bert.pooler.dense.bias',
      'classifier.weight',
      'classifier.bias',
    ]);
    expect(model.frozen).toContain('bert.embeddings.word_embeddings.weight');
    expect(model.frozen).toContain('onnx::MatMul_100');
    expect(model.frozen).not.toContain('bert.embeddings.position_ids'); // int64: never a parameter
    expect(model.inputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids', 'labels']);
    expect(model.outputs).toEqual(['logits', 'last_hidden_state', 'loss']);
    expect(model.graph.inputs.at(-1)).toEqual({
      name: 'labels',
      dtype: 'int64',
      shape: ['batch_size'],
    });
    // A RegExp selects the same way.
    const byRegExp = await prepareForeignModel(BYTES, {
      trainable: /^classifier\.|^bert\.pooler\.|LayerNorm/g,
      loss: LOSS,
    });
    expect(byRegExp.parameters).toEqual(model.parameters);
  });

  it('fine-tunes: loss falls, frozen initializers stay bit-identical, dynamic batch and sequence', async () => {
    const model = await prepareForeignModel(BYTES, { trainable: TRAINABLE, loss: LOSS });
    const frozenBefore = new Map(
      model.frozen.map((n) => [n, numbers(model.graph.initializers.get(n))] as const),
    );
    const step = await createTrainingStep({
      graph: model.graph,
      loss: model.loss,
      params: model.parameters,
      optimizer: { type: 'adamw', weightDecay: 0.01 },
      outputs: ['logits'],
      session: { threads: 1 },
    });
    const losses: number[] = [];
    for (let i = 0; i < 12; i++) losses.push((await step.run(BATCH, 3e-2)).loss);
    // Another batch size and sequence length through the same compiled step.
    const other = await step.run(
      batch(
        [
          [1, 6, 2],
          [1, 9, 2],
          [1, 3, 2],
        ],
        [1, 0, 2],
      ),
      1e-6,
    );
    expect(other.outputs.logits?.dims).toEqual([3, 3]);
    console.log(`foreign BERT fine-tune losses: ${losses.map((l) => l.toFixed(4)).join(' ')}`);
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) * 0.5);
    expect([...step.getParameters().keys()]).toEqual(model.parameters);
    for (const [name, values] of frozenBefore) {
      expect(numbers(model.graph.initializers.get(name)), name).toEqual(values);
    }
    // The step's forward = the original graph with only the trainable values replaced, so the
    // frozen weights it used are the original ones.
    const evaluated = await step.evaluate(BATCH);
    const trained = cloneGraph(model.graph);
    for (const [name, value] of step.getParameters()) trained.initializers.set(name, value);
    const session = await createSession(trained, { threads: 1 });
    const direct = await session.run(BATCH);
    await session.release();
    await step.release();
    expect(maxAbsDiff(numbers(direct.logits), numbers(evaluated.outputs.logits))).toBeLessThan(
      1e-6,
    );
    expect(Number(direct.loss?.data[0])).toBeCloseTo(evaluated.loss, 6);
  });

  it('gradients of the imported graph match central differences (float32)', async () => {
    // Every op of the export is on a differentiated path: embeddings, decomposed LayerNorm,
    // attention reshapes, Where mask, Erf GELU, Gemm head.
    const model = await prepareForeignModel(BYTES, {
      trainable: [
        'bert.embeddings.word_embeddings.weight',
        'onnx::MatMul_100',
        'onnx::MatMul_105',
        'bert.encoder.layer.0.attention.output.LayerNorm.weight',
        'classifier.weight',
      ],
      loss: LOSS,
    });
    const graph = cloneGraph(model.graph);
    const values: Record<string, TensorData> = {};
    for (const p of model.parameters) {
      values[p] = graph.initializers.get(p) as TensorData;
      graph.initializers.delete(p);
      graph.inputs.push({ name: p, dtype: 'float32', shape: values[p]?.dims });
    }
    const { grads } = buildGradients(graph, { loss: model.loss, wrt: model.parameters });
    const b = createGraphBuilder({ graph });
    for (const p of model.parameters) b.output(grads.get(p) as string, 'float32');
    const session = await createSession(toOnnxBytes(graph), { threads: 1 });
    const feeds = { ...BATCH, ...values };
    const analytic = await session.run(feeds);
    const eps = 1e-2; // float32: truncation O(eps²) ~1e-5 beats rounding ~6e-8/eps
    let worst = 0;
    let largest = 0;
    let checked = 0;
    for (const p of model.parameters) {
      const base = values[p] as TensorData;
      const g = analytic[grads.get(p) as string]?.data as Float32Array;
      // Word embeddings: rows of tokens in the batch (others have zero gradient).
      const indices = p.includes('word_embeddings')
        ? [5 * 8, 5 * 8 + 3, 12 * 8 + 7, 19 * 8]
        : [0, 3, 7, 10, 13].filter((i) => i < base.data.length);
      for (const index of indices) {
        const shifted = (delta: number) => {
          const data = Float32Array.from(base.data as Float32Array);
          data[index] = (data[index] as number) + delta;
          return { ...base, data };
        };
        const plus = await session.run({ ...feeds, [p]: shifted(eps) }, [model.loss]);
        const minus = await session.run({ ...feeds, [p]: shifted(-eps) }, [model.loss]);
        const numeric =
          (Number(plus[model.loss]?.data[0]) - Number(minus[model.loss]?.data[0])) / (2 * eps);
        const a = g[index] as number;
        expect(Math.abs(a - numeric), `${p}[${index}]: ${a} vs ${numeric}`).toBeLessThan(
          2e-4 + 1e-2 * Math.abs(numeric),
        );
        worst = Math.max(worst, Math.abs(a - numeric));
        largest = Math.max(largest, Math.abs(numeric));
        checked++;
      }
    }
    await session.release();
    console.log(
      `foreign BERT gradients: ${checked} elements, max |analytic − numeric| ${worst.toExponential(2)}, max |gradient| ${largest.toExponential(2)}`,
    );
    expect(largest).toBeGreaterThan(1e-2); // not a comparison of zeros
    // Row 19 is not in the batch: its gradient is exactly zero.
    expect(
      analytic[grads.get('bert.embeddings.word_embeddings.weight') as string]?.data[19 * 8],
    ).toBe(0);
  });

  it('keeps the declared opset with upgradeOpset: false (then the opset-14 Gather gradient is refused)', async () => {
    await expect(
      prepareForeignModel(BYTES, { trainable: TRAINABLE, loss: LOSS, upgradeOpset: false }),
    ).rejects.toThrow(/Gather gradient .* needs opset 16 or later \(the graph has 14\)/);
  });

  it('reads a path, and mse over a float output with float labels', async () => {
    const dir = await createTempDir('ft-foreign-');
    try {
      const path = join(dir.path, 'model.onnx');
      await writeFile(path, BYTES);
      const model = await prepareForeignModel(path, {
        trainable: ['classifier.*'],
        loss: { output: 'logits', type: 'mse', labelsInput: 'targets' },
      });
      expect(model.labels).toBe('targets');
      expect(model.graph.inputs.at(-1)).toEqual({
        name: 'targets',
        dtype: 'float32',
        shape: ['batch_size', 3],
      });
      const session = await createSession(model.graph, { threads: 1 });
      const { labels: _, ...inputs } = BATCH;
      const targets = tensor(
        'float32',
        [4, 3],
        Array.from({ length: 12 }, (_, i) => i / 12),
      );
      const out = await session.run({ ...inputs, targets });
      await session.release();
      const logits = numbers(out.logits);
      const expected = logits.reduce((s, v, i) => s + (v - i / 12) ** 2, 0) / 12;
      expect(Number(out.loss?.data[0])).toBeCloseTo(expected, 5);
    } finally {
      await dir.cleanup();
    }
  });

  it('a path with external data gives the same model as the bytes', async () => {
    const dir = await createTempDir('ft-foreign-');
    try {
      const path = join(dir.path, 'model.onnx');
      const saved = await saveOnnxFile(fromOnnxBytes(BYTES), path, { externalDataThreshold: 256 });
      expect(saved.externalTensors).toContain('bert.embeddings.word_embeddings.weight');
      const fromPath = await prepareForeignModel(path, { trainable: TRAINABLE, loss: LOSS });
      const fromBytes = await prepareForeignModel(BYTES, { trainable: TRAINABLE, loss: LOSS });
      expect(fromPath.parameters).toEqual(fromBytes.parameters);
      for (const name of fromBytes.graph.initializers.keys()) {
        expect(numbers(fromPath.graph.initializers.get(name)), name).toEqual(
          numbers(fromBytes.graph.initializers.get(name)),
        );
      }
    } finally {
      await dir.cleanup();
    }
  });

  it('an op without a gradient builder fails with the autodiff error naming op and node', async () => {
    const b = createGraphBuilder({ name: 'foreign', opset: 17 });
    const x = b.input('x', 'float32', ['batch', 4]);
    const w = b.initializer(
      'w',
      tensor(
        'float32',
        [4, 3],
        Array.from({ length: 12 }, (_, i) => i / 10),
      ),
    );
    b.op('Cos', [b.op('MatMul', [x, w])], {}, { name: 'odd_activation', outputs: ['logits'] });
    b.output('logits', 'float32', ['batch', 3]);
    const error = await prepareForeignModel(toOnnxBytes(b.graph), {
      trainable: ['w'],
      loss: { output: 'logits', type: 'cross_entropy' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainerError);
    expect((error as TrainerError).code).toBe('UNSUPPORTED_OP');
    expect((error as TrainerError).op).toBe('Cos');
    expect((error as TrainerError).node).toBe('odd_activation');
  });

  it('bad options are named', async () => {
    const cases: Array<[Parameters<typeof prepareForeignModel>[1], string]> = [
      [
        { trainable: ['classifer.*'], loss: LOSS },
        'trainable entry "classifer.*" matches no initializer',
      ],
      [{ trainable: /^nothing/, loss: LOSS }, 'trainable /^nothing/ matches no float initializer'],
      [
        { trainable: ['bert.embeddings.position_ids'], loss: LOSS },
        'initializer "bert.embeddings.position_ids" is int64',
      ],
      [
        { trainable: TRAINABLE, loss: { ...LOSS, output: 'logit' } },
        'loss.output "logit" is not a value',
      ],
      [
        { trainable: TRAINABLE, loss: { ...LOSS, type: 'hinge' as never } },
        'loss.type "hinge" is not a known loss (known: cross_entropy, focal, bce_with_logits, mse, huber)',
      ],
    ];
    for (const [options, message] of cases) {
      await expect(prepareForeignModel(BYTES, options)).rejects.toThrow(message);
    }
    await expect(
      prepareForeignModel(new Uint8Array([1, 2, 3]), { trainable: TRAINABLE, loss: LOSS }),
    ).rejects.toThrow(/not a valid ONNX model|has no graph/);
  });
});
