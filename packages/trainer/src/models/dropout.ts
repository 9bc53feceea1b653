// Stateless dropout: the keep mask is a counter-based hash of (seed input, element index) computed
// in-graph with integer ops, so a resumed run that feeds the same step seed drops the same units.
import { TrainerError } from '../errors.js';
import type { GraphBuilder } from '../ir/builder.js';
import { ONNX_DTYPE_CODE, tensor } from '../ir/tensor.js';
import type { DType, Graph, Node } from '../ir/types.js';

const TWO_32 = 2 ** 32;
const TWO_16 = 2 ** 16;
// Multipliers of a 32-bit xorshift-multiply hash from Wellons' hash prospector ("16 21f0aaad 15
// 735a2d97 15": low bias, full avalanche).
const M1 = 0x21f0aaad;
const M2 = 0x735a2d97;
/** ONNX TensorProto codes outside the IR's DType set: the hash runs in uint32. */
const UINT32 = 12;
const INT32 = 6;

export interface StatelessDropoutOptions {
  /**
   * Distinguishes dropout sites fed by the same seed input. @default a 32-bit hash of `x`'s name
   * (unique within the graph, and stable for a graph built the same way)
   */
  salt?: number;
  /** Float type of `x`. @default 'float32' */
  dtype?: DType;
}

/** FNV-1a over UTF-16 code units: a stable 32-bit salt from a value name. */
export function salt32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The same hash on host numbers (uint32 in, uint32 out): salts and tests use it. */
export function hash32(x: number): number {
  let h = x >>> 0;
  h = (h ^ (h >>> 16)) >>> 0;
  h = Math.imul(h, M1) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, M2) >>> 0;
  return (h ^ (h >>> 15)) >>> 0;
}

const int64 = (b: GraphBuilder, v: number) => b.scalar('int64', v);
const int64s1 = (b: GraphBuilder, v: number) => b.int64s([v]);
// uint32 arithmetic is exact modulo 2³² in ONNX Runtime (unsigned wrap-around is defined in C++),
// so the hash needs no Mod passes: measured ~5× faster than emulating uint32 in int64 with
// Div/Mod (3.1M elements, 2 threads: ~170 ms vs 813 ms).
// The IR has no uint32 tensors, so constants are int64 Constants cast once (ORT folds them).
const uint32 = (b: GraphBuilder, v: number) => b.op('Cast', [int64(b, v)], { to: UINT32 });
const xor = (b: GraphBuilder, x: string, y: string) => b.op('BitwiseXor', [x, y]);
const shr = (b: GraphBuilder, x: string, k: number) =>
  b.op('BitShift', [x, uint32(b, k)], { direction: 'RIGHT' });
const mul = (b: GraphBuilder, x: string, m: number) => b.op('Mul', [x, uint32(b, m)]);

/** The full hash32 in-graph on uint32 values (the scalar seed/salt mixing). */
function hashInGraph(b: GraphBuilder, x: string): string {
  let h = mul(b, xor(b, x, shr(b, x, 16)), M1);
  h = mul(b, xor(b, h, shr(b, h, 15)), M2);
  return xor(b, h, shr(b, h, 15));
}

/**
 * The per-element hash of `v = index + k₁` (mod 2³²): hash32 without its first xorshift (whose
 * job, moving high input bits down, matters little for indices, and which would cost two passes
 * over every element), with `k₂` mixed in after the first multiply so different keys give
 * unrelated sequences rather than one sequence shifted. k₁ is added rather than xor-ed: ONNX
 * Runtime's uint32 Add is vectorised and threaded, its BitwiseXor/BitShift/BitwiseAnd are not
 * (~0.1 ms vs ~0.2 ms per 262k elements, measured); the xor with k₂ after the multiply keeps two
 * keys from collapsing into one offset, which (i + k₁)·M₁ + k₂ would. 8 elementwise passes.
 */
function elementHash(b: GraphBuilder, index: string, k1: string, k2: string): string {
  let h = xor(b, mul(b, b.op('Add', [index, k1]), M1), k2);
  h = mul(b, xor(b, h, shr(b, h, 15)), M2);
  return xor(b, h, shr(b, h, 15));
}

/** The key vectors of the dropout sites fed by one seed input of a graph (see siteKeys). */
interface KeyTable {
  /** Constant int64 [S] nodes holding the sites' two salts, grown as sites are added. */
  saltsA: Node;
  saltsB: Node;
  /** uint32 [S] values: k₁ and k₂ of every site. */
  k1: string;
  k2: string;
  sites: number;
}
const keyTables = new WeakMap<Graph, Map<string, KeyTable>>();

/**
 * A site's keys, k₁ = H(lo ⊕ H(hi ⊕ A)) and k₂ = H(k₁ ⊕ B), from the seed's 32-bit halves lo, hi
 * and the salt's A = hash32(salt ⊕ c_A), B = hash32(salt ⊕ c_B) (H = hash32). Computed for all
 * sites fed by `seedInput` at once, as [S] vectors whose salts constant grows with each new site,
 * then sliced per site: ~27 scalar kernels per site cost ONNX Runtime ~18 µs each in dispatch
 * (~6 ms per GPT-mini step over 13 sites), a Slice per key costs one.
 */
function siteKeys(b: GraphBuilder, seedInput: string, salt: number): { k1: string; k2: string } {
  let tables = keyTables.get(b.graph);
  if (tables === undefined) {
    tables = new Map();
    keyTables.set(b.graph, tables);
  }
  let table = tables.get(seedInput);
  // A pass that rebuilt the node list may have dropped the table's nodes: start a new one.
  if (table !== undefined && !b.graph.nodes.includes(table.saltsA)) table = undefined;
  if (table === undefined) {
    const constantNode = (value: string) =>
      b.graph.nodes.find((n) => n.outputs[0] === value) as Node;
    const saltsA = b.constant(tensor('int64', [0], []));
    const saltsB = b.constant(tensor('int64', [0], []));
    // Both 32-bit halves of the seed matter: the loop may feed a 53- or 64-bit step hash. Casting
    // int64 to uint32 keeps the low 32 bits (two's complement), so negative seeds work too.
    const lo = b.op('Cast', [seedInput], { to: UINT32 });
    const hi = b.op('Cast', [b.op('Div', [seedInput, int64(b, TWO_32)])], { to: UINT32 });
    const a = b.op('Cast', [saltsA], { to: UINT32 });
    const k1 = hashInGraph(b, xor(b, lo, hashInGraph(b, xor(b, hi, a))));
    const k2 = hashInGraph(b, xor(b, k1, b.op('Cast', [saltsB], { to: UINT32 })));
    table = { saltsA: constantNode(saltsA), saltsB: constantNode(saltsB), k1, k2, sites: 0 };
    tables.set(seedInput, table);
  }
  const append = (node: Node, value: number) => {
    const attr = node.attributes.value;
    const old = attr?.type === 'tensor' ? Array.from(attr.value.data as BigInt64Array) : [];
    const values = [...old, BigInt(value)];
    node.attributes = {
      ...node.attributes,
      value: { type: 'tensor', value: tensor('int64', [values.length], values) },
    };
  };
  append(table.saltsA, hash32(salt ^ 0x5bd1e995));
  append(table.saltsB, hash32(salt ^ 0x27d4eb2f));
  // [1]-shaped slices (they broadcast like scalars): ONNX Runtime would turn a Gather of a
  // constant index into a Slice and a Squeeze.
  const site = table.sites++;
  const pick = (keys: string) => b.op('Slice', [keys, b.int64s([site]), b.int64s([site + 1])]);
  return { k1: pick(table.k1), k2: pick(table.k2) };
}

/**
 * Inverted dropout with a mask that is a pure function of (`seedInput`, salt, element index):
 * with m = ⌈n/2⌉, element i < m is kept when the low 16 bits of h(i + k₁; k₂) are ≥ p·2¹⁶ and
 * element m + i when the high 16 bits are (see elementHash), where k₁, k₂ are hashed from the int64
 * scalar `seedInput` and the site's salt; y = x·mask/(1 − p). No RNG state lives in the session, so the
 * same seed gives the same mask in any session, and the gradient is dY·mask/(1 − p) through the
 * Mul (the mask is integer-derived and carries none). Tensors of 2³¹ or more elements are not
 * supported (the index Range is int32).
 *
 * @param ratio drop probability in [0, 1); 0 returns `x` unchanged.
 * @param seedInput an int64 scalar value (any int64; negative values are fine).
 */
export function statelessDropout(
  b: GraphBuilder,
  x: string,
  ratio: number,
  seedInput: string,
  options: StatelessDropoutOptions = {},
): string {
  if (!(ratio >= 0 && ratio < 1)) {
    throw new TrainerError('INVALID_ARGUMENT', `dropout ratio must be in [0, 1), got ${ratio}`);
  }
  if (ratio === 0) return x;
  const { salt = salt32(x), dtype = 'float32' } = options;
  const { k1, k2 } = siteKeys(b, seedInput, salt);

  // One 32-bit hash per PAIR of elements: its low 16 bits decide element i and its high 16 bits
  // element i + ⌈n/2⌉, which halves the hash passes (the dearest part of dropout: ~10% of a
  // BERT-mini step). A 16-bit threshold quantises p to 1/65536 (0.1 → 0.1000061).
  const size = b.op('Size', [x]);
  const half = b.op('Div', [b.op('Add', [size, int64(b, 1)]), int64(b, 2)]);
  // Element indices as uint32 via an int32 Range (half the bytes of int64; x must hold < 2³¹).
  const range = b.op('Range', [
    b.scalar('int32', 0),
    b.op('Cast', [half], { to: INT32 }),
    b.scalar('int32', 1),
  ]);
  const h = elementHash(b, b.op('Cast', [range], { to: UINT32 }), k1, k2);
  // With t = p·2¹⁶ and T = t·2¹⁶: high16(h) ≥ t ⟺ h ≥ T, and low16(h) ≥ t ⟺ h·2¹⁶ mod 2³² ≥ T
  // (the multiply moves the low half up and drops the high half), so one fast uint32 Mul
  // replaces a BitwiseAnd and a BitShift; the bits kept are exactly the same.
  const t = Math.min(Math.round(ratio * TWO_16), TWO_16 - 1);
  const threshold = uint32(b, t * TWO_16);
  const pairs = b.op(
    'Concat',
    [
      b.op('GreaterOrEqual', [mul(b, h, TWO_16), threshold]),
      b.op('GreaterOrEqual', [h, threshold]),
    ],
    { axis: 0 },
  );
  const keep = b.op('Slice', [pairs, int64s1(b, 0), b.op('Reshape', [size, b.int64s([1])])]);
  // The hash ops have no shape rules; reshaping to Shape(x) gives the mask x's static shape,
  // which the Mul's gradient needs.
  const keepShaped = b.op('Reshape', [keep, b.op('Shape', [x])]);
  // Cast + Mul rather than Where(keep, scale, 0): ORT's Where with scalar branches measured ~3×
  // slower than a Cast. The scaled mask is also what the backward pass multiplies by.
  const keepFloat = b.op('Cast', [keepShaped], { to: ONNX_DTYPE_CODE[dtype] });
  const mask = b.op('Mul', [keepFloat, b.scalar(dtype, 1 / (1 - ratio))]);
  return b.op('Mul', [x, mask]);
}
