// Output of the `ft` CLI: one plain line per run event (a rewritten progress line on a TTY),
// aligned tables, and durations people can read.
import type { PipelineEvent, RunState } from '../types.js';

export interface Output {
  write(text: string): void;
  isTTY: boolean;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** Left-aligned columns separated by two spaces. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/** The per-step table of `ft status` and `ft run`'s summary. */
export function stepsTable(state: RunState): string {
  const rows = Object.entries(state.steps).map(([id, step]) => [
    id,
    step.status,
    String(step.attempts),
    formatDuration(step.durationMs),
    step.error ?? '',
  ]);
  return table(['STEP', 'STATUS', 'ATTEMPTS', 'DURATION', 'ERROR'], rows);
}

/**
 * Prints events as they come. On a TTY, progress rewrites one line in place (`\r`); otherwise a
 * progress line is printed each time another tenth of the total is done, so logs stay short.
 */
export function createEventPrinter(out: Output): (event: PipelineEvent) => void {
  let progressShown = false;
  const lastTenth = new Map<string, number>();
  const line = (text: string) => {
    if (progressShown) {
      out.write('\n');
      progressShown = false;
    }
    out.write(`${text}\n`);
  };
  return (event) => {
    switch (event.type) {
      case 'run-start':
        line(`run ${event.runId}: pipeline ${event.pipeline}`);
        break;
      case 'step-start':
        line(`[${event.step}] start${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`);
        break;
      case 'step-cached':
        line(`[${event.step}] cached (${event.fingerprint.slice(0, 19)})`);
        break;
      case 'step-skipped':
        line(`[${event.step}] skipped: ${event.reason}`);
        break;
      case 'step-end':
        line(`[${event.step}] done in ${formatDuration(event.durationMs)}`);
        break;
      case 'step-retry':
        line(`[${event.step}] retry in ${formatDuration(event.delayMs)}: ${event.error}`);
        break;
      case 'step-fail':
        line(`[${event.step}] failed: ${event.error}`);
        break;
      case 'log':
        line(`[${event.step}] ${event.level === 'info' ? '' : `${event.level}: `}${event.message}`);
        break;
      case 'metric':
        line(
          `[${event.step}] ${event.name}=${event.value}${event.trainingStep !== undefined ? ` (step ${event.trainingStep})` : ''}`,
        );
        break;
      case 'progress': {
        const total = event.total;
        const text = `[${event.step}] ${event.done}${total !== undefined ? `/${total}` : ''}${event.label ? ` ${event.label}` : ''}`;
        if (out.isTTY) {
          out.write(`\r\x1b[2K${text}`);
          progressShown = true;
          break;
        }
        if (total !== undefined && total > 0) {
          const tenth = Math.floor((10 * event.done) / total);
          if (lastTenth.get(event.step) === tenth) break;
          lastTenth.set(event.step, tenth);
        }
        line(text);
        break;
      }
      case 'run-end':
        line(`run ${event.runId} ${event.status}`);
        break;
    }
  };
}
