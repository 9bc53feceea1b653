import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createRegistry } from '@ft/registry';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStepTestContext, registerStep, type StepOutput, validateStep } from '../index.js';
import reference from './fixtures/validate-reference.json' with { type: 'json' };

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-validate-'));
});
afterEach(() => cleanup());

/** An evaluate-like output whose predictions are correct exactly where `correct` is 1. */
async function evaluation(id: string, correct: readonly number[]): Promise<StepOutput> {
  await mkdir(join(dir, id));
  const lines = correct.map((c, index) => {
    const label = index % 2 === 0 ? 'neg' : 'pos';
    const other = label === 'neg' ? 'pos' : 'neg';
    return {
      index,
      label,
      predicted: c ? label : other,
      correct: c,
      trueProbability: c ? 0.9 : 0.2,
    };
  });
  await writeFile(
    join(dir, id, 'predictions.jsonl'),
    lines.map((l) => `${JSON.stringify(l)}\n`).join(''),
  );
  const accuracy = correct.reduce((a, b) => a + b, 0) / correct.length;
  // Per-class scores by hand: even indices are 'neg', odd ones 'pos'; a miss predicts the other.
  const scores = (parity: number) => {
    const own = correct.filter((_, i) => i % 2 === parity);
    const tp = own.filter((c) => c === 1).length;
    const fn = own.length - tp;
    const fp = correct.filter((c, i) => i % 2 !== parity && c === 0).length;
    const precision = tp / (tp + fp);
    const recall = tp / (tp + fn);
    return { precision, recall, f1: (2 * tp) / (2 * tp + fp + fn), support: own.length };
  };
  const perClass = { neg: scores(0), pos: scores(1) };
  await writeFile(
    join(dir, id, 'metrics.json'),
    JSON.stringify({ metrics: { accuracy }, perClass }),
  );
  return {
    files: { predictions: `${id}/predictions.jsonl`, metrics: `${id}/metrics.json` },
    values: {},
  };
}

describe('validate against references', () => {
  it('matches scipy’s paired t-test on per-sample correctness (step baseline)', async () => {
    const inputs = {
      cand: await evaluation('cand', reference.candidate),
      base: await evaluation('base', reference.baseline),
    };
    const t = await createStepTestContext(validateStep, {
      runDir: dir,
      inputs,
      params: {
        candidate: 'cand',
        baseline: { step: 'base' },
        gates: [{ type: 'significance', metric: 'accuracy', require: 'better' }],
      },
    });
    const out = await t.run();
    const c = out.values.comparison as {
      delta: number;
      pValue: number;
      ci: { low: number; high: number };
      n: number;
    };
    expect(c.n).toBe(20);
    expect(c.delta).toBeCloseTo(reference.delta, 12);
    expect(c.pValue).toBeCloseTo(reference.pValue, 9);
    expect(c.ci.low).toBeCloseTo(reference.ciLow, 9);
    expect(c.ci.high).toBeCloseTo(reference.ciHigh, 9);
    expect(out.values.verdict).toBe('better');
    expect(out.values.gatePassed).toBe(true);
  });

  it('uses a registered version’s stored predictions as the baseline', async () => {
    const modelDir = join(dir, 'model');
    await mkdir(modelDir);
    await writeFile(join(modelDir, 'config.json'), '{"architecture":"mlp"}');
    const base = await evaluation('base', reference.baseline);
    const trainOutput: StepOutput = {
      files: { model: 'model' },
      values: { params: { lr: 0.01 }, datasetFingerprint: 'abc123', metrics: { train_loss: 0.5 } },
    };
    const reg = await createStepTestContext(registerStep, {
      runDir: dir,
      inputs: { train: trainOutput, evaluate: base },
      params: {
        registry: 'registry',
        model: 'sentiment',
        alias: 'production',
        tags: { team: 'nlp' },
      },
    });
    const regOut = await reg.run();
    expect(regOut.values).toMatchObject({
      model: 'sentiment',
      version: 1,
      alias: 'production',
      files: 3,
    });
    const registry = await createRegistry({ root: join(dir, 'registry') });
    const version = await registry.getVersion('sentiment', 'production');
    expect(version.version).toBe(1);
    expect(version.metrics).toEqual({ accuracy: 0.55 });
    expect(version.params).toEqual({ lr: 0.01 });
    // Plus the content hash that makes reruns of the register step idempotent.
    expect(version.tags).toEqual({
      team: 'nlp',
      'ft-content': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(version.lineage).toEqual({ runId: 'test-run', datasetFingerprint: 'abc123' });
    expect(version.files.map((f) => f.path)).toEqual([
      'config.json',
      'eval/metrics.json',
      'eval/predictions.jsonl',
    ]);

    const t = await createStepTestContext(validateStep, {
      runDir: dir,
      inputs: { cand: await evaluation('cand', reference.candidate) },
      params: {
        baseline: { registry: 'registry', model: 'sentiment' },
        gates: [{ type: 'max-regression', metric: 'accuracy', threshold: 0 }],
      },
    });
    const out = await t.run();
    const c = out.values.comparison as { pValue: number; baseline: number };
    expect(c.pValue).toBeCloseTo(reference.pValue, 9);
    expect(c.baseline).toBeCloseTo(0.55, 12);
    expect(out.values.gatePassed).toBe(true);

    // A baseline evaluated on other samples cannot be paired.
    const short = await createStepTestContext(validateStep, {
      runDir: dir,
      stepId: 'short',
      inputs: { cand: await evaluation('cand2', reference.candidate.slice(0, 10)) },
      params: { baseline: { registry: 'registry', model: 'sentiment', ref: 1 } },
    });
    await expect(short.run()).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'params.baseline',
    });
    const missing = await createStepTestContext(validateStep, {
      runDir: dir,
      stepId: 'missing',
      inputs: { cand: await evaluation('cand3', reference.candidate) },
      params: { baseline: { registry: 'registry', model: 'sentiment', ref: 7 } },
    });
    await expect(missing.run()).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'params.baseline.ref',
    });
  });

  it('reads gates from a YAML file and rejects a broken one', async () => {
    const inputs = { cand: await evaluation('cand', reference.candidate) };
    await writeFile(
      join(dir, 'gates.yaml'),
      'rules:\n  - type: threshold\n    metric: accuracy\n    op: ">="\n    threshold: 0.9\n',
    );
    const t = await createStepTestContext(validateStep, {
      runDir: dir,
      inputs,
      params: { gatesFile: 'gates.yaml', failOnGate: false },
    });
    const out = await t.run();
    // 17 of 20 correct: 0.85 < 0.9.
    expect(out.values.gatePassed).toBe(false);
    expect((out.values.gate as { rules: { actual: number }[] }).rules[0]?.actual).toBeCloseTo(
      0.85,
      12,
    );
    // Per-class rules: the candidate misses samples 3, 8 and 15 — neg recall 9/10, pos recall 8/10.
    const sliced = await createStepTestContext(validateStep, {
      runDir: dir,
      stepId: 'sliced',
      inputs,
      params: {
        gates: [{ type: 'threshold', metric: 'recall', op: '>=', threshold: 0.85, slices: 'all' }],
        failOnGate: false,
      },
    });
    const slicedOut = await sliced.run();
    const rules = (
      slicedOut.values.gate as { rules: { slice: string; passed: boolean; actual: number }[] }
    ).rules;
    expect(rules.map((r) => [r.slice, r.passed, r.actual])).toEqual([
      ['neg', true, 0.9],
      ['pos', false, 0.8],
    ]);
    await writeFile(join(dir, 'bad.yaml'), 'rules:\n  - type: threshold\n    metric: accuracy\n');
    const bad = await createStepTestContext(validateStep, {
      runDir: dir,
      stepId: 'bad',
      inputs,
      params: { gatesFile: 'bad.yaml' },
    });
    await expect(bad.run()).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      field: 'params.gatesFile',
    });
  });
});
