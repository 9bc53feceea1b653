// Steps a retrain pipeline needs beyond the built-in ones: `production-model` brings the deployed
// model into the run (to evaluate it on the same test split), `approval` holds the run for a human.
import { cp, readFile, realpath, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DEPLOYMENT_MANIFEST } from '@ft/registry';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { APPROVAL_FILE } from '../jobs/runner.js';
import type { ApprovalDecision } from '../jobs/store.js';
import { defineStep, outputFile } from '../steps/utils.js';
import type { StepDefinition } from '../types.js';

/** Written into the run folder when the approval step waits; the retrain loop looks for it. */
export const APPROVAL_REQUEST_FILE = 'approval-request.json';

/** The message prefix of the approval step's failure while no decision exists. */
const AWAITING_APPROVAL = 'waiting for approval';

const productionModelParams = z.strictObject({
  /** The deployed model folder (a deploy target), relative to the pipeline file. */
  path: z.string().min(1),
});

export const productionModelStep = defineStep({
  type: 'production-model',
  description: 'Copy the deployed model folder into the run, to evaluate it beside a candidate',
  version: '1',
  params: productionModelParams,
  // The deployed folder changes under the same path: never reuse a cached copy.
  cache: false,
  async run(ctx) {
    const source = resolve(ctx.baseDir, ctx.params.path);
    let folder: string;
    try {
      folder = await realpath(source);
    } catch (cause) {
      throw new PipelineError(
        'INVALID_CONFIG',
        `the deployed model folder ${source} does not exist; deploy a production model first`,
        { field: 'params.path', cause },
      );
    }
    const model = outputFile(ctx, 'model');
    await cp(folder, model.path, {
      recursive: true,
      filter: (path) => basename(path) !== DEPLOYMENT_MANIFEST,
    });
    const manifest = await readFile(join(folder, DEPLOYMENT_MANIFEST), 'utf8').then(
      (text) => JSON.parse(text) as { deployment?: { model?: string; version?: number } },
      () => undefined,
    );
    const version = manifest?.deployment?.version ?? null;
    ctx.log(`copied the deployed model from ${folder}${version === null ? '' : ` (v${version})`}`);
    return {
      files: { model: model.rel },
      values: { source: folder, model: manifest?.deployment?.model ?? null, version },
    };
  },
});

const booleanParam = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((value) => value === true || value === 'true');

const approvalParams = z.strictObject({
  /** The validate step whose gate decides; the only needed step with a `gatePassed` value when omitted. */
  validate: z.string().optional(),
  /** Continue without a human when the gates passed (`"true"`/`"false"` strings work for `${VAR}`). @default false */
  autoApprove: booleanParam.default(false),
});

export const approvalStep = defineStep({
  type: 'approval',
  description: 'Continue when the gates passed and autoApprove is on, or once a human approved',
  version: '1',
  params: approvalParams,
  // The decision lives outside the step folder (approval.json in the run folder).
  cache: false,
  async run(ctx) {
    const p = ctx.params;
    const validations = Object.entries(ctx.inputs).filter(
      ([id, output]) =>
        (p.validate === undefined || id === p.validate) && 'gatePassed' in output.values,
    );
    if (validations.length !== 1) {
      throw new PipelineError(
        'INVALID_CONFIG',
        p.validate === undefined
          ? `needs exactly one validate step among its needs (found ${validations.length}); set params.validate`
          : `step "${p.validate}" is not a validate step among the needs`,
        { field: p.validate === undefined ? 'needs' : 'params.validate' },
      );
    }
    const gatePassed = validations[0]?.[1].values.gatePassed ?? null;
    const decision = await readFile(join(ctx.runDir, APPROVAL_FILE), 'utf8').then(
      (text) => JSON.parse(text) as ApprovalDecision,
      () => undefined,
    );
    if (decision?.decision === 'rejected') {
      throw new PipelineError(
        'STEP_FAILED',
        `rejected${decision.by ? ` by ${decision.by}` : ''}${decision.comment ? `: ${decision.comment}` : ''}`,
      );
    }
    if (decision?.decision === 'approved') {
      ctx.log(`approved${decision.by ? ` by ${decision.by}` : ''} at ${decision.at}`);
      return {
        files: {},
        values: { approved: true, auto: false, by: decision.by ?? null, gatePassed },
      };
    }
    if (p.autoApprove && gatePassed === true) {
      ctx.log('the quality gates passed: approved automatically');
      return { files: {}, values: { approved: true, auto: true, by: null, gatePassed } };
    }
    const reason =
      gatePassed === true
        ? 'the gates passed but autoApprove is off'
        : gatePassed === false
          ? 'the quality gates failed'
          : 'the validate step ran no gates';
    await writeFile(
      join(ctx.runDir, APPROVAL_REQUEST_FILE),
      `${JSON.stringify({ reason, gatePassed, at: new Date().toISOString() }, null, 2)}\n`,
    );
    throw new PipelineError(
      'STEP_FAILED',
      `${AWAITING_APPROVAL}: ${reason}; approve or reject the job, which resumes the run here`,
    );
  },
});

/** The retrain pipeline's extra step types (add them to the registry beside the built-in ones). */
export const retrainSteps: StepDefinition[] = [productionModelStep, approvalStep];
