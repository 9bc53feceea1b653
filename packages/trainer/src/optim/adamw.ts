// AdamW as an ONNX subgraph (Loshchilov & Hutter; PyTorch's torch.optim.AdamW semantics): decoupled
// weight decay, bias-corrected moments, lr and step as graph inputs so schedules run on the host.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { FloatDType } from '../losses/utils.js';
import { checkRange, createScalarCache, paramDType } from './utils.js';

/** One trainable tensor with its gradient and Adam state (all the same dtype and shape). */
export interface AdamWParam {
  /** Current parameter value. */
  param: string;
  /** Its gradient for this step. */
  grad: string;
  /** First moment (zeros before the first step). */
  m: string;
  /** Second moment (zeros before the first step). */
  v: string;
  /** Apply weight decay to this tensor (see `defaultNoDecay`). @default true */
  decay?: boolean;
}

export interface AdamWUpdateOptions {
  params: readonly AdamWParam[];
  /** Graph value holding the learning rate: a scalar (float32 or float64). */
  lr: string;
  /** Graph value holding this update's 1-based step count (int64 or float): 1 for the first. */
  step: string;
  /** @default 0.9 */
  beta1?: number;
  /** @default 0.999 */
  beta2?: number;
  /** Added to √v̂ in the denominator. @default 1e-8 */
  eps?: number;
  /** Decoupled weight decay λ: p ← p·(1 − lr·λ) before the Adam step. @default 0.01 (torch.optim.AdamW) */
  weightDecay?: number;
  /** Float dtype of the parameters; read from the graph when omitted. */
  dtype?: FloatDType;
  /**
   * A scalar graph value every gradient is to be multiplied by first (the global-norm clip
   * coefficient, see buildGlobalNormClipCoefficient). It is folded into the moments' scalar
   * factors — (1 − β₁)·c and (1 − β₂)·c² — instead of a Mul over every gradient element.
   */
  gradScale?: string;
}

/** The new values of one parameter and its state, in the order of `params`. */
export interface AdamWUpdated {
  param: string;
  m: string;
  v: string;
}

/**
 * Emits, per parameter (t = step, c = `gradScale` or 1):
 *   p ← p·(1 − lr·λ)                 (only where `decay`)
 *   m ← β₁·m + (1 − β₁)·c·g,  v ← β₂·v + (1 − β₂)·c²·g²
 *   p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 * which is torch.optim.AdamW's single-tensor update (after clip_grad_norm_ when c is the clip
 * coefficient). The last line runs as p − (lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)) · m / (√v + ε·√(1 − β₂ᵗ)):
 * the bias corrections move into step-level scalars, one elementwise pass fewer per parameter
 * (this is memory-bound work over every parameter each step). Returns the new names; the caller
 * marks them as outputs (and feeds them back as the next step's inputs).
 */
export function buildAdamWUpdate(b: GraphBuilder, options: AdamWUpdateOptions): AdamWUpdated[] {
  const { params, lr, step, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = options;
  checkRange('beta1', beta1, 0, 1, true);
  checkRange('beta2', beta2, 0, 1, true);
  checkRange('eps', eps, 0, Number.MAX_VALUE);
  checkRange('weightDecay', weightDecay, 0, Number.MAX_VALUE);
  if (params.length === 0) {
    throw new TrainerError('INVALID_ARGUMENT', 'buildAdamWUpdate needs at least one parameter');
  }
  const lrOf = createScalarCache(b, lr);
  const stepOf = createScalarCache(b, step);
  const gradScaleOf =
    options.gradScale === undefined ? undefined : createScalarCache(b, options.gradScale);
  // Step-level scalars, shared by all parameters of one dtype.
  interface Shared {
    mFactor: string;
    vFactor: string;
    stepSize: string;
    epsScaled: string;
    decayFactor: string | undefined;
  }
  const shared = new Map<FloatDType, Shared>();
  const sharedOf = (dtype: FloatDType): Shared => {
    let s = shared.get(dtype);
    if (s === undefined) {
      const one = b.scalar(dtype, 1);
      const t = stepOf(dtype);
      const bc1 = b.op('Sub', [one, b.op('Pow', [b.scalar(dtype, beta1), t])]);
      const bc2Sqrt = b.op('Sqrt', [b.op('Sub', [one, b.op('Pow', [b.scalar(dtype, beta2), t])])]);
      const c = gradScaleOf?.(dtype);
      s = {
        mFactor:
          c === undefined
            ? b.scalar(dtype, 1 - beta1)
            : b.op('Mul', [b.scalar(dtype, 1 - beta1), c]),
        vFactor:
          c === undefined
            ? b.scalar(dtype, 1 - beta2)
            : b.op('Mul', [b.scalar(dtype, 1 - beta2), b.op('Mul', [c, c])]),
        stepSize: b.op('Div', [b.op('Mul', [lrOf(dtype), bc2Sqrt]), bc1]),
        epsScaled: b.op('Mul', [b.scalar(dtype, eps), bc2Sqrt]),
        decayFactor:
          weightDecay === 0
            ? undefined
            : b.op('Sub', [one, b.op('Mul', [lrOf(dtype), b.scalar(dtype, weightDecay)])]),
      };
      shared.set(dtype, s);
    }
    return s;
  };

  return params.map(({ param, grad, m, v, decay = true }) => {
    const dtype = paramDType(b, param, options.dtype);
    const { mFactor, vFactor, stepSize, epsScaled, decayFactor } = sharedOf(dtype);
    const decayed = decay && decayFactor !== undefined ? b.op('Mul', [param, decayFactor]) : param;
    const newM = b.op('Add', [
      b.op('Mul', [m, b.scalar(dtype, beta1)]),
      b.op('Mul', [grad, mFactor]),
    ]);
    const newV = b.op('Add', [
      b.op('Mul', [v, b.scalar(dtype, beta2)]),
      b.op('Mul', [b.op('Mul', [grad, grad]), vFactor]),
    ]);
    const denom = b.op('Add', [b.op('Sqrt', [newV]), epsScaled]);
    const update = b.op('Mul', [b.op('Div', [newM, denom]), stepSize]);
    return { param: b.op('Sub', [decayed, update]), m: newM, v: newV };
  });
}
