import { describe, expect, it } from 'vitest';
import { checkGradients, randomTensor } from '../autodiff/testing.js';
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { inferShapes } from '../shape/infer.js';
import { hash32, salt32, statelessDropout } from './dropout.js';

/** Host re-implementation of the in-graph mask: keep[i] for a seed, salt and drop ratio. */
function referenceKeep(seed: bigint, salt: number, ratio: number, n: number): boolean[] {
  const two32 = 2n ** 32n;
  const floorMod = (a: bigint) => Number(((a % two32) + two32) % two32);
  const lo = floorMod(seed);
  const hi = floorMod(seed / two32); // BigInt division truncates, like ONNX integer Div
  const k1 = hash32((lo ^ hash32((hi ^ hash32(salt ^ 0x5bd1e995)) >>> 0)) >>> 0);
  const k2 = hash32((k1 ^ hash32(salt ^ 0x27d4eb2f)) >>> 0);
  const threshold = Math.round(ratio * 2 ** 16);
  const half = Math.ceil(n / 2);
  const hashes = Array.from({ length: half }, (_, i) => {
    let h = Math.imul((i + k1) >>> 0, 0x21f0aaad) >>> 0;
    h = (h ^ k2) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 0x735a2d97) >>> 0;
    return (h ^ (h >>> 15)) >>> 0;
  });
  // Element i < ⌈n/2⌉ uses the low 16 bits of hash i; element ⌈n/2⌉ + i its high 16 bits.
  return Array.from({ length: n }, (_, i) =>
    i < half
      ? ((hashes[i] as number) & 0xffff) >= threshold
      : (hashes[i - half] as number) >>> 16 >= threshold,
  );
}

function dropoutGraph(ratio: number, dims: Array<number | string>, salt?: number) {
  const b = createGraphBuilder({ name: 'dropout' });
  const x = b.input('x', 'float32', dims);
  const seed = b.input('seed', 'int64', []);
  const y = statelessDropout(b, x, ratio, seed, salt === undefined ? {} : { salt });
  b.output(y, 'float32', dims);
  return { graph: b.graph, y };
}

const seedTensor = (s: bigint): TensorData => ({
  dtype: 'int64',
  dims: [],
  data: new BigInt64Array([s]),
});
const ones = (n: number, dims: number[]) => tensor('float32', dims, new Float32Array(n).fill(1));

describe('statelessDropout', () => {
  it('hash32 equals the prospector hash computed with BigInt; salt32 is FNV-1a', () => {
    const M = 2n ** 32n;
    const big = (x: number): number => {
      let h = BigInt(x);
      h ^= h >> 16n;
      h = (h * 0x21f0aaadn) % M;
      h ^= h >> 15n;
      h = (h * 0x735a2d97n) % M;
      h ^= h >> 15n;
      return Number(h);
    };
    for (const x of [0, 1, 2, 12345, 0x7fffffff, 0x80000000, 0xffffffff]) {
      expect(hash32(x)).toBe(big(x));
    }
    expect(salt32('')).toBe(0x811c9dc5);
    expect(salt32('a')).toBe(0xe40c292c); // FNV-1a 32-bit test vector
  });

  it('computes exactly the mask of the host reference, scaled by 1/(1−p)', async () => {
    // An even and an odd element count (the last hash's high half then goes unused).
    for (const cols of [300, 301]) {
      const n = 7 * cols;
      const { graph, y } = dropoutGraph(0.25, [7, cols], 1234);
      const session = await createSession(graph, { threads: 1 });
      const x = randomTensor('float32', [7, cols], 3);
      for (const seed of [0n, 1n, -1n, 2n ** 40n + 3n, -(2n ** 62n)]) {
        const out = (await session.run({ x, seed: seedTensor(seed) }))[y] as TensorData;
        const keep = referenceKeep(seed, 1234, 0.25, n);
        const xs = x.data as Float32Array;
        const ys = out.data as Float32Array;
        let mismatches = 0;
        for (let i = 0; i < n; i++) {
          const expected = keep[i] ? Math.fround((xs[i] as number) * Math.fround(1 / 0.75)) : 0;
          if (ys[i] !== expected) mismatches++;
        }
        expect(mismatches).toBe(0);
      }
      await session.release();
    }
  });

  it('same seed → same mask in a fresh session; another step seed → another mask', async () => {
    const { graph, y } = dropoutGraph(0.5, ['batch', 1000]);
    const x = ones(20_000, [20, 1000]);
    const first = await createSession(graph, { threads: 1 });
    const a = (await first.run({ x, seed: seedTensor(77n) }))[y]?.data as Float32Array;
    await first.release();
    // A resumed run opens a new session: nothing carries over except the seed it feeds.
    const second = await createSession(graph, { threads: 1 });
    const b = (await second.run({ x, seed: seedTensor(77n) }))[y]?.data as Float32Array;
    const c = (await second.run({ x, seed: seedTensor(78n) }))[y]?.data as Float32Array;
    await second.release();
    expect(Array.from(b)).toEqual(Array.from(a));
    // Independent masks with p = 0.5 disagree on half the elements (σ ≈ 0.0035 over 20 000).
    let differ = 0;
    for (let i = 0; i < a.length; i++) if ((a[i] === 0) !== (c[i] === 0)) differ++;
    expect(Math.abs(differ / a.length - 0.5)).toBeLessThan(0.02);
  });

  it('keeps a fraction 1 − p of many elements, with no structure between neighbours', async () => {
    const n = 400_000;
    for (const p of [0.1, 0.3]) {
      const { graph, y } = dropoutGraph(p, [n]);
      const session = await createSession(graph, { threads: 1 });
      const out = (await session.run({ x: ones(n, [n]), seed: seedTensor(2024n) }))[y]
        ?.data as Float32Array;
      await session.release();
      let kept = 0;
      for (let i = 0; i < n; i++) if (out[i] !== 0) kept++;
      // Binomial σ = √(p(1−p)/n) ≤ 7.3e-4; allow 5σ.
      expect(Math.abs(kept / n - (1 - p))).toBeLessThan(0.004);
      // Elements at typical strides (neighbours, head size, hidden size, powers of two, and n/2,
      // where the two halves of one hash meet) are independent: P(both kept) ≈ (1 − p)².
      for (const lag of [1, 2, 16, 64, 768, 4096, n / 2]) {
        let both = 0;
        for (let i = lag; i < n; i++) if (out[i] !== 0 && out[i - lag] !== 0) both++;
        expect(Math.abs(both / (n - lag) - (1 - p) ** 2)).toBeLessThan(0.005);
      }
    }
  });

  it('different dropout sites fed by one seed get different masks', async () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', [4000]);
    const seed = b.input('seed', 'int64', []);
    const y1 = statelessDropout(b, x, 0.5, seed);
    const y2 = statelessDropout(b, b.op('Identity', [x]), 0.5, seed);
    b.output(y1, 'float32', [4000]);
    b.output(y2, 'float32', [4000]);
    const session = await createSession(b.graph, { threads: 1 });
    const out = await session.run({ x: ones(4000, [4000]), seed: seedTensor(1n) });
    await session.release();
    const m1 = Array.from(out[y1]?.data as Float32Array, (v) => v !== 0);
    const m2 = Array.from(out[y2]?.data as Float32Array, (v) => v !== 0);
    const agree = m1.filter((v, i) => v === m2[i]).length / 4000;
    expect(Math.abs(agree - 0.5)).toBeLessThan(0.05);
  });

  it("gives every site of a graph its own salt's host-reference mask (keys computed together)", async () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', [3, 50]);
    const seed = b.input('seed', 'int64', []);
    const salts = [7, 0xdeadbeef, 7 ^ 1, 123456];
    const ys = salts.map((salt) => statelessDropout(b, b.op('Identity', [x]), 0.3, seed, { salt }));
    for (const y of ys) b.output(y, 'float32', [3, 50]);
    // One table of keys for the seed: its salts constant holds all four sites.
    expect(b.graph.nodes.filter((n) => n.opType === 'Div')).toHaveLength(1 + 4); // seed's high half + each site's pair count
    const session = await createSession(b.graph, { threads: 1 });
    for (const s of [5n, -(2n ** 50n)]) {
      const out = await session.run({ x: ones(150, [3, 50]), seed: seedTensor(s) });
      salts.forEach((salt, i) => {
        const kept = Array.from(out[ys[i] as string]?.data as Float32Array, (v) => v !== 0);
        expect(kept, `site ${i}`).toEqual(referenceKeep(s, salt, 0.3, 150));
      });
    }
    await session.release();
  });

  it('keeps the static shape of x (the gradient of the Mul needs it)', () => {
    const { graph, y } = dropoutGraph(0.2, ['batch', 'sequence', 8]);
    expect(inferShapes(graph, { store: false }).get(y)).toMatchObject({
      dtype: 'float32',
      shape: ['batch', 'sequence', 8],
    });
  });

  it('gradient = dY·mask/(1 − p): central differences in float64 with the seed fixed', async () => {
    const result = await checkGradients({
      build: (b) => {
        const x = b.input('x', 'float64', [3, 5]);
        const seed = b.input('seed', 'int64', []);
        const y = statelessDropout(b, x, 0.4, seed, { dtype: 'float64' });
        return {
          inputs: { x: randomTensor('float64', [3, 5], 11), seed: seedTensor(5n) },
          output: y,
        };
      },
      wrt: ['x'],
    });
    // Dropped elements have gradient exactly 0, kept ones R/(1 − p) — both occur.
    const g = Array.from(result.analytic.x?.data as Float64Array);
    expect(g.some((v) => v === 0)).toBe(true);
    expect(g.some((v) => v !== 0)).toBe(true);
    expect(result.maxAbsError).toBeLessThan(1e-8);
  });

  it('ratio 0 is the identity; ratios outside [0, 1) are rejected', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float32', [2]);
    const seed = b.input('seed', 'int64', []);
    expect(statelessDropout(b, x, 0, seed)).toBe(x);
    expect(b.graph.nodes).toHaveLength(0);
    expect(() => statelessDropout(b, x, 1, seed)).toThrow(TrainerError);
    expect(() => statelessDropout(b, x, -0.1, seed)).toThrow(/\[0, 1\)/);
  });
});
