// CMA-ES sampler (Hansen's update equations, as in the `cmaes` package Optuna 3.1 wraps) for
// continuous and integer parameters. The optimizer state travels in trials' systemAttrs as JSON,
// so several processes, or a resumed study, continue the same search distribution.

import { createRng, type Rng } from '@ft/data';
import { isSingle } from '../distributions.js';
import { HpoError } from '../errors.js';
import type { Distribution, FrozenTrial, ParamValue, Sampler, StudyView } from '../types.js';
import {
  checkSeed,
  gaussian,
  intersectionSearchSpace,
  lastIntermediate,
  sampleUniform,
  seededRng,
  transformedBounds,
  transformValue,
  untransformValue,
} from './sampler-utils.js';

const EPS = 1e-8;
const MEAN_MAX = 1e32;
const SIGMA_MAX = 1e32;

/** systemAttrs keys; the generation key carries the restart number under IPOP. */
export const CMA_OPTIMIZER_KEY = 'cma:optimizer';
export const CMA_N_RESTARTS_KEY = 'cma:n_restarts';

export interface CmaEsSamplerOptions {
  /** Seed of the sampler's RNG. */
  seed?: number;
  /** Initial step size in the transformed space. @default min(range) / 6 */
  sigma0?: number;
  /** Complete trials sampled independently (at random) before CMA-ES starts. @default 1 */
  nStartupTrials?: number;
  /** Solutions per generation. @default 4 + ⌊3 ln(dim)⌋ */
  popsize?: number;
  /** `'ipop'`: restart with a larger population when the search stagnates. */
  restartStrategy?: 'ipop';
  /** Population growth factor per IPOP restart. @default 2 */
  incPopsize?: number;
  /** Use pruned trials' last reported value as their objective value. @default false */
  considerPrunedTrials?: boolean;
  /** Warn when a parameter is sampled independently instead of by CMA-ES. @default true */
  warnIndependentSampling?: boolean;
  /** Where warnings go. @default console.warn */
  logger?: (message: string) => void;
}

/** The JSON form of the optimizer state (covariance as a full row-major matrix). */
export interface CmaState {
  dim: number;
  popsize: number;
  mean: number[];
  sigma: number;
  cov: number[];
  pc: number[];
  ps: number[];
  generation: number;
  /** Best and worst value of recent generations, for the flat-fitness stop test. */
  funhist: number[];
  tolx: number;
  /** Transformed bounds, to check that the search space did not change. */
  bounds: [number, number][];
}

interface Strategy {
  mu: number;
  muEff: number;
  cc: number;
  c1: number;
  cmu: number;
  cSigma: number;
  dSigma: number;
  chiN: number;
  weights: number[];
  funhistTerm: number;
}

function strategy(dim: number, popsize: number): Strategy {
  const mu = Math.floor(popsize / 2);
  const wPrime = Array.from(
    { length: popsize },
    (_, i) => Math.log((popsize + 1) / 2) - Math.log(i + 1),
  );
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const head = wPrime.slice(0, mu);
  const tail = wPrime.slice(mu);
  const muEff = sum(head) ** 2 / sum(head.map((w) => w * w));
  const muEffMinus = sum(tail) ** 2 / sum(tail.map((w) => w * w));
  const alphaCov = 2;
  const c1 = alphaCov / ((dim + 1.3) ** 2 + muEff);
  const cmu = Math.min(
    1 - c1 - 1e-8,
    (alphaCov * (muEff - 2 + 1 / muEff)) / ((dim + 2) ** 2 + (alphaCov * muEff) / 2),
  );
  const minAlpha = Math.min(
    1 + c1 / cmu,
    1 + (2 * muEffMinus) / (muEff + 2),
    (1 - c1 - cmu) / (dim * cmu),
  );
  const positive = sum(wPrime.filter((w) => w > 0));
  const negative = sum(wPrime.filter((w) => w < 0).map(Math.abs));
  const weights = wPrime.map((w) => (w >= 0 ? w / positive : (minAlpha / negative) * w));
  const cSigma = (muEff + 2) / (dim + muEff + 5);
  const dSigma = 1 + 2 * Math.max(0, Math.sqrt((muEff - 1) / (dim + 1)) - 1) + cSigma;
  const cc = (4 + muEff / dim) / (dim + 4 + (2 * muEff) / dim);
  const chiN = Math.sqrt(dim) * (1 - 1 / (4 * dim) + 1 / (21 * dim * dim));
  return {
    mu,
    muEff,
    cc,
    c1,
    cmu,
    cSigma,
    dSigma,
    chiN,
    weights,
    funhistTerm: 10 + Math.ceil((30 * dim) / popsize),
  };
}

/**
 * Eigen-decomposition of a symmetric matrix by cyclic Jacobi rotations. Returns eigenvalues and
 * eigenvectors as columns of a row-major matrix.
 */
export function jacobiEigen(
  matrix: readonly number[],
  n: number,
): { values: number[]; vectors: number[] } {
  const a = [...matrix];
  const v = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++)
      for (let q = p + 1; q < n; q++) off += (a[p * n + q] as number) ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] as number;
        if (Math.abs(apq) < 1e-300) continue;
        const app = a[p * n + p] as number;
        const aqq = a[q * n + q] as number;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p] as number;
          const akq = a[k * n + q] as number;
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k] as number;
          const aqk = a[q * n + k] as number;
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p] as number;
          const vkq = v[k * n + q] as number;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Array.from({ length: n }, (_, i) => a[i * n + i] as number), vectors: v };
}

/** B and D of C = B·diag(D²)·Bᵀ, with C symmetrised and negative eigenvalues floored. */
function decompose(state: CmaState): { B: number[]; D: number[] } {
  const n = state.dim;
  const c = state.cov;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const m = 0.5 * ((c[i * n + j] as number) + (c[j * n + i] as number));
      c[i * n + j] = m;
      c[j * n + i] = m;
    }
  }
  const { values, vectors } = jacobiEigen(c, n);
  const D = values.map((d) => Math.sqrt(d < 0 ? EPS : d));
  // Rebuild C from the floored spectrum so later updates stay positive definite.
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) {
        s +=
          (vectors[i * n + k] as number) * (D[k] as number) ** 2 * (vectors[j * n + k] as number);
      }
      c[i * n + j] = s;
    }
  }
  return { B: vectors, D };
}

export function initialCmaState(
  bounds: [number, number][],
  options: { mean?: number[]; sigma0?: number; popsize?: number },
): CmaState {
  const dim = bounds.length;
  const mean = options.mean ?? bounds.map(([lo, hi]) => lo + (hi - lo) / 2);
  const sigma = Math.max(
    options.sigma0 ?? Math.min(...bounds.map(([lo, hi]) => (hi - lo) / 6)),
    EPS,
  );
  const popsize = options.popsize ?? 4 + Math.floor(3 * Math.log(dim));
  const cov = new Array<number>(dim * dim).fill(0);
  for (let i = 0; i < dim; i++) cov[i * dim + i] = 1;
  return {
    dim,
    popsize,
    mean,
    sigma,
    cov,
    pc: new Array<number>(dim).fill(0),
    ps: new Array<number>(dim).fill(0),
    generation: 0,
    funhist: new Array<number>(2 * strategy(dim, popsize).funhistTerm).fill(0),
    tolx: 1e-12 * sigma,
    bounds,
  };
}

/** Draws one solution from N(mean, σ²C), resampling out-of-bounds draws, then clipping. */
export function askCma(state: CmaState, rng: Rng): number[] {
  const n = state.dim;
  const { B, D } = decompose(state);
  const draw = (): number[] => {
    const z = Array.from({ length: n }, () => gaussian(rng));
    const x: number[] = [];
    for (let i = 0; i < n; i++) {
      let y = 0;
      for (let k = 0; k < n; k++)
        y += (B[i * n + k] as number) * (D[k] as number) * (z[k] as number);
      x.push((state.mean[i] as number) + state.sigma * y);
    }
    return x;
  };
  const inside = (x: number[]) =>
    x.every(
      (v, i) =>
        v >= (state.bounds[i] as [number, number])[0] &&
        v <= (state.bounds[i] as [number, number])[1],
    );
  for (let i = 0; i < 10 * n; i++) {
    const x = draw();
    if (inside(x)) return x;
  }
  return draw().map((v, i) =>
    Math.min(
      Math.max(v, (state.bounds[i] as [number, number])[0]),
      (state.bounds[i] as [number, number])[1],
    ),
  );
}

/** One generation update from `popsize` (solution, loss) pairs; returns the new state. */
export function tellCma(
  prev: CmaState,
  solutions: readonly (readonly [number[], number])[],
): CmaState {
  const state: CmaState = structuredClone(prev);
  const n = state.dim;
  if (solutions.length !== state.popsize) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `CMA-ES tell needs ${state.popsize} solutions, got ${solutions.length}`,
    );
  }
  for (const [x] of solutions) {
    if (x.length !== n || x.some((v) => !(Math.abs(v) < MEAN_MAX))) {
      throw new HpoError(
        'INVALID_VALUE',
        `CMA-ES tell: each solution needs ${n} finite values with |x| < ${MEAN_MAX}; got [${x.join(', ')}]`,
      );
    }
  }
  const st = strategy(n, state.popsize);
  state.generation += 1;
  const sorted = [...solutions].sort((a, b) => a[1] - b[1]);
  const term = st.funhistTerm;
  const slot = 2 * (state.generation % term);
  state.funhist[slot] = (sorted[0] as [number[], number])[1];
  state.funhist[slot + 1] = (sorted[sorted.length - 1] as [number[], number])[1];
  const { B, D } = decompose(state);
  const yk = sorted.map(([x]) => x.map((v, i) => (v - (state.mean[i] as number)) / state.sigma));
  const yw = new Array<number>(n).fill(0);
  for (let k = 0; k < st.mu; k++) {
    for (let i = 0; i < n; i++)
      yw[i] = (yw[i] as number) + (st.weights[k] as number) * ((yk[k] as number[])[i] as number);
  }
  for (let i = 0; i < n; i++)
    state.mean[i] = (state.mean[i] as number) + state.sigma * (yw[i] as number);
  // C^{-1/2} = B·D⁻¹·Bᵀ
  const cInvSqrt = new Array<number>(n * n).fill(0);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++)
        s += ((B[i * n + k] as number) * (B[j * n + k] as number)) / (D[k] as number);
      cInvSqrt[i * n + j] = s;
    }
  }
  const mulCInvSqrt = (v: readonly number[]): number[] =>
    Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let j = 0; j < n; j++) s += (cInvSqrt[i * n + j] as number) * (v[j] as number);
      return s;
    });
  const cyw = mulCInvSqrt(yw);
  const psCoef = Math.sqrt(st.cSigma * (2 - st.cSigma) * st.muEff);
  state.ps = state.ps.map((p, i) => (1 - st.cSigma) * p + psCoef * (cyw[i] as number));
  const normPs = Math.hypot(...state.ps);
  state.sigma *= Math.exp((st.cSigma / st.dSigma) * (normPs / st.chiN - 1));
  state.sigma = Math.min(state.sigma, SIGMA_MAX);
  const hLeft = normPs / Math.sqrt(1 - (1 - st.cSigma) ** (2 * (state.generation + 1)));
  const hSigma = hLeft < (1.4 + 2 / (n + 1)) * st.chiN ? 1 : 0;
  const pcCoef = hSigma * Math.sqrt(st.cc * (2 - st.cc) * st.muEff);
  state.pc = state.pc.map((p, i) => (1 - st.cc) * p + pcCoef * (yw[i] as number));
  const wIo = st.weights.map((w, k) => {
    if (w >= 0) return w;
    const cy = mulCInvSqrt(yk[k] as number[]);
    return (w * n) / (cy.reduce((a, b) => a + b * b, 0) + EPS);
  });
  const deltaH = (1 - hSigma) * st.cc * (2 - st.cc);
  const sumW = st.weights.reduce((a, b) => a + b, 0);
  const decay = 1 + st.c1 * deltaH - st.c1 - st.cmu * sumW;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let rankMu = 0;
      for (let k = 0; k < state.popsize; k++) {
        const y = yk[k] as number[];
        rankMu += (wIo[k] as number) * (y[i] as number) * (y[j] as number);
      }
      state.cov[i * n + j] =
        decay * (state.cov[i * n + j] as number) +
        st.c1 * (state.pc[i] as number) * (state.pc[j] as number) +
        st.cmu * rankMu;
    }
  }
  return state;
}

/** The `cmaes` package's termination tests (flat fitness, tiny/huge steps, ill conditioning). */
export function shouldStopCma(state: CmaState): boolean {
  const copy = structuredClone(state);
  const n = copy.dim;
  const { B, D } = decompose(copy);
  const st = strategy(n, copy.popsize);
  const dC = Array.from({ length: n }, (_, i) => copy.cov[i * n + i] as number);
  const hist = copy.funhist;
  if (copy.generation > st.funhistTerm && Math.max(...hist) - Math.min(...hist) < 1e-12)
    return true;
  if (
    dC.every((c) => copy.sigma * c < copy.tolx) &&
    copy.pc.every((p) => copy.sigma * p < copy.tolx)
  ) {
    return true;
  }
  if (copy.sigma * Math.max(...D) > 1e4) return true;
  if (copy.mean.some((m, i) => m === m + 0.2 * copy.sigma * Math.sqrt(dC[i] as number)))
    return true;
  const k = copy.generation % n;
  if (
    copy.mean.every(
      (m, i) => m === m + 0.1 * copy.sigma * (D[k] as number) * (B[i * n + k] as number),
    )
  ) {
    return true;
  }
  return Math.max(...D) / Math.min(...D) > 1e14;
}

function isCmaState(v: unknown): v is CmaState {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Partial<CmaState>;
  return (
    typeof s.dim === 'number' &&
    Array.isArray(s.mean) &&
    Array.isArray(s.cov) &&
    typeof s.sigma === 'number' &&
    typeof s.generation === 'number'
  );
}

/** Creates Optuna's CmaEsSampler (non-separable CMA-ES, optional IPOP restarts). */
export function createCmaEsSampler(options: CmaEsSamplerOptions = {}): Sampler {
  const {
    seed,
    sigma0,
    nStartupTrials = 1,
    popsize,
    restartStrategy,
    incPopsize = 2,
    considerPrunedTrials = false,
    warnIndependentSampling = true,
    logger = console.warn,
  } = options;
  checkSeed(seed, 'createCmaEsSampler');
  if (sigma0 !== undefined && !(sigma0 > 0 && Number.isFinite(sigma0))) {
    throw new HpoError('INVALID_ARGUMENT', `createCmaEsSampler: sigma0 must be > 0, got ${sigma0}`);
  }
  if (!Number.isInteger(nStartupTrials) || nStartupTrials < 0) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createCmaEsSampler: nStartupTrials must be an integer ≥ 0, got ${nStartupTrials}`,
    );
  }
  if (popsize !== undefined && (!Number.isInteger(popsize) || popsize < 2)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createCmaEsSampler: popsize must be an integer ≥ 2, got ${popsize}`,
    );
  }
  if (restartStrategy !== undefined && restartStrategy !== 'ipop') {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createCmaEsSampler: restartStrategy must be 'ipop' or omitted, got ${String(restartStrategy)}`,
    );
  }
  if (!Number.isInteger(incPopsize) || incPopsize < 1) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createCmaEsSampler: incPopsize must be an integer ≥ 1, got ${incPopsize}`,
    );
  }
  const rng = seededRng(seed, 'cmaes');
  const randomRng = seededRng(seed, 'cmaes-random');
  let warned = false;
  const generationKey = (restart: number) =>
    restartStrategy === undefined ? 'cma:generation' : `cma:restart_${restart}:generation`;

  function checkSingleObjective(study: StudyView): void {
    if (study.directions.length !== 1) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `study ${study.name}: CMA-ES handles one objective; use createNsga2Sampler or createTpeSampler for ${study.directions.length}`,
      );
    }
  }

  /** Complete trials (and pruned ones with their last report when enabled) with a loss. */
  function finished(study: StudyView): { trial: FrozenTrial; loss: number }[] {
    const sign = study.directions[0] === 'maximize' ? -1 : 1;
    const out: { trial: FrozenTrial; loss: number }[] = [];
    for (const t of study.trials) {
      if (t.state === 'complete' && t.values?.[0] !== undefined) {
        out.push({ trial: t, loss: sign * t.values[0] });
      } else if (t.state === 'pruned' && considerPrunedTrials) {
        const last = lastIntermediate(t);
        if (last !== undefined && !Number.isNaN(last[1]))
          out.push({ trial: t, loss: sign * last[1] });
      }
    }
    return out;
  }

  function restore(done: { trial: FrozenTrial }[]): [CmaState | undefined, number] {
    for (let i = done.length - 1; i >= 0; i--) {
      const attrs = (done[i] as { trial: FrozenTrial }).trial.systemAttrs;
      const state = attrs[CMA_OPTIMIZER_KEY];
      if (isCmaState(state)) {
        const restarts = attrs[CMA_N_RESTARTS_KEY];
        return [structuredClone(state), typeof restarts === 'number' ? restarts : 0];
      }
    }
    return [undefined, 0];
  }

  function warnOnce(message: string): void {
    if (warnIndependentSampling && !warned) {
      warned = true;
      logger(message);
    }
  }

  return {
    name: 'cmaes',

    inferRelativeSearchSpace(study) {
      checkSingleObjective(study);
      const out: Record<string, Distribution> = {};
      for (const [name, d] of Object.entries(intersectionSearchSpace(study.trials, ['complete']))) {
        if (isSingle(d) || d.type === 'categorical') continue;
        out[name] = d;
      }
      return out;
    },

    sampleRelative(study, trial, searchSpace) {
      checkSingleObjective(study);
      const names = Object.keys(searchSpace);
      if (names.length === 0) return {};
      const done = finished(study);
      if (done.length < nStartupTrials) return {};
      if (names.length === 1) {
        warnOnce(
          '[@ft/hpo] CMA-ES needs two or more continuous/integer parameters; sampling the one parameter at random instead',
        );
        return {};
      }
      const dists = names.map((n) => searchSpace[n] as Distribution);
      const bounds = dists.map(transformedBounds);
      let [state, nRestarts] = restore(done);
      if (state === undefined) {
        nRestarts = 0;
        state = initialCmaState(bounds, { sigma0, popsize });
      }
      const sameSpace =
        state.dim === bounds.length &&
        state.bounds.every(
          ([lo, hi], i) => lo === (bounds[i] as number[])[0] && hi === (bounds[i] as number[])[1],
        );
      if (!sameSpace) {
        warnOnce(
          '[@ft/hpo] CMA-ES does not support a changing search space; sampling at random instead',
        );
        return {};
      }
      const key = generationKey(nRestarts);
      const solutions = done.filter(({ trial: t }) => t.systemAttrs[key] === state?.generation);
      if (solutions.length >= state.popsize) {
        const pairs = solutions
          .slice(0, state.popsize)
          .map(
            ({ trial: t, loss }) =>
              [
                dists.map((d, i) => transformValue(d, t.params[names[i] as string] as number)),
                loss,
              ] as [number[], number],
          );
        state = tellCma(state, pairs);
        if (restartStrategy === 'ipop' && shouldStopCma(state)) {
          nRestarts += 1;
          const mean = bounds.map(([lo, hi]) => lo + (hi - lo) * rng.next());
          state = initialCmaState(bounds, { mean, sigma0, popsize: state.popsize * incPopsize });
        }
        // The study persists systemAttrs written here; later trials restore the newest state.
        trial.systemAttrs[CMA_OPTIMIZER_KEY] = state;
      }
      const trialRng = createRng(`${rng.int(2 ** 16)}:${trial.number}`);
      const x = askCma(state, trialRng);
      trial.systemAttrs[generationKey(nRestarts)] = state.generation;
      trial.systemAttrs[CMA_N_RESTARTS_KEY] = nRestarts;
      const params: Record<string, ParamValue> = {};
      names.forEach((name, i) => {
        params[name] = untransformValue(dists[i] as Distribution, x[i] as number);
      });
      return params;
    },

    sampleIndependent(study, trial, paramName, distribution) {
      checkSingleObjective(study);
      if (study.trials.some((t) => t.state === 'complete' && t.number !== trial.number)) {
        warnOnce(
          `[@ft/hpo] trial #${trial.number} param ${paramName}: sampled independently (at random) instead of by CMA-ES${distribution.type === 'categorical' ? ' because it is categorical' : ''}; pass warnIndependentSampling: false if this is intended`,
        );
      }
      return sampleUniform(randomRng, distribution);
    },
  };
}
