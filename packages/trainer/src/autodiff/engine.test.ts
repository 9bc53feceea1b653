import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { buildGradients } from './engine.js';
import { registerGradients } from './registry.js';
import { checkGradients, randomTensor } from './testing.js';

const values = (t: TensorData | undefined) => Array.from(t?.data as Float64Array, (v) => v + 0);

/** Runs `graph` with `grads` as outputs and returns them. */
async function runGrads(graph: Graph, feeds: Record<string, TensorData>, names: string[]) {
  for (const n of names) graph.outputs.push({ name: n, dtype: 'float64' });
  const session = await createSession(graph);
  const out = await session.run(feeds, names);
  await session.release();
  return out;
}

describe('buildGradients', () => {
  it('seeds a scalar loss with 1: L = ReduceSum(x·x + 3x) gives 2x + 3', async () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [3]);
    const y = b.op('Add', [b.op('Mul', [x, x]), b.op('Mul', [x, b.scalar('float64', 3)])]);
    const loss = b.op('ReduceSum', [y], { keepdims: 0 });
    const { grads } = buildGradients(b.graph, { loss, wrt: [x] });
    expect(grads.get(x)).toBe('x_grad');
    const out = await runGrads(b.graph, { x: tensor('float64', [3], [1, -2, 0.5]) }, ['x_grad']);
    expect(values(out.x_grad)).toEqual([5, -1, 4]);
  });

  it('sums fan-in with one Sum node: x used three times', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [2]);
    const y = b.op('Add', [b.op('Mul', [x, x]), b.op('Exp', [x])]);
    const loss = b.op('ReduceSum', [y], { keepdims: 0 });
    const before = b.graph.nodes.length;
    buildGradients(b.graph, { loss, wrt: [x] });
    const sums = b.graph.nodes.slice(before).filter((n) => n.opType === 'Sum');
    expect(sums).toHaveLength(1);
    expect(sums[0]?.inputs).toHaveLength(3);
  });

  it('names gradients with gradName and gives an unused wrt value zeros of its shape', async () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [2]);
    const unused = b.input('unused', 'float64', [2, 2]);
    const loss = b.op('ReduceSum', [b.op('Mul', [x, x])], { keepdims: 0 });
    const { grads } = buildGradients(b.graph, {
      loss,
      wrt: [x, unused],
      gradName: (v) => `grad.${v}`,
    });
    expect([...grads.entries()]).toEqual([
      ['x', 'grad.x'],
      ['unused', 'grad.unused'],
    ]);
    const out = await runGrads(
      b.graph,
      { x: tensor('float64', [2], [3, -1]), unused: tensor('float64', [2, 2], [1, 2, 3, 4]) },
      ['grad.x', 'grad.unused'],
    );
    expect(values(out['grad.x'])).toEqual([6, -2]);
    expect(out['grad.unused']?.dims).toEqual([2, 2]);
    expect(values(out['grad.unused'])).toEqual([0, 0, 0, 0]);
  });

  it('stops the gradient at stopGradient values: d/dx [x · stop(x²)] = x²', async () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [2]);
    const sq = b.op('Mul', [x, x]);
    const loss = b.op('ReduceSum', [b.op('Mul', [x, sq])], { keepdims: 0 });
    buildGradients(b.graph, { loss, wrt: [x], stopGradient: [sq] });
    const out = await runGrads(b.graph, { x: tensor('float64', [2], [3, -2]) }, ['x_grad']);
    expect(values(out.x_grad)).toEqual([9, 4]);
  });

  it('passes no gradient through a Cast to int64 (checked against finite differences)', async () => {
    const xs = [1.3, -2.6, 0.4, 2.2];
    const { analytic, graph } = await checkGradients({
      wrt: ['x'],
      build: (b) => {
        b.input('x', 'float64', [4]);
        const truncated = b.op('Cast', [b.op('Cast', ['x'], { to: 7 })], { to: 11 });
        return { inputs: { x: tensor('float64', [4], xs) }, output: b.op('Mul', ['x', truncated]) };
      },
    });
    // dL/dx = R · trunc(x): the truncation is piecewise constant.
    const r = randomTensor('float64', [4], 7).data as Float64Array;
    expect(values(analytic.x)).toEqual(xs.map((v, i) => (r[i] as number) * Math.trunc(v) + 0));
    // No gradient node consumes the integer path.
    const castNodes = graph.nodes.filter((n) => n.opType === 'Cast');
    expect(castNodes).toHaveLength(2);
  });

  it('treats the Pow exponent as a constant: an exponent reaching the loss only through Pow gets zeros', async () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [2]);
    const p = b.input('p', 'float64', [2]);
    const loss = b.op('ReduceSum', [b.op('Pow', [x, p])], { keepdims: 0 });
    buildGradients(b.graph, { loss, wrt: [x, p] });
    const out = await runGrads(
      b.graph,
      { x: tensor('float64', [2], [2, 3]), p: tensor('float64', [2], [3, 2]) },
      ['x_grad', 'p_grad'],
    );
    expect(values(out.x_grad)).toEqual([12, 6]);
    expect(values(out.p_grad)).toEqual([0, 0]);
  });

  it('reports an op without a gradient builder as UNSUPPORTED_OP naming the op and the node', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [2]);
    const y = b.op('Softplus', [x], {}, { name: 'my_softplus' });
    const loss = b.op('ReduceSum', [y], { keepdims: 0 });
    let error: unknown;
    try {
      buildGradients(b.graph, { loss, wrt: [x] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainerError);
    const te = error as TrainerError;
    expect(te.code).toBe('UNSUPPORTED_OP');
    expect(te.op).toBe('Softplus');
    expect(te.node).toBe('my_softplus');
    expect(te.message).toContain('op Softplus node "my_softplus"');
    expect(te.message).toContain('no gradient builder for op Softplus');
  });

  it('does not need builders off the path: an unsupported op on a stopped branch is fine', async () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [2]);
    const s = b.op('Softplus', [x]);
    const loss = b.op('ReduceSum', [b.op('Mul', [x, s])], { keepdims: 0 });
    buildGradients(b.graph, { loss, wrt: [x], stopGradient: [s] });
    const out = await runGrads(b.graph, { x: tensor('float64', [2], [0, 1]) }, ['x_grad']);
    expect(values(out.x_grad)).toEqual([Math.log(2), Math.log(1 + Math.E)]);
  });

  it('looks up non-default domains as "domain:op" and rejects a builder that omits a needed gradient', () => {
    registerGradients({ 'test.engine:HalfGrad': (ctx) => [undefined, ctx.gradOutputs[0]] });
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [2]);
    const w = b.input('w', 'float64', [2]);
    b.graph.valueInfo.set('h', { name: 'h', dtype: 'float64', shape: [2] });
    b.op('HalfGrad', [x, w], {}, { domain: 'test.engine', outputs: ['h'], name: 'half' });
    const loss = b.op('ReduceSum', ['h'], { keepdims: 0 });
    expect(() => buildGradients(b.graph, { loss, wrt: [x, w] })).toThrow(
      /op test.engine:HalfGrad node "half": the gradient builder of op test.engine:HalfGrad returned no gradient for input 0 \("x"\)/,
    );
  });

  it('rejects a loss with more than one element, and integer wrt values', () => {
    const b = createGraphBuilder();
    const x = b.input('x', 'float64', [2]);
    const k = b.input('k', 'int64', [2]);
    const y = b.op('Mul', [x, x]);
    expect(() => buildGradients(b.graph, { loss: y, wrt: [x] })).toThrow(
      /has shape \[2\]; it must hold one element/,
    );
    const loss = b.op('ReduceSum', [y], { keepdims: 0 });
    expect(() => buildGradients(b.graph, { loss, wrt: [k] })).toThrow(
      /"k": it is int64, not a float tensor/,
    );
  });

  it('adds only standard-domain ops, none of them contrib gradient kernels', async () => {
    const b = createGraphBuilder({ opset: 20 });
    const x = b.input('x', 'float32', [2, 3]);
    const w = b.input('w', 'float32', [3]);
    const h = b.op('Gelu', [b.op('Mul', [x, w])]);
    const s = b.op('Sigmoid', [b.op('Tanh', [h])]);
    const c = b.op('Clip', [
      b.op('Div', [s, b.op('Sqrt', [b.op('Exp', [w])])]),
      b.scalar('float32', 0.1),
    ]);
    const m = b.op('Max', [c, b.op('Relu', [x]), b.op('Erf', [h])]);
    const loss = b.op(
      'ReduceSum',
      [b.op('Where', [b.op('Greater', [x, w]), m, b.op('Neg', [x])])],
      { keepdims: 0 },
    );
    const before = b.graph.nodes.length;
    buildGradients(b.graph, { loss, wrt: [x, w] });
    const added = b.graph.nodes.slice(before);
    expect(added.length).toBeGreaterThan(20);
    expect(added.filter((n) => n.domain !== '')).toEqual([]);
    expect(added.filter((n) => /Grad/.test(n.opType))).toEqual([]);
    // ORT loads and runs it.
    b.graph.outputs.push(
      { name: 'x_grad', dtype: 'float32' },
      { name: 'w_grad', dtype: 'float32' },
    );
    const session = await createSession(b.graph);
    const out = await session.run({
      x: randomTensor('float32', [2, 3], 1),
      w: randomTensor('float32', [3], 2),
    });
    expect(out.x_grad?.dims).toEqual([2, 3]);
    expect(out.w_grad?.dims).toEqual([3]);
    await session.release();
  });

  it('reduces broadcast gradients at run time when symbolic dims leave the axes open', async () => {
    for (const rows of [1, 2]) {
      const { graph } = await checkGradients({
        wrt: ['a', 'b'],
        build: (b) => {
          b.input('a', 'float64', ['n', 3]);
          b.input('b', 'float64', ['m', 3]);
          const inputs = {
            a: randomTensor('float64', [2, 3], 1),
            b: randomTensor('float64', [rows, 3], 2),
          };
          return { inputs, output: b.op('Mul', ['a', 'b']) };
        },
      });
      expect(graph.nodes.some((n) => n.opType === 'NonZero')).toBe(true);
    }
  });
});
