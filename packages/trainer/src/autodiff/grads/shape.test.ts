// Finite-difference checks (float64 in ONNX Runtime) of the shape/data-movement gradient builders,
// plus exact values for Gather's duplicate-index accumulation and the symbolic-shape fallbacks.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../../errors.js';
import { createGraphBuilder, type GraphBuilder } from '../../ir/builder.js';
import { tensor } from '../../ir/tensor.js';
import type { Shape, TensorData } from '../../ir/types.js';
import { createSession } from '../../runtime/session.js';
import { inferShapes } from '../../shape/infer.js';
import { buildGradients } from '../engine.js';
import { registerGradients } from '../registry.js';
import { checkGradients, randomTensor } from '../testing.js';
import { reduceGradients } from './reduce.js';
import { shapeGradients } from './shape.js';

// The harness's loss is ReduceSum(Y ⊙ R), so the reduce builders are needed alongside ours.
registerGradients(shapeGradients);
registerGradients(reduceGradients);

/** Every op here has float64 CPU kernels in ORT 1.30, so all checks run in double. */
const TOL = 1e-7;

/** Runs the FD check on one op applied to a random float64 input `x` of `dims`. */
async function checkOp(
  dims: number[],
  forward: (b: GraphBuilder, x: string) => string,
  seed = 1,
): Promise<{ ops: string[]; analytic: TensorData }> {
  const result = await checkGradients({
    build: (b) => {
      const x = b.input('x', 'float64', dims);
      return { inputs: { x: randomTensor('float64', dims, seed) }, output: forward(b, x) };
    },
    wrt: ['x'],
  });
  expect(result.maxAbsError).toBeLessThan(TOL);
  const ops = result.graph.nodes.slice(-result.gradientNodes).map((n) => n.opType);
  return { ops, analytic: result.analytic.x as TensorData };
}

/** The R weights the harness multiplies the output by (its default seed 7). */
function harnessWeights(dims: number[]): Float64Array {
  return randomTensor('float64', dims, 7).data as Float64Array;
}

describe('Gather', () => {
  it('axis 0 with duplicate indices: FD check and exact accumulated rows', async () => {
    // Row 2 appears three times, row 5 once, the other rows never.
    const ids = tensor('int64', [4], [2, 5, 2, 2]);
    const { ops, analytic } = await checkOp([6, 3], (b, x) =>
      b.op('Gather', [x, b.constant(ids)], { axis: 0 }),
    );
    expect(ops).toContain('ScatterND');
    const r = harnessWeights([4, 3]);
    const expected = new Float64Array(18);
    [2, 5, 2, 2].forEach((row, i) => {
      for (let j = 0; j < 3; j++) {
        expected[row * 3 + j] = (expected[row * 3 + j] as number) + (r[i * 3 + j] as number);
      }
    });
    const got = Array.from(analytic.data as Float64Array);
    got.forEach((v, k) => {
      expect(v).toBeCloseTo(expected[k] as number, 14);
    });
    expect(got.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('an index repeated 3 times gets exactly 3× the gradient', async () => {
    // Y = Gather(X, [1, 1, 1]) summed: dL/dY = r (one scalar weight), so dX[1] = 3r, others 0.
    const { analytic } = await checkOp([3, 2], (b, x) =>
      b.op('ReduceSum', [b.op('Gather', [x, b.int64s([1, 1, 1])])], { keepdims: 0 }),
    );
    const r = harnessWeights([])[0] as number;
    const got = Array.from(analytic.data as Float64Array);
    expect(got[0]).toBe(0);
    expect(got[1]).toBe(0);
    expect(got[2]).toBeCloseTo(3 * r, 14);
    expect(got[3]).toBeCloseTo(3 * r, 14);
    expect(got[4]).toBe(0);
    expect(got[5]).toBe(0);
  });

  it('2-D indices [2, 3] into [10, 4], with negative and int32 indices', async () => {
    const ids = tensor('int32', [2, 3], [0, -1, 3, 9, 3, -10]);
    await checkOp([10, 4], (b, x) => b.op('Gather', [x, b.constant(ids)]));
  });

  it('axis 1 with 2-D and repeated indices, and axis -1', async () => {
    const ids = tensor('int64', [2, 2], [2, 0, 2, -1]);
    const { ops } = await checkOp([2, 4, 3], (b, x) =>
      b.op('Gather', [x, b.constant(ids)], { axis: 1 }),
    );
    expect(ops).toContain('ScatterElements');
    await checkOp([3, 4], (b, x) => b.op('Gather', [x, b.int64s([3, 3, 0])], { axis: -1 }), 2);
  });

  it('a scalar index (rank-reducing gather) on axes 0 and 1', async () => {
    await checkOp([4, 3], (b, x) => b.op('Gather', [x, b.scalar('int64', -2)]));
    await checkOp([4, 3], (b, x) => b.op('Gather', [x, b.scalar('int64', 1)], { axis: 1 }), 3);
  });
});

describe('Reshape, Flatten, Transpose, Unsqueeze, Squeeze', () => {
  it('Reshape with 0 and -1 in the target shape', async () => {
    await checkOp([2, 3, 4], (b, x) => b.op('Reshape', [x, b.int64s([0, -1, 2])]));
    await checkOp([2, 3, 4], (b, x) => b.op('Reshape', [x, b.int64s([-1])]), 2);
  });

  it('Flatten on axis 2', async () => {
    await checkOp([2, 3, 2], (b, x) => b.op('Flatten', [x], { axis: 2 }));
  });

  it('Transpose with a 3-D perm and with the default (reversed) perm', async () => {
    const { ops } = await checkOp([2, 3, 4], (b, x) => b.op('Transpose', [x], { perm: [1, 2, 0] }));
    expect(ops).toContain('Transpose');
    await checkOp([2, 3, 4], (b, x) => b.op('Transpose', [x]), 2);
  });

  it('Unsqueeze at several and negative axes', async () => {
    await checkOp([3, 2], (b, x) => b.op('Unsqueeze', [x, b.int64s([0, 3])]));
    await checkOp([3, 2], (b, x) => b.op('Unsqueeze', [x, b.int64s([-1])]), 2);
  });

  it('Squeeze with axes and without', async () => {
    await checkOp([1, 3, 1, 2], (b, x) => b.op('Squeeze', [x, b.int64s([-2])]));
    await checkOp([1, 3, 1, 2], (b, x) => b.op('Squeeze', [x]), 2);
  });
});

describe('Slice', () => {
  const slice = (b: GraphBuilder, x: string, params: number[][]) =>
    b.op('Slice', [x, ...params.map((p) => b.int64s(p))]);

  it('step 1 with negative starts on several axes is a Pad of dY', async () => {
    // axis 0: [-3, 100) clamps to [1, 4); axis 2: [1, -1) → [1, 4).
    const { ops, analytic } = await checkOp([4, 2, 5], (b, x) =>
      slice(b, x, [
        [-3, 1],
        [100, -1],
        [0, 2],
      ]),
    );
    expect(ops).toContain('Pad');
    expect(ops).not.toContain('ScatterElements');
    // Row 0 of axis 0 is not read: its gradient is zero.
    expect(Array.from((analytic.data as Float64Array).slice(0, 10))).toEqual(new Array(10).fill(0));
  });

  it('step 2, step -1 and several axes scatter into the positions read', async () => {
    const { ops } = await checkOp([5, 6], (b, x) =>
      slice(b, x, [
        [0, -1],
        [5, -100],
        [0, 1],
        [2, -1],
      ]),
    );
    expect(ops).toContain('ScatterElements');
    await checkOp([7], (b, x) => slice(b, x, [[-2], [-8], [0], [-2]]), 2);
  });

  it('run-time starts take the general path', async () => {
    const result = await checkGradients({
      build: (b) => {
        const x = b.input('x', 'float64', [3, 4]);
        const starts = b.input('starts', 'int64', [1]);
        const y = b.op('Slice', [x, starts, b.int64s([4]), b.int64s([1])]);
        return {
          inputs: { x: randomTensor('float64', [3, 4], 5), starts: tensor('int64', [1], [-3]) },
          output: y,
        };
      },
      wrt: ['x'],
    });
    expect(result.maxAbsError).toBeLessThan(TOL);
    // Column 0 (before start -3 → 1) gets no gradient.
    const g = result.analytic.x?.data as Float64Array;
    expect([g[0], g[4], g[8]]).toEqual([0, 0, 0]);
  });
});

describe('Concat and Split', () => {
  it('Concat of 3 inputs of different sizes along axis 1, each gets its part', async () => {
    const dims = [
      [2, 1],
      [2, 3],
      [2, 2],
    ];
    const result = await checkGradients({
      build: (b) => {
        const names = dims.map((d, i) => b.input(`x${i}`, 'float64', d));
        const inputs = Object.fromEntries(
          dims.map((d, i) => [`x${i}`, randomTensor('float64', d, 10 + i)]),
        );
        return { inputs, output: b.op('Concat', names, { axis: 1 }) };
      },
      wrt: ['x0', 'x1', 'x2'],
    });
    expect(result.maxAbsError).toBeLessThan(TOL);
    // dL/dY = R [2, 6]: x1 gets columns 1..3 of R.
    const r = harnessWeights([2, 6]);
    expect(Array.from(result.analytic.x1?.data as Float64Array)).toEqual([
      r[1],
      r[2],
      r[3],
      r[7],
      r[8],
      r[9],
    ]);
  });

  it('Concat along a negative axis with only one input differentiated', async () => {
    const result = await checkGradients({
      build: (b) => {
        const x = b.input('x', 'float64', [2, 2]);
        const c = b.constant(randomTensor('float64', [2, 3], 4));
        return {
          inputs: { x: randomTensor('float64', [2, 2], 3) },
          output: b.op('Concat', [c, x], { axis: -1 }),
        };
      },
      wrt: ['x'],
    });
    expect(result.maxAbsError).toBeLessThan(TOL);
  });

  it('Split with explicit sizes, all outputs used', async () => {
    await checkOp([2, 6], (b, x) => {
      const [a, c, d] = b.opN('Split', [x, b.int64s([1, 3, 2])], 3, { axis: 1 });
      return b.op('Concat', [d as string, b.op('Mul', [a as string, c as string])], { axis: 1 });
    });
  });

  it('Split with num_outputs and only one output used downstream', async () => {
    const { analytic } = await checkOp([6, 2], (b, x) => {
      const parts = b.opN('Split', [x], 3, { axis: 0, num_outputs: 3 });
      return parts[1] as string;
    });
    // Rows 0-1 and 4-5 went to unused outputs: zero gradient there.
    const g = Array.from(analytic.data as Float64Array);
    expect(g.slice(0, 4)).toEqual([0, 0, 0, 0]);
    expect(g.slice(8)).toEqual([0, 0, 0, 0]);
    expect(g.slice(4, 8)).toEqual(Array.from(harnessWeights([2, 2])));
  });
});

describe('Expand', () => {
  it('[3, 1] → [2, 3, 4] sums over the leading and the size-1 axis', async () => {
    const { analytic } = await checkOp([3, 1], (b, x) => b.op('Expand', [x, b.int64s([2, 3, 4])]));
    const r = harnessWeights([2, 3, 4]);
    const expected = [0, 1, 2].map((i) => {
      let s = 0;
      for (let a = 0; a < 2; a++) for (let k = 0; k < 4; k++) s += r[a * 12 + i * 4 + k] as number;
      return s;
    });
    Array.from(analytic.data as Float64Array).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i] as number, 14);
    });
  });

  it('a target shape smaller than the input keeps the input shape', async () => {
    await checkOp([2, 3], (b, x) => b.op('Expand', [x, b.int64s([3])]));
  });
});

/**
 * FD check with symbolic input dims: shapes come from static inference (not from a run), so the
 * builders' run-time fallbacks (Shape/Size ops instead of static sizes) are what gets tested.
 */
async function checkSymbolic(
  inputs: Array<{ name: string; shape: Shape; value: TensorData }>,
  forward: (b: GraphBuilder, xs: string[]) => string,
  outDims: number[],
): Promise<void> {
  const b = createGraphBuilder({ name: 'symbolic' });
  const xs = inputs.map((x) => b.input(x.name, 'float64', x.shape));
  const y = forward(b, xs);
  const r = b.input(
    'r',
    'float64',
    outDims.map((_, i) => `r${i}`),
  );
  const loss = b.op('ReduceSum', [b.op('Mul', [y, r])], { keepdims: 0 });
  b.output(loss, 'float64', []);
  const feeds: Record<string, TensorData> = { r: randomTensor('float64', outDims, 99) };
  for (const x of inputs) feeds[x.name] = x.value;
  const fwd = await createSession(structuredClone(b.graph));
  const shapes = inferShapes(b.graph);
  const { grads } = buildGradients(b.graph, { loss, wrt: xs, shapes });
  for (const x of xs) b.output(grads.get(x) as string, 'float64');
  const session = await createSession(b.graph);
  const got = await session.run(feeds);
  const eps = 1e-6;
  for (const x of inputs) {
    const g = got[grads.get(x.name) as string]?.data as Float64Array;
    const data = x.value.data as Float64Array;
    for (let k = 0; k < data.length; k++) {
      const plus = data.slice();
      const minus = data.slice();
      plus[k] = (data[k] as number) + eps;
      minus[k] = (data[k] as number) - eps;
      const lp = await fwd.run({ ...feeds, [x.name]: { ...x.value, data: plus } });
      const lm = await fwd.run({ ...feeds, [x.name]: { ...x.value, data: minus } });
      const fd = ((lp[loss]?.data[0] as number) - (lm[loss]?.data[0] as number)) / (2 * eps);
      expect(Math.abs((g[k] as number) - fd)).toBeLessThan(TOL);
    }
  }
  await session.release();
  await fwd.release();
}

describe('symbolic shapes (run-time fallbacks)', () => {
  it('Concat with a symbolic size splits dY by run-time sizes', async () => {
    await checkSymbolic(
      [
        { name: 'a', shape: [2, 'n'], value: randomTensor('float64', [2, 3], 1) },
        { name: 'c', shape: [2, 'm'], value: randomTensor('float64', [2, 2], 2) },
      ],
      (b, [a, c]) => b.op('Concat', [a as string, c as string], { axis: 1 }),
      [2, 5],
    );
  });

  it('Slice, Gather on axis 1 and Expand with a symbolic dim', async () => {
    await checkSymbolic(
      [{ name: 'x', shape: ['n', 4], value: randomTensor('float64', [3, 4], 3) }],
      (b, [x]) => b.op('Slice', [x as string, b.int64s([1]), b.int64s([-1]), b.int64s([0])]),
      [1, 4],
    );
    await checkSymbolic(
      [{ name: 'x', shape: ['n', 4], value: randomTensor('float64', [3, 4], 4) }],
      (b, [x]) => b.op('Gather', [x as string, b.int64s([3, 3, 1])], { axis: 1 }),
      [3, 3],
    );
    await checkSymbolic(
      [{ name: 'x', shape: ['n', 1], value: randomTensor('float64', [3, 1], 5) }],
      (b, [x]) => b.op('Expand', [x as string, b.int64s([2, 1, 4])]),
      [2, 3, 4],
    );
  });
});

describe('errors', () => {
  it('Gather on axis 1 with an unknown rank names the node and op', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64');
    const y = b.op('Gather', [x, b.int64s([0])], { axis: 1 }, { name: 'emb' });
    const builder = shapeGradients.Gather;
    expect(builder).toBeDefined();
    const node = b.graph.nodes.find((n) => n.outputs[0] === y);
    const call = () =>
      builder?.({
        node: node as (typeof b.graph.nodes)[number],
        gradOutputs: ['dy'],
        needsGrad: [true, false],
        builder: b,
        info: () => undefined,
      });
    expect(call).toThrow(TrainerError);
    expect(call).toThrow(/op Gather node "emb": the rank of "x" is unknown/);
  });

  it('Gather below opset 16 (no scatter reduction) is refused with the fix', () => {
    const b = createGraphBuilder({ opset: 13 });
    const x = b.input('x', 'float64', [4, 2]);
    const y = b.op('Gather', [x, b.int64s([0])], {}, { name: 'emb' });
    const node = b.graph.nodes.find((n) => n.outputs[0] === y) as (typeof b.graph.nodes)[number];
    const call = () =>
      shapeGradients.Gather?.({
        node,
        gradOutputs: ['dy'],
        needsGrad: [true, false],
        builder: b,
        info: () => undefined,
      });
    expect(call).toThrow(/op Gather node "emb": .*needs opset 16 or later \(the graph has 13\)/);
  });
});
