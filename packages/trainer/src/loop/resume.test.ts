// Exact resume after a crash: a child process training with checkpoints is killed with SIGKILL
// at an arbitrary point after a checkpoint; resuming from 'latest' ends bit-identical to an
// uninterrupted run. The child runs resume-child.ts through `node --import tsx`.
import { fork } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { hexMap, linearTask, resumableRunOptions } from './test-step.js';
import { train } from './train.js';
import type { HistoryEntry, TrainEvent } from './types.js';

// `--import tsx` resolves from the child's cwd, the package folder (tsx is a workspace devDependency).
const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const childScript = fileURLToPath(new URL('./resume-child.ts', import.meta.url));

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-loop-resume-');
});
afterEach(() => dir.cleanup());

const withoutTiming = (history: HistoryEntry[]) =>
  history.map(({ samplesPerSecond: _rate, ...rest }) => rest);

it('a run killed with SIGKILL resumes to bit-identical parameters', async () => {
  const killedDir = join(dir.path, 'killed');
  const child = fork(childScript, [killedDir], {
    cwd: packageDir,
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => {
    stderr += chunk;
  });
  let lastCheckpoint = 0;
  let lastStep = 0;
  let finished = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  child.on('message', (message: { step?: number; checkpoint?: number; finished?: boolean }) => {
    if (message.checkpoint !== undefined) lastCheckpoint = message.checkpoint;
    if (message.step !== undefined) lastStep = message.step;
    if (message.finished) finished = true;
    // Checkpoint 12 (mid-epoch: batch 2 of epoch 1) is on disk and a few more steps ran: kill
    // wherever the child is now (mid-step, mid-evaluation or while writing checkpoint 16).
    if (lastCheckpoint >= 12 && lastStep >= 15) child.kill('SIGKILL');
  });
  const { signal } = await exited;
  expect({ signal, finished, stderr }).toMatchObject({ signal: 'SIGKILL', finished: false });
  expect(lastStep).toBeGreaterThanOrEqual(15);
  expect(lastStep).toBeLessThanOrEqual(40);

  const resumedTask = linearTask();
  const events: TrainEvent[] = [];
  const resumed = await train({
    step: resumedTask.step,
    data: { train: resumedTask.train, eval: resumedTask.eval },
    ...resumableRunOptions(killedDir),
    resumeFrom: 'latest',
    onEvent: (event) => {
      events.push(event);
    },
  });
  const firstStep = events.find((e) => e.type === 'step');
  // It went on from a checkpoint the child wrote: 12, or a later one completed before the kill.
  expect(firstStep).toBeDefined();
  const resumedAt = firstStep!.type === 'step' ? firstStep!.step - 1 : -1;
  expect(resumedAt % 4).toBe(0);
  expect(resumedAt).toBeGreaterThanOrEqual(12);
  expect(resumedAt).toBeLessThanOrEqual(40);

  const fullTask = linearTask();
  const full = await train({
    step: fullTask.step,
    data: { train: fullTask.train, eval: fullTask.eval },
    ...resumableRunOptions(join(dir.path, 'full')),
  });
  expect(full.steps).toBe(80);
  expect(resumed.steps).toBe(80);
  expect(hexMap(resumedTask.step.getParameters())).toEqual(hexMap(fullTask.step.getParameters()));
  expect(hexMap(resumedTask.step.getOptimizerState().tensors)).toEqual(
    hexMap(fullTask.step.getOptimizerState().tensors),
  );
  expect(withoutTiming(resumed.history)).toEqual(withoutTiming(full.history));
  expect(resumed.bestMetric).toBe(full.bestMetric);
  // No temporary folder of the killed child survives; rotation kept the newest 3 (+ best).
  const left = await readdir(killedDir);
  expect(left.filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  expect(left.filter((n) => n.startsWith('checkpoint-')).sort()).toEqual(
    (await readdir(join(dir.path, 'full'))).filter((n) => n.startsWith('checkpoint-')).sort(),
  );
});
