// The compute backend fence: the only place (with its siblings in src/runtime/) that imports
// onnxruntime-node. Everything else hands graphs and TensorData in and gets TensorData back.
import * as ort from 'onnxruntime-node';
import { TrainerError } from '../errors.js';
import { toOnnxBytes } from '../ir/onnx-export.js';
import type { DType, Graph, TensorData } from '../ir/types.js';
import { lowerForOrt } from './lower.js';
import { createOrtSession, type ExecutionProvider } from './providers.js';

export interface SessionOptions {
  /** Intra-op threads. @default 0 (ONNX Runtime decides: one per core) */
  threads?: number;
  /** Graph optimisation level. @default 'all' */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /**
   * Execution provider. 'cuda' falls back to the CPU with a warning when onnxruntime-node's CUDA
   * libraries are missing (see `requireCuda`). @default 'cpu'
   */
  executionProvider?: ExecutionProvider;
  /** With 'cuda': throw PROVIDER_UNAVAILABLE instead of falling back to the CPU. @default false */
  requireCuda?: boolean;
  /**
   * ONNX Runtime's memory-pattern planning: it pre-plans one arena block for every intermediate
   * of a run. Training graphs keep thousands of intermediates alive for the backward pass, and the
   * plan then reserved about 2 GB where 0.6–0.7 GB were in use (BERT-mini, bench/), with no speed
   * gain measured; training steps turn it off. @default true
   */
  memoryPattern?: boolean;
}

export interface RuntimeSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** The provider the session actually runs on (after any CUDA → CPU fallback). */
  readonly executionProvider: ExecutionProvider;
  /** Runs the graph; returns the requested outputs (all when `fetches` is omitted). */
  run(
    feeds: Record<string, TensorData>,
    fetches?: readonly string[],
  ): Promise<Record<string, TensorData>>;
  /**
   * Runs the graph writing outputs into caller-owned tensors: each TensorData in `outputs` is
   * filled in place (its typed array is handed to ONNX Runtime as a pre-allocated output, so its
   * dims must be the output's exact shape); a `null` entry is allocated by ONNX Runtime. Returns
   * every requested output, the pre-allocated ones as the very objects passed in. A typed array
   * must not be both a feed and an output of the same run.
   */
  runInto(
    feeds: Record<string, TensorData>,
    outputs: Record<string, TensorData | null>,
  ): Promise<Record<string, TensorData>>;
  release(): Promise<void>;
}

function toOrt(t: TensorData): ort.Tensor {
  const type = t.dtype === 'float16' ? 'float16' : t.dtype;
  return new ort.Tensor(type as ort.Tensor.Type, t.data as never, t.dims);
}

function fromOrt(t: ort.Tensor): TensorData {
  return { dtype: t.type as DType, dims: [...t.dims], data: t.data as TensorData['data'] };
}

/**
 * Creates an ONNX Runtime session for a graph, already-encoded model bytes, or an ONNX file path
 * (external data files are then resolved next to it). CPU unless `executionProvider` says 'cuda'.
 */
export async function createSession(
  model: Graph | Uint8Array | string,
  options: SessionOptions = {},
): Promise<RuntimeSession> {
  const {
    threads = 0,
    graphOptimization = 'all',
    memoryPattern = true,
    executionProvider,
    requireCuda,
  } = options;
  const source =
    typeof model === 'string' || model instanceof Uint8Array
      ? model
      : toOnnxBytes(lowerForOrt(model));
  const label =
    typeof model === 'string'
      ? `model file ${model}`
      : model instanceof Uint8Array
        ? 'model'
        : `graph "${model.name}"`;
  const { session, provider } = await createOrtSession(source, {
    threads,
    graphOptimization,
    memoryPattern,
    label,
    ...(executionProvider !== undefined ? { executionProvider } : {}),
    ...(requireCuda !== undefined ? { requireCuda } : {}),
  });
  const toOrtFeeds = (feeds: Record<string, TensorData>) => {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
    return ortFeeds;
  };
  const failed = (error: unknown) =>
    new TrainerError('RUNTIME', `running ${label} failed: ${(error as Error).message}`, {
      cause: error,
    });
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    executionProvider: provider,
    async run(feeds, fetches) {
      const ortFeeds = toOrtFeeds(feeds);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = fetches ? await session.run(ortFeeds, [...fetches]) : await session.run(ortFeeds);
      } catch (error) {
        throw failed(error);
      }
      const out: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(result)) out[name] = fromOrt(t);
      return out;
    },
    async runInto(feeds, outputs) {
      const ortFeeds = toOrtFeeds(feeds);
      const fetches: Record<string, ort.Tensor | null> = {};
      for (const [name, t] of Object.entries(outputs)) fetches[name] = t === null ? null : toOrt(t);
      let result: ort.InferenceSession.ReturnType;
      try {
        result = await session.run(ortFeeds, fetches);
      } catch (error) {
        throw failed(error);
      }
      const out: Record<string, TensorData> = {};
      for (const [name, t] of Object.entries(outputs)) {
        if (t !== null) {
          out[name] = t;
          continue;
        }
        const produced = result[name];
        if (produced === undefined) {
          throw new TrainerError('RUNTIME', `${label} did not return output "${name}"`);
        }
        out[name] = fromOrt(produced);
      }
      return out;
    },
    release: () => session.release(),
  };
}
