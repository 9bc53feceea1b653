// Cache keys: a step's fingerprint is the sha256 of everything its output depends on — its type
// and version, its params, its inputs' fingerprints and the bytes of every file it reads.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { canonicalJson, sha256Hex } from '@ft/data';
import type { Json, StepOutput } from '../types.js';

/** Bump when the fingerprint recipe changes, so old cache entries are not matched by accident. */
const RECIPE = 1;

export interface FingerprintInput {
  /** The type as written in the pipeline (`train`, `module:./x.ts#step`). */
  type: string;
  version: string;
  /** Params after validation, defaults and interpolation. */
  params: unknown;
  /** Fingerprints of the steps this one needs, by step id. */
  inputFingerprints: Record<string, string>;
  /** Content hashes of the files in the needed steps' outputs, by `<step>/<name>`. */
  inputFiles: Record<string, string>;
  /** Content hashes of files named by string params, by param path; or the step's own fingerprint. */
  paramFiles: Record<string, string> | { step: Json };
  /** Content hash of a custom step's module file (code changes miss the cache even unbumped). */
  moduleHash?: string;
}

export function fingerprintOf(input: FingerprintInput): string {
  return sha256Hex(canonicalJson({ recipe: RECIPE, ...input }));
}

/**
 * sha256 of a file's bytes, or for a folder of its sorted relative paths and file hashes (so a
 * model folder counts as one input). Streams, so large files never sit in memory.
 */
export async function hashPath(path: string): Promise<string> {
  const info = await stat(path);
  if (info.isFile()) return hashFile(path);
  const entries: Array<[string, string]> = [];
  for (const file of await listFiles(path)) {
    entries.push([relative(path, file).split(sep).join('/'), await hashFile(file)]);
  }
  return sha256Hex(canonicalJson(entries));
}

function hashFile(path: string): Promise<string> {
  return new Promise((done, fail) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', fail)
      .on('end', () => done(hash.digest('hex')));
  });
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

/** Hashes of the files in the needed steps' outputs (paths relative to the run folder). */
export async function hashInputFiles(
  runDir: string,
  inputs: Record<string, StepOutput>,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [stepId, output] of Object.entries(inputs)) {
    for (const [name, file] of Object.entries(output.files)) {
      out[`${stepId}/${name}`] = await hashPath(resolve(runDir, file));
    }
  }
  return out;
}

/**
 * Hashes of the files and folders that string params name. Any string param (at any depth) that
 * resolves, against `baseDir` or as an absolute path, to an existing file or folder counts — so a
 * step author declares nothing and an edited input file always misses the cache. Not counted:
 * the empty string, and `baseDir` itself or a folder holding it (`.`, `..`), and anything under
 * `excludeDir` (the runs folder), whose contents change with every run.
 */
export async function hashParamFiles(
  params: unknown,
  baseDir: string,
  excludeDir: string,
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (value: unknown, path: string): Promise<void> => {
    if (typeof value === 'string') {
      if (value === '' || value.includes('\n') || value.length > 4096) return;
      const full = isAbsolute(value) ? value : resolve(baseDir, value);
      if (contains(full, baseDir) || contains(excludeDir, full) || contains(full, excludeDir)) {
        return;
      }
      const info = await stat(full).catch(() => undefined);
      if (info?.isFile() || info?.isDirectory()) out[path] = await hashPath(full);
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) await visit(item, `${path}[${i}]`);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        await visit(item, path === '' ? key : `${path}.${key}`);
      }
    }
  };
  await visit(params, '');
  return out;
}

/** Whether `path` is `folder` or lies under it. */
function contains(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
