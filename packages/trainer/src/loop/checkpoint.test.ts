// Checkpoints of the training loop: folder contents and trainer_state.json, rotation keeping the
// best, loadBestModelAtEnd, history.json, in-process exact resume, and resume errors.
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReduceOnPlateau } from '../schedules/reduce-on-plateau.js';
import { readSafetensors } from '../weights/safetensors.js';
import { createLinearData, FEATURES, hexMap, linearTask } from './test-step.js';
import { train } from './train.js';
import type { TrainerState } from './trainer-state.js';
import type { HistoryEntry } from './types.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-loop-ckpt-');
});
afterEach(() => dir.cleanup());

const readState = async (folder: string): Promise<TrainerState> =>
  JSON.parse(await readFile(join(folder, 'trainer_state.json'), 'utf8'));

/** History without the wall-clock rates, which differ between runs. */
const withoutTiming = (history: HistoryEntry[]) =>
  history.map((entry) => {
    const { samplesPerSecond: _s, ...rest } = entry as HistoryEntry & { tokensPerSecond?: number };
    delete (rest as { tokensPerSecond?: number }).tokensPerSecond;
    return rest;
  });

describe('checkpoints', () => {
  it('write model, optimizer and trainer state as they were at that step', async () => {
    const task = linearTask();
    const atStep = new Map<
      number,
      { params: Record<string, string>; opt: Record<string, string> }
    >();
    const checkpoints: string[] = [];
    const result = await train({
      step: task.step,
      data: { train: task.train, eval: task.eval },
      batchSize: 8,
      epochs: 2,
      seed: 's',
      lr: { name: 'linear', baseLr: 0.1 },
      logEvery: 2,
      outputDir: dir.path,
      saveSteps: 3,
      progress: false,
      onEvent: (e) => {
        if (e.type === 'step') {
          atStep.set(e.step, {
            params: hexMap(task.step.getParameters()),
            opt: hexMap(task.step.getOptimizerState().tensors),
          });
        }
        if (e.type === 'checkpoint') checkpoints.push(e.path);
      },
    });
    // Every 3 steps, plus the final step 10.
    expect(checkpoints).toEqual([3, 6, 9, 10].map((s) => join(dir.path, `checkpoint-${s}`)));
    expect((await readdir(dir.path)).sort()).toEqual([
      'checkpoint-10',
      'checkpoint-3',
      'checkpoint-6',
      'checkpoint-9',
      'history.json',
    ]);
    for (const s of [3, 6, 9, 10]) {
      const folder = join(dir.path, `checkpoint-${s}`);
      expect((await readdir(folder)).sort()).toEqual([
        'model.safetensors',
        'optimizer.safetensors',
        'trainer_state.json',
      ]);
      const model = await readSafetensors(join(folder, 'model.safetensors'));
      expect(hexMap(model.tensors)).toEqual(atStep.get(s)!.params);
      const optimizer = await readSafetensors(join(folder, 'optimizer.safetensors'));
      expect(hexMap(optimizer.tensors)).toEqual(atStep.get(s)!.opt);
      expect(optimizer.metadata.step).toBe(String(s));
    }

    const three = await readState(join(dir.path, 'checkpoint-3'));
    expect(three).toMatchObject({
      format: 'ft-trainer-state',
      version: 1,
      optimizerStep: 3,
      epoch: 0,
      batchInEpoch: 3,
      epochProgress: 0.6,
      samplesSeen: 24,
      data: {
        trainSize: 40,
        batchSize: 8,
        batchesPerEpoch: 5,
        seed: 's',
        shuffle: true,
        dropLast: false,
        rngKey: 's:0',
      },
      scheduler: {
        kind: 'schedule',
        state: { name: 'linear', baseLr: 0.1, totalSteps: 10, warmupSteps: 0 },
      },
      best: { metric: 'eval_loss', mode: 'min', value: null, step: null, checkpoint: null },
      earlyStopping: null,
      skippedSteps: 0,
    });
    // Step 3 is in the log window after the entry of step 2.
    expect(three.logWindow).toMatchObject({ steps: 1, samples: 8, lastLr: 0.1 * (8 / 10) });
    expect(three.history.map((e) => [e.type, e.step])).toEqual([['train', 2]]);

    const six = await readState(join(dir.path, 'checkpoint-6'));
    const evalAt5 = result.history.find((e) => e.type === 'eval' && e.step === 5);
    expect(evalAt5).toBeDefined();
    expect(six).toMatchObject({
      optimizerStep: 6,
      epoch: 1,
      batchInEpoch: 1,
      samplesSeen: 48,
      data: { rngKey: 's:1' },
      // The best eval (step 5) had no checkpoint of its own.
      best: {
        value: evalAt5!.type === 'eval' ? evalAt5!.metrics.eval_loss : -1,
        step: 5,
        checkpoint: null,
      },
    });
    expect(six.history.map((e) => [e.type, e.step])).toEqual([
      ['train', 2],
      ['train', 4],
      ['eval', 5],
      ['train', 6],
    ]);
    // history.json is the result's history.
    expect(JSON.parse(await readFile(join(dir.path, 'history.json'), 'utf8'))).toEqual(
      result.history,
    );
    expect(result.history.map((e) => [e.type, e.step])).toEqual([
      ['train', 2],
      ['train', 4],
      ['eval', 5],
      ['train', 6],
      ['train', 8],
      ['train', 10],
      ['eval', 10],
    ]);
  });

  it('keep the newest saveTotalLimit plus the best, and loadBestModelAtEnd restores it', async () => {
    const task = linearTask({ step: { momentum: 0 } });
    // Eval targets are all 0: the untrained model is best there, and learning makes it worse.
    const zeros = createLinearData({ size: 10, features: FEATURES, weights: [0, 0, 0], bias: 0 });
    let atTwenty: Record<string, string> = {};
    const result = await train({
      step: task.step,
      data: { train: task.train, eval: zeros },
      batchSize: 8,
      maxSteps: 20,
      lr: 0.1,
      evalSteps: 2,
      outputDir: dir.path,
      saveSteps: 2,
      saveTotalLimit: 2,
      loadBestModelAtEnd: true,
      progress: false,
      onEvent: (e) => {
        if (e.type === 'step' && e.step === 20) atTwenty = hexMap(task.step.getParameters());
      },
    });
    const evals = result.history.flatMap((e) => (e.type === 'eval' ? [e] : []));
    expect(evals).toHaveLength(10);
    const losses = evals.map((e) => e.metrics.eval_loss!);
    expect(result.bestMetric).toBe(Math.min(...losses));
    expect(result.bestMetric).toBe(losses[0]);
    expect(result.bestCheckpoint).toBe(join(dir.path, 'checkpoint-2'));
    expect((await readdir(dir.path)).filter((n) => n.startsWith('checkpoint')).sort()).toEqual([
      'checkpoint-18',
      'checkpoint-2',
      'checkpoint-20',
    ]);
    const best = await readSafetensors(join(dir.path, 'checkpoint-2', 'model.safetensors'));
    expect(hexMap(task.step.getParameters())).toEqual(hexMap(best.tensors));
    expect(hexMap(task.step.getParameters())).not.toEqual(atTwenty);
    const last = await readSafetensors(join(dir.path, 'checkpoint-20', 'model.safetensors'));
    expect(hexMap(last.tensors)).toEqual(atTwenty);
  });

  it('with loadBestModelAtEnd, save an improving evaluation even between saveSteps', async () => {
    const task = linearTask({ step: { momentum: 0 } });
    const zeros = createLinearData({ size: 10, features: FEATURES, weights: [0, 0, 0], bias: 0 });
    const saved: number[] = [];
    const result = await train({
      step: task.step,
      data: { train: task.train, eval: zeros },
      batchSize: 8,
      maxSteps: 10,
      lr: 0.1,
      evalSteps: 2,
      outputDir: dir.path,
      saveSteps: 5,
      saveTotalLimit: 1,
      loadBestModelAtEnd: true,
      progress: false,
      onEvent: (e) => {
        if (e.type === 'checkpoint') saved.push(e.step);
      },
    });
    expect(saved).toEqual([2, 5, 10]);
    expect(result.bestCheckpoint).toBe(join(dir.path, 'checkpoint-2'));
    expect((await readdir(dir.path)).filter((n) => n.startsWith('checkpoint')).sort()).toEqual([
      'checkpoint-10',
      'checkpoint-2',
    ]);
    expect((await readState(join(dir.path, 'checkpoint-10'))).best.checkpoint).toBe('checkpoint-2');
  });

  for (const { accumulation, plateau } of [
    { accumulation: 1, plateau: false },
    { accumulation: 2, plateau: false },
    { accumulation: 1, plateau: true },
  ]) {
    it(`resume in-process bit-identically (accumulation ${accumulation}, ${plateau ? 'ReduceOnPlateau' : 'cosine schedule'})`, async () => {
      // ReduceOnPlateau on an eval set the model gets worse at: it halves the lr at every eval,
      // so a resume that lost its state would train with another lr.
      const zeros = createLinearData({ size: 10, features: FEATURES, weights: [0, 0, 0], bias: 0 });
      const options = (outputDir: string) => ({
        batchSize: 8,
        epochs: 4,
        seed: 9,
        lr: plateau
          ? createReduceOnPlateau({ lr: 0.08, patience: 0, factor: 0.5 })
          : { name: 'cosine' as const, baseLr: 0.08, warmupRatio: 0.1 },
        evalSteps: 3,
        logEvery: 3, // the log window straddles checkpoint-4
        outputDir,
        saveSteps: 4,
        progress: false as const,
      });
      const full = linearTask({ step: { accumulation } });
      const fullDir = join(dir.path, 'full');
      const uninterrupted = await train({
        step: full.step,
        data: { train: full.train, eval: plateau ? zeros : full.eval },
        ...options(fullDir),
      });
      expect(uninterrupted.steps).toBe(20 / accumulation);
      const lrs = uninterrupted.history.flatMap((e) => (e.type === 'train' ? [e.lr] : []));
      if (plateau) expect(lrs.at(-1)).toBeLessThan(0.08 / 2 ** 4);
      // A second run that only has checkpoint-4 (as if it had died after writing it).
      const resumedDir = join(dir.path, 'resumed');
      await mkdir(resumedDir);
      await cp(join(fullDir, 'checkpoint-4'), join(resumedDir, 'checkpoint-4'), {
        recursive: true,
      });
      const again = linearTask({ step: { accumulation } });
      const seen: number[] = [];
      const resumed = await train({
        step: again.step,
        data: { train: again.train, eval: plateau ? zeros : again.eval },
        ...options(resumedDir),
        resumeFrom: 'latest',
        onEvent: (e) => {
          if (e.type === 'step') seen.push(e.step);
        },
      });
      expect(seen[0]).toBe(5);
      expect(hexMap(again.step.getParameters())).toEqual(hexMap(full.step.getParameters()));
      expect(hexMap(again.step.getOptimizerState().tensors)).toEqual(
        hexMap(full.step.getOptimizerState().tensors),
      );
      expect(again.step.optimizerSteps).toBe(full.step.optimizerSteps);
      expect(withoutTiming(resumed.history)).toEqual(withoutTiming(uninterrupted.history));
      expect(resumed).toMatchObject({
        steps: uninterrupted.steps,
        epochs: 4,
        bestMetric: uninterrupted.bestMetric,
      });
    });
  }

  it('refuse to resume with other data settings, or without a checkpoint', async () => {
    const task = linearTask();
    await train({
      step: task.step,
      data: { train: task.train },
      batchSize: 8,
      maxSteps: 4,
      lr: 0.1,
      outputDir: dir.path,
      saveSteps: 2,
      progress: false,
    });
    const fresh = linearTask();
    const base = {
      step: fresh.step,
      data: { train: fresh.train },
      lr: 0.1,
      progress: false,
    } as const;
    await expect(
      train({ ...base, batchSize: 4, maxSteps: 8, outputDir: dir.path, resumeFrom: 'latest' }),
    ).rejects.toMatchObject({
      code: 'CHECKPOINT',
      message: expect.stringContaining('data.batchSize is 8 in the checkpoint but 4 now'),
    });
    await expect(
      train({
        ...base,
        batchSize: 8,
        maxSteps: 8,
        outputDir: join(dir.path, 'empty'),
        resumeFrom: 'latest',
      }),
    ).rejects.toMatchObject({
      code: 'CHECKPOINT',
      message: expect.stringContaining('no complete checkpoint'),
    });
    // A checkpoint of another model.
    const other = await import('./test-step.js').then((m) => m.createLinearStep({ features: 2 }));
    await expect(
      train({
        ...base,
        step: other,
        batchSize: 8,
        maxSteps: 8,
        outputDir: dir.path,
        resumeFrom: 'latest',
      }),
    ).rejects.toMatchObject({
      code: 'CHECKPOINT',
      message: expect.stringContaining(
        'parameter "linear.weight" is float64[3] in the checkpoint but float64[2]',
      ),
    });
  });

  it('remove temporary folders of dead runs, and never list them as checkpoints', async () => {
    const dead = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    const deadPid = dead.pid!;
    await new Promise((resolve) => dead.on('exit', resolve));
    const stale = join(dir.path, `.tmp-checkpoint-6-${deadPid}-0a1b2c3d`);
    const foreign = join(dir.path, '.tmp-checkpoint-6-not-ours');
    await mkdir(stale, { recursive: true });
    await mkdir(foreign, { recursive: true });
    const task = linearTask();
    await train({
      step: task.step,
      data: { train: task.train },
      batchSize: 8,
      maxSteps: 2,
      lr: 0.1,
      outputDir: dir.path,
      saveSteps: 2,
      progress: false,
    });
    expect((await readdir(dir.path)).sort()).toEqual([
      '.tmp-checkpoint-6-not-ours',
      'checkpoint-2',
      'history.json',
    ]);
  });
});
