// File helpers: atomic writes (temp file + fsync + rename) so readers never see half a file.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A sibling temporary path in the same folder, so the final rename stays on one filesystem. */
export function tempPathFor(path: string): string {
  return join(
    dirname(path),
    `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`,
  );
}

/**
 * Runs `write` against a temporary file, fsyncs it, then renames it over `path`.
 * On any error the temporary file is removed and `path` is untouched.
 */
export async function writeFileAtomic(
  path: string,
  write: (tempPath: string) => Promise<void>,
): Promise<void> {
  const temp = tempPathFor(path);
  try {
    await write(temp);
    const handle = await open(temp, 'r+');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // fsync the folder so the rename itself survives a power loss.
  const dir = await open(dirname(path), 'r').catch(() => undefined);
  if (dir) {
    await dir.sync().catch(() => undefined);
    await dir.close();
  }
}
