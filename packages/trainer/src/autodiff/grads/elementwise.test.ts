import { describe, expect, it } from 'vitest';
import { createGraphBuilder, type GraphBuilder } from '../../ir/builder.js';
import { tensor } from '../../ir/tensor.js';
import type { TensorData } from '../../ir/types.js';
import { createSession } from '../../runtime/session.js';
import { buildGradients } from '../engine.js';
import { checkGradients, hostErf, randomTensor } from '../testing.js';

type F = 'float32' | 'float64';

/** An input of `dims` filled from `seed` (uniform in [low, high)). */
function rand(
  b: GraphBuilder,
  name: string,
  dims: number[],
  seed: number,
  dtype: F = 'float64',
  low = -1,
  high = 1,
) {
  b.input(name, dtype, dims);
  return randomTensor(dtype, dims, seed, low, high);
}

/** FD check of a unary op on a [2, 3] input, values in [low, high). */
async function unaryCheck(
  op: string,
  low: number,
  high: number,
  dtype: F = 'float64',
  attrs = {},
  opset = 18,
) {
  return checkGradients({
    dtype,
    opset,
    wrt: ['x'],
    build: (b) => ({
      inputs: { x: rand(b, 'x', [2, 3], 11, dtype, low, high) },
      output: b.op(op, ['x'], attrs),
    }),
  });
}

/** FD check of a binary op on inputs of the given dims. */
async function binaryCheck(op: string, aDims: number[], bDims: number[], bLow = -1, bHigh = 1) {
  return checkGradients({
    wrt: ['a', 'b'],
    build: (b) => {
      const inputs = {
        a: rand(b, 'a', aDims, 1),
        b: rand(b, 'b', bDims, 2, 'float64', bLow, bHigh),
      };
      return { inputs, output: b.op(op, ['a', 'b']) };
    },
  });
}

// `+ 0` turns -0 (g·0 with g < 0) into 0 for toEqual.
const values = (t: TensorData | undefined) => Array.from(t?.data as Float64Array, (v) => v + 0);

describe('elementwise gradients (float64 finite differences in ORT)', () => {
  for (const op of ['Add', 'Sub', 'Mul']) {
    it(`${op}: same shapes, [2,3] with [3], [2,1,4] with [3,1], and a scalar`, async () => {
      await binaryCheck(op, [2, 3], [2, 3]);
      await binaryCheck(op, [2, 3], [3]);
      await binaryCheck(op, [2, 1, 4], [3, 1]);
      await binaryCheck(op, [], [2, 3]);
    });
  }

  it('Div: broadcasting both ways, denominators away from 0', async () => {
    await binaryCheck('Div', [2, 3], [3], 0.5, 2);
    await binaryCheck('Div', [3, 1], [2, 1, 4], 0.5, 2);
    await binaryCheck('Div', [2, 3], [], 0.5, 2);
  });

  it('Add gradient of a broadcast [3] input sums over the broadcast axis', async () => {
    const { analytic, gradientNodes } = await checkGradients({
      wrt: ['b'],
      build: (b) => ({
        inputs: { a: rand(b, 'a', [2, 3], 1), b: rand(b, 'b', [3], 2) },
        output: b.op('Add', ['a', 'b']),
      }),
    });
    // dL/db = Σ_rows R; with R = randomTensor(seed 7) over [2, 3]:
    const r = randomTensor('float64', [2, 3], 7);
    const rv = r.data as Float64Array;
    expect(values(analytic.b)).toEqual(
      [0, 1, 2].map((j) => (rv[j] as number) + (rv[j + 3] as number)),
    );
    expect(gradientNodes).toBeGreaterThan(0);
  });

  for (const p of [2, 0.5, -1, 3]) {
    it(`Pow with constant exponent ${p}`, async () => {
      await checkGradients({
        wrt: ['x'],
        build: (b) => {
          const exponent = b.scalar('float64', p);
          return {
            inputs: { x: rand(b, 'x', [2, 3], 5, 'float64', 0.5, 2) },
            output: b.op('Pow', ['x', exponent]),
          };
        },
      });
    });
  }

  it('Pow with an int64 exponent and with a broadcast tensor exponent input (base gradient only)', async () => {
    await checkGradients({
      wrt: ['x'],
      build: (b) => ({
        inputs: { x: rand(b, 'x', [3], 6, 'float64', -2, 2) },
        output: b.op('Pow', ['x', b.scalar('int64', 3)]),
      }),
    });
    await checkGradients({
      wrt: ['x'],
      build: (b) => {
        const inputs = {
          x: rand(b, 'x', [3], 6, 'float64', 0.5, 2),
          p: rand(b, 'p', [2, 3], 8, 'float64', -2, 2),
        };
        return { inputs, output: b.op('Pow', ['x', 'p']) };
      },
    });
  });

  it('Sqrt, Exp, Log, Tanh, Sigmoid, Neg, Identity', async () => {
    await unaryCheck('Sqrt', 0.5, 2);
    await unaryCheck('Exp', -2, 2);
    await unaryCheck('Log', 0.5, 3);
    await unaryCheck('Tanh', -2, 2);
    await unaryCheck('Sigmoid', -3, 3);
    await unaryCheck('Neg', -1, 1);
    await unaryCheck('Identity', -1, 1);
  });

  it('Relu away from the kink, and Relu′(0) = 0', async () => {
    // Values in ±[0.1, 1]: central differences are exact away from 0.
    await checkGradients({
      wrt: ['x'],
      build: (b) => {
        b.input('x', 'float64', [6]);
        return {
          inputs: { x: tensor('float64', [6], [-1, -0.5, -0.1, 0.1, 0.5, 1]) },
          output: b.op('Relu', ['x']),
        };
      },
    });
    const { analytic } = await checkGradients({
      wrt: ['x'],
      atol: 10, // FD at the kink averages both sides; only the analytic value is asserted
      build: (b) => {
        b.input('x', 'float64', [2]);
        return { inputs: { x: tensor('float64', [2], [0, 2]) }, output: b.op('Relu', ['x']) };
      },
    });
    const r = randomTensor('float64', [2], 7).data as Float64Array;
    expect(values(analytic.x)).toEqual([0, r[1]]);
  });

  it('Clip with min and max inputs, and with only max', async () => {
    // Elements at ±[0.1..0.9] around bounds -0.5 / 0.5: none within eps of a bound.
    const x = [-0.9, -0.6, -0.4, 0, 0.4, 0.6, 0.9, -0.1];
    const { analytic } = await checkGradients({
      wrt: ['x'],
      build: (b) => {
        b.input('x', 'float64', [8]);
        const lo = b.scalar('float64', -0.5);
        const hi = b.scalar('float64', 0.5);
        return { inputs: { x: tensor('float64', [8], x) }, output: b.op('Clip', ['x', lo, hi]) };
      },
    });
    const r = randomTensor('float64', [8], 7).data as Float64Array;
    expect(values(analytic.x)).toEqual(x.map((v, i) => (v > -0.5 && v < 0.5 ? r[i] : 0)));
    await checkGradients({
      wrt: ['x'],
      build: (b) => {
        b.input('x', 'float64', [8]);
        return {
          inputs: { x: tensor('float64', [8], x) },
          output: b.op('Clip', ['x', '', b.scalar('float64', 0.5)]),
        };
      },
    });
  });

  it('Clip gradient is 0 exactly at a bound (strict inequalities)', async () => {
    const { analytic } = await checkGradients({
      wrt: ['x'],
      // FD at a kink is a one-sided average; only the analytic value is asserted here.
      atol: 10,
      build: (b) => {
        b.input('x', 'float64', [3]);
        return {
          inputs: { x: tensor('float64', [3], [-0.5, 0.25, 0.5]) },
          output: b.op('Clip', ['x', b.scalar('float64', -0.5), b.scalar('float64', 0.5)]),
        };
      },
    });
    const r = randomTensor('float64', [3], 7).data as Float64Array;
    expect(values(analytic.x)).toEqual([0, r[1], 0]);
  });

  for (const op of ['Max', 'Min']) {
    it(`${op}: binary with broadcasting, ternary, and ties split evenly`, async () => {
      await binaryCheck(op, [2, 3], [3]);
      await binaryCheck(op, [2, 1, 4], [3, 1]);
      await checkGradients({
        wrt: ['a', 'b', 'c'],
        build: (b) => ({
          inputs: { a: rand(b, 'a', [4], 1), b: rand(b, 'b', [4], 2), c: rand(b, 'c', [4], 3) },
          output: b.op(op, ['a', 'b', 'c']),
        }),
      });
      const { analytic } = await checkGradients({
        wrt: ['a', 'b'],
        atol: 10, // FD straddles the tie; only the analytic split is asserted
        build: (b) => {
          b.input('a', 'float64', [2]);
          b.input('b', 'float64', [2]);
          return {
            inputs: { a: tensor('float64', [2], [1, 2]), b: tensor('float64', [2], [1, 3]) },
            output: b.op(op, ['a', 'b']),
          };
        },
      });
      const r = randomTensor('float64', [2], 7).data as Float64Array;
      const r0 = r[0] as number;
      const r1 = r[1] as number;
      expect(values(analytic.a)).toEqual([r0 / 2, op === 'Max' ? 0 : r1]);
      expect(values(analytic.b)).toEqual([r0 / 2, op === 'Max' ? r1 : 0]);
    });
  }

  it('Where: gradients to X and Y with broadcasting, none to the condition', async () => {
    await checkGradients({
      wrt: ['x', 'y'],
      build: (b) => {
        b.input('c', 'bool', [2, 1]);
        const inputs = {
          c: tensor('bool', [2, 1], [1, 0]),
          x: rand(b, 'x', [3], 1),
          y: rand(b, 'y', [2, 3], 2),
        };
        return { inputs, output: b.op('Where', ['c', 'x', 'y']) };
      },
    });
    // A float condition built from a compared value: the comparison itself is bool, no gradient.
    await checkGradients({
      wrt: ['x', 'y'],
      build: (b) => {
        const inputs = { x: rand(b, 'x', [2, 3], 1), y: rand(b, 'y', [], 2) };
        const c = b.op('Greater', ['x', b.scalar('float64', 0)]);
        return { inputs, output: b.op('Where', [c, 'x', 'y']) };
      },
    });
  });

  it('Cast float32 → float64 passes the gradient back', async () => {
    await checkGradients({
      dtype: 'float32',
      wrt: ['x'],
      build: (b) => ({
        inputs: { x: rand(b, 'x', [2, 3], 3, 'float32') },
        output: b.op('Mul', [b.op('Cast', ['x'], { to: 11 }), b.scalar('float64', 3)]),
      }),
    });
  });

  it('Erf (float32: ORT has no double Erf kernel)', async () => {
    await unaryCheck('Erf', -2, 2, 'float32');
  });

  it('Gelu (opset 20) approximate none and tanh', async () => {
    await unaryCheck('Gelu', -3, 3, 'float32', {}, 20);
    await unaryCheck('Gelu', -3, 3, 'float32', { approximate: 'tanh' }, 20);
  });

  it('Gelu derivative equals the closed forms from −40 to 40 (tails included, no NaN)', async () => {
    // Beyond |x| = 5.6, Φ is 1 or 0 to better than 1e-8 (hostErf is exact to ~1e-9 for |x/√2| ≤ 4).
    const exact = (x: number) => {
      const cdf = Math.abs(x) > 5.6 ? (x > 0 ? 1 : 0) : 0.5 * (1 + hostErf(x / Math.SQRT2));
      return cdf + (x * Math.exp((-x * x) / 2)) / Math.sqrt(2 * Math.PI);
    };
    const tanhForm = (x: number) => {
      const k = Math.sqrt(2 / Math.PI);
      const t = Math.tanh(k * (x + 0.044715 * x ** 3));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * k * (1 + 3 * 0.044715 * x * x);
    };
    const xs = [-40, -12, -6, -4, ...Array.from({ length: 33 }, (_, i) => -4 + i / 4), 6, 12, 40];
    for (const [approximate, reference] of [
      ['none', exact],
      ['tanh', tanhForm],
    ] as const) {
      const b = createGraphBuilder({ opset: 20 });
      const x = b.input('x', 'float32', [xs.length]);
      const loss = b.op('ReduceSum', [b.op('Gelu', [x], { approximate })], { keepdims: 0 });
      const { grads } = buildGradients(b.graph, { loss, wrt: ['x'] });
      b.output(grads.get('x') as string, 'float32', [xs.length]);
      const session = await createSession(b.graph, { threads: 1 });
      const out = await session.run({ x: tensor('float32', [xs.length], xs) });
      await session.release();
      const got = Array.from(Object.values(out)[0]?.data as Float32Array);
      got.forEach((g, i) => {
        const want = reference(xs[i] as number);
        if (!(Math.abs(g - want) <= 2e-6)) {
          expect.fail(`Gelu(${approximate})' at x = ${xs[i]}: got ${g}, expected ${want}`);
        }
      });
    }
  });

  it('fan-in: x * x + x, and a chain Exp → Mul → Tanh → Sub → Div → Sqrt', async () => {
    const { analytic } = await checkGradients({
      wrt: ['x'],
      build: (b) => ({
        inputs: { x: rand(b, 'x', [4], 4) },
        output: b.op('Add', [b.op('Mul', ['x', 'x']), 'x']),
      }),
    });
    const x = randomTensor('float64', [4], 4).data as Float64Array;
    const r = randomTensor('float64', [4], 7).data as Float64Array;
    const expected = Array.from(x, (v, i) => (2 * v + 1) * (r[i] as number));
    for (const [i, v] of values(analytic.x).entries())
      expect(v).toBeCloseTo(expected[i] as number, 14);
    await checkGradients({
      wrt: ['x', 'w'],
      build: (b) => {
        const inputs = { x: rand(b, 'x', [2, 3], 1), w: rand(b, 'w', [3], 2) };
        const e = b.op('Exp', ['x']);
        const t = b.op('Tanh', [b.op('Mul', [e, 'w'])]);
        const s = b.op('Sub', [t, 'x']);
        const d = b.op('Div', [s, b.op('Add', [b.op('Mul', ['w', 'w']), b.scalar('float64', 1)])]);
        return {
          inputs,
          output: b.op('Sqrt', [b.op('Add', [b.op('Mul', [d, d]), b.scalar('float64', 0.5)])]),
        };
      },
    });
  });
});
