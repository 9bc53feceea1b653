// One fused training step — forward, MSE loss, buildGradients, global-norm clip, AdamW — for a tiny
// linear model, two steps against the same steps in PyTorch 1.13 (float64).
import { describe, expect, it } from 'vitest';
import { buildGradients } from '../autodiff/engine.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { mseLoss } from '../losses/mse.js';
import { createSession } from '../runtime/session.js';
import { buildAdamWUpdate } from './adamw.js';
import { buildGlobalNormClip, buildGlobalNormClipCoefficient } from './clip.js';
import { defaultNoDecay } from './no-decay.js';

const X = [0.5, -1.0, 2.0, 1.5, 0.25, -0.5, -2.0, 1.0, 0.75, 0.1, 0.2, 0.3];
const Y = [1.0, 0.0, -1.0, 2.0, 0.5, 0.5, 2.0, -2.0];
const W0 = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6];
const B0 = [0.05, -0.1];

function expectRel(actual: ArrayLike<number>, expected: number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tol * Math.abs(e)))
      expect.fail(`element ${i}: got ${a}, expected ${e}`);
  }
}

describe('fused step: mse → buildGradients → clip → AdamW', () => {
  // Both norms exceed max_norm = 1, so the clip scales every gradient in both steps: applied to
  // the gradients, or folded into AdamW's moment factors (what compileTrainingStep emits).
  it.each([
    ['clipped gradients', false],
    ['the clip coefficient folded into AdamW (gradScale)', true],
  ])('matches torch over two steps: %s', async (_, folded) => {
    const b = createGraphBuilder({ name: 'train_step' });
    const x = b.input('x', 'float64', [4, 3]);
    const y = b.input('y', 'float64', [4, 2]);
    const params = [
      { name: 'linear.weight', dims: [3, 2] },
      { name: 'linear.bias', dims: [2] },
    ];
    for (const p of params) {
      for (const suffix of ['', '.m', '.v']) b.input(p.name + suffix, 'float64', p.dims);
    }
    const lr = b.input('lr', 'float64', []);
    const step = b.input('step', 'int64', []);
    const pred = b.op('Add', [b.op('MatMul', [x, 'linear.weight']), 'linear.bias']);
    const loss = mseLoss(b, { input: pred, target: y }, { name: 'loss' });
    const { grads } = buildGradients(b.graph, { loss, wrt: params.map((p) => p.name) });
    // A fresh builder over the same graph: it reserves the names buildGradients just added.
    const ob = createGraphBuilder({ graph: b.graph });
    const raw = params.map((p) => grads.get(p.name) as string);
    const clip = folded
      ? { ...buildGlobalNormClipCoefficient(ob, raw, 1.0), grads: raw }
      : { ...buildGlobalNormClip(ob, raw, 1.0), coef: undefined };
    const updated = buildAdamWUpdate(ob, {
      ...(clip.coef !== undefined ? { gradScale: clip.coef } : {}),
      params: params.map((p, i) => ({
        param: p.name,
        grad: clip.grads[i] as string,
        m: `${p.name}.m`,
        v: `${p.name}.v`,
        decay: !defaultNoDecay(p.name),
      })),
      lr,
      step,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.1,
    });
    const outputs = [loss, clip.totalNorm, ...updated.flatMap((u) => [u.param, u.m, u.v])];
    for (const o of outputs) ob.output(o, 'float64');
    const session = await createSession(ob.graph, { threads: 1 });

    const f32 = (v: number[]) => Array.from(new Float32Array(v));
    const state: Record<string, TensorData> = {
      'linear.weight': tensor('float64', [3, 2], f32(W0)),
      'linear.bias': tensor('float64', [2], f32(B0)),
      'linear.weight.m': tensor('float64', [3, 2], new Array(6).fill(0)),
      'linear.weight.v': tensor('float64', [3, 2], new Array(6).fill(0)),
      'linear.bias.m': tensor('float64', [2], [0, 0]),
      'linear.bias.v': tensor('float64', [2], [0, 0]),
    };
    const seen: Array<{ loss: number; norm: number; w: number[]; b: number[] }> = [];
    for (const [s, rate] of [0.05, 0.02].entries()) {
      const out = await session.run({
        ...state,
        // batch s is X·(1 + s), as in the torch script
        x: tensor(
          'float64',
          [4, 3],
          f32(X).map((v) => v * (1 + s)),
        ),
        y: tensor('float64', [4, 2], f32(Y)),
        lr: tensor('float64', [], [rate]),
        step: tensor('int64', [], [s + 1]),
      });
      params.forEach((p, i) => {
        const u = updated[i] as (typeof updated)[number];
        state[p.name] = out[u.param] as TensorData;
        state[`${p.name}.m`] = out[u.m] as TensorData;
        state[`${p.name}.v`] = out[u.v] as TensorData;
      });
      seen.push({
        loss: Number(out[loss]?.data[0]),
        norm: Number(out[clip.totalNorm]?.data[0]),
        w: Array.from(state['linear.weight']?.data as Float64Array),
        b: Array.from(state['linear.bias']?.data as Float64Array),
      });
    }
    await session.release();

    // torch: AdamW([{params: [W], weight_decay: 0.1}, {params: [B], weight_decay: 0.0}],
    // betas=(0.9, 0.999), eps=1e-8); per step: loss = F.mse_loss(x @ W + B, y); loss.backward();
    // n = clip_grad_norm_([W, B], max_norm=1.0); opt.step()
    expectRel([seen[0]?.loss as number], [2.9917812859648842], 1e-12);
    expectRel([seen[0]?.norm as number], [2.4426273023142233], 1e-12);
    expectRel(
      seen[0]?.w as number[],
      [
        0.04950000348934307, -0.1490000040078527, 0.24850001522988574, 0.44799997752802445,
        -0.447500000773565, 0.5470000250686347,
      ],
      1e-10,
    );
    expectRel(seen[0]?.b as number[], [0.09999999932078503, -0.14999999530624827], 1e-10);
    expectRel([seen[1]?.loss as number], [4.46099612273572], 1e-12);
    expectRel([seen[1]?.norm as number], [6.433651279714252], 1e-12);
    expectRel(
      seen[1]?.w as number[],
      [
        0.029680337397703507, -0.1286756626570823, 0.22801540160911496, 0.44065199109631253,
        -0.4266010834767537, 0.5258794987123195,
      ],
      1e-10,
    );
    expectRel(seen[1]?.b as number[], [0.11839078736916359, -0.16999536095119186], 1e-10);
  });
});
