// Progress output: one line rewritten in place on a terminal, plain lines every `logEvery`
// optimizer steps otherwise (log files, CI), and one line per evaluation in both cases.
import type { ProgressStream } from './types.js';

export interface ProgressInfo {
  step: number;
  /** Total optimizer steps when known (maxSteps), shown as `step/total`. */
  totalSteps?: number;
  epoch: number;
  loss: number;
  lr: number;
  /** Samples (or tokens, with `unit: 'tokens'`) per second. */
  rate: number;
  unit: 'samples' | 'tokens';
  /** Seconds left, when the end is known. */
  etaSeconds?: number;
}

export interface Progress {
  /** After every optimizer step; `logged` marks steps that produced a history entry. */
  step(info: ProgressInfo, logged: boolean): void;
  eval(step: number, epoch: number, metrics: Record<string, number>): void;
  end(): void;
}

/** A number in 4 decimals, or in exponent form when that would hide it. */
export function formatNumber(value: number): string {
  const magnitude = Math.abs(value);
  if (value === 0 || (magnitude >= 1e-3 && magnitude < 1e5)) return value.toFixed(4);
  return Number.isFinite(value) ? value.toExponential(3) : String(value);
}

/** Seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** `step 5/20 | epoch 0.50 | loss 0.1234 | lr 1.000e-2 | 812.3 samples/s | ETA 0:03` */
export function formatProgressLine(info: ProgressInfo): string {
  const parts = [
    `step ${info.step}${info.totalSteps !== undefined ? `/${info.totalSteps}` : ''}`,
    `epoch ${info.epoch.toFixed(2)}`,
    `loss ${formatNumber(info.loss)}`,
    `lr ${info.lr.toExponential(3)}`,
    `${info.rate.toFixed(1)} ${info.unit}/s`,
  ];
  if (info.etaSeconds !== undefined && Number.isFinite(info.etaSeconds)) {
    parts.push(`ETA ${formatDuration(info.etaSeconds)}`);
  }
  return parts.join(' | ');
}

export function formatEvalLine(
  step: number,
  epoch: number,
  metrics: Record<string, number>,
): string {
  const values = Object.entries(metrics).map(([name, value]) => `${name} ${formatNumber(value)}`);
  return [`eval step ${step}`, `epoch ${epoch.toFixed(2)}`, ...values].join(' | ');
}

// A terminal repaint at most this often: rewriting the line every step of a fast model would
// spend more time in the terminal than in training.
const REPAINT_MS = 100;

export function createProgress(stream: ProgressStream): Progress {
  const tty = stream.isTTY === true;
  let pending = false;
  let lastPaint = Number.NEGATIVE_INFINITY;
  const clearLine = (): void => {
    if (pending) stream.write('\r\x1b[K');
    pending = false;
  };
  return {
    step(info, logged) {
      if (!tty) {
        if (logged) stream.write(`${formatProgressLine(info)}\n`);
        return;
      }
      const now = performance.now();
      if (!logged && now - lastPaint < REPAINT_MS) return;
      lastPaint = now;
      stream.write(`\r${formatProgressLine(info)}\x1b[K`);
      pending = true;
    },
    eval(step, epoch, metrics) {
      if (tty) clearLine();
      stream.write(`${formatEvalLine(step, epoch, metrics)}\n`);
    },
    end() {
      // Leave the last progress line on screen and move below it.
      if (tty && pending) stream.write('\n');
      pending = false;
    },
  };
}
