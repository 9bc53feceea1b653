// Pruners by name, for configs that say `pruner: { name: hyperband, reductionFactor: 3 }`; the
// name union comes from this table, so adding a pruner here is the only step.

import { HpoError } from '../errors.js';
import type { Pruner } from '../types.js';
import { createHyperbandPruner } from './hyperband.js';
import { createMedianPruner } from './median.js';
import { createNopPruner } from './nop.js';
import { createPercentilePruner } from './percentile.js';
import { createSuccessiveHalvingPruner } from './successive-halving.js';
import { createThresholdPruner } from './threshold.js';
import { createWilcoxonPruner } from './wilcoxon.js';

const PRUNER_FACTORIES = {
  median: {
    create: createMedianPruner,
    keys: ['nStartupTrials', 'nWarmupSteps', 'intervalSteps', 'nMinTrials', 'objective'],
  },
  percentile: {
    create: createPercentilePruner,
    keys: [
      'percentile',
      'nStartupTrials',
      'nWarmupSteps',
      'intervalSteps',
      'nMinTrials',
      'objective',
    ],
  },
  'successive-halving': {
    create: createSuccessiveHalvingPruner,
    keys: ['minResource', 'reductionFactor', 'minEarlyStoppingRate', 'bootstrapCount', 'objective'],
  },
  hyperband: {
    create: createHyperbandPruner,
    keys: ['minResource', 'maxResource', 'reductionFactor', 'bootstrapCount', 'objective'],
  },
  wilcoxon: { create: createWilcoxonPruner, keys: ['pThreshold', 'nStartupSteps', 'objective'] },
  threshold: {
    create: createThresholdPruner,
    keys: ['lower', 'upper', 'nWarmupSteps', 'intervalSteps'],
  },
  nop: { create: createNopPruner, keys: [] },
} as const;

/** Names accepted by `createPruner`. */
export type PrunerName = keyof typeof PRUNER_FACTORIES;

/** The options object of the pruner called `N`. */
export type PrunerOptionsOf<N extends PrunerName> = NonNullable<
  Parameters<(typeof PRUNER_FACTORIES)[N]['create']>[0]
>;

/** Every registered pruner name. */
export const prunerNames = Object.keys(PRUNER_FACTORIES) as PrunerName[];

/**
 * Creates a pruner by name. Unknown names and unknown option keys (typos in a config file)
 * throw `INVALID_ARGUMENT` listing what is accepted.
 */
export function createPruner<N extends PrunerName>(name: N, options?: PrunerOptionsOf<N>): Pruner {
  const entry = (PRUNER_FACTORIES as Record<string, (typeof PRUNER_FACTORIES)[PrunerName]>)[name];
  if (entry === undefined || !Object.hasOwn(PRUNER_FACTORIES, name)) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `createPruner: unknown pruner ${JSON.stringify(name)}; use one of ${prunerNames.join(', ')}.`,
    );
  }
  const given = (options ?? {}) as Record<string, unknown>;
  const allowed: readonly string[] = entry.keys;
  for (const key of Object.keys(given)) {
    if (!allowed.includes(key)) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `createPruner: ${name} has no option ${key}; its options are ${allowed.join(', ') || '(none)'}.`,
      );
    }
  }
  return (entry.create as (o: unknown) => Pruner)(given);
}
