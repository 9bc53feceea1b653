// Retention (last N per model plus aliased and deployed versions) and blob garbage collection,
// each with a dry run that must list exactly what a real run removes and change nothing.
import { join } from 'node:path';
import { sha256Hex } from '@ft/data';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, seededBytes } from './deploy.fixtures.js';
import { applyRetention, collectGarbage, createRegistry, deploy, type Registry } from './index.js';

let dir: { path: string; cleanup: () => Promise<void> };
let registry: Registry;
let target: string;
const shared = seededBytes('shared', 4096);
const unique = (model: string, v: number) => seededBytes(`${model}-${v}`, 1000 + v);

beforeEach(async () => {
  dir = await createTempDir('ft-registry-retention-');
  registry = await createRegistry({ root: join(dir.path, 'registry'), user: 'tester' });
  // a: v1…v7, each with the shared file and a file of its own; b: v1…v3.
  for (let v = 1; v <= 7; v++) {
    await registry.register('a', { source: { 'shared.bin': shared, 'own.bin': unique('a', v) } });
  }
  for (let v = 1; v <= 3; v++) {
    await registry.register('b', { source: { 'shared.bin': shared, 'own.bin': unique('b', v) } });
  }
  await registry.setAlias('a', 'production', 2);
  target = join(dir.path, 'serve', 'a');
  await deploy(registry, { model: 'a', ref: 4, target });
  await deploy(registry, { model: 'a', ref: 5, target });
});

afterEach(async () => {
  await dir.cleanup();
});

const versionsOf = async (model: string) =>
  (await registry.listVersions(model)).map((version) => version.version);

describe('applyRetention', () => {
  it('plans: last N per model, plus aliased and deployed versions', async () => {
    const report = await applyRetention(registry, { keepLast: 2, dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.wouldDelete).toEqual([
      { model: 'a', version: 1 },
      { model: 'a', version: 3 },
      { model: 'b', version: 1 },
    ]);
    expect(report.deleted).toEqual([]);
    expect(report.kept).toEqual([
      { model: 'a', version: 2, reasons: [{ reason: 'alias', alias: 'production' }] },
      { model: 'a', version: 4, reasons: [{ reason: 'deployed', target, role: 'rollback' }] },
      { model: 'a', version: 5, reasons: [{ reason: 'deployed', target, role: 'live' }] },
      { model: 'a', version: 6, reasons: [{ reason: 'recent' }] },
      { model: 'a', version: 7, reasons: [{ reason: 'recent' }] },
      { model: 'b', version: 2, reasons: [{ reason: 'recent' }] },
      { model: 'b', version: 3, reasons: [{ reason: 'recent' }] },
    ]);
  });

  it('changes nothing in a dry run', async () => {
    const auditBefore = await registry.audit();
    await applyRetention(registry, { keepLast: 1, dryRun: true });
    expect(await versionsOf('a')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(await versionsOf('b')).toEqual([1, 2, 3]);
    expect(await registry.audit()).toEqual(auditBefore);
  });

  it('deletes exactly what the dry run listed, and audits it', async () => {
    const plan = await applyRetention(registry, { keepLast: 2, dryRun: true });
    const report = await applyRetention(registry, { keepLast: 2 });
    expect(report.deleted).toEqual(plan.wouldDelete);
    expect(report.wouldDelete).toEqual(plan.wouldDelete);
    expect(await versionsOf('a')).toEqual([2, 4, 5, 6, 7]);
    expect(await versionsOf('b')).toEqual([2, 3]);
    const events = await registry.audit();
    expect(events.filter((e) => e.action === 'delete-version')).toHaveLength(3);
    const retention = events.filter((e) => e.action === 'retention');
    expect(retention).toHaveLength(1);
    expect(retention[0]?.by).toBe('tester');
    expect(retention[0]?.details).toMatchObject({
      keepLast: 2,
      deleted: plan.wouldDelete,
      kept: 7,
    });
    // Running it again finds nothing more to delete.
    expect((await applyRetention(registry, { keepLast: 2 })).deleted).toEqual([]);
  });

  it('limits itself to one model, and keepLast 0 keeps only aliased and deployed versions', async () => {
    const report = await applyRetention(registry, { keepLast: 0, model: 'a' });
    expect(report.deleted.map((ref) => ref.version)).toEqual([1, 3, 6, 7]);
    expect(await versionsOf('a')).toEqual([2, 4, 5]);
    expect(await versionsOf('b')).toEqual([1, 2, 3]);
  });

  it('refuses bad options', async () => {
    for (const keepLast of [-1, 1.5, Number.NaN, '2' as unknown as number]) {
      await expectCode(applyRetention(registry, { keepLast }), 'INVALID_ARGUMENT');
    }
    await expectCode(applyRetention(registry, { keepLast: 1, model: '../a' }), 'INVALID_NAME');
    expect(await versionsOf('a')).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });
});

describe('collectGarbage', () => {
  it('lists, then deletes, exactly the blobs no version references', async () => {
    const before = await registry.listBlobs();
    // 1 shared + 7 + 3 own files.
    expect(before).toHaveLength(11);
    expect(await collectGarbage(registry, { dryRun: true })).toEqual({
      dryRun: true,
      unreferenced: [],
      deleted: [],
      bytes: 0,
    });

    await applyRetention(registry, { keepLast: 2 });
    const gone = [unique('a', 1), unique('a', 3), unique('b', 1)];
    const expected = gone.map((bytes) => sha256Hex(bytes)).sort();
    const bytes = gone.reduce((sum, b) => sum + b.length, 0);

    const auditBefore = await registry.audit();
    const dry = await collectGarbage(registry, { dryRun: true });
    expect(dry).toEqual({ dryRun: true, unreferenced: expected, deleted: [], bytes });
    expect(await registry.listBlobs()).toEqual(before);
    expect(await registry.audit()).toEqual(auditBefore);

    const real = await collectGarbage(registry);
    expect(real).toEqual({ dryRun: false, unreferenced: expected, deleted: expected, bytes });
    const after = await registry.listBlobs();
    expect(after).toHaveLength(8);
    expect(after).toContain(sha256Hex(shared));
    for (const hash of expected) expect(after).not.toContain(hash);
    // What is left is whole and readable.
    expect((await registry.verify()).ok).toBe(true);
    expect(await registry.readFile('a', 2, 'own.bin')).toEqual(unique('a', 2));
    const gc = (await registry.audit()).filter((e) => e.action === 'gc');
    expect(gc).toHaveLength(1);
    expect(gc[0]?.details).toMatchObject({ deletedBlobs: 3, bytes, blobs: expected });
  });
});
