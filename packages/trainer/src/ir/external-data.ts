// ONNX external data: large initializers kept in a side file next to the model (ONNX's
// `location/offset/length` scheme), read back safely and written atomically with the model.
import { closeSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomic } from '@ft/data';
import { TrainerError } from '../errors.js';
import { toModelProto } from './onnx-export.js';
import { onnx } from './onnx-proto.js';
import type { Graph } from './types.js';

/** Offsets of tensors in the side file are multiples of this (as onnx's helper does for mmap). */
export const EXTERNAL_DATA_ALIGNMENT = 4096;

/** One tensor's `external_data` entries, parsed. */
export interface ExternalDataRef {
  location: string;
  offset: number;
  /** Bytes to read; undefined = to the end of the file. */
  length: number | undefined;
}

/** Parses a TensorProto's `external_data` key/value entries. */
export function parseExternalData(
  entries: ReadonlyArray<{ key?: string | null; value?: string | null }>,
  where: { tensor: string; file: string },
): ExternalDataRef {
  const map = new Map(entries.map((e) => [e.key ?? '', e.value ?? '']));
  const location = map.get('location');
  if (!location) {
    throw new TrainerError(
      'ONNX_IO',
      `tensor "${where.tensor}" is marked EXTERNAL but has no external_data "location"`,
      { file: where.file },
    );
  }
  const parseNonNegative = (key: string): number | undefined => {
    const raw = map.get(key);
    if (raw === undefined || raw === '') return undefined;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new TrainerError(
        'ONNX_IO',
        `tensor "${where.tensor}" has an invalid external_data ${key} "${raw}"`,
        { file: where.file },
      );
    }
    return n;
  };
  return { location, offset: parseNonNegative('offset') ?? 0, length: parseNonNegative('length') };
}

/**
 * Resolves an external data `location` inside `baseDir`. Absolute paths, `..` segments that
 * leave the folder and symlinks pointing outside it are rejected: a model file must not make
 * the loader read arbitrary files.
 */
export function resolveExternalLocation(baseDir: string, location: string, file: string): string {
  const rejected = (why: string) =>
    new TrainerError(
      'ONNX_IO',
      `external data location "${location}" ${why}; it must be a relative path inside the model's folder`,
      { file },
    );
  if (location.includes('\0')) throw rejected('contains a NUL byte');
  if (isAbsolute(location) || /^[a-zA-Z]:/.test(location) || location.startsWith('\\')) {
    throw rejected('is absolute');
  }
  const base = resolve(baseDir);
  const target = resolve(base, location.replaceAll('\\', '/'));
  const inside = (root: string, path: string) => {
    const rel = relative(root, path);
    return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
  };
  if (!inside(base, target)) throw rejected('escapes the folder');
  let real: string;
  try {
    real = realpathSync(target);
  } catch (error) {
    throw new TrainerError(
      'ONNX_IO',
      `external data file "${location}" was not found next to the model (looked for ${target})`,
      { file, cause: error },
    );
  }
  if (!inside(realpathSync(base), real)) throw rejected('is a link that leads outside the folder');
  return real;
}

/** Reads external tensor bytes, caching open descriptors per file within one load. */
export interface ExternalDataReader {
  read(ref: ExternalDataRef, tensor: string): Uint8Array;
  close(): void;
}

export function createExternalDataReader(baseDir: string, file: string): ExternalDataReader {
  const handles = new Map<string, { fd: number; size: number; path: string }>();
  const handleFor = (location: string) => {
    const path = resolveExternalLocation(baseDir, location, file);
    let h = handles.get(path);
    if (!h) {
      try {
        const fd = openSync(path, 'r');
        h = { fd, size: statSync(path).size, path };
      } catch (error) {
        throw new TrainerError(
          'ONNX_IO',
          `cannot open external data file "${location}": ${(error as Error).message}`,
          { file: path, cause: error },
        );
      }
      handles.set(path, h);
    }
    return h;
  };
  return {
    read(ref, tensor) {
      const h = handleFor(ref.location);
      const length = ref.length ?? h.size - ref.offset;
      if (ref.offset + length > h.size || length < 0) {
        throw new TrainerError(
          'ONNX_IO',
          `tensor "${tensor}" needs bytes ${ref.offset}..${ref.offset + length} of "${ref.location}", which has only ${h.size} bytes`,
          { file: h.path },
        );
      }
      const bytes = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const n = readSync(h.fd, bytes, done, length - done, ref.offset + done);
        if (n === 0) break;
        done += n;
      }
      if (done !== length) {
        throw new TrainerError('ONNX_IO', `short read of tensor "${tensor}"`, { file: h.path });
      }
      return bytes;
    },
    close() {
      for (const h of handles.values()) closeSync(h.fd);
      handles.clear();
    },
  };
}

export interface SaveOnnxFileOptions {
  /** Initializers of at least this many bytes go to the external data file. @default 1048576 */
  externalDataThreshold?: number;
  /**
   * Name of the external data file, relative to the model's folder.
   * @default '<model file name>.data' (model.onnx → model.onnx.data)
   */
  externalDataFile?: string;
  /** Producer name written into the model. @default '@ft/trainer' */
  producerName?: string;
}

/** What saveOnnxFile wrote. */
export interface SaveOnnxFileResult {
  /** The model file. */
  path: string;
  /** The external data file, or undefined when every tensor stayed inline. */
  externalDataPath: string | undefined;
  /** Names of the initializers stored externally. */
  externalTensors: string[];
}

/**
 * Saves a graph as an ONNX file; initializers ≥ the threshold go to one side file (offsets
 * aligned to 4096 bytes). The data file is written before the model, both atomically, so a
 * model on disk never points at missing data.
 */
export async function saveOnnxFile(
  graph: Graph,
  path: string,
  options: SaveOnnxFileOptions = {},
): Promise<SaveOnnxFileResult> {
  const {
    externalDataThreshold = 1024 * 1024,
    externalDataFile = `${basename(path)}.data`,
    producerName = '@ft/trainer',
  } = options;
  if (!Number.isFinite(externalDataThreshold) || externalDataThreshold < 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `externalDataThreshold must be a non-negative number of bytes, got ${externalDataThreshold}`,
    );
  }
  const folder = dirname(resolve(path));
  if (
    isAbsolute(externalDataFile) ||
    externalDataFile.split(/[\\/]/).includes('..') ||
    externalDataFile === ''
  ) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `externalDataFile "${externalDataFile}" must be a relative path inside the model's folder`,
      { file: path },
    );
  }
  const model = toModelProto(graph, { producerName });
  const chunks: Array<{ offset: number; bytes: Uint8Array }> = [];
  const externalTensors: string[] = [];
  let end = 0;
  for (const t of model.graph?.initializer ?? []) {
    const raw = t.rawData;
    if (!raw || raw.byteLength < externalDataThreshold || raw.byteLength === 0) continue;
    const offset = Math.ceil(end / EXTERNAL_DATA_ALIGNMENT) * EXTERNAL_DATA_ALIGNMENT;
    chunks.push({ offset, bytes: raw });
    end = offset + raw.byteLength;
    t.rawData = undefined;
    t.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    t.externalData = [
      { key: 'location', value: externalDataFile.replaceAll('\\', '/') },
      { key: 'offset', value: String(offset) },
      { key: 'length', value: String(raw.byteLength) },
    ];
    externalTensors.push(t.name ?? '');
  }
  let bytes: Uint8Array;
  try {
    bytes = onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  } catch (error) {
    throw new TrainerError(
      'ONNX_IO',
      `could not encode graph "${graph.name}": ${(error as Error).message}`,
      { file: path, cause: error },
    );
  }
  const dataPath = chunks.length > 0 ? join(folder, externalDataFile) : undefined;
  try {
    // Model folders like `out/onnx/` usually do not exist yet.
    await mkdir(dirname(dataPath ?? resolve(path)), { recursive: true });
    if (dataPath) {
      await writeFileAtomic(dataPath, async (temp) => {
        const handle = await open(temp, 'w');
        try {
          // Positional writes leave the alignment gaps as zero-filled holes.
          for (const c of chunks) await handle.write(c.bytes, 0, c.bytes.byteLength, c.offset);
          await handle.truncate(end);
        } finally {
          await handle.close();
        }
      });
    }
    await writeFileAtomic(path, async (temp) => {
      const handle = await open(temp, 'w');
      try {
        await handle.write(bytes);
      } finally {
        await handle.close();
      }
    });
  } catch (error) {
    throw new TrainerError('ONNX_IO', `could not write the model: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
  return { path, externalDataPath: dataPath, externalTensors };
}
