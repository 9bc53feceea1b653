// Gradient accumulation: 4 micro-batches through a grad graph + accumulate graph + AdamW graph must
// give the same update as one fused full-batch step of a tiny linear model.
import { describe, expect, it } from 'vitest';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { buildGradAccumulate } from './accumulate.js';
import { buildAdamWUpdate } from './adamw.js';

const N = 8;
const IN = 3;
const OUT = 2;
// Fixed data (no RNG needed): x [8, 3], targets [8, 2], initial W [3, 2].
const X = [
  0.5, -1, 2, 1.5, 0.25, -0.5, -2, 1, 0.75, 0.1, 0.2, 0.3, 3, -1.5, 0.5, -0.25, 2.5, 1, 1, 1, -1,
  0.6, -0.4, 1.2,
];
const T = [1, 0, -1, 2, 0.5, 0.5, 2, -2, 0, 1, 1.5, -0.5, -1, 0, 0.25, 0.75];
const W0 = [0.1, -0.2, 0.3, 0.4, -0.5, 0.6];

/**
 * Hand-written gradient of L = mean((xW − t)²) over the n×OUT outputs:
 * dL/dW = 2/(n·OUT) · xᵀ(xW − t). Returns the gradient value's name.
 */
function linearGrad(b: GraphBuilder, x: string, t: string, w: string, n: number): string {
  const residual = b.op('Sub', [b.op('MatMul', [x, w]), t]);
  const xt = b.op('Transpose', [x], { perm: [1, 0] });
  return b.op('Mul', [b.op('MatMul', [xt, residual]), b.scalar('float32', 2 / (n * OUT))]);
}

const rows = (values: number[], width: number, from: number, count: number) =>
  values.slice(from * width, (from + count) * width);

const adamOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 } as const;

describe('buildGradAccumulate', () => {
  it('4 accumulated micro-batches + one AdamW step equal one full-batch step', async () => {
    // Fused full-batch graph: grad and AdamW in one graph.
    const full = createGraphBuilder({ name: 'full_step' });
    {
      const x = full.input('x', 'float32', [N, IN]);
      const t = full.input('t', 'float32', [N, OUT]);
      const w = full.input('w', 'float32', [IN, OUT]);
      const m = full.input('m', 'float32', [IN, OUT]);
      const v = full.input('v', 'float32', [IN, OUT]);
      const lr = full.input('lr', 'float32', []);
      const step = full.input('step', 'int64', []);
      const grad = linearGrad(full, x, t, w, N);
      const [u] = buildAdamWUpdate(full, {
        params: [{ param: w, grad, m, v }],
        lr,
        step,
        ...adamOptions,
      });
      full.op('Identity', [grad], {}, { outputs: ['grad'] });
      full.op('Identity', [u?.param as string], {}, { outputs: ['w_new'] });
      full.output('grad', 'float32');
      full.output('w_new', 'float32');
    }
    // Micro-batch grad graph (batch 2) + accumulate graph + optimizer graph.
    const micro = createGraphBuilder({ name: 'micro_grad' });
    {
      const x = micro.input('x', 'float32', [N / 4, IN]);
      const t = micro.input('t', 'float32', [N / 4, OUT]);
      const w = micro.input('w', 'float32', [IN, OUT]);
      micro.op('Identity', [linearGrad(micro, x, t, w, N / 4)], {}, { outputs: ['grad'] });
      micro.output('grad', 'float32');
    }
    const accumulate = createGraphBuilder({ name: 'accumulate' });
    {
      const g = accumulate.input('grad', 'float32', [IN, OUT]);
      const acc = accumulate.input('acc', 'float32', [IN, OUT]);
      const [next] = buildGradAccumulate(accumulate, {
        grads: [g],
        accumulators: [acc],
        scale: 1 / 4,
      });
      accumulate.op('Identity', [next as string], {}, { outputs: ['acc_new'] });
      accumulate.output('acc_new', 'float32');
    }
    const optimizer = createGraphBuilder({ name: 'optimizer' });
    {
      const w = optimizer.input('w', 'float32', [IN, OUT]);
      const acc = optimizer.input('acc', 'float32', [IN, OUT]);
      const m = optimizer.input('m', 'float32', [IN, OUT]);
      const v = optimizer.input('v', 'float32', [IN, OUT]);
      const lr = optimizer.input('lr', 'float32', []);
      const step = optimizer.input('step', 'int64', []);
      const [u] = buildAdamWUpdate(optimizer, {
        params: [{ param: w, grad: acc, m, v }],
        lr,
        step,
        ...adamOptions,
      });
      optimizer.op('Identity', [u?.param as string], {}, { outputs: ['w_new'] });
      optimizer.output('w_new', 'float32');
    }

    const zeros = tensor('float32', [IN, OUT], new Array(IN * OUT).fill(0));
    const common = {
      w: tensor('float32', [IN, OUT], W0),
      m: zeros,
      v: zeros,
      lr: tensor('float32', [], [0.05]),
      step: tensor('int64', [], [1]),
    };
    const fullSession = await createSession(full.graph, { threads: 1 });
    const fullOut = await fullSession.run({
      ...common,
      x: tensor('float32', [N, IN], X),
      t: tensor('float32', [N, OUT], T),
    });

    const microSession = await createSession(micro.graph, { threads: 1 });
    const accSession = await createSession(accumulate.graph, { threads: 1 });
    const optSession = await createSession(optimizer.graph, { threads: 1 });
    let acc: TensorData = zeros;
    for (let k = 0; k < 4; k++) {
      const { grad } = await microSession.run({
        w: common.w,
        x: tensor('float32', [N / 4, IN], rows(X, IN, k * 2, 2)),
        t: tensor('float32', [N / 4, OUT], rows(T, OUT, k * 2, 2)),
      });
      acc = (await accSession.run({ grad: grad as TensorData, acc })).acc_new as TensorData;
    }
    const optOut = await optSession.run({ ...common, acc });
    for (const s of [fullSession, microSession, accSession, optSession]) await s.release();

    const fullGrad = Array.from(fullOut.grad?.data as Float32Array);
    const accGrad = Array.from(acc.data as Float32Array);
    // Adam's first step is invariant to the gradient's scale, so compare the gradients too:
    // a missing 1/4 would pass the update check but not this one.
    for (const [i, g] of accGrad.entries()) expect(g).toBeCloseTo(fullGrad[i] as number, 6);
    expect(Math.max(...fullGrad.map(Math.abs))).toBeGreaterThan(0.1);

    const fullW = Array.from(fullOut.w_new?.data as Float32Array);
    const accW = Array.from(optOut.w_new?.data as Float32Array);
    for (let i = 0; i < fullW.length; i++) {
      expect(Math.abs((accW[i] as number) - (fullW[i] as number))).toBeLessThanOrEqual(1e-6);
      // The step moved every weight by about lr (the first Adam step is ±lr per element).
      expect(Math.abs((fullW[i] as number) - (W0[i] as number))).toBeGreaterThan(0.04);
    }
  });

  it('rejects mismatched gradient and accumulator lists', () => {
    const b = createGraphBuilder();
    expect(() => buildGradAccumulate(b, { grads: ['a', 'b'], accumulators: ['c'] })).toThrow(
      /got 2 gradients but 1 accumulators/,
    );
  });
});
