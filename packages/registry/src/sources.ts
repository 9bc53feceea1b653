// Collects and reads the artifact files of a registration: walks a source folder without ever
// following a symlink out of it, and reads files so a swapped-in symlink cannot redirect a read.
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { RegistryError } from './errors.js';
import { assertArtifactPath } from './names.js';

/** One artifact to store: bytes given in memory, or a regular file on disk. */
export interface SourceFile {
  /** Relative posix path inside the version. */
  path: string;
  bytes?: Uint8Array;
  /** Absolute real path of the file to read, with the identity it had when it was checked. */
  file?: { path: string; dev: number; ino: number };
}

const CHUNK = 1 << 20;

/** The files of `source`, sorted by path; INVALID_ARTIFACT/INVALID_NAME for anything unsafe. */
export async function collectSources(
  source: string | Record<string, Uint8Array | string>,
  model: string,
): Promise<SourceFile[]> {
  const files =
    typeof source === 'string' ? await walkFolder(source, model) : await fromRecord(source, model);
  if (files.length === 0) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      'the source holds no files; give a folder with the model files or a map of path → bytes.',
      { model, path: typeof source === 'string' ? source : undefined },
    );
  }
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function fromRecord(
  source: Record<string, Uint8Array | string>,
  model: string,
): Promise<SourceFile[]> {
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    throw new RegistryError(
      'INVALID_ARGUMENT',
      'source must be a folder path or an object mapping relative paths to bytes or file paths.',
      { model },
    );
  }
  const files: SourceFile[] = [];
  for (const [path, value] of Object.entries(source)) {
    assertArtifactPath(path, { model });
    if (value instanceof Uint8Array) {
      files.push({ path, bytes: value });
    } else if (typeof value === 'string') {
      // An explicitly named file is the caller's choice, so a symlink there is followed; it must
      // end at a regular file.
      const real = await realpath(value).catch((error) => {
        throw new RegistryError(
          'INVALID_ARTIFACT',
          `file ${value} for artifact ${path} cannot be read (${(error as Error).message}); check the path.`,
          { model, path, cause: error },
        );
      });
      const info = await stat(real);
      if (!info.isFile()) {
        throw new RegistryError(
          'INVALID_ARTIFACT',
          `${value} for artifact ${path} is not a regular file; give a file (or bytes).`,
          { model, path },
        );
      }
      files.push({ path, file: { path: real, dev: info.dev, ino: info.ino } });
    } else {
      throw new RegistryError(
        'INVALID_ARGUMENT',
        `artifact ${path} must be a Uint8Array or a file path string, got ${typeof value}.`,
        { model, path },
      );
    }
  }
  return files;
}

async function walkFolder(folder: string, model: string): Promise<SourceFile[]> {
  let root: string;
  try {
    root = await realpath(resolve(folder));
    if (!(await stat(root)).isDirectory()) throw new Error('not a folder');
  } catch (error) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      `source folder ${folder} cannot be read (${(error as Error).message}); give an existing folder.`,
      { model, path: folder, cause: error },
    );
  }
  const files: SourceFile[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      const rel = assertArtifactPath(prefix + entry.name, { model });
      const info = await lstat(full);
      if (info.isDirectory()) {
        await walk(full, `${rel}/`);
      } else if (info.isFile()) {
        files.push({ path: rel, file: { path: full, dev: info.dev, ino: info.ino } });
      } else if (info.isSymbolicLink()) {
        files.push(await resolveLink(root, full, rel, model));
      } else {
        throw new RegistryError(
          'INVALID_ARTIFACT',
          `${full} is not a regular file, folder or symlink (a device, FIFO or socket); remove it from the source folder.`,
          { model, path: rel },
        );
      }
    }
  };
  await walk(root, '');
  return files;
}

/** A symlink inside the source: stored as a copy of its target when that is a file inside. */
async function resolveLink(
  root: string,
  link: string,
  rel: string,
  model: string,
): Promise<SourceFile> {
  let target: string;
  try {
    target = await realpath(link);
  } catch (error) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      `symlink ${link} is dangling or unreadable (${(error as Error).message}); remove it or point it at a file inside the source folder.`,
      { model, path: rel, cause: error },
    );
  }
  const inside = relative(root, target);
  if (
    inside === '' ||
    inside === '..' ||
    inside.startsWith(`..${sep}`) ||
    resolve(root, inside) !== target
  ) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      `symlink ${link} points outside the source folder (to ${target}); symlinks are never followed out of it. Copy the file into the folder instead.`,
      { model, path: rel },
    );
  }
  const info = await stat(target);
  if (!info.isFile()) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      `symlink ${link} points at ${target}, which is not a regular file; symlinked folders are not followed. Replace it with a real folder.`,
      { model, path: rel },
    );
  }
  return { path: rel, file: { path: target, dev: info.dev, ino: info.ino } };
}

/** The bytes of a source file as chunks; refuses a file that was swapped after it was checked. */
export async function* readSource(file: SourceFile, model: string): AsyncIterable<Uint8Array> {
  if (file.bytes) {
    yield file.bytes;
    return;
  }
  const disk = file.file!;
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    // O_NOFOLLOW: if the checked path became a symlink since, the open fails instead of following.
    handle = await open(disk.path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    throw new RegistryError(
      'INVALID_ARTIFACT',
      `cannot open ${disk.path} (${(error as Error).message}); it was removed or replaced by a symlink during registration.`,
      { model, path: file.path, cause: error },
    );
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.ino !== disk.ino || info.dev !== disk.dev) {
      throw new RegistryError(
        'INVALID_ARTIFACT',
        `${disk.path} was replaced during registration; register again once the source folder is stable.`,
        { model, path: file.path },
      );
    }
    for (;;) {
      const buffer = Buffer.allocUnsafe(CHUNK);
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** sha256 and size of a source file, read once. */
export async function hashSource(
  file: SourceFile,
  model: string,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of readSource(file, model)) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

/** The whole source file in memory (for the ONNX signature). */
export async function readSourceBytes(file: SourceFile, model: string): Promise<Uint8Array> {
  if (file.bytes) return file.bytes;
  const chunks: Uint8Array[] = [];
  for await (const chunk of readSource(file, model)) chunks.push(chunk);
  return Buffer.concat(chunks);
}
