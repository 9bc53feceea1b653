// SGD as an ONNX subgraph with torch.optim.SGD semantics: L2 weight decay added to the gradient,
// momentum with dampening, Nesterov; lr (and step, for dampening) are graph inputs.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import type { FloatDType } from '../losses/utils.js';
import { checkRange, createScalarCache, paramDType } from './utils.js';

export interface SgdParam {
  param: string;
  grad: string;
  /** Momentum buffer, zeros before the first step; required when momentum > 0. */
  momentumBuffer?: string;
  /** Apply weight decay to this tensor (see `defaultNoDecay`). @default true */
  decay?: boolean;
}

export interface SgdUpdateOptions {
  params: readonly SgdParam[];
  /** Graph value holding the learning rate (float scalar). */
  lr: string;
  /**
   * Graph value holding the 1-based step count (int64 or float). Needed only with momentum and
   * dampening ≠ 0: torch starts the buffer as the raw gradient, undamped, on step 1.
   */
  step?: string;
  /** @default 0 */
  momentum?: number;
  /** @default 0 */
  dampening?: number;
  /** @default false */
  nesterov?: boolean;
  /** L2 penalty added to the gradient: g ← g + λ·p (coupled, unlike AdamW). @default 0 */
  weightDecay?: number;
  /** Float dtype of the parameters; read from the graph when omitted. */
  dtype?: FloatDType;
}

export interface SgdUpdated {
  param: string;
  /** The new momentum buffer; undefined without momentum. */
  momentumBuffer: string | undefined;
}

/**
 * Per parameter: g ← g + λ·p; b ← μ·b + (1 − τ)·g (b ← g on step 1); g ← g + μ·b with Nesterov,
 * else g ← b; p ← p − lr·g. With τ = 0 and zero-initialised buffers step 1 needs no special case
 * (μ·0 + g = g), so `step` is only read when dampening ≠ 0.
 */
export function buildSgdUpdate(b: GraphBuilder, options: SgdUpdateOptions): SgdUpdated[] {
  const {
    params,
    lr,
    step,
    momentum = 0,
    dampening = 0,
    nesterov = false,
    weightDecay = 0,
  } = options;
  checkRange('momentum', momentum, 0, Number.MAX_VALUE);
  checkRange('dampening', dampening, 0, 1);
  checkRange('weightDecay', weightDecay, 0, Number.MAX_VALUE);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'Nesterov momentum requires momentum > 0 and dampening = 0 (as in torch.optim.SGD)',
    );
  }
  if (momentum > 0 && dampening !== 0 && step === undefined) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'SGD with momentum and dampening needs the `step` input to start the buffer undamped',
    );
  }
  const lrOf = createScalarCache(b, lr);
  const stepOf = step === undefined ? undefined : createScalarCache(b, step);
  const firstStep = new Map<FloatDType, string>();

  return params.map(({ param, grad, momentumBuffer, decay = true }) => {
    const dtype = paramDType(b, param, options.dtype);
    let g = grad;
    if (decay && weightDecay !== 0) {
      g = b.op('Add', [g, b.op('Mul', [param, b.scalar(dtype, weightDecay)])]);
    }
    let newBuffer: string | undefined;
    if (momentum > 0) {
      if (momentumBuffer === undefined) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `parameter "${param}" needs a momentumBuffer when momentum > 0`,
        );
      }
      newBuffer = b.op('Add', [
        b.op('Mul', [momentumBuffer, b.scalar(dtype, momentum)]),
        dampening === 0 ? g : b.op('Mul', [g, b.scalar(dtype, 1 - dampening)]),
      ]);
      if (dampening !== 0 && stepOf !== undefined) {
        let first = firstStep.get(dtype);
        if (first === undefined) {
          // step < 1.5 rather than step == 1: exact for integer and float step inputs alike.
          first = b.op('Less', [stepOf(dtype), b.scalar(dtype, 1.5)]);
          firstStep.set(dtype, first);
        }
        newBuffer = b.op('Where', [first, g, newBuffer]);
      }
      g = nesterov
        ? b.op('Add', [g, b.op('Mul', [newBuffer, b.scalar(dtype, momentum)])])
        : newBuffer;
    }
    return {
      param: b.op('Sub', [param, b.op('Mul', [g, lrOf(dtype)])]),
      momentumBuffer: newBuffer,
    };
  });
}
