// Reads the weights of a local Hugging Face model folder: one `model.safetensors`, or shards named
// by `model.safetensors.index.json`'s weight_map (as `save_pretrained` writes them past max_shard_size).
import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrainerError } from '../errors.js';
import type { TensorData } from '../ir/types.js';
import { readSafetensors } from '../weights/safetensors.js';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** Every tensor of a checkpoint and the file it came from. */
export interface CheckpointTensors {
  tensors: Map<string, TensorData>;
  fileOf: Map<string, string>;
  /** The weight files read, in order. */
  files: string[];
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

async function listing(dir: string): Promise<string> {
  try {
    const names = await readdir(dir);
    return names.length > 0 ? names.sort().join(', ') : '(empty)';
  } catch (error) {
    throw new TrainerError(
      'CHECKPOINT',
      `cannot read the model folder: ${(error as Error).message}`,
      { file: dir, cause: error },
    );
  }
}

/** Parses the shard index: `{ weight_map: { tensor: "model-00001-of-00002.safetensors" } }`. */
async function readIndex(path: string): Promise<Map<string, string>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new TrainerError(
      'CHECKPOINT',
      `cannot parse the shard index: ${(error as Error).message}`,
      { file: path, cause: error },
    );
  }
  const map = (raw as { weight_map?: unknown } | null)?.weight_map;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new TrainerError(
      'CHECKPOINT',
      'field "weight_map" is missing or not an object of tensor name → shard file',
      { file: path },
    );
  }
  const result = new Map<string, string>();
  for (const [tensor, shard] of Object.entries(map)) {
    if (
      typeof shard !== 'string' ||
      shard.includes('/') ||
      shard.includes('\\') ||
      shard === '..'
    ) {
      throw new TrainerError(
        'CHECKPOINT',
        `weight_map["${tensor}"] must be a file name in the model folder, got ${JSON.stringify(shard)}`,
        { file: path },
      );
    }
    result.set(tensor, shard);
  }
  return result;
}

/** Reads `model.safetensors`, or every shard listed in `model.safetensors.index.json`. */
export async function readCheckpoint(dir: string): Promise<CheckpointTensors> {
  const tensors = new Map<string, TensorData>();
  const fileOf = new Map<string, string>();
  const indexPath = join(dir, INDEX_FILE);
  const singlePath = join(dir, SINGLE_FILE);
  if (await exists(indexPath)) {
    const index = await readIndex(indexPath);
    const shards = [...new Set(index.values())];
    for (const shard of shards) {
      const path = join(dir, shard);
      const content = await readSafetensors(path);
      for (const [name, t] of content.tensors) {
        const listed = index.get(name);
        if (listed !== shard) {
          throw new TrainerError(
            'CHECKPOINT',
            listed === undefined
              ? `tensor "${name}" is in ${shard} but not in ${INDEX_FILE}'s weight_map; re-save the checkpoint or add it to the index`
              : `tensor "${name}" is in ${shard} but the index places it in ${listed}`,
            { file: path },
          );
        }
        tensors.set(name, t);
        fileOf.set(name, path);
      }
    }
    for (const [name, shard] of index) {
      if (!tensors.has(name)) {
        throw new TrainerError(
          'CHECKPOINT',
          `the index places tensor "${name}" in ${shard}, but that shard does not contain it`,
          { file: indexPath },
        );
      }
    }
    return { tensors, fileOf, files: shards.map((s) => join(dir, s)) };
  }
  if (await exists(singlePath)) {
    const content = await readSafetensors(singlePath);
    for (const [name, t] of content.tensors) {
      tensors.set(name, t);
      fileOf.set(name, singlePath);
    }
    return { tensors, fileOf, files: [singlePath] };
  }
  throw new TrainerError(
    'CHECKPOINT',
    `no ${SINGLE_FILE} or ${INDEX_FILE} in the model folder (found: ${await listing(dir)}); PyTorch .bin checkpoints must be converted to safetensors first`,
    { file: dir },
  );
}
