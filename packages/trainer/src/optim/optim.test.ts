// AdamW / SGD updates and global-norm clipping against PyTorch 1.13 (Debian python3-torch): the
// reference numbers come from torch.optim.AdamW / torch.optim.SGD / clip_grad_norm_ in float64 on
// the float32 inputs below (script: param groups [P1 (decay), P2 (no decay)], lr set per step).
import { describe, expect, it } from 'vitest';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import type { FloatDType } from '../losses/utils.js';
import { createSession } from '../runtime/session.js';
import { buildAdamWUpdate } from './adamw.js';
import { buildGlobalNormClip } from './clip.js';
import { defaultNoDecay } from './no-decay.js';
import { buildSgdUpdate, type SgdUpdateOptions } from './sgd.js';

const P1 = [0.5, -1.25, 2.0, 0.75, -0.125, 1.5]; // [2, 3], decayed
const P2 = [0.1, -0.2, 0.3]; // [3], not decayed (a bias)
const G1 = [
  [0.3, -0.2, 0.1, 0.05, 0.4, -0.6],
  [-0.1, 0.25, 0.2, 0.15, -0.35, 0.5],
  [0.2, 0.1, -0.3, -0.05, 0.3, 0.45],
];
const G2 = [
  [0.01, -0.5, 0.2],
  [0.03, 0.4, -0.1],
  [-0.02, 0.3, 0.25],
];
const LR = [1e-2, 5e-3, 2e-3];

function expectRel(actual: ArrayLike<number>, expected: number[], tol: number, floor = 1e-12) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (!(Math.abs(a - e) <= tol * Math.max(Math.abs(e), floor))) {
      expect.fail(`element ${i}: got ${a}, expected ${e} (relative tol ${tol})`);
    }
  }
}

/** float32 values as stored (what torch saw: t(v) = float32 → float64). */
const f32 = (values: number[]) => Array.from(new Float32Array(values));

function feed(dtype: FloatDType, dims: number[], values: number[]): TensorData {
  return tensor(dtype, dims, f32(values));
}

describe('buildAdamWUpdate vs torch.optim.AdamW(betas=(0.9, 0.99), eps=1e-8)', () => {
  async function runAdamW(dtype: FloatDType, stepType: 'int64' | 'float32') {
    const b = createGraphBuilder({ name: 'adamw' });
    const names = ['p1', 'g1', 'm1', 'v1'].map((n) => b.input(n, dtype, [2, 3]));
    const names2 = ['p2', 'g2', 'm2', 'v2'].map((n) => b.input(n, dtype, [3]));
    // The lr input in the parameters' dtype, so float64 runs see torch's exact lr.
    const lr = b.input('lr', dtype, []);
    const step = b.input('step', stepType, []);
    const [u1, u2] = buildAdamWUpdate(b, {
      params: [
        { param: 'p1', grad: 'g1', m: 'm1', v: 'v1' },
        { param: 'p2', grad: 'g2', m: 'm2', v: 'v2', decay: false },
      ],
      lr,
      step,
      beta1: 0.9,
      beta2: 0.99,
      eps: 1e-8,
      weightDecay: 0.1,
    });
    expect(names.length + names2.length).toBe(8);
    for (const u of [u1, u2]) {
      b.output(u?.param as string, dtype);
      b.output(u?.m as string, dtype);
      b.output(u?.v as string, dtype);
    }
    const session = await createSession(b.graph, { threads: 1 });
    let state = {
      p1: feed(dtype, [2, 3], P1),
      m1: feed(dtype, [2, 3], [0, 0, 0, 0, 0, 0]),
      v1: feed(dtype, [2, 3], [0, 0, 0, 0, 0, 0]),
      p2: feed(dtype, [3], P2),
      m2: feed(dtype, [3], [0, 0, 0]),
      v2: feed(dtype, [3], [0, 0, 0]),
    };
    const trace: number[][][] = [];
    for (let s = 0; s < 3; s++) {
      const out = await session.run({
        ...state,
        g1: feed(dtype, [2, 3], G1[s] as number[]),
        g2: feed(dtype, [3], G2[s] as number[]),
        lr: tensor(dtype, [], [LR[s] as number]),
        step: tensor(stepType, [], [s + 1]),
      });
      const get = (n: string | undefined) => out[n as string] as TensorData;
      state = {
        p1: get(u1?.param),
        m1: get(u1?.m),
        v1: get(u1?.v),
        p2: get(u2?.param),
        m2: get(u2?.m),
        v2: get(u2?.v),
      };
      trace.push([
        Array.from(state.p1.data as Float64Array),
        Array.from(state.p2.data as Float64Array),
      ]);
    }
    await session.release();
    return { trace, state };
  }

  // torch.optim.AdamW([{params: [p1], weight_decay: 0.1}, {params: [p2], weight_decay: 0.0}],
  //   betas=(0.9, 0.99), eps=1e-8), lr per step 1e-2, 5e-3, 2e-3; p after each opt.step()
  const torchP = [
    [
      [
        0.4895000003333333, -1.2387500005, 1.9880000009999999, 0.7392500019999996, -0.13487499975,
        1.5084999998333333,
      ],
      [0.09000001149010634, -0.19000000318023225, 0.29000001242092893],
    ],
    [
      [
        0.4872505243296406, -1.2389438829906194, 1.9821866269007946, 0.73429975173239,
        -0.1348776057037801, 1.507936437915885,
      ],
      [0.0854193878440472, -0.18970923352904007, 0.2886665153600047],
    ],
    [
      [
        0.4859449546082863, -1.2393181335321644, 1.9819230445923397, 0.7331854964539221,
        -0.13549840958555792, 1.5070471811752335,
      ],
      [0.08490407579063433, -0.19017095052330418, 0.2874405951396813],
    ],
  ];
  // opt.state[p]['exp_avg'] / ['exp_avg_sq'] after step 3
  const torchM1 = [
    0.03530000112950801, 0.016299999907612796, -0.003900000803172585, 0.0125500005222857,
    0.030900002211332316, 0.041399996876716603,
  ];
  const torchV1 = [
    0.0013810900849735765, 0.0011107900146639358, 0.0013940100862482219, 0.0002722525191778696,
    0.0036809100769543703, 0.008028360173120513,
  ];
  const torchM2 = [0.0015099999662488697, 0.025500001728534692, 0.03220000010728835];
  const torchV2 = [1.389009937906416e-5, 0.004934250118732459, 0.0011160400146341335];

  it('float64 graph, int64 step: three steps match to 1e-12 relative', async () => {
    const { trace, state } = await runAdamW('float64', 'int64');
    for (let s = 0; s < 3; s++) {
      expectRel(trace[s]?.[0] as number[], torchP[s]?.[0] as number[], 1e-12);
      expectRel(trace[s]?.[1] as number[], torchP[s]?.[1] as number[], 1e-12);
    }
    expectRel(state.m1.data as Float64Array, torchM1, 1e-12);
    expectRel(state.v1.data as Float64Array, torchV1, 1e-12);
    expectRel(state.m2.data as Float64Array, torchM2, 1e-12);
    expectRel(state.v2.data as Float64Array, torchV2, 1e-12);
  });

  it('float32 graph, float step: parameters match to 1e-6 relative', async () => {
    const { trace, state } = await runAdamW('float32', 'float32');
    for (let s = 0; s < 3; s++) {
      expectRel(trace[s]?.[0] as number[], torchP[s]?.[0] as number[], 1e-6);
      expectRel(trace[s]?.[1] as number[], torchP[s]?.[1] as number[], 1e-6);
    }
    // Moments are small sums of cancelling terms: relative to their scale, not to each element.
    expectRel(state.m1.data as Float32Array, torchM1, 1e-6, 0.05);
    expectRel(state.v2.data as Float32Array, torchV2, 1e-6, 0.005);
  });
});

describe('buildSgdUpdate vs torch.optim.SGD', () => {
  async function runSgd(options: Omit<SgdUpdateOptions, 'params' | 'lr' | 'step'>) {
    const dtype = 'float64';
    const b = createGraphBuilder({ name: 'sgd' });
    for (const n of ['p1', 'g1', 'b1']) b.input(n, dtype, [2, 3]);
    for (const n of ['p2', 'g2', 'b2']) b.input(n, dtype, [3]);
    const lr = b.input('lr', dtype, []);
    const step = b.input('step', 'int64', []);
    const momentum = (options.momentum ?? 0) > 0;
    const updated = buildSgdUpdate(b, {
      ...options,
      params: [
        { param: 'p1', grad: 'g1', ...(momentum ? { momentumBuffer: 'b1' } : {}) },
        { param: 'p2', grad: 'g2', ...(momentum ? { momentumBuffer: 'b2' } : {}), decay: false },
      ],
      lr,
      step,
    });
    const outs = updated.flatMap((u) =>
      u.momentumBuffer ? [u.param, u.momentumBuffer] : [u.param],
    );
    for (const o of outs) b.output(o, dtype);
    const session = await createSession(b.graph, { threads: 1 });
    const state: Record<string, TensorData> = {
      p1: feed(dtype, [2, 3], P1),
      b1: feed(dtype, [2, 3], [0, 0, 0, 0, 0, 0]),
      p2: feed(dtype, [3], P2),
      b2: feed(dtype, [3], [0, 0, 0]),
    };
    for (let s = 0; s < 3; s++) {
      const out = await session.run(
        {
          ...state,
          g1: feed(dtype, [2, 3], G1[s] as number[]),
          g2: feed(dtype, [3], G2[s] as number[]),
          lr: tensor(dtype, [], [(LR[s] as number) * 10]),
          step: tensor('int64', [], [s + 1]),
        },
        outs,
      );
      const [n1, n2] = updated;
      state.p1 = out[n1?.param as string] as TensorData;
      state.p2 = out[n2?.param as string] as TensorData;
      if (momentum) {
        state.b1 = out[n1?.momentumBuffer as string] as TensorData;
        state.b2 = out[n2?.momentumBuffer as string] as TensorData;
      }
    }
    await session.release();
    const values = (n: string) => Array.from(state[n]?.data as Float64Array);
    return { p1: values('p1'), p2: values('p2'), b1: values('b1'), b2: values('b2') };
  }

  // All: torch.optim.SGD([{params: [p1]}, {params: [p2], weight_decay: 0.0}], lr per step
  // 0.1, 0.05, 0.02, **kwargs), three steps; p and state['momentum_buffer'] after step 3.
  it('momentum 0.9 with dampening 0.1 and weight decay 0.01 (buffer starts undamped)', async () => {
    const got = await runSgd({ momentum: 0.9, dampening: 0.1, weightDecay: 0.01 });
    expectRel(
      got.p1,
      [
        0.4529838526464257, -1.231871625325419, 1.972244256820134, 0.7318632945628907,
        -0.17312753901949046, 1.554367109794303,
      ],
      1e-12,
    );
    expectRel(got.p2, [0.0969120015591383, -0.1492800035595894, 0.26938001153171065], 1e-12);
    expectRel(
      got.b1,
      [
        0.35399353463156297, 0.09935316287091835, 0.023057141487788084, 0.13571462804443152,
        0.3066490818635206, 0.36282843308467494,
      ],
      1e-12,
    );
    expectRel(got.b2, [0.014399999678134925, 0.18900001555681228, 0.30600000120699405], 1e-12);
  });

  it('Nesterov momentum 0.9 with weight decay 0.05', async () => {
    const got = await runSgd({ momentum: 0.9, nesterov: true, weightDecay: 0.05 });
    expectRel(
      got.p1,
      [
        0.4206105661046454, -1.2082994723338025, 1.925576676809158, 0.7083449485194728,
        -0.1925243305619294, 1.5440971602543208,
      ],
      1e-12,
    );
    expectRel(got.p2, [0.09497320160247386, -0.1333400040960312, 0.2526040113562345], 1e-12);
    expectRel(
      got.b1,
      [
        0.4145965516883835, -0.0020077836766783305, 0.22656901692427125, 0.22448176611712137,
        0.2858679461843737, 0.6250344036197155,
      ],
      1e-12,
    );
    expectRel(got.b2, [0.015099999662488706, 0.255000017285347, 0.3220000010728836], 1e-12);
  });

  it('plain SGD with weight decay 0.1', async () => {
    const got = await runSgd({ weightDecay: 0.1 });
    expectRel(
      got.p1,
      [
        0.462739648830992, -1.2234646747338622, 1.9522496999417347, 0.725859874643489,
        -0.15114038862772583, 1.5002504526059388,
      ],
      1e-12,
    );
    expectRel(got.p2, [0.09790000153705478, -0.17600000351667405, 0.2800000116974115], 1e-12);
  });

  it('rejects Nesterov with dampening, and dampening without a step input', () => {
    const b = createGraphBuilder();
    const p = b.input('p', 'float32', [1]);
    const g = b.input('g', 'float32', [1]);
    const lr = b.input('lr', 'float32', []);
    const params = [{ param: p, grad: g, momentumBuffer: g }];
    expect(() =>
      buildSgdUpdate(b, { params, lr, momentum: 0.9, dampening: 0.1, nesterov: true, step: lr }),
    ).toThrow(/Nesterov momentum requires momentum > 0 and dampening = 0/);
    expect(() => buildSgdUpdate(b, { params, lr, momentum: 0.9, dampening: 0.1 })).toThrow(
      /needs the `step` input/,
    );
  });
});

describe('buildGlobalNormClip vs torch.nn.utils.clip_grad_norm_', () => {
  async function clip(maxNorm: number) {
    const b = createGraphBuilder({ name: 'clip' });
    const g1 = b.input('g1', 'float32', [2, 3]);
    const g2 = b.input('g2', 'float32', [3]);
    const { grads, totalNorm } = buildGlobalNormClip(b, [g1, g2], maxNorm);
    for (const g of grads) b.output(g, 'float32');
    b.output(totalNorm, 'float32');
    const session = await createSession(b.graph, { threads: 1 });
    const out = await session.run({
      g1: feed('float32', [2, 3], G1[0] as number[]),
      g2: feed('float32', [3], G2[0] as number[]),
    });
    await session.release();
    const values = (n: string | undefined) => Array.from(out[n as string]?.data as Float32Array);
    return { g1: values(grads[0]), g2: values(grads[1]), norm: values(totalNorm) };
  }

  it('scales both gradients when the norm exceeds max_norm = 0.5', async () => {
    const got = await clip(0.5);
    // clip_grad_norm_([a, c], max_norm=0.5) → returned total norm, then a.grad, c.grad
    expectRel(got.norm, [0.9760123171781203], 1e-6);
    expectRel(
      got.g1,
      [
        0.15368643369964366, -0.10245761992186664, 0.05122880996093332, 0.02561440498046666,
        0.20491523984373328, -0.3073728673992873,
      ],
      1e-6,
    );
    expectRel(got.g2, [0.005122880805251146, -0.25614404598782287, 0.10245761992186664], 1e-6);
  });

  it('leaves gradients unchanged under max_norm = 10', async () => {
    const got = await clip(10);
    expectRel(got.norm, [0.9760123171781203], 1e-6);
    expect(got.g1).toEqual(f32(G1[0] as number[]));
    expect(got.g2).toEqual(f32(G2[0] as number[]));
  });
});

describe('defaultNoDecay', () => {
  it('skips biases and norm weights by Hugging Face naming', () => {
    const noDecay = [
      'bert.encoder.layer.0.attention.self.query.bias',
      'bert.embeddings.LayerNorm.weight',
      'model.decoder.layers.0.self_attn_layer_norm.weight',
      'transformer.h.0.ln_1.weight',
      'transformer.ln_f.weight',
      'model.norm.weight',
      'model.layers.3.post_attention_layernorm.weight',
      'classifier.bias',
    ];
    const decay = [
      'bert.encoder.layer.0.attention.self.query.weight',
      'transformer.h.0.attn.c_attn.weight',
      'transformer.wte.weight',
      'model.layers.3.mlp.down_proj.weight',
      'classifier.weight',
      'kiln_proj.weight',
    ];
    expect(noDecay.filter((n) => !defaultNoDecay(n))).toEqual([]);
    expect(decay.filter(defaultNoDecay)).toEqual([]);
  });
});
