// Benchmark of @ft/validate: paired bootstrap of a mean difference, corpus WER and corpus BLEU on
// seeded synthetic data, with scipy.stats.bootstrap and nltk's corpus_bleu timed on the same data.
// Run: pnpm --filter @ft/validate bench
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRng, type Rng } from '@ft/data';
import { bootstrap, corpusBleu, createMeanDifference, wordErrorRate } from '../src/index.js';

const PYTHON = '/usr/bin/python3';
const BOOT_SAMPLES = 10_000;
const BOOT_RESAMPLES = 10_000;
const WER_UTTERANCES = 100_000;
const BLEU_SENTENCES = 10_000;
/** Timed repeats; the median is reported (the first run also warms up the JIT). */
const REPEATS = 3;

function show(name: string, value: number | string): void {
  console.log(`${name}: ${value}`);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Median seconds of `REPEATS` calls, and the last result. */
function time<T>(fn: () => T): { seconds: number; result: T } {
  const times: number[] = [];
  let result: T | undefined;
  for (let r = 0; r < REPEATS; r++) {
    const started = performance.now();
    result = fn();
    times.push((performance.now() - started) / 1000);
  }
  return { seconds: median(times), result: result as T };
}

/** A fixed vocabulary of lowercase words, so 13a tokenisation equals a whitespace split (as nltk gets). */
function vocabulary(rng: Rng, size: number): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: size }, () => {
    const length = 2 + rng.int(7);
    let word = '';
    for (let i = 0; i < length; i++) word += letters[rng.int(26)];
    return word;
  });
}

/** A reference of 8–16 words (about 12) and a hypothesis with ~10% substitutions, deletions, insertions. */
function sentencePair(rng: Rng, words: string[]): [string, string] {
  const length = 8 + rng.int(9);
  const ref = Array.from({ length }, () => rng.pick(words));
  const hyp: string[] = [];
  for (const word of ref) {
    const u = rng.next();
    if (u < 0.04) hyp.push(rng.pick(words));
    else if (u < 0.07) continue;
    else if (u < 0.1) hyp.push(word, rng.pick(words));
    else hyp.push(word);
  }
  return [ref.join(' '), hyp.join(' ')];
}

function pairs(seed: string, count: number): { refs: string[]; hyps: string[] } {
  const rng = createRng(seed);
  const words = vocabulary(rng, 2000);
  const refs: string[] = [];
  const hyps: string[] = [];
  for (let i = 0; i < count; i++) {
    const [ref, hyp] = sentencePair(rng, words);
    refs.push(ref);
    hyps.push(hyp);
  }
  return { refs, hyps };
}

/** Runs a Python snippet on a JSON data file; returns its stdout lines as name → value, or why not. */
function runPython(script: string, dataPath: string): Record<string, string> | string {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  try {
    const out = execFileSync(PYTHON, ['-c', script, dataPath], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 16 * 1024 * 1024,
    });
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((line) => line.split(': ') as [string, string]),
    );
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    const missing = /No module named '([^']+)'/.exec(stderr)?.[1];
    return missing === undefined
      ? `python failed: ${stderr.trim().split('\n').at(-1) ?? (error as Error).message}`
      : `python module ${missing} is missing`;
  }
}

// Both sides use the percentile interval: scipy's BCa would need a 10k × 10k jackknife in memory.
// `batch` keeps scipy's resample arrays at 80 MB instead of 800 MB; it does not change the result.
const SCIPY_BOOTSTRAP = `
import json, sys, time
import numpy as np
from scipy import stats
d = json.load(open(sys.argv[1]))
diff = np.asarray(d["candidate"]) - np.asarray(d["baseline"])
times = []
for r in range(${REPEATS}):
    t = time.perf_counter()
    res = stats.bootstrap((diff,), np.mean, n_resamples=${BOOT_RESAMPLES}, method="percentile",
                          vectorized=True, batch=1000, random_state=np.random.default_rng(r))
    times.append(time.perf_counter() - t)
print("seconds: %r" % sorted(times)[len(times) // 2])
print("low: %r" % res.confidence_interval.low)
print("high: %r" % res.confidence_interval.high)
`;

const NLTK_BLEU = `
import json, sys, time
from nltk.translate.bleu_score import corpus_bleu
d = json.load(open(sys.argv[1]))
refs = [[r.split()] for r in d["refs"]]
hyps = [h.split() for h in d["hyps"]]
times = []
for r in range(${REPEATS}):
    t = time.perf_counter()
    score = corpus_bleu(refs, hyps)
    times.append(time.perf_counter() - t)
print("seconds: %r" % sorted(times)[len(times) // 2])
print("bleu: %r" % (100 * score))
`;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ft-validate-bench-'));
  try {
    // Paired bootstrap: per-sample scores of two systems, the candidate better by 0.01 on average.
    const rng = createRng('bench-bootstrap');
    const baseline = Array.from({ length: BOOT_SAMPLES }, () => rng.next());
    const candidate = baseline.map((b) =>
      Math.min(1, Math.max(0, b + 0.01 + 0.1 * (rng.next() - 0.5))),
    );
    const boot = time(() =>
      bootstrap(createMeanDifference(baseline, candidate), {
        resamples: BOOT_RESAMPLES,
        method: 'percentile',
        seed: 1,
      }),
    );
    show('bootstrap_10k_x_10k_s', boot.seconds.toFixed(3));
    show('bootstrap_ci', `[${boot.result.ci.low.toFixed(6)}, ${boot.result.ci.high.toFixed(6)}]`);
    const bootData = join(dir, 'bootstrap.json');
    await writeFile(bootData, JSON.stringify({ baseline, candidate }));
    const scipy = runPython(SCIPY_BOOTSTRAP, bootData);
    if (typeof scipy === 'string') {
      show('bootstrap_vs_scipy', `skipped (${scipy})`);
    } else {
      show('scipy_bootstrap_s', Number(scipy.seconds).toFixed(3));
      show(
        'scipy_bootstrap_ci',
        `[${Number(scipy.low).toFixed(6)}, ${Number(scipy.high).toFixed(6)}]`,
      );
      show('bootstrap_vs_scipy', (Number(scipy.seconds) / boot.seconds).toFixed(2));
    }

    const wer = pairs('bench-wer', WER_UTTERANCES);
    const werRun = time(() => wordErrorRate(wer.refs, wer.hyps));
    show('wer_100k_utterances_s', werRun.seconds.toFixed(3));
    show('wer_100k_value', werRun.result.toFixed(6));

    const bleu = pairs('bench-bleu', BLEU_SENTENCES);
    const bleuRun = time(() => corpusBleu(bleu.hyps, bleu.refs));
    show('bleu_10k_sentences_s', bleuRun.seconds.toFixed(3));
    show('bleu_10k_value', bleuRun.result.score.toFixed(4));
    const bleuData = join(dir, 'bleu.json');
    await writeFile(bleuData, JSON.stringify(bleu));
    const nltk = runPython(NLTK_BLEU, bleuData);
    if (typeof nltk === 'string') {
      show('bleu_vs_nltk', `skipped (${nltk})`);
    } else {
      show('nltk_bleu_s', Number(nltk.seconds).toFixed(3));
      show('nltk_bleu_value', Number(nltk.bleu).toFixed(4));
      show('bleu_vs_nltk', (Number(nltk.seconds) / bleuRun.seconds).toFixed(2));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
