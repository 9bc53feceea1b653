// `pnpm --filter @ft/hpo bench`: our TPE and random samplers against Optuna's (Debian
// python3-optuna via /usr/bin/python3) on Branin, Hartmann-6, Rosenbrock-10 and a mixed problem,
// plus sampler CPU time per trial at 1,000 finished trials. BENCH_SEEDS / BENCH_TRIALS override.
// Paired design: for each seed both sides start from the same 10 uniform random points
// (enqueued), so the comparison measures the TPE phase, not the luck of the startup draws;
// BENCH_PAIRED=0 lets each sampler draw its own startup points instead.

import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@ft/data';
import {
  createRandomSampler,
  createStudy,
  createTpeSampler,
  type Distribution,
  type FrozenTrial,
  type ObjectiveTrial,
  type ParamValue,
  type Sampler,
  type StudyView,
  sampleUniform,
} from '../src/index.js';

const PYTHON = '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));
const seeds = Number(process.env.BENCH_SEEDS ?? 10);
const trials = Number(process.env.BENCH_TRIALS ?? 100);
// BENCH_NORMALIZED_KERNELS=1: our TPE with Optuna ≥ 3.5's corrected kernel density, against 3.1.
const NORMALIZED_KERNELS = process.env.BENCH_NORMALIZED_KERNELS === '1';
// BENCH_MULTIVARIATE=1: our TPE samples all parameters jointly (multivariate), Optuna's stays univariate.
const MULTIVARIATE = process.env.BENCH_MULTIVARIATE === '1';
const HISTORY = 1000;
const TIMED = 20;
/** Shared random startup points per seed: TPE's default nStartupTrials on both sides. */
const STARTUP = process.env.BENCH_PAIRED === '0' ? 0 : 10;
const BOOTSTRAP = 2000;

const HARTMANN_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const HARTMANN_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));
const HARTMANN_ALPHA = [1, 1.2, 3, 3.2];
const MIXED_OFFSET: Record<string, number> = { a: 0, b: 1, c: 2.5 };

interface Problem {
  optimum: number;
  /** The search space the objective suggests from (for the shared startup points). */
  space: Record<string, Distribution>;
  objective: (t: ObjectiveTrial) => number;
}

const unit = (low: number, high: number): Distribution => ({
  type: 'float',
  low,
  high,
  log: false,
});
const box = (n: number, low: number, high: number): Record<string, Distribution> =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, unit(low, high)]));

const PROBLEMS: Record<string, Problem> = {
  branin: {
    optimum: 0.397887,
    space: { x1: unit(-5, 10), x2: unit(0, 15) },
    objective: (t) => {
      const x1 = t.suggestFloat('x1', -5, 10);
      const x2 = t.suggestFloat('x2', 0, 15);
      const b = 5.1 / (4 * Math.PI ** 2);
      const c = 5 / Math.PI;
      return (
        (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10
      );
    },
  },
  hartmann6: {
    optimum: -3.32237,
    space: box(6, 0, 1),
    objective: (t) => {
      const x = Array.from({ length: 6 }, (_, i) => t.suggestFloat(`x${i}`, 0, 1));
      let sum = 0;
      for (let k = 0; k < 4; k++) {
        let inner = 0;
        for (let i = 0; i < 6; i++) {
          const a = (HARTMANN_A[k] as number[])[i] as number;
          const p = (HARTMANN_P[k] as number[])[i] as number;
          inner += a * ((x[i] as number) - p) ** 2;
        }
        sum += (HARTMANN_ALPHA[k] as number) * Math.exp(-inner);
      }
      return -sum;
    },
  },
  rosenbrock10: {
    optimum: 0,
    space: box(10, -5, 10),
    objective: (t) => {
      const x = Array.from({ length: 10 }, (_, i) => t.suggestFloat(`x${i}`, -5, 10));
      let s = 0;
      for (let i = 0; i < 9; i++) {
        s +=
          100 * ((x[i + 1] as number) - (x[i] as number) ** 2) ** 2 + (1 - (x[i] as number)) ** 2;
      }
      return s;
    },
  },
  mixed: {
    optimum: 0,
    space: {
      kind: { type: 'categorical', choices: ['a', 'b', 'c'] },
      n: { type: 'int', low: 1, high: 20, log: false, step: 1 },
      x: unit(-5, 5),
      lr: { type: 'float', low: 1e-4, high: 1, log: true },
    },
    objective: (t) => {
      const kind = t.suggestCategorical('kind', ['a', 'b', 'c']);
      const n = t.suggestInt('n', 1, 20);
      const x = t.suggestFloat('x', -5, 5);
      const lr = t.suggestFloat('lr', 1e-4, 1, { log: true });
      return (
        (MIXED_OFFSET[kind] as number) +
        (n - 7) ** 2 / 10 +
        (x - 1) ** 2 +
        (Math.log10(lr) + 2) ** 2
      );
    },
  },
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The shared startup points of every problem and seed: uniform draws, as RandomSampler makes. */
function startupPoints(): Record<string, Record<string, ParamValue>[][]> {
  const out: Record<string, Record<string, ParamValue>[][]> = {};
  for (const [name, problem] of Object.entries(PROBLEMS)) {
    out[name] = Array.from({ length: seeds }, (_, seed) => {
      const rng = createRng(`bench-startup:${name}:${seed}`);
      return Array.from({ length: Math.min(STARTUP, trials) }, () =>
        Object.fromEntries(
          Object.entries(problem.space).map(([p, d]) => [p, sampleUniform(rng, d)]),
        ),
      );
    });
  }
  return out;
}

/**
 * 90% bootstrap interval of median(ours regret) / median(Optuna regret), resampling seeds in
 * pairs (both sides of a seed share their startup points).
 */
function ratioInterval(ours: readonly number[], theirs: readonly number[]): [number, number] {
  const rng = createRng('bench-bootstrap');
  const n = Math.min(ours.length, theirs.length);
  const ratios: number[] = [];
  for (let b = 0; b < BOOTSTRAP; b++) {
    const a: number[] = [];
    const t: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = rng.int(n);
      a.push(ours[k] as number);
      t.push(theirs[k] as number);
    }
    ratios.push(median(a) / median(t));
  }
  ratios.sort((x, y) => x - y);
  return [
    ratios[Math.floor(0.05 * (BOOTSTRAP - 1))] as number,
    ratios[Math.ceil(0.95 * (BOOTSTRAP - 1))] as number,
  ];
}

function optunaAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import optuna'], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.getuid?.() === 0) {
      try {
        execFileSync('apt-get', ['install', '-y', 'python3-optuna'], { stdio: 'ignore' });
        execFileSync(PYTHON, ['-c', 'import optuna'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    }
    return false;
  }
}

function runOptuna(config: object): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    // The config (with every seed's startup points) goes through stdin: as an argument it
    // outgrows the kernel's argument limit at ~30 seeds.
    const child = spawn(PYTHON, [join(here, 'optuna_bench.py')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdin.end(JSON.stringify(config));
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`optuna_bench.py exited with ${code}`));
      else resolve(JSON.parse(out) as Record<string, unknown>);
    });
  });
}

/** Our samplers: TPE on its own generator, TPE on NumPy's RandomState stream, random. */
type OursKind = 'tpe' | 'tpe_numpy_rng' | 'random';

async function oursBest(
  kind: OursKind,
  problem: Problem,
  seed: number,
  startup: readonly Record<string, ParamValue>[],
): Promise<number> {
  const sampler =
    kind === 'random'
      ? createRandomSampler({ seed })
      : createTpeSampler({
          seed,
          randomSource: kind === 'tpe' ? 'ft' : 'numpy',
          normalizedKernels: NORMALIZED_KERNELS,
          multivariate: MULTIVARIATE,
        });
  const study = await createStudy({ sampler });
  for (const params of startup) await study.enqueueTrial(params);
  await study.optimize(problem.objective, { nTrials: trials });
  return study.bestValue();
}

/** Wraps a sampler's hooks to add up the process CPU time spent in them. */
function timed(sampler: Sampler): { sampler: Sampler; cpuMicros: () => number } {
  let micros = 0;
  const wrap =
    <A extends unknown[], R>(fn: (...args: A) => R) =>
    (...args: A): R => {
      const t0 = process.cpuUsage();
      try {
        return fn(...args);
      } finally {
        const d = process.cpuUsage(t0);
        micros += d.user + d.system;
      }
    };
  const wrapped: Sampler = {
    name: sampler.name,
    sampleIndependent: wrap(sampler.sampleIndependent.bind(sampler)),
  };
  if (sampler.inferRelativeSearchSpace) {
    wrapped.inferRelativeSearchSpace = wrap(sampler.inferRelativeSearchSpace.bind(sampler));
  }
  if (sampler.sampleRelative) wrapped.sampleRelative = wrap(sampler.sampleRelative.bind(sampler));
  return { sampler: wrapped, cpuMicros: () => micros };
}

/** Our sampler CPU seconds per trial with HISTORY finished mixed-problem trials in the study. */
function oursOverhead(): number {
  const rng = createRandomSampler({ seed: 0 });
  const dists: Record<string, Distribution> = {
    kind: { type: 'categorical', choices: ['a', 'b', 'c'] },
    n: { type: 'int', low: 1, high: 20, log: false, step: 1 },
    x: { type: 'float', low: -5, high: 5, log: false },
    lr: { type: 'float', low: 1e-4, high: 1, log: true },
  };
  const history: FrozenTrial[] = [];
  const empty: StudyView = { name: 'history', directions: ['minimize'], trials: [] };
  for (let i = 0; i < HISTORY; i++) {
    const trial: FrozenTrial = {
      number: i,
      state: 'complete',
      params: {},
      distributions: dists,
      intermediateValues: {},
      userAttrs: {},
      systemAttrs: {},
    };
    for (const [name, d] of Object.entries(dists)) {
      trial.params[name] = rng.sampleIndependent(empty, trial, name, d);
    }
    const p = trial.params as { kind: string; n: number; x: number; lr: number };
    trial.values = [
      (MIXED_OFFSET[p.kind] as number) +
        (p.n - 7) ** 2 / 10 +
        (p.x - 1) ** 2 +
        (Math.log10(p.lr) + 2) ** 2,
    ];
    history.push(trial);
  }
  // The study hands samplers a snapshot like this one; time only the sampler's own work.
  const { sampler, cpuMicros } = timed(createTpeSampler({ seed: 0 }));
  const trialsSoFar = [...history];
  const view: StudyView = { name: 'overhead', directions: ['minimize'], trials: trialsSoFar };
  for (let k = 0; k < TIMED; k++) {
    const trial: FrozenTrial = {
      number: trialsSoFar.length,
      state: 'running',
      params: {},
      distributions: {},
      intermediateValues: {},
      userAttrs: {},
      systemAttrs: {},
    };
    trialsSoFar.push(trial);
    const space = sampler.inferRelativeSearchSpace?.(view, trial) ?? {};
    const relative = sampler.sampleRelative?.(view, trial, space) ?? {};
    for (const [name, d] of Object.entries(dists)) {
      trial.params[name] = relative[name] ?? sampler.sampleIndependent(view, trial, name, d);
      trial.distributions[name] = d;
    }
    const p = trial.params as { kind: string; n: number; x: number; lr: number };
    trial.values = [
      (MIXED_OFFSET[p.kind] as number) +
        (p.n - 7) ** 2 / 10 +
        (p.x - 1) ** 2 +
        (Math.log10(p.lr) + 2) ** 2,
    ];
    trial.state = 'complete';
  }
  return cpuMicros() / 1e6 / TIMED;
}

async function main(): Promise<void> {
  console.log(
    `# @ft/hpo bench: ${seeds} seeds × ${trials} trials per problem; medians of best values`,
  );
  const haveOptuna = optunaAvailable();
  if (!haveOptuna) {
    console.log(
      `optuna_skipped=1 # ${PYTHON} cannot import optuna (apt-get install python3-optuna)`,
    );
  }
  const startup = startupPoints();
  const optunaQuality = haveOptuna
    ? runOptuna({ mode: 'quality', seeds, trials, startup })
    : undefined;
  const ours: Record<string, number[]> = {};
  for (const [name, problem] of Object.entries(PROBLEMS)) {
    for (const kind of ['tpe', 'tpe_numpy_rng', 'random'] as const) {
      const bests: number[] = [];
      for (let seed = 0; seed < seeds; seed++) {
        bests.push(await oursBest(kind, problem, seed, startup[name]?.[seed] ?? []));
      }
      ours[`${kind}_${name}`] = bests;
    }
  }
  const theirs = optunaQuality
    ? ((await optunaQuality).best as Record<string, number[]>)
    : undefined;
  for (const [name, problem] of Object.entries(PROBLEMS)) {
    for (const kind of ['tpe', 'random'] as const) {
      const key = `${kind}_${name}`;
      console.log(`ours_${kind}_best_${name}=${median(ours[key] ?? []).toPrecision(6)}`);
      if (theirs)
        console.log(`optuna_${kind}_best_${name}=${median(theirs[key] ?? []).toPrecision(6)}`);
    }
    if (theirs) {
      const regrets = (xs: number[]) => xs.map((v) => v - problem.optimum);
      const a = regrets(ours[`tpe_${name}`] ?? []);
      const t = regrets(theirs[`tpe_${name}`] ?? []);
      console.log(`tpe_regret_vs_optuna_${name}=${(median(a) / median(t)).toFixed(3)}`);
      const [lo, hi] = ratioInterval(a, t);
      console.log(`tpe_regret_vs_optuna_${name}_ci90=${lo.toFixed(3)}..${hi.toFixed(3)}`);
      // Common random numbers: our TPE drawing Optuna's own uniforms (NumPy RandomState(seed)),
      // so what is left of the ratio is the algorithms' difference, not the generators' luck.
      const same = regrets(ours[`tpe_numpy_rng_${name}`] ?? []);
      console.log(
        `ours_tpe_numpy_rng_best_${name}=${median(ours[`tpe_numpy_rng_${name}`] ?? []).toPrecision(6)}`,
      );
      console.log(`tpe_regret_vs_optuna_${name}_same_rng=${(median(same) / median(t)).toFixed(3)}`);
      const [sameLo, sameHi] = ratioInterval(same, t);
      console.log(
        `tpe_regret_vs_optuna_${name}_same_rng_ci90=${sameLo.toFixed(3)}..${sameHi.toFixed(3)}`,
      );
    }
  }
  const oursPerTrial = oursOverhead();
  console.log(`ours_sampler_cpu_ms_per_trial_at_${HISTORY}=${(oursPerTrial * 1e3).toFixed(2)}`);
  if (haveOptuna) {
    const overhead = await runOptuna({ mode: 'overhead', history: HISTORY, timed: TIMED });
    const theirsPerTrial = overhead.samplerSecondsPerTrial as number;
    console.log(
      `optuna_sampler_cpu_ms_per_trial_at_${HISTORY}=${(theirsPerTrial * 1e3).toFixed(2)}`,
    );
    console.log(`sampler_overhead_vs_optuna=${(oursPerTrial / theirsPerTrial).toFixed(3)}`);
  }
}

await main();
