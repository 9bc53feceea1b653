// `pnpm --filter @ft/pipeline bench`: the quickstart example's pipelines from scratch in a temp
// folder, the same pipeline rerun with nothing changed, and job submissions per second the HTTP
// API accepts while a job trains. Prints `name: value` lines; see bench/README.md.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  builtinSteps,
  createStepRegistry,
  loadPipeline,
  type PipelineEvent,
  type RunState,
  readRunEvents,
  runPipeline,
  startServer,
} from '../src/index.js';

/** Job submissions timed; they queue behind the training job, so none of them runs. */
const SUBMISSIONS = 200;
/** Submissions in flight at once (separate keep-alive connections). */
const CONCURRENCY = 4;
const EXAMPLE = fileURLToPath(new URL('../../../examples/quickstart/', import.meta.url));
const FILES = ['pipeline.yaml', 'baseline.yaml', 'data'];

const steps = createStepRegistry(builtinSteps);

function print(name: string, value: string): void {
  console.log(`${name}: ${value}`);
}

/** A copy of the quickstart example (pipelines and data) in `dir`. */
async function copyExample(dir: string): Promise<void> {
  for (const file of FILES) await cp(join(EXAMPLE, file), join(dir, file), { recursive: true });
}

async function run(dir: string, file: string, events?: PipelineEvent[]): Promise<RunState> {
  const state = await runPipeline(join(dir, file), {
    runsDir: join(dir, 'out', 'runs'),
    registry: steps,
    ...(events ? { onEvent: (e: PipelineEvent) => events.push(e) } : {}),
  });
  if (state.status !== 'succeeded') {
    const failed = Object.entries(state.steps).find(([, s]) => s.status === 'failed');
    throw new Error(`${file} ${state.status}: ${failed?.[0]} ${failed?.[1].error ?? ''}`);
  }
  return state;
}

/** The quickstart from scratch (baseline, then the pipeline), then the pipeline once more. */
async function pipelineBench(dir: string): Promise<void> {
  await copyExample(dir);
  let start = performance.now();
  await run(dir, 'baseline.yaml');
  await run(dir, 'pipeline.yaml');
  print('quickstart_s', ((performance.now() - start) / 1000).toFixed(2));

  const events: PipelineEvent[] = [];
  start = performance.now();
  await run(dir, 'pipeline.yaml', events);
  print('cached_rerun_s', ((performance.now() - start) / 1000).toFixed(2));
  const config = await loadPipeline(join(dir, 'pipeline.yaml'));
  const cacheable = config.steps
    .filter((step) => steps.get(step.type)?.cache !== false)
    .map((step) => step.id);
  const restored = events.filter((e) => e.type === 'step-cached').map((e) => e.step);
  const ran = cacheable.filter((id) => !restored.includes(id));
  print(
    'cached_rerun_restored',
    `${restored.length}/${cacheable.length} cacheable steps${ran.length > 0 ? ` (ran again: ${ran.join(', ')})` : ''}`,
  );
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const found = await check();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Job submissions per second over HTTP while one job trains (one job slot, so the rest queue). */
async function apiBench(home: string): Promise<void> {
  await copyExample(join(home, 'quickstart'));
  const server = await startServer({ home, maxConcurrentJobs: 1 });
  try {
    const submit = async (env: Record<string, string>): Promise<{ id: string; runDir: string }> => {
      const res = await fetch(`${server.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ pipeline: 'quickstart/pipeline.yaml', env }),
      });
      const body = (await res.json()) as { job?: { id: string; runDir: string }; error?: unknown };
      if (res.status !== 201 || body.job === undefined) {
        throw new Error(`POST /v1/jobs answered ${res.status}: ${JSON.stringify(body)}`);
      }
      return body.job;
    };
    // Enough epochs that it still trains when the submissions end; it is cancelled at close.
    const training = await submit({ EPOCHS: '500' });
    await waitFor('the job to start training', async () => {
      const events = await readRunEvents(training.runDir).catch(() => []);
      return events.some((e) => e.type === 'progress' && e.step === 'train') ? true : undefined;
    });

    let next = 0;
    const start = performance.now();
    const worker = async (): Promise<void> => {
      while (next < SUBMISSIONS) {
        next++;
        await submit({ EPOCHS: '1' });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (performance.now() - start) / 1000;
    print('api_jobs_per_s', (SUBMISSIONS / seconds).toFixed(1));
    const jobs = await server.store.list();
    const queued = jobs.filter((j) => j.status === 'queued').length;
    const running = jobs.filter((j) => j.status === 'running').length;
    print('api_jobs_state', `${running} running, ${queued} queued of ${jobs.length}`);
  } finally {
    await server.close();
  }
}

const root = await mkdtemp(join(tmpdir(), 'ft-pipeline-bench-'));
try {
  await pipelineBench(join(root, 'quickstart'));
  await apiBench(join(root, 'home'));
} finally {
  await rm(root, { recursive: true, force: true });
}
