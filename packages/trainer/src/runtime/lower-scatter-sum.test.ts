// foldScatterAddIntoSum (through lowerForOrt): Sum(A, ScatterND(zeros, I, U, 'add')) becomes
// ScatterND(A, I, U, 'add') and gives what ONNX Runtime gives for the graph as written (run from
// its bytes, no lowering), duplicate indices included; a tied embedding's gradient (lookup + head)
// compiled by autodiff loses its zero-filled scatter; and what it must leave alone is left alone:
// broadcasting operands, a scatter read elsewhere, a scatter onto non-zeros.
import { describe, expect, it } from 'vitest';
import { randomTensor } from '../autodiff/testing.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph } from '../ir/types.js';
import { lowerForOrt } from './lower.js';
import { expectLoweringKeepsResults } from './testing.js';

const ops = (graph: Graph) => graph.nodes.map((n) => n.opType);
const ids = tensor('int64', [5, 1], [3, 0, 3, 4, 3]); // row 3 three times

/** table [6, 4] + a scatter-add of rows [5, 4] into zeros (or into `onto`), summed with `more`. */
function graphOf(build: (b: GraphBuilder, v: Record<string, string>) => string): Graph {
  const b = createGraphBuilder({ name: 'ssum', opset: 20 });
  const v = {
    a: b.input('a', 'float64', [6, 4]),
    c: b.input('c', 'float64', [6, 4]),
    rows: b.input('rows', 'float64', [5, 4]),
    ids: b.constant(ids),
  };
  b.op('Identity', [build(b, v)], {}, { outputs: ['y'] });
  b.output('y', 'float64');
  return b.graph;
}
const zeros = (b: GraphBuilder) =>
  b.op('ConstantOfShape', [b.int64s([6, 4])], { value: tensor('float64', [1], [0]) });
const scatter = (b: GraphBuilder, data: string, v: Record<string, string>) =>
  b.op('ScatterND', [data, v.ids as string, v.rows as string], { reduction: 'add' });

const expectSameResults = (graph: Graph) =>
  expectLoweringKeepsResults(
    graph,
    {
      a: randomTensor('float64', [6, 4], 1),
      c: randomTensor('float64', [6, 4], 2),
      rows: randomTensor('float64', [5, 4], 3),
    },
    1e-12,
  );

describe('foldScatterAddIntoSum', () => {
  it('scatters into the other operand (and into their Sum when there are several)', async () => {
    const one = graphOf((b, v) => b.op('Sum', [v.a as string, scatter(b, zeros(b), v)]));
    const lowered = lowerForOrt(one);
    expect(ops(lowered)).toEqual(['Constant', 'ScatterND', 'Identity']);
    expect(lowered.nodes[1]?.inputs[0]).toBe('a');
    expect(ops(one)).toContain('ConstantOfShape'); // untouched
    await expectSameResults(one);

    const two = graphOf((b, v) =>
      b.op('Sum', [scatter(b, zeros(b), v), v.a as string, v.c as string]),
    );
    expect(ops(lowerForOrt(two))).toEqual(['Constant', 'Sum', 'ScatterND', 'Identity']);
    await expectSameResults(two);
  });

  it('leaves alone broadcasting operands, a scatter read elsewhere, a scatter onto non-zeros', async () => {
    const broadcast = graphOf((b, v) =>
      b.op('Sum', [b.op('ReduceSum', [v.a as string, b.int64s([0])]), scatter(b, zeros(b), v)]),
    );
    expect(ops(lowerForOrt(broadcast))).toContain('ConstantOfShape');
    await expectSameResults(broadcast);

    const shared = graphOf((b, v) => {
      const s = scatter(b, zeros(b), v);
      return b.op('Mul', [b.op('Sum', [v.a as string, s]), s]);
    });
    expect(ops(lowerForOrt(shared))).toContain('ConstantOfShape');

    const ontoC = graphOf((b, v) => b.op('Sum', [v.a as string, scatter(b, v.c as string, v)]));
    expect(ops(lowerForOrt(ontoC))).toContain('Sum');
  });

  it("drops the zero-filled scatter from a tied embedding's compiled gradient", async () => {
    const { compileTrainingStep } = await import('../step/compile.js');
    const b = createGraphBuilder({ name: 'tied', opset: 20 });
    const tokens = b.input('tokens', 'int64', ['n']);
    const table = b.initializer('wte', randomTensor('float32', [7, 3], 4));
    const h = b.op('Gather', [table, tokens]);
    const logits = b.op('Gemm', [h, table], { transB: 1 });
    const loss = b.op('ReduceSum', [b.op('Mul', [logits, logits])], { keepdims: 0 });
    b.output(loss, 'float32', []);
    const step = compileTrainingStep({ graph: b.graph, loss, optimizer: { type: 'sgd' } });
    const fused = step.fused as Graph;
    const scatterOnZeros = (g: Graph) =>
      g.nodes.filter(
        (n) =>
          n.opType === 'ScatterND' &&
          g.nodes.some((z) => z.opType === 'ConstantOfShape' && z.outputs[0] === n.inputs[0]),
      ).length;
    expect(scatterOnZeros(fused)).toBe(1);
    expect(scatterOnZeros(lowerForOrt(fused))).toBe(0);
  });
});
