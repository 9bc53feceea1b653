// Our side of the trainer benchmark, one child process per model (so peak RSS is per model):
// builds the model, compiles the training step, trains on the shared batches, prints one JSON line.
//
// Usage: tsx bench/ours.ts <data-dir> <bert|gpt> <warmup> <steps> <threads> [ort-profile-prefix]
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { createGraphBuilder } from '../src/ir/builder.js';
import { crossEntropyLoss } from '../src/losses/cross-entropy.js';
import { buildBert } from '../src/models/bert.js';
import { buildGpt2 } from '../src/models/gpt2.js';
import type { ModelGraph } from '../src/models/utils.js';
import { compileTrainingStep } from '../src/step/compile.js';
import { createTrainingStep } from '../src/step/training-step.js';
import {
  BERT_CONFIG,
  type BenchModel,
  GPT_CONFIG,
  readBenchBatches,
  SHAPES,
  TRAINING,
} from './config.js';
import { lockstepAfterStep, lockstepBeforeStep, lockstepReady } from './lockstep.js';
import { type KernelEvent, summarizeOrtProfile } from './profile.js';

const [dataDir, modelArg, warmupArg, stepsArg, threadsArg, profilePrefix] = process.argv.slice(2);
const model = modelArg as BenchModel;
const warmup = Number(warmupArg);
const steps = Number(stepsArg);
const threads = Number(threadsArg);

const rssMb = () => process.memoryUsage().rss / 2 ** 20;
const peakRssMb = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

// Host-overhead instrumentation: time every InferenceSession.run from call to resolution (the
// native run plus onnxruntime-common's feed/fetch wrapping, which is ONNX Runtime's own cost).
// Everything else inside step.run is our host code: feeds, BigInt seed, buffer swaps, checks.
type RunFn = (this: ort.InferenceSession, ...args: unknown[]) => Promise<unknown>;
const proto = (ort.InferenceSession as unknown as { prototype: { run: RunFn } }).prototype;
const originalRun = proto.run;
let sessionRunMs = 0;
proto.run = async function (this: ort.InferenceSession, ...args: unknown[]) {
  const t0 = performance.now();
  try {
    return await originalRun.apply(this, args);
  } finally {
    sessionRunMs += performance.now() - t0;
  }
};

// Optional session options the runtime module does not expose, added at creation: ONNX Runtime
// profiling (per-node timings; the sessions are kept to flush their profile at the end) and, for
// experiments, FT_BENCH_ORT_OPTIONS (JSON merged into the options, e.g. {"enableCpuMemArena":false}).
const profiled: ort.InferenceSession[] = [];
const extraOptions = JSON.parse(process.env.FT_BENCH_ORT_OPTIONS || '{}') as Record<
  string,
  unknown
>;
if (profilePrefix || Object.keys(extraOptions).length > 0) {
  type CreateFn = (...args: unknown[]) => Promise<ort.InferenceSession>;
  const cls = ort.InferenceSession as unknown as { create: CreateFn };
  const originalCreate = cls.create.bind(cls);
  cls.create = async (...args: unknown[]) => {
    const last = args[args.length - 1];
    if (typeof last === 'object' && last !== null && !(last instanceof Uint8Array)) {
      args[args.length - 1] = {
        ...last,
        ...extraOptions,
        ...(profilePrefix ? { enableProfiling: true, profileFilePrefix: profilePrefix } : {}),
      };
    }
    const session = await originalCreate(...args);
    if (profilePrefix) profiled.push(session);
    return session;
  };
}

function build(): { model: ModelGraph; loss: string } {
  const built =
    model === 'bert'
      ? buildBert(BERT_CONFIG, {
          head: { type: 'sequence-classification', numLabels: 2 },
          training: true,
          seed: 0,
        })
      : buildGpt2(GPT_CONFIG, { training: true, seed: 0 });
  const b = createGraphBuilder({ graph: built.graph });
  // BERT: one label per sequence. GPT: next-token labels [batch, sequence], already shifted on
  // the host with -100 (ignored) at the end, so the graph needs no Slice of the logits.
  const labels = b.input('labels', 'int64', model === 'bert' ? ['batch'] : ['batch', 'sequence']);
  const loss = crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
  b.output(loss, built.graph.outputs[0]?.dtype ?? 'float32', []);
  return { model: built, loss };
}

/**
 * Phases of the fused step graph for the profile: the model's own nodes are the forward pass
 * (their uint32/bool ones the dropout-mask hash), the compiled graph's nodes from the first
 * ReduceSumSquare of the global-norm clip on are clip + optimizer (appended after every
 * gradient node; no gradient builder emits ReduceSumSquare), the rest in between is backward
 * (including the few Concats that pack small parameters for the optimizer, optim/pack.ts).
 * Nodes ONNX Runtime fused or inserted carry names of neither.
 */
function createClassifier(forward: ModelGraph['graph'], loss: string): (e: KernelEvent) => string {
  const fused = compileTrainingStep({
    graph: forward,
    loss,
    optimizer: { type: 'adamw', weightDecay: TRAINING.weightDecay },
    maxGradNorm: TRAINING.maxGradNorm,
  }).fused;
  const nodes = fused?.nodes ?? [];
  const clipStart = nodes.findIndex((n) => n.opType === 'ReduceSumSquare');
  const phase = new Map<string, string>();
  nodes.forEach((n, i) => {
    phase.set(n.name, clipStart >= 0 && i >= clipStart ? 'clip + AdamW' : 'backward');
  });
  for (const n of forward.nodes) phase.set(n.name, 'forward + loss');
  return ({ node, types }) => {
    const p = phase.get(node) ?? 'fused/inserted by ORT';
    if (p === 'forward + loss' && types.some((t) => t === 'uint32' || t === 'bool')) {
      return 'dropout mask (forward)';
    }
    return p;
  };
}

async function main(): Promise<void> {
  const rssStart = rssMb();
  const batches = readBenchBatches(dataDir as string, model);
  if (batches.length < warmup + steps) {
    throw new Error(`data has ${batches.length} batches, need ${warmup + steps}`);
  }
  const tBuild = performance.now();
  const { model: built, loss } = build();
  const buildMs = performance.now() - tBuild;
  const tCompile = performance.now();
  const step = await createTrainingStep({
    graph: built.graph,
    loss,
    optimizer: { type: 'adamw', weightDecay: TRAINING.weightDecay },
    maxGradNorm: TRAINING.maxGradNorm,
    seed: 0,
    session: { threads },
  });
  const compileMs = performance.now() - tCompile;
  let parameters = 0;
  for (const name of step.trainableParameters) {
    parameters += built.graph.initializers.get(name)?.data.length ?? 0;
  }
  const rssReady = rssMb();

  const losses: number[] = [];
  let timedMs = 0;
  let timedRunMs = 0;
  let timedCpuUs = 0;
  lockstepReady();
  for (let i = 0; i < warmup + steps; i++) {
    const batch = batches[i] as (typeof batches)[number];
    lockstepBeforeStep();
    const runBefore = sessionRunMs;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const result = await step.run(batch, TRAINING.lr);
    const dt = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    lockstepAfterStep();
    losses.push(result.loss);
    if (i >= warmup) {
      timedMs += dt;
      timedRunMs += sessionRunMs - runBefore;
      timedCpuUs += cpu.user + cpu.system;
    }
  }
  const stepMs = timedMs / steps;
  const { batch, sequence } = SHAPES[model];

  let profile: ReturnType<typeof summarizeOrtProfile> | undefined;
  if (profilePrefix) {
    // endProfiling writes `<prefix>_<timestamp>.json` and returns nothing: find the files.
    for (const s of profiled) s.endProfiling();
    const dir = dirname(profilePrefix);
    const files = readdirSync(dir)
      .filter((f) => f.startsWith(`${basename(profilePrefix)}_`) && f.endsWith('.json'))
      .map((f) => join(dir, f));
    profile = summarizeOrtProfile(files, warmup, createClassifier(built.graph, loss));
  }
  await step.release();
  process.stdout.write(
    `${JSON.stringify({
      model,
      threads,
      parameters,
      warmup,
      steps,
      step_ms: stepMs,
      samples_per_s: (batch * 1000) / stepMs,
      tokens_per_s: (batch * sequence * 1000) / stepMs,
      cpu_ms: timedCpuUs / 1000 / steps,
      session_run_ms: timedRunMs / steps,
      host_overhead_pct: (100 * (timedMs - timedRunMs)) / timedMs,
      peak_rss_mb: peakRssMb(),
      rss_start_mb: rssStart,
      rss_ready_mb: rssReady,
      rss_end_mb: rssMb(),
      build_ms: buildMs,
      compile_ms: compileMs,
      first_loss: losses[0],
      last_loss: losses[losses.length - 1],
      ...(profile ? { profile } : {}),
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
