// TEST-ONLY child process of resume.test.ts: trains the linear model with checkpoints, reporting
// every optimizer step and checkpoint over IPC, until the parent kills it with SIGKILL.
import { linearTask, resumableRunOptions } from './test-step.js';
import { train } from './train.js';
import type { Batch } from './types.js';

const outputDir = process.argv[2]!;
const task = linearTask();
// A few milliseconds per batch keep the run going long enough to be killed mid-way; the
// delay changes nothing in the arithmetic.
const slowTrain = {
  size: task.train.size,
  batch: async (indices: number[]): Promise<Batch> => {
    await new Promise((resolve) => setTimeout(resolve, 3));
    return task.train.batch(indices);
  },
};
await train({
  step: task.step,
  data: { train: slowTrain, eval: task.eval },
  ...resumableRunOptions(outputDir),
  onEvent: async (event) => {
    if (event.type === 'step') process.send?.({ step: event.step });
    if (event.type === 'checkpoint') process.send?.({ checkpoint: event.step });
    // However slow the parent is to react, the run never completes: it parks at step 40 (the
    // open IPC channel keeps the process alive) until the SIGKILL arrives.
    if (event.type === 'step' && event.step === 40) await new Promise(() => undefined);
  },
});
process.send?.({ finished: true });
