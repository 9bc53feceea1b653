// Entry of a job process (forked by the job runner): runs or resumes one job's pipeline and records
// the outcome in the job store, so a crash here can never take the server down with it.
// Usage: job-runner <home> <jobId> <run|resume> [registryModule]
import { executeJob, loadStepsModule } from './execute.js';
import { createJobStore } from './store.js';

async function main(): Promise<void> {
  const [home, jobId, mode, registryModule] = process.argv.slice(2);
  if (home === undefined || jobId === undefined || (mode !== 'run' && mode !== 'resume')) {
    process.stderr.write('usage: job-runner <home> <jobId> <run|resume> [registryModule]\n');
    process.exit(2);
  }
  const controller = new AbortController();
  // The parent cancels with SIGTERM: abort so the engine records the run as cancelled, and exit
  // once that is written (the parent sends SIGKILL if it takes too long).
  process.on('SIGTERM', () => controller.abort(new Error('the job was cancelled')));
  const steps = registryModule ? await loadStepsModule(registryModule) : undefined;
  await executeJob(createJobStore({ home }), jobId, mode, {
    signal: controller.signal,
    ...(steps !== undefined ? { steps } : {}),
  });
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
