// The `ft` commands: run/resume pipelines, inspect runs and reports, manage the registry and the
// feedback store, follow events, approve jobs and serve the HTTP API. Each returns an exit code.
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PipelineError } from '../errors.js';
import type { RunState, RunStatus, StepDefinition } from '../types.js';
import {
  type CommandSpec,
  commandHelp,
  EXIT,
  intFlag,
  keyValueFlags,
  type ParsedArgs,
  UsageError,
} from './args.js';
import { createEventPrinter, formatDuration, type Output, stepsTable, table } from './output.js';

// Dependencies are imported inside the commands that use them: @ft/validate, @ft/registry and
// the engine together take seconds to load, and `ft --help` or `ft feedback add` need none of them.
const engine = () => import('./engine-deps.js');

export interface CliContext {
  out: Output;
  err: Output;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export interface Command extends CommandSpec {
  run(args: ParsedArgs, context: CliContext): Promise<number>;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function homeOf(args: ParsedArgs, ctx: CliContext): string {
  return resolve(ctx.cwd, str(args.values.home) ?? ctx.env.FT_HOME ?? '.ft');
}

function runsDirOf(args: ParsedArgs, ctx: CliContext): string {
  const flag = str(args.values['runs-dir']);
  return flag !== undefined ? resolve(ctx.cwd, flag) : join(homeOf(args, ctx), 'runs');
}

function printJson(ctx: CliContext, value: unknown): void {
  ctx.out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Built-in steps plus those of `--steps <module>` (a module exporting `steps`). */
async function stepsFor(args: ParsedArgs, ctx: CliContext): Promise<StepDefinition[]> {
  const { loadBuiltinSteps, loadStepsModule } = await engine();
  const module = str(args.values.steps);
  const extra = module !== undefined ? await loadStepsModule(resolve(ctx.cwd, module)) : [];
  return [...(await loadBuiltinSteps()), ...extra];
}

/** Exit code of a finished run: waiting for approval is not a failure. */
function runExit(state: RunState): number {
  return state.status === 'succeeded' || state.status === 'waiting-approval'
    ? EXIT.ok
    : EXIT.failure;
}

function finishRun(state: RunState, args: ParsedArgs, ctx: CliContext): number {
  if (args.values.json) printJson(ctx, state);
  else ctx.out.write(`\n${stepsTable(state)}`);
  return runExit(state);
}

const stepsFlag = {
  steps: {
    type: 'string' as const,
    description: 'module exporting `steps` (StepDefinition[]) to add to the built-in steps',
  },
};
const runsDirFlag = {
  'runs-dir': {
    type: 'string' as const,
    description: 'folder of run folders (default: <home>/runs)',
  },
};

const run: Command = {
  name: 'run',
  usage: '<pipeline.yaml>',
  summary: 'Runs a pipeline in a new run folder, printing its events; exit 1 if it fails.',
  positionals: ['pipeline'],
  flags: {
    ...runsDirFlag,
    'run-id': { type: 'string', description: 'name of the run folder (default: time + random)' },
    env: {
      type: 'string',
      multiple: true,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: help text showing the YAML syntax.
      description: 'KEY=VALUE, for ${KEY} references in the pipeline',
    },
    ...stepsFlag,
  },
  async run(args, ctx) {
    const env = keyValueFlags(args.values.env, 'env', commandHelp(run));
    const { createStepRegistry, runPipeline } = await engine();
    const registry = createStepRegistry(await stepsFor(args, ctx));
    const runId = str(args.values['run-id']);
    const state = await runPipeline(resolve(ctx.cwd, args.positionals.pipeline ?? ''), {
      runsDir: runsDirOf(args, ctx),
      registry,
      env,
      signal: ctx.signal,
      ...(runId !== undefined ? { runId } : {}),
      ...(args.values.json ? {} : { onEvent: createEventPrinter(ctx.out) }),
    });
    return finishRun(state, args, ctx);
  },
};

const resume: Command = {
  name: 'resume',
  usage: '<runDir>',
  summary: 'Continues a failed or cancelled run from its first unfinished step.',
  positionals: ['runDir'],
  flags: { ...stepsFlag },
  async run(args, ctx) {
    const { createStepRegistry, resumeRun } = await engine();
    const registry = createStepRegistry(await stepsFor(args, ctx));
    const state = await resumeRun(resolve(ctx.cwd, args.positionals.runDir ?? ''), {
      registry,
      signal: ctx.signal,
      ...(args.values.json ? {} : { onEvent: createEventPrinter(ctx.out) }),
    });
    return finishRun(state, args, ctx);
  },
};

const status: Command = {
  name: 'status',
  usage: '[<runId>]',
  summary: "Shows a run's status and steps (the newest run when no id is given).",
  positionals: ['runId?'],
  flags: { ...runsDirFlag },
  async run(args, ctx) {
    const { listRuns, readRunState } = await engine();
    const runsDir = runsDirOf(args, ctx);
    const runId = args.positionals.runId;
    let state: RunState | undefined;
    if (runId !== undefined) state = await readRunState(join(runsDir, runId));
    else state = (await listRuns(runsDir))[0];
    if (state === undefined) {
      throw new PipelineError('NOT_FOUND', `no runs in ${runsDir}; start one with \`ft run\`.`);
    }
    if (args.values.json) printJson(ctx, state);
    else {
      ctx.out.write(
        `run ${state.runId}: ${state.pipeline} ${state.status} (updated ${state.updatedAt})\n\n${stepsTable(state)}`,
      );
    }
    return runExit(state);
  },
};

const runs: Command = {
  name: 'runs',
  usage: '',
  summary: 'Lists runs, newest first.',
  positionals: [],
  flags: { ...runsDirFlag },
  async run(args, ctx) {
    const { listRuns } = await engine();
    const states = await listRuns(runsDirOf(args, ctx));
    if (args.values.json) {
      printJson(ctx, states);
      return EXIT.ok;
    }
    const rows = states.map((state) => {
      const steps = Object.values(state.steps);
      const done = steps.filter((s) => s.status === 'succeeded' || s.status === 'cached').length;
      return [
        state.runId,
        state.status,
        state.pipeline,
        `${done}/${steps.length}`,
        state.createdAt,
      ];
    });
    ctx.out.write(table(['RUN', 'STATUS', 'PIPELINE', 'STEPS', 'CREATED'], rows));
    return EXIT.ok;
  },
};

const report: Command = {
  name: 'report',
  usage: '<runDir>',
  summary:
    "Writes the run report to <runDir>/report/ (report.md, report.html, report.json): steps with timings and attempts, data statistics and metrics from the steps' values, and the baseline comparisons, gate results and confusion matrices of its validate steps; prints the paths.",
  positionals: ['runDir'],
  flags: {},
  async run(args, ctx) {
    const { readRunState } = await engine();
    const runDir = resolve(ctx.cwd, args.positionals.runDir ?? '');
    const state = await readRunState(runDir);
    const { writeReport } = await import('@ft/validate');
    type ReportInput = Parameters<typeof writeReport>[1];
    const metrics: Record<string, number> = {};
    const comparisons: NonNullable<ReportInput['comparisons']> = [];
    const gateRules: NonNullable<ReportInput['gates']>['rules'] = [];
    let gatesSeen = false;
    let confusionMatrix: ReportInput['confusionMatrix'];
    let perClass: ReportInput['perClass'];
    const registered: string[] = [];
    for (const [id, step] of Object.entries(state.steps)) {
      const values = step.output?.values ?? {};
      for (const [name, value] of Object.entries(values)) {
        if (typeof value === 'number' && Number.isFinite(value)) metrics[`${id}.${name}`] = value;
      }
      if (typeof values.model === 'string' && typeof values.version === 'number') {
        registered.push(`${id}: ${values.model} v${values.version}`);
      }
      // A step's own report (validate writes one) carries the full comparison and gate results.
      const own = step.output?.files.reportJson;
      if (own === undefined) continue;
      const parsed = JSON.parse(await readFile(join(runDir, own), 'utf8')) as ReportInput;
      comparisons.push(...(parsed.comparisons ?? []));
      if (parsed.gates) {
        gatesSeen = true;
        gateRules.push(...parsed.gates.rules.map((r) => ({ ...r, id: `${id}: ${r.id}` })));
      }
      confusionMatrix ??= parsed.confusionMatrix;
      perClass ??= parsed.perClass;
    }
    const lines = Object.entries(state.steps).map(
      ([id, step]) =>
        `${id}: ${step.status}, ${formatDuration(step.durationMs)}, ${step.attempts} attempt${step.attempts === 1 ? '' : 's'}${step.error ? ` (${step.error})` : ''}`,
    );
    const written = await writeReport(join(runDir, 'report'), {
      title: `Run ${state.runId}: ${state.pipeline} (${state.status})`,
      createdAt: state.createdAt,
      metrics,
      ...(comparisons.length > 0 ? { comparisons } : {}),
      ...(gatesSeen
        ? { gates: { passed: gateRules.every((r) => r.passed), rules: gateRules } }
        : {}),
      ...(confusionMatrix ? { confusionMatrix } : {}),
      ...(perClass ? { perClass } : {}),
      sections: [
        { title: 'Steps', body: lines.join('\n\n') },
        ...(registered.length > 0
          ? [{ title: 'Registered versions', body: registered.join('\n\n') }]
          : []),
      ],
    });
    const paths = [written.markdown, written.html, written.json];
    if (args.values.json) printJson(ctx, { paths });
    else ctx.out.write(`${paths.join('\n')}\n`);
    return EXIT.ok;
  },
};

const registryFlag = {
  registry: { type: 'string' as const, description: 'registry folder (default: <home>/registry)' },
};

async function openRegistry(args: ParsedArgs, ctx: CliContext) {
  const { createRegistry } = await import('@ft/registry');
  const root = str(args.values.registry);
  return createRegistry({
    root: root !== undefined ? resolve(ctx.cwd, root) : join(homeOf(args, ctx), 'registry'),
  });
}

const registryList: Command = {
  name: 'registry list',
  usage: '',
  summary: 'Lists the models in the registry.',
  positionals: [],
  flags: { ...registryFlag },
  async run(args, ctx) {
    const models = await (await openRegistry(args, ctx)).listModels();
    if (args.values.json) printJson(ctx, models);
    else {
      const rows = models.map((m) => [
        m.name,
        String(m.latestVersion),
        String(m.versionCount),
        Object.entries(m.aliases)
          .map(([alias, v]) => `${alias}=${v}`)
          .join(','),
      ]);
      ctx.out.write(table(['MODEL', 'LATEST', 'VERSIONS', 'ALIASES'], rows));
    }
    return EXIT.ok;
  },
};

const registryShow: Command = {
  name: 'registry show',
  usage: '<model> [<ref>]',
  summary: 'Shows one version (default: latest): files, metrics, lineage, aliases.',
  positionals: ['model', 'ref?'],
  flags: { ...registryFlag },
  async run(args, ctx) {
    const registry = await openRegistry(args, ctx);
    const version = await registry.getVersion(
      args.positionals.model ?? '',
      args.positionals.ref ?? 'latest',
    );
    if (args.values.json) printJson(ctx, version);
    else {
      const metrics = Object.entries(version.metrics).map(([k, v]) => `${k}=${v}`);
      ctx.out.write(
        [
          `${version.model} v${version.version} (${version.createdAt})`,
          `aliases: ${version.aliases.join(', ') || '-'}`,
          `metrics: ${metrics.join(', ') || '-'}`,
          `files:`,
          ...version.files.map((f) => `  ${f.path}  ${f.size} B  ${f.sha256.slice(0, 12)}`),
          '',
        ].join('\n'),
      );
    }
    return EXIT.ok;
  },
};

const targetFlag = {
  target: { type: 'string' as const, description: 'deployment folder (a symlink readers load)' },
};

const registryDeploy: Command = {
  name: 'registry deploy',
  usage: '<model> <ref> --target <dir>',
  summary: 'Deploys a version (number, alias or latest) to a target folder, atomically.',
  positionals: ['model', 'ref'],
  flags: { ...registryFlag, ...targetFlag },
  async run(args, ctx) {
    const target = str(args.values.target);
    if (target === undefined) throw new UsageError('missing --target', commandHelp(registryDeploy));
    const { deploy } = await import('@ft/registry');
    const record = await deploy(await openRegistry(args, ctx), {
      model: args.positionals.model ?? '',
      ref: args.positionals.ref ?? '',
      target: resolve(ctx.cwd, target),
    });
    if (args.values.json) printJson(ctx, record);
    else ctx.out.write(`deployed ${record.model} v${record.version} to ${record.target}\n`);
    return EXIT.ok;
  },
};

const registryRollback: Command = {
  name: 'registry rollback',
  usage: '--target <dir> [--to <deploymentId>]',
  summary: 'Switches a target back to its previous deployment.',
  positionals: [],
  flags: {
    ...registryFlag,
    ...targetFlag,
    to: { type: 'string', description: 'id of an earlier deployment to return to' },
  },
  async run(args, ctx) {
    const target = str(args.values.target);
    if (target === undefined) {
      throw new UsageError('missing --target', commandHelp(registryRollback));
    }
    const { deploymentHistory, rollback } = await import('@ft/registry');
    const registry = await openRegistry(args, ctx);
    const to = str(args.values.to);
    const targetPath = resolve(ctx.cwd, target);
    const record = await rollback(registry, {
      target: targetPath,
      ...(to !== undefined ? { to } : {}),
    });
    if (args.values.json) {
      printJson(ctx, {
        record,
        history: await deploymentHistory(registry, { target: targetPath }),
      });
    } else ctx.out.write(`rolled back ${record.target} to ${record.model} v${record.version}\n`);
    return EXIT.ok;
  },
};

const feedbackFlag = {
  feedback: {
    type: 'string' as const,
    description: 'feedback journal (default: <home>/feedback/feedback.jsonl)',
  },
};

function feedbackPath(args: ParsedArgs, ctx: CliContext): string {
  const flag = str(args.values.feedback);
  return flag !== undefined
    ? resolve(ctx.cwd, flag)
    : join(homeOf(args, ctx), 'feedback', 'feedback.jsonl');
}

/** JSON when it parses (`{"text":"hi"}`, `3`), else the text itself. */
function jsonOrText(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const feedbackAdd: Command = {
  name: 'feedback add',
  usage: '--input <x> --prediction <y> --model-version <v> [--label <z>]',
  summary: 'Records a prediction (values are JSON when they parse, else text); prints its id.',
  positionals: [],
  flags: {
    ...feedbackFlag,
    input: { type: 'string', description: 'what the model was given' },
    prediction: { type: 'string', description: 'what it answered' },
    'model-version': { type: 'string', description: 'version that answered' },
    label: { type: 'string', description: 'the true output, when known' },
  },
  async run(args, ctx) {
    const help = commandHelp(feedbackAdd);
    const input = str(args.values.input);
    const prediction = str(args.values.prediction);
    const modelVersion = str(args.values['model-version']);
    if (input === undefined) throw new UsageError('missing --input', help);
    if (prediction === undefined) throw new UsageError('missing --prediction', help);
    if (modelVersion === undefined) throw new UsageError('missing --model-version', help);
    const label = str(args.values.label);
    const { openFeedbackStore } = await import('@ft/data');
    const store = await openFeedbackStore({ path: feedbackPath(args, ctx) });
    try {
      const id = await store.record({
        input: jsonOrText(input),
        prediction: jsonOrText(prediction),
        modelVersion,
        ...(label !== undefined ? { label: jsonOrText(label) } : {}),
      });
      if (args.values.json) printJson(ctx, { id });
      else ctx.out.write(`${id}\n`);
    } finally {
      await store.close();
    }
    return EXIT.ok;
  },
};

const feedbackStats: Command = {
  name: 'feedback stats',
  usage: '[--window-ms <ms>] [--model-version <v>]',
  summary: 'Counts predictions, labels, corrections and errors.',
  positionals: [],
  flags: {
    ...feedbackFlag,
    'window-ms': { type: 'string', description: 'only the last N milliseconds' },
    'model-version': { type: 'string', description: 'only this model version' },
  },
  async run(args, ctx) {
    const windowMs = intFlag(args.values['window-ms'], 'window-ms', commandHelp(feedbackStats));
    const modelVersion = str(args.values['model-version']);
    const { openFeedbackStore } = await import('@ft/data');
    const store = await openFeedbackStore({ path: feedbackPath(args, ctx) });
    try {
      const stats = await store.stats({
        ...(windowMs !== undefined ? { windowMs } : {}),
        ...(modelVersion !== undefined ? { modelVersion } : {}),
      });
      if (args.values.json) printJson(ctx, stats);
      else {
        const rate = stats.errorRate === null ? '-' : stats.errorRate.toFixed(4);
        ctx.out.write(
          `predictions ${stats.predictions}\nlabeled ${stats.labeled}\ncorrected ${stats.corrected}\nerrors ${stats.errors}\nerror rate ${rate}\n`,
        );
      }
    } finally {
      await store.close();
    }
    return EXIT.ok;
  },
};

const watch: Command = {
  name: 'watch',
  usage: '<runDir | runId | jobId>',
  summary:
    "Follows a run's events until it ends (a run folder, a run id in --runs-dir, or a job id).",
  positionals: ['target'],
  flags: { ...runsDirFlag },
  async run(args, ctx) {
    const target = args.positionals.target ?? '';
    const runDir = await resolveRunDir(target, args, ctx);
    const { followRunEvents } = await engine();
    const print = createEventPrinter(ctx.out);
    let end: RunStatus | undefined;
    for await (const event of followRunEvents(runDir, { signal: ctx.signal })) {
      if (args.values.json) ctx.out.write(`${JSON.stringify(event)}\n`);
      else print(event);
      // A resumed run holds the earlier attempt's run-end too: the last event decides.
      end = event.type === 'run-end' ? event.status : undefined;
    }
    return end === undefined || end === 'succeeded' || end === 'waiting-approval'
      ? EXIT.ok
      : EXIT.failure;
  },
};

/** A run folder from a path, a run id, or a job id. */
async function resolveRunDir(target: string, args: ParsedArgs, ctx: CliContext): Promise<string> {
  const asPath = resolve(ctx.cwd, target);
  if (await isDir(asPath)) return asPath;
  const asRun = join(runsDirOf(args, ctx), target);
  if (await isDir(asRun)) return asRun;
  const { createJobStore } = await import('../jobs/store.js');
  if (target.startsWith('job-'))
    return (await createJobStore({ home: homeOf(args, ctx) }).get(target)).runDir;
  throw new PipelineError(
    'NOT_FOUND',
    `no run folder, run id or job ${JSON.stringify(target)}; see \`ft runs\`.`,
  );
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

const decisionFlags = {
  by: { type: 'string' as const, description: 'who decides' },
  comment: { type: 'string' as const, description: 'why' },
};

function decisionCommand(decision: 'approved' | 'rejected'): Command {
  const verb = decision === 'approved' ? 'approve' : 'reject';
  return {
    name: verb,
    usage: '<jobId>',
    summary:
      decision === 'approved'
        ? 'Approves a job waiting for approval and resumes its run here (unless --no-resume).'
        : 'Rejects a job waiting for approval; the job ends as failed.',
    positionals: ['job'],
    flags: {
      ...decisionFlags,
      ...(decision === 'approved'
        ? { 'no-resume': { type: 'boolean' as const, description: 'only record the decision' } }
        : {}),
      ...stepsFlag,
    },
    async run(args, ctx) {
      const { createJobStore, executeJob, recordDecision } = await engine();
      const store = createJobStore({ home: homeOf(args, ctx) });
      const by = str(args.values.by);
      const comment = str(args.values.comment);
      let job = await recordDecision(store, args.positionals.job ?? '', decision, {
        ...(by !== undefined ? { by } : {}),
        ...(comment !== undefined ? { comment } : {}),
      });
      if (decision === 'approved' && !args.values['no-resume']) {
        job = await executeJob(store, job.id, 'resume', {
          steps: await stepsFor(args, ctx),
          signal: ctx.signal,
          ...(args.values.json ? {} : { onEvent: createEventPrinter(ctx.out) }),
        });
      }
      if (args.values.json) printJson(ctx, job);
      else ctx.out.write(`job ${job.id} ${job.status}${job.error ? `: ${job.error}` : ''}\n`);
      // A rejection that was recorded is a success of this command; a failed resume is not.
      if (decision === 'rejected') return EXIT.ok;
      return job.status === 'failed' || job.status === 'cancelled' ? EXIT.failure : EXIT.ok;
    },
  };
}

const serve: Command = {
  name: 'serve',
  usage: '[--host <host>] [--port <port>] [--token <token>]',
  summary:
    'Starts the job HTTP API. A token (--token or $FT_TOKEN) is required unless the host is loopback.',
  positionals: [],
  flags: {
    host: { type: 'string', description: 'address to listen on (default: 127.0.0.1)' },
    port: { type: 'string', description: 'port (default: 8377; 0 picks a free one)' },
    token: { type: 'string', description: 'bearer token required on every request' },
    'max-body-bytes': { type: 'string', description: 'largest request body (default: 1048576)' },
    'max-jobs': { type: 'string', description: 'jobs running at once (default: 2)' },
    'pipelines-dir': {
      type: 'string',
      multiple: true,
      description: 'folder jobs may run pipelines from (default: <home>)',
    },
    ...stepsFlag,
  },
  async run(args, ctx) {
    const help = commandHelp(serve);
    const home = homeOf(args, ctx);
    const token = str(args.values.token) ?? ctx.env.FT_TOKEN;
    const host = str(args.values.host);
    const maxBodyBytes = intFlag(args.values['max-body-bytes'], 'max-body-bytes', help);
    const maxConcurrentJobs = intFlag(args.values['max-jobs'], 'max-jobs', help);
    const dirs = (args.values['pipelines-dir'] as string[] | undefined)?.map((d) =>
      resolve(ctx.cwd, d),
    );
    const steps = str(args.values.steps);
    const { startServer } = await import('../server/server.js');
    const server = await startServer({
      home,
      port: intFlag(args.values.port, 'port', help) ?? 8377,
      ...(host !== undefined ? { host } : {}),
      ...(token !== undefined && token !== '' ? { token } : {}),
      ...(maxBodyBytes !== undefined ? { maxBodyBytes } : {}),
      ...(maxConcurrentJobs !== undefined ? { maxConcurrentJobs } : {}),
      ...(dirs !== undefined ? { pipelinesDirs: dirs } : {}),
      ...(steps !== undefined ? { registryModule: resolve(ctx.cwd, steps) } : {}),
    });
    if (args.values.json) ctx.out.write(`${JSON.stringify({ url: server.url, home })}\n`);
    else ctx.out.write(`ft server listening on ${server.url} (home ${home})\n`);
    await new Promise<void>((done) => {
      if (ctx.signal.aborted) done();
      ctx.signal.addEventListener('abort', () => done(), { once: true });
    });
    await server.close();
    return EXIT.ok;
  },
};

const retrain: Command = {
  name: 'retrain',
  usage: '<retrain.yaml>',
  summary:
    'Runs the feedback-driven retraining loop once: resumes a pending job, judges a deployment under watch, or retrains when a trigger policy fires (run it from cron or a timer).',
  positionals: ['config'],
  flags: {},
  async run(args, ctx) {
    const configPath = args.positionals.config ?? '';
    const { loadRetrainConfig } = await import('../retrain/config.js');
    const { createRetrainLoop } = await import('../retrain/loop.js');
    const config = await loadRetrainConfig(resolve(ctx.cwd, configPath));
    const { openFeedbackStore } = await import('@ft/data');
    const feedback = await openFeedbackStore({ path: config.feedback });
    try {
      const loop = createRetrainLoop({ ...config, home: homeOf(args, ctx), feedback });
      const result = await loop.tick();
      if (args.values.json) printJson(ctx, result);
      else {
        const why = result.reasons?.length ? ` (${result.reasons.join('; ')})` : '';
        const job = result.job ? ` job ${result.job.id}` : '';
        ctx.out.write(`retrain: ${result.action}${job}${why}\n`);
      }
      return result.action === 'failed' ? EXIT.failure : EXIT.ok;
    } finally {
      await feedback.close();
    }
  },
};

/** Top-level commands; `registry` and `feedback` take a subcommand. */
export const COMMANDS: Record<string, Command | Record<string, Command>> = {
  run,
  resume,
  status,
  runs,
  report,
  registry: {
    list: registryList,
    show: registryShow,
    deploy: registryDeploy,
    rollback: registryRollback,
  },
  feedback: { add: feedbackAdd, stats: feedbackStats },
  watch,
  approve: decisionCommand('approved'),
  reject: decisionCommand('rejected'),
  retrain,
  serve,
};
