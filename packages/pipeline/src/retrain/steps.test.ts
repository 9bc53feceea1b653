// The retrain steps on their own: the approval step's decisions (auto, waiting, approved,
// rejected, misconfigured) and the production-model step's copy of a deployed folder.
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APPROVAL_FILE,
  APPROVAL_REQUEST_FILE,
  approvalStep,
  createStepTestContext,
  type PipelineError,
  productionModelStep,
  type StepOutput,
} from '../index.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-retrain-steps-'));
});
afterAll(() => cleanup());

const validated = (gatePassed: boolean | null): Record<string, StepOutput> => ({
  validate: { files: {}, values: { gatePassed } },
});

async function approval(name: string, params: unknown, gatePassed: boolean | null) {
  const runDir = join(dir, name);
  const ctx = await createStepTestContext(approvalStep, {
    params,
    inputs: validated(gatePassed),
    runDir,
  });
  return { runDir, run: () => ctx.run() };
}

describe('approval step', () => {
  it('passes on its own only when the gates passed and autoApprove is on', async () => {
    const auto = await approval('auto', { autoApprove: 'true' }, true);
    expect((await auto.run()).values).toEqual({
      approved: true,
      auto: true,
      by: null,
      gatePassed: true,
    });
    const failedGate = await approval('failed-gate', { autoApprove: true }, false);
    const error = (await failedGate.run().catch((e: unknown) => e)) as PipelineError;
    expect(error.code).toBe('STEP_FAILED');
    expect(error.message).toContain('waiting for approval: the quality gates failed');
    const request = JSON.parse(
      await readFile(join(failedGate.runDir, APPROVAL_REQUEST_FILE), 'utf8'),
    );
    expect(request).toMatchObject({ reason: 'the quality gates failed', gatePassed: false });
  });

  it('follows a recorded decision', async () => {
    const approved = await approval('approved', {}, false);
    await writeFile(
      join(approved.runDir, APPROVAL_FILE),
      JSON.stringify({ decision: 'approved', by: 'alice', at: '2026-01-01T00:00:00Z' }),
    );
    expect((await approved.run()).values).toEqual({
      approved: true,
      auto: false,
      by: 'alice',
      gatePassed: false,
    });
    const rejected = await approval('rejected', { autoApprove: true }, true);
    await writeFile(
      join(rejected.runDir, APPROVAL_FILE),
      JSON.stringify({ decision: 'rejected', by: 'bob', comment: 'too risky', at: 'x' }),
    );
    await expect(rejected.run()).rejects.toThrow('rejected by bob: too risky');
  });

  it('needs exactly one validate step', async () => {
    const ctx = await createStepTestContext(approvalStep, {
      params: { validate: 'check' },
      inputs: validated(true),
      runDir: join(dir, 'misnamed'),
    });
    await expect(ctx.run()).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'params.validate',
    });
    await expect(
      createStepTestContext(approvalStep, { params: { autoApprove: 'yes' } }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG', field: 'params.autoApprove' });
  });
});

describe('production-model step', () => {
  it('copies the folder a deploy target points at, without the deployment manifest', async () => {
    const folder = join(dir, 'serving.versions', 'd1');
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'model.onnx'), 'onnx bytes');
    await writeFile(
      join(folder, '.ft-deployment.json'),
      JSON.stringify({ deployment: { model: 'reviews', version: 3 } }),
    );
    await symlink(folder, join(dir, 'serving'));
    const ctx = await createStepTestContext(productionModelStep, {
      params: { path: 'serving' },
      baseDir: dir,
      runDir: join(dir, 'run'),
    });
    const output = await ctx.run();
    expect(output).toEqual({
      files: { model: 'steps/production-model/model' },
      values: { source: folder, model: 'reviews', version: 3 },
    });
    expect(await readdir(join(dir, 'run', output.files.model as string))).toEqual(['model.onnx']);
    const missing = await createStepTestContext(productionModelStep, {
      params: { path: 'nowhere' },
      baseDir: dir,
    });
    await expect(missing.run()).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'params.path',
    });
    await missing.cleanup();
  });
});
