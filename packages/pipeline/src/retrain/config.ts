// A retrain loop's settings as a YAML/JSON file (policies, pipeline, data, registry, monitor),
// validated with zod; relative paths resolve against the file's folder.
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import type { RetrainLoopOptions } from './loop.js';
import { parseTriggerPolicies } from './policies.js';

const path = z.string().min(1);

const retrainConfigSchema = z.strictObject({
  /** The retrain pipeline file. */
  pipeline: path,
  /** The feedback journal (JSONL) the deployed model's predictions and corrections go to. */
  feedback: path,
  /** The original training data replay samples come from. */
  trainingData: path,
  registry: path,
  model: z.string().min(1),
  /** The deploy target. */
  target: path,
  policies: z.array(z.unknown()).min(1),
  replayRatio: z.number().min(0).optional(),
  seed: z.number().int().optional(),
  inputField: z.string().min(1).optional(),
  labelField: z.string().min(1).optional(),
  autoApprove: z.boolean().optional(),
  monitor: z
    .strictObject({
      minLabeled: z.number().int().min(1).optional(),
      windowLabeled: z.number().int().min(1).optional(),
      windowHours: z.number().gt(0).optional(),
      maxRelativeIncrease: z.number().min(0).optional(),
      minAbsoluteIncrease: z.number().min(0).optional(),
    })
    .optional(),
  env: z.record(z.string(), z.string()).optional(),
});

/** The loop options a config file gives: everything but the home and the opened feedback store. */
export type RetrainConfig = Omit<
  RetrainLoopOptions,
  'home' | 'feedback' | 'steps' | 'now' | 'onEvent' | 'versionLabel'
> & {
  /** Absolute path of the feedback journal; open it with `openFeedbackStore`. */
  feedback: string;
};

/** Reads and validates a retrain config file; errors name the file and the field. */
export async function loadRetrainConfig(file: string): Promise<RetrainConfig> {
  const full = resolve(file);
  let text: string;
  try {
    text = await readFile(full, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new PipelineError(
      missing ? 'NOT_FOUND' : 'IO_ERROR',
      missing ? 'retrain config not found; check the path' : (error as Error).message,
      { path: full, cause: error },
    );
  }
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new PipelineError(
      'INVALID_CONFIG',
      `malformed YAML: ${((error as Error).message.split('\n')[0] ?? '').replace(/:$/, '')}`,
      { path: full, cause: error },
    );
  }
  const result = retrainConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = [...(issue?.path ?? [])].map(String);
    if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) at.push(issue.keys[0]);
    throw new PipelineError(
      'INVALID_CONFIG',
      `${issue?.message ?? 'invalid config'}; fix this field of the retrain config.`,
      { path: full, field: at.join('.') || '(root)', cause: result.error },
    );
  }
  const config = result.data;
  let policies: RetrainConfig['policies'];
  try {
    policies = parseTriggerPolicies(config.policies);
  } catch (error) {
    const e = error as PipelineError;
    throw new PipelineError(e.code, e.problem, { path: full, field: e.field, cause: e });
  }
  const base = dirname(full);
  const at = (p: string) => resolve(base, p);
  return {
    ...config,
    policies,
    pipeline: at(config.pipeline),
    feedback: at(config.feedback),
    trainingData: at(config.trainingData),
    registry: at(config.registry),
    target: at(config.target),
  };
}
