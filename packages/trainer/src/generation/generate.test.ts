// Generation: the KV-cache path gives the tokens and logits of full recomputation (our decoder
// without cache and the core buildGpt2), its first step matches PyTorch, and EOS / top-k /
// seeded sampling behave as specified.
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { saveOnnxFile } from '../ir/external-data.js';
import { buildGpt2 } from '../models/gpt2.js';
import { loadReferenceWeights, maxAbsDiff } from '../models/testing.js';
import type { ModelGraph } from '../models/utils.js';
import { createGenerator, type GenerateResult, type Generator } from './generate.js';
import { buildGpt2Decoder } from './gpt2-decoder.js';
import { readReference, TINY_GPT2 } from './testing.js';

const TINY = TINY_GPT2;
const PROMPTS = [[5, 17, 33, 2, 41, 9], [7, 8, 3, 12], [44]];
const ref = readReference();

/** Runs `fn` with a generator over `model` holding fixtures/reference.py's weights. */
const withGenerator = async <T>(
  model: ModelGraph,
  fn: (g: Generator) => Promise<T>,
): Promise<T> => {
  loadReferenceWeights(model);
  const g = await createGenerator({ model, session: { threads: 1 } });
  try {
    return await fn(g);
  } finally {
    await g.release();
  }
};
const maxLogitDiff = (a: GenerateResult, b: GenerateResult): number => {
  let m = 0;
  a.logits?.forEach((row, i) => {
    row.forEach((l, t) => {
      m = Math.max(m, maxAbsDiff(l, b.logits?.[i]?.[t] ?? []));
    });
  });
  return m;
};

describe('createGenerator', () => {
  it('KV cache = full recomputation (same tokens, logits to float32 tolerance), and the first step matches PyTorch', async () => {
    const options = { maxNewTokens: 10, returnLogits: true, padTokenId: 0 };
    const cached = await withGenerator(buildGpt2Decoder(TINY), async (g) => {
      expect(g.kvCache).toBe(true);
      return g.generate(PROMPTS, options);
    });
    const recomputed = await withGenerator(
      buildGpt2Decoder(TINY, { kvCache: false }),
      async (g) => {
        expect(g.kvCache).toBe(false);
        return g.generate(PROMPTS, options);
      },
    );
    const core = await withGenerator(buildGpt2(TINY, { positionIds: true }), (g) =>
      g.generate(PROMPTS, options),
    );
    expect(cached.tokens.map((t) => t.length)).toEqual([10, 10, 10]);
    expect(cached.finishReasons).toEqual(['length', 'length', 'length']);
    expect(recomputed.tokens).toEqual(cached.tokens);
    expect(core.tokens).toEqual(cached.tokens);
    console.log(
      `[generation/kv] max |logit diff| over 3×10 steps: cache vs recompute ${maxLogitDiff(cached, recomputed).toExponential(2)}, cache vs buildGpt2 ${maxLogitDiff(cached, core).toExponential(2)}`,
    );
    expect(maxLogitDiff(cached, recomputed)).toBeLessThan(1e-5);
    expect(maxLogitDiff(cached, core)).toBeLessThan(1e-5);
    // The greedy tokens are the argmax of the returned logits.
    cached.logits?.forEach((row, i) => {
      row.forEach((l, t) => {
        expect(l.indexOf(Math.max(...l))).toBe(cached.tokens[i]?.[t]);
      });
    });
    // Prompts 0 and 1 left-padded with 0 are fixtures/reference.py's batch: step 0 = PyTorch's
    // logits at the last position.
    for (const b of [0, 1]) {
      const last = ref.prompt.logits.slice((b * 6 + 5) * 50, (b * 6 + 6) * 50);
      expect(maxAbsDiff(cached.logits?.[b]?.[0] ?? [], last)).toBeLessThan(1e-5);
    }
    // Left padding does not change a prompt's continuation.
    const alone = await withGenerator(buildGpt2Decoder(TINY), (g) =>
      g.generate([PROMPTS[1] as number[]], options),
    );
    expect(alone.tokens[0]).toEqual(cached.tokens[1]);
    expect(
      maxAbsDiff(
        alone.logits?.[0]?.flatMap((l) => [...l]) ?? [],
        cached.logits?.[1]?.flatMap((l) => [...l]) ?? [],
      ),
    ).toBeLessThan(1e-5);
  });

  it('stops each prompt at an EOS id (one or several), keeps it and pads the finished rows', async () => {
    await withGenerator(buildGpt2Decoder(TINY), async (g) => {
      const free = await g.generate(PROMPTS, { maxNewTokens: 8 });
      const eosA = free.tokens[0]?.[2] as number;
      // The first position where eosA appears in each row decides where that row stops.
      const stopAt = free.tokens.map((t) => t.indexOf(eosA));
      const stopped = await g.generate(PROMPTS, { maxNewTokens: 8, eosTokenId: eosA });
      stopped.tokens.forEach((t, i) => {
        const at = stopAt[i] as number;
        expect(t).toEqual(at < 0 ? free.tokens[i] : free.tokens[i]?.slice(0, at + 1));
        expect(stopped.finishReasons[i]).toBe(at < 0 ? 'length' : 'eos');
      });
      expect(stopped.finishReasons[0]).toBe('eos');
      expect(stopped.tokens[0]).toHaveLength((stopAt[0] as number) + 1);

      const eosB = free.tokens[1]?.[0] as number;
      const several = await g.generate(PROMPTS, { maxNewTokens: 8, eosTokenId: [eosA, eosB] });
      expect(several.tokens[1]).toEqual([eosB]);
      expect(several.finishReasons[1]).toBe('eos');
      // When every row has finished the loop ends early.
      const all = await g.generate([PROMPTS[1] as number[]], { maxNewTokens: 8, eosTokenId: eosB });
      expect(all.tokens).toEqual([[eosB]]);
    });
  });

  it('top-k = 1 sampling is greedy; seeded sampling is reproducible and stays in the top k', async () => {
    await withGenerator(buildGpt2Decoder(TINY), async (g) => {
      const greedy = await g.generate(PROMPTS, { maxNewTokens: 10 });
      const topOne = await g.generate(PROMPTS, {
        maxNewTokens: 10,
        doSample: true,
        topK: 1,
        temperature: 3,
        seed: 11,
      });
      expect(topOne.tokens).toEqual(greedy.tokens);

      const sample = (seed: number) =>
        g.generate(PROMPTS, {
          maxNewTokens: 12,
          doSample: true,
          temperature: 1.5,
          topK: 5,
          seed,
          returnLogits: true,
        });
      const a = await sample(1);
      const b = await sample(1);
      const c = await sample(2);
      expect(b.tokens).toEqual(a.tokens);
      expect(c.tokens).not.toEqual(a.tokens);
      expect(a.tokens).not.toEqual(greedy.tokens);
      a.tokens.forEach((row, i) => {
        row.forEach((token, t) => {
          const logits = a.logits?.[i]?.[t] as Float64Array;
          const fifth = [...logits].sort((x, y) => y - x)[4] as number;
          expect(logits[token]).toBeGreaterThanOrEqual(fifth);
        });
      });
    });
  });

  it('loads the decoder from an ONNX file with external data', async () => {
    const { path: dir, cleanup } = await createTempDir('ft-generation-');
    try {
      const decoder = buildGpt2Decoder(TINY);
      loadReferenceWeights(decoder);
      const path = join(dir, 'onnx', 'model.onnx');
      // A 1 KiB threshold puts the larger weights into model.onnx.data.
      const saved = await saveOnnxFile(decoder.graph, path, { externalDataThreshold: 1024 });
      expect(saved.externalTensors).toContain('transformer.wte.weight');
      const fromFile = await createGenerator({ model: path, session: { threads: 1 } });
      const inMemory = await createGenerator({ model: decoder, session: { threads: 1 } });
      try {
        expect(fromFile.kvCache).toBe(true);
        const a = await fromFile.generate(PROMPTS, { maxNewTokens: 6 });
        const b = await inMemory.generate(PROMPTS, { maxNewTokens: 6 });
        expect(a.tokens).toEqual(b.tokens);
        // The file keeps n_positions: the length check still applies.
        await expect(fromFile.generate([[1, 2]], { maxNewTokens: 40 })).rejects.toThrow(
          /32 positions/,
        );
      } finally {
        await fromFile.release();
        await inMemory.release();
      }
      await expect(createGenerator({ model: join(dir, 'missing.onnx') })).rejects.toThrow(
        /missing\.onnx/,
      );
    } finally {
      await cleanup();
    }
  });

  it('rejects bad prompts, lengths and decoders with messages that say what to fix', async () => {
    await withGenerator(buildGpt2Decoder(TINY), async (g) => {
      await expect(g.generate([[1, 2], []])).rejects.toThrow(/prompt 1 must be a non-empty array/);
      await expect(g.generate([[1, 50]])).rejects.toThrow(/integers in \[0, 50\)/);
      await expect(g.generate([[1, 2]], { maxNewTokens: 40 })).rejects.toThrow(
        /exceeds the model's 32 positions/,
      );
      await expect(g.generate([[1]], { maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens/);
      await expect(g.generate([[1]], { doSample: true, topP: 2 })).rejects.toThrow(TrainerError);
      expect(await g.generate([])).toEqual({ tokens: [], finishReasons: [] });
    });
    await withGenerator(buildGpt2(TINY), async (g) => {
      await expect(g.generate([[1, 2], [3]])).rejects.toThrow(
        /needs a decoder with a position_ids input/,
      );
    });
    const symbolic = buildGpt2Decoder(TINY);
    const input = symbolic.graph.inputs.find((v) => v.name === 'past_key_values.0.key');
    if (input) input.shape = ['batch', 'heads', 'past', 'd'];
    await expect(createGenerator({ model: symbolic })).rejects.toThrow(/fixed heads and head_dim/);
    const noPresent = buildGpt2Decoder(TINY);
    noPresent.graph.outputs = noPresent.graph.outputs.filter((v) => v.name !== 'present.1.value');
    await expect(createGenerator({ model: noPresent })).rejects.toThrow(
      /no output "present\.1\.value"/,
    );
  });
});
