// Autoregressive generation with a causal-LM ONNX graph: a KV cache fed back step by step
// (Optimum's past_key_values / present names), or full recomputation for graphs without one.
import { createRng } from '@ft/data';
import { TrainerError } from '../errors.js';
import { loadOnnxFile } from '../ir/onnx-import.js';
import { allocate, tensor } from '../ir/tensor.js';
import type { DType, Graph, TensorData } from '../ir/types.js';
import { checkPositiveInt } from '../models/utils.js';
import { createSession, type RuntimeSession, type SessionOptions } from '../runtime/session.js';
import { cacheNames } from './gpt2-decoder.js';
import { checkSamplingOptions, type SamplingOptions, selectToken } from './sampling.js';

export interface GeneratorOptions {
  /**
   * The decoder: a built model (`{ graph }`, e.g. buildGpt2Decoder's or buildGpt2's result), a
   * Graph, or an ONNX file path. Inputs `input_ids`, `attention_mask`, optionally `position_ids`
   * and `past_key_values.{i}.key|value` (with fixed heads and head_dim); output `logits`.
   */
  model: { graph: Graph } | Graph | string;
  /** ONNX Runtime session options. @default { threads: 0 } */
  session?: SessionOptions;
}

export interface GenerateOptions extends SamplingOptions {
  /** Tokens to generate per prompt at most. @default 20 */
  maxNewTokens?: number;
  /** End-of-sequence id(s): a prompt stops once it generates one (it is kept in the output). @default none */
  eosTokenId?: number | readonly number[];
  /** Id fed for left padding and after a prompt finished. @default the first eosTokenId, else 0 */
  padTokenId?: number;
  /** Seed of the sampling Rng (createRng); the same seed draws the same tokens. @default 0 */
  seed?: number | string;
  /** Return each step's raw logits (before temperature and filtering). @default false */
  returnLogits?: boolean;
}

export interface GenerateResult {
  /** The new tokens of each prompt (prompt excluded, EOS included when one was generated). */
  tokens: number[][];
  /** Why each prompt stopped. */
  finishReasons: Array<'eos' | 'length'>;
  /** With returnLogits: per prompt, the logits [vocab] that chose each new token. */
  logits?: Float64Array[][];
}

export interface Generator {
  /** Generates continuations of a batch of token-id prompts (left-padded to a common length). */
  generate(
    prompts: readonly (readonly number[])[],
    options?: GenerateOptions,
  ): Promise<GenerateResult>;
  /** Whether the graph has a KV cache (otherwise each step recomputes the whole sequence). */
  readonly kvCache: boolean;
  release(): Promise<void>;
}

interface CacheLayout {
  layers: number;
  heads: number;
  headDim: number;
  dtype: DType;
}

/** Reads the cache geometry from the `past_key_values.{i}.key|value` inputs. */
function cacheLayout(graph: Graph): CacheLayout | undefined {
  const past = graph.inputs.filter((v) => v.name.startsWith('past_key_values.'));
  if (past.length === 0) return undefined;
  const first = past[0];
  if (past.length % 2 !== 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `the decoder has ${past.length} past_key_values inputs; a KV-cache decoder has a key and a value input per layer (past_key_values.{i}.key|value)`,
    );
  }
  const layers = past.length / 2;
  const heads = first?.shape?.[1];
  const headDim = first?.shape?.[3];
  if (typeof heads !== 'number' || typeof headDim !== 'number') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `input "${first?.name}" must have fixed heads and head_dim ([batch, n_head, past_sequence, head_dim]), got [${(first?.shape ?? []).join(', ')}]`,
    );
  }
  for (let i = 0; i < layers; i++) {
    const { pastKey, pastValue, presentKey, presentValue } = cacheNames(i);
    for (const name of [pastKey, pastValue]) {
      const input = graph.inputs.find((v) => v.name === name);
      if (input === undefined || input.dtype !== first?.dtype) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `the decoder has ${past.length} past_key_values inputs but no ${first?.dtype} input "${name}"; name them past_key_values.{i}.key|value for i = 0…${layers - 1}`,
        );
      }
    }
    for (const name of [presentKey, presentValue]) {
      if (!graph.outputs.some((v) => v.name === name)) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `the decoder has cache inputs but no output "${name}"; a KV-cache decoder returns present.{i}.key|value`,
        );
      }
    }
  }
  const dtype = first?.dtype ?? 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `cache input "${first?.name}" is ${dtype}; only float32 and float64 caches are supported`,
    );
  }
  return { layers, heads, headDim, dtype };
}

/** Creates a generator over one ONNX Runtime session of the decoder. */
export async function createGenerator(options: GeneratorOptions): Promise<Generator> {
  const { model } = options;
  const graph: Graph =
    typeof model === 'string' ? await loadOnnxFile(model) : 'graph' in model ? model.graph : model;
  for (const name of ['input_ids', 'attention_mask']) {
    if (!graph.inputs.some((v) => v.name === name)) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `the decoder has no input "${name}"; createGenerator needs a causal LM with input_ids and attention_mask inputs (buildGpt2Decoder, buildGpt2 or an Optimum decoder export)`,
      );
    }
  }
  if (!graph.outputs.some((v) => v.name === 'logits')) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'the decoder has no output "logits"; createGenerator reads the next-token logits [batch, sequence, vocab] from it',
    );
  }
  const layout = cacheLayout(graph);
  const hasPositions = graph.inputs.some((v) => v.name === 'position_ids');
  // GPT-2's position table bounds the sequence length (a Gather past its end fails in ORT).
  const maxPositions = graph.initializers.get('transformer.wpe.weight')?.dims[0];
  const vocab = graph.outputs.find((v) => v.name === 'logits')?.shape?.at(-1);
  const vocabSize = typeof vocab === 'number' ? vocab : undefined;
  const session = await createSession(graph, options.session ?? {});
  return {
    kvCache: layout !== undefined,
    generate: (prompts, generateOptions = {}) =>
      generate(
        session,
        { layout, hasPositions, maxPositions, vocabSize },
        prompts,
        generateOptions,
      ),
    release: () => session.release(),
  };
}

async function generate(
  session: RuntimeSession,
  model: {
    layout: CacheLayout | undefined;
    hasPositions: boolean;
    maxPositions: number | undefined;
    vocabSize: number | undefined;
  },
  prompts: readonly (readonly number[])[],
  options: GenerateOptions,
): Promise<GenerateResult> {
  const { maxNewTokens = 20, seed = 0, returnLogits = false } = options;
  checkSamplingOptions(options);
  const eos = new Set(
    options.eosTokenId === undefined
      ? []
      : typeof options.eosTokenId === 'number'
        ? [options.eosTokenId]
        : options.eosTokenId,
  );
  const padTokenId = options.padTokenId ?? [...eos][0] ?? 0;
  checkPositiveInt('maxNewTokens', maxNewTokens);
  if (prompts.length === 0) return { tokens: [], finishReasons: [] };
  const limit = model.vocabSize ?? Number.POSITIVE_INFINITY;
  prompts.forEach((prompt, i) => {
    if (prompt.length === 0 || !prompt.every((t) => Number.isInteger(t) && t >= 0 && t < limit)) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `prompt ${i} must be a non-empty array of token ids (integers in [0, ${limit}))`,
      );
    }
  });
  const batch = prompts.length;
  const promptLength = Math.max(...prompts.map((p) => p.length));
  const { layout, hasPositions, maxPositions } = model;
  if (!hasPositions && prompts.some((p) => p.length !== promptLength)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'prompts of different lengths are left-padded, which needs a decoder with a position_ids input (buildGpt2Decoder, or buildGpt2 with positionIds: true)',
    );
  }
  if (maxPositions !== undefined && promptLength + maxNewTokens - 1 > maxPositions) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `prompt length ${promptLength} + maxNewTokens ${maxNewTokens} − 1 exceeds the model's ${maxPositions} positions (n_positions); shorten the prompts or lower maxNewTokens`,
    );
  }

  // Left padding: row b's real tokens end at the last column, so every row's next-token logits
  // sit at the same (last) position.
  const sequences = prompts.map((p) => [
    ...new Array<number>(promptLength - p.length).fill(padTokenId),
    ...p,
  ]);
  const mask = prompts.map((p) => [
    ...new Array<number>(promptLength - p.length).fill(0),
    ...new Array<number>(p.length).fill(1),
  ]);
  // HF's position ids: cumsum(mask) − 1, padding at 1 (ignored: padding keys are masked).
  const positionsOf = (row: number[]) => {
    let seen = 0;
    return row.map((m) => (m === 1 ? seen++ : 1));
  };
  const rng = createRng(seed);
  const tokens: number[][] = prompts.map(() => []);
  const logitsOut: Float64Array[][] = prompts.map(() => []);
  const finishReasons: Array<'eos' | 'length'> = prompts.map(() => 'length');
  const done = prompts.map(() => false);
  let past: Record<string, TensorData> | undefined;
  if (layout) {
    past = {};
    for (let i = 0; i < layout.layers; i++) {
      const n = cacheNames(i);
      const empty = (): TensorData => ({
        dtype: layout.dtype,
        dims: [batch, layout.heads, 0, layout.headDim],
        data: allocate(layout.dtype, 0),
      });
      past[n.pastKey] = empty();
      past[n.pastValue] = empty();
    }
  }

  for (let step = 0; step < maxNewTokens; step++) {
    const total = promptLength + step;
    // With a cache, only the tokens not yet in it are fed: the prompt first, then one per step.
    const fresh = layout && step > 0 ? 1 : total;
    const feeds: Record<string, TensorData> = {
      input_ids: tensor(
        'int64',
        [batch, fresh],
        sequences.flatMap((s) => s.slice(total - fresh)),
      ),
      attention_mask: tensor('int64', [batch, total], mask.flat()),
      ...past,
    };
    if (hasPositions) {
      feeds.position_ids = tensor(
        'int64',
        [batch, fresh],
        mask.flatMap((m) => positionsOf(m).slice(total - fresh)),
      );
    }
    const out = await session.run(feeds);
    const logits = out.logits as TensorData;
    const vocab = logits.dims[2] as number;
    if (layout && past) {
      for (let i = 0; i < layout.layers; i++) {
        const n = cacheNames(i);
        past[n.pastKey] = out[n.presentKey] as TensorData;
        past[n.pastValue] = out[n.presentValue] as TensorData;
      }
    }
    for (let b = 0; b < batch; b++) {
      const start = (b * fresh + fresh - 1) * vocab;
      const row = (logits.data as Float32Array | Float64Array).subarray(start, start + vocab);
      const seq = sequences[b] as number[];
      const rowMask = mask[b] as number[];
      rowMask.push(1);
      if (done[b]) {
        seq.push(padTokenId);
        continue;
      }
      // Drawn for every live row in order, so a row's tokens depend only on the seed and batch.
      const next = selectToken(row, options, rng);
      seq.push(next);
      (tokens[b] as number[]).push(next);
      if (returnLogits) (logitsOut[b] as Float64Array[]).push(Float64Array.from(row));
      if (eos.has(next)) {
        done[b] = true;
        finishReasons[b] = 'eos';
      }
    }
    if (done.every(Boolean)) break;
  }
  return returnLogits ? { tokens, finishReasons, logits: logitsOut } : { tokens, finishReasons };
}
