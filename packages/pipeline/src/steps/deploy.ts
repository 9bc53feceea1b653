// `deploy` step: puts a registered version (by number, alias, or the one a register step made)
// into a target folder with @ft/registry's deploy, which keeps a rollback folder.
import { resolve } from 'node:path';
import { createRegistry, deploy } from '@ft/registry';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { defineStep } from './utils.js';

const deployParams = z.strictObject({
  /** Registry folder, relative to the pipeline file. @default the register step's registry */
  registry: z.string().min(1).optional(),
  /** Model name. @default the register step's model */
  model: z.string().min(1).optional(),
  /** Version number, alias or 'latest'. @default the version the register step among needs made */
  ref: z.union([z.number().int().min(1), z.string().min(1)]).optional(),
  /** Folder readers load from (becomes a symlink to the live deployment), relative to the pipeline file. */
  target: z.string().min(1),
  /** Deployment folders kept for rollback. @default 3 */
  keepFolders: z.number().int().min(2).default(3),
});

export const deployStep = defineStep({
  type: 'deploy',
  description: 'Deploy a registered model version to a target folder',
  version: '1',
  params: deployParams,
  // Deploying changes a target outside the run folder: it runs on every rerun (same version →
  // same files), never restored from the cache.
  cache: false,
  async run(ctx) {
    const p = ctx.params;
    const registered = Object.values(ctx.inputs).filter(
      (o) => typeof o.values.version === 'number' && typeof o.values.registry === 'string',
    );
    const from = registered.length === 1 ? registered[0]?.values : undefined;
    const root =
      p.registry === undefined
        ? (from?.registry as string | undefined)
        : resolve(ctx.baseDir, p.registry);
    const model = p.model ?? (from?.model as string | undefined);
    const ref = p.ref ?? (from?.version as number | undefined);
    if (root === undefined || model === undefined || ref === undefined) {
      throw new PipelineError(
        'INVALID_CONFIG',
        'set registry, model and ref, or add one register step to needs to deploy the version it made',
        {
          field:
            root === undefined
              ? 'params.registry'
              : model === undefined
                ? 'params.model'
                : 'params.ref',
        },
      );
    }
    const registry = await createRegistry({ root });
    const record = await deploy(registry, {
      model,
      ref,
      target: resolve(ctx.baseDir, p.target),
      keepFolders: p.keepFolders,
    });
    ctx.log(`deployed ${model} v${record.version} to ${record.target}`);
    return {
      files: {},
      values: {
        deployment: {
          id: record.id,
          model: record.model,
          version: record.version,
          target: record.target,
          folder: record.folder,
          previous: record.previous ?? null,
        },
      },
    };
  },
});
