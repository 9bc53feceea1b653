// Shared benchmark helpers: `name: value` output, timing, peak memory of a child process.
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = dirname(fileURLToPath(import.meta.url));
/** Large generated inputs live here (git-ignored) and are reused between runs. */
export const benchDataDir = join(benchDir, '..', '.bench-data');

export async function ensureBenchDataDir(): Promise<string> {
  await mkdir(benchDataDir, { recursive: true });
  return benchDataDir;
}

/** Prints one `name: value` line; numbers get a fixed number of significant digits. */
export function report(name: string, value: number | string): void {
  const text =
    typeof value === 'number'
      ? Number.isInteger(value)
        ? String(value)
        : value.toPrecision(4)
      : value;
  console.log(`${name}: ${text}`);
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ seconds: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, result };
}

/**
 * Runs a TypeScript bench script in a fresh Node process (through tsx) and returns the JSON it
 * prints on its last stdout line. A fresh process makes peak RSS mean something.
 */
export async function runChild<T>(script: string, args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, script), ...args], {
      cwd: join(benchDir, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      const last = out.trim().split('\n').at(-1) ?? '';
      resolve(JSON.parse(last) as T);
    });
  });
}

/** True when this module is the script Node was started with (run directly, not imported). */
export function isMain(metaUrl: string): boolean {
  return process.argv[1] !== undefined && fileURLToPath(metaUrl) === process.argv[1];
}
