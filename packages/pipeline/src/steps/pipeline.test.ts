import { readFile, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry } from '@ft/registry';
import { createTempDir } from '@ft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../cli/main.js';
import {
  builtinSteps,
  createStepRegistry,
  loadPipeline,
  PipelineError,
  type PipelineEvent,
  type RunState,
  runPipeline,
} from '../index.js';
import { reviewRecords } from './test-fixtures.js';

const PIPELINE = `name: reviews
steps:
  - id: ingest
    type: ingest
    params: { path: data.jsonl, onError: skip }
  - id: clean
    type: clean
    needs: [ingest]
    params: { fields: [text] }
  - id: dedup
    type: dedup
    needs: [clean]
    params: { near: false }
  - id: split
    type: split
    needs: [dedup]
    params: { ratios: { train: 0.6, validation: 0.2, test: 0.2 }, stratifyBy: label, seed: 1 }
  - id: tokenize
    type: tokenize
    needs: [split]
    params: { vocabSize: 200, maxLength: 16, minFrequency: 1 }
  - id: train
    type: train
    needs: [tokenize]
    params: { model: { type: mlp, hiddenSizes: [16] }, epochs: 10, batchSize: 6, lr: 0.01 }
  - id: evaluate
    type: evaluate
    needs: [tokenize, train]
  - id: validate
    type: validate
    needs: [evaluate]
    params:
      gates: [{ type: threshold, metric: accuracy, op: ">=", threshold: 0.6 }]
  - id: register
    type: register
    needs: [train, evaluate]
    params: { registry: registry, model: reviews, alias: production }
  - id: deploy
    type: deploy
    needs: [register]
    params: { target: serving/reviews }
`;

let dir: string;
let cleanup: () => Promise<void>;
let state: RunState;
const events: PipelineEvent[] = [];

beforeAll(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-pipeline-steps-'));
  const records = reviewRecords(25);
  const lines = records.map((r) => JSON.stringify(r));
  lines.push(JSON.stringify({ ...records[0], id: 1000 }), '{"broken": ');
  await writeFile(join(dir, 'data.jsonl'), `${lines.join('\n')}\n`);
  await writeFile(join(dir, 'pipeline.yaml'), PIPELINE);
  state = await runPipeline(join(dir, 'pipeline.yaml'), {
    runsDir: join(dir, 'runs'),
    runId: 'run-1',
    registry: createStepRegistry(builtinSteps),
    onEvent: (e) => events.push(e),
  });
});
afterAll(() => cleanup());

const values = (step: string) => state.steps[step]?.output?.values ?? {};

describe('the built-in steps in a pipeline run', () => {
  it('runs ingest → … → deploy through the engine', () => {
    expect(state.status).toBe('succeeded');
    expect(values('ingest')).toMatchObject({ records: 51, skipped: 1 });
    expect(values('clean')).toMatchObject({ recordsIn: 51, recordsOut: 51 });
    // The copy of record 0 differs only in its id; dedup compares the text.
    expect(values('dedup')).toMatchObject({ input: 51, kept: 50, removedExact: 1, removedNear: 0 });
    expect(values('split')).toMatchObject({
      total: 50,
      sizes: { train: 30, validation: 10, test: 10 },
    });
    expect(values('validate')).toMatchObject({ gatePassed: true, verdict: null });
    expect(values('register')).toMatchObject({ model: 'reviews', version: 1 });
  });

  it('streams train metrics and progress as run events', () => {
    const train = events.filter((e) => 'step' in e && e.step === 'train');
    expect(train.some((e) => e.type === 'metric' && e.name === 'eval_accuracy')).toBe(true);
    expect(train.filter((e) => e.type === 'progress').at(-1)).toMatchObject({
      done: 50,
      total: 50,
    });
  });

  it('registers the evaluated model and deploys it', async () => {
    const registry = await createRegistry({ root: join(dir, 'registry') });
    const version = await registry.getVersion('reviews', 'production');
    const evaluated = values('evaluate').metrics as Record<string, number>;
    expect(version.metrics.accuracy).toBe(evaluated.accuracy);
    expect(evaluated.accuracy).toBeGreaterThanOrEqual(0.6);
    expect(version.lineage.runId).toBe('run-1');
    const deployment = values('deploy').deployment as {
      target: string;
      folder: string;
      version: number;
    };
    expect(deployment.version).toBe(1);
    expect(await realpath(join(dir, 'serving/reviews'))).toBe(await realpath(deployment.folder));
    const config = JSON.parse(await readFile(join(dir, 'serving/reviews/config.json'), 'utf8'));
    expect(config).toMatchObject({ architecture: 'mlp', labels: ['neg', 'pos'], maxLength: 16 });
  });

  it('a rerun restores every step from the cache but reruns register (reusing v1) and deploy', async () => {
    const rerun: PipelineEvent[] = [];
    const second = await runPipeline(join(dir, 'pipeline.yaml'), {
      runsDir: join(dir, 'runs'),
      runId: 'run-2',
      registry: createStepRegistry(builtinSteps),
      onEvent: (e) => rerun.push(e),
    });
    expect(second.status).toBe('succeeded');
    const cached = rerun.filter((e) => e.type === 'step-cached').map((e) => e.step);
    expect(cached).toEqual([
      'ingest',
      'clean',
      'dedup',
      'split',
      'tokenize',
      'train',
      'evaluate',
      'validate',
    ]);
    expect(second.steps.register?.status).toBe('succeeded');
    expect(second.steps.register?.output?.values).toMatchObject({ version: 1 });
    expect(second.steps.deploy?.status).toBe('succeeded');
    const registry = await createRegistry({ root: join(dir, 'registry') });
    expect((await registry.listVersions('reviews')).map((v) => v.version)).toEqual([1]);
  });

  it('ft report writes one run report with step timings, gate results and the registered version', async () => {
    let stdout = '';
    const sink = {
      write: (text: string) => {
        stdout += text;
      },
      isTTY: false,
    };
    const code = await main(['report', join(dir, 'runs', 'run-1')], {
      out: sink,
      err: { write: () => undefined, isTTY: false },
      env: {},
      cwd: dir,
      signal: new AbortController().signal,
    });
    expect(code).toBe(0);
    expect(stdout.trim().split('\n')).toHaveLength(3);
    const markdown = await readFile(join(dir, 'runs', 'run-1', 'report', 'report.md'), 'utf8');
    expect(markdown).toContain('# Run run-1: reviews (succeeded)');
    expect(markdown).toMatch(/train: succeeded, .*1 attempt/);
    expect(markdown).toContain('| split.total | 50 |');
    expect(markdown).toContain('validate: accuracy>=0.6');
    expect(markdown).toContain('register: reviews v1');
  });

  it('reports a bad param with its YAML path when the pipeline loads', async () => {
    await writeFile(join(dir, 'bad.yaml'), PIPELINE.replace('epochs: 10', 'epochs: 0'));
    const error = await loadPipeline(join(dir, 'bad.yaml'), {
      registry: createStepRegistry(builtinSteps),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('INVALID_CONFIG');
    expect((error as PipelineError).field).toMatch(/^steps\[5\]\.params\.epochs/);
  });
});
