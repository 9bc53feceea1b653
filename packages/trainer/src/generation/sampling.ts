// Next-token selection on the host: greedy argmax, and sampling with temperature, top-k and top-p
// (nucleus) filtering applied in Hugging Face's order, drawing from a seeded @ft/data Rng.
import type { Rng } from '@ft/data';
import { TrainerError } from '../errors.js';

/** How the next token is chosen from a row of logits. */
export interface SamplingOptions {
  /** Sample from the (filtered) distribution; false picks the argmax (greedy). @default false */
  doSample?: boolean;
  /** Logits are divided by this before filtering (> 0). @default 1 */
  temperature?: number;
  /** Keep only the k most likely tokens; 0 turns the filter off. @default 0 */
  topK?: number;
  /**
   * Keep the smallest set of most likely tokens whose probabilities sum to at least topP (the
   * most likely token always stays); 1 turns the filter off. @default 1
   */
  topP?: number;
}

export function checkSamplingOptions(options: SamplingOptions): void {
  const { temperature = 1, topK = 0, topP = 1 } = options;
  if (!(Number.isFinite(temperature) && temperature > 0)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `temperature must be a finite number > 0, got ${temperature}; use doSample: false for greedy decoding`,
    );
  }
  if (!(Number.isInteger(topK) && topK >= 0)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `topK must be an integer ≥ 0 (0 = off), got ${topK}`,
    );
  }
  if (!(topP > 0 && topP <= 1)) {
    throw new TrainerError('INVALID_ARGUMENT', `topP must be in (0, 1] (1 = off), got ${topP}`);
  }
}

/** Index of the largest logit (the first one on ties, like torch.argmax). */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) {
    if ((logits[i] as number) > (logits[best] as number)) best = i;
  }
  return best;
}

/** Indices sorted by descending logit, ties by ascending index (a stable order). */
function descendingOrder(logits: ArrayLike<number>): number[] {
  const order = Array.from({ length: logits.length }, (_, i) => i);
  return order.sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
}

/** Softmax in float64 with the max subtracted; −∞ logits get probability 0. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const out = new Float64Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp((logits[i] as number) - max);
    out[i] = e;
    sum += e;
  }
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / sum;
  return out;
}

/**
 * Sets all but the k largest logits to −∞ (a copy). Ties at the k-th value are kept, as
 * Hugging Face's TopKLogitsWarper does (it compares against the k-th largest value).
 */
export function topKFilter(logits: ArrayLike<number>, k: number): Float64Array {
  const out = Float64Array.from(logits as ArrayLike<number>);
  if (k <= 0 || k >= out.length) return out;
  const kth = out[descendingOrder(out)[k - 1] as number] as number;
  for (let i = 0; i < out.length; i++)
    if ((out[i] as number) < kth) out[i] = Number.NEGATIVE_INFINITY;
  return out;
}

/**
 * Nucleus filtering (a copy): walks the tokens from most to least likely and keeps them until
 * their probabilities sum to at least p; the rest become −∞. The most likely token always stays.
 */
export function topPFilter(logits: ArrayLike<number>, p: number): Float64Array {
  const out = Float64Array.from(logits as ArrayLike<number>);
  if (p >= 1) return out;
  const probs = softmax(out);
  const order = descendingOrder(out);
  let cumulative = 0;
  let kept = 0;
  for (const i of order) {
    if (kept > 0 && cumulative >= p) out[i] = Number.NEGATIVE_INFINITY;
    else kept++;
    cumulative += probs[i] as number;
  }
  return out;
}

/** Temperature, then top-k, then top-p, as Hugging Face's generation warpers are ordered. */
export function processLogits(logits: ArrayLike<number>, options: SamplingOptions): Float64Array {
  const { temperature = 1, topK = 0, topP = 1 } = options;
  let out: Float64Array = Float64Array.from(logits as ArrayLike<number>, (v) => v / temperature);
  if (topK > 0) out = topKFilter(out, topK);
  if (topP < 1) out = topPFilter(out, topP);
  return out;
}

/** Draws an index from a probability vector with one uniform number from `rng`. */
export function sampleIndex(probs: ArrayLike<number>, rng: Rng): number {
  const u = rng.next();
  let cumulative = 0;
  let last = 0;
  for (let i = 0; i < probs.length; i++) {
    const q = probs[i] as number;
    if (q <= 0) continue;
    last = i;
    cumulative += q;
    if (u < cumulative) return i;
  }
  return last; // u beyond a sum that rounding left just under 1
}

/** Chooses the next token from one row of logits: argmax, or a seeded draw after filtering. */
export function selectToken(logits: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  if (!options.doSample) return argmax(logits);
  return sampleIndex(softmax(processLogits(logits, options)), rng);
}
