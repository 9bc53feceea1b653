import { readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createJournalStorage, createStudy } from '@ft/hpo';
import { createRegistry, currentDeployment } from '@ft/registry';
import { createTempDir } from '@ft/test-utils';
import { loadTokenizer } from '@ft/tokenize';
import { readSafetensors } from '@ft/trainer';
import { createFileSuiteStore } from '@ft/validate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStepTestContext,
  deployStep,
  evaluateStep,
  hpoStep,
  PipelineError,
  registerStep,
  regressionStep,
  type StepOutput,
  splitStep,
  tokenizeStep,
  trainStep,
  validateStep,
} from '../index.js';
import { reviewRecords, writeJsonlFile } from './test-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
const outputs: Record<string, StepOutput> = {};

beforeAll(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-model-steps-'));
  await writeJsonlFile(join(dir, 'data.jsonl'), reviewRecords(30));
  const split = await createStepTestContext(splitStep, {
    runDir: dir,
    inputs: { data: { files: { records: 'data.jsonl' }, values: {} } },
    params: { ratios: { train: 0.6, validation: 0.2, test: 0.2 }, stratifyBy: 'label', seed: 1 },
  });
  outputs.split = await split.run();
});
afterAll(() => cleanup());

describe('tokenize', () => {
  it('trains a WordPiece tokenizer on train and encodes every split', async () => {
    const t = await createStepTestContext(tokenizeStep, {
      runDir: dir,
      inputs: { split: outputs.split as StepOutput },
      params: { vocabSize: 200, maxLength: 16, minFrequency: 1 },
    });
    const out = await t.run();
    outputs.tokenize = out;
    expect(Object.keys(out.files).sort()).toEqual([
      'labels',
      'testTensors',
      'tokenizer',
      'trainTensors',
      'validationTensors',
    ]);
    expect(out.values.labels).toEqual(['neg', 'pos']);
    const tokenizer = await loadTokenizer(join(dir, out.files.tokenizer as string));
    expect(out.values.vocabSize).toBe(tokenizer.vocabSize);
    const { tensors } = await readSafetensors(join(dir, out.files.trainTensors as string));
    const ids = tensors.get('input_ids');
    expect(ids?.dims).toEqual([36, 16]);
    expect(tensors.get('attention_mask')?.dims).toEqual([36, 16]);
    // Row 0 equals encoding the first train text on its own, padded to 16.
    const train = (await readFile(join(dir, outputs.split?.files.train as string), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { text: string; label: string });
    const first = tokenizer.encode(train[0]?.text as string).ids;
    const row = Array.from((ids as { data: BigInt64Array }).data.subarray(0, 16), Number);
    expect(row.slice(0, first.length)).toEqual(first);
    expect(row.slice(first.length)).toEqual(new Array(16 - first.length).fill(0));
    const labels = Array.from(tensors.get('labels')?.data as BigInt64Array, Number);
    expect(labels).toEqual(train.map((r) => (r.label === 'neg' ? 0 : 1)));
    const splits = out.values.splits as Record<
      string,
      { rows: number; meanTokens: number; truncated: number }
    >;
    expect([splits.train?.rows, splits.validation?.rows, splits.test?.rows]).toEqual([36, 12, 12]);
    expect(splits.train?.truncated).toBe(0);
    const mask = Array.from(tensors.get('attention_mask')?.data as BigInt64Array, Number);
    expect(splits.train?.meanTokens).toBeCloseTo(mask.reduce((a, b) => a + b, 0) / 36, 10);
  });

  it('loads a tokenizer folder instead of training one, encoding identically', async () => {
    const t = await createStepTestContext(tokenizeStep, {
      runDir: dir,
      baseDir: dir,
      stepId: 'tokenize-loaded',
      inputs: { split: outputs.split as StepOutput },
      params: { tokenizer: outputs.tokenize?.files.tokenizer, maxLength: 16 },
    });
    const out = await t.run();
    expect(out.values.vocabSize).toBe(outputs.tokenize?.values.vocabSize);
    expect(out.values.datasetFingerprint).toBe(outputs.tokenize?.values.datasetFingerprint);
    const read = async (o: StepOutput) =>
      (await readSafetensors(join(dir, o.files.testTensors as string))).tensors.get('input_ids');
    expect(Array.from((await read(out))?.data as BigInt64Array)).toEqual(
      Array.from((await read(outputs.tokenize as StepOutput))?.data as BigInt64Array),
    );
    const missing = await createStepTestContext(tokenizeStep, {
      runDir: dir,
      baseDir: dir,
      stepId: 'tokenize-missing',
      inputs: { split: outputs.split as StepOutput },
      params: { tokenizer: 'no-such-folder' },
    });
    await expect(missing.run()).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'params.tokenizer',
    });
  });

  it('rejects labels outside the given label set and bad params', async () => {
    const t = await createStepTestContext(tokenizeStep, {
      runDir: dir,
      stepId: 'tok-bad',
      inputs: { split: outputs.split as StepOutput },
      params: { labels: ['neg', 'neutral'] },
    });
    await expect(t.run()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', field: 'label' });
    await expect(
      createStepTestContext(tokenizeStep, { params: { maxLength: 2 } }),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'params.maxLength',
    });
  });
});

describe('train', () => {
  it('trains a tiny BERT, emits metrics and exports ONNX + safetensors + history', async () => {
    const t = await createStepTestContext(trainStep, {
      runDir: dir,
      inputs: { tokenize: outputs.tokenize as StepOutput },
      params: {
        model: { type: 'bert', hidden: 16, layers: 1, heads: 2, dropout: 0 },
        epochs: 20,
        batchSize: 6,
        lr: 0.01,
        logEvery: 6,
      },
    });
    const out = await t.run();
    outputs.train = out;
    // 36 train rows / batch 6 = 6 steps per epoch, 20 epochs.
    expect(out.values.steps).toBe(120);
    for (const name of ['model.onnx', 'model.safetensors', 'config.json', 'tokenizer.json']) {
      expect((await stat(join(dir, out.files.model as string, name))).size).toBeGreaterThan(0);
    }
    const history = JSON.parse(await readFile(join(dir, out.files.history as string), 'utf8')) as {
      type: string;
      loss?: number;
      metrics?: Record<string, number>;
    }[];
    const evals = history.filter((h) => h.type === 'eval');
    expect(evals).toHaveLength(20);
    const metrics = out.values.metrics as Record<string, number>;
    expect(metrics.eval_accuracy).toBe(evals.at(-1)?.metrics?.eval_accuracy);
    console.log(`[steps/train] ${JSON.stringify(metrics)}`);
    expect(metrics.eval_accuracy).toBeGreaterThanOrEqual(0.9);
    const losses = t.events.filter((e) => e.type === 'metric' && e.name === 'loss');
    expect(losses).toHaveLength(20);
    const progress = t.events.filter((e) => e.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ done: 120, total: 120 });
    expect(t.events.filter((e) => e.type === 'metric' && e.name === 'eval_accuracy')).toHaveLength(
      20,
    );
  });

  it('stops when the signal is aborted', async () => {
    const t = await createStepTestContext(trainStep, {
      runDir: dir,
      stepId: 'train-cancelled',
      inputs: { tokenize: outputs.tokenize as StepOutput },
      params: { model: { type: 'mlp', hiddenSizes: [8] }, epochs: 50, batchSize: 4 },
    });
    t.controller.abort();
    const error = await t.run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('CANCELLED');
  });

  it('rejects heads that do not divide hidden', async () => {
    await expect(
      createStepTestContext(trainStep, {
        params: { model: { type: 'bert', hidden: 10, heads: 4 } },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG', field: 'params.model.heads' });
  });
});

async function predictions(
  out: StepOutput,
): Promise<{ label: string; predicted: string; correct: number; probabilities: number[] }[]> {
  return (await readFile(join(dir, out.files.predictions as string), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('evaluate', () => {
  it('runs the exported ONNX model; metrics agree with the predictions and the trainer', async () => {
    const inputs = { tokenize: outputs.tokenize as StepOutput, train: outputs.train as StepOutput };
    const t = await createStepTestContext(evaluateStep, { runDir: dir, inputs, params: {} });
    const out = await t.run();
    outputs.evaluate = out;
    const lines = await predictions(out);
    expect(lines).toHaveLength(12);
    const test = (await readFile(join(dir, outputs.split?.files.test as string), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { label: string }).label);
    expect(lines.map((l) => l.label)).toEqual(test);
    for (const line of lines) {
      expect(line.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
      const best =
        (line.probabilities[0] as number) >= (line.probabilities[1] as number) ? 'neg' : 'pos';
      expect(line.predicted).toBe(best);
      expect(line.correct).toBe(line.predicted === line.label ? 1 : 0);
    }
    // Metrics recomputed by hand from the predictions file.
    const metrics = out.values.metrics as Record<string, number>;
    expect(metrics.accuracy).toBeCloseTo(lines.filter((l) => l.correct === 1).length / 12, 12);
    const f1 = (label: string) => {
      const tp = lines.filter((l) => l.label === label && l.predicted === label).length;
      const fp = lines.filter((l) => l.label !== label && l.predicted === label).length;
      const fn = lines.filter((l) => l.label === label && l.predicted !== label).length;
      return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
    };
    expect(metrics.macro_f1).toBeCloseTo((f1('neg') + f1('pos')) / 2, 12);
    const matrix = (out.values.confusionMatrix as { matrix: number[][] }).matrix;
    expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(12);
    // On the validation split the exported model scores what the trainer's own evaluation reported.
    const v = await createStepTestContext(evaluateStep, {
      runDir: dir,
      stepId: 'evaluate-validation',
      inputs,
      params: { split: 'validation', batchSize: 5 },
    });
    const vOut = await v.run();
    const trained = outputs.train?.values.metrics as Record<string, number>;
    expect((vOut.values.metrics as Record<string, number>).accuracy).toBeCloseTo(
      trained.eval_accuracy as number,
      12,
    );
    expect((vOut.values.metrics as Record<string, number>).log_loss).toBeCloseTo(
      trained.eval_loss as number,
      4,
    );
    expect(
      v.events.filter((e) => e.type === 'progress').map((e) => (e as { done: number }).done),
    ).toEqual([5, 10, 12]);
  });

  it('names a missing split', async () => {
    const t = await createStepTestContext(evaluateStep, {
      runDir: dir,
      stepId: 'evaluate-missing',
      inputs: { tokenize: outputs.tokenize as StepOutput, train: outputs.train as StepOutput },
      params: { split: 'holdout' },
    });
    await expect(t.run()).rejects.toMatchObject({ code: 'INVALID_CONFIG', field: 'needs' });
  });
});

describe('validate', () => {
  it('compares with a baseline evaluation, applies gates and writes the report', async () => {
    // A weaker baseline: an MLP trained for one step.
    const weak = await createStepTestContext(trainStep, {
      runDir: dir,
      stepId: 'train-weak',
      inputs: { tokenize: outputs.tokenize as StepOutput },
      params: { model: { type: 'mlp', hiddenSizes: [4] }, maxSteps: 1, batchSize: 4, lr: 1e-4 },
    });
    const weakOut = await weak.run();
    const weakEval = await createStepTestContext(evaluateStep, {
      runDir: dir,
      stepId: 'evaluate-weak',
      inputs: { tokenize: outputs.tokenize as StepOutput, 'train-weak': weakOut },
    });
    const baselineOut = await weakEval.run();
    outputs['train-weak'] = weakOut;
    outputs['evaluate-weak'] = baselineOut;
    const inputs = { evaluate: outputs.evaluate as StepOutput, 'evaluate-weak': baselineOut };
    const gates = [
      { type: 'threshold', metric: 'accuracy', op: '>=', threshold: 0.5 },
      { type: 'max-regression', metric: 'accuracy', threshold: 0 },
    ];
    const t = await createStepTestContext(validateStep, {
      runDir: dir,
      inputs,
      params: { candidate: 'evaluate', baseline: { step: 'evaluate-weak' }, gates },
    });
    const out = await t.run();
    const candidate = await predictions(outputs.evaluate as StepOutput);
    const base = await predictions(baselineOut);
    const accCandidate = candidate.filter((l) => l.correct).length / 12;
    const accBase = base.filter((l) => l.correct).length / 12;
    const comparison = out.values.comparison as Record<string, number>;
    expect(comparison.n).toBe(12);
    expect(comparison.candidate).toBeCloseTo(accCandidate, 12);
    expect(comparison.baseline).toBeCloseTo(accBase, 12);
    expect(comparison.delta).toBeCloseTo(accCandidate - accBase, 12);
    // Paired t-test by hand on the per-sample differences.
    const d = candidate.map((l, i) => l.correct - (base[i]?.correct as number));
    const mean = d.reduce((a, b) => a + b, 0) / 12;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / 11);
    expect(mean / (sd / Math.sqrt(12))).toBeGreaterThan(0);
    expect(out.values.gatePassed).toBe(accCandidate >= 0.5 && accCandidate >= accBase);
    const report = await readFile(join(dir, out.files.report as string), 'utf8');
    expect(report).toContain('Model validation');
    const json = JSON.parse(await readFile(join(dir, out.files.reportJson as string), 'utf8'));
    expect(JSON.stringify(json)).toContain('accuracy');
    expect((await stat(join(dir, out.files.reportHtml as string))).size).toBeGreaterThan(0);
  });

  it('fails the step on a failed gate unless failOnGate is false', async () => {
    const inputs = { evaluate: outputs.evaluate as StepOutput };
    const gates = [{ type: 'threshold', metric: 'accuracy', op: '>', threshold: 1 }];
    const t = await createStepTestContext(validateStep, {
      runDir: dir,
      stepId: 'gate',
      inputs,
      params: { gates },
    });
    await expect(t.run()).rejects.toMatchObject({ code: 'STEP_FAILED' });
    const soft = await createStepTestContext(validateStep, {
      runDir: dir,
      stepId: 'gate-soft',
      inputs,
      params: { gates, failOnGate: false },
    });
    const out = await soft.run();
    expect(out.values.gatePassed).toBe(false);
    expect(out.values.verdict).toBeNull();
    expect(
      soft.logs.some((l) => l.level === 'warn' && l.message.includes('quality gate failed')),
    ).toBe(true);
  });

  it('rejects malformed gate rules, naming the rule field', async () => {
    await expect(
      createStepTestContext(validateStep, {
        params: { gates: [{ type: 'threshold', metric: 'accuracy', op: '>=', threshold: 'high' }] },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG', field: 'params.gates.0.threshold' });
  });
});

describe('register and deploy', () => {
  it('registers the trained model with its evaluation and lineage, then deploys it', async () => {
    const reg = await createStepTestContext(registerStep, {
      runDir: dir,
      baseDir: dir,
      inputs: { train: outputs.train as StepOutput, evaluate: outputs.evaluate as StepOutput },
      params: { registry: 'registry', model: 'reviews', alias: 'candidate' },
    });
    const regOut = await reg.run();
    expect(regOut.values.version).toBe(1);
    const registry = await createRegistry({ root: join(dir, 'registry') });
    const version = await registry.getVersion('reviews', 'candidate');
    const evaluated = (outputs.evaluate as StepOutput).values.metrics as Record<string, number>;
    expect(version.metrics.accuracy).toBe(evaluated.accuracy);
    expect(version.lineage.datasetFingerprint).toBe(outputs.tokenize?.values.datasetFingerprint);
    expect(version.lineage.datasetFingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(version.params).toMatchObject({ epochs: 20, batchSize: 6, lr: 0.01 });
    const paths = version.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'model.onnx',
        'model.safetensors',
        'config.json',
        'tokenizer.json',
        'eval/predictions.jsonl',
      ]),
    );
    expect(version.signature?.inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);

    const dep = await createStepTestContext(deployStep, {
      runDir: dir,
      baseDir: dir,
      inputs: { register: regOut },
      params: { target: 'serving/reviews' },
    });
    const depOut = await dep.run();
    const deployment = depOut.values.deployment as {
      version: number;
      target: string;
      folder: string;
    };
    expect(deployment.version).toBe(1);
    expect(deployment.target).toBe(join(dir, 'serving/reviews'));
    expect(await realpath(deployment.target)).toBe(await realpath(deployment.folder));
    const onnx = await readFile(join(deployment.target, 'model.onnx'));
    expect(
      onnx.equals(await readFile(join(dir, outputs.train?.files.model as string, 'model.onnx'))),
    ).toBe(true);
    expect((await currentDeployment(registry, { target: deployment.target }))?.version).toBe(1);
  });

  it('needs a registry, model and ref when no register step is among the needs', async () => {
    const dep = await createStepTestContext(deployStep, {
      runDir: dir,
      stepId: 'deploy-bad',
      params: { target: 'x' },
    });
    await expect(dep.run()).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'params.registry',
    });
  });
});

describe('hpo', () => {
  it('runs a seeded study in a journal; the best params retrain to the best value', async () => {
    const t = await createStepTestContext(hpoStep, {
      runDir: dir,
      inputs: { tokenize: outputs.tokenize as StepOutput },
      params: {
        base: { model: { type: 'mlp', hiddenSizes: [8] }, batchSize: 12 },
        space: {
          lr: { type: 'float', low: 0.001, high: 0.1, log: true },
          epochs: { type: 'int', low: 1, high: 4 },
        },
        nTrials: 4,
        sampler: 'random',
        seed: 3,
        metric: 'eval_loss',
        direction: 'minimize',
      },
    });
    const out = await t.run();
    expect(out.values).toMatchObject({ trials: 4, complete: 4, failed: 0 });
    const values = t.events.flatMap((e) => (e.type === 'metric' ? [e.value] : []));
    expect(values).toHaveLength(4);
    expect(out.values.bestValue).toBe(Math.min(...values));
    const best = JSON.parse(await readFile(join(dir, out.files.bestParams as string), 'utf8'));
    expect(best).toEqual(out.values.bestTrainParams);
    expect(best.lr).toBe((out.values.bestParams as { lr: number }).lr);
    // The journal holds the study: reopening it sees every trial.
    const study = await createStudy({
      name: 'hpo',
      storage: createJournalStorage({ path: join(dir, out.files.study as string) }),
      loadIfExists: true,
    });
    expect((await study.getTrials()).map((trial) => trial.state)).toEqual([
      'complete',
      'complete',
      'complete',
      'complete',
    ]);
    // Training once more with the best params (same seed, one thread) reproduces the best value.
    const retrain = await createStepTestContext(trainStep, {
      runDir: dir,
      stepId: 'train-best',
      inputs: { tokenize: outputs.tokenize as StepOutput },
      params: best,
    });
    const retrained = await retrain.run();
    expect((retrained.values.metrics as Record<string, number>).eval_loss).toBe(
      out.values.bestValue,
    );
  });

  it('prunes trials that trail the median of finished trials at the same step', async () => {
    const t = await createStepTestContext(hpoStep, {
      runDir: dir,
      stepId: 'hpo-pruned',
      inputs: { tokenize: outputs.tokenize as StepOutput },
      params: {
        base: { model: { type: 'mlp', hiddenSizes: [8] }, batchSize: 12, epochs: 3 },
        space: { lr: { type: 'categorical', choices: [0.05, 0.000001] } },
        nTrials: 6,
        sampler: 'random',
        // This seed draws lr 0.05, 0.05, 1e-6, 1e-6, 0.05, 1e-6.
        seed: 7,
        metric: 'eval_loss',
        direction: 'minimize',
        pruner: 'median',
        pruneAfterTrials: 1,
      },
    });
    const out = await t.run();
    const study = await createStudy({
      name: 'hpo-pruned',
      storage: createJournalStorage({ path: join(dir, out.files.study as string) }),
      loadIfExists: true,
    });
    const trials = await study.getTrials();
    const pruned = trials.filter((trial) => trial.state === 'pruned');
    expect(out.values).toMatchObject({ trials: 6, pruned: pruned.length, failed: 0 });
    expect(pruned.map((trial) => trial.number)).toEqual([2, 3, 5]);
    // Each pruned trial's last report is worse than the median of the trials finished before it.
    for (const trial of pruned) {
      const steps = Object.keys(trial.intermediateValues);
      const step = steps.at(-1) as string;
      const value = trial.intermediateValues[step] as number;
      const earlier = trials
        .filter((o) => o.number < trial.number && o.state === 'complete')
        .map((o) => o.intermediateValues[step])
        .filter((v): v is number => v !== undefined)
        .sort((a, b) => a - b);
      const mid = earlier.length / 2;
      const median =
        earlier.length % 2
          ? (earlier[Math.floor(mid)] as number)
          : ((earlier[mid - 1] as number) + (earlier[mid] as number)) / 2;
      expect(value).toBeGreaterThan(median);
      expect(trial.params.lr).toBe(0.000001);
    }
  });

  it('rejects an empty space and bad ranges', async () => {
    await expect(createStepTestContext(hpoStep, { params: { space: {} } })).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'params.space',
    });
    await expect(
      createStepTestContext(hpoStep, {
        params: { space: { lr: { type: 'float', low: 0, high: 1, log: true } } },
      }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIG', field: 'params.space.lr.low' });
  });
});

describe('regression', () => {
  it('runs a suite on raw texts, saves a baseline and catches a worse model', async () => {
    const store = createFileSuiteStore({ dir: join(dir, 'suites') });
    const test = (await readFile(join(dir, outputs.split?.files.test as string), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: number; text: string; label: string });
    await store.registerTestSet('reviews', {
      name: 'core',
      kind: 'critical',
      examples: test.map((r) => ({ id: String(r.id), input: r.text, expected: r.label })),
    });
    const good = await createStepTestContext(regressionStep, {
      runDir: dir,
      baseDir: dir,
      inputs: { train: outputs.train as StepOutput },
      params: { suites: 'suites', suite: 'reviews', modelVersion: 'v1', saveBaseline: true },
    });
    const goodOut = await good.run();
    const set = (
      goodOut.values.sets as { status: string; n: number; aggregate: { accuracy: number } }[]
    )[0];
    expect(goodOut.values.passed).toBe(true);
    expect(set?.status).toBe('no-baseline');
    expect(set?.n).toBe(12);
    // Texts tokenized here from the model folder score as the tokenize step's tensors did.
    const evaluated = (outputs.evaluate as StepOutput).values.metrics as Record<string, number>;
    expect(set?.aggregate.accuracy).toBeCloseTo(evaluated.accuracy as number, 12);
    const weakAccuracy = (
      (outputs['evaluate-weak'] as StepOutput).values.metrics as Record<string, number>
    ).accuracy;
    expect(weakAccuracy).toBeLessThan(evaluated.accuracy as number);
    const weakParams = {
      suites: 'suites',
      suite: 'reviews',
      modelVersion: 'weak',
      baselineVersion: 'v1',
    };
    const weak = await createStepTestContext(regressionStep, {
      runDir: dir,
      baseDir: dir,
      stepId: 'regression-weak',
      inputs: { train: outputs['train-weak'] as StepOutput },
      params: weakParams,
    });
    await expect(weak.run()).rejects.toMatchObject({ code: 'STEP_FAILED', field: 'params.suite' });
    const soft = await createStepTestContext(regressionStep, {
      runDir: dir,
      baseDir: dir,
      stepId: 'regression-soft',
      inputs: { train: outputs['train-weak'] as StepOutput },
      params: { ...weakParams, failOnRegression: false },
    });
    const softOut = await soft.run();
    expect(softOut.values.passed).toBe(false);
    const softSet = (
      softOut.values.sets as { status: string; compared: number; reasons: string[] }[]
    )[0];
    expect(softSet?.compared).toBe(12);
    expect(softSet?.reasons.length).toBeGreaterThan(0);
    expect(await readFile(join(dir, softOut.files.report as string), 'utf8')).toContain('core');
  });
});
