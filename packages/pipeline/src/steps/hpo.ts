// `hpo` step: an @ft/hpo study (TPE or random) over a small search space of train params, each
// trial a short training run scored on the validation split; the journal lives in the step folder.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ObjectiveTrial } from '@ft/hpo';
import {
  createJournalStorage,
  createMedianPruner,
  createRandomSampler,
  createStudy,
  createTpeSampler,
  TrialPruned,
  trialsToCsv,
} from '@ft/hpo';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import type { Json } from '../types.js';
import { finalMetrics, readTokenizeOutputs, trainClassifier, trainParams } from './train.js';
import { defineStep, outputFile, paramError, toJson, writeJson } from './utils.js';

const dimension = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('float'),
    low: z.number(),
    high: z.number(),
    /** Sample on a log scale. @default false */
    log: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('int'),
    low: z.number().int(),
    high: z.number().int(),
    /** @default 1 */
    step: z.number().int().min(1).default(1),
  }),
  z.strictObject({
    type: z.literal('categorical'),
    choices: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1),
  }),
]);

const hpoParams = z
  .strictObject({
    /** Step whose tensors to train on; the only needed tokenize step when omitted. */
    from: z.string().optional(),
    /** Train params shared by every trial (see the train step). @default {} */
    base: z.record(z.string(), z.unknown()).default({}),
    /** Train param (dotted path, e.g. `lr`, `model.hidden`) → its search range. */
    space: z
      .record(z.string().min(1), dimension)
      .refine((s) => Object.keys(s).length > 0, 'give at least one parameter to search'),
    /** Trials to run. @default 8 */
    nTrials: z.number().int().min(1).default(8),
    /** @default 'tpe' */
    sampler: z.enum(['tpe', 'random']).default('tpe'),
    /** Seed of the sampler. @default 0 */
    seed: z.number().int().min(0).default(0),
    /** Validation metric to optimise, as the train step reports it. @default 'eval_accuracy' */
    metric: z.string().min(1).default('eval_accuracy'),
    /** @default 'maximize' */
    direction: z.enum(['maximize', 'minimize']).default('maximize'),
    /**
     * Stop trials whose validation metric trails the median of finished trials at the same step
     * (reported at every evaluation; set base.evalSteps for reports within an epoch). @default 'none'
     */
    pruner: z.enum(['none', 'median']).default('none'),
    /** Finished trials before the median pruner acts. @default 2 */
    pruneAfterTrials: z.number().int().min(1).default(2),
  })
  .superRefine((p, issues) => {
    for (const [name, d] of Object.entries(p.space)) {
      if (d.type !== 'categorical' && !(d.low <= d.high)) {
        issues.addIssue({
          code: 'custom',
          message: `low must be ≤ high`,
          path: ['space', name, 'low'],
        });
      }
      if (d.type === 'float' && d.log && d.low <= 0) {
        issues.addIssue({
          code: 'custom',
          message: 'a log scale needs low > 0',
          path: ['space', name, 'low'],
        });
      }
    }
  });

/** Sets `value` at a dotted path of a plain object (creating objects on the way). */
function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    node[key] = next !== null && typeof next === 'object' ? { ...(next as object) } : {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
}

function suggest(trial: ObjectiveTrial, name: string, d: z.infer<typeof dimension>): unknown {
  if (d.type === 'float') return trial.suggestFloat(name, d.low, d.high, { log: d.log });
  if (d.type === 'int') return trial.suggestInt(name, d.low, d.high, { step: d.step });
  return trial.suggestCategorical(name, d.choices);
}

export const hpoStep = defineStep({
  type: 'hpo',
  description: 'Search train hyperparameters with short training runs (TPE or random)',
  version: '1',
  params: hpoParams,
  async run(ctx) {
    const p = ctx.params;
    // Check the base params and every searched path once, before any trial runs.
    const base = trainParams.safeParse(p.base);
    if (!base.success) {
      const issue = base.error.issues[0];
      throw paramError(
        ['base', ...(issue?.path ?? []).map(String)].join('.'),
        issue?.message ?? 'invalid train params',
      );
    }
    const data = await readTokenizeOutputs(ctx, p.from);
    if (data.validation === undefined || data.validation.rows === 0) {
      throw new PipelineError(
        'INVALID_CONFIG',
        'hpo scores trials on the validation split; give the split step a validation ratio',
        {
          field: 'needs',
        },
      );
    }
    const journal = outputFile(ctx, 'study.jsonl');
    const study = await createStudy({
      name: ctx.stepId,
      direction: p.direction,
      storage: createJournalStorage({ path: journal.path }),
      pruner:
        p.pruner === 'median'
          ? createMedianPruner({ nStartupTrials: p.pruneAfterTrials })
          : undefined,
      sampler:
        p.sampler === 'tpe'
          ? createTpeSampler({ seed: p.seed, nStartupTrials: Math.min(4, p.nTrials) })
          : createRandomSampler({ seed: p.seed }),
    });
    let finished = 0;
    await study.optimize(
      async (trial) => {
        const raw = structuredClone(p.base) as Record<string, unknown>;
        for (const [name, d] of Object.entries(p.space))
          setPath(raw, name, suggest(trial, name, d));
        const parsed = trainParams.safeParse(raw);
        if (!parsed.success) {
          throw paramError(
            `space`,
            `trial ${trial.number}: ${parsed.error.issues[0]?.message ?? 'invalid train params'}`,
          );
        }
        const trained = await trainClassifier({
          params: parsed.data,
          train: data.train,
          validation: data.validation,
          labels: data.labels,
          vocabSize: data.vocabSize,
          outputDir: join(ctx.outDir, 'trials', String(trial.number)),
          signal: ctx.signal,
          stepId: ctx.stepId,
          onEval: async (step, metrics) => {
            const value = metrics[p.metric];
            if (value === undefined || !Number.isFinite(value)) return;
            await trial.report(value, step);
            if (await trial.shouldPrune())
              throw new TrialPruned(`trial ${trial.number} pruned at step ${step}`);
          },
        });
        await trained.release();
        const value = finalMetrics(trained.result.history)[p.metric];
        if (value === undefined || !Number.isFinite(value)) {
          throw paramError(
            'metric',
            `training reported no finite "${p.metric}"; use eval_loss or eval_accuracy`,
          );
        }
        return value;
      },
      {
        nTrials: p.nTrials,
        // A cancelled run stops the study; any other trial error only fails that trial.
        catch: (error) => !(error instanceof PipelineError && error.code === 'CANCELLED'),
        callbacks: [
          (_study, trial) => {
            finished++;
            ctx.emit({ type: 'progress', done: finished, total: p.nTrials, label: 'trials' });
            if (trial.values?.[0] !== undefined) {
              ctx.emit({
                type: 'metric',
                name: p.metric,
                value: trial.values[0],
                trainingStep: trial.number,
              });
            } else {
              ctx.log(`trial ${trial.number} ${trial.state}`, 'warn');
            }
          },
        ],
      },
    );
    const trials = await study.getTrials();
    const complete = trials.filter((t) => t.state === 'complete');
    if (complete.length === 0) {
      throw new PipelineError(
        'STEP_FAILED',
        `all ${trials.length} trials failed; see the step log and ${journal.rel}`,
      );
    }
    const bestParams = await study.bestParams();
    const bestValue = await study.bestValue();
    const best = structuredClone(p.base) as Record<string, unknown>;
    for (const [name, value] of Object.entries(bestParams)) setPath(best, name, value);
    const bestFile = outputFile(ctx, 'best-params.json');
    await writeJson(bestFile.path, best);
    const table = outputFile(ctx, 'trials.csv');
    await writeFile(table.path, trialsToCsv(trials));
    ctx.log(`best ${p.metric} ${bestValue} with ${JSON.stringify(bestParams)}`);
    return {
      files: { study: journal.rel, bestParams: bestFile.rel, trials: table.rel },
      values: {
        bestValue,
        bestParams: toJson(bestParams),
        bestTrainParams: toJson(best) as Json,
        trials: trials.length,
        complete: complete.length,
        pruned: trials.filter((t) => t.state === 'pruned').length,
        failed: trials.filter((t) => t.state === 'fail').length,
      },
    };
  },
});
