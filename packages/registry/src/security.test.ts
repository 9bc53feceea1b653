// Attacks on the registry: traversal and absolute names, separators and NUL in names, aliases,
// tags and artifact paths, symlinks out of a source folder, special files, tampered manifests.
import { spawnSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry, RegistryError } from './index.js';

const bytes = (value: string) => new TextEncoder().encode(value);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return (error as RegistryError).code;
  }
  throw new Error('expected a rejection');
}

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;
let registry: Registry;
beforeEach(async () => {
  dir = await createTempDir('ft-registry-sec-');
  root = join(dir.path, 'registry');
  registry = await createRegistry({ root });
});
afterEach(() => dir.cleanup());

/** Every path under `folder`, relative. */
async function tree(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  return entries.map(String).sort();
}

const badNames = [
  '',
  '.',
  '..',
  '../evil',
  'a/../../evil',
  '/etc/passwd',
  'a/b',
  'a\\b',
  'C:evil',
  'a\u0000b',
  'a..b',
  '-leading-dash',
  '.hidden',
  'has space',
  'x'.repeat(129),
];

describe('names', () => {
  it('rejects unsafe model names everywhere, writing nothing', async () => {
    const before = await tree(dir.path);
    for (const name of badNames) {
      expect(await codeOf(registry.register(name, { source: { a: bytes('a') } }))).toBe(
        'INVALID_NAME',
      );
      expect(await codeOf(registry.getVersion(name, 1))).toBe('INVALID_NAME');
      expect(await codeOf(registry.listVersions(name))).toBe('INVALID_NAME');
      expect(await codeOf(registry.setAlias(name, 'production', 1))).toBe('INVALID_NAME');
      expect(await codeOf(registry.setModelTags(name, { a: 'b' }))).toBe('INVALID_NAME');
      expect(await codeOf(registry.materialize(name, 1, join(dir.path, 'out')))).toBe(
        'INVALID_NAME',
      );
    }
    expect(await tree(dir.path)).toEqual(before);
  });

  it('accepts the documented charset up to 128 characters', async () => {
    for (const name of ['bert-base.v2_sv', 'A1', 'x'.repeat(128)]) {
      expect((await registry.register(name, { source: { a: bytes('a') } })).model).toBe(name);
    }
  });

  it('rejects unsafe, numeric and reserved aliases', async () => {
    await registry.register('m', { source: { a: bytes('a') } });
    for (const alias of ['../x', '/abs', 'a/b', 'a\\b', 'a\u0000', '1', '42', 'latest', '', '_x']) {
      expect(await codeOf(registry.setAlias('m', alias, 1))).toBe('INVALID_NAME');
    }
    expect((await registry.listModels())[0]!.aliases).toEqual({});
  });

  it('rejects unsafe tag keys and NUL in tag values', async () => {
    await registry.register('m', { source: { a: bytes('a') } });
    for (const key of ['../x', 'a/b', 'a\\b', 'a\u0000', '..', '', '/abs']) {
      expect(await codeOf(registry.setModelTags('m', { [key]: 'v' }))).toBe('INVALID_NAME');
      expect(await codeOf(registry.setVersionTags('m', 1, { [key]: 'v' }))).toBe('INVALID_NAME');
      expect(
        await codeOf(registry.register('m', { source: { a: bytes('b') }, tags: { [key]: 'v' } })),
      ).toBe('INVALID_NAME');
    }
    expect(await codeOf(registry.setModelTags('m', { note: 'a\u0000b' }))).toBe('INVALID_NAME');
    expect(await codeOf(registry.setModelTags('m', { note: 'x'.repeat(5001) }))).toBe(
      'INVALID_NAME',
    );
    // Free text is fine in values: they never become paths.
    await registry.setModelTags('m', { note: '../../etc/passwd is just text here' });
    expect((await registry.listModels())[0]!.tags).toEqual({
      note: '../../etc/passwd is just text here',
    });
  });

  it('rejects artifact paths that escape, are absolute or carry NUL, storing nothing', async () => {
    const bad = [
      '../evil.txt',
      '/tmp/evil',
      'a/../../evil',
      'C:\\evil',
      'a\u0000b',
      './a',
      'a//b',
      'a/',
      '',
    ];
    for (const path of bad) {
      expect(await codeOf(registry.register('m', { source: { [path]: bytes('evil') } }))).toBe(
        'INVALID_NAME',
      );
    }
    expect(await registry.listBlobs()).toEqual([]);
    expect((await tree(dir.path)).filter((p) => p.includes('evil'))).toEqual([]);
    expect(await codeOf(registry.readFile('m', 1, '../../x'))).toBe('INVALID_NAME');
  });
});

describe('source folders', () => {
  let source: string;
  beforeEach(async () => {
    source = join(dir.path, 'model');
    await mkdir(join(source, 'sub'), { recursive: true });
    await writeFile(join(source, 'config.json'), '{"a":1}');
  });

  it('refuses a symlink to /etc/passwd', async () => {
    await symlink('/etc/passwd', join(source, 'passwd'));
    const error = registry.register('m', { source });
    await expect(error).rejects.toMatchObject({
      code: 'INVALID_ARTIFACT',
      model: 'm',
      path: 'passwd',
    });
    await expect(registry.register('m', { source })).rejects.toThrow(
      /points outside the source folder/,
    );
    expect(await registry.listModels()).toEqual([]);
    expect(await registry.listBlobs()).toEqual([]);
  });

  it('refuses a relative symlink climbing out of the folder', async () => {
    await writeFile(join(dir.path, 'secret.txt'), 'secret');
    await symlink('../../secret.txt', join(source, 'sub', 'secret.txt'));
    expect(await codeOf(registry.register('m', { source }))).toBe('INVALID_ARTIFACT');
  });

  it('refuses dangling and folder symlinks', async () => {
    await symlink(join(source, 'nowhere'), join(source, 'dangling'));
    expect(await codeOf(registry.register('m', { source }))).toBe('INVALID_ARTIFACT');
    const again = join(dir.path, 'model2');
    await mkdir(join(again, 'sub'), { recursive: true });
    await writeFile(join(again, 'sub', 'x'), 'x');
    await symlink(join(again, 'sub'), join(again, 'loop'));
    expect(await codeOf(registry.register('m', { source: again }))).toBe('INVALID_ARTIFACT');
  });

  it('stores a symlink to a file inside the folder as a copy of the bytes', async () => {
    await symlink('../config.json', join(source, 'sub', 'alias.json'));
    const v = await registry.register('m', { source });
    expect(v.files.map((f) => f.path)).toEqual(['config.json', 'sub/alias.json']);
    expect(v.files[0]!.sha256).toBe(v.files[1]!.sha256);
    const out = join(dir.path, 'out');
    await registry.materialize('m', 1, out);
    expect(await readFile(join(out, 'sub', 'alias.json'), 'utf8')).toBe('{"a":1}');
    // Materialized as a real file, not a link.
    expect((await lstat(join(out, 'sub', 'alias.json'))).isFile()).toBe(true);
  });

  it('refuses file names with backslashes or Windows-reserved characters', async () => {
    await writeFile(join(source, 'a\\b.txt'), 'x');
    expect(await codeOf(registry.register('m', { source }))).toBe('INVALID_NAME');
  });

  it('refuses special files such as a FIFO', async () => {
    const made = spawnSync('mkfifo', [join(source, 'pipe')]);
    expect(made.status).toBe(0);
    const error = registry.register('m', { source });
    await expect(error).rejects.toMatchObject({ code: 'INVALID_ARTIFACT', path: 'pipe' });
  });
});

describe('tampered manifests', () => {
  it('materialize refuses a manifest path that escapes the target folder', async () => {
    await registry.register('m', { source: { 'config.json': bytes('{}') } });
    const key = 'models/m/versions/0000000001';
    const doc = (await registry.store.readDoc(key)) as { files: { path: string }[] };
    doc.files[0]!.path = '../../escaped.json';
    await registry.store.writeDoc(key, doc);
    const out = join(dir.path, 'deep', 'out');
    expect(await codeOf(registry.materialize('m', 1, out))).toBe('INVALID_NAME');
    expect((await tree(dir.path)).filter((p) => p.includes('escaped'))).toEqual([]);
  });
});
