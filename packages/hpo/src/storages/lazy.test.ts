// Importing @ft/hpo must not load the Redis or PostgreSQL clients: a child process whose module
// resolver refuses 'redis' and 'pg' imports the package, then asks for both storages.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInMemoryStorage } from '../index.js';

const entry = fileURLToPath(new URL('../index.ts', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ft-hpo-lazy-'));
  await writeFile(
    join(dir, 'hooks.mjs'),
    `export async function resolve(specifier, context, next) {
  if (specifier === 'redis' || specifier === 'pg') throw new Error('blocked ' + specifier);
  return next(specifier, context);
}\n`,
  );
  await writeFile(
    join(dir, 'register.mjs'),
    `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
  );
  await writeFile(
    join(dir, 'main.mts'),
    `const hpo = await import(${JSON.stringify(pathToFileURL(entry).href)});
const codes = [];
for (const open of [
  () => hpo.createRedisStorage({ url: 'redis://127.0.0.1:1' }),
  () => hpo.createPostgresStorage({ connectionString: 'postgresql://u@127.0.0.1:1/db' }),
]) {
  await open().then(() => codes.push('opened'), (e) => codes.push(e.code + ': ' + e.problem));
}
console.log(JSON.stringify(codes));\n`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lazy client loading', () => {
  it('imports the package without redis or pg, and names the missing package on use', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--import', join(dir, 'register.mjs'), join(dir, 'main.mts')],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]')).toEqual([
      'STORAGE_ERROR: the Redis storage needs the `redis` package: install it with `npm install redis`',
      'STORAGE_ERROR: the PostgreSQL storage needs the `pg` package: install it with `npm install pg`',
    ]);
    // The same entry loads normally here (sanity check of the import path used above).
    expect(createInMemoryStorage().kind).toBe('memory');
  });
});
