// Export of a registered version as a folder transformers.js loads locally: config.json,
// tokenizer.json, tokenizer_config.json and onnx/model.onnx (plus known optional files).
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { sha256Hex } from '@ft/data';
import { RegistryError } from './errors.js';
import type { FileEntry, Registry } from './types.js';

export interface TransformersJsExportOptions {
  model: string;
  /** A version number, numeric string, alias or `'latest'`. */
  ref: number | string;
  /** The model folder to write (transformers.js: `env.localModelPath` + model id). */
  outDir: string;
  /** Replace an existing non-empty `outDir` (swapped in whole, never mixed). @default false */
  overwrite?: boolean;
}

/** One file of the exported folder. */
export interface ExportedFile {
  /** Posix path inside `outDir`. */
  path: string;
  /** The version's file it was copied from; absent for generated files. */
  from?: string;
  sha256: string;
  size: number;
}

export interface TransformersJsExport {
  outDir: string;
  model: string;
  version: number;
  files: ExportedFile[];
  /** Files the version lacked that were written with defaults (`tokenizer_config.json`). */
  generated: string[];
}

/** Where the ONNX model may sit in a version, in order of preference. */
const ONNX_CANDIDATES = ['onnx/model.onnx', 'model.onnx'] as const;
/** Files copied as they are when the version has them. */
const OPTIONAL_FILES = [
  'generation_config.json',
  'special_tokens_map.json',
  'preprocessor_config.json',
] as const;
/** ONNX external-data file names, which must stay beside the model they belong to. */
const EXTERNAL_DATA_SUFFIXES = ['_data', '.data'] as const;

/**
 * Writes the version as a transformers.js model folder. transformers.js requires both
 * tokenizer files; a version without `tokenizer_config.json` gets `{}` (all defaults), and the
 * report lists it under `generated`. The folder is built beside `outDir` and renamed into place.
 */
export async function exportForTransformersJs(
  registry: Registry,
  options: TransformersJsExportOptions,
): Promise<TransformersJsExport> {
  const { model, ref, overwrite = false } = options;
  if (typeof options.outDir !== 'string' || options.outDir.length === 0) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      `outDir must be a folder path, got ${JSON.stringify(options.outDir)}.`,
      { model },
    );
  }
  const outDir = resolve(options.outDir);
  const version = await registry.getVersion(model, ref);
  const where = { model: version.model, version: version.version };
  const byPath = new Map(version.files.map((file) => [file.path, file]));

  const onnxPath = ONNX_CANDIDATES.find((path) => byPath.has(path));
  const missing = [
    ...(['config.json', 'tokenizer.json'] as const).filter((path) => !byPath.has(path)),
    ...(onnxPath === undefined ? ['onnx/model.onnx (or model.onnx)'] : []),
  ];
  if (missing.length > 0) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      `cannot export for transformers.js: the version lacks ${missing.join(', ')}. Register a version holding config.json, tokenizer.json and an ONNX model (it has: ${[...byPath.keys()].join(', ') || 'no files'}).`,
      where,
    );
  }
  for (const path of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
    if (byPath.has(path)) await assertJsonObject(registry, version.version, model, path);
  }

  // [path in outDir, the version's file]
  const plan: [string, FileEntry][] = [];
  for (const path of [
    'config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    ...OPTIONAL_FILES,
  ]) {
    const entry = byPath.get(path);
    if (entry) plan.push([path, entry]);
  }
  const onnxEntry = byPath.get(onnxPath as string) as FileEntry;
  plan.push(['onnx/model.onnx', onnxEntry]);
  for (const suffix of EXTERNAL_DATA_SUFFIXES) {
    const entry = byPath.get(`${onnxEntry.path}${suffix}`);
    if (entry) plan.push([`onnx/model.onnx${suffix}`, entry]);
  }

  await prepareOutDir(outDir, overwrite, where);
  const temp = join(dirname(outDir), `.${basename(outDir)}.export-${randomUUID()}`);
  const files: ExportedFile[] = [];
  const generated: string[] = [];
  try {
    await mkdir(join(temp, 'onnx'), { recursive: true });
    for (const [path, entry] of plan) {
      const dest = join(temp, ...path.split('/'));
      await registry.store.copyBlobToFile(entry.sha256, dest);
      // The copy is checked here because the store may clone rather than read the bytes.
      const written = await hashFile(dest);
      if (written.sha256 !== entry.sha256 || written.size !== entry.size) {
        throw new RegistryError(
          'INTEGRITY',
          `the stored bytes of ${entry.path} do not match its sha256; run verify() and re-register the version.`,
          { ...where, path: entry.path },
        );
      }
      files.push({ path, from: entry.path, sha256: entry.sha256, size: entry.size });
    }
    if (!byPath.has('tokenizer_config.json')) {
      const bytes = new TextEncoder().encode('{}\n');
      await writeBytes(join(temp, 'tokenizer_config.json'), bytes);
      const sha256 = sha256Hex(bytes);
      files.push({ path: 'tokenizer_config.json', sha256, size: bytes.length });
      generated.push('tokenizer_config.json');
    }
    await swapIn(temp, outDir);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    if (error instanceof RegistryError) throw error;
    throw new RegistryError(
      'IO_ERROR',
      `could not write the export: ${(error as Error).message}. Check the folder's permissions and free space.`,
      { ...where, path: outDir, cause: error },
    );
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { outDir, model: version.model, version: version.version, files, generated };
}

async function assertJsonObject(
  registry: Registry,
  version: number,
  model: string,
  path: string,
): Promise<void> {
  const bytes = await registry.readFile(model, version, path);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      `${path} is not valid UTF-8 JSON, so transformers.js cannot load it: ${(error as Error).message}. Register a version with a valid ${path}.`,
      { model, version, path, cause: error },
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      `${path} must hold a JSON object for transformers.js to load it.`,
      { model, version, path },
    );
  }
}

async function prepareOutDir(
  outDir: string,
  overwrite: boolean,
  where: { model: string; version: number },
): Promise<void> {
  const found = await stat(outDir).catch(() => undefined);
  if (found && !found.isDirectory()) {
    throw new RegistryError(
      'ALREADY_EXISTS',
      'outDir exists and is not a folder; choose another path.',
      {
        ...where,
        path: outDir,
      },
    );
  }
  if (found && !overwrite && (await readdir(outDir)).length > 0) {
    throw new RegistryError(
      'ALREADY_EXISTS',
      'outDir is not empty; pass overwrite: true to replace it, or choose another folder.',
      { ...where, path: outDir },
    );
  }
  await mkdir(dirname(outDir), { recursive: true });
}

/** Puts the finished folder at `outDir`, moving what was there aside first and then removing it. */
async function swapIn(temp: string, outDir: string): Promise<void> {
  const old = `${temp}.old`;
  const existed = await stat(outDir).then(
    () => true,
    () => false,
  );
  if (existed) await rename(outDir, old);
  await rename(temp, outDir);
  if (existed) await rm(old, { recursive: true, force: true });
}

async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

async function writeBytes(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(bytes);
  } finally {
    await handle.close();
  }
}
