// The core registry in one process: versions, manifests, dedup, signatures, aliases, tags,
// search, files, materialize, delete, verify, recovery and the audit log.
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createTempDir, multilingualSentences } from '@ft/test-utils';
import onnxProto from 'onnx-proto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRegistry, type Registry, RegistryError } from './index.js';

const { onnx } = onnxProto as unknown as { onnx: typeof import('onnx-proto').onnx };
const bytes = (value: string) => new TextEncoder().encode(value);
const sha = (value: string | Uint8Array) => createHash('sha256').update(value).digest('hex');
const text = (value: Uint8Array) => new TextDecoder().decode(value);

/** A tiny ONNX model: token ids and mask in, logits out, one weight listed as an input too. */
function tinyOnnx(): Uint8Array {
  const tensor = (name: string, elemType: number, dims: (number | string | null)[]) => ({
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: dims.map((d) =>
            typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {},
          ),
        },
      },
    },
  });
  return onnx.ModelProto.encode({
    irVersion: 3,
    graph: {
      name: 'tiny',
      input: [
        tensor('input_ids', 7, ['batch', 'sequence']),
        tensor('attention_mask', 7, ['batch', 'sequence']),
        tensor('classifier.weight', 1, [2, 4]),
      ],
      output: [tensor('logits', 1, ['batch', 2]), tensor('hidden', 10, [null, 4])],
      initializer: [
        {
          name: 'classifier.weight',
          dims: [2, 4],
          dataType: 1,
          floatData: [0, 0, 0, 0, 0, 0, 0, 0],
        },
      ],
    },
  }).finish();
}

async function errorOf(promise: Promise<unknown>): Promise<RegistryError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RegistryError);
    return error as RegistryError;
  }
  throw new Error('expected a rejection');
}

let dir: { path: string; cleanup: () => Promise<void> };
let root: string;
let registry: Registry;
beforeEach(async () => {
  dir = await createTempDir('ft-registry-');
  root = join(dir.path, 'registry');
  registry = await createRegistry({ root, user: 'alice' });
});
afterEach(() => dir.cleanup());

describe('register and read versions', () => {
  it('numbers versions per model and records the manifest, metadata and lineage', async () => {
    const source = join(dir.path, 'model');
    await mkdir(join(source, 'tokenizer'), { recursive: true });
    await writeFile(join(source, 'config.json'), '{"labels":2}');
    await writeFile(
      join(source, 'tokenizer', 'vocab.txt'),
      multilingualSentences.amharic.join('\n'),
    );
    const v1 = await registry.register('bert-sv', {
      source,
      metrics: { accuracy: 0.91, f1: 0.88 },
      params: { lr: 2e-5, layers: [1, 2] },
      tags: { task: 'sentiment' },
      description: 'Swedish sentiment',
      lineage: { datasetFingerprint: 'abc123', runId: 'run-7', codeVersion: 'deadbeef' },
    });
    expect(v1).toMatchObject({
      model: 'bert-sv',
      version: 1,
      createdBy: 'alice',
      metrics: { accuracy: 0.91, f1: 0.88 },
      params: { lr: 2e-5, layers: [1, 2] },
      tags: { task: 'sentiment' },
      description: 'Swedish sentiment',
      lineage: { datasetFingerprint: 'abc123', runId: 'run-7', codeVersion: 'deadbeef' },
      aliases: [],
    });
    const vocab = multilingualSentences.amharic.join('\n');
    expect(v1.files).toEqual([
      { path: 'config.json', sha256: sha('{"labels":2}'), size: 12 },
      { path: 'tokenizer/vocab.txt', sha256: sha(vocab), size: Buffer.byteLength(vocab) },
    ]);
    expect(v1.signature).toBeUndefined();
    const v2 = await registry.register('bert-sv', {
      source: { 'config.json': bytes('{"labels":3}') },
      lineage: { parentVersion: 1 },
      createdBy: 'bob',
    });
    expect(v2).toMatchObject({ version: 2, createdBy: 'bob', lineage: { parentVersion: 1 } });
    expect((await registry.register('other', { source: { a: bytes('a') } })).version).toBe(1);

    expect(await registry.getVersion('bert-sv', 1)).toEqual(v1);
    expect((await registry.getVersion('bert-sv', '2')).version).toBe(2);
    expect((await registry.getVersion('bert-sv', 'latest')).version).toBe(2);
    expect((await registry.listVersions('bert-sv')).map((v) => v.version)).toEqual([1, 2]);
    expect(text(await registry.readFile('bert-sv', 1, 'tokenizer/vocab.txt'))).toBe(vocab);
    const models = await registry.listModels();
    expect(models.map((m) => [m.name, m.latestVersion, m.versionCount])).toEqual([
      ['bert-sv', 2, 2],
      ['other', 1, 1],
    ]);
  });

  it('stores a file shared by several versions once', async () => {
    const weights = new Uint8Array(4096).map((_, i) => i % 251);
    for (let i = 0; i < 3; i++) {
      await registry.register('m', {
        source: { 'weights.bin': weights, 'config.json': bytes(`{"v":${i}}`) },
      });
    }
    expect((await registry.listBlobs()).length).toBe(1 + 3);
    const stored = await readdir(join(root, 'blobs', 'sha256', sha(weights).slice(0, 2)));
    expect(stored).toContain(sha(weights).slice(2));
  });

  it('registers files named by path, following an explicitly named symlink', async () => {
    const file = join(dir.path, 'weights.bin');
    await writeFile(file, 'w');
    await symlink(file, join(dir.path, 'link.bin'));
    const v = await registry.register('m', {
      source: { 'a.bin': file, 'b.bin': join(dir.path, 'link.bin') },
    });
    expect(v.files.map((f) => [f.path, f.sha256])).toEqual([
      ['a.bin', sha('w')],
      ['b.bin', sha('w')],
    ]);
  });

  it('reads the signature from the ONNX model, leaving out initializers', async () => {
    const v = await registry.register('clf', {
      source: { 'onnx/model.onnx': tinyOnnx(), 'config.json': bytes('{}') },
    });
    expect(v.signature).toEqual({
      file: 'onnx/model.onnx',
      inputs: [
        { name: 'input_ids', dtype: 'int64', shape: ['batch', 'sequence'] },
        { name: 'attention_mask', dtype: 'int64', shape: ['batch', 'sequence'] },
      ],
      outputs: [
        { name: 'logits', dtype: 'float32', shape: ['batch', 2] },
        { name: 'hidden', dtype: 'float16', shape: ['?', 4] },
      ],
    });
  });

  it('refuses a .onnx file that is not an ONNX model, registering nothing', async () => {
    const error = await errorOf(
      registry.register('clf', { source: { 'model.onnx': bytes('not a model at all') } }),
    );
    expect(error.code).toBe('INVALID_ARTIFACT');
    expect(error.message).toContain('clf');
    expect(error.message).toContain('model.onnx');
    expect(await registry.listModels()).toEqual([]);
    expect(await registry.listBlobs()).toEqual([]);
  });

  it('rejects malformed options with errors naming the model', async () => {
    const cases: [Parameters<Registry['register']>[1], string][] = [
      [{ source: { a: bytes('a') }, metrics: { loss: Number.NaN } }, 'finite number'],
      [{ source: { a: bytes('a') }, lineage: { dataset: 'x' } as never }, 'unknown field'],
      [{ source: { a: bytes('a') }, lineage: { parentVersion: 0 } }, 'whole numbers'],
      [{ source: { a: bytes('a') }, params: { big: 1n } }, 'JSON'],
      [{ source: { a: 42 as never } }, 'Uint8Array or a file path'],
      [{ source: join(dir.path, 'missing') }, 'cannot be read'],
      [{ source: {} }, 'no files'],
    ];
    for (const [options, message] of cases) {
      const error = await errorOf(registry.register('m', options));
      expect(error.message).toContain('m');
      expect(error.message).toContain(message);
    }
    expect(await registry.listModels()).toEqual([]);
  });

  it('refuses a source file changed mid-register and removes the blobs it had stored', async () => {
    const file = join(dir.path, 'weights.bin');
    await writeFile(file, 'original');
    await registry.register('m', { source: { 'shared.txt': bytes('shared') } });
    const before = await registry.listBlobs();
    const local = registry.store;
    let puts = 0;
    const store = {
      ...local,
      location: local.location,
      // Stores the first blob, then the source file changes in place before the second is read.
      async putBlob(...args: Parameters<typeof local.putBlob>) {
        if (++puts === 2) await writeFile(file, 'tampered');
        return local.putBlob(...args);
      },
    };
    const changing = await createRegistry({ store, user: 'alice' });
    const error = await errorOf(
      changing.register('m', {
        source: { 'a.txt': bytes('new blob'), 'b.bin': file, 'shared.txt': bytes('shared') },
      }),
    );
    expect(error).toMatchObject({ code: 'INTEGRITY', model: 'm', path: 'b.bin' });
    expect(error.message).toContain('source changed');
    expect(await registry.listBlobs()).toEqual(before);
    expect((await registry.listVersions('m')).map((v) => v.version)).toEqual([1]);
    expect(await registry.store.listDocs('staging/')).toEqual([]);
  });

  it('names the model and version in not-found errors', async () => {
    await registry.register('m', { source: { a: bytes('a') } });
    const missing = await errorOf(registry.getVersion('m', 9));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', model: 'm', version: 9 });
    expect(missing.message).toContain('m v9');
    expect((await errorOf(registry.getVersion('nope', 1))).code).toBe('NOT_FOUND');
    expect((await errorOf(registry.getVersion('m', 'champion'))).message).toContain(
      "alias 'champion' is not set",
    );
    const noFile = await errorOf(registry.readFile('m', 1, 'b'));
    expect(noFile).toMatchObject({ code: 'NOT_FOUND', path: 'b' });
    expect(noFile.message).toContain('it has a');
  });

  it('gives concurrent registrations in one process unique consecutive numbers', async () => {
    const versions = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        registry.register('m', { source: { f: bytes(String(i)) }, tags: { i: String(i) } }),
      ),
    );
    expect(versions.map((v) => v.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const v of versions) {
      expect(text(await registry.readFile('m', v.version, 'f'))).toBe(v.tags.i);
    }
  });
});

describe('aliases and tags', () => {
  beforeEach(async () => {
    for (let i = 1; i <= 3; i++) {
      await registry.register('m', { source: { f: bytes(String(i)) } });
    }
  });

  it('moves an alias from one version to another', async () => {
    await registry.setAlias('m', 'production', 1);
    await registry.setAlias('m', 'staging', 2);
    expect((await registry.getVersion('m', 'production')).version).toBe(1);
    expect((await registry.getVersion('m', 1)).aliases).toEqual(['production']);
    await registry.setAlias('m', 'production', 2);
    expect((await registry.getVersion('m', 'production')).version).toBe(2);
    expect((await registry.getVersion('m', 1)).aliases).toEqual([]);
    expect((await registry.getVersion('m', 2)).aliases).toEqual(['production', 'staging']);
    expect((await registry.listModels())[0]!.aliases).toEqual({ production: 2, staging: 2 });
    await registry.deleteAlias('m', 'staging');
    expect((await errorOf(registry.getVersion('m', 'staging'))).code).toBe('NOT_FOUND');
    expect((await errorOf(registry.deleteAlias('m', 'staging'))).code).toBe('NOT_FOUND');
    const moves = (await registry.audit()).filter((e) => e.action === 'set-alias');
    expect(moves.map((e) => [e.version, e.details])).toEqual([
      [1, { alias: 'production' }],
      [2, { alias: 'staging' }],
      [2, { alias: 'production', previousVersion: 1 }],
    ]);
  });

  it('refuses an alias for a version that does not exist', async () => {
    const error = await errorOf(registry.setAlias('m', 'production', 7));
    expect(error).toMatchObject({ code: 'NOT_FOUND', model: 'm', version: 7 });
  });

  it('merges model and version tags, null removing one', async () => {
    await registry.setModelTags('m', { owner: 'nlp', team: 'a' });
    await registry.setModelTags('m', { team: null, lang: 'sv' });
    expect((await registry.listModels())[0]!.tags).toEqual({ owner: 'nlp', lang: 'sv' });
    await registry.setVersionTags('m', 2, { validated: 'true' });
    expect((await registry.getVersion('m', 2)).tags).toEqual({ validated: 'true' });
    await registry.setVersionTags('m', 2, { validated: null });
    expect((await registry.getVersion('m', 2)).tags).toEqual({});
    expect((await errorOf(registry.setVersionTags('m', 9, { a: 'b' }))).code).toBe('NOT_FOUND');
  });
});

describe('search', () => {
  beforeEach(async () => {
    const specs: [string, number, string][] = [
      ['bert-sv', 0.8, 'sv'],
      ['bert-sv', 0.9, 'sv'],
      ['bert-en', 0.85, 'en'],
      ['gpt-am', 0.7, 'am'],
    ];
    for (const [model, accuracy, lang] of specs) {
      await registry.register(model, {
        source: { f: bytes(`${model}${accuracy}`) },
        metrics: { accuracy },
        tags: { lang },
      });
    }
    await registry.register('gpt-am', { source: { f: bytes('no metric') }, tags: { lang: 'am' } });
    await registry.setAlias('bert-sv', 'champion', 1);
  });

  const ids = (versions: { model: string; version: number }[]) =>
    versions.map((v) => `${v.model}@${v.version}`);

  it('lists everything by model name, newest version first', async () => {
    expect(ids(await registry.search())).toEqual([
      'bert-en@1',
      'bert-sv@2',
      'bert-sv@1',
      'gpt-am@2',
      'gpt-am@1',
    ]);
  });

  it('filters by name, tags, alias and metric range, orders and limits', async () => {
    expect(ids(await registry.search({ name: /^bert-/g }))).toEqual([
      'bert-en@1',
      'bert-sv@2',
      'bert-sv@1',
    ]);
    expect(ids(await registry.search({ name: 'gpt-am' }))).toEqual(['gpt-am@2', 'gpt-am@1']);
    expect(ids(await registry.search({ tags: { lang: 'sv' } }))).toEqual([
      'bert-sv@2',
      'bert-sv@1',
    ]);
    expect(ids(await registry.search({ alias: 'champion' }))).toEqual(['bert-sv@1']);
    expect(
      ids(await registry.search({ metric: { name: 'accuracy', min: 0.8, max: 0.85 } })),
    ).toEqual(['bert-en@1', 'bert-sv@1']);
    expect(
      ids(await registry.search({ orderBy: { metric: 'accuracy', direction: 'desc' }, limit: 3 })),
    ).toEqual(['bert-sv@2', 'bert-en@1', 'bert-sv@1']);
    // Versions without the metric sort last in either direction.
    expect(
      ids(await registry.search({ orderBy: { metric: 'accuracy', direction: 'asc' } })),
    ).toEqual(['gpt-am@1', 'bert-sv@1', 'bert-en@1', 'bert-sv@2', 'gpt-am@2']);
  });

  it('rejects a malformed query', async () => {
    expect((await errorOf(registry.search({ limit: -1 }))).code).toBe('INVALID_ARGUMENT');
    expect((await errorOf(registry.search({ alias: '../x' }))).code).toBe('INVALID_NAME');
    expect((await errorOf(registry.search({ tags: { 'a/b': 'x' } }))).code).toBe('INVALID_NAME');
  });
});

describe('materialize', () => {
  beforeEach(async () => {
    await registry.register('m', {
      source: { 'config.json': bytes('{"a":1}'), 'onnx/model.onnx': tinyOnnx() },
    });
  });

  it('writes every file of the version into the target folder', async () => {
    const target = join(dir.path, 'out');
    await registry.materialize('m', 1, target);
    expect(await readFile(join(target, 'config.json'), 'utf8')).toBe('{"a":1}');
    expect(sha(await readFile(join(target, 'onnx', 'model.onnx')))).toBe(sha(tinyOnnx()));
    expect((await readdir(target)).sort()).toEqual(['config.json', 'onnx']);
    // The copy is independent of the blob: editing it leaves the registry intact.
    await writeFile(join(target, 'config.json'), 'edited');
    expect((await registry.verify()).ok).toBe(true);
  });

  it('refuses a non-empty target unless told to overwrite', async () => {
    const target = join(dir.path, 'out');
    await mkdir(target);
    await writeFile(join(target, 'config.json'), 'old');
    await writeFile(join(target, 'keep.txt'), 'keep');
    expect((await errorOf(registry.materialize('m', 1, target))).code).toBe('ALREADY_EXISTS');
    await registry.materialize('m', 1, target, { overwrite: true });
    expect(await readFile(join(target, 'config.json'), 'utf8')).toBe('{"a":1}');
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('keep');
  });

  it('never writes through a symlink in the target folder', async () => {
    const target = join(dir.path, 'out');
    const elsewhere = join(dir.path, 'elsewhere');
    await mkdir(target);
    await mkdir(elsewhere);
    await symlink(elsewhere, join(target, 'onnx'));
    const error = await errorOf(registry.materialize('m', 1, target, { overwrite: true }));
    expect(error.code).toBe('INVALID_ARTIFACT');
    expect(error.message).toContain('symlink');
    expect(await readdir(elsewhere)).toEqual([]);
    // A symlinked file is replaced by the real file; its target is left untouched.
    await unlink(join(target, 'onnx'));
    // config.json sorts before onnx/, so it was written before the refusal.
    expect(await readFile(join(target, 'config.json'), 'utf8')).toBe('{"a":1}');
    await unlink(join(target, 'config.json'));
    await writeFile(join(elsewhere, 'victim.json'), 'victim');
    await symlink(join(elsewhere, 'victim.json'), join(target, 'config.json'));
    await registry.materialize('m', 1, target, { overwrite: true });
    expect(await readFile(join(elsewhere, 'victim.json'), 'utf8')).toBe('victim');
    expect(await readFile(join(target, 'config.json'), 'utf8')).toBe('{"a":1}');
  });
});

describe('delete, verify and recover', () => {
  it('refuses to delete an aliased version unless forced, and never reuses numbers', async () => {
    for (let i = 1; i <= 3; i++) await registry.register('m', { source: { f: bytes(String(i)) } });
    await registry.setAlias('m', 'production', 3);
    const refused = await errorOf(registry.deleteVersion('m', 3));
    expect(refused).toMatchObject({ code: 'INVALID_ARGUMENT', model: 'm', version: 3 });
    expect(refused.message).toContain('production');
    await registry.deleteVersion('m', 3, { force: true, reason: 'bad eval' });
    expect((await registry.listModels())[0]!.aliases).toEqual({});
    await registry.deleteVersion('m', 1);
    expect((await registry.listVersions('m')).map((v) => v.version)).toEqual([2]);
    expect((await registry.register('m', { source: { f: bytes('4') } })).version).toBe(4);
    const deletes = (await registry.audit()).filter((e) => e.action === 'delete-version');
    expect(deletes.map((e) => [e.version, e.details])).toEqual([
      [3, { reason: 'bad eval', removedAliases: ['production'] }],
      [1, {}],
    ]);
    // The deleted versions' blobs stay until garbage collection, but are no longer referenced.
    const referenced = await registry.referencedBlobs();
    expect([...referenced].sort()).toEqual([sha('2'), sha('4')].sort());
    expect((await registry.listBlobs()).length).toBe(4);
    await registry.deleteBlob(sha('1'));
    expect(await registry.listBlobs()).not.toContain(sha('1'));
  });

  it('verify() finds corrupted and missing blobs and the versions using them', async () => {
    await registry.register('m', { source: { 'a.txt': bytes('aaa'), 'b.txt': bytes('bbb') } });
    await registry.register('m', { source: { 'a.txt': bytes('aaa') } });
    expect(await registry.verify()).toEqual({
      ok: true,
      corrupted: [],
      missing: [],
      checkedFiles: 3,
      checkedBlobs: 2,
    });
    const blobPath = (hash: string) =>
      join(root, 'blobs', 'sha256', hash.slice(0, 2), hash.slice(2));
    await chmod(blobPath(sha('aaa')), 0o644);
    await writeFile(blobPath(sha('aaa')), 'aab');
    await unlink(blobPath(sha('bbb')));
    expect(await registry.verify()).toEqual({
      ok: false,
      corrupted: [{ hash: sha('aaa'), paths: ['m@v1:a.txt', 'm@v2:a.txt'] }],
      missing: [{ hash: sha('bbb'), paths: ['m@v1:b.txt'] }],
      checkedFiles: 3,
      checkedBlobs: 1,
    });
    const corrupt = await errorOf(registry.readFile('m', 2, 'a.txt'));
    expect(corrupt).toMatchObject({ code: 'INTEGRITY', model: 'm', version: 2, path: 'a.txt' });
    const gone = await errorOf(registry.readFile('m', 1, 'b.txt'));
    expect(gone).toMatchObject({ code: 'INTEGRITY', path: 'b.txt' });
    expect((await errorOf(registry.materialize('m', 2, join(dir.path, 'out')))).code).toBe(
      'INTEGRITY',
    );
  });

  it('cleans up a dead registration at open, keeping blobs that versions use', async () => {
    await registry.register('m', { source: { keep: bytes('keep') } });
    const orphan = await registry.store.putBlob(bytes('orphan'));
    // The record a registration leaves when it dies between staging and commit.
    await registry.store.writeDoc('staging/dead', {
      id: 'dead',
      model: 'm',
      pid: 2 ** 22 + 17, // above Linux's pid_max default range, so no live process has it
      hostTag: sha(hostname()).slice(0, 8),
      time: new Date().toISOString(),
      hashes: [orphan.sha256, sha('keep')],
    });
    expect(await registry.referencedBlobs()).toEqual(new Set([sha('keep')]));
    const reopened = await createRegistry({ root, user: 'alice' });
    expect(await reopened.listBlobs()).toEqual([sha('keep')]);
    expect(await reopened.store.listDocs('staging/')).toEqual([]);
    expect(await reopened.recover()).toEqual({
      abandonedRegistrations: 0,
      removedBlobs: 0,
      removedTemp: 0,
      repairedLogs: 0,
    });
  });
});

describe('malformed input read back', () => {
  it('refuses an empty .onnx file (no graph)', async () => {
    const error = await errorOf(
      registry.register('m', { source: { 'model.onnx': new Uint8Array(0) } }),
    );
    expect(error).toMatchObject({ code: 'INVALID_ARTIFACT', model: 'm', path: 'model.onnx' });
    expect(error.message).toContain('no graph');
  });

  it('reports tampered version and model documents as INTEGRITY', async () => {
    await registry.register('m', { source: { f: bytes('1') } });
    await registry.store.writeDoc('models/m/versions/0000000001', { model: 'other', version: 1 });
    const badVersion = await errorOf(registry.getVersion('m', 1));
    expect(badVersion).toMatchObject({ code: 'INTEGRITY', model: 'm', version: 1 });
    expect(badVersion.message).toContain('restore it from a backup');
    await registry.store.writeDoc('models/m/model', { name: 'm', tags: {} });
    expect(await errorOf(registry.listModels())).toMatchObject({ code: 'INTEGRITY', model: 'm' });
  });

  it('leaves records that are not audit events out of audit()', async () => {
    await registry.appendAudit({ action: 'deploy', details: { to: 'a' } });
    await registry.store.appendLog('audit', { something: 'else' });
    await registry.store.appendLog('audit', 'text');
    await registry.appendAudit({ action: 'rollback', details: {} });
    expect((await registry.audit()).map((e) => e.action)).toEqual(['deploy', 'rollback']);
  });
});

describe('audit and locking', () => {
  it('records every change with who made it', async () => {
    await registry.register('m', { source: { f: bytes('1') } });
    await registry.setAlias('m', 'production', 1);
    await registry.setModelTags('m', { owner: 'x' });
    await registry.setVersionTags('m', 1, { ok: 'yes' });
    await registry.appendAudit({
      action: 'deploy',
      model: 'm',
      version: 1,
      details: { target: '/srv' },
    });
    await registry.deleteAlias('m', 'production');
    const events = await registry.audit();
    expect(events.map((e) => [e.action, e.model, e.version, e.by])).toEqual([
      ['register', 'm', 1, 'alice'],
      ['set-alias', 'm', 1, 'alice'],
      ['set-model-tags', 'm', undefined, 'alice'],
      ['set-version-tags', 'm', 1, 'alice'],
      ['deploy', 'm', 1, 'alice'],
      ['delete-alias', 'm', 1, 'alice'],
    ]);
    expect(events[0]!.details).toEqual({ files: 1, bytes: 1 });
    expect(events.every((e) => !Number.isNaN(Date.parse(e.time)))).toBe(true);
    const lines = (await readFile(join(root, 'logs', 'audit.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(6);
  });

  it('withLock is reentrant for registry calls made inside it', async () => {
    await registry.register('m', { source: { f: bytes('1') } });
    const result = await registry.withLock(async () => {
      await registry.setAlias('m', 'production', 1);
      await registry.appendAudit({ action: 'deploy', model: 'm', version: 1, details: {} });
      return (await registry.getVersion('m', 'production')).version;
    });
    expect(result).toBe(1);
  });

  it('needs a root or a store', async () => {
    await expect(createRegistry({})).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
