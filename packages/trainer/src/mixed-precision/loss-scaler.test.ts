// The GradScaler state machine on its own: back-off, growth, the non-finite growth guard, restore.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { createLossScaler } from './loss-scaler.js';

describe('createLossScaler', () => {
  it("follows torch.cuda.amp.GradScaler's defaults: 2^16, ×0.5 on overflow, ×2 after 2000 clean steps", () => {
    const scaler = createLossScaler();
    expect(scaler.scale).toBe(65536);
    scaler.update(false);
    expect(scaler.state()).toEqual({ scale: 32768, growthTracker: 0 });
    for (let i = 0; i < 1999; i++) scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 32768, growthTracker: 1999 });
    scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 65536, growthTracker: 0 });
    // An overflow resets the count toward growth.
    for (let i = 0; i < 10; i++) scaler.update(true);
    scaler.update(false);
    expect(scaler.state()).toEqual({ scale: 32768, growthTracker: 0 });
  });

  it('does not grow to an infinite scale (as torch checks the new scale is finite)', () => {
    const scaler = createLossScaler({ initScale: 2 ** 1023, growthInterval: 1 });
    scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 2 ** 1023, growthTracker: 0 });
  });

  it('grows on the next clean step after restoring a tracker saved under a longer growthInterval', () => {
    const scaler = createLossScaler({ growthInterval: 10 });
    scaler.restore({ scale: 256, growthTracker: 15 });
    scaler.update(true);
    expect(scaler.state()).toEqual({ scale: 512, growthTracker: 0 });
  });

  it('restores a saved state and refuses a corrupt one, naming the field', () => {
    const scaler = createLossScaler();
    scaler.restore({ scale: 128, growthTracker: 7 });
    expect(scaler.state()).toEqual({ scale: 128, growthTracker: 7 });
    for (const [saved, field] of [
      [{ scale: 0, growthTracker: 0 }, 'scale'],
      [{ scale: Number.NaN, growthTracker: 0 }, 'scale'],
      [{ scale: 1, growthTracker: 1.5 }, 'growthTracker'],
    ] as const) {
      let error: unknown;
      try {
        scaler.restore(saved);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TrainerError);
      expect((error as TrainerError).code).toBe('CHECKPOINT');
      expect((error as TrainerError).message).toContain(`"${field}"`);
      expect((error as TrainerError).message).toMatch(/resume from another checkpoint/);
    }
    expect(scaler.state()).toEqual({ scale: 128, growthTracker: 7 });
  });

  it('rejects an initScale that is not a finite positive number', () => {
    expect(() => createLossScaler({ initScale: Number.POSITIVE_INFINITY })).toThrow(
      /mixedPrecision\.initScale must be a finite number > 0/,
    );
  });
});
