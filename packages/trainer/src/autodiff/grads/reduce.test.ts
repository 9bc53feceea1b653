// Finite-difference checks (float64 in ONNX Runtime) of the ReduceSum/ReduceMean gradients, with
// exact values for the mean's 1/count and the static, run-time and attribute forms of the axes.
import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from '../../ir/builder.js';
import { tensor } from '../../ir/tensor.js';
import type { TensorData } from '../../ir/types.js';
import { registerGradients } from '../registry.js';
import { checkGradients, randomTensor } from '../testing.js';
import { reduceGradients } from './reduce.js';

registerGradients(reduceGradients);

/** ReduceSum/ReduceMean have float64 CPU kernels in ORT 1.30, so the checks run in double. */
const TOL = 1e-7;
const DIMS = [2, 3, 4];

async function check(
  forward: (b: GraphBuilder, x: string) => string,
  options: { opset?: number; extra?: Record<string, TensorData>; seed?: number } = {},
): Promise<{ analytic: Float64Array; ops: string[] }> {
  const result = await checkGradients({
    build: (b) => {
      const x = b.input('x', 'float64', DIMS);
      for (const [name, t] of Object.entries(options.extra ?? {})) b.input(name, t.dtype, t.dims);
      const inputs = { x: randomTensor('float64', DIMS, options.seed ?? 1), ...options.extra };
      return { inputs, output: forward(b, x) };
    },
    wrt: ['x'],
    ...(options.opset !== undefined ? { opset: options.opset } : {}),
  });
  expect(result.maxAbsError).toBeLessThan(TOL);
  const ops = result.graph.nodes.slice(-result.gradientNodes).map((n) => n.opType);
  return { analytic: result.analytic.x?.data as Float64Array, ops };
}

/** The harness's output weights R (seed 7): dL/dY. */
const weights = (dims: number[]) => randomTensor('float64', dims, 7).data as Float64Array;

describe.each(['ReduceSum', 'ReduceMean'])('%s', (op) => {
  const mean = op === 'ReduceMean';

  it('one axis, keepdims 1 and 0, with exact values', async () => {
    for (const keepdims of [1, 0]) {
      const { analytic } = await check((b, x) => b.op(op, [x, b.int64s([1])], { keepdims }));
      // dX[i, j, k] = R[i, k] (÷ 3 for the mean): the same with or without kept dims.
      const r = weights([2, 4]);
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) {
          for (let k = 0; k < 4; k++) {
            const want = (r[i * 4 + k] as number) / (mean ? 3 : 1);
            expect(analytic[i * 12 + j * 4 + k]).toBeCloseTo(want, 15);
          }
        }
      }
    }
  });

  it('several and negative axes, keepdims 0 and 1', async () => {
    await check((b, x) => b.op(op, [x, b.int64s([0, -1])], { keepdims: 0 }));
    await check((b, x) => b.op(op, [x, b.int64s([-2, 2])], { keepdims: 1 }), { seed: 2 });
    await check((b, x) => b.op(op, [x, b.int64s([2, 0])], { keepdims: 1 }), { seed: 3 });
  });

  it('no axes reduces everything, keepdims 0 and 1', async () => {
    for (const keepdims of [0, 1]) {
      const { analytic } = await check((b, x) => b.op(op, [x], { keepdims }));
      const r = weights(keepdims ? [1, 1, 1] : [])[0] as number;
      const want = mean ? r / 24 : r;
      for (const v of analytic) expect(v).toBeCloseTo(want, 15);
    }
  });

  it('no axes with noop_with_empty_axes is the identity', async () => {
    const { analytic, ops } = await check((b, x) => b.op(op, [x], { noop_with_empty_axes: 1 }));
    expect(ops).not.toContain('Expand');
    expect(Array.from(analytic)).toEqual(Array.from(weights(DIMS)));
  });

  it('axes fed at run time (count from Size at run time for the mean)', async () => {
    for (const keepdims of [0, 1]) {
      const { ops } = await check((b, x) => b.op(op, [x, 'axes'], { keepdims }), {
        extra: { axes: tensor('int64', [2], [-1, 1]) },
      });
      if (mean) expect(ops).toContain('Size');
    }
  });

  it('an empty run-time axes list reduces everything, or nothing with noop_with_empty_axes', async () => {
    const empty = { extra: { axes: tensor('int64', [0], []) } };
    await check((b, x) => b.op(op, [x, 'axes'], { keepdims: 0 }), empty);
    const { analytic } = await check(
      (b, x) => b.op(op, [x, 'axes'], { keepdims: 0, noop_with_empty_axes: 1 }),
      empty,
    );
    expect(Array.from(analytic)).toEqual(Array.from(weights(DIMS)));
  });
});

describe('axes as an attribute (ReduceMean before opset 18)', () => {
  it('ReduceMean-13 with axes [0, 2] and keepdims 0', async () => {
    const { analytic } = await check(
      (b, x) => b.op('ReduceMean', [x], { axes: [0, 2], keepdims: 0 }),
      { opset: 13 },
    );
    // dX[i, j, k] = R[j] / 8.
    const r = weights([3]);
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        for (let k = 0; k < 4; k++) {
          expect(analytic[i * 12 + j * 4 + k]).toBeCloseTo((r[j] as number) / 8, 15);
        }
      }
    }
  });
});
