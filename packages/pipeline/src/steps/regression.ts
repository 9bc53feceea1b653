// `regression` step: runs the trained model on an @ft/validate regression suite (a folder of
// test sets of text → expected label) and compares each set with a stored baseline version.
import { resolve } from 'node:path';
import type { TestExample } from '@ft/validate';
import { createFileSuiteStore, runSuite, suiteReportInput, writeReport } from '@ft/validate';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { loadTextClassifier } from './model-io.js';
import { defineStep, findInput, outputFile, toJson } from './utils.js';

const regressionParams = z.strictObject({
  /** Suite store folder (one sub-folder per suite), relative to the pipeline file. */
  suites: z.string().min(1),
  /** Suite name. */
  suite: z.string().min(1),
  /** Step whose `model` folder to test; the only needed step with a model when omitted. */
  model: z.string().optional(),
  /** Version recorded for this run. @default `v<n>` of a register step among needs, else the run id */
  modelVersion: z.string().min(1).optional(),
  /** Stored baseline version to compare with; nothing is compared without it. */
  baselineVersion: z.string().min(1).optional(),
  /** Store this run's scores as the baseline of modelVersion. @default false */
  saveBaseline: z.boolean().default(false),
  /** Only these sets. @default every set */
  sets: z.array(z.string().min(1)).min(1).optional(),
  /** Fail the step when a set fails its checks. @default true */
  failOnRegression: z.boolean().default(true),
  /** Texts per inference batch. @default 64 */
  batchSize: z.number().int().min(1).default(64),
  /** ONNX Runtime threads. @default 1 */
  threads: z.number().int().min(0).default(1),
});

export const regressionStep = defineStep({
  type: 'regression',
  description: 'Run a regression test suite against the model and compare with a baseline',
  version: '1',
  params: regressionParams,
  async run(ctx) {
    const p = ctx.params;
    const modelDir = findInput(ctx, 'model', p.model, 'model').path;
    const registered = Object.values(ctx.inputs).find((o) => typeof o.values.version === 'number');
    const modelVersion =
      p.modelVersion ?? (registered ? `v${registered.values.version}` : ctx.runId);
    const store = createFileSuiteStore({ dir: resolve(ctx.baseDir, p.suites) });
    const classifier = await loadTextClassifier(modelDir, p.threads);
    let result: Awaited<ReturnType<typeof runSuite>>;
    try {
      result = await runSuite<string, string, string>(store, p.suite, {
        modelVersion,
        baselineVersion: p.baselineVersion,
        saveBaseline: p.saveBaseline,
        sets: p.sets,
        batchSize: p.batchSize,
        predict: async (inputs) => {
          if (ctx.signal.aborted)
            throw new PipelineError('CANCELLED', `step "${ctx.stepId}" was cancelled`);
          return (await classifier.predict(inputs)).map((r) => r.label);
        },
        score: (output, expected, example: TestExample<string, string>) => {
          if (typeof example.input !== 'string') {
            throw new PipelineError(
              'INVALID_ARGUMENT',
              `example "${example.id}" has a non-text input; suite inputs must be texts`,
              {
                field: 'params.suite',
              },
            );
          }
          return { accuracy: output === expected ? 1 : 0 };
        },
      });
    } finally {
      await classifier.release();
    }
    const written = await writeReport(ctx.outDir, suiteReportInput(result));
    const rel = (path: string) => outputFile(ctx, path.slice(ctx.outDir.length + 1)).rel;
    const sets = result.sets.map((s) => ({
      set: s.set,
      kind: s.kind,
      status: s.status,
      passed: s.passed,
      n: s.n,
      compared: s.compared,
      aggregate: s.aggregate,
      reasons: s.reasons,
    }));
    if (!result.passed) {
      const reasons = result.sets.flatMap((s) => s.reasons.map((r) => `${s.set}: ${r}`));
      ctx.log(
        `regression suite failed: ${reasons.join('; ')}`,
        p.failOnRegression ? 'error' : 'warn',
      );
      if (p.failOnRegression) {
        throw new PipelineError(
          'STEP_FAILED',
          `regression suite "${p.suite}" failed (${reasons.join('; ')}); see ${written.markdown}, or set failOnRegression: false`,
          { field: 'params.suite' },
        );
      }
    }
    return {
      files: {
        report: rel(written.markdown),
        reportJson: rel(written.json),
        reportHtml: rel(written.html),
      },
      values: { passed: result.passed, run: result.run ?? null, modelVersion, sets: toJson(sets) },
    };
  },
});
