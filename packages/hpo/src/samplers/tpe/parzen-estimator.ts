// The Parzen estimator behind TPE: a weighted mixture of truncated Gaussians (numeric params) and
// smoothed one-hot kernels (categorical params), one component per observation plus a prior.

import type { Rng } from '@ft/data';
import { HpoError } from '../../errors.js';
import type { Distribution } from '../../types.js';
import { numpyArgsort } from './numpy-argsort.js';
import { logGaussMass, truncnormPpf } from './truncnorm.js';

const EPS = 1e-12;
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** Scott's-rule factor Optuna uses for multivariate bandwidths (from the BOHB paper). */
const SIGMA0_MAGNITUDE = 0.2;

export interface ParzenEstimatorParameters {
  /** Add a broad prior component centred on the search space. */
  considerPrior: boolean;
  /** Weight of the prior component relative to one observation. */
  priorWeight: number;
  /** Floor kernel widths at range / min(100, n + 1). */
  considerMagicClip: boolean;
  /** Let the outermost kernels widen up to the search-space edges. */
  considerEndpoints: boolean;
  /** Observation weights, oldest first, given the number of observations. */
  weights: (n: number) => ArrayLike<number>;
  /** Fixed Scott's-rule bandwidths for joint sampling instead of neighbour distances. */
  multivariate: boolean;
  /**
   * Include the −log σ term in continuous kernel densities (Optuna ≥ 3.5, issue #5109). Optuna
   * 3.1 leaves it out, which favours wide kernels in the l/g ratio; that is the default here.
   * @default false
   */
  normalizedKernels?: boolean;
}

interface NumericKernel {
  kind: 'numeric';
  dist: Distribution;
  low: number;
  high: number;
  /** Step of discrete distributions (int, stepped float); `undefined` when continuous. */
  q: number | undefined;
  mus: Float64Array;
  sigmas: Float64Array;
  /** Per component: log mass of the kernel inside [low, high] (its truncation normaliser). */
  logMass: Float64Array;
  /** Per component: −log σ − log √(2π) − log mass, the constant part of the log density. */
  logNorm: Float64Array;
  invSigma: Float64Array;
}

interface CategoricalKernel {
  kind: 'categorical';
  nChoices: number;
  /** Row-major (components × choices) probabilities. */
  probs: Float64Array;
  /** Their logs, computed once instead of once per candidate. */
  logProbs: Float64Array;
}

type Kernel = NumericKernel | CategoricalKernel;

/** A fitted Parzen estimator; samples and densities use internal values (category index). */
export interface ParzenEstimator {
  /** Normalised mixture weights (observations, then the prior when present). */
  readonly weights: Float64Array;
  /** Kernel centres/widths per numeric parameter, in the transformed (log) space. */
  readonly mus: Readonly<Record<string, Float64Array>>;
  readonly sigmas: Readonly<Record<string, Float64Array>>;
  /** Per categorical parameter: components × choices probabilities, row-major. */
  readonly categoricalWeights: Readonly<Record<string, Float64Array>>;
  sample(rng: Rng, size: number): Record<string, Float64Array>;
  logPdf(samples: Record<string, Float64Array>): Float64Array;
}

function calculateWeights(
  n: number,
  parameters: ParzenEstimatorParameters,
  predetermined: ArrayLike<number> | undefined,
): Float64Array {
  const considerPrior = parameters.considerPrior || n === 0;
  let w: ArrayLike<number>;
  if (predetermined === undefined) {
    w = parameters.weights(n);
    if (w.length < n) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `TPE weights(${n}) returned ${w.length} values; return one weight per observation`,
      );
    }
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const v = w[i] as number;
      if (!Number.isFinite(v) || v < 0) {
        throw new HpoError(
          'INVALID_ARGUMENT',
          `TPE weights(${n}) returned ${v} at index ${i}; weights must be finite and ≥ 0`,
        );
      }
      sum += v;
    }
    if (n > 0 && sum <= 0) {
      throw new HpoError('INVALID_ARGUMENT', `TPE weights(${n}) returned all zeros`);
    }
  } else {
    w = predetermined;
  }
  const out = new Float64Array(considerPrior ? n + 1 : n);
  for (let i = 0; i < n; i++) out[i] = w[i] as number;
  if (considerPrior) out[n] = parameters.priorWeight;
  let total = 0;
  for (const v of out) total += v;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / total;
  return out;
}

function parzenBounds(dist: Exclude<Distribution, { type: 'categorical' }>): {
  low: number;
  high: number;
  q: number | undefined;
} {
  if (dist.type === 'float') {
    if (dist.log) return { low: Math.log(dist.low), high: Math.log(dist.high), q: undefined };
    if (dist.step !== undefined) {
      return { low: dist.low - 0.5 * dist.step, high: dist.high + 0.5 * dist.step, q: dist.step };
    }
    return { low: dist.low, high: dist.high, q: undefined };
  }
  if (dist.log) {
    return { low: Math.log(dist.low - 0.5), high: Math.log(dist.high + 0.5), q: undefined };
  }
  return { low: dist.low - 0.5 * dist.step, high: dist.high + 0.5 * dist.step, q: dist.step };
}

function isLog(dist: Distribution): boolean {
  return dist.type !== 'categorical' && dist.log;
}

/**
 * Fits the estimator. `observations` hold one array per parameter of the same length, in internal
 * form (numbers, category indices); `predeterminedWeights` replaces `parameters.weights` (MOTPE).
 */
export function createParzenEstimator(
  observations: Readonly<Record<string, ArrayLike<number>>>,
  searchSpace: Readonly<Record<string, Distribution>>,
  parameters: ParzenEstimatorParameters,
  predeterminedWeights?: ArrayLike<number>,
): ParzenEstimator {
  const names = Object.keys(searchSpace);
  if (names.length === 0) {
    throw new HpoError('INVALID_ARGUMENT', 'Parzen estimator needs at least one parameter');
  }
  const n = observations[names[0] as string]?.length ?? 0;
  for (const name of names) {
    const obs = observations[name];
    if (obs === undefined || obs.length !== n) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `Parzen estimator: observations of "${name}" missing or of a different length than ${n}`,
      );
    }
  }
  if (predeterminedWeights !== undefined && predeterminedWeights.length !== n) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `Parzen estimator: ${predeterminedWeights.length} predetermined weights for ${n} observations`,
    );
  }
  const weights = calculateWeights(n, parameters, predeterminedWeights);
  const normalized = parameters.normalizedKernels ?? false;
  const considerPrior = parameters.considerPrior || n === 0;
  const nComponents = weights.length;
  const sigma0 = parameters.multivariate
    ? SIGMA0_MAGNITUDE * Math.max(n, 1) ** (-1 / (names.length + 4))
    : undefined;

  const kernels: Record<string, Kernel> = {};
  const mus: Record<string, Float64Array> = {};
  const sigmas: Record<string, Float64Array> = {};
  const categoricalWeights: Record<string, Float64Array> = {};

  for (const name of names) {
    const dist = searchSpace[name] as Distribution;
    const obs = observations[name] as ArrayLike<number>;
    if (dist.type === 'categorical') {
      const k = dist.choices.length;
      const fill = parameters.priorWeight / (considerPrior ? n + 1 : n);
      const probs = new Float64Array(nComponents * k).fill(fill);
      for (let i = 0; i < n; i++) {
        const c = obs[i] as number;
        probs[i * k + c] = (probs[i * k + c] as number) + 1;
      }
      for (let i = 0; i < nComponents; i++) {
        let rowSum = 0;
        for (let j = 0; j < k; j++) rowSum += probs[i * k + j] as number;
        for (let j = 0; j < k; j++) probs[i * k + j] = (probs[i * k + j] as number) / rowSum;
      }
      kernels[name] = { kind: 'categorical', nChoices: k, probs, logProbs: probs.map(Math.log) };
      categoricalWeights[name] = probs;
      continue;
    }
    const { low, high, q } = parzenBounds(dist);
    const log = dist.log;
    const m = new Float64Array(nComponents);
    for (let i = 0; i < n; i++) m[i] = log ? Math.log(obs[i] as number) : (obs[i] as number);
    if (considerPrior) m[n] = 0.5 * (low + high);
    const s = new Float64Array(nComponents);
    if (sigma0 !== undefined) {
      s.fill(sigma0 * (high - low));
    } else {
      // Each kernel is as wide as the larger gap to its sorted neighbours (edges count as
      // neighbours), which is what makes univariate TPE adapt to dense regions. Equal centres
      // (repeated integer or stepped values, or one on the prior's centre) get different widths
      // depending on their sort order, which changes the density when their weights differ (the
      // ramp past 25 observations) or one of them is the prior (whose width is reset below). So
      // the order is that of NumPy's unstable argsort, as in Optuna, not a stable sort's.
      const order = numpyArgsort(m);
      const withEnds = new Float64Array(nComponents + 2);
      withEnds[0] = low;
      for (let i = 0; i < nComponents; i++) withEnds[i + 1] = m[order[i] as number] as number;
      withEnds[nComponents + 1] = high;
      const sorted = new Float64Array(nComponents);
      for (let i = 0; i < nComponents; i++) {
        sorted[i] = Math.max(
          (withEnds[i + 1] as number) - (withEnds[i] as number),
          (withEnds[i + 2] as number) - (withEnds[i + 1] as number),
        );
      }
      if (!parameters.considerEndpoints && withEnds.length >= 4) {
        sorted[0] = (withEnds[2] as number) - (withEnds[1] as number);
        sorted[nComponents - 1] =
          (withEnds[nComponents] as number) - (withEnds[nComponents - 1] as number);
      }
      for (let i = 0; i < nComponents; i++) s[order[i] as number] = sorted[i] as number;
    }
    const maxSigma = high - low;
    const minSigma = parameters.considerMagicClip
      ? (high - low) / Math.min(100, 1 + nComponents)
      : EPS;
    for (let i = 0; i < nComponents; i++) {
      s[i] = Math.min(Math.max(s[i] as number, minSigma), maxSigma);
    }
    if (considerPrior) s[n] = high - low;
    const logMass = new Float64Array(nComponents);
    const logNorm = new Float64Array(nComponents);
    const invSigma = new Float64Array(nComponents);
    for (let i = 0; i < nComponents; i++) {
      const mu = m[i] as number;
      const sigma = s[i] as number;
      logMass[i] = logGaussMass((low - mu) / sigma, (high - mu) / sigma);
      logNorm[i] = (normalized ? -Math.log(sigma) : 0) - LOG_SQRT_2PI - (logMass[i] as number);
      invSigma[i] = 1 / sigma;
    }
    kernels[name] = {
      kind: 'numeric',
      dist,
      low,
      high,
      q,
      mus: m,
      sigmas: s,
      logMass,
      logNorm,
      invSigma,
    };
    mus[name] = m;
    sigmas[name] = s;
  }

  const logWeights = weights.map(Math.log);
  const cumulative = new Float64Array(nComponents);
  let acc = 0;
  for (let i = 0; i < nComponents; i++) {
    acc += weights[i] as number;
    cumulative[i] = acc;
  }

  function pickComponent(u: number): number {
    // Binary search in the cumulative weights (last index absorbs rounding at 1).
    let lo = 0;
    let hi = nComponents - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((cumulative[mid] as number) > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  function sample(rng: Rng, size: number): Record<string, Float64Array> {
    const active = new Int32Array(size);
    for (let i = 0; i < size; i++) active[i] = pickComponent(rng.next());
    const out: Record<string, Float64Array> = {};
    for (const name of names) {
      const kernel = kernels[name] as Kernel;
      const values = new Float64Array(size);
      if (kernel.kind === 'categorical') {
        const k = kernel.nChoices;
        for (let i = 0; i < size; i++) {
          const row = (active[i] as number) * k;
          const u = rng.next();
          let cum = 0;
          let choice = 0;
          // Count choices whose cumulative probability is below u (Optuna's rule).
          for (let j = 0; j < k; j++) {
            cum += kernel.probs[row + j] as number;
            if (cum < u) choice++;
          }
          values[i] = Math.min(choice, k - 1);
        }
      } else {
        const { low, high, mus: m, sigmas: s, dist } = kernel;
        for (let i = 0; i < size; i++) {
          const c = active[i] as number;
          const mu = m[c] as number;
          const sigma = s[c] as number;
          const a = (low - mu) / sigma;
          const b = (high - mu) / sigma;
          const z = Math.min(Math.max(truncnormPpf(rng.next(), a, b), a), b);
          values[i] = untransform(dist, mu + sigma * z);
        }
      }
      out[name] = values;
    }
    return out;
  }

  function logPdf(samples: Record<string, Float64Array>): Float64Array {
    const size = samples[names[0] as string]?.length ?? 0;
    const result = new Float64Array(size);
    if (size === 0) return result;
    // component log densities, samples × components, accumulated over parameters
    const comp = new Float64Array(size * nComponents);
    for (const name of names) {
      const kernel = kernels[name] as Kernel;
      const xs = samples[name];
      if (xs === undefined || xs.length !== size) {
        throw new HpoError('INVALID_ARGUMENT', `logPdf: samples of "${name}" missing or short`);
      }
      if (kernel.kind === 'categorical') {
        const k = kernel.nChoices;
        for (let i = 0; i < size; i++) {
          const c = xs[i] as number;
          const base = i * nComponents;
          for (let j = 0; j < nComponents; j++) {
            comp[base + j] = (comp[base + j] as number) + (kernel.logProbs[j * k + c] as number);
          }
        }
        continue;
      }
      const { low, high, q, mus: m, sigmas: s, logMass, dist, logNorm, invSigma } = kernel;
      const log = isLog(dist);
      const cellCache = new Map<number, Float64Array>();
      for (let i = 0; i < size; i++) {
        const x = log ? Math.log(xs[i] as number) : (xs[i] as number);
        const base = i * nComponents;
        if (q === undefined) {
          if (x < low || x > high) {
            for (let j = 0; j < nComponents; j++) comp[base + j] = Number.NEGATIVE_INFINITY;
            continue;
          }
          for (let j = 0; j < nComponents; j++) {
            const z = (x - (m[j] as number)) * (invSigma[j] as number);
            comp[base + j] = (comp[base + j] as number) + (logNorm[j] as number) - 0.5 * z * z;
          }
        } else {
          // Discrete values own the mass of their step cell, so densities are probabilities.
          // Candidates repeat often on small grids; each distinct value is evaluated once.
          let lps = cellCache.get(x);
          if (lps === undefined) {
            lps = new Float64Array(nComponents);
            const upper = Math.min(x + q / 2, high);
            const lower = Math.max(x - q / 2, low);
            for (let j = 0; j < nComponents; j++) {
              const mu = m[j] as number;
              const sigma = s[j] as number;
              lps[j] =
                logGaussMass((lower - mu) / sigma, (upper - mu) / sigma) - (logMass[j] as number);
            }
            cellCache.set(x, lps);
          }
          for (let j = 0; j < nComponents; j++) {
            comp[base + j] = (comp[base + j] as number) + (lps[j] as number);
          }
        }
      }
    }
    for (let i = 0; i < size; i++) {
      const base = i * nComponents;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < nComponents; j++) {
        const v = (comp[base + j] as number) + (logWeights[j] as number);
        comp[base + j] = v;
        if (v > max) max = v;
      }
      if (max === Number.NEGATIVE_INFINITY) {
        result[i] = max;
        continue;
      }
      let sum = 0;
      for (let j = 0; j < nComponents; j++) sum += Math.exp((comp[base + j] as number) - max);
      result[i] = Math.log(sum) + max;
    }
    return result;
  }

  return { weights, mus, sigmas, categoricalWeights, sample, logPdf };
}

/** From the kernel space back to a valid internal value (exp for log, step rounding, clip). */
function untransform(dist: Distribution, t: number): number {
  if (dist.type === 'categorical') return t;
  if (dist.type === 'float') {
    if (dist.log) return Math.exp(t);
    if (dist.step === undefined) return t;
    const v = Math.round((t - dist.low) / dist.step) * dist.step + dist.low;
    return Math.min(Math.max(v, dist.low), dist.high);
  }
  const v = dist.log
    ? Math.round(Math.exp(t))
    : Math.round((t - dist.low) / dist.step) * dist.step + dist.low;
  return Math.min(Math.max(v, dist.low), dist.high);
}
