// Generation side of the trainer benchmark, one child process: GPT-mini (bench config, seeded
// init) as buildGpt2Decoder({ kvCache: true }), greedy decoding with createGenerator, batch 1.
// One untimed warm-up generation, then `repeats` timed ones; tokens/s = new tokens / wall time of
// `generate` (prompt prefill included). Prints one JSON line.
//
// Usage: tsx bench/generate.ts <prompt-tokens> <new-tokens> <repeats> <threads>
import { performance } from 'node:perf_hooks';
import { createRng } from '@ft/data';
import { buildGpt2Decoder, createGenerator } from '../src/index.js';
import { GPT_CONFIG } from './config.js';

const [promptArg, newArg, repeatsArg, threadsArg] = process.argv.slice(2);
const promptTokens = Number(promptArg);
const newTokens = Number(newArg);
const repeats = Number(repeatsArg);
const threads = Number(threadsArg);

/** The seeded prompt both sides use (torch_bench.py draws its own with torch; ids do not matter for speed). */
function prompt(length: number): number[] {
  const rng = createRng(7);
  return Array.from({ length }, () => rng.int(GPT_CONFIG.vocab_size));
}

async function main(): Promise<void> {
  const decoder = buildGpt2Decoder(GPT_CONFIG, { kvCache: true, seed: 0 });
  const tCreate = performance.now();
  const generator = await createGenerator({ model: decoder, session: { threads } });
  const createMs = performance.now() - tCreate;
  const ids = prompt(promptTokens);
  const options = { maxNewTokens: newTokens, doSample: false } as const;
  try {
    await generator.generate([ids], { ...options, maxNewTokens: Math.min(newTokens, 8) });
    let ms = 0;
    let cpuUs = 0;
    let generated = 0;
    let tokens: number[] = [];
    for (let i = 0; i < repeats; i++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const result = await generator.generate([ids], options);
      ms += performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      cpuUs += cpu.user + cpu.system;
      tokens = result.tokens[0] ?? [];
      generated += tokens.length;
    }
    process.stdout.write(
      `${JSON.stringify({
        model: 'gpt-generate',
        kv_cache: generator.kvCache,
        threads,
        prompt_tokens: promptTokens,
        new_tokens: newTokens,
        repeats,
        generated,
        tokens_per_s: (generated * 1000) / ms,
        ms_per_token: ms / generated,
        cpu_ms_per_token: cpuUs / 1000 / generated,
        session_create_ms: createMs,
        first_tokens: tokens.slice(0, 8),
      })}\n`,
    );
  } finally {
    await generator.release();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
