// NumPy's legacy RandomState stream (MT19937 seeded with init_genrand, 53-bit random_sample), so a
// sampler can draw exactly the uniforms Optuna's samplers draw from RandomState(seed).
import type { Rng } from '@ft/data';

const N = 624;
const M = 397;

/**
 * An Rng whose `next()` returns NumPy's `RandomState(seed).random_sample()` sequence bit for bit
 * (numpy/random/mtrand: `init_genrand`, then (a·2²⁶ + b)/2⁵³ from two tempered 32-bit outputs).
 * `int`, `shuffle` and `pick` are built on `next()` and do not follow NumPy's own integer methods.
 */
export function numpyRandomState(seed: number): Rng {
  const mt = new Uint32Array(N);
  let index = N;
  mt[0] = seed >>> 0;
  for (let i = 1; i < N; i++) {
    const prev = (mt[i - 1] as number) ^ ((mt[i - 1] as number) >>> 30);
    mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
  }
  const next32 = (): number => {
    if (index >= N) {
      for (let k = 0; k < N; k++) {
        const y = ((mt[k] as number) & 0x80000000) | ((mt[(k + 1) % N] as number) & 0x7fffffff);
        mt[k] = (mt[(k + M) % N] as number) ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      index = 0;
    }
    let y = mt[index++] as number;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };
  const next = (): number => {
    const a = next32() >>> 5;
    const b = next32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    shuffle<T>(items: T[]): T[] {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [items[i], items[j]] = [items[j] as T, items[i] as T];
      }
      return items;
    },
    pick<T>(items: readonly T[]): T {
      return items[int(items.length)] as T;
    },
  };
}
