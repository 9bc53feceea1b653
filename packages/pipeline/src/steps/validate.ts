// `validate` step: compares the candidate's per-sample scores with a baseline's (an earlier
// evaluate step or a registered version) and applies quality gates, writing report.md/json/html.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { sha256Hex } from '@ft/data';
import { createRegistry } from '@ft/registry';
import type { ComparisonResult, GateConfig, GateResult } from '@ft/validate';
import {
  compareToBaseline,
  evaluateGates,
  loadGates,
  validateGateConfig,
  writeReport,
} from '@ft/validate';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import type { Json } from '../types.js';
import type { PredictionLine } from './evaluate.js';
import { defineStep, findInput, outputFile, paramError, toJson } from './utils.js';

/** Where a registered version keeps the evaluation it was registered with (see the register step). */
export const REGISTERED_PREDICTIONS = 'eval/predictions.jsonl';
export const REGISTERED_METRICS = 'eval/metrics.json';

const validateParams = z
  .strictObject({
    /** Evaluate step of the candidate; the only needed step with predictions when omitted. */
    candidate: z.string().optional(),
    /** Baseline: an evaluate step among needs, or a registered version's stored evaluation. */
    baseline: z
      .union([
        z.strictObject({ step: z.string().min(1) }),
        z.strictObject({
          /** Registry folder, relative to the pipeline file. */
          registry: z.string().min(1),
          model: z.string().min(1),
          /** Version number, alias or 'latest'. @default 'production' */
          ref: z.union([z.number().int().min(1), z.string().min(1)]).default('production'),
        }),
      ])
      .optional(),
    /** Per-sample score compared: correctness (0/1, mean = accuracy) or the true label's probability. @default 'correct' */
    score: z.enum(['correct', 'trueProbability']).default('correct'),
    /** Significance test. @default 'paired-t' */
    test: z.enum(['paired-t', 'wilcoxon', 'bootstrap', 'permutation']).default('paired-t'),
    /** @default 0.05 */
    alpha: z.number().gt(0).lt(1).default(0.05),
    /** Bootstrap resamples / permutations. @default 2000 */
    resamples: z.number().int().min(100).default(2000),
    /** @default 0 */
    seed: z.number().int().default(0),
    /** Quality-gate rules (@ft/validate gate rules). */
    gates: z.array(z.record(z.string(), z.unknown())).min(1).optional(),
    /** A gate file (YAML/JSON), relative to the pipeline file. */
    gatesFile: z.string().min(1).optional(),
    /** Fail the step when a gate fails. @default true */
    failOnGate: z.boolean().default(true),
    /** Report title. @default 'Model validation' */
    title: z.string().min(1).default('Model validation'),
  })
  .superRefine((p, issues) => {
    if (p.gates !== undefined && p.gatesFile !== undefined) {
      issues.addIssue({
        code: 'custom',
        message: 'give gates or gatesFile, not both',
        path: ['gatesFile'],
      });
    }
    if (p.gates !== undefined) {
      try {
        validateGateConfig(p.gates);
      } catch (error) {
        const field = (error as { field?: string }).field;
        const index = /rules\[(\d+)\]\.?(.*)/.exec(field ?? '');
        issues.addIssue({
          code: 'custom',
          message: (error as Error).message,
          path: index
            ? ['gates', Number(index[1]), ...(index[2] ? index[2].split('.') : [])]
            : ['gates'],
        });
      }
    }
  });

/** The metric name a per-sample score averages to. */
const METRIC_OF = { correct: 'accuracy', trueProbability: 'true_probability' } as const;

function parseLines(text: string, file: string): PredictionLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as PredictionLine;
      } catch (cause) {
        throw new PipelineError('INVALID_ARGUMENT', `line ${i + 1} is not JSON`, {
          path: file,
          cause,
        });
      }
    });
}

interface Evaluation {
  lines: PredictionLine[];
  metrics: Record<string, number>;
  perClass?: Record<string, { precision: number; recall: number; f1: number; support: number }>;
  confusionMatrix?: { labels: string[]; matrix: number[][] };
  name: string;
}

async function evaluationOfStep(
  ctx: Parameters<typeof findInput>[0],
  from: string | undefined,
  field: string,
): Promise<Evaluation> {
  const { id, path } = findInput(ctx, 'predictions', from, field);
  const metricsPath = findInput(ctx, 'metrics', id, field).path;
  const stored = JSON.parse(await readFile(metricsPath, 'utf8')) as Omit<
    Evaluation,
    'lines' | 'name'
  >;
  return { ...stored, lines: parseLines(await readFile(path, 'utf8'), path), name: `step ${id}` };
}

export const validateStep = defineStep({
  type: 'validate',
  description: 'Compare the candidate with a baseline and apply quality gates; write a report',
  version: '1',
  params: validateParams,
  // The baseline registry folder changes with every register/deploy (its logs grow); only the
  // baseline version's files and the gates file matter to this step's result.
  async fingerprint(p, { baseDir }) {
    const gatesFile =
      p.gatesFile === undefined ? null : sha256Hex(await readFile(resolve(baseDir, p.gatesFile)));
    if (p.baseline === undefined || !('registry' in p.baseline))
      return { gatesFile, baseline: null };
    const registry = await createRegistry({ root: resolve(baseDir, p.baseline.registry) });
    const version = await registry
      .getVersion(p.baseline.model, p.baseline.ref)
      .catch(() => undefined);
    return {
      gatesFile,
      baseline: version
        ? version.files.map((f) => `${f.path}:${f.sha256}`).join('\n')
        : `missing ${p.baseline.model}@${p.baseline.ref}`,
    };
  },
  async run(ctx) {
    const p = ctx.params;
    const candidate = await evaluationOfStep(ctx, p.candidate, 'candidate');
    let baseline: Evaluation | undefined;
    if (p.baseline !== undefined && 'step' in p.baseline) {
      baseline = await evaluationOfStep(ctx, p.baseline.step, 'baseline.step');
    } else if (p.baseline !== undefined) {
      const registry = await createRegistry({ root: resolve(ctx.baseDir, p.baseline.registry) });
      const { model, ref } = p.baseline;
      const version = await registry.getVersion(model, ref).catch((cause: unknown) => {
        throw paramError(
          'baseline.ref',
          `cannot find ${model}@${ref} in the registry: ${(cause as Error).message}`,
        );
      });
      if (!version.files.some((f) => f.path === REGISTERED_PREDICTIONS)) {
        throw paramError(
          'baseline',
          `${model} v${version.version} has no stored ${REGISTERED_PREDICTIONS}; register it with an evaluate step among the register step's needs`,
        );
      }
      const text = new TextDecoder().decode(
        await registry.readFile(model, version.version, REGISTERED_PREDICTIONS),
      );
      baseline = {
        lines: parseLines(text, `${model}@v${version.version}:${REGISTERED_PREDICTIONS}`),
        metrics: version.metrics,
        name: `${model} v${version.version}`,
      };
    }

    const metric = METRIC_OF[p.score];
    let comparison: ComparisonResult | undefined;
    if (baseline !== undefined) {
      const b = baseline.lines;
      const c = candidate.lines;
      if (b.length !== c.length || b.some((line, i) => line.label !== c[i]?.label)) {
        throw new PipelineError(
          'INVALID_ARGUMENT',
          `the baseline (${baseline.name}, ${b.length} samples) and the candidate (${c.length} samples) were not evaluated on the same samples; evaluate both on the same test split`,
          { field: 'params.baseline' },
        );
      }
      comparison = compareToBaseline({
        metric,
        baseline: b.map((l) => l[p.score]),
        candidate: c.map((l) => l[p.score]),
        test: p.test,
        alpha: p.alpha,
        resamples: p.resamples,
        seed: p.seed,
      });
    }

    let gateConfig: GateConfig | undefined;
    if (p.gates !== undefined) gateConfig = validateGateConfig(p.gates);
    if (p.gatesFile !== undefined) {
      const file = resolve(ctx.baseDir, p.gatesFile);
      gateConfig = await loadGates(file).catch((cause: unknown) => {
        throw new PipelineError('INVALID_CONFIG', (cause as Error).message, {
          field: 'params.gatesFile',
          path: file,
          cause,
        });
      });
    }
    let gate: GateResult | undefined;
    if (gateConfig !== undefined) {
      gate = evaluateGates(gateConfig, {
        metrics: candidate.metrics,
        baselineMetrics: baseline?.metrics,
        comparisons: comparison ? [comparison] : undefined,
        // Per-class scores let rules with `slices` hold each class to a bar.
        slices: candidate.perClass,
        baselineSlices: baseline?.perClass,
      });
    }

    const written = await writeReport(ctx.outDir, {
      title: p.title,
      baselineVersion: baseline?.name,
      metrics: candidate.metrics,
      comparisons: comparison ? [comparison] : undefined,
      gates: gate,
      confusionMatrix: candidate.confusionMatrix,
      perClass: candidate.perClass,
    });
    const rel = (path: string) => outputFile(ctx, path.slice(ctx.outDir.length + 1)).rel;
    const values: Record<string, Json> = {
      verdict: comparison?.verdict ?? null,
      gatePassed: gate?.passed ?? null,
      gate: toJson(gate ?? null),
      comparison: comparison
        ? toJson({
            metric: comparison.metric,
            n: comparison.n,
            baseline: comparison.baseline,
            candidate: comparison.candidate,
            delta: comparison.delta,
            ci: comparison.ci,
            pValue: comparison.pValue,
            test: comparison.test,
            degraded: comparison.degraded.length,
          })
        : null,
    };
    if (gate !== undefined && !gate.passed) {
      const failed = gate.rules.filter((r) => !r.passed).map((r) => `${r.id}: ${r.reason}`);
      ctx.log(`quality gate failed: ${failed.join('; ')}`, p.failOnGate ? 'error' : 'warn');
      if (p.failOnGate) {
        throw new PipelineError(
          'STEP_FAILED',
          `quality gate failed (${failed.join('; ')}); see ${written.markdown}, or set failOnGate: false to continue`,
          { field: 'params.gates' },
        );
      }
    }
    return {
      files: {
        report: rel(written.markdown),
        reportJson: rel(written.json),
        reportHtml: rel(written.html),
      },
      values,
    };
  },
});
