// The loss contract: a function that emits a forward subgraph and returns the loss value's name.
import type { GraphBuilder } from '../ir/builder.js';
import type { FloatDType, Reduction } from './utils.js';

export type { FloatDType, Reduction } from './utils.js';

/** The graph values a loss reads. */
export interface LossInputs {
  /** Predictions: logits `[..., C]` for classification losses, values for regression losses. */
  input: string;
  /** Targets: integer class ids `[...]` (cross_entropy, focal) or floats shaped like `input`. */
  target: string;
}

/** Options every loss accepts. */
export interface LossOptions {
  /** How per-element losses are combined (PyTorch's `reduction`). @default 'mean' */
  reduction?: Reduction;
  /** Float type of the emitted constants; read from the graph when omitted. @default input's dtype, else 'float32' */
  dtype?: FloatDType;
  /** Name of the loss value (an Identity's output), e.g. `'loss'`; generated when omitted. */
  name?: string;
}

/**
 * Emits the loss subgraph into `b` and returns the name of the loss value: a scalar for
 * `mean`/`sum`, the per-element losses for `none`. Uses only ops the autodiff engine can
 * differentiate (integer/bool index paths carry no gradient).
 */
export type Loss<O extends LossOptions = LossOptions> = (
  b: GraphBuilder,
  inputs: LossInputs,
  options?: O,
) => string;
