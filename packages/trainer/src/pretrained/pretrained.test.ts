// loadPretrained / resizeTokenEmbeddings against tiny HF-layout folders whose reference outputs
// come from PyTorch (fixtures/generate.py); error cases edit copies of those folders.
import { readFileSync } from 'node:fs';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { exportInferenceModel } from '../export/inference-model.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { crossEntropyLoss } from '../losses/cross-entropy.js';
import { int64Matrix, maxAbsDiff, numbers, runModel } from '../models/testing.js';
import type { ModelGraph } from '../models/utils.js';
import { createTrainingStep } from '../step/training-step.js';
import { readSafetensors, writeSafetensors } from '../weights/safetensors.js';
import { loadPretrained, type PretrainedModel } from './load-pretrained.js';
import { resizeTokenEmbeddings } from './resize-embeddings.js';

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;
interface Reference {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
  logits: number[];
  last_hidden_state?: number[];
}
const REF = JSON.parse(readFileSync(join(FIXTURES, 'reference.json'), 'utf8')) as Record<
  'bert' | 'roberta' | 'gpt2',
  Reference
>;

function feedsFor(model: ModelGraph, ref: Reference): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {
    input_ids: int64Matrix(ref.input_ids),
    attention_mask: int64Matrix(ref.attention_mask),
  };
  if (model.inputs.includes('token_type_ids')) {
    feeds.token_type_ids = int64Matrix(
      ref.token_type_ids ?? ref.input_ids.map((r) => r.map(() => 0)),
    );
  }
  return feeds;
}

async function outputs(model: ModelGraph, ref: Reference) {
  return runModel(model, feedsFor(model, ref));
}

let tmp: { path: string; cleanup: () => Promise<void> };
let counter = 0;
beforeAll(async () => {
  tmp = await createTempDir('ft-pretrained-');
});
afterAll(async () => {
  await tmp.cleanup();
});

/** A copy of a fixture folder, with config and tensors edited. */
async function variant(
  name: 'bert' | 'roberta' | 'gpt2',
  edit: {
    config?: (c: Record<string, unknown>) => void;
    tensors?: (t: Map<string, TensorData>) => Map<string, TensorData> | undefined;
  } = {},
): Promise<string> {
  const dir = join(tmp.path, `${name}-${counter++}`);
  await cp(join(FIXTURES, name), dir, { recursive: true });
  if (edit.config) {
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    edit.config(config);
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  }
  if (edit.tensors) {
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    const next = edit.tensors(tensors) ?? tensors;
    await writeSafetensors(join(dir, 'model.safetensors'), next);
  }
  return dir;
}

async function expectError(promise: Promise<unknown>, ...parts: Array<string | RegExp>) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrainerError);
  for (const part of parts) expect((error as Error).message).toMatch(part);
  return error as TrainerError;
}

describe('loadPretrained: outputs match PyTorch', () => {
  it('BERT (bert. prefix, cls.* pretraining heads ignored)', async () => {
    const model = await loadPretrained(join(FIXTURES, 'bert'), { lastHiddenState: true });
    expect(model.head).toEqual({ type: 'sequence-classification', numLabels: 3 });
    expect(model.inputs).toEqual(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(model.loaded).toEqual(model.parameters);
    expect(model.initialized).toEqual([]);
    expect(model.notes).toEqual([
      expect.stringMatching(/^ignored "cls\.predictions\.bias": BERT pretraining head/),
      expect.stringMatching(/^ignored "cls\.predictions\.transform\.dense\.weight"/),
      expect.stringMatching(/^ignored "bert\.embeddings\.position_ids": buffer/),
    ]);
    const out = await outputs(model, REF.bert);
    const logitsErr = maxAbsDiff(numbers(out.logits), REF.bert.logits);
    const hiddenErr = maxAbsDiff(numbers(out.last_hidden_state), REF.bert.last_hidden_state ?? []);
    console.log(
      `BERT vs PyTorch: logits ${logitsErr.toExponential(2)}, hidden ${hiddenErr.toExponential(2)}`,
    );
    expect(logitsErr).toBeLessThan(1e-5);
    expect(hiddenErr).toBeLessThan(1e-5);
  });

  it('RoBERTa: padding-aware position ids, HF names and classification head', async () => {
    const dir = join(FIXTURES, 'roberta');
    const model = await loadPretrained(dir, { lastHiddenState: true });
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    // The graph's parameters are exactly the checkpoint's names (so exports map back 1:1).
    expect([...model.parameters].sort()).toEqual([...tensors.keys()].sort());
    expect(model.parameters).toContain('classifier.out_proj.weight');
    expect(model.inputs).toEqual(['input_ids', 'attention_mask']);
    const out = await outputs(model, REF.roberta);
    const logitsErr = maxAbsDiff(numbers(out.logits), REF.roberta.logits);
    const hiddenErr = maxAbsDiff(
      numbers(out.last_hidden_state),
      REF.roberta.last_hidden_state ?? [],
    );
    console.log(
      `RoBERTa vs PyTorch: logits ${logitsErr.toExponential(2)}, hidden ${hiddenErr.toExponential(2)}`,
    );
    expect(logitsErr).toBeLessThan(1e-5);
    expect(hiddenErr).toBeLessThan(1e-5);
  });

  it('RoBERTa positions differ from BERT positions (the reference would catch a Slice)', async () => {
    const roberta = await loadPretrained(join(FIXTURES, 'roberta'));
    const asBert = await loadPretrained(join(FIXTURES, 'roberta'), { architecture: 'roberta' });
    expect(numbers((await outputs(asBert, REF.roberta)).logits)).toEqual(
      numbers((await outputs(roberta, REF.roberta)).logits),
    );
    // Same weights through the plain BERT graph (positions 0..T−1, names mapped back) are off.
    const dir = await variant('roberta', {
      config: (c) => {
        c.model_type = 'bert';
        c.architectures = ['BertModel'];
      },
      tensors: (t) =>
        new Map(
          [...t]
            .filter(([k]) => k.startsWith('roberta.'))
            .map(([k, v]) => [k.replace('roberta.', 'bert.'), v]),
        ),
    });
    const bert = await loadPretrained(dir, { tokenTypeIds: false });
    const diff = maxAbsDiff(
      numbers((await outputs(bert, REF.roberta)).last_hidden_state),
      REF.roberta.last_hidden_state ?? [],
    );
    expect(diff).toBeGreaterThan(1e-2);
  });

  it('RoBERTa token classification keeps HF names (classifier on every token, no pooler)', async () => {
    const model = await loadPretrained(join(FIXTURES, 'roberta'), {
      head: { type: 'token-classification', numLabels: 5 },
    });
    expect(model.initialized).toEqual(['classifier.weight', 'classifier.bias']);
    expect(model.parameters.filter((p) => !p.startsWith('roberta.'))).toEqual([
      'classifier.weight',
      'classifier.bias',
    ]);
    expect(model.notes).toContainEqual(
      expect.stringMatching(/^ignored "classifier\.dense\.weight": task head/),
    );
    const out = await outputs(model, REF.roberta);
    expect(out.logits?.dims).toEqual([2, 6, 5]);
    expect(
      maxAbsDiff(numbers(out.last_hidden_state), REF.roberta.last_hidden_state ?? []),
    ).toBeLessThan(1e-5);
  });

  it("an exported RoBERTa writes the checkpoint's own names and loads back to the same logits", async () => {
    const model = await loadPretrained(join(FIXTURES, 'roberta'));
    const outputDir = join(tmp.path, `export-${counter++}`);
    const exported = await exportInferenceModel({
      graph: model.graph,
      parameters: new Map(),
      outputDir,
      outputs: ['logits'],
    });
    const written = await readSafetensors(exported.weightsPath);
    const original = await readSafetensors(join(FIXTURES, 'roberta', 'model.safetensors'));
    expect([...written.tensors.keys()].sort()).toEqual([...original.tensors.keys()].sort());
    await cp(join(FIXTURES, 'roberta', 'config.json'), join(outputDir, 'config.json'));
    const reloaded = await loadPretrained(outputDir);
    expect(numbers((await outputs(reloaded, REF.roberta)).logits)).toEqual(
      numbers((await outputs(model, REF.roberta)).logits),
    );
  });

  it('XLM-RoBERTa (model_type xlm-roberta) builds the RoBERTa graph', async () => {
    const dir = await variant('roberta', {
      config: (c) => {
        c.model_type = 'xlm-roberta';
        c.architectures = ['XLMRobertaForSequenceClassification'];
      },
    });
    const model = await loadPretrained(dir);
    expect(model.config.architecture).toBe('xlm-roberta');
    const out = await outputs(model, REF.roberta);
    expect(maxAbsDiff(numbers(out.logits), REF.roberta.logits)).toBeLessThan(1e-5);
  });

  it('GPT-2 (bare names, attn.bias buffers ignored, tied LM head) in float64 and float32', async () => {
    const f64 = await loadPretrained(join(FIXTURES, 'gpt2'), { dtype: 'float64' });
    expect(f64.head).toEqual({ type: 'causal-lm' });
    expect(f64.parameters[0]).toBe('transformer.wte.weight');
    expect(f64.parameters).not.toContain('lm_head.weight');
    expect(f64.notes).toEqual([
      expect.stringMatching(/^ignored "h\.0\.attn\.bias": GPT-2 causal-mask buffer/),
      expect.stringMatching(/^ignored "h\.1\.attn\.bias"/),
    ]);
    const err64 = maxAbsDiff(numbers((await outputs(f64, REF.gpt2)).logits), REF.gpt2.logits);
    const f32 = await loadPretrained(join(FIXTURES, 'gpt2'));
    const err32 = maxAbsDiff(numbers((await outputs(f32, REF.gpt2)).logits), REF.gpt2.logits);
    console.log(
      `GPT-2 vs PyTorch: float64 ${err64.toExponential(2)}, float32 ${err32.toExponential(2)}`,
    );
    expect(err64).toBeLessThan(1e-9);
    expect(err32).toBeLessThan(1e-5);
  });

  it('GPT-2 with a transformer. prefix and a tied lm_head.weight loads the same', async () => {
    const dir = await variant('gpt2', {
      tensors: (t) => {
        const next = new Map([...t].map(([k, v]) => [`transformer.${k}`, v]));
        next.set('lm_head.weight', t.get('wte.weight') as TensorData);
        return next;
      },
    });
    const model = await loadPretrained(dir, { dtype: 'float64' });
    expect(model.notes).toContainEqual(
      expect.stringMatching(/^ignored "lm_head\.weight": LM head/),
    );
    const err = maxAbsDiff(numbers((await outputs(model, REF.gpt2)).logits), REF.gpt2.logits);
    expect(err).toBeLessThan(1e-9);
  });

  it('bare BertModel names with legacy LayerNorm gamma/beta load the same weights', async () => {
    const dir = await variant('bert', {
      tensors: (t) =>
        new Map(
          [...t].map(([k, v]) => [
            k
              .replace(/^bert\./, '')
              .replace(/LayerNorm\.weight$/, 'LayerNorm.gamma')
              .replace(/LayerNorm\.bias$/, 'LayerNorm.beta'),
            v,
          ]),
        ),
    });
    const model = await loadPretrained(dir);
    const out = await outputs(model, REF.bert);
    expect(maxAbsDiff(numbers(out.logits), REF.bert.logits)).toBeLessThan(1e-5);
  });

  it('float16 checkpoints are decoded (values within half precision)', async () => {
    const toHalf = (x: number): number => {
      // Round-to-nearest float16 encoding of values in the normal range (|x| < 65504).
      if (x === 0) return 0;
      const sign = x < 0 ? 0x8000 : 0;
      const a = Math.abs(x);
      let e = Math.floor(Math.log2(a));
      if (e < -14) return sign | Math.round(a / 2 ** -24);
      let m = Math.round((a / 2 ** e - 1) * 1024);
      if (m === 1024) {
        m = 0;
        e += 1;
      }
      return sign | ((e + 15) << 10) | m;
    };
    const dir = await variant('gpt2', {
      tensors: (t) =>
        new Map(
          [...t].map(([k, v]) => [
            k,
            {
              dtype: 'float16',
              dims: v.dims,
              data: Uint16Array.from(v.data as Float32Array, toHalf),
            },
          ]),
        ),
    });
    const half = await loadPretrained(dir, { dtype: 'float64' });
    const full = await loadPretrained(join(FIXTURES, 'gpt2'), { dtype: 'float64' });
    const a = half.graph.initializers.get('transformer.wte.weight') as TensorData;
    const b = full.graph.initializers.get('transformer.wte.weight') as TensorData;
    const err = maxAbsDiff(numbers(a), numbers(b));
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThan(2 ** -11); // |w| < 1: half's spacing is ≤ 2^-11
  });
});

describe('loadPretrained: sharded checkpoints', () => {
  async function shard(source: 'bert', index?: (map: Record<string, string>) => void) {
    const dir = join(tmp.path, `sharded-${counter++}`);
    await cp(join(FIXTURES, source), dir, { recursive: true });
    const { tensors } = await readSafetensors(join(dir, 'model.safetensors'));
    await rm(join(dir, 'model.safetensors'));
    const names = [...tensors.keys()];
    const half = Math.ceil(names.length / 2);
    const weightMap: Record<string, string> = {};
    for (const [i, part] of [names.slice(0, half), names.slice(half)].entries()) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      await writeSafetensors(
        join(dir, file),
        new Map(part.map((n) => [n, tensors.get(n) as TensorData])),
      );
      for (const n of part) weightMap[n] = file;
    }
    index?.(weightMap);
    await writeFile(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }),
    );
    return dir;
  }

  it('two shards give the same parameters as one file', async () => {
    const dir = await shard('bert');
    const sharded = await loadPretrained(dir);
    const single = await loadPretrained(join(FIXTURES, 'bert'));
    expect(sharded.files.map((f) => f.slice(dir.length + 1))).toEqual([
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
    for (const p of single.parameters) {
      expect(numbers(sharded.graph.initializers.get(p))).toEqual(
        numbers(single.graph.initializers.get(p)),
      );
    }
    const out = await outputs(sharded, REF.bert);
    expect(maxAbsDiff(numbers(out.logits), REF.bert.logits)).toBeLessThan(1e-5);
  });

  it('an index that names the wrong shard, or a missing shard, is refused', async () => {
    const wrong = await shard('bert', (map) => {
      map['classifier.weight'] =
        map['classifier.weight'] === 'model-00001-of-00002.safetensors'
          ? 'model-00002-of-00002.safetensors'
          : 'model-00001-of-00002.safetensors';
    });
    await expectError(
      loadPretrained(wrong),
      /tensor "classifier\.weight" is in model-0000\d-of-00002/,
    );
    const missing = await shard('bert');
    await rm(join(missing, 'model-00002-of-00002.safetensors'));
    await expectError(loadPretrained(missing), 'model-00002-of-00002.safetensors', /cannot open/);
  });
});

describe('loadPretrained: clear errors', () => {
  it('a missing backbone tensor is named with the closest checkpoint names', async () => {
    const dir = await variant('bert', {
      tensors: (t) => {
        const w = t.get('bert.encoder.layer.1.output.dense.weight') as TensorData;
        t.delete('bert.encoder.layer.1.output.dense.weight');
        t.set('bert.encoder.layer.1.output.dens.weight', w); // a typo
        return t;
      },
    });
    const error = await expectError(
      loadPretrained(dir, { strict: false }),
      'tensor "bert.encoder.layer.1.output.dense.weight" is missing',
      /closest names in the checkpoint: .*"bert\.encoder\.layer\.1\.output\.dens\.weight"/,
    );
    expect(error.code).toBe('CHECKPOINT');
    expect(error.file).toMatch(/model\.safetensors$/);
  });

  it('unexpected tensors are listed (strict), or noted with strict: false', async () => {
    const dir = await variant('bert', {
      tensors: (t) => {
        t.set('bert.encoder.layer.2.output.dense.weight', tensor('float32', [2], [1, 2]));
        return t;
      },
    });
    await expectError(
      loadPretrained(dir),
      '1 checkpoint tensor(s) match no parameter',
      '"bert.encoder.layer.2.output.dense.weight"',
      'strict: false',
    );
    const lenient = await loadPretrained(dir, { strict: false });
    expect(lenient.notes).toContainEqual(
      expect.stringContaining('"bert.encoder.layer.2.output.dense.weight"'),
    );
  });

  it('a shape mismatch names the tensor, both shapes and the fix', async () => {
    await expectError(
      loadPretrained(join(FIXTURES, 'bert'), { numLabels: 5 }),
      'tensor "classifier.weight" has shape [3, 16], the model\'s "classifier.weight" expects [5, 16]',
      'pass numLabels',
    );
    const dir = await variant('gpt2', {
      tensors: (t) => {
        const w = t.get('h.0.mlp.c_fc.weight') as TensorData;
        // Transposed to PyTorch Linear's [out, in]: GPT-2's Conv1D stores [in, out].
        t.set('h.0.mlp.c_fc.weight', { ...w, dims: [64, 16] });
        return t;
      },
    });
    await expectError(
      loadPretrained(dir),
      'tensor "h.0.mlp.c_fc.weight" has shape [64, 16], the model\'s "transformer.h.0.mlp.c_fc.weight" expects [16, 64]',
    );
  });

  it('unsupported or broken config.json fields are named', async () => {
    const cases: Array<[(c: Record<string, unknown>) => void, string]> = [
      [
        (c) => (c.position_embedding_type = 'relative_key'),
        'position_embedding_type "relative_key" is not supported',
      ],
      [
        (c) => (c.model_type = 't5'),
        'model_type "t5" is not supported (supported: bert, roberta, xlm-roberta, gpt2)',
      ],
      [(c) => delete c.hidden_size, 'field "hidden_size" is missing'],
      [(c) => (c.hidden_act = 'silu'), 'field "hidden_act" is "silu", which is not supported'],
      [(c) => (c.is_decoder = true), 'field "is_decoder" is true'],
      [
        (c) => (c.num_attention_heads = 5),
        'hidden_size (16) must be a multiple of num_attention_heads (5)',
      ],
    ];
    for (const [edit, message] of cases) {
      const dir = await variant('bert', { config: edit });
      const error = await expectError(loadPretrained(dir), message);
      expect(error.file).toMatch(/config\.json$/);
    }
    const tied = await variant('gpt2', { config: (c) => (c.tie_word_embeddings = false) });
    await expectError(loadPretrained(tied), 'field "tie_word_embeddings" is false');
    await expectError(
      loadPretrained(join(FIXTURES, 'bert'), { architecture: 'gpt2' }),
      'model_type is "bert" but architecture "gpt2" was requested',
    );
    await expectError(
      loadPretrained(join(FIXTURES, 'gpt2'), { head: { type: 'sequence-classification' } }),
      "GPT-2 supports only head { type: 'causal-lm' }",
    );
  });

  it('bad JSON, a missing config.json and a folder without weights are reported', async () => {
    const badJson = await variant('bert');
    await writeFile(join(badJson, 'config.json'), '{"model_type": "bert",');
    await expectError(loadPretrained(badJson), /config\.json: config\.json is not valid JSON/);
    const noConfig = await variant('bert');
    await rm(join(noConfig, 'config.json'));
    await expectError(loadPretrained(noConfig), 'cannot read config.json');
    const noWeights = await variant('bert');
    await rm(join(noWeights, 'model.safetensors'));
    await expectError(
      loadPretrained(noWeights),
      'no model.safetensors or model.safetensors.index.json in the model folder (found: config.json)',
    );
  });
});

describe('new heads and resized embeddings', () => {
  const withoutHead = () =>
    variant('bert', {
      config: (c) => {
        c.architectures = ['BertModel'];
        delete c.id2label;
        delete c.label2id;
      },
      tensors: (t) => new Map([...t].filter(([k]) => !k.startsWith('classifier.'))),
    });

  it('a head the checkpoint lacks is initialised from the seed (normal(0, 0.02), zero bias)', async () => {
    const dir = await withoutHead();
    const plain = await loadPretrained(dir);
    expect(plain.head).toEqual({ type: 'none' });
    expect(plain.outputs).toEqual(['pooler_output', 'last_hidden_state']);
    const a = await loadPretrained(dir, { numLabels: 4, seed: 1, lastHiddenState: true });
    const b = await loadPretrained(dir, { numLabels: 4, seed: 1 });
    const c = await loadPretrained(dir, { numLabels: 4, seed: 2 });
    expect(a.initialized).toEqual(['classifier.weight', 'classifier.bias']);
    expect(a.notes).toContainEqual(
      'initialized "classifier.weight" from the seed: not in the checkpoint (new head)',
    );
    const w = (m: PretrainedModel) => numbers(m.graph.initializers.get('classifier.weight'));
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    const values = w(a);
    const std = Math.sqrt(values.reduce((s, v) => s + v * v, 0) / values.length);
    expect(std).toBeGreaterThan(0.01);
    expect(std).toBeLessThan(0.04);
    expect(numbers(a.graph.initializers.get('classifier.bias'))).toEqual([0, 0, 0, 0]);
    // The backbone is the checkpoint's: hidden states still match PyTorch.
    const out = await outputs(a, REF.bert);
    expect(out.logits?.dims).toEqual([2, 4]);
    expect(
      maxAbsDiff(numbers(out.last_hidden_state), REF.bert.last_hidden_state ?? []),
    ).toBeLessThan(1e-5);
  });

  it("resizeTokenEmbeddings 'mean' appends the mean row and keeps old logits bit for bit", async () => {
    const model = await loadPretrained(join(FIXTURES, 'bert'));
    const resized = resizeTokenEmbeddings(model, 43);
    expect(resized.config.raw.vocab_size).toBe(43);
    const table = resized.graph.initializers.get(
      'bert.embeddings.word_embeddings.weight',
    ) as TensorData;
    const old = numbers(model.graph.initializers.get('bert.embeddings.word_embeddings.weight'));
    expect(table.dims).toEqual([43, 16]);
    const rows = numbers(table);
    expect(rows.slice(0, 40 * 16)).toEqual(old);
    for (let j = 0; j < 16; j++) {
      let mean = 0;
      for (let r = 0; r < 40; r++) mean += (old[r * 16 + j] as number) / 40;
      for (let r = 40; r < 43; r++) expect(rows[r * 16 + j]).toBeCloseTo(mean, 6);
    }
    expect(numbers((await outputs(resized, REF.bert)).logits)).toEqual(
      numbers((await outputs(model, REF.bert)).logits),
    );
  });

  it("resizeTokenEmbeddings 'normal' on GPT-2: tied logits grow, old columns unchanged; shrinking drops rows", async () => {
    const model = await loadPretrained(join(FIXTURES, 'gpt2'), { dtype: 'float64' });
    const grown = resizeTokenEmbeddings(model, 48, { init: 'normal', seed: 3 });
    const again = resizeTokenEmbeddings(model, 48, { init: 'normal', seed: 3 });
    const table = numbers(grown.graph.initializers.get('transformer.wte.weight'));
    expect(table).toEqual(numbers(again.graph.initializers.get('transformer.wte.weight')));
    const added = table.slice(40 * 16);
    const std = Math.sqrt(added.reduce((s, v) => s + v * v, 0) / added.length);
    expect(std).toBeGreaterThan(0.012);
    expect(std).toBeLessThan(0.03);
    const before = await outputs(model, REF.gpt2);
    const after = await outputs(grown, REF.gpt2);
    expect(after.logits?.dims).toEqual([2, 6, 48]);
    const b = numbers(before.logits);
    const a = numbers(after.logits);
    const oldColumns = a.filter((_, i) => i % 48 < 40);
    expect(maxAbsDiff(oldColumns, b)).toBeLessThan(1e-12);
    const shrunk = resizeTokenEmbeddings(model, 30);
    expect(shrunk.graph.initializers.get('transformer.wte.weight')?.dims).toEqual([30, 16]);
    const small = await outputs(shrunk, {
      ...REF.gpt2,
      input_ids: [
        [5, 17, 2, 9],
        [7, 8, 3, 12],
      ],
      attention_mask: [
        [1, 1, 1, 1],
        [1, 1, 1, 1],
      ],
    });
    expect(small.logits?.dims).toEqual([2, 4, 30]);
    expect(() => resizeTokenEmbeddings(model, 0)).toThrow(
      'newVocabSize must be a positive integer',
    );
  });
});

describe('fine-tuning a loaded checkpoint', () => {
  it('RoBERTa training graph (dropout, new head) trains: eval loss halves after 10 AdamW steps', async () => {
    const dir = await variant('roberta', {
      tensors: (t) => new Map([...t].filter(([k]) => !k.startsWith('classifier.out_proj.'))),
    });
    const model = await loadPretrained(dir, { training: true, numLabels: 2, seed: 5 });
    const evalModel = await loadPretrained(dir, { numLabels: 2, seed: 5 });
    expect(model.initialized).toEqual(['classifier.out_proj.weight', 'classifier.out_proj.bias']);
    expect(model.dropoutSeed).toBe('dropout_seed');
    expect(evalModel.parameters).toEqual(model.parameters);
    // RobertaClassificationHead's first dropout (features → dense) exists only in the training graph.
    const producerOfDenseInput = (m: ModelGraph) => {
      const dense = m.graph.nodes.find((n) => n.inputs[1] === 'classifier.dense.weight');
      return m.graph.nodes.find((n) => n.outputs.includes(dense?.inputs[0] as string))?.opType;
    };
    // (The last layer runs for the first token only, so its LayerNorm yields the features.)
    expect(producerOfDenseInput(evalModel)).toBe('LayerNormalization');
    expect(producerOfDenseInput(model)).not.toBe('LayerNormalization');
    const withLoss = (m: ModelGraph) => {
      const b = createGraphBuilder({ graph: m.graph });
      const labels = b.input('labels', 'int64', ['batch']);
      const loss = crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
      b.output(loss, 'float32', []);
      return loss;
    };
    const loss = withLoss(model);
    withLoss(evalModel);
    const step = await createTrainingStep({
      graph: model.graph,
      evalGraph: evalModel.graph,
      loss,
      optimizer: { type: 'adamw', weightDecay: 0 },
      session: { threads: 1 },
    });
    const batch = {
      input_ids: int64Matrix([
        [0, 17, 33, 5, 2],
        [0, 8, 2, 1, 1],
        [0, 21, 9, 30, 2],
        [0, 4, 2, 1, 1],
      ]),
      attention_mask: int64Matrix([
        [1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
        [1, 1, 1, 0, 0],
      ]),
      labels: tensor('int64', [4], [0, 1, 0, 1]),
    };
    const before = (await step.evaluate(batch)).loss;
    const losses: number[] = [];
    for (let i = 0; i < 10; i++) losses.push((await step.run(batch, 2e-2)).loss);
    const after = (await step.evaluate(batch)).loss;
    await step.release();
    console.log(
      `RoBERTa fine-tune: eval loss ${before.toFixed(4)} → ${after.toFixed(4)}; train losses ${losses.map((l) => l.toFixed(3)).join(' ')}`,
    );
    expect(after).toBeLessThan(before * 0.5);
  });
});
