// Metric-driven learning-rate decay with torch.optim.lr_scheduler.ReduceLROnPlateau's step(metric)
// rules (threshold modes, patience, cooldown, min_lr, eps), with JSON-safe state for checkpoints.
import { TrainerError } from '../errors.js';

export interface ReduceOnPlateauOptions {
  /** Learning rate before any reduction. */
  lr: number;
  /** 'min': the metric should fall (a loss); 'max': it should rise (accuracy). @default 'min' */
  mode?: 'min' | 'max';
  /** new lr = lr · factor. @default 0.1 */
  factor?: number;
  /** Evaluations without improvement tolerated; the next one reduces. @default 10 */
  patience?: number;
  /** Minimum change that counts as an improvement. @default 1e-4 */
  threshold?: number;
  /** 'rel': better than best·(1 ∓ threshold); 'abs': better than best ∓ threshold. @default 'rel' */
  thresholdMode?: 'rel' | 'abs';
  /** Evaluations to wait after a reduction before counting bad ones again. @default 0 */
  cooldown?: number;
  /** Lower bound of the learning rate. @default 0 */
  minLr?: number;
  /** Reductions smaller than this are skipped. @default 1e-8 */
  eps?: number;
}

/** Everything `step` changes, JSON-safe (±Infinity as null: no metric seen yet). */
export interface ReduceOnPlateauState {
  lr: number;
  best: number | null;
  numBadEpochs: number;
  cooldownCounter: number;
  lastEpoch: number;
}

export interface ReduceOnPlateau {
  /** The current learning rate. */
  readonly lr: number;
  /** Records one evaluation's metric and returns the (possibly reduced) learning rate. */
  step(metric: number): number;
  state(): ReduceOnPlateauState;
  restore(state: ReduceOnPlateauState): void;
}

export function createReduceOnPlateau(options: ReduceOnPlateauOptions): ReduceOnPlateau {
  const {
    mode = 'min',
    factor = 0.1,
    patience = 10,
    threshold = 1e-4,
    thresholdMode = 'rel',
    cooldown = 0,
    minLr = 0,
    eps = 1e-8,
  } = options;
  const fail = (problem: string): never => {
    throw new TrainerError('INVALID_ARGUMENT', problem);
  };
  if (mode !== 'min' && mode !== 'max') fail(`mode must be 'min' or 'max', got ${String(mode)}`);
  if (thresholdMode !== 'rel' && thresholdMode !== 'abs') {
    fail(`thresholdMode must be 'rel' or 'abs', got ${String(thresholdMode)}`);
  }
  // torch: "Factor should be < 1.0."
  if (!(factor >= 0 && factor < 1)) fail(`factor must be in [0, 1), got ${factor}`);
  if (!(Number.isInteger(patience) && patience >= 0))
    fail(`patience must be an integer ≥ 0, got ${patience}`);
  if (!(Number.isInteger(cooldown) && cooldown >= 0))
    fail(`cooldown must be an integer ≥ 0, got ${cooldown}`);
  if (!(options.lr >= 0) || !Number.isFinite(options.lr))
    fail(`lr must be a finite number ≥ 0, got ${options.lr}`);

  const worse = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  let lr = options.lr;
  let best = worse;
  let numBadEpochs = 0;
  let cooldownCounter = 0;
  let lastEpoch = 0;

  // torch's is_better for the four mode × threshold_mode combinations.
  const isBetter = (a: number): boolean => {
    if (mode === 'min')
      return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  };

  return {
    get lr() {
      return lr;
    },
    step(metric) {
      if (Number.isNaN(metric)) fail('ReduceOnPlateau got a NaN metric');
      lastEpoch += 1;
      if (isBetter(metric)) {
        best = metric;
        numBadEpochs = 0;
      } else {
        numBadEpochs += 1;
      }
      if (cooldownCounter > 0) {
        cooldownCounter -= 1;
        numBadEpochs = 0;
      }
      if (numBadEpochs > patience) {
        const reduced = Math.max(lr * factor, minLr);
        if (lr - reduced > eps) lr = reduced;
        cooldownCounter = cooldown;
        numBadEpochs = 0;
      }
      return lr;
    },
    state: () => ({
      lr,
      best: Number.isFinite(best) ? best : null,
      numBadEpochs,
      cooldownCounter,
      lastEpoch,
    }),
    restore(saved) {
      if (
        !(saved.lr >= 0) ||
        !Number.isInteger(saved.numBadEpochs) ||
        !Number.isInteger(saved.cooldownCounter)
      ) {
        fail(`not a ReduceOnPlateau state: ${JSON.stringify(saved)}`);
      }
      lr = saved.lr;
      best = saved.best ?? worse;
      numBadEpochs = saved.numBadEpochs;
      cooldownCounter = saved.cooldownCounter;
      lastEpoch = saved.lastEpoch;
    },
  };
}
