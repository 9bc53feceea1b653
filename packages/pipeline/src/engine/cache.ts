// The content-addressed step cache: `<cacheDir>/<fingerprint>/` holds a step's output folder and
// its output JSON, so an unchanged step in any later run is restored instead of rerun.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { StepOutput } from '../types.js';

const OUTPUT_FILE = 'output.json';
const FILES_DIR = 'out';

/** Output file paths made relative to the step's own folder, so they fit any run and step id. */
interface CachedOutput {
  files: Record<string, string>;
  values: StepOutput['values'];
}

/**
 * Files are copied (with copy-on-write clones where the filesystem has them), not hard-linked:
 * a later step that edits an input in place must not change what the cache holds.
 */
const COPY = { recursive: true, mode: constants.COPYFILE_FICLONE } as const;

/**
 * Stores a step's output under its fingerprint. Returns false, storing nothing, when an output
 * file lies outside the step's own folder (its content would not be captured).
 */
export async function storeInCache(
  cacheDir: string,
  fingerprint: string,
  runDir: string,
  outDir: string,
  output: StepOutput,
): Promise<boolean> {
  const files: Record<string, string> = {};
  for (const [name, file] of Object.entries(output.files)) {
    const inside = relative(outDir, resolve(runDir, file));
    if (inside.startsWith('..') || isAbsolute(inside)) return false;
    files[name] = inside.split(sep).join('/');
  }
  const target = join(cacheDir, fingerprint);
  if (await exists(join(target, OUTPUT_FILE))) return true;
  await mkdir(cacheDir, { recursive: true });
  // Built aside and renamed in, so a reader never sees a half-copied entry.
  const temp = join(
    cacheDir,
    `.${fingerprint}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await cp(outDir, join(temp, FILES_DIR), COPY);
    const cached: CachedOutput = { files, values: output.values };
    await writeFile(join(temp, OUTPUT_FILE), `${JSON.stringify(cached, null, 2)}\n`);
    await rename(temp, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another run stored the same fingerprint first: same content, keep theirs.
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
  return true;
}

/**
 * Restores the cached output for `fingerprint` into `outDir` (emptied first) and returns it with
 * paths relative to the run folder, or undefined on a miss.
 */
export async function restoreFromCache(
  cacheDir: string,
  fingerprint: string,
  runDir: string,
  outDir: string,
): Promise<StepOutput | undefined> {
  const entry = join(cacheDir, fingerprint);
  let cached: CachedOutput;
  try {
    cached = JSON.parse(await readFile(join(entry, OUTPUT_FILE), 'utf8')) as CachedOutput;
  } catch {
    return undefined;
  }
  await rm(outDir, { recursive: true, force: true });
  await cp(join(entry, FILES_DIR), outDir, COPY);
  const files: Record<string, string> = {};
  for (const [name, file] of Object.entries(cached.files)) {
    files[name] = relative(runDir, join(outDir, file)).split(sep).join('/');
  }
  return { files, values: cached.values };
}

function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
