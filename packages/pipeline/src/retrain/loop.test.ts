// The retrain loop end to end with tiny MLPs: a trigger fires, the job trains from the production
// weights on corrected + replayed data, waits for approval across loop restarts, deploys after
// approval, and rolls back when the live error rate degrades; plus rejection and auto-approval.
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, type FeedbackStore, openFeedbackStore, readDataset } from '@ft/data';
import { createRegistry, currentDeployment, deploymentHistory } from '@ft/registry';
import { createTempDir } from '@ft/test-utils';
import { readSafetensors } from '@ft/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtinSteps,
  createJobStore,
  createRetrainLoop,
  createStepRegistry,
  type RetrainLoopOptions,
  readRunState,
  runPipeline,
} from '../index.js';
import { reviewRecords, writeJsonlFile } from '../steps/test-fixtures.js';
import { holdStep } from './fixtures/hold-step.js';

const MODEL = '{ type: mlp, hiddenSizes: [16] }';

const INITIAL = `name: initial
steps:
  - { id: ingest, type: ingest, params: { path: data.jsonl } }
  - id: split
    type: split
    needs: [ingest]
    params: { ratios: { train: 0.6, validation: 0.2, test: 0.2 }, stratifyBy: label, seed: 1 }
  - { id: tokenize, type: tokenize, needs: [split], params: { vocabSize: 200, maxLength: 16, minFrequency: 1 } }
  - { id: train, type: train, needs: [tokenize], params: { model: ${MODEL}, epochs: 10, batchSize: 6, lr: 0.01 } }
  - { id: evaluate, type: evaluate, needs: [tokenize, train] }
  - { id: register, type: register, needs: [train, evaluate], params: { registry: registry, model: reviews, alias: production } }
  - { id: deploy, type: deploy, needs: [register], params: { target: serving/reviews } }
`;

const RETRAIN = `name: retrain
steps:
  - { id: ingest, type: ingest, params: { path: "\${FT_RETRAIN_DATA}" } }
  - id: split
    type: split
    needs: [ingest]
    params: { ratios: { train: 0.6, validation: 0.2, test: 0.2 }, stratifyBy: label, seed: 1 }
  - { id: tokenize, type: tokenize, needs: [split], params: { tokenizer: "\${FT_PRODUCTION_TOKENIZER}", maxLength: 16, labels: [neg, pos] } }
  - { id: production, type: production-model, params: { path: "\${FT_PRODUCTION_MODEL}" } }
  - id: train
    type: train
    needs: [tokenize]
    params: { model: ${MODEL}, epochs: 3, batchSize: 6, lr: 0.01, initFrom: "\${FT_PRODUCTION_MODEL}" }
  - { id: evaluate, type: evaluate, needs: [tokenize, train] }
  - { id: evaluate-production, type: evaluate, needs: [tokenize, production] }
  - id: validate
    type: validate
    needs: [evaluate, evaluate-production]
    params:
      candidate: evaluate
      baseline: { step: evaluate-production }
      test: permutation
      resamples: 200
      failOnGate: false
      gates: [{ type: threshold, metric: accuracy, op: ">=", threshold: 0.5 }]
  - { id: approval, type: approval, needs: [validate], params: { autoApprove: "\${FT_AUTO_APPROVE}" } }
  - { id: register, type: register, needs: [train, evaluate, approval], params: { registry: "\${FT_REGISTRY}", model: "\${FT_MODEL}", alias: production } }
  - { id: deploy, type: deploy, needs: [register], params: { target: "\${FT_DEPLOY_TARGET}" } }
`;

const T0 = Date.parse('2026-03-01T00:00:00Z');
let clock = T0;
let dir: string;
let cleanup: () => Promise<void>;
let feedback: FeedbackStore;

/** Records `n` predictions of `version`; the first `wrong` get a correction to the other label. */
async function predictions(
  version: string,
  n: number,
  wrong: number,
  prefix: string,
  corrected = false,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2 === 0 ? 'pos' : 'neg';
    const text =
      label === 'pos'
        ? `the gadget ${prefix} ${i} was great and i loved it`
        : `the gadget ${prefix} ${i} was awful and i hated it`;
    const isWrong = i < wrong;
    const prediction = isWrong ? (label === 'pos' ? 'neg' : 'pos') : label;
    const id = `${prefix}-${i}`;
    if (corrected) {
      await feedback.record({ id, input: text, modelVersion: version, prediction });
      await feedback.correct(id, label);
    } else {
      await feedback.record({ id, input: text, modelVersion: version, prediction, label });
    }
    ids.push(id);
  }
  return ids;
}

function loopOptions(extra: Partial<RetrainLoopOptions> = {}): RetrainLoopOptions {
  return {
    home: join(dir, 'home'),
    feedback,
    policies: [{ type: 'min-errors', count: 4 }],
    pipeline: join(dir, 'retrain.yaml'),
    trainingData: join(dir, 'data.jsonl'),
    registry: join(dir, 'registry'),
    model: 'reviews',
    target: join(dir, 'serving/reviews'),
    replayRatio: 2,
    seed: 7,
    monitor: { minLabeled: 10, windowLabeled: 40 },
    now: () => clock,
    ...extra,
  };
}

const live = async () =>
  (
    await currentDeployment(await createRegistry({ root: join(dir, 'registry') }), {
      target: join(dir, 'serving/reviews'),
    })
  )?.version;

beforeAll(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-retrain-loop-'));
  await writeJsonlFile(join(dir, 'data.jsonl'), reviewRecords(15));
  await writeFile(join(dir, 'initial.yaml'), INITIAL);
  await writeFile(join(dir, 'retrain.yaml'), RETRAIN);
  const initial = await runPipeline(join(dir, 'initial.yaml'), {
    runsDir: join(dir, 'initial-runs'),
    registry: createStepRegistry(builtinSteps),
  });
  expect(initial.status).toBe('succeeded');
  feedback = await openFeedbackStore({ path: join(dir, 'feedback.jsonl'), clock: () => clock });
}, 60_000);
afterAll(async () => {
  await feedback.close();
  await cleanup();
});

describe('createRetrainLoop', () => {
  it('waits for approval across restarts, deploys after approval, rolls back on degradation', async () => {
    // v1 live: 14 labeled right + 6 corrected (4 of them wrong) → error rate 4/20 = 0.2.
    await predictions('1', 14, 0, 'ok');
    const corrected = await predictions('1', 6, 4, 'fix', true);
    clock = T0 + 60_000;

    const first = await createRetrainLoop(loopOptions()).tick();
    expect(first.action).toBe('waiting-approval');
    expect(first.reasons).toEqual(['min-errors: 4 new errors >= 4']);
    expect(first.state).toMatchObject({ phase: 'waiting-approval', retrains: 1, baseVersion: 1 });
    expect(first.state.consumedIds).toEqual(corrected);
    expect(first.job?.status).toBe('waiting-approval');
    const jobId = first.job?.id as string;

    // The dataset: the 6 corrected cases, then 12 replayed records (seed 7 + retrain 1).
    const dataset = (await readDataset(join(dir, 'home/retrain/datasets/retrain-1.jsonl'))).records;
    const original = (await readDataset(join(dir, 'data.jsonl'))).records;
    expect(dataset).toHaveLength(18);
    expect(dataset.slice(0, 6).map((r) => r.label)).toEqual([
      'pos',
      'neg',
      'pos',
      'neg',
      'pos',
      'neg',
    ]);
    expect(dataset[0]).toEqual({ text: 'the gadget fix 0 was great and i loved it', label: 'pos' });
    const order = createRng(8).shuffle(original.map((_, i) => i));
    expect(dataset.slice(6)).toEqual(order.slice(0, 12).map((i) => original[i]));

    // The run trained from the production weights and compared against production.
    const run = await readRunState(first.job?.runDir as string);
    expect(run.steps.validate?.output?.values.gatePassed).toBe(true);
    expect(run.steps.production?.output?.values).toMatchObject({ model: 'reviews', version: 1 });
    expect(run.steps.approval?.status).toBe('failed');
    expect(run.steps.register?.status).toBe('pending');
    const request = JSON.parse(
      await readFile(join(first.job?.runDir as string, 'approval-request.json'), 'utf8'),
    );
    expect(request).toMatchObject({
      reason: 'the gates passed but autoApprove is off',
      gatePassed: true,
    });

    // A new loop on the same home (a restarted process) still waits and does not retrain again.
    const restarted = createRetrainLoop(loopOptions());
    const again = await restarted.tick();
    expect(again.action).toBe('waiting-approval');
    expect(again.state.retrains).toBe(1);
    expect((await restarted.store.get(jobId)).status).toBe('waiting-approval');
    expect(await live()).toBe(1);

    const approved = await restarted.approve({ by: 'alice' });
    expect(approved).toMatchObject({
      status: 'queued',
      approval: { decision: 'approved', by: 'alice' },
    });

    clock = T0 + 120_000;
    const deployed = await createRetrainLoop(loopOptions()).tick();
    expect(deployed.action).toBe('deployed');
    expect(deployed.job?.status).toBe('succeeded');
    expect(deployed.state.phase).toBe('monitoring');
    expect(deployed.state.monitoring).toMatchObject({
      jobId,
      version: 2,
      previousVersion: 1,
      baselineErrorRate: 0.2,
      deployedAt: new Date(T0 + 120_000).toISOString(),
    });
    expect(await live()).toBe(2);

    // Not enough v2 feedback yet: still watching.
    clock = T0 + 180_000;
    await predictions('2', 6, 3, 'v2a');
    expect((await createRetrainLoop(loopOptions()).tick()).action).toBe('monitoring');

    // 10 labeled v2 predictions, 5 wrong: 0.5 > max(0.2 × 1.25, 0.2 + 0.02) → rollback.
    await predictions('2', 4, 2, 'v2b');
    const rolled = await createRetrainLoop(loopOptions()).tick();
    expect(rolled.action).toBe('rolled-back');
    expect(rolled.state.phase).toBe('idle');
    expect(rolled.state.history.at(-1)).toMatchObject({
      jobId,
      outcome: 'rolled-back',
      version: 2,
      reason: 'error rate 0.5 (5/10) of v2 exceeds 0.25 (v1: 0.2); rolled back to v1',
    });
    expect(await live()).toBe(1);
    const history = await deploymentHistory(await createRegistry({ root: join(dir, 'registry') }), {
      target: join(dir, 'serving/reviews'),
    });
    expect(history.map((r) => [r.action, r.version])).toEqual([
      ['deploy', 1],
      ['deploy', 2],
      ['rollback', 1],
    ]);

    // The consumed corrections do not trigger again.
    expect((await createRetrainLoop(loopOptions()).tick()).action).toBe('none');
  }, 90_000);

  it('records a rejection, then auto-approves when the gates pass', async () => {
    clock = T0 + 240_000;
    await predictions('1', 4, 4, 'more', true);
    const loop = createRetrainLoop(loopOptions());
    const waiting = await loop.tick();
    expect(waiting.action).toBe('waiting-approval');
    await loop.reject({ by: 'bob', comment: 'not now' });
    const rejected = await loop.tick();
    expect(rejected.action).toBe('rejected');
    expect(rejected.state.history.at(-1)).toMatchObject({
      outcome: 'rejected',
      reason: 'rejected by bob: not now',
    });
    expect(await live()).toBe(1);

    clock = T0 + 300_000;
    await predictions('1', 4, 4, 'last', true);
    const auto = await createRetrainLoop(loopOptions({ autoApprove: true })).tick();
    expect(auto.action).toBe('deployed');
    const run = await readRunState(auto.job?.runDir as string);
    expect(run.steps.approval?.output?.values).toMatchObject({ approved: true, auto: true });
    const version = run.steps.register?.output?.values.version as number;
    expect(version).toBeGreaterThan(2);
    expect(await live()).toBe(version);
    expect(auto.state.monitoring).toMatchObject({ version, previousVersion: 1 });
  }, 90_000);

  it('continues a retrain whose loop process was killed mid-job', async () => {
    const home = join(dir, 'home-kill');
    const pipeline = join(dir, 'retrain-hold.yaml');
    await writeFile(
      pipeline,
      RETRAIN.replace(
        '  - { id: approval, type: approval, needs: [validate]',
        '  - { id: hold, type: hold, needs: [train] }\n  - { id: approval, type: approval, needs: [validate, hold]',
      ),
    );
    const {
      feedback: _store,
      now: _now,
      ...plain
    } = loopOptions({ home, pipeline, autoApprove: true });
    const optionsFile = join(dir, 'kill-options.json');
    await writeFile(
      optionsFile,
      JSON.stringify({ ...plain, feedbackPath: join(dir, 'feedback.jsonl') }),
    );
    const child = fork(
      fileURLToPath(new URL('./fixtures/loop-child.ts', import.meta.url)),
      [optionsFile],
      {
        execArgv: ['--import', 'tsx'],
        stdio: 'pipe',
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((done) => {
      child.on('exit', (_code, signal) => done(signal));
    });
    // The hold step marks `held` inside the job's run folder once train is done: kill then.
    const store = createJobStore({ home });
    const deadline = Date.now() + 60_000;
    let held = false;
    while (!held && child.exitCode === null && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 50));
      const [job] = await store.list();
      held = job !== undefined && existsSync(join(job.runDir, 'held'));
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(held, stderr).toBe(true);
    const [killed] = await store.list();
    expect(killed).toMatchObject({ status: 'running', pid: child.pid });

    const resumed = await createRetrainLoop(
      loopOptions({
        home,
        pipeline,
        autoApprove: true,
        steps: [...builtinSteps, holdStep],
      }),
    ).tick();
    expect(resumed.action).toBe('deployed');
    expect(resumed.job?.id).toBe(killed?.id);
    expect(resumed.state.retrains).toBe(1);
    const run = await readRunState(killed?.runDir as string);
    expect(run.status).toBe('succeeded');
    // Train ran once, in the killed process; the resume went on from the held step.
    expect(run.steps.train).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect(run.steps.hold?.output?.values).toEqual({ held: false });
    expect(await live()).toBe(run.steps.register?.output?.values.version);
  }, 90_000);

  it('initFrom starts training from the given weights', async () => {
    // With a learning rate of 1e-9 one epoch moves no weight measurably: the trained weights
    // equal the production weights, which random initialisation would not.
    await mkdir(join(dir, 'prod-tokenizer'));
    for (const name of await readdir(join(dir, 'serving/reviews'))) {
      if (
        name.startsWith('tokenizer') ||
        name.startsWith('special_tokens') ||
        name.startsWith('vocab')
      ) {
        await copyFile(join(dir, 'serving/reviews', name), join(dir, 'prod-tokenizer', name));
      }
    }
    await writeFile(
      join(dir, 'init.yaml'),
      `name: init
steps:
  - { id: ingest, type: ingest, params: { path: data.jsonl } }
  - { id: split, type: split, needs: [ingest], params: { ratios: { train: 0.8, test: 0.2 }, seed: 1 } }
  - { id: tokenize, type: tokenize, needs: [split], params: { tokenizer: prod-tokenizer, maxLength: 16, labels: [neg, pos] } }
  - { id: train, type: train, needs: [tokenize], params: { model: ${MODEL}, epochs: 1, lr: 1.0e-9, initFrom: serving/reviews } }
  - { id: bad, type: train, needs: [tokenize], params: { model: { type: mlp, hiddenSizes: [8] }, epochs: 1, initFrom: serving/reviews } }
`,
    );
    const state = await runPipeline(join(dir, 'init.yaml'), {
      runsDir: join(dir, 'init-runs'),
      registry: createStepRegistry(builtinSteps),
    });
    const trained = await readSafetensors(
      join(dir, 'init-runs', state.runId, 'steps/train/model/model.safetensors'),
    );
    const production = await readSafetensors(join(dir, 'serving/reviews/model.safetensors'));
    expect([...trained.tensors.keys()].sort()).toEqual([...production.tensors.keys()].sort());
    for (const [name, t] of production.tensors) {
      const mine = trained.tensors.get(name)?.data as Float32Array;
      const theirs = t.data as Float32Array;
      let maxDiff = 0;
      for (let i = 0; i < theirs.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs((mine[i] as number) - (theirs[i] as number)));
      }
      expect(maxDiff).toBeLessThan(1e-6);
    }
    expect(state.steps.train?.status).toBe('succeeded');
    expect(state.status).toBe('failed');
    expect(state.steps.bad?.error).toMatch(
      /params\.initFrom: the initFrom weights do not fit this model/,
    );
  }, 60_000);
});
