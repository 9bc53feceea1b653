// What the run, status and job commands of the CLI need from the engine and the job layer, as one
// module the CLI imports lazily (see commands.ts).
export { followRunEvents } from '../engine/events.js';
export { createStepRegistry } from '../engine/registry.js';
export { listRuns, readRunState } from '../engine/run-store.js';
export { resumeRun, runPipeline } from '../engine/runner.js';
export { executeJob, loadBuiltinSteps, loadStepsModule } from '../jobs/execute.js';
export { recordDecision } from '../jobs/runner.js';
export { createJobStore } from '../jobs/store.js';
