// Checkpoint folders `checkpoint-<step>/` (model.safetensors, optimizer.safetensors,
// trainer_state.json): written into a temporary folder and renamed, found, loaded and rotated.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrainerError } from '../errors.js';
import type { TensorData } from '../ir/types.js';
import { invalidLossScalerField } from '../mixed-precision/loss-scaler.js';
import { readSafetensors, writeSafetensors } from '../weights/safetensors.js';
import type { TrainerState } from './trainer-state.js';
import type { OptimizerState, TrainingStep } from './types.js';

const CHECKPOINT_NAME = /^checkpoint-(\d+)$/;
const TEMP_NAME = /^\.tmp-checkpoint-\d+-(\d+)-[0-9a-f]+$/;

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

export interface CheckpointContents {
  parameters: Map<string, TensorData>;
  optimizer: OptimizerState;
  state: TrainerState;
}

/**
 * Writes `outputDir/checkpoint-<step>/` atomically: every file is written and fsynced inside a
 * temporary sibling folder that is then renamed, so a crash leaves either the whole checkpoint
 * or none (plus a temporary folder that the next run removes). Returns the folder's path.
 */
export async function saveCheckpoint(
  outputDir: string,
  step: number,
  contents: CheckpointContents,
): Promise<string> {
  const final = join(outputDir, `checkpoint-${step}`);
  const temp = join(
    outputDir,
    `.tmp-checkpoint-${step}-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  await mkdir(temp);
  try {
    await writeSafetensors(join(temp, 'model.safetensors'), contents.parameters, {
      format: 'pt',
      step: String(step),
    });
    const scaler = contents.optimizer.lossScaler;
    await writeSafetensors(join(temp, 'optimizer.safetensors'), contents.optimizer.tensors, {
      step: String(contents.optimizer.step),
      // Mixed precision: the dynamic loss scale and its growth tracker (exact as decimal strings).
      ...(scaler
        ? {
            loss_scale: String(scaler.scale),
            loss_scale_growth_tracker: String(scaler.growthTracker),
          }
        : {}),
    });
    const statePath = join(temp, 'trainer_state.json');
    await writeFile(statePath, `${JSON.stringify(contents.state, null, 2)}\n`);
    await fsyncPath(statePath);
    await fsyncPath(temp);
    // Only a checkpoint of the same step can be in the way (a run resumed from an older one).
    await rm(final, { recursive: true, force: true });
    await rename(temp, final);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw new TrainerError('CHECKPOINT', 'could not write the checkpoint', {
      file: final,
      cause: error,
    });
  }
  await fsyncPath(outputDir);
  return final;
}

/** Checkpoint folders of `outputDir` that hold a trainer_state.json, oldest step first. */
export async function listCheckpoints(
  outputDir: string,
): Promise<{ name: string; step: number }[]> {
  const entries = await readdir(outputDir).catch(() => [] as string[]);
  const found: { name: string; step: number }[] = [];
  for (const name of entries) {
    const match = CHECKPOINT_NAME.exec(name);
    if (!match) continue;
    const complete = await stat(join(outputDir, name, 'trainer_state.json')).then(
      () => true,
      () => false,
    );
    if (complete) found.push({ name, step: Number(match[1]) });
  }
  return found.sort((a, b) => a.step - b.step);
}

/** The newest complete checkpoint folder, or null. */
export async function findLatestCheckpoint(outputDir: string): Promise<string | null> {
  const all = await listCheckpoints(outputDir);
  const last = all.at(-1);
  return last ? join(outputDir, last.name) : null;
}

/** Keeps the newest `limit` checkpoints plus `keep` (the best one); removes the rest. */
export async function rotateCheckpoints(
  outputDir: string,
  limit: number | undefined,
  keep: string | null,
): Promise<void> {
  if (limit === undefined) return;
  const all = await listCheckpoints(outputDir);
  const kept = new Set(all.slice(-limit).map((c) => c.name));
  if (keep !== null) kept.add(keep);
  for (const { name } of all) {
    if (!kept.has(name)) await rm(join(outputDir, name), { recursive: true, force: true });
  }
}

/** Removes temporary checkpoint folders left by processes that no longer run. */
export async function cleanStaleTemporaries(outputDir: string): Promise<void> {
  const entries = await readdir(outputDir).catch(() => [] as string[]);
  for (const name of entries) {
    const match = TEMP_NAME.exec(name);
    if (!match) continue;
    const pid = Number(match[1]);
    let alive = pid !== process.pid;
    try {
      if (alive) process.kill(pid, 0);
    } catch {
      alive = false;
    }
    if (!alive) await rm(join(outputDir, name), { recursive: true, force: true });
  }
}

/** Checks that `tensors` holds every parameter of the step with the same dtype and dims. */
function matchParameters(
  tensors: Map<string, TensorData>,
  step: TrainingStep,
  file: string,
): Map<string, TensorData> {
  const current = step.getParameters();
  const result = new Map<string, TensorData>();
  for (const [name, t] of current) {
    const saved = tensors.get(name);
    if (saved === undefined) {
      throw new TrainerError('CHECKPOINT', `parameter "${name}" is missing`, { file });
    }
    if (saved.dtype !== t.dtype || saved.dims.join(',') !== t.dims.join(',')) {
      throw new TrainerError(
        'CHECKPOINT',
        `parameter "${name}" is ${saved.dtype}[${saved.dims.join(', ')}] in the checkpoint but ` +
          `${t.dtype}[${t.dims.join(', ')}] in the model`,
        { file },
      );
    }
    result.set(name, saved);
  }
  return result;
}

/** The parameters stored in a checkpoint folder, checked against the step's. */
export async function readCheckpointParameters(
  folder: string,
  step: TrainingStep,
): Promise<Map<string, TensorData>> {
  const file = join(folder, 'model.safetensors');
  return matchParameters((await readSafetensors(file)).tensors, step, file);
}

export type LoadedCheckpoint = CheckpointContents;

/** Reads a checkpoint folder written by saveCheckpoint. */
export async function loadCheckpoint(
  folder: string,
  step: TrainingStep,
): Promise<LoadedCheckpoint> {
  const statePath = join(folder, 'trainer_state.json');
  let state: TrainerState;
  try {
    state = JSON.parse(await readFile(statePath, 'utf8'));
  } catch (error) {
    throw new TrainerError('CHECKPOINT', 'missing or unreadable trainer_state.json', {
      file: statePath,
      cause: error,
    });
  }
  if (state.format !== 'ft-trainer-state' || state.version !== 1) {
    throw new TrainerError('CHECKPOINT', 'not an @ft/trainer trainer_state.json (version 1)', {
      file: statePath,
    });
  }
  const parameters = await readCheckpointParameters(folder, step);
  const optimizerFile = join(folder, 'optimizer.safetensors');
  const optimizer = await readSafetensors(optimizerFile);
  const optimizerStep = Number(optimizer.metadata.step);
  if (!Number.isInteger(optimizerStep)) {
    throw new TrainerError('CHECKPOINT', 'metadata "step" is missing', { file: optimizerFile });
  }
  const { loss_scale: scale, loss_scale_growth_tracker: tracker } = optimizer.metadata;
  const lossScaler =
    scale === undefined && tracker === undefined
      ? undefined
      : { scale: Number(scale), growthTracker: Number(tracker) };
  if (lossScaler !== undefined && invalidLossScalerField(lossScaler) !== undefined) {
    throw new TrainerError(
      'CHECKPOINT',
      `metadata "loss_scale" (${scale}) and "loss_scale_growth_tracker" (${tracker}) must be a finite number > 0 and an integer ≥ 0; the file is corrupt: resume from another checkpoint`,
      { file: optimizerFile },
    );
  }
  return {
    parameters,
    optimizer: {
      tensors: optimizer.tensors,
      step: optimizerStep,
      ...(lossScaler ? { lossScaler } : {}),
    },
    state,
  };
}
