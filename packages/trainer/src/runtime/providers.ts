// Execution-provider selection: CUDA when its libraries load, else CPU with one clear warning,
// or a PROVIDER_UNAVAILABLE error when the caller demanded CUDA.
import * as ort from 'onnxruntime-node';
import { TrainerError } from '../errors.js';

/** Where a session runs. */
export type ExecutionProvider = 'cpu' | 'cuda';

export interface OrtSessionOptions {
  /** Execution provider to try first. @default 'cpu' */
  executionProvider?: ExecutionProvider;
  /** With 'cuda': throw PROVIDER_UNAVAILABLE instead of falling back to the CPU. @default false */
  requireCuda?: boolean;
  /** Intra-op threads. @default 0 (ONNX Runtime decides: one per core) */
  threads?: number;
  /** Graph optimisation level. @default 'all' */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** ONNX Runtime's memory-pattern planning (see SessionOptions.memoryPattern). @default true */
  memoryPattern?: boolean;
  /** Describes the model in error messages. @default 'model' */
  label?: string;
}

/** A created session and the provider it actually runs on. */
export interface OrtSessionResult {
  session: ort.InferenceSession;
  provider: ExecutionProvider;
}

/** How to get the CUDA provider: onnxruntime-node's npm package ships the CPU build only. */
export const CUDA_INSTALL_HINT =
  'install onnxruntime-node with its CUDA 12 libraries: `ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node` ' +
  '(its install script downloads them from NuGet, so it needs network access at install time; ' +
  'with pnpm, allow its build script in `onlyBuiltDependencies` and use `pnpm rebuild`), ' +
  'plus a CUDA 12 runtime and cuDNN 9 on the library path';

const warned = new Set<string>();

function sessionOptions(
  providers: ExecutionProvider[],
  threads: number,
  graphOptimization: NonNullable<OrtSessionOptions['graphOptimization']>,
  memoryPattern: boolean,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: providers,
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: graphOptimization,
    enableMemPattern: memoryPattern,
  };
}

/**
 * Creates an InferenceSession from model bytes or a model file path (a path lets ONNX Runtime
 * resolve external data files next to the model).
 *
 * With 'cuda', ['cuda', 'cpu'] is tried first. onnxruntime-node throws at session creation when
 * the CUDA provider library cannot be loaded, even with 'cpu' listed as a fallback, so the model
 * is then loaded again on the CPU alone: if that works the failure was the provider's, and we
 * fall back with a warning (once per process) or throw PROVIDER_UNAVAILABLE under `requireCuda`;
 * if it fails too, the model itself is at fault and a RUNTIME error carries the CPU's message.
 */
export async function createOrtSession(
  model: Uint8Array | string,
  options: OrtSessionOptions = {},
): Promise<OrtSessionResult> {
  const {
    executionProvider = 'cpu',
    requireCuda = false,
    threads = 0,
    graphOptimization = 'all',
    memoryPattern = true,
    label = 'model',
  } = options;
  if (executionProvider !== 'cpu' && executionProvider !== 'cuda') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `executionProvider must be 'cpu' or 'cuda', got ${JSON.stringify(executionProvider)}`,
    );
  }
  if (!Number.isInteger(threads) || threads < 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `threads must be a non-negative integer (0 = one per core), got ${threads}`,
    );
  }
  const create = (providers: ExecutionProvider[]) => {
    const opts = sessionOptions(providers, threads, graphOptimization, memoryPattern);
    return typeof model === 'string'
      ? ort.InferenceSession.create(model, opts)
      : ort.InferenceSession.create(model, opts);
  };
  const rejected = (error: unknown) =>
    new TrainerError('RUNTIME', `ONNX Runtime rejected ${label}: ${(error as Error).message}`, {
      cause: error,
      ...(typeof model === 'string' ? { file: model } : {}),
    });

  if (executionProvider === 'cpu') {
    try {
      return { session: await create(['cpu']), provider: 'cpu' };
    } catch (error) {
      throw rejected(error);
    }
  }

  let cudaError: unknown;
  try {
    return { session: await create(['cuda', 'cpu']), provider: 'cuda' };
  } catch (error) {
    cudaError = error;
  }
  let session: ort.InferenceSession;
  try {
    session = await create(['cpu']);
  } catch (error) {
    throw rejected(error);
  }
  const reason = (cudaError as Error).message;
  if (requireCuda) {
    await session.release();
    throw new TrainerError(
      'PROVIDER_UNAVAILABLE',
      `the CUDA execution provider is not available (${reason}); ${CUDA_INSTALL_HINT}. ` +
        'Or drop requireCuda to fall back to the CPU.',
      { cause: cudaError },
    );
  }
  if (!warned.has('cuda')) {
    warned.add('cuda');
    console.warn(
      `[@ft/trainer] the CUDA execution provider is not available (${reason}); running on the CPU instead. ` +
        `To use the GPU, ${CUDA_INSTALL_HINT}.`,
    );
  }
  return { session, provider: 'cpu' };
}
