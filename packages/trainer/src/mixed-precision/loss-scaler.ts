// The host side of dynamic loss scaling, as torch.cuda.amp.GradScaler: back off on overflow, grow
// after `growthInterval` clean steps. The compiled step multiplies the loss by the scale.
import { TrainerError } from '../errors.js';

export interface LossScalerOptions {
  /** The first scale. @default 2 ** 16 */
  initScale?: number;
  /** Factor applied after `growthInterval` finite steps in a row. @default 2 */
  growthFactor?: number;
  /** Factor applied when the gradients overflow (the update is skipped). @default 0.5 */
  backoffFactor?: number;
  /** Finite steps in a row before the scale grows. @default 2000 */
  growthInterval?: number;
}

/** What a checkpoint keeps (GradScaler's `scale` and `_growth_tracker`). */
export interface LossScalerState {
  scale: number;
  growthTracker: number;
}

export interface LossScaler {
  /** The scale the next step multiplies the loss by. */
  readonly scale: number;
  /**
   * After an update: `finite` false backs the scale off (× backoffFactor) and restarts the count,
   * true counts toward growth (× growthFactor after growthInterval in a row).
   */
  update(finite: boolean): void;
  state(): LossScalerState;
  /** TrainerError CHECKPOINT naming the field when `saved` cannot be a scaler state. */
  restore(saved: LossScalerState): void;
}

/**
 * The field of a saved scaler state that no scaler can hold (`scale` must be finite and > 0,
 * `growthTracker` an integer ≥ 0), or undefined: one rule for restore() and loadCheckpoint.
 */
export function invalidLossScalerField(saved: LossScalerState): keyof LossScalerState | undefined {
  if (!(saved.scale > 0 && Number.isFinite(saved.scale))) return 'scale';
  if (!(Number.isInteger(saved.growthTracker) && saved.growthTracker >= 0)) return 'growthTracker';
  return undefined;
}

function check(field: string, ok: boolean, value: number, need: string): void {
  if (!ok) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `mixedPrecision.${field} must be ${need}, got ${value}`,
    );
  }
}

/**
 * A GradScaler state machine (torch's `_amp_update_scale_`). A growth to a non-finite scale is
 * not applied, as in torch. Powers of two stay exact; the scale is fed in the parameters' dtype,
 * so a float32 step sees a scale beyond float32's range as infinite, overflows and backs off.
 */
export function createLossScaler(options: LossScalerOptions = {}): LossScaler {
  const {
    initScale = 2 ** 16,
    growthFactor = 2,
    backoffFactor = 0.5,
    growthInterval = 2000,
  } = options;
  check('initScale', initScale > 0 && Number.isFinite(initScale), initScale, 'a finite number > 0');
  check('growthFactor', growthFactor > 1 && Number.isFinite(growthFactor), growthFactor, '> 1');
  check('backoffFactor', backoffFactor > 0 && backoffFactor < 1, backoffFactor, 'in (0, 1)');
  check(
    'growthInterval',
    Number.isInteger(growthInterval) && growthInterval >= 1,
    growthInterval,
    'an integer ≥ 1',
  );
  let scale = initScale;
  let growthTracker = 0;
  return {
    get scale() {
      return scale;
    },
    update(finite) {
      if (!finite) {
        scale *= backoffFactor;
        growthTracker = 0;
        return;
      }
      growthTracker++;
      // ≥, not torch's ==: a tracker restored from a run with a longer interval would otherwise
      // count past this one and never grow the scale again.
      if (growthTracker >= growthInterval) {
        const grown = scale * growthFactor;
        if (Number.isFinite(grown)) scale = grown;
        growthTracker = 0;
      }
    },
    state() {
      return { scale, growthTracker };
    },
    restore(saved) {
      const field = invalidLossScalerField(saved);
      if (field !== undefined) {
        const need = field === 'scale' ? 'a finite number > 0' : 'an integer ≥ 0';
        throw new TrainerError(
          'CHECKPOINT',
          `loss scaler state "${field}" must be ${need}, got ${saved[field]}; the saved optimizer state is corrupt — resume from another checkpoint`,
        );
      }
      scale = saved.scale;
      growthTracker = saved.growthTracker;
    },
  };
}
