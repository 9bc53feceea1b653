// The built-in step types; `createStepRegistry(builtinSteps)` gives the default registry.

import { retrainSteps } from '../retrain/steps.js';
import type { StepDefinition } from '../types.js';
import { cleanStep } from './clean.js';
import { dedupStep } from './dedup.js';
import { deployStep } from './deploy.js';
import { evaluateStep } from './evaluate.js';
import { hpoStep } from './hpo.js';
import { ingestStep } from './ingest.js';
import { labelStep } from './label.js';
import { registerStep } from './register.js';
import { regressionStep } from './regression.js';
import { splitStep } from './split.js';
import { tokenizeStep } from './tokenize.js';
import { trainStep } from './train.js';
import { validateStep } from './validate.js';

export {
  cleanStep,
  dedupStep,
  deployStep,
  evaluateStep,
  hpoStep,
  ingestStep,
  labelStep,
  registerStep,
  regressionStep,
  splitStep,
  tokenizeStep,
  trainStep,
  validateStep,
};

/** Every built-in step definition, in pipeline order. */
export const builtinSteps: StepDefinition[] = [
  ingestStep,
  cleanStep,
  dedupStep,
  labelStep,
  splitStep,
  tokenizeStep,
  hpoStep,
  trainStep,
  evaluateStep,
  validateStep,
  regressionStep,
  registerStep,
  deployStep,
  // production-model and approval: used by retraining pipelines, so a job approved through the
  // server or `ft approve` resumes with them.
  ...retrainSteps,
];
