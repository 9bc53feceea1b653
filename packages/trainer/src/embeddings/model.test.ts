// buildEmbeddingModel: its pooled, normalised output equals mean/[CLS] pooling computed on the host
// from the same BERT's last_hidden_state, padding does not change it, and bad models are refused.
import { describe, expect, it } from 'vitest';
import { checkGradients } from '../autodiff/testing.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { type BertConfig, buildBert } from '../models/bert.js';
import { buildMlp } from '../models/mlp.js';
import { createSession } from '../runtime/session.js';
import { cosentLoss } from './cosent.js';
import { buildEmbeddingModel, SENTENCE_EMBEDDING } from './model.js';
import { splitStacked } from './similarity.js';

const CONFIG: BertConfig = {
  vocab_size: 30,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 8,
};
// Three sentences right-padded to 6 tokens (pad id 0, mask 0).
const IDS = [
  [1, 5, 9, 12, 2, 0],
  [1, 7, 2, 0, 0, 0],
  [1, 3, 4, 8, 11, 2],
];
const feeds = (rows: number[][], length: number): Record<string, TensorData> => {
  const ids = rows.flatMap((r) => Array.from({ length }, (_, t) => r[t] ?? 0));
  const mask = rows.flatMap((r) =>
    Array.from({ length }, (_, t) => (t < r.length && r[t] !== 0 ? 1 : 0)),
  );
  return {
    input_ids: tensor('int64', [rows.length, length], ids),
    attention_mask: tensor('int64', [rows.length, length], mask),
    token_type_ids: tensor('int64', [rows.length, length], new Array(ids.length).fill(0)),
  };
};

async function run(graph: Parameters<typeof createSession>[0], batch: Record<string, TensorData>) {
  const session = await createSession(graph, { threads: 1 });
  try {
    return await session.run(batch);
  } finally {
    await session.release();
  }
}

/** Host reference: sentence-transformers' Pooling (+ Normalize) on last_hidden_state, float64. */
function hostPooling(
  hidden: TensorData,
  mask: TensorData,
  pooling: 'mean' | 'cls',
  normalize: boolean,
): number[][] {
  const [batch = 0, seq = 0, size = 0] = hidden.dims;
  const out: number[][] = [];
  for (let i = 0; i < batch; i++) {
    const v = new Array<number>(size).fill(0);
    let count = 0;
    for (let t = 0; t < seq; t++) {
      const m = pooling === 'cls' ? (t === 0 ? 1 : 0) : Number(mask.data[i * seq + t]);
      count += m;
      for (let k = 0; k < size; k++) {
        v[k] = (v[k] as number) + m * Number(hidden.data[(i * seq + t) * size + k]);
      }
    }
    const mean = v.map((x) => x / Math.max(count, 1e-9));
    const norm = Math.sqrt(mean.reduce((s, x) => s + x * x, 0));
    out.push(normalize ? mean.map((x) => x / Math.max(norm, 1e-12)) : mean);
  }
  return out;
}

describe('buildEmbeddingModel', () => {
  it.each([
    ['mean', true, 'float32', 2e-6],
    ['mean', false, 'float32', 2e-6],
    ['cls', true, 'float32', 2e-6],
    ['mean', true, 'float64', 1e-13],
  ] as const)(
    'pooling %s, normalize %s (%s) equals host pooling of BertModel.last_hidden_state',
    async (pooling, normalize, dtype, tol) => {
      const batch = feeds(IDS, 6);
      // ONNX Runtime has no float64 Erf kernel: the float64 model uses the tanh GELU.
      const config: BertConfig =
        dtype === 'float64' ? { ...CONFIG, hidden_act: 'gelu_new' } : CONFIG;
      const bert = buildBert(config, { head: { type: 'none' }, seed: 3, dtype });
      const { last_hidden_state: hidden } = await run(bert.graph, batch);
      const want = hostPooling(
        hidden as TensorData,
        batch.attention_mask as TensorData,
        pooling,
        normalize,
      );
      const model = buildEmbeddingModel(config, { pooling, normalize, seed: 3, dtype });
      expect(model.outputs).toEqual([SENTENCE_EMBEDDING]);
      const got = (await run(model.graph, batch))[SENTENCE_EMBEDDING] as TensorData;
      expect(got.dims).toEqual([3, 16]);
      want.flat().forEach((w, i) => {
        expect(Math.abs(Number(got.data[i]) - w)).toBeLessThan(tol);
      });
      if (normalize) {
        for (let r = 0; r < 3; r++) {
          const row = Array.from(got.data.slice(r * 16, (r + 1) * 16) as Float32Array);
          expect(Math.sqrt(row.reduce((s, x) => s + x * x, 0))).toBeCloseTo(1, 5);
        }
      }
    },
  );

  it('drops the pooler and any head from graph and parameters; the source model is not changed', () => {
    const fromConfig = buildEmbeddingModel(CONFIG, { tokenTypeIds: false });
    expect(fromConfig.parameters.some((p) => p.startsWith('bert.pooler'))).toBe(false);
    expect(fromConfig.parameters).toContain('bert.embeddings.word_embeddings.weight');
    expect(fromConfig.parameters).toHaveLength([...fromConfig.graph.initializers.keys()].length);
    expect(fromConfig.inputs).toEqual(['input_ids', 'attention_mask']);

    const classifier = buildBert(CONFIG, {
      head: { type: 'sequence-classification', numLabels: 3 },
      training: true,
      lastHiddenState: true,
    });
    // A classifier built without last_hidden_state has no per-token states to pool.
    expect(() =>
      buildEmbeddingModel(buildBert(CONFIG, { head: { type: 'sequence-classification' } })),
    ).toThrow(/lastHiddenState: true/);
    const before = classifier.graph.nodes.length;
    const model = buildEmbeddingModel(classifier, { pooling: 'cls' });
    expect(classifier.graph.nodes.length).toBe(before);
    expect(classifier.graph.outputs.map((o) => o.name)).toEqual(['logits', 'last_hidden_state']);
    expect(model.parameters.filter((p) => /classifier|pooler/.test(p))).toEqual([]);
    expect(model.parameters.length).toBe(classifier.parameters.length - 4);
    // The training variant keeps its dropout seed input.
    expect(model.dropoutSeed).toBe('dropout_seed');
    expect(model.inputs).toContain('dropout_seed');
  });

  it('padding is invisible: a sentence alone gets the embedding its padded row got', async () => {
    const model = buildEmbeddingModel(CONFIG, { seed: 5 });
    const batched = (await run(model.graph, feeds(IDS, 6)))[SENTENCE_EMBEDDING] as TensorData;
    const alone = (await run(model.graph, feeds([[1, 7, 2]], 3)))[SENTENCE_EMBEDDING] as TensorData;
    for (let k = 0; k < 16; k++) {
      expect(Math.abs(Number(alone.data[k]) - Number(batched.data[16 + k]))).toBeLessThan(2e-6);
    }
  });

  it.each(['mean', 'cls'] as const)(
    'pooling %s: gradients through encoder, pooling, normalisation and CoSENT match finite differences (float64)',
    async (pooling) => {
      const config: BertConfig = {
        ...CONFIG,
        hidden_size: 8,
        num_hidden_layers: 1,
        intermediate_size: 16,
        hidden_act: 'gelu_new',
        // Wide init: [CLS]'s state must depend visibly on the other tokens through attention.
        initializer_range: 0.5,
      };
      const model = buildEmbeddingModel(config, { pooling, dtype: 'float64', seed: 9 });
      const wrt = [
        'bert.encoder.layer.0.output.LayerNorm.bias',
        'bert.embeddings.LayerNorm.weight',
      ];
      const result = await checkGradients({
        build: (b) => {
          // The model's graph, with two parameters turned into inputs to perturb.
          const g = b.graph;
          g.nodes.push(...model.graph.nodes);
          g.inputs.push(...model.graph.inputs);
          const inputs: Record<string, TensorData> = {
            ...feeds([IDS[0] as number[], IDS[1] as number[], IDS[2] as number[], [1, 4, 2]], 6),
            scores: tensor('float64', [2], [0.2, 0.9]),
          };
          for (const [name, value] of model.graph.initializers) {
            if (wrt.includes(name)) {
              g.inputs.push({ name, dtype: 'float64', shape: [...value.dims] });
              inputs[name] = value;
            } else g.initializers.set(name, value);
          }
          const [embeddings1, embeddings2] = splitStacked(b, SENTENCE_EMBEDDING);
          const scores = b.input('scores', 'float64', [2]);
          const loss = cosentLoss(b, {
            embeddings1: embeddings1 as string,
            embeddings2: embeddings2 as string,
            scores,
          });
          return { inputs, output: loss };
        },
        wrt,
        opset: 20,
      });
      expect(result.maxAbsError).toBeLessThan(1e-6);
      // Not vacuous: the loss does depend on both parameters.
      for (const w of wrt) {
        const g = Array.from(result.analytic[w]?.data as Float64Array, Math.abs);
        expect(Math.max(...g)).toBeGreaterThan(1e-4);
      }
    },
  );

  it('refuses models without last_hidden_state and unknown pooling', () => {
    const mlp = buildMlp({ inputSize: 4, outputSize: 2 });
    expect(() => buildEmbeddingModel(mlp)).toThrow(/has no output "last_hidden_state"/);
    expect(() => buildEmbeddingModel(CONFIG, { pooling: 'max' as unknown as 'mean' })).toThrow(
      /pooling must be 'mean' or 'cls', got "max"/,
    );
  });
});
