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
export { loadPipeline } from './engine/load.js';
export type { LoadPipelineOptions } from './engine/load.js';
export { createStepRegistry } from './engine/registry.js';
export type { StepRegistry } from './engine/registry.js';
export { resumeRun, runPipeline } from './engine/runner.js';
export type { ResumeRunOptions, RunPipelineOptions } from './engine/runner.js';
export { listRuns, readRunState } from './engine/run-store.js';
export { followRunEvents, readRunEvents } from './engine/events.js';
export type { FollowRunEventsOptions } from './engine/events.js';

// Built-in steps (src/steps)
export {
  builtinSteps,
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
} from './steps/index.js';
export { createStepTestContext } from './steps/testing.js';
export type { StepTestContext, StepTestContextOptions } from './steps/testing.js';
export { defineStep, parseStepParams } from './steps/utils.js';

// Feedback-driven retraining (src/retrain)
export { loadRetrainConfig } from './retrain/config.js';
export type { RetrainConfig } from './retrain/config.js';
export { createRetrainLoop } from './retrain/loop.js';
export type {
  RetrainLoop,
  RetrainLoopOptions,
  RetrainMonitorOptions,
  RetrainTickResult,
} from './retrain/loop.js';
export { evaluateTriggers, parseTriggerPolicies, triggerPolicySchema } from './retrain/policies.js';
export type {
  EvaluateTriggersOptions,
  TriggerDecision,
  TriggerPolicy,
  TriggerPolicyInput,
  TriggerState,
} from './retrain/policies.js';
export { readRetrainState, retrainStatePath, writeRetrainState } from './retrain/state.js';
export type { MonitoringState, RetrainHistoryEntry, RetrainState } from './retrain/state.js';
export {
  APPROVAL_REQUEST_FILE,
  approvalStep,
  productionModelStep,
  retrainSteps,
} from './retrain/steps.js';

// Jobs, HTTP server and CLI (src/jobs, src/server, src/cli)
export { createJobStore, FINAL_JOB_STATUSES, newJobId } from './jobs/store.js';
export type { ApprovalDecision, Job, JobStatus, JobStore, JobStoreOptions } from './jobs/store.js';
export { APPROVAL_FILE, createJobRunner, recordDecision } from './jobs/runner.js';
export { executeJob } from './jobs/execute.js';
export type { ExecuteJobOptions } from './jobs/execute.js';
export type { DecisionOptions, JobRunner, JobRunnerOptions } from './jobs/runner.js';
export { argmaxRows, createPredictor } from './server/predict.js';
export type { JsonTensor, PredictBody, Predictor } from './server/predict.js';
export { startServer } from './server/server.js';
export type { FtServer, ServerOptions } from './server/server.js';
