// swapTransposedMatMuls (through lowerForOrt): Transpose(MatMul(X, Y)) over the last two axes
// becomes MatMul(Yᵀ, Xᵀ) with an operand's own transpose cancelled, giving what ONNX Runtime
// gives for the graph as written (run from its bytes, no lowering); and it leaves alone what it
// must: a product read elsewhere or returned, other permutations, 1-D operands.
import { describe, expect, it } from 'vitest';
import { randomTensor } from '../autodiff/testing.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import type { Graph, TensorData } from '../ir/types.js';
import { lowerForOrt } from './lower.js';
import { expectLoweringKeepsResults } from './testing.js';

interface Case {
  graph: Graph;
  feeds: Record<string, TensorData>;
}

/** A graph of float64 inputs (dims by name) whose outputs `body` returns. */
function caseOf(
  inputs: Record<string, number[]>,
  body: (b: GraphBuilder, x: Record<string, string>) => Record<string, string>,
): Case {
  const b = createGraphBuilder({ name: 'tmm', opset: 20 });
  const x: Record<string, string> = {};
  const feeds: Record<string, TensorData> = {};
  for (const [i, [name, dims]] of Object.entries(inputs).entries()) {
    x[name] = b.input(name, 'float64', dims);
    feeds[name] = randomTensor('float64', dims, 11 + i);
  }
  for (const [name, value] of Object.entries(body(b, x))) {
    b.op('Identity', [value], {}, { outputs: [name] });
    b.output(name, 'float64');
  }
  return { graph: b.graph, feeds };
}

const expectSameResults = ({ graph, feeds }: Case) =>
  expectLoweringKeepsResults(graph, feeds, 1e-12);

const ops = (graph: Graph) => graph.nodes.map((n) => n.opType);
const perm = (b: GraphBuilder, v: string, p: number[]) => b.op('Transpose', [v], { perm: p });

describe('swapTransposedMatMuls', () => {
  it("rewrites attention's dk = (qᵀ·dS)ᵀ as dSᵀ·q, dropping qᵀ", async () => {
    const c = caseOf({ q: [6, 4, 3], dS: [6, 4, 4] }, (b, x) => ({
      dk: perm(b, b.op('MatMul', [perm(b, x.q as string, [0, 2, 1]), x.dS as string]), [0, 2, 1]),
    }));
    const lowered = lowerForOrt(c.graph);
    expect(ops(lowered)).toEqual(['Transpose', 'MatMul', 'Identity']);
    const [t, mm] = lowered.nodes as [Graph['nodes'][0], Graph['nodes'][0]];
    expect(t.inputs).toEqual(['dS']);
    expect(mm.inputs).toEqual([t.outputs[0], 'q']);
    expect(ops(c.graph)).toEqual(['Transpose', 'MatMul', 'Transpose', 'Identity']); // untouched
    await expectSameResults(c);
  });

  it('handles broadcast batch axes and operands of different ranks', async () => {
    const c = caseOf({ a: [2, 3, 4, 5], w: [5, 6] }, (b, x) => ({
      y: perm(b, b.op('MatMul', [x.a as string, x.w as string]), [0, 1, 3, 2]),
    }));
    expect(ops(lowerForOrt(c.graph))).toEqual(['Transpose', 'Transpose', 'MatMul', 'Identity']);
    await expectSameResults(c);
  });

  it('cancels a transpose given without perm on 2-D operands', async () => {
    const c = caseOf({ a: [3, 4], b: [5, 4] }, (b, x) => ({
      y: b.op('Transpose', [b.op('MatMul', [x.a as string, b.op('Transpose', [x.b as string])])]),
    }));
    expect(ops(lowerForOrt(c.graph))).toEqual(['Transpose', 'MatMul', 'Identity']);
    await expectSameResults(c);
  });

  it('leaves a product that is read elsewhere, returned, or transposed otherwise', async () => {
    const shared = caseOf({ a: [2, 3, 4], b: [2, 4, 5] }, (b, x) => {
      const p = b.op('MatMul', [x.a as string, x.b as string]);
      return { y: perm(b, p, [0, 2, 1]), z: b.op('Neg', [p]) };
    });
    expect(lowerForOrt(shared.graph)).toBe(shared.graph);

    const returned = caseOf({ a: [2, 3, 4], b: [2, 4, 5] }, (b, x) => {
      const p = b.op('MatMul', [x.a as string, x.b as string]);
      b.output(p, 'float64');
      return { y: perm(b, p, [0, 2, 1]) };
    });
    expect(lowerForOrt(returned.graph)).toBe(returned.graph);

    const other = caseOf({ a: [2, 3, 4], b: [2, 4, 5] }, (b, x) => ({
      y: perm(b, b.op('MatMul', [x.a as string, x.b as string]), [1, 0, 2]),
    }));
    expect(lowerForOrt(other.graph)).toBe(other.graph);
    await expectSameResults(other);
  });

  it('leaves products with a 1-D operand (their own MatMul rules)', async () => {
    const c = caseOf({ a: [2, 3, 4], v: [4] }, (b, x) => ({
      y: perm(b, b.op('MatMul', [x.a as string, x.v as string]), [1, 0]),
    }));
    expect(lowerForOrt(c.graph)).toBe(c.graph);
    await expectSameResults(c);
  });
});
