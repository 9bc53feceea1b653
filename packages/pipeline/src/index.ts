// Public API of @ft/pipeline.

// Errors
export { PipelineError } from './errors.js';
export type { PipelineErrorCode, PipelineErrorDetails } from './errors.js';

// Contracts
export type {
  EventBody,
  Json,
  PipelineConfig,
  PipelineEvent,
  RunState,
  RunStatus,
  StepConfig,
  StepContext,
  StepDefinition,
  StepOutput,
  StepState,
} from './types.js';

// Engine: YAML loading, DAG, run folder journal, cache, resume, retries, cancellation (src/engine)

// Built-in steps (src/steps)

// Feedback-driven retraining (src/retrain)

// Jobs, HTTP server and CLI (src/jobs, src/server, src/cli)
