// Hyperband pruner (Optuna's HyperbandPruner): several successive-halving brackets with
// increasing minimum early-stopping rates; each trial is assigned to one bracket by a CRC-32 hash
// of "<study name>_<trial number>" weighted by the bracket budgets, exactly like Optuna, and
// competes only with trials of its bracket.
//
// Difference from Optuna: Optuna also hides other brackets' trials from the sampler (TPE sees
// a per-bracket study). A Sampler here receives the whole study, so samplers see every trial;
// `getHyperbandBracket` is exported for a sampler that wants to filter the same way. Rung values
// are derived from reports as described in successive-halving.ts. With `maxResource: 'auto'`
// trials that finished before the first complete trial are left out of every bracket.
// Multi-objective studies need `objective` (see utils.ts).

import { HpoError } from '../errors.js';
import type { FrozenTrial, Pruner, StudyView } from '../types.js';
import { finishedBeforeFirstComplete, successiveHalvingPrune } from './successive-halving.js';
import {
  checkBootstrapCount,
  checkInteger,
  checkObjective,
  maxCompleteLastStep,
  rankingDirection,
} from './utils.js';

export interface HyperbandPrunerOptions {
  /** Steps before the first rung of the most aggressive bracket. @default 1 */
  minResource?: number;
  /** Steps a trial runs at most; 'auto' = last step + 1 of the trials complete when first needed. @default 'auto' */
  maxResource?: number | 'auto';
  /** η: about 1/η of the trials at a rung are promoted, and brackets = ⌊log_η(max/min)⌋ + 1. @default 3 */
  reductionFactor?: number;
  /** Trials that must reach a rung before any is promoted from it; needs a numeric maxResource. @default 0 */
  bootstrapCount?: number;
  /** Multi-objective studies: index of the objective whose direction ranks the reports. */
  objective?: number;
}

/** Resolved Hyperband geometry. */
export interface HyperbandBrackets {
  /** Number of brackets. */
  count: number;
  /** Trial allocation budget per bracket (bracket i has min early-stopping rate i). */
  budgets: number[];
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (zlib/`binascii.crc32`) of a string's UTF-8 bytes. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc = (CRC_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Bracket count and budgets for the given resources (Optuna's formulas). */
export function hyperbandBrackets(
  minResource: number,
  maxResource: number,
  reductionFactor: number,
): HyperbandBrackets {
  const count = Math.floor(Math.log(maxResource / minResource) / Math.log(reductionFactor)) + 1;
  const budgets: number[] = [];
  for (let bracket = 0; bracket < count; bracket++) {
    const s = count - 1 - bracket;
    budgets.push(Math.ceil((count * reductionFactor ** s) / (s + 1)));
  }
  return { count, budgets };
}

/** The bracket of trial `trialNumber` in study `studyName` (same assignment as Optuna). */
export function getHyperbandBracket(
  studyName: string,
  trialNumber: number,
  brackets: HyperbandBrackets,
): number {
  const total = brackets.budgets.reduce((a, b) => a + b, 0);
  let n = crc32(`${studyName}_${trialNumber}`) % total;
  for (let bracket = 0; bracket < brackets.count; bracket++) {
    n -= brackets.budgets[bracket] as number;
    if (n < 0) return bracket;
  }
  return brackets.count - 1;
}

/** Prunes by Hyperband: successive halving in hash-assigned brackets. */
export function createHyperbandPruner(options: HyperbandPrunerOptions = {}): Pruner {
  const factory = 'createHyperbandPruner';
  const {
    minResource = 1,
    maxResource = 'auto',
    reductionFactor = 3,
    bootstrapCount = 0,
    objective,
  } = options;
  checkInteger(factory, 'minResource', minResource, 1);
  if (maxResource !== 'auto') {
    checkInteger(factory, 'maxResource', maxResource, 1);
    if (maxResource < minResource) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `${factory}: maxResource (${maxResource}) is below minResource (${minResource}); pass maxResource ≥ minResource.`,
      );
    }
  }
  checkInteger(factory, 'reductionFactor', reductionFactor, 2);
  checkBootstrapCount(factory, bootstrapCount, 'maxResource', maxResource);
  checkObjective(factory, objective);
  // Like Optuna, brackets are fixed the first time they can be computed.
  let brackets: HyperbandBrackets | undefined;

  return {
    name: 'hyperband',
    prune(study: StudyView, trial: FrozenTrial): boolean {
      const direction = rankingDirection('hyperband', study, objective);
      if (brackets === undefined) {
        let max = maxResource;
        if (max === 'auto') {
          const maxLast = maxCompleteLastStep(study);
          if (maxLast === undefined || maxLast + 1 < minResource) return false;
          max = maxLast + 1;
        }
        brackets = hyperbandBrackets(minResource, max, reductionFactor);
      }
      const geometry = brackets;
      const bracket = getHyperbandBracket(study.name, trial.number, geometry);
      const peers = study.trials.filter(
        (t) => getHyperbandBracket(study.name, t.number, geometry) === bracket,
      );
      const excluded =
        maxResource === 'auto' ? finishedBeforeFirstComplete(study.trials) : new Set<number>();
      return successiveHalvingPrune(
        peers,
        trial,
        { minResource, reductionFactor, minEarlyStoppingRate: bracket, bootstrapCount, direction },
        excluded,
      );
    },
  };
}
