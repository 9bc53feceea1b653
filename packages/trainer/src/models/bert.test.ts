import { describe, expect, it } from 'vitest';
import { buildGradients } from '../autodiff/engine.js';
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import { createSession } from '../runtime/session.js';
import { inferShapes } from '../shape/infer.js';
import { type BertConfig, buildBert } from './bert.js';
import {
  int64Matrix,
  loadReferenceWeights,
  maxAbsDiff,
  numbers,
  readReference,
  runModel,
  spotCheckGradients,
} from './testing.js';

const TINY: BertConfig = {
  vocab_size: 50,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 32,
  max_position_embeddings: 32,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_act: 'gelu',
};

// The inputs of fixtures/reference.py: the second row is padded after three tokens.
const FEEDS = {
  input_ids: int64Matrix([
    [2, 17, 33, 5, 41, 3],
    [2, 8, 3, 0, 0, 0],
  ]),
  attention_mask: int64Matrix([
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 0, 0, 0],
  ]),
  token_type_ids: int64Matrix([
    [0, 0, 0, 1, 1, 1],
    [0, 0, 0, 0, 0, 0],
  ]),
};

/**
 * Hugging Face's parameter names, written out from the module tree of BertModel
 * (embeddings → encoder.layer[i] → attention.self/output, intermediate, output → pooler) with
 * nn.Linear weights [out, in], followed by the task head.
 */
function hfBertParameters(
  layers: number,
  h: number,
  inter: number,
  opts: { pooler: boolean; head: Array<[string, number[]]> },
): Array<[string, number[]]> {
  const list: Array<[string, number[]]> = [
    ['bert.embeddings.word_embeddings.weight', [50, h]],
    ['bert.embeddings.position_embeddings.weight', [32, h]],
    ['bert.embeddings.token_type_embeddings.weight', [2, h]],
    ['bert.embeddings.LayerNorm.weight', [h]],
    ['bert.embeddings.LayerNorm.bias', [h]],
  ];
  for (let i = 0; i < layers; i++) {
    const l = `bert.encoder.layer.${i}`;
    list.push(
      [`${l}.attention.self.query.weight`, [h, h]],
      [`${l}.attention.self.query.bias`, [h]],
      [`${l}.attention.self.key.weight`, [h, h]],
      [`${l}.attention.self.key.bias`, [h]],
      [`${l}.attention.self.value.weight`, [h, h]],
      [`${l}.attention.self.value.bias`, [h]],
      [`${l}.attention.output.dense.weight`, [h, h]],
      [`${l}.attention.output.dense.bias`, [h]],
      [`${l}.attention.output.LayerNorm.weight`, [h]],
      [`${l}.attention.output.LayerNorm.bias`, [h]],
      [`${l}.intermediate.dense.weight`, [inter, h]],
      [`${l}.intermediate.dense.bias`, [inter]],
      [`${l}.output.dense.weight`, [h, inter]],
      [`${l}.output.dense.bias`, [h]],
      [`${l}.output.LayerNorm.weight`, [h]],
      [`${l}.output.LayerNorm.bias`, [h]],
    );
  }
  if (opts.pooler) list.push(['bert.pooler.dense.weight', [h, h]], ['bert.pooler.dense.bias', [h]]);
  return [...list, ...opts.head];
}

function paramList(model: ReturnType<typeof buildBert>): Array<[string, number[]]> {
  return model.parameters.map((n) => [n, model.graph.initializers.get(n)?.dims ?? []]);
}

const CLASSIFIER_3: Array<[string, number[]]> = [
  ['classifier.weight', [3, 16]],
  ['classifier.bias', [3]],
];

describe('buildBert: Hugging Face parameter names', () => {
  const ref = readReference();

  it('sequence classification: every BertForSequenceClassification parameter, in order', () => {
    const model = buildBert(TINY, { head: { type: 'sequence-classification', numLabels: 3 } });
    const expected = hfBertParameters(2, 16, 32, { pooler: true, head: CLASSIFIER_3 });
    expect(paramList(model)).toEqual(expected);
    expect(expected).toHaveLength(5 + 2 * 16 + 2 + 2);
    // The PyTorch mirror's named_parameters() (fixtures/reference.py) agrees.
    expect(paramList(model)).toEqual(ref.bert_seq?.params);
    expect([...model.graph.initializers.keys()].sort()).toEqual([...model.parameters].sort());
  });

  it('token classification has no pooler (HF add_pooling_layer=False)', () => {
    const model = buildBert(TINY, { head: { type: 'token-classification', numLabels: 3 } });
    expect(paramList(model)).toEqual(
      hfBertParameters(2, 16, 32, { pooler: false, head: CLASSIFIER_3 }),
    );
    expect(paramList(model)).toEqual(ref.bert_tok?.params);
  });

  it('regression, multi-task and bare encoder heads', () => {
    const reg = buildBert(TINY, { head: { type: 'regression' } });
    expect(paramList(reg).slice(-2)).toEqual([
      ['classifier.weight', [1, 16]],
      ['classifier.bias', [1]],
    ]);
    const multi = buildBert(TINY, {
      head: {
        type: 'multi',
        heads: [
          { name: 'sentiment', type: 'classification', numLabels: 5 },
          { name: 'score', type: 'regression' },
        ],
      },
    });
    expect(paramList(multi).slice(-6)).toEqual([
      ['bert.pooler.dense.weight', [16, 16]],
      ['bert.pooler.dense.bias', [16]],
      ['heads.sentiment.weight', [5, 16]],
      ['heads.sentiment.bias', [5]],
      ['heads.score.weight', [1, 16]],
      ['heads.score.bias', [1]],
    ]);
    const bare = buildBert(TINY, { head: { type: 'none' } });
    expect(paramList(bare)).toEqual(hfBertParameters(2, 16, 32, { pooler: true, head: [] }));
  });
});

describe('buildBert: forward values match a PyTorch reference', () => {
  const ref = readReference();

  it('sequence classification logits and last_hidden_state (float32, exact GELU)', async () => {
    const model = buildBert(TINY, {
      head: { type: 'sequence-classification', numLabels: 3 },
      lastHiddenState: true,
    });
    loadReferenceWeights(model);
    const out = await runModel(model, FEEDS);
    expect(out.logits?.dims).toEqual([2, 3]);
    expect(out.last_hidden_state?.dims).toEqual([2, 6, 16]);
    // Observed max abs error ≈ 6e-7 (float32 rounding through two layers).
    expect(maxAbsDiff(out.logits?.data as Float32Array, ref.bert_seq?.logits ?? [])).toBeLessThan(
      1e-5,
    );
    expect(
      maxAbsDiff(
        out.last_hidden_state?.data as Float32Array,
        ref.bert_seq?.last_hidden_state ?? [],
      ),
    ).toBeLessThan(1e-5);
  });

  it('without last_hidden_state the last layer runs for [CLS] only, with the same logits', async () => {
    const model = buildBert(TINY, { head: { type: 'sequence-classification', numLabels: 3 } });
    expect(model.outputs).toEqual(['logits']);
    // The last layer's query, attention output and feed-forward act on [batch, hidden] rows.
    const shapes = inferShapes(model.graph, { store: false });
    const lastFfn = model.graph.nodes.find((n) =>
      n.inputs.includes('bert.encoder.layer.1.intermediate.dense.weight'),
    );
    expect(shapes.get(lastFfn?.outputs[0] as string)?.shape).toEqual(['batch', 32]);
    loadReferenceWeights(model);
    const out = await runModel(model, FEEDS);
    expect(out.last_hidden_state).toBeUndefined();
    expect(maxAbsDiff(out.logits?.data as Float32Array, ref.bert_seq?.logits ?? [])).toBeLessThan(
      1e-5,
    );
  });

  it('token classification logits (float32)', async () => {
    const model = buildBert(TINY, { head: { type: 'token-classification', numLabels: 3 } });
    loadReferenceWeights(model);
    const out = await runModel(model, FEEDS);
    expect(out.logits?.dims).toEqual([2, 6, 3]);
    expect(maxAbsDiff(out.logits?.data as Float32Array, ref.bert_tok?.logits ?? [])).toBeLessThan(
      1e-5,
    );
  });

  it('gelu_new (tanh) in float64 matches to the reference rounding', async () => {
    // ORT has no float64 Erf kernel, so the double-precision check uses the tanh GELU.
    const model = buildBert(
      { ...TINY, hidden_act: 'gelu_new' },
      { dtype: 'float64', head: { type: 'sequence-classification', numLabels: 3 } },
    );
    loadReferenceWeights(model);
    const out = await runModel(model, FEEDS);
    expect(out.logits?.dtype).toBe('float64');
    // The fixture holds 10 significant digits.
    expect(
      maxAbsDiff(out.logits?.data as Float64Array, ref.bert_seq_gelu_new?.logits ?? []),
    ).toBeLessThan(2e-9);
  });

  it('padding is invisible: a padded row gives the logits of its unpadded sequence', async () => {
    const model = buildBert(TINY, { head: { type: 'sequence-classification', numLabels: 3 } });
    loadReferenceWeights(model);
    const padded = await runModel(model, FEEDS);
    const short = await runModel(model, {
      input_ids: int64Matrix([[2, 8, 3]]),
      attention_mask: int64Matrix([[1, 1, 1]]),
      token_type_ids: int64Matrix([[0, 0, 0]]),
    });
    const paddedRow = Array.from(padded.logits?.data as Float32Array).slice(3);
    expect(maxAbsDiff(paddedRow, short.logits?.data as Float32Array)).toBeLessThan(1e-6);
  });

  it('without token_type_ids every token uses segment 0', async () => {
    const model = buildBert(TINY, { tokenTypeIds: false, head: { type: 'regression' } });
    expect(model.inputs).toEqual(['input_ids', 'attention_mask']);
    const withTypes = buildBert(TINY, { head: { type: 'regression' } });
    loadReferenceWeights(model);
    loadReferenceWeights(withTypes);
    const { token_type_ids: _, ...noTypes } = FEEDS;
    const a = await runModel(model, noTypes);
    const b = await runModel(withTypes, {
      ...noTypes,
      token_type_ids: int64Matrix([
        [0, 0, 0, 0, 0, 0],
        [0, 0, 0, 0, 0, 0],
      ]),
    });
    expect(a.logits?.dims).toEqual([2, 1]);
    expect(maxAbsDiff(a.logits?.data as Float32Array, b.logits?.data as Float32Array)).toBe(0);
  });
});

describe('buildBert: heads, shapes and options', () => {
  it('every node feeds an output: no dead [CLS] Gather or query-shape nodes for any head', () => {
    for (const [head, lastHiddenState] of [
      [{ type: 'token-classification' }, false],
      [{ type: 'none' }, false],
      [{ type: 'sequence-classification' }, false],
      [{ type: 'sequence-classification' }, true],
    ] as const) {
      const { graph } = buildBert(TINY, { head, lastHiddenState });
      const read = new Set([
        ...graph.outputs.map((v) => v.name),
        ...graph.nodes.flatMap((n) => n.inputs),
      ]);
      const dead = graph.nodes.filter((n) => !n.outputs.some((o) => read.has(o)));
      expect(
        dead.map((n) => n.opType),
        `${head.type} ${lastHiddenState}`,
      ).toEqual([]);
    }
  });

  it('declares symbolic output shapes that shape inference reproduces', () => {
    const model = buildBert(TINY, { head: { type: 'token-classification', numLabels: 4 } });
    const shapes = inferShapes(model.graph, { store: false });
    expect(shapes.get('logits')?.shape).toEqual(['batch', 'sequence', 4]);
    expect(shapes.get('last_hidden_state')?.shape).toEqual(['batch', 'sequence', 16]);
    expect(model.graph.outputs.map((o) => [o.name, o.shape])).toEqual([
      ['logits', ['batch', 'sequence', 4]],
      ['last_hidden_state', ['batch', 'sequence', 16]],
    ]);
    expect(model.graph.opset).toBe(20);
  });

  it('multi-task heads output logits_<name>; the bare encoder outputs pooler_output', async () => {
    const multi = buildBert(TINY, {
      head: {
        type: 'multi',
        heads: [
          { name: 'topic', type: 'classification', numLabels: 4 },
          { name: 'score', type: 'regression' },
        ],
      },
    });
    const out = await runModel(multi, FEEDS);
    expect(multi.outputs).toEqual(['logits_topic', 'logits_score']);
    expect(out.logits_topic?.dims).toEqual([2, 4]);
    expect(out.logits_score?.dims).toEqual([2, 1]);
    const bare = buildBert(TINY, { head: { type: 'none' } });
    const bareOut = await runModel(bare, FEEDS);
    expect(bare.outputs).toEqual(['pooler_output', 'last_hidden_state']);
    expect(bareOut.pooler_output?.dims).toEqual([2, 16]);
    // tanh bounds the pooled output.
    expect(
      Math.max(...Array.from(bareOut.pooler_output?.data as Float32Array, Math.abs)),
    ).toBeLessThan(1);
  });

  it('rejects bad configs and head names', () => {
    expect(() => buildBert({ ...TINY, num_attention_heads: 5 })).toThrow(
      /hidden_size \(16\) must be a multiple of num_attention_heads \(5\)/,
    );
    expect(() => buildBert({ ...TINY, hidden_dropout_prob: 1 })).toThrow(TrainerError);
    expect(() =>
      buildBert(TINY, {
        head: { type: 'multi', heads: [{ name: 'a.b', type: 'regression' }] },
      }),
    ).toThrow(/head name "a.b"/);
    expect(() => buildBert({ ...TINY, position_embedding_type: 'relative_key' })).toThrow(
      /only 'absolute'/,
    );
  });
});

describe('buildBert: initialisation (HF _init_weights)', () => {
  it('normal(0, initializer_range) weights, zero biases, unit LayerNorm, zero padding row', () => {
    const model = buildBert(
      { ...TINY, vocab_size: 400, initializer_range: 0.05, pad_token_id: 1 },
      { seed: 3 },
    );
    const get = (n: string) => model.graph.initializers.get(n) as TensorData;
    const word = get('bert.embeddings.word_embeddings.weight').data as Float32Array;
    expect(Array.from(word.slice(16, 32))).toEqual(new Array(16).fill(0));
    // 400·16 − 16 draws: sample mean and std within a few standard errors of 0 and 0.05.
    const draws = [...word.slice(0, 16), ...word.slice(32)];
    const mean = draws.reduce((s, v) => s + v, 0) / draws.length;
    const std = Math.sqrt(draws.reduce((s, v) => s + (v - mean) ** 2, 0) / draws.length);
    expect(Math.abs(mean)).toBeLessThan(0.003);
    expect(Math.abs(std - 0.05)).toBeLessThan(0.0025);
    expect(numbers(get('bert.encoder.layer.1.output.LayerNorm.weight'))).toEqual(
      new Array(16).fill(1),
    );
    expect(numbers(get('bert.encoder.layer.0.attention.self.key.bias'))).toEqual(
      new Array(16).fill(0),
    );
    expect(numbers(get('classifier.bias'))).toEqual([0, 0]);
  });

  it('is reproducible from the seed and differs across seeds', () => {
    const a = buildBert(TINY, { seed: 11 }).graph.initializers;
    const b = buildBert(TINY, { seed: 11 }).graph.initializers;
    const c = buildBert(TINY, { seed: 12 }).graph.initializers;
    const name = 'bert.encoder.layer.1.attention.self.query.weight';
    expect(Array.from(a.get(name)?.data as Float32Array)).toEqual(
      Array.from(b.get(name)?.data as Float32Array),
    );
    expect(Array.from(a.get(name)?.data as Float32Array)).not.toEqual(
      Array.from(c.get(name)?.data as Float32Array),
    );
  });
});

describe('buildBert: training graph', () => {
  it('dropout is driven by dropout_seed: same seed same logits, another seed other logits', async () => {
    const model = buildBert(TINY, { training: true, head: { type: 'sequence-classification' } });
    expect(model.dropoutSeed).toBe('dropout_seed');
    expect(model.inputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids', 'dropout_seed']);
    expect(model.graph.nodes.some((n) => n.opType === 'Dropout')).toBe(false);
    const seed = (s: number) => tensor('int64', [], [s]);
    const a = await runModel(model, { ...FEEDS, dropout_seed: seed(5) });
    const b = await runModel(model, { ...FEEDS, dropout_seed: seed(5) });
    const c = await runModel(model, { ...FEEDS, dropout_seed: seed(6) });
    expect(Array.from(a.logits?.data as Float32Array)).toEqual(
      Array.from(b.logits?.data as Float32Array),
    );
    expect(
      maxAbsDiff(a.logits?.data as Float32Array, c.logits?.data as Float32Array),
    ).toBeGreaterThan(1e-4);
    // Eval graphs have no seed input and no dropout.
    const evalModel = buildBert(TINY);
    expect(evalModel.dropoutSeed).toBeUndefined();
    expect(evalModel.inputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
  });

  it('with every dropout probability 0 the training graph equals the eval graph', async () => {
    const config = { ...TINY, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
    const train = buildBert(config, { training: true });
    expect(train.dropoutSeed).toBeUndefined();
    const evalOut = await runModel(buildBert(config), FEEDS);
    const trainOut = await runModel(train, FEEDS);
    expect(Array.from(trainOut.logits?.data as Float32Array)).toEqual(
      Array.from(evalOut.logits?.data as Float32Array),
    );
  });
});

describe('buildBert: gradients', () => {
  it('classifier + cross-entropy: the gradient graph over every parameter loads and runs in ORT', async () => {
    const model = buildBert(TINY, { training: true, head: { type: 'sequence-classification' } });
    const b = createGraphBuilder({ graph: model.graph });
    const labels = b.input('labels', 'int64', ['batch']);
    const loss = crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
    b.output(loss, 'float32', []);
    const { grads } = buildGradients(model.graph, { loss, wrt: model.parameters });
    for (const p of model.parameters) {
      const dims = model.graph.initializers.get(p)?.dims as number[];
      b.output(grads.get(p) as string, 'float32', dims);
    }
    expect(model.graph.nodes.every((n) => n.domain === '')).toBe(true);
    const session = await createSession(model.graph, { threads: 1 });
    const out = await session.run({
      ...FEEDS,
      labels: tensor('int64', [2], [1, 0]),
      dropout_seed: tensor('int64', [], [42]),
    });
    await session.release();
    const lossValue = Number(out.loss?.data[0]);
    // Two classes, small random init: the loss is close to ln 2.
    expect(Math.abs(lossValue - Math.LN2)).toBeLessThan(0.1);
    for (const p of model.parameters) {
      const g = out[grads.get(p) as string] as TensorData;
      expect(g.dims).toEqual(model.graph.initializers.get(p)?.dims);
      expect(Array.from(g.data as Float32Array).every(Number.isFinite)).toBe(true);
    }
    const norm = (p: string) =>
      Math.hypot(...Array.from(out[grads.get(p) as string]?.data as Float32Array));
    expect(norm('classifier.weight')).toBeGreaterThan(0);
    expect(norm('bert.encoder.layer.0.attention.self.query.weight')).toBeGreaterThan(0);
    // Position rows beyond the sequence length are never read: their gradient is exactly 0.
    const pos = out[grads.get('bert.embeddings.position_embeddings.weight') as string]
      ?.data as Float32Array;
    expect(Array.from(pos.slice(6 * 16)).every((v) => v === 0)).toBe(true);
    expect(Array.from(pos.slice(0, 6 * 16)).some((v) => v !== 0)).toBe(true);
  });

  it('the [CLS]-only last layer gives the same loss and gradients as the full one (float64)', async () => {
    const run = async (lastHiddenState: boolean) => {
      // ONNX Runtime has no float64 Erf: the tanh GELU keeps the model in float64.
      const model = buildBert(
        { ...TINY, hidden_act: 'gelu_new' },
        {
          dtype: 'float64',
          head: { type: 'sequence-classification', numLabels: 3 },
          lastHiddenState,
        },
      );
      loadReferenceWeights(model);
      const b = createGraphBuilder({ graph: model.graph });
      const labels = b.input('labels', 'int64', ['batch']);
      const loss = crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
      b.output(loss, 'float64', []);
      const { grads } = buildGradients(model.graph, { loss, wrt: model.parameters });
      for (const p of model.parameters) {
        b.output(grads.get(p) as string, 'float64', model.graph.initializers.get(p)?.dims);
      }
      const session = await createSession(model.graph, { threads: 1 });
      const out = await session.run({ ...FEEDS, labels: tensor('int64', [2], [2, 0]) });
      await session.release();
      return { model, grads, out };
    };
    const full = await run(true);
    const cls = await run(false);
    expect(cls.out.loss?.data[0]).toBeCloseTo(Number(full.out.loss?.data[0]), 14);
    for (const p of full.model.parameters) {
      const a = cls.out[cls.grads.get(p) as string]?.data as Float64Array;
      const e = full.out[full.grads.get(p) as string]?.data as Float64Array;
      expect(maxAbsDiff(a, Array.from(e)), p).toBeLessThan(1e-14);
    }
  });

  it('float64 spot check: analytic gradients match central differences', async () => {
    const model = buildBert(
      { ...TINY, hidden_act: 'gelu_new' },
      { dtype: 'float64', head: { type: 'sequence-classification', numLabels: 3 } },
    );
    loadReferenceWeights(model);
    const { checks, maxAbsError } = await spotCheckGradients({
      model,
      feeds: { ...FEEDS, labels: tensor('int64', [2], [2, 0]) },
      loss: (b) => {
        const labels = b.input('labels', 'int64', ['batch']);
        return crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
      },
      elements: {
        'bert.embeddings.word_embeddings.weight': [17 * 16 + 2, 8 * 16 + 9],
        'bert.encoder.layer.0.attention.self.query.weight': [0, 5, 13, 200],
        'bert.encoder.layer.1.intermediate.dense.bias': [3, 30],
        'bert.embeddings.LayerNorm.weight': [1, 7],
        'bert.pooler.dense.bias': [0, 15],
        // The last layer runs its query and feed-forward for [CLS] only; keys see every token.
        'bert.encoder.layer.1.attention.self.key.weight': [3, 77],
        'bert.encoder.layer.1.attention.self.query.weight': [9, 120],
        'bert.encoder.layer.1.output.dense.weight': [40, 400],
      },
    });
    for (const c of checks) {
      expect(Math.abs(c.numeric)).toBeGreaterThan(1e-7);
      expect(Math.abs(c.analytic - c.numeric)).toBeLessThan(1e-8 + 1e-6 * Math.abs(c.numeric));
    }
    expect(maxAbsError).toBeLessThan(1e-8);
  });
});
