// applyLora / mergeLora: the adapter formula against a hand-computed reference, merge = unmerged
// outputs, gradients against central finite differences (float64), frozen bases, optimizer
// state size, and a LoRA fine-tune against full fine-tuning on a seeded classification task.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { buildGpt2 } from '../models/gpt2.js';
import { spotCheckGradients } from '../models/testing.js';
import { compileTrainingStep } from '../step/compile.js';
import { cloneGraph } from '../step/graph-utils.js';
import { createTrainingStep } from '../step/training-step.js';
import { applyLora } from './apply.js';
import { mergeLora } from './merge.js';
import { forward, groupBatch, maxAbsDiff, randomize, signalBatch, tinyBert } from './testing.js';

/** One linear layer y = x·Wᵀ + b ('linear') or x·W + b ('conv1d' via MatMul + Add). */
function oneLayer(kind: 'gemm' | 'matmul'): Graph {
  const b = createGraphBuilder({ name: kind, opset: 20 });
  const x = b.input('x', 'float32', ['batch', 3]);
  const w = b.initializer(
    'layer.weight',
    kind === 'gemm'
      ? tensor('float32', [4, 3], [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, -1, 1.1, 1.2])
      : tensor('float32', [3, 4], [0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, -1, 1.1, 1.2]),
  );
  const bias = b.initializer('layer.bias', tensor('float32', [4], [0.01, 0.02, 0.03, 0.04]));
  if (kind === 'gemm') b.op('Gemm', [x, w, bias], { transB: 1 }, { outputs: ['y'] });
  else b.op('Add', [b.op('MatMul', [x, w]), bias], {}, { outputs: ['y'] });
  b.output('y', 'float32', ['batch', 4]);
  return b.graph;
}

/** Whether two tensors hold the same bytes (views compared over their own range only). */
function sameBytes(a: TensorData | undefined, b: TensorData | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const bytes = (t: TensorData) => Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return bytes(a).equals(bytes(b));
}

describe('applyLora', () => {
  it('adds PEFT-named adapters with Kaiming-uniform A and zero B, and splits trainable/frozen', () => {
    const model = tinyBert();
    const lora = applyLora(model, {
      r: 4,
      alpha: 8,
      targetModules: ['query', 'value'],
      modulesToSave: ['classifier'],
      seed: 1,
    });
    expect(lora.modules.map((m) => m.module)).toEqual([
      'bert.encoder.layer.0.attention.self.query',
      'bert.encoder.layer.0.attention.self.value',
      'bert.encoder.layer.1.attention.self.query',
      'bert.encoder.layer.1.attention.self.value',
    ]);
    const a = lora.graph.initializers.get(
      'bert.encoder.layer.0.attention.self.query.lora_A.weight',
    ) as TensorData;
    const bMat = lora.graph.initializers.get(
      'bert.encoder.layer.0.attention.self.query.lora_B.weight',
    ) as TensorData;
    expect(a.dims).toEqual([4, 32]); // PEFT: lora_A [r, in]
    expect(bMat.dims).toEqual([32, 4]); // PEFT: lora_B [out, r]
    expect([...bMat.data].every((v) => v === 0)).toBe(true);
    // kaiming_uniform_(a=√5) on [r, in]: U(−1/√in, 1/√in).
    const bound = 1 / Math.sqrt(32);
    const values = [...(a.data as Float32Array)];
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values)).toBeGreaterThan(0.9 * bound);
    expect(Math.min(...values)).toBeLessThan(-0.9 * bound);
    expect(lora.modules[0]?.scale).toBe(2);
    expect(lora.trainable).toEqual([...lora.adapterParams, 'classifier.weight', 'classifier.bias']);
    expect(lora.frozen).toContain('bert.encoder.layer.0.attention.self.query.weight');
    expect(lora.frozen).not.toContain('classifier.weight');
    expect(lora.frozen.length + lora.trainable.length).toBe(model.parameters.length + 8);
    // The input model is left untouched.
    expect(
      model.graph.initializers.has('bert.encoder.layer.0.attention.self.query.lora_A.weight'),
    ).toBe(false);
  });

  it('matches a hand-computed y = x·Wᵀ + b + scale·(x·Aᵀ)·Bᵀ for Gemm and MatMul weights, alpha/r and rsLoRA', async () => {
    const x = [0.5, -1, 2, 1.5, 0.25, -0.75];
    for (const kind of ['gemm', 'matmul'] as const) {
      for (const rsLora of [false, true]) {
        const base = oneLayer(kind);
        const lora = applyLora(base, { r: 2, alpha: 3, rsLora, targetModules: ['layer'] });
        const A = [0.3, -0.1, 0.2, -0.4, 0.6, 0.05]; // [2, 3]
        const B = [0.7, -0.2, 0.1, 0.9, -0.5, 0.3, 0.25, -0.8]; // [4, 2]
        lora.graph.initializers.set('layer.lora_A.weight', tensor('float32', [2, 3], A));
        lora.graph.initializers.set('layer.lora_B.weight', tensor('float32', [4, 2], B));
        const scale = rsLora ? 3 / Math.sqrt(2) : 3 / 2;
        expect(lora.modules[0]?.scale).toBeCloseTo(scale, 15);
        expect(lora.modules[0]?.layout).toBe(kind === 'gemm' ? 'linear' : 'conv1d');
        const W = [...((base.initializers.get('layer.weight') as TensorData).data as Float32Array)];
        const expected: number[] = [];
        for (let n = 0; n < 2; n++) {
          for (let o = 0; o < 4; o++) {
            let acc = [0.01, 0.02, 0.03, 0.04][o] as number;
            for (let i = 0; i < 3; i++) {
              const w = kind === 'gemm' ? W[o * 3 + i] : W[i * 4 + o];
              acc += (x[n * 3 + i] as number) * (w as number);
            }
            let lowRank = 0;
            for (let k = 0; k < 2; k++) {
              let h = 0;
              for (let i = 0; i < 3; i++) h += (x[n * 3 + i] as number) * (A[k * 3 + i] as number);
              lowRank += h * (B[o * 2 + k] as number);
            }
            expected.push(acc + scale * lowRank);
          }
        }
        const out = await forward(lora.graph, { x: tensor('float32', [2, 3], x) }, ['y']);
        const y = [...((out.y as TensorData).data as Float32Array)];
        for (const [i, v] of y.entries()) expect(v).toBeCloseTo(expected[i] as number, 5);
        // Merging gives the same function with plain weights.
        const merged = mergeLora(lora);
        expect(merged.graph.initializers.has('layer.lora_A.weight')).toBe(false);
        expect(merged.graph.nodes.map((n) => n.opType)).toEqual(base.nodes.map((n) => n.opType));
        const plain = await forward(merged.graph, { x: tensor('float32', [2, 3], x) }, ['y']);
        expect(maxAbsDiff(plain.y as TensorData, out.y as TensorData)).toBeLessThan(1e-6);
      }
    }
  });

  it('errors name the problem: no matching module, bad r, bad dropout', () => {
    const model = tinyBert();
    expect(() => applyLora(model, { r: 4, targetModules: ['qkv'] })).toThrow(
      /matched no Gemm\/MatMul weight.*attention\.self\.query/,
    );
    const once = applyLora(model, { r: 2, targetModules: ['query'] });
    expect(() => applyLora(once, { r: 2, targetModules: ['query'] })).toThrow(
      /"bert.encoder.layer.0.attention.self.query" already has a LoRA adapter/,
    );
    expect(() => applyLora(model, { r: 0, targetModules: ['query'] })).toThrow(
      /r must be a positive integer, got 0/,
    );
    expect(() => applyLora(model, { r: 2, dropout: 1, targetModules: ['query'] })).toThrow(
      TrainerError,
    );
    expect(() =>
      applyLora(model, { r: 2, targetModules: ['query'], modulesToSave: ['head'] }),
    ).toThrow(/modulesToSave \["head"\] matched no parameter/);
  });
});

describe('mergeLora on a tiny BERT', () => {
  it('merged output equals the adapted output (float32) and starts equal to the base', async () => {
    const model = tinyBert({ lastHiddenState: true });
    const { feeds } = signalBatch(4, 11);
    const base = await forward(model.graph, feeds);
    const lora = applyLora(model, {
      r: 4,
      alpha: 16,
      targetModules: /query|value|dense/,
      modulesToSave: ['classifier'],
      seed: 5,
    });
    expect(lora.modules.length).toBe(2 * 5 + 1); // q, v, 3 dense per layer + the pooler
    // B = 0 at initialisation: the adapted model is the base model.
    const initial = await forward(lora.graph, feeds);
    expect(maxAbsDiff(initial.logits as TensorData, base.logits as TensorData)).toBe(0);
    for (const [i, m] of lora.modules.entries()) randomize(lora.graph, m.loraB, 100 + i, 0.05);
    randomize(lora.graph, 'classifier.weight', 7, 0.5);
    const adapted = await forward(lora.graph, feeds, ['logits', 'last_hidden_state']);
    const merged = mergeLora(lora);
    expect([...merged.graph.initializers.keys()].sort()).toEqual(
      [...model.graph.initializers.keys()].sort(),
    );
    expect(merged.graph.nodes.length).toBe(model.graph.nodes.length);
    const plain = await forward(merged.graph, feeds, ['logits', 'last_hidden_state']);
    const logitDiff = maxAbsDiff(plain.logits as TensorData, adapted.logits as TensorData);
    const hiddenDiff = maxAbsDiff(
      plain.last_hidden_state as TensorData,
      adapted.last_hidden_state as TensorData,
    );
    console.log(
      `merge vs unmerged: max |Δlogits| ${logitDiff.toExponential(2)}, max |Δhidden| ${hiddenDiff.toExponential(2)}`,
    );
    expect(maxAbsDiff(adapted.logits as TensorData, base.logits as TensorData)).toBeGreaterThan(
      1e-3,
    );
    expect(logitDiff).toBeLessThan(1e-5);
    expect(hiddenDiff).toBeLessThan(1e-5);
  });
});

describe('mergeLora on a tiny GPT-2 (Conv1D [in, out] weights)', () => {
  it('adapts c_attn/c_proj through Gemm without transB and merges to the same logits', async () => {
    const model = buildGpt2(
      { vocab_size: 30, n_positions: 8, n_embd: 16, n_layer: 2, n_head: 2 },
      { seed: 2 },
    );
    const lora = applyLora(model, { r: 2, alpha: 4, targetModules: ['c_attn', 'c_proj'], seed: 6 });
    expect(lora.modules.map((m) => m.module)).toEqual([
      'transformer.h.0.attn.c_attn',
      'transformer.h.0.attn.c_proj',
      'transformer.h.0.mlp.c_proj',
      'transformer.h.1.attn.c_attn',
      'transformer.h.1.attn.c_proj',
      'transformer.h.1.mlp.c_proj',
    ]);
    const cAttn = lora.modules[0];
    expect([cAttn?.layout, cAttn?.in, cAttn?.out]).toEqual(['conv1d', 16, 48]);
    expect(lora.graph.initializers.get('transformer.h.0.attn.c_attn.lora_B.weight')?.dims).toEqual([
      48, 2,
    ]);
    for (const [i, m] of lora.modules.entries()) randomize(lora.graph, m.loraB, 300 + i, 0.2);
    const feeds = {
      input_ids: tensor('int64', [2, 5], [3, 7, 1, 9, 4, 11, 2, 8, 5, 6]),
      attention_mask: tensor('int64', [2, 5], [1, 1, 1, 1, 1, 1, 1, 1, 1, 0]),
    };
    const base = await forward(model.graph, feeds);
    const adapted = await forward(lora.graph, feeds);
    const merged = await forward(mergeLora(lora).graph, feeds);
    expect(maxAbsDiff(adapted.logits as TensorData, base.logits as TensorData)).toBeGreaterThan(
      1e-3,
    );
    expect(maxAbsDiff(merged.logits as TensorData, adapted.logits as TensorData)).toBeLessThan(
      1e-5,
    );
    // The tied embedding/LM-head table has two readers: adapting it is refused.
    expect(() => applyLora(model, { r: 2, targetModules: ['wte'] })).toThrow(
      /"transformer.wte.weight": node "Gather_\d+" also reads it/,
    );
  });
});

describe('LoRA gradients', () => {
  it('match central finite differences in float64 (adapters and a modules_to_save head)', async () => {
    // tanh, not gelu: ONNX Runtime has no float64 Erf kernel.
    const model = tinyBert({
      dtype: 'float64',
      config: {
        hidden_size: 8,
        intermediate_size: 16,
        num_hidden_layers: 1,
        hidden_act: 'tanh',
        initializer_range: 0.3,
      },
    });
    const lora = applyLora(model, {
      r: 2,
      alpha: 4,
      targetModules: ['query', 'output.dense'],
      modulesToSave: ['classifier'],
      seed: 2,
    });
    for (const [i, m] of lora.modules.entries()) randomize(lora.graph, m.loraB, 40 + i, 0.5);
    const wrt = [
      'bert.encoder.layer.0.attention.self.query.lora_A.weight',
      'bert.encoder.layer.0.attention.self.query.lora_B.weight',
      'bert.encoder.layer.0.output.dense.lora_A.weight',
      'bert.encoder.layer.0.output.dense.lora_B.weight',
      'classifier.weight',
    ];
    const { feeds } = signalBatch(3, 4, 5);
    // A fixed weighted sum of the logits as the objective (every logit gets a gradient, unlike
    // the label's cross-entropy); spotCheckGradients edits the graph, so it gets a copy.
    const { checks } = await spotCheckGradients({
      model: { ...model, graph: cloneGraph(lora.graph), parameters: lora.trainable },
      feeds,
      loss: (b) => {
        const weights = b.initializer(
          'probe.weights',
          tensor('float64', [3, 2], [0.3, -1.2, 0.7, 0.4, -0.5, 1.1]),
        );
        return b.op('ReduceSum', [b.op('Mul', ['logits', weights])], { keepdims: 0 });
      },
      elements: Object.fromEntries(wrt.map((name) => [name, 'all' as const])),
    });
    let worst = 0;
    for (const { param, index, analytic, numeric } of checks) {
      const err = Math.abs(numeric - analytic);
      worst = Math.max(worst, err / (1e-8 + Math.abs(numeric)));
      expect(err, `${param}[${index}]`).toBeLessThanOrEqual(1e-8 + 1e-6 * Math.abs(numeric));
    }
    console.log(
      `LoRA finite differences: ${checks.length} elements, worst relative error ${worst.toExponential(2)}`,
    );
    // Non-trivial gradients reached every A (through B ≠ 0), B and the head.
    for (const name of wrt) {
      const largest = Math.max(
        ...checks.filter((c) => c.param === name).map((c) => Math.abs(c.analytic)),
      );
      expect(largest, name).toBeGreaterThan(1e-3);
    }
  });
});

describe('training with LoRA', () => {
  it('keeps optimizer state proportional to the adapters and base weights frozen bit for bit', async () => {
    const model = tinyBert();
    const lora = applyLora(model, {
      r: 2,
      alpha: 4,
      dropout: 0.1,
      targetModules: ['query', 'value'],
      modulesToSave: ['classifier'],
      seed: 9,
    });
    const count = (names: string[], g: Graph) =>
      names.reduce((s, n) => s + (g.initializers.get(n)?.data.length ?? 0), 0);
    const adapted = compileTrainingStep({
      graph: lora.graph,
      loss: 'loss',
      params: lora.trainable,
      optimizer: { type: 'adamw' },
    });
    const stateTensors = [...adapted.state.values()].reduce((s, l) => s + l.length, 0);
    const loraElements = adapted.params.reduce(
      (s, p) => s + (adapted.state.get(p.name)?.length ?? 0) * p.dims.reduce((a, d) => a * d, 1),
      0,
    );
    // Full fine-tuning's AdamW state: two moments for every parameter of the base model.
    const fullElements = 2 * count(model.parameters, model.graph);
    console.log(
      `AdamW state: full ${fullElements} elements; LoRA ${stateTensors} tensors / ${loraElements} elements (${lora.trainable.length} trainable, ${count(lora.trainable, lora.graph)} elements)`,
    );
    expect(stateTensors).toBe(2 * lora.trainable.length);
    expect(loraElements).toBe(2 * count(lora.trainable, lora.graph));
    expect(loraElements).toBeLessThan(fullElements / 10);
    // Frozen base weights stay initializers of the compiled step with the base's bytes; none is
    // an input or gets an updated `.next` output.
    const fused = adapted.fused as Graph;
    for (const name of lora.frozen) {
      expect(
        sameBytes(fused.initializers.get(name), model.graph.initializers.get(name)),
        name,
      ).toBe(true);
      expect(fused.outputs.some((o) => o.name === `${name}.next`)).toBe(false);
    }

    const step = await createTrainingStep({
      graph: lora.graph,
      loss: 'loss',
      params: lora.trainable,
      optimizer: { type: 'adamw', weightDecay: 0 },
      outputs: ['logits'],
      // LoRA dropout is stateless (seeded per step), which createEvalGraph cannot strip: the eval
      // graph is the same transform with training: false (same seed, so the same adapters).
      evalGraph: applyLora(model, { ...lora.options, training: false }).graph,
      session: { threads: 1 },
      seed: 3,
    });
    expect([...step.trainableParameters].sort()).toEqual([...lora.trainable].sort());
    const { feeds } = signalBatch(8, 21);
    for (let i = 0; i < 3; i++) await step.run(feeds, 1e-2);
    const trained = step.getParameters();
    const evaluated = await step.evaluate(feeds);
    await step.release();
    const merged = mergeLora(lora, { parameters: trained });
    let worstMergeError = 0;
    for (const m of lora.modules) {
      const bTrained = trained.get(m.loraB) as TensorData;
      expect(Math.max(...[...(bTrained.data as Float32Array)].map(Math.abs))).toBeGreaterThan(0);
      // W' − W is exactly the trained scale·B·A: the base weight itself did not move.
      const a = trained.get(m.loraA)?.data as Float32Array;
      const bm = bTrained.data as Float32Array;
      const w = model.graph.initializers.get(m.weight)?.data as Float32Array;
      const w2 = merged.graph.initializers.get(m.weight)?.data as Float32Array;
      for (let o = 0; o < m.out; o++) {
        for (let i = 0; i < m.in; i++) {
          let delta = 0;
          for (let k = 0; k < 2; k++)
            delta += (bm[o * 2 + k] as number) * (a[k * m.in + i] as number);
          const idx = o * m.in + i;
          const error = Math.abs((w2[idx] as number) - (w[idx] as number) - m.scale * delta);
          worstMergeError = Math.max(worstMergeError, error);
        }
      }
    }
    expect(worstMergeError).toBeLessThan(1e-7);
    // The trained step's evaluation equals the merged plain model's forward.
    const plain = await forward(merged.graph, feeds);
    expect(
      maxAbsDiff(evaluated.outputs.logits as TensorData, plain.logits as TensorData),
    ).toBeLessThan(1e-5);
    for (const [name, t] of model.graph.initializers) {
      if (lora.trainable.includes(name) || lora.modules.some((m) => m.weight === name)) continue;
      // Every base parameter that is not adapted is bit-identical after training.
      expect(sameBytes(merged.graph.initializers.get(name), t), name).toBe(true);
    }
  });

  it('a LoRA fine-tune gets within a few points of full fine-tuning on a seeded classification task', async () => {
    const batch = 32;
    const rows = 512;
    const slice = (data: ReturnType<typeof groupBatch>, from: number) => {
      const ids = data.feeds.input_ids as TensorData;
      const seq = ids.dims[1] as number;
      return {
        input_ids: tensor(
          'int64',
          [batch, seq],
          (ids.data as BigInt64Array).slice(from * seq, (from + batch) * seq),
        ),
        attention_mask: tensor('int64', [batch, seq], new Array(batch * seq).fill(1)),
        labels: tensor('int64', [batch], data.labels.slice(from, from + batch)),
      };
    };
    const train = async (
      graph: Graph,
      data: ReturnType<typeof groupBatch>,
      params: string[] | undefined,
      lr: number,
      epochs: number,
    ) => {
      const step = await createTrainingStep({
        graph,
        loss: 'loss',
        ...(params ? { params } : {}),
        optimizer: { type: 'adamw', weightDecay: 0 },
        outputs: ['logits'],
        session: { threads: 1 },
        seed: 1,
      });
      for (let epoch = 0; epoch < epochs; epoch++) {
        for (let from = 0; from < rows; from += batch) await step.run(slice(data, from), lr);
      }
      return step;
    };
    const accuracy = async (
      step: Awaited<ReturnType<typeof train>>,
      test: ReturnType<typeof groupBatch>,
    ) => {
      const { outputs } = await step.evaluate(test.feeds);
      await step.release();
      const logits = outputs.logits as TensorData;
      const classes = logits.dims[1] as number;
      let correct = 0;
      test.labels.forEach((label, i) => {
        let best = 0;
        for (let c = 1; c < classes; c++)
          if (
            (logits.data[i * classes + c] as number) > (logits.data[i * classes + best] as number)
          )
            best = c;
        if (best === label) correct++;
      });
      return correct / test.labels.length;
    };
    // "Pretraining": a 4-way task (which token group occurs), all parameters trained.
    const pre = tinyBert({ numLabels: 4 });
    const preStep = await train(
      pre.graph,
      groupBatch(rows, 1, (g) => g),
      undefined,
      3e-3,
      3,
    );
    const pretrained = preStep.getParameters();
    const preAccuracy = await accuracy(
      preStep,
      groupBatch(256, 2, (g) => g),
    );
    // Fine-tuning: the classes relabelled (g → (g + 1) mod 4) on the pretrained encoder and head,
    // so the pretrained model starts near 0% and the encoder's features must be re-mapped.
    const relabel = (g: number) => (g + 1) % 4;
    const fineData = groupBatch(rows, 3, relabel);
    const fineTest = groupBatch(256, 4, relabel);
    const fineBase = () => {
      const model = tinyBert({ numLabels: 4 });
      for (const [name, t] of pretrained) model.graph.initializers.set(name, t);
      return model;
    };
    const before = await forward(fineBase().graph, fineTest.feeds);
    const start =
      fineTest.labels.filter((label, i) => {
        const row = [
          ...((before.logits as TensorData).data as Float32Array).slice(4 * i, 4 * i + 4),
        ];
        return row.indexOf(Math.max(...row)) === label;
      }).length / fineTest.labels.length;
    const full = await accuracy(
      await train(fineBase().graph, fineData, undefined, 1e-3, 2),
      fineTest,
    );
    const lora = applyLora(fineBase(), {
      r: 4,
      alpha: 8,
      targetModules: ['query', 'value', 'dense'],
      modulesToSave: ['classifier'],
      seed: 4,
    });
    const adapted = await accuracy(
      await train(lora.graph, fineData, lora.trainable, 3e-3, 2),
      fineTest,
    );
    // Control: the same budget on the head alone cannot re-map the classes.
    const headOnly = await accuracy(
      await train(fineBase().graph, fineData, ['classifier.weight', 'classifier.bias'], 3e-3, 2),
      fineTest,
    );
    console.log(
      `held-out accuracy: pretraining ${(100 * preAccuracy).toFixed(1)}%; relabelled task before fine-tuning ${(100 * start).toFixed(1)}%, full fine-tuning ${(100 * full).toFixed(1)}%, LoRA r=4 on query/value/dense + head ${(100 * adapted).toFixed(1)}%, head only ${(100 * headOnly).toFixed(1)}%`,
    );
    expect(preAccuracy).toBeGreaterThan(0.9);
    expect(start).toBeLessThan(0.1);
    expect(full).toBeGreaterThan(0.9);
    expect(adapted).toBeGreaterThan(full - 0.05);
    expect(headOnly).toBeLessThan(adapted - 0.2);
  }, 60_000);
});
