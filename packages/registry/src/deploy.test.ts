// Deployment: atomic switch, backup of what was there, rollback, history, crash repair and a
// concurrent reader that must never see a mix of two versions.
import { fork } from 'node:child_process';
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { sha256Hex } from '@ft/data';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, tinyOnnx } from './deploy.fixtures.js';
import {
  createRegistry,
  currentDeployment,
  DEPLOYMENT_LOG,
  DEPLOYMENT_MANIFEST,
  deploy,
  deployedVersions,
  deploymentHistory,
  type Registry,
  readDeploymentManifest,
  rollback,
} from './index.js';

let dir: { path: string; cleanup: () => Promise<void> };
let registry: Registry;
let target: string;
const onnx = [tinyOnnx('v1', 32), tinyOnnx('v2', 48), tinyOnnx('v3', 64)];

beforeEach(async () => {
  dir = await createTempDir('ft-registry-deploy-');
  registry = await createRegistry({ root: join(dir.path, 'registry'), user: 'tester' });
  for (const [i, bytes] of onnx.entries()) {
    await registry.register('clf', {
      source: { 'model.onnx': bytes, 'labels.json': new TextEncoder().encode(`["v${i + 1}"]`) },
    });
  }
  target = join(dir.path, 'serve', 'clf');
});

afterEach(async () => {
  await dir.cleanup();
});

async function liveOnnxHash(): Promise<string> {
  return sha256Hex(await readFile(join(target, 'model.onnx')));
}

describe('deploy', () => {
  it('points the target at a complete copy of the version and records it', async () => {
    const record = await deploy(registry, { model: 'clf', ref: 1, target });
    expect(record).toMatchObject({
      action: 'deploy',
      model: 'clf',
      version: 1,
      target,
      by: 'tester',
    });
    expect(record.previous).toBeUndefined();
    expect((await lstat(target)).isSymbolicLink()).toBe(true);
    expect(await readlink(target)).toBe(join('clf.versions', record.id));
    expect(record.folder).toBe(join(dirname(target), 'clf.versions', record.id));
    expect(await liveOnnxHash()).toBe(sha256Hex(onnx[0] as Uint8Array));
    expect(await readFile(join(target, 'labels.json'), 'utf8')).toBe('["v1"]');

    const manifest = await readDeploymentManifest(target);
    expect(manifest.deployment).toEqual(record);
    expect(manifest.files.map((f) => f.path)).toEqual(['labels.json', 'model.onnx']);
    expect(manifest.files.find((f) => f.path === 'model.onnx')?.sha256).toBe(
      sha256Hex(onnx[0] as Uint8Array),
    );

    expect(await deploymentHistory(registry, { target })).toEqual([record]);
    expect(await currentDeployment(registry, { target })).toEqual(record);
    const events = (await registry.audit()).filter((e) => e.action === 'deploy');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ model: 'clf', version: 1, by: 'tester' });
    expect(events[0]?.details).toMatchObject({ id: record.id, target });
  });

  it('resolves aliases and latest', async () => {
    await registry.setAlias('clf', 'production', 2);
    const byAlias = await deploy(registry, { model: 'clf', ref: 'production', target });
    expect(byAlias.version).toBe(2);
    expect(await liveOnnxHash()).toBe(sha256Hex(onnx[1] as Uint8Array));
    const latest = await deploy(registry, { model: 'clf', ref: 'latest', target });
    expect(latest.version).toBe(3);
    expect(latest.previous).toBe(byAlias.id);
  });

  it('keeps the previous deployment as the backup and rolls back to it in one call', async () => {
    const d1 = await deploy(registry, { model: 'clf', ref: 1, target });
    const d2 = await deploy(registry, { model: 'clf', ref: 2, target });
    expect(d2.previous).toBe(d1.id);
    // The backup is the previous folder, intact.
    expect(sha256Hex(await readFile(join(d1.folder, 'model.onnx')))).toBe(
      sha256Hex(onnx[0] as Uint8Array),
    );
    expect(await liveOnnxHash()).toBe(sha256Hex(onnx[1] as Uint8Array));

    const r1 = await rollback(registry, { target });
    expect(r1).toMatchObject({
      action: 'rollback',
      version: 1,
      folder: d1.folder,
      previous: d2.id,
    });
    expect(await liveOnnxHash()).toBe(sha256Hex(onnx[0] as Uint8Array));

    // Rolling back a rollback returns to where it started.
    const r2 = await rollback(registry, { target });
    expect(r2).toMatchObject({
      action: 'rollback',
      version: 2,
      folder: d2.folder,
      previous: r1.id,
    });
    expect(await liveOnnxHash()).toBe(sha256Hex(onnx[1] as Uint8Array));

    expect((await deploymentHistory(registry, { target })).map((r) => r.id)).toEqual([
      d1.id,
      d2.id,
      r1.id,
      r2.id,
    ]);
    const actions = (await registry.audit())
      .filter((e) => e.action === 'deploy' || e.action === 'rollback')
      .map((e) => `${e.action}:${e.version}`);
    expect(actions).toEqual(['deploy:1', 'deploy:2', 'rollback:1', 'rollback:2']);
  });

  it('rolls back further with `to`, rebuilding a pruned folder from the registry', async () => {
    const d1 = await deploy(registry, { model: 'clf', ref: 1, target, keepFolders: 2 });
    await deploy(registry, { model: 'clf', ref: 2, target, keepFolders: 2 });
    const d3 = await deploy(registry, { model: 'clf', ref: 3, target, keepFolders: 2 });
    const folders = (await readdir(`${target}.versions`)).sort();
    expect(folders).toHaveLength(2);
    expect(folders).not.toContain(basename(d1.folder));

    const back = await rollback(registry, { target, to: d1.id });
    expect(back.version).toBe(1);
    expect(back.previous).toBe(d3.id);
    expect(back.folder).toBe(join(`${target}.versions`, back.id));
    expect(await liveOnnxHash()).toBe(sha256Hex(onnx[0] as Uint8Array));
  });

  it('moves content it did not put at the target aside as a backup', async () => {
    await mkdir(target, { recursive: true });
    await writeFile(join(target, 'model.onnx'), 'hand-copied model');
    const d1 = await deploy(registry, { model: 'clf', ref: 1, target });
    expect(d1.backup).toBeDefined();
    expect(dirname(d1.backup as string)).toBe(`${target}.versions`);
    expect(await readFile(join(d1.backup as string, 'model.onnx'), 'utf8')).toBe(
      'hand-copied model',
    );
    expect(await liveOnnxHash()).toBe(sha256Hex(onnx[0] as Uint8Array));
    // Nothing deployed before d1, so rollback says where the old content is.
    const error = await expectCode(rollback(registry, { target }), 'NOT_FOUND');
    expect(error.message).toContain(d1.backup as string);
    // Backups, and folders the history does not name, survive pruning; old deployments do not.
    await mkdir(join(`${target}.versions`, 'not-ours'));
    for (const ref of [2, 3, 1, 2]) {
      await deploy(registry, { model: 'clf', ref, target, keepFolders: 2 });
    }
    const left = await readdir(`${target}.versions`);
    expect(left).toContain(basename(d1.backup as string));
    expect(left).toContain('not-ours');
    expect(left).not.toContain(basename(d1.folder));
    expect(left).toHaveLength(4);
  });

  it('repairs a switch interrupted after the history was written', async () => {
    const d1 = await deploy(registry, { model: 'clf', ref: 1, target });
    const d2 = await deploy(registry, { model: 'clf', ref: 2, target });
    // A crash between appending d2 and moving the link leaves the link at d1.
    const link = join(dirname(target), 'stale-link');
    await symlink(relative(dirname(target), d1.folder), link);
    await rename(link, target);
    expect(await liveOnnxHash()).toBe(sha256Hex(onnx[0] as Uint8Array));
    // The history is the truth: rolling back from d2 goes to d1, deploying records d2 as previous.
    const d3 = await deploy(registry, { model: 'clf', ref: 3, target });
    expect(d3.previous).toBe(d2.id);
    const back = await rollback(registry, { target });
    expect(back).toMatchObject({ version: 2, folder: d2.folder });
    expect(await liveOnnxHash()).toBe(sha256Hex(onnx[1] as Uint8Array));
  });

  it('removes leftovers of an interrupted folder build', async () => {
    await mkdir(join(`${target}.versions`, '.tmp-crashed', 'onnx'), { recursive: true });
    await writeFile(join(`${target}.versions`, '.tmp-crashed', 'onnx', 'model.onnx'), 'half');
    const d1 = await deploy(registry, { model: 'clf', ref: 1, target });
    expect(await readdir(`${target}.versions`)).toEqual([basename(d1.folder)]);
  });

  it('reports the live and rollback versions of every target as in use', async () => {
    const other = join(dir.path, 'serve', 'canary');
    const d1 = await deploy(registry, { model: 'clf', ref: 1, target });
    const d2 = await deploy(registry, { model: 'clf', ref: 2, target });
    const c3 = await deploy(registry, { model: 'clf', ref: 3, target: other });
    const inUse = await deployedVersions(registry);
    expect(inUse).toEqual([
      { model: 'clf', version: 2, target, role: 'live', deploymentId: d2.id },
      { model: 'clf', version: 1, target, role: 'rollback', deploymentId: d1.id },
      { model: 'clf', version: 3, target: other, role: 'live', deploymentId: c3.id },
    ]);
    expect(await deploymentHistory(registry, { target: other })).toEqual([c3]);
    expect(await deploymentHistory(registry)).toHaveLength(3);
  });

  it('refuses to delete a deployed version unless forced', async () => {
    await deploy(registry, { model: 'clf', ref: 1, target });
    await deploy(registry, { model: 'clf', ref: 2, target });
    for (const version of [1, 2]) {
      const refused = await expectCode(registry.deleteVersion('clf', version), 'INVALID_ARGUMENT');
      expect(refused.message).toContain(target);
    }
    expect((await registry.listVersions('clf')).map((v) => v.version)).toEqual([1, 2, 3]);
    await registry.deleteVersion('clf', 3);
    await registry.deleteVersion('clf', 1, { force: true });
    expect((await registry.listVersions('clf')).map((v) => v.version)).toEqual([2]);
  });
});

describe('deploy: bad input', () => {
  it('refuses bad targets and options', async () => {
    await expectCode(deploy(registry, { model: 'clf', ref: 1, target: '' }), 'INVALID_ARGUMENT');
    await expectCode(
      deploy(registry, { model: 'clf', ref: 1, target: 'a\u0000b' }),
      'INVALID_ARGUMENT',
    );
    await expectCode(deploy(registry, { model: 'clf', ref: 1, target: '/' }), 'INVALID_ARGUMENT');
    const inside = await expectCode(
      deploy(registry, { model: 'clf', ref: 1, target: join(registry.root, 'serve') }),
      'INVALID_ARGUMENT',
    );
    expect(inside.message).toContain('inside the registry root');
    await expectCode(
      deploy(registry, { model: 'clf', ref: 1, target: dir.path }),
      'INVALID_ARGUMENT',
    );
    await expectCode(
      deploy(registry, { model: 'clf', ref: 1, target, keepFolders: 1 }),
      'INVALID_ARGUMENT',
    );
    await expectCode(deploy(registry, { model: 'clf', ref: 9, target }), 'NOT_FOUND');
    await expectCode(deploy(registry, { model: '../x', ref: 1, target }), 'INVALID_NAME');
    expect(await deploymentHistory(registry)).toEqual([]);
  });

  it('refuses rollbacks with nothing to return to', async () => {
    await expectCode(rollback(registry, { target }), 'NOT_FOUND');
    const d1 = await deploy(registry, { model: 'clf', ref: 1, target });
    await expectCode(rollback(registry, { target }), 'NOT_FOUND');
    await expectCode(rollback(registry, { target, to: 'no-such-id' }), 'NOT_FOUND');
    await expectCode(rollback(registry, { target, to: d1.id }), 'INVALID_ARGUMENT');
  });

  it('refuses a version holding the deployment manifest name', async () => {
    await registry.register('odd', { source: { [DEPLOYMENT_MANIFEST]: new Uint8Array([1]) } });
    await expectCode(deploy(registry, { model: 'odd', ref: 1, target }), 'INVALID_ARTIFACT');
  });

  it('reports a malformed deployment log as an integrity error', async () => {
    await deploy(registry, { model: 'clf', ref: 1, target });
    await registry.store.appendLog(DEPLOYMENT_LOG, { id: 'x', action: 'deploy', version: 'one' });
    const error = await expectCode(deploymentHistory(registry), 'INTEGRITY');
    expect(error.message).toContain('record 2');
    await registry.store.appendLog(DEPLOYMENT_LOG, 'not an object');
    await expectCode(rollback(registry, { target }), 'INTEGRITY');
  });

  it('reports a folder without a valid manifest', async () => {
    await expectCode(readDeploymentManifest(dir.path), 'NOT_FOUND');
    await writeFile(join(dir.path, DEPLOYMENT_MANIFEST), '{"files": [');
    await expectCode(readDeploymentManifest(dir.path), 'INTEGRITY');
    await writeFile(join(dir.path, DEPLOYMENT_MANIFEST), '{"files": []}');
    await expectCode(readDeploymentManifest(dir.path), 'INTEGRITY');
  });
});

// The reader runs in its own process so it is truly concurrent with the switches. It resolves the
// target once and reads the model and the manifest from there (the documented protocol for several
// files), and also opens target/model.onnx directly (one file: always whole, from one version).
const READER = `
const { createHash } = require('node:crypto');
const { readFileSync, realpathSync } = require('node:fs');
const { join } = require('node:path');
const [target, known] = [process.argv[2], new Set(JSON.parse(process.argv[3]))];
const stats = { reads: 0, mixed: 0, missing: 0, unknown: 0, seen: {} };
const hash = (b) => createHash('sha256').update(b).digest('hex');
let stop = false;
process.on('message', () => { stop = true; });
function loop() {
  for (let i = 0; i < 50; i++) {
    try {
      const folder = realpathSync(target);
      const model = hash(readFileSync(join(folder, 'model.onnx')));
      const manifest = JSON.parse(readFileSync(join(folder, '.ft-deployment.json'), 'utf8'));
      const listed = manifest.files.find((f) => f.path === 'model.onnx').sha256;
      if (listed !== model) stats.mixed++;
      const direct = hash(readFileSync(join(target, 'model.onnx')));
      if (!known.has(direct) || !known.has(model)) stats.unknown++;
      stats.seen[direct] = (stats.seen[direct] || 0) + 1;
      stats.reads++;
    } catch (error) {
      stats.missing++;
    }
  }
  if (stop) { process.send(stats, () => process.exit(0)); return; }
  if (stats.reads === 50) process.send('ready');
  setImmediate(loop);
}
loop();
`;

describe('deploy: a concurrent reader', () => {
  it('never sees a missing file or a mix of two versions during deploys and rollbacks', async () => {
    const h1 = sha256Hex(onnx[0] as Uint8Array);
    const h2 = sha256Hex(onnx[1] as Uint8Array);
    await deploy(registry, { model: 'clf', ref: 1, target, keepFolders: 10 });
    const script = join(dir.path, 'reader.cjs');
    await writeFile(script, READER);
    const child = fork(script, [target, JSON.stringify([h1, h2])], { stdio: 'ignore' });
    type Stats = {
      reads: number;
      mixed: number;
      missing: number;
      unknown: number;
      seen: Record<string, number>;
    };
    const result = new Promise<Stats>((resolve, reject) => {
      child.on('message', (m) => {
        if (m !== 'ready') resolve(m as Stats);
      });
      child.on('exit', (code) => reject(new Error(`reader exited with ${code}`)));
    });
    await new Promise<void>((resolve) => child.once('message', () => resolve()));
    for (let i = 0; i < 15; i++) {
      await deploy(registry, { model: 'clf', ref: i % 2 === 0 ? 2 : 1, target, keepFolders: 10 });
      await rollback(registry, { target });
      await rollback(registry, { target });
    }
    child.send('stop');
    const stats = await result;
    expect(stats.mixed).toBe(0);
    expect(stats.missing).toBe(0);
    expect(stats.unknown).toBe(0);
    expect(stats.reads).toBeGreaterThan(50);
    // Both versions were live while it read, so the check above was exercised.
    expect(stats.seen[h1]).toBeGreaterThan(0);
    expect(stats.seen[h2]).toBeGreaterThan(0);
    expect(Object.keys(stats.seen).sort()).toEqual([h1, h2].sort());
  });
});
