// Perplexity of a language model over batches: exp of the mean token negative log-likelihood,
// computed on the host in float64 from the model's logits, over the tokens whose label is kept.
import { TrainerError } from '../errors.js';
import { allocate } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { createSession, type RuntimeSession, type SessionOptions } from '../runtime/session.js';

export interface PerplexityOptions {
  /** Name of the logits output ([batch, sequence, vocab]). @default 'logits' */
  logits?: string;
  /** Name of the int64 labels entry of each batch ([batch, sequence]); not fed to the model. @default 'labels' */
  labels?: string;
  /** Labels equal to this are not counted. @default -100 */
  ignoreIndex?: number;
  /**
   * Labels are aligned with the inputs (Hugging Face style, labels[t] = token t) and shifted here:
   * logits at t are scored against labels[t + 1]. false: labels[t] already is position t's target
   * (what sftFeeds writes). @default false
   */
  shift?: boolean;
  /** Session options when a graph is given. @default { threads: 0 } */
  session?: SessionOptions;
}

export interface PerplexityResult {
  /** exp(meanNll). */
  perplexity: number;
  /** Mean negative log-likelihood per counted token (nats). */
  meanNll: number;
  /** Summed negative log-likelihood. */
  totalNll: number;
  /** Tokens counted. */
  tokens: number;
}

/**
 * Runs the model on every batch and returns exp(Σ NLL / N) over the N tokens whose label is not
 * ignored — the perplexity of all those tokens together, not an average of per-batch values. A
 * graph with `past_key_values.*` inputs gets empty caches. NaN when no token is counted.
 */
export async function perplexity(
  model: RuntimeSession | Graph | { graph: Graph },
  batches: Iterable<Record<string, TensorData>> | AsyncIterable<Record<string, TensorData>>,
  options: PerplexityOptions = {},
): Promise<PerplexityResult> {
  const { logits = 'logits', labels = 'labels', ignoreIndex = -100, shift = false } = options;
  const graph = 'run' in model ? undefined : 'graph' in model ? model.graph : model;
  const session = graph
    ? await createSession(graph, options.session ?? {})
    : (model as RuntimeSession);
  let totalNll = 0;
  let tokens = 0;
  try {
    let index = 0;
    for await (const batch of batches) {
      const target = batch[labels];
      if (target === undefined || target.dtype !== 'int64' || target.dims.length !== 2) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `batch ${index}: "${labels}" must be an int64 [batch, sequence] tensor of next-token labels`,
        );
      }
      const feeds: Record<string, TensorData> = {};
      for (const name of session.inputNames) {
        const value =
          batch[name] ?? (graph ? emptyCache(graph, name, target.dims[0] as number) : undefined);
        if (value === undefined) {
          throw new TrainerError(
            'INVALID_ARGUMENT',
            `batch ${index} has no "${name}", which the model needs as an input`,
          );
        }
        feeds[name] = value;
      }
      const out = (await session.run(feeds, [logits]))[logits];
      const [b = 0, t = 0, vocab = 0] = out?.dims ?? [];
      if (
        out === undefined ||
        out.dims.length !== 3 ||
        b !== target.dims[0] ||
        t !== target.dims[1]
      ) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `batch ${index}: logits [${out?.dims.join(', ')}] do not match labels [${target.dims.join(', ')}] ([batch, sequence, vocab] vs [batch, sequence])`,
        );
      }
      const data = out.data as Float32Array | Float64Array;
      const ys = target.data as BigInt64Array;
      for (let r = 0; r < b; r++) {
        for (let p = 0; p < t - (shift ? 1 : 0); p++) {
          const y = Number(ys[r * t + p + (shift ? 1 : 0)]);
          if (y === ignoreIndex) continue;
          if (!(Number.isInteger(y) && y >= 0 && y < vocab)) {
            throw new TrainerError(
              'INVALID_ARGUMENT',
              `batch ${index}: label ${y} at [${r}, ${p + (shift ? 1 : 0)}] is outside the vocabulary [0, ${vocab})`,
            );
          }
          const row = data.subarray((r * t + p) * vocab, (r * t + p + 1) * vocab);
          let max = Number.NEGATIVE_INFINITY;
          for (let v = 0; v < vocab; v++) max = Math.max(max, row[v] as number);
          let z = 0;
          for (let v = 0; v < vocab; v++) z += Math.exp((row[v] as number) - max);
          totalNll += max + Math.log(z) - (row[y] as number);
          tokens++;
        }
      }
      index++;
    }
  } finally {
    if (graph) await session.release();
  }
  const meanNll = totalNll / tokens;
  return { perplexity: Math.exp(meanNll), meanNll, totalNll, tokens };
}

/** An empty past_key_values input ([batch, heads, 0, head_dim]) for a cache graph, else undefined. */
function emptyCache(graph: Graph, name: string, batch: number): TensorData | undefined {
  if (!name.startsWith('past_key_values.')) return undefined;
  const input = graph.inputs.find((v) => v.name === name);
  const [, heads, , headDim] = input?.shape ?? [];
  if (input === undefined || typeof heads !== 'number' || typeof headDim !== 'number')
    return undefined;
  return { dtype: input.dtype, dims: [batch, heads, 0, headDim], data: allocate(input.dtype, 0) };
}
