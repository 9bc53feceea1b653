// Model serving for the HTTP API: runs a registered version's ONNX file with @ft/trainer's runtime
// on JSON tensors, or on texts tokenized with the tokenizer.json registered beside the model.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelVersion, Registry } from '@ft/registry';
import type { DType, RuntimeSession, TensorData } from '@ft/trainer';
import { z } from 'zod';
import { HttpError } from './http-utils.js';

const DTYPES = ['float32', 'float64', 'int64', 'int32', 'int8', 'uint8', 'bool'] as const;

const tensorSchema = z.strictObject({
  dtype: z.enum(DTYPES).default('float32'),
  dims: z.array(z.int().min(0)),
  data: z.array(z.union([z.number(), z.boolean()])),
});

/**
 * What predict accepts: `inputs` (graph input name → `{ dtype, dims, data }`, data flattened
 * row-major), or `texts` (tokenized with the version's tokenizer.json, padded to the longest, and
 * fed as input_ids / attention_mask / token_type_ids for the inputs the model declares).
 * `ref` picks the version: a number, an alias or `latest`; default `production`.
 */
export const predictSchema = z
  .strictObject({
    ref: z.union([z.string().min(1), z.int().min(1)]).optional(),
    inputs: z.record(z.string(), tensorSchema).optional(),
    texts: z.array(z.string()).min(1).optional(),
    /** Output names to return. @default every output */
    outputs: z.array(z.string()).min(1).optional(),
  })
  .refine((body) => (body.inputs === undefined) !== (body.texts === undefined), {
    message: 'send either `inputs` (tensors) or `texts`, not both and not neither',
    path: ['inputs'],
  });

/** Evaluate = predict plus true class indices; scores the argmax of `output` (default: the first). */
export const evaluateSchema = z
  .strictObject({
    ref: z.union([z.string().min(1), z.int().min(1)]).optional(),
    inputs: z.record(z.string(), tensorSchema).optional(),
    texts: z.array(z.string()).min(1).optional(),
    labels: z.array(z.int().min(0)).min(1),
    output: z.string().optional(),
  })
  .refine((body) => (body.inputs === undefined) !== (body.texts === undefined), {
    message: 'send either `inputs` (tensors) or `texts`, not both and not neither',
    path: ['inputs'],
  });

export type PredictBody = z.infer<typeof predictSchema>;

/** A tensor as JSON: int64 values become numbers (exact up to 2^53). */
export interface JsonTensor {
  dtype: DType;
  dims: number[];
  data: number[];
}

interface Loaded {
  version: ModelVersion;
  session: RuntimeSession;
  tokenizer: { encodeBatch: (texts: string[], options: object) => unknown } | undefined;
}

export interface Predictor {
  predict(
    model: string,
    body: Omit<PredictBody, 'outputs'> & { outputs?: string[] },
  ): Promise<{ model: string; version: number; outputs: Record<string, JsonTensor> }>;
  close(): Promise<void>;
}

/** Sessions are cached per model version: loading an ONNX file costs far more than running it. */
export function createPredictor(getRegistry: () => Promise<Registry>): Predictor {
  const cache = new Map<string, Promise<Loaded>>();

  async function load(model: string, ref: string | number): Promise<Loaded> {
    const registry = await getRegistry();
    const version = await registry.getVersion(model, ref);
    const key = `${version.model}@${version.version}`;
    let loaded = cache.get(key);
    if (!loaded) {
      loaded = open(registry, version);
      cache.set(key, loaded);
      loaded.catch(() => cache.delete(key));
    }
    return loaded;
  }

  async function open(registry: Registry, version: ModelVersion): Promise<Loaded> {
    const onnx =
      version.files.find((f) => f.path === 'model.onnx' || f.path === 'onnx/model.onnx') ??
      version.files.find((f) => f.path.endsWith('.onnx'));
    if (!onnx) {
      throw new HttpError(
        409,
        'NO_ONNX_MODEL',
        `${version.model} v${version.version} has no .onnx file to run; register the exported model.`,
        'model',
      );
    }
    const { createSession } = await import('@ft/trainer');
    const bytes = await registry.readFile(version.model, version.version, onnx.path);
    const session = await createSession(bytes);
    const dir = onnx.path.includes('/') ? onnx.path.slice(0, onnx.path.lastIndexOf('/') + 1) : '';
    const tokenizerFiles = version.files.filter(
      (f) =>
        f.path === 'tokenizer.json' ||
        f.path === 'tokenizer_config.json' ||
        f.path === `${dir}tokenizer.json` ||
        f.path === `${dir}tokenizer_config.json`,
    );
    let tokenizer: Loaded['tokenizer'];
    if (tokenizerFiles.some((f) => f.path.endsWith('tokenizer.json'))) {
      // loadTokenizer reads a folder: copy just the tokenizer files into a private temp one.
      const temp = await mkdtemp(join(tmpdir(), 'ft-tokenizer-'));
      try {
        for (const file of tokenizerFiles) {
          const data = await registry.readFile(version.model, version.version, file.path);
          await writeFile(join(temp, file.path.slice(file.path.lastIndexOf('/') + 1)), data);
        }
        const { loadTokenizer } = await import('@ft/tokenize');
        tokenizer = (await loadTokenizer(temp)) as unknown as Loaded['tokenizer'];
      } finally {
        await rm(temp, { recursive: true, force: true });
      }
    }
    return { version, session, tokenizer };
  }

  return {
    async predict(model, body) {
      const { session, version, tokenizer } = await load(model, body.ref ?? 'production');
      const feeds: Record<string, TensorData> = {};
      const { tensor } = await import('@ft/trainer');
      if (body.texts !== undefined) {
        if (!tokenizer) {
          throw new HttpError(
            400,
            'NO_TOKENIZER',
            `${version.model} v${version.version} has no tokenizer.json beside its model; send \`inputs\` tensors instead.`,
            'texts',
          );
        }
        const batch = tokenizer.encodeBatch(body.texts, {
          padding: 'longest',
          returnTokenTypeIds: true,
        }) as Record<string, { dims: number[]; data: ArrayLike<number | bigint> } | undefined>;
        const byInput: Record<string, string> = {
          input_ids: 'inputIds',
          attention_mask: 'attentionMask',
          token_type_ids: 'tokenTypeIds',
        };
        for (const name of session.inputNames) {
          const field = byInput[name];
          const value = field === undefined ? undefined : batch[field];
          if (value === undefined) {
            throw new HttpError(
              400,
              'UNSUPPORTED_INPUT',
              `the model takes input ${JSON.stringify(name)}, which texts do not provide; send \`inputs\` tensors.`,
              'texts',
            );
          }
          feeds[name] = tensor('int64', [...value.dims], value.data);
        }
      } else {
        for (const [name, input] of Object.entries(body.inputs ?? {})) {
          if (!session.inputNames.includes(name)) {
            throw new HttpError(
              400,
              'UNKNOWN_INPUT',
              `inputs.${name}: the model has no such input; it takes ${session.inputNames.join(', ')}.`,
              `inputs.${name}`,
            );
          }
          const size = input.dims.reduce((a, b) => a * b, 1);
          if (size !== input.data.length) {
            throw new HttpError(
              400,
              'INVALID_BODY',
              `inputs.${name}.data: dims [${input.dims.join(', ')}] need ${size} values, got ${input.data.length}.`,
              `inputs.${name}.data`,
            );
          }
          const values = input.data.map((v) => (typeof v === 'boolean' ? Number(v) : v));
          const integer = input.dtype === 'int64';
          feeds[name] = tensor(
            input.dtype,
            input.dims,
            integer ? values.map((v) => BigInt(Math.trunc(v))) : values,
          );
        }
        const missing = session.inputNames.filter((name) => feeds[name] === undefined);
        if (missing.length > 0) {
          throw new HttpError(
            400,
            'INVALID_BODY',
            `inputs: the model also needs ${missing.join(', ')}.`,
            `inputs.${missing[0]}`,
          );
        }
      }
      const fetches = body.outputs;
      for (const name of fetches ?? []) {
        if (!session.outputNames.includes(name)) {
          throw new HttpError(
            400,
            'UNKNOWN_OUTPUT',
            `outputs: the model has no output ${JSON.stringify(name)}; it has ${session.outputNames.join(', ')}.`,
            'outputs',
          );
        }
      }
      let result: Record<string, TensorData>;
      try {
        result = await session.run(feeds, fetches);
      } catch (error) {
        throw new HttpError(
          400,
          'INFERENCE_FAILED',
          `the model could not run on these inputs: ${(error as Error).message}`,
          'inputs',
        );
      }
      const outputs: Record<string, JsonTensor> = {};
      for (const [name, value] of Object.entries(result)) {
        outputs[name] = {
          dtype: value.dtype,
          dims: [...value.dims],
          data: Array.from(value.data as ArrayLike<number | bigint>, (v) => Number(v)),
        };
      }
      return { model: version.model, version: version.version, outputs };
    },
    async close() {
      const sessions = await Promise.allSettled(cache.values());
      cache.clear();
      for (const entry of sessions) {
        if (entry.status === 'fulfilled') await entry.value.session.release();
      }
    },
  };
}

/** Index of the largest value in each row of a `[rows, classes]` (or `[rows]` → binary) output. */
export function argmaxRows(output: JsonTensor): number[] {
  if (output.dims.length === 1) return output.data.map((v) => (v > 0 ? 1 : 0));
  const classes = output.dims[output.dims.length - 1] ?? 1;
  const rows = output.data.length / classes;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (
        (output.data[r * classes + c] ?? -Infinity) > (output.data[r * classes + best] ?? -Infinity)
      )
        best = c;
    }
    out.push(best);
  }
  return out;
}
