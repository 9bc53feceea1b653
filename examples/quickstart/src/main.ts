// The quickstart: runs pipeline.yaml (ingest → clean → split → tokenize → train → evaluate →
// validate → register → deploy) with the @ft/pipeline engine, then prints the validation report's
// path and the candidate's accuracy against the production model. Run it with `pnpm start`.
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  builtinSteps,
  createStepRegistry,
  type Json,
  type PipelineEvent,
  type RunState,
  runPipeline,
} from '@ft/pipeline';
import { createRegistry } from '@ft/registry';

const root = fileURLToPath(new URL('..', import.meta.url));
const runsDir = join(root, 'out', 'runs');
// The same folder and model name as in pipeline.yaml and baseline.yaml.
const registryDir = join(root, 'out', 'registry');
const MODEL = 'support-tickets';

const steps = createStepRegistry(builtinSteps);
// Ctrl-C cancels the running step cleanly; the next start restores finished steps from the cache.
const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));

function printEvent(event: PipelineEvent): void {
  if (event.type === 'step-cached') console.log(`  ${event.step}: restored from the cache`);
  else if (event.type === 'step-end')
    console.log(`  ${event.step}: done in ${event.durationMs} ms`);
  else if (event.type === 'step-fail') console.log(`  ${event.step}: FAILED: ${event.error}`);
  else if (event.type === 'metric' && event.name === 'eval_accuracy') {
    console.log(`    step ${event.trainingStep}: validation accuracy ${event.value.toFixed(3)}`);
  }
}

async function run(file: string): Promise<RunState> {
  const state = await runPipeline(join(root, file), {
    runsDir,
    registry: steps,
    onEvent: printEvent,
    signal: controller.signal,
  });
  console.log(`${file}: ${state.status} (run folder ${rel(join(runsDir, state.runId))})`);
  if (state.status !== 'succeeded') {
    const failed = Object.entries(state.steps).find(([, s]) => s.status === 'failed');
    throw new Error(
      `${file} ${state.status}${failed ? ` at step ${failed[0]}: ${failed[1].error}` : ''}; see ${rel(join(runsDir, state.runId, 'logs'))}`,
    );
  }
  return state;
}

async function productionVersion(): Promise<number | undefined> {
  const registry = await createRegistry({ root: registryDir });
  const model = (await registry.listModels()).find((m) => m.name === MODEL);
  return model?.aliases.production;
}

/** A nested value of a step's output, e.g. `values(state, 'validate').comparison`. */
function values(state: RunState, step: string): Record<string, Json> {
  return state.steps[step]?.output?.values ?? {};
}

const fmt = (value: Json | undefined): string =>
  typeof value !== 'number'
    ? String(value)
    : value !== 0 && Math.abs(value) < 1e-4
      ? value.toExponential(2)
      : value.toFixed(4);
const rel = (path: string): string => relative(process.cwd(), path) || '.';

async function main(): Promise<void> {
  // 1. A production model to compare with: the registry's, or a first small one trained now.
  let baseline = await productionVersion();
  if (baseline === undefined) {
    console.log('The registry has no production model yet: training a small baseline first.');
    await run('baseline.yaml');
    baseline = await productionVersion();
  }
  console.log(`Baseline: ${MODEL} v${baseline} (production)\n`);

  // 2. The pipeline itself. Unchanged steps of earlier runs are restored from the step cache.
  const state = await run('pipeline.yaml');
  const runDir = join(runsDir, state.runId);

  // 3. What it found: the validate step's report and comparison, and what was deployed.
  const validate = state.steps.validate?.output;
  const comparison = (values(state, 'validate').comparison ?? {}) as Record<string, Json>;
  const ci = (comparison.ci ?? {}) as Record<string, Json>;
  const gate = (values(state, 'validate').gate ?? { rules: [] }) as {
    rules: { id: string; passed: boolean; reason: string }[];
  };
  const registered = values(state, 'register');
  const deployment = (values(state, 'deploy').deployment ?? {}) as Record<string, Json>;

  const report = (name: string) => rel(join(runDir, validate?.files[name] ?? ''));
  console.log(`\nReport: ${report('report')}`);
  console.log(`        ${report('reportHtml')} (charts), ${report('reportJson')}`);
  console.log(`\nTest accuracy on ${comparison.n} tickets (${comparison.test} test):`);
  console.log(`  baseline  ${MODEL} v${baseline}: ${fmt(comparison.baseline)}`);
  console.log(`  candidate (this run):    ${fmt(comparison.candidate)}`);
  const level = typeof ci.level === 'number' ? `${Math.round(ci.level * 100)}%` : '';
  console.log(`  delta ${fmt(comparison.delta)}, ${level} CI [${fmt(ci.low)}, ${fmt(ci.high)}]`);
  console.log(`  p-value ${fmt(comparison.pValue)}, verdict: ${values(state, 'validate').verdict}`);
  if (registered.version === baseline) {
    console.log(
      '  (the candidate is the production model itself: nothing changed since last time)',
    );
  }
  console.log('Quality gate:');
  for (const rule of gate.rules) console.log(`  ${rule.passed ? 'pass' : 'FAIL'} ${rule.reason}`);
  console.log(
    `\nRegistered ${MODEL} v${registered.version} as production; deployed to ${rel(String(deployment.target))}`,
  );
}

main().catch((error: unknown) => {
  console.error(`\nquickstart: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
