// A LoRA layer against PyTorch (fixtures/lora_reference.py, float64): PEFT's forward for Linear
// and Conv1D bases, alpha/r and rsLoRA scaling, autograd gradients of x, A and B, merged weight.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildGradients } from '../autodiff/engine.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { cloneGraph } from '../step/graph-utils.js';
import { applyLora } from './apply.js';
import { mergeLora } from './merge.js';

interface Case {
  layout: 'linear' | 'conv1d';
  rslora: boolean;
  r: number;
  alpha: number;
  n: number;
  in: number;
  out: number;
  x: number[];
  weight: number[];
  bias: number[];
  lora_A: number[];
  lora_B: number[];
  R: number[];
  y: number[];
  grad_x: number[];
  grad_A: number[];
  grad_B: number[];
  merged: number[];
}

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/lora_reference.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const close = (actual: TensorData, expected: number[], tol: number) => {
  expect(actual.data.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs((actual.data[i] as number) - (expected[i] as number))).toBeLessThan(tol);
  }
};

describe('LoRA layer vs PyTorch (PEFT semantics, float64)', () => {
  it.each(fixture.cases.map((c) => [`${c.layout}${c.rslora ? ', rsLoRA' : ''}`, c] as const))(
    '%s: forward, gradients of x, A and B, merged weight',
    async (_label, c) => {
      const b = createGraphBuilder({ name: 'layer', opset: 20 });
      const x = b.input('x', 'float64', [c.n, c.in]);
      const dims = c.layout === 'linear' ? [c.out, c.in] : [c.in, c.out];
      const w = b.initializer('layer.weight', tensor('float64', dims, c.weight));
      const bias = b.initializer('layer.bias', tensor('float64', [c.out], c.bias));
      // Linear: Gemm transB=1 as the model builders emit it; Conv1D: Gemm on [in, out] as GPT-2.
      b.op('Gemm', [x, w, bias], c.layout === 'linear' ? { transB: 1 } : {}, { outputs: ['y'] });
      b.output('y', 'float64', [c.n, c.out]);
      const lora = applyLora(b.graph, {
        r: c.r,
        alpha: c.alpha,
        rsLora: c.rslora,
        targetModules: ['layer'],
      });
      const m = lora.modules[0];
      expect(m?.layout).toBe(c.layout);
      const a = tensor('float64', [c.r, c.in], c.lora_A);
      const bMat = tensor('float64', [c.out, c.r], c.lora_B);

      const g = cloneGraph(lora.graph);
      for (const [name, t] of [
        ['layer.lora_A.weight', a],
        ['layer.lora_B.weight', bMat],
      ] as const) {
        g.initializers.delete(name);
        g.inputs.push({ name, dtype: 'float64', shape: [...t.dims] });
      }
      const gb = createGraphBuilder({ graph: g });
      const weights = gb.initializer('R', tensor('float64', [c.n, c.out], c.R));
      const objective = gb.op('ReduceSum', [gb.op('Mul', ['y', weights])], { keepdims: 0 });
      const wrt = ['x', 'layer.lora_A.weight', 'layer.lora_B.weight'];
      const { grads } = buildGradients(g, { loss: objective, wrt });
      g.outputs = [
        { name: 'y', dtype: 'float64' },
        ...wrt.map((n) => ({ name: grads.get(n) as string, dtype: 'float64' as const })),
      ];
      const session = await createSession(g, { threads: 1 });
      const out = await session.run({
        x: tensor('float64', [c.n, c.in], c.x),
        'layer.lora_A.weight': a,
        'layer.lora_B.weight': bMat,
      });
      await session.release();
      close(out.y as TensorData, c.y, 1e-12);
      close(out[grads.get('x') as string] as TensorData, c.grad_x, 1e-12);
      close(out[grads.get('layer.lora_A.weight') as string] as TensorData, c.grad_A, 1e-12);
      close(out[grads.get('layer.lora_B.weight') as string] as TensorData, c.grad_B, 1e-12);

      const merged = mergeLora(lora, {
        parameters: { 'layer.lora_A.weight': a, 'layer.lora_B.weight': bMat },
      });
      close(merged.weights.get('layer.weight') as TensorData, c.merged, 1e-12);
    },
  );
});
