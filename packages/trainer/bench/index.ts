// `pnpm --filter @ft/trainer bench`: trains BERT-mini and GPT-mini side by side in @ft/trainer and
// in PyTorch (same data, batch, threads, AdamW + clipping), one child process per run.
//
// Then BERT-mini full fine-tuning vs LoRA (lora.ts) and GPT-mini KV-cache generation, ours
// (generate.ts) and torch's (torch_bench.py generate).
//
// Env: FT_BENCH_STEPS timed steps (default 20), FT_BENCH_WARMUP untimed warm-up steps (default 3),
// FT_BENCH_THREADS (default 2), FT_BENCH_PROFILE=1 adds ONNX Runtime per-op kernel times of our runs,
// FT_BENCH_LORA_STEPS timed steps of each of full/LoRA in lora.ts (default min(5, steps)),
// FT_BENCH_GEN_PROMPT (default 32), FT_BENCH_GEN_TOKENS (default 96), FT_BENCH_GEN_REPEATS timed
// generations (default 3).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'tsup';
import {
  BERT_CONFIG,
  type BenchModel,
  GPT_CONFIG,
  SHAPES,
  TRAINING,
  writeBenchData,
} from './config.js';
import { runLockstep } from './lockstep.js';
import type { OrtProfileSummary } from './profile.js';

const PYTHON = '/usr/bin/python3';
const SEED = 20240601;

function envInt(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

const steps = envInt('FT_BENCH_STEPS', 20, 1);
const warmup = envInt('FT_BENCH_WARMUP', 3, 0);
const threads = envInt('FT_BENCH_THREADS', 2, 1);
const profile = process.env.FT_BENCH_PROFILE === '1';
const loraSteps = envInt('FT_BENCH_LORA_STEPS', Math.min(steps, 5), 1);
const genPrompt = envInt('FT_BENCH_GEN_PROMPT', 32, 1);
const genTokens = envInt('FT_BENCH_GEN_TOKENS', 96, 1);
const genRepeats = envInt('FT_BENCH_GEN_REPEATS', 3, 1);

/** What either side's child prints (the fields both have). */
interface RunResult {
  step_ms: number;
  cpu_ms: number;
  samples_per_s: number;
  tokens_per_s: number;
  peak_rss_mb: number;
  first_loss: number;
  last_loss: number;
  parameters: number;
  host_overhead_pct?: number;
  session_run_ms?: number;
  compile_ms?: number;
  torch_version?: string;
  profile?: OrtProfileSummary;
}

/** What lora.ts prints. */
interface LoraResult {
  lora: { r: number; alpha: number; dropout: number; modules: number };
  full_step_ms: number;
  lora_step_ms: number;
  full_parameters: number;
  lora_parameters: number;
  full_optimizer_state_bytes: number;
  lora_optimizer_state_bytes: number;
  fp32_base_weight_bytes: number;
  q4_base_weight_bytes: number;
  q8_base_weight_bytes: number;
  full_first_loss: number;
  full_last_loss: number;
  lora_first_loss: number;
  lora_last_loss: number;
}

/** What generate.ts and `torch_bench.py <dir> generate` print. */
interface GenerateRunResult {
  generated: number;
  tokens_per_s: number;
  ms_per_token: number;
  cpu_ms_per_token: number;
}

const torchImports = () =>
  spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;

/**
 * Makes `import torch` work or says why not: Debian's python3-torch is installed (with OpenBLAS,
 * see blasOfTorch) only when running as root with apt-get; otherwise the torch side is skipped.
 */
function ensureTorch(): { ok: true } | { ok: false; reason: string } {
  if (!existsSync(PYTHON)) return { ok: false, reason: `${PYTHON} not found` };
  if (torchImports()) return { ok: true };
  const root = process.getuid?.() === 0;
  const apt = existsSync('/usr/bin/apt-get');
  if (!root || !apt) {
    return {
      ok: false,
      reason: `${PYTHON} cannot import torch and ${root ? 'apt-get is not available' : 'not running as root'} to install python3-torch`,
    };
  }
  console.error('[bench] installing python3-torch with apt-get (large; once) …');
  const install = () =>
    spawnSync('apt-get', ['install', '-y', 'python3-torch', 'libopenblas0-openmp'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  let installed = install();
  if (!installed) {
    spawnSync('apt-get', ['update'], { stdio: ['ignore', 'ignore', 'inherit'] });
    installed = install();
  }
  if (!installed) return { ok: false, reason: 'apt-get install -y python3-torch failed' };
  return torchImports()
    ? { ok: true }
    : { ok: false, reason: 'torch still does not import after apt-get install' };
}

/**
 * The BLAS library torch's process actually maps. Debian's libtorch accepts any libblas.so.3, and
 * with only the reference BLAS (libblas3) its matrix products run about 20× slower than with
 * OpenBLAS — a baseline that would flatter us, so it is reported next to the numbers.
 */
function blasOfTorch(): string {
  const script =
    'import torch\n' +
    'torch.ones(2, 2) @ torch.ones(2, 2)\n' +
    "libs = {l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l or 'mkl' in l}\n" +
    "print(' '.join(sorted(libs)) or 'none')";
  const run = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8' });
  const libs = run.stdout.trim();
  if (/openblas|mkl|blis/.test(libs))
    return libs.split(' ').find((l) => /openblas|mkl|blis/.test(l)) ?? libs;
  return `reference (${libs}) — SLOW: install libopenblas0 for a fair baseline`;
}

function runChild<T = RunResult>(command: string, args: string[], label: string): T {
  const child = spawnSync(command, args, {
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  const line = child.stdout
    .trim()
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (child.status !== 0 || line === undefined) {
    throw new Error(`${label} failed (exit ${child.status}):\n${child.stderr}\n${child.stdout}`);
  }
  return JSON.parse(line) as T;
}

/**
 * ours.ts (with the library sources it imports) bundled to one plain JavaScript file, run by plain
 * Node as users run the built package: under tsx our child started ~50 MB larger (its loader and
 * the TypeScript sources in memory), which the peak-RSS comparison would have charged to us.
 * Written under node_modules/.cache so the bundle resolves the package's dependencies.
 */
async function bundleOurs(): Promise<string> {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const outDir = join(here, '..', 'node_modules', '.cache', 'ft-bench');
  await build({
    entry: { ours: join(here, 'ours.ts') },
    format: ['esm'],
    outDir,
    outExtension: () => ({ js: '.mjs' }),
    platform: 'node',
    target: 'node20',
    config: false,
    dts: false,
    sourcemap: false,
    splitting: false,
    skipNodeModulesBundle: true,
    silent: true,
  });
  return join(outDir, 'ours.mjs');
}

const fmt = (x: number, digits = 2) => x.toFixed(digits);
const line = (key: string, value: string | number) => console.log(`${key}: ${value}`);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ft-trainer-bench-'));
  try {
    // lora.ts may time more steps than FT_BENCH_STEPS; the first batches are the same either way.
    writeBenchData(dataDir, warmup + Math.max(steps, loraSteps), SEED);
    const torch = ensureTorch();
    line('threads', threads);
    if (torch.ok) {
      line(
        'schedule',
        'ours and torch in lockstep: one step each in turn, alternating who goes first',
      );
    }
    line('steps', `${warmup} warm-up + ${steps} timed per model`);
    line(
      'optimizer',
      `AdamW lr ${TRAINING.lr} weight_decay ${TRAINING.weightDecay} (not on biases/norms), clip_grad_norm ${TRAINING.maxGradNorm}`,
    );
    line(
      'bert_model',
      `BERT-mini classifier: ${BERT_CONFIG.num_hidden_layers} layers, hidden ${BERT_CONFIG.hidden_size}, ${BERT_CONFIG.num_attention_heads} heads, intermediate ${BERT_CONFIG.intermediate_size}, vocab ${BERT_CONFIG.vocab_size}, 2 labels, dropout 0.1; batch ${SHAPES.bert.batch} × seq ${SHAPES.bert.sequence}`,
    );
    line(
      'gpt_model',
      `GPT-mini LM: ${GPT_CONFIG.n_layer} layers, hidden ${GPT_CONFIG.n_embd}, ${GPT_CONFIG.n_head} heads, MLP ${GPT_CONFIG.n_inner}, vocab ${GPT_CONFIG.vocab_size}, tied LM head, dropout 0.1; batch ${SHAPES.gpt.batch} × seq ${SHAPES.gpt.sequence}`,
    );
    line('load_average_1m_at_start', fmt(loadavg()[0] ?? 0));
    if (torch.ok) {
      line('torch_blas', blasOfTorch());
    } else {
      console.log(`torch: skipped (${torch.reason})`);
    }

    const ours = await bundleOurs();
    line('ours_runtime', `node ${process.version}, bench/ours.ts bundled to plain JavaScript`);
    const torchScript = join(fileURLToPath(new URL('.', import.meta.url)), 'torch_bench.py');
    const loraScript = join(fileURLToPath(new URL('.', import.meta.url)), 'lora.ts');
    const generateScript = join(fileURLToPath(new URL('.', import.meta.url)), 'generate.ts');
    const results: Record<BenchModel, { ours: RunResult; torch?: RunResult }> = {} as never;
    // Per model, ours and torch's children run at the same time and take turns step by step
    // (lockstep.ts): the machine's speed drifts over tens of seconds, and taking turns gives both
    // sides the same drift. Without torch, ours runs alone.
    for (const model of ['bert', 'gpt'] as const) {
      const args = [dataDir, model, String(warmup), String(steps), String(threads)];
      if (profile) args.push(join(dataDir, `ort-profile-${model}`));
      const mine = {
        command: process.execPath,
        args: [ours, ...args],
        label: `${model} (@ft/trainer)`,
      };
      if (!torch.ok) {
        console.error(`[bench] ${model}: @ft/trainer …`);
        results[model] = { ours: runChild(mine.command, mine.args, mine.label) };
        continue;
      }
      console.error(`[bench] ${model}: @ft/trainer and torch in lockstep …`);
      const [oursResult, torchResult] = await runLockstep<RunResult>(
        mine,
        {
          command: PYTHON,
          args: [torchScript, dataDir, model, String(warmup), String(steps), String(threads)],
          label: `${model} (torch)`,
        },
        warmup + steps,
        { ...process.env, OMP_NUM_THREADS: String(threads) },
      );
      results[model] = { ours: oursResult, torch: torchResult };
    }
    console.error('[bench] bert: full fine-tuning vs LoRA …');
    const lora = runChild<LoraResult>(
      process.execPath,
      [
        ...process.execArgv,
        loraScript,
        dataDir,
        String(warmup),
        String(loraSteps),
        String(threads),
      ],
      'LoRA (@ft/trainer)',
    );
    const genArgs = [String(genPrompt), String(genTokens), String(genRepeats), String(threads)];
    console.error('[bench] gpt generation: @ft/trainer …');
    const gen = runChild<GenerateRunResult>(
      process.execPath,
      [...process.execArgv, generateScript, ...genArgs],
      'generation (@ft/trainer)',
    );
    let torchGen: GenerateRunResult | undefined;
    if (torch.ok) {
      console.error('[bench] gpt generation: torch …');
      torchGen = runChild<GenerateRunResult>(
        PYTHON,
        [torchScript, dataDir, 'generate', ...genArgs],
        'generation (torch)',
      );
    }

    const { bert, gpt } = results;
    const na = 'skipped';
    const ratio = (a: number, b: number | undefined) => (b === undefined ? 'n/a' : fmt(a / b));
    if (bert.torch?.torch_version) line('torch_version', bert.torch.torch_version);
    line('parameters_bert', `${bert.ours.parameters} (torch ${bert.torch?.parameters ?? na})`);
    line('parameters_gpt', `${gpt.ours.parameters} (torch ${gpt.torch?.parameters ?? na})`);
    line('bert_samples_per_s', fmt(bert.ours.samples_per_s));
    line('torch_bert_samples_per_s', bert.torch ? fmt(bert.torch.samples_per_s) : na);
    line('trainer_vs_torch_bert', ratio(bert.ours.samples_per_s, bert.torch?.samples_per_s));
    line('gpt_tokens_per_s', fmt(gpt.ours.tokens_per_s, 0));
    line('torch_gpt_tokens_per_s', gpt.torch ? fmt(gpt.torch.tokens_per_s, 0) : na);
    line('trainer_vs_torch_gpt', ratio(gpt.ours.tokens_per_s, gpt.torch?.tokens_per_s));
    line('bert_step_ms', fmt(bert.ours.step_ms, 1));
    line('torch_bert_step_ms', bert.torch ? fmt(bert.torch.step_ms, 1) : na);
    line('gpt_step_ms', fmt(gpt.ours.step_ms, 1));
    line('torch_gpt_step_ms', gpt.torch ? fmt(gpt.torch.step_ms, 1) : na);
    // CPU time (all threads) per step: a check on wall-clock ratios when other work shares the cores.
    for (const model of ['bert', 'gpt'] as const) {
      const r = results[model];
      line(`${model}_cpu_ms_per_step`, fmt(r.ours.cpu_ms, 1));
      line(`torch_${model}_cpu_ms_per_step`, r.torch ? fmt(r.torch.cpu_ms, 1) : na);
      line(`trainer_vs_torch_${model}_cpu`, r.torch ? fmt(r.torch.cpu_ms / r.ours.cpu_ms) : 'n/a');
    }
    line('peak_rss_mb_bert', fmt(bert.ours.peak_rss_mb, 0));
    line('torch_peak_rss_mb_bert', bert.torch ? fmt(bert.torch.peak_rss_mb, 0) : na);
    line('peak_rss_mb_gpt', fmt(gpt.ours.peak_rss_mb, 0));
    line('torch_peak_rss_mb_gpt', gpt.torch ? fmt(gpt.torch.peak_rss_mb, 0) : na);
    line(
      'peak_rss_vs_torch',
      bert.torch && gpt.torch
        ? fmt(
            Math.max(
              bert.ours.peak_rss_mb / bert.torch.peak_rss_mb,
              gpt.ours.peak_rss_mb / gpt.torch.peak_rss_mb,
            ),
          )
        : 'n/a',
    );
    // Share of our timed step wall time outside InferenceSession.run (see ours.ts), both models.
    const total = bert.ours.step_ms + gpt.ours.step_ms;
    const inRun = (bert.ours.session_run_ms ?? 0) + (gpt.ours.session_run_ms ?? 0);
    line('host_overhead_pct', fmt((100 * (total - inRun)) / total, 3));
    line('host_overhead_pct_bert', fmt(bert.ours.host_overhead_pct ?? 0, 3));
    line('host_overhead_pct_gpt', fmt(gpt.ours.host_overhead_pct ?? 0, 3));
    line('compile_ms_bert', fmt(bert.ours.compile_ms ?? 0, 0));
    line('compile_ms_gpt', fmt(gpt.ours.compile_ms ?? 0, 0));
    for (const model of ['bert', 'gpt'] as const) {
      const r = results[model];
      line(
        `loss_${model}`,
        `first ${fmt(r.ours.first_loss, 4)} last ${fmt(r.ours.last_loss, 4)}` +
          (r.torch
            ? ` (torch first ${fmt(r.torch.first_loss, 4)} last ${fmt(r.torch.last_loss, 4)})`
            : ''),
      );
    }
    // LoRA vs full fine-tuning of BERT-mini (lora.ts: both steps in one process, interleaved).
    const mb = (bytes: number, digits = 2) => fmt(bytes / 2 ** 20, digits);
    line(
      'lora_model',
      `r ${lora.lora.r}, alpha ${lora.lora.alpha}, dropout ${lora.lora.dropout}, query|value (${lora.lora.modules} modules) + classifier trained; ${lora.lora_parameters} of ${lora.full_parameters} parameters trained; ${warmup} warm-up + ${loraSteps} timed steps each, interleaved`,
    );
    line('full_step_ms', fmt(lora.full_step_ms, 1));
    line('lora_step_ms', fmt(lora.lora_step_ms, 1));
    line('lora_vs_full_step_speed', fmt(lora.full_step_ms / lora.lora_step_ms));
    line('full_optimizer_state_mb', mb(lora.full_optimizer_state_bytes));
    line('lora_optimizer_state_mb', mb(lora.lora_optimizer_state_bytes, 3));
    line('fp32_base_weight_mb', mb(lora.fp32_base_weight_bytes, 3));
    line(
      'qlora_base_weight_mb',
      `${mb(lora.q4_base_weight_bytes, 3)} (4-bit, blocks of 64; 8-bit per-channel ${mb(lora.q8_base_weight_bytes, 3)})`,
    );
    line(
      'loss_lora',
      `full first ${fmt(lora.full_first_loss, 4)} last ${fmt(lora.full_last_loss, 4)}, LoRA first ${fmt(lora.lora_first_loss, 4)} last ${fmt(lora.lora_last_loss, 4)}`,
    );
    // GPT-mini greedy generation with the KV cache, batch 1.
    line(
      'generate_setup',
      `GPT-mini, KV cache, greedy, batch 1, prompt ${genPrompt} + ${genTokens} new tokens, ${genRepeats} timed runs after 1 warm-up, prefill included`,
    );
    line('generate_tokens_per_s', fmt(gen.tokens_per_s, 1));
    line('torch_generate_tokens_per_s', torchGen ? fmt(torchGen.tokens_per_s, 1) : na);
    line('generate_vs_torch', ratio(gen.tokens_per_s, torchGen?.tokens_per_s));
    line('generate_cpu_ms_per_token', fmt(gen.cpu_ms_per_token, 2));
    line('torch_generate_cpu_ms_per_token', torchGen ? fmt(torchGen.cpu_ms_per_token, 2) : na);
    if (profile) {
      for (const model of ['bert', 'gpt'] as const) {
        const p = results[model].ours.profile;
        if (!p) continue;
        line(
          `ort_profile_${model}`,
          `run ${fmt(p.run_ms, 1)} ms, kernels ${fmt(p.kernel_ms, 1)} ms, ${p.nodes_per_run} nodes per run`,
        );
        for (const ph of p.phases) {
          line(
            `  phase ${ph.phase}`,
            `${fmt(ph.ms, 1)} ms (${fmt(ph.pct, 1)}%) in ${ph.count} nodes`,
          );
        }
        for (const op of p.ops.slice(0, 15)) {
          line(`  ${op.op}`, `${fmt(op.ms, 1)} ms (${fmt(op.pct, 1)}%) in ${op.count} nodes`);
        }
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
