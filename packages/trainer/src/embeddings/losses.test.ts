// The embedding losses against sentence-transformers' formulas run in PyTorch (fixtures/
// generate.py): values and autograd gradients in float64, plus central finite differences.
import { describe, expect, it } from 'vitest';
import { buildGradients } from '../autodiff/engine.js';
import { checkGradients } from '../autodiff/testing.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { cosentLoss } from './cosent.js';
import { cosineSimilarityLoss } from './cosine-similarity-loss.js';
import fixture from './fixtures/losses.json' with { type: 'json' };
import { multipleNegativesRankingLoss } from './multiple-negatives-ranking.js';
import { splitStacked } from './similarity.js';

type Case = (typeof fixture.cases)[number];
const matrix = (rows: number[][], dtype: 'float64' | 'float32' = 'float64'): TensorData =>
  tensor(dtype, [rows.length, rows[0]?.length ?? 0], rows.flat());
const vector = (values: number[], dtype: 'float64' | 'float32' = 'float64'): TensorData =>
  tensor(dtype, [values.length], values);

/** Declares the case's inputs and its loss; returns the feeds, the loss and the wrt names. */
function declare(
  b: GraphBuilder,
  c: Case,
  dtype: 'float64' | 'float32' = 'float64',
): { feeds: Record<string, TensorData>; loss: string; wrt: string[]; expected: number[][] } {
  const H = ['n', 'h'];
  if (c.loss === 'mnrl') {
    const anchors = b.input('anchors', dtype, H);
    const positives = b.input('positives', dtype, H);
    const feeds: Record<string, TensorData> = {
      anchors: matrix(c.anchors as number[][], dtype),
      positives: matrix(c.positives as number[][], dtype),
    };
    const wrt = ['anchors', 'positives'];
    const expected = [c.gradAnchors as number[], c.gradPositives as number[]];
    const negatives: string[] = [];
    if ('negatives' in c) {
      negatives.push(b.input('negatives', dtype, H));
      feeds.negatives = matrix(c.negatives as number[][], dtype);
      wrt.push('negatives');
      expected.push(c.gradNegatives as number[]);
    }
    const loss = multipleNegativesRankingLoss(
      b,
      { anchors, positives, negatives },
      { scale: c.scale as number, name: 'loss' },
    );
    return { feeds, loss, wrt, expected };
  }
  const inputs = {
    embeddings1: b.input('e1', dtype, H),
    embeddings2: b.input('e2', dtype, H),
    scores: b.input('scores', dtype, ['n']),
  };
  const loss =
    c.loss === 'cosent'
      ? cosentLoss(b, inputs, { scale: c.scale as number, name: 'loss' })
      : cosineSimilarityLoss(b, inputs, { name: 'loss' });
  return {
    feeds: {
      e1: matrix(c.embeddings1 as number[][], dtype),
      e2: matrix(c.embeddings2 as number[][], dtype),
      scores: vector(c.scores as number[], dtype),
    },
    loss,
    wrt: ['e1', 'e2'],
    expected: [c.grad1 as number[], c.grad2 as number[]],
  };
}

const label = (c: Case) =>
  `${c.loss}${'scale' in c ? ` scale ${c.scale}` : ''}${'negatives' in c ? ' + hard negatives' : ''}`;

describe('embedding losses vs sentence-transformers formulas in PyTorch', () => {
  it.each(fixture.cases.map((c) => [label(c), c] as const))(
    '%s: value and gradients (float64) match PyTorch to 1e-10',
    async (_name, c) => {
      const b = createGraphBuilder({ name: 'loss', opset: 20 });
      const { feeds, loss, wrt, expected } = declare(b, c);
      const { grads } = buildGradients(b.graph, { loss, wrt });
      b.output(loss, 'float64', []);
      for (const w of wrt) b.output(grads.get(w) as string, 'float64');
      const session = await createSession(b.graph, { threads: 1 });
      try {
        const out = await session.run(feeds);
        const value = Number(out.loss?.data[0]);
        expect(Math.abs(value - c.value)).toBeLessThan(1e-10 * Math.max(1, Math.abs(c.value)));
        wrt.forEach((w, k) => {
          const got = Array.from(out[grads.get(w) as string]?.data as Float64Array);
          const want = expected[k] as number[];
          expect(got).toHaveLength(want.length);
          got.forEach((g, i) => {
            expect(Math.abs(g - (want[i] as number))).toBeLessThan(1e-10);
          });
        });
      } finally {
        await session.release();
      }
    },
  );

  it.each(fixture.cases.map((c) => [label(c), c] as const))(
    '%s: float32 value within 1e-5 (relative) of PyTorch float64',
    async (_name, c) => {
      const b = createGraphBuilder({ name: 'loss32', opset: 20 });
      const { feeds, loss } = declare(b, c, 'float32');
      b.output(loss, 'float32', []);
      const session = await createSession(b.graph, { threads: 1 });
      try {
        const value = Number((await session.run(feeds)).loss?.data[0]);
        expect(Math.abs(value - c.value)).toBeLessThan(1e-5 * Math.max(1, Math.abs(c.value)));
      } finally {
        await session.release();
      }
    },
  );

  it.each(fixture.cases.map((c) => [label(c), c] as const))(
    '%s: autodiff gradients match central finite differences (float64)',
    async (_name, c) => {
      const wrt =
        c.loss !== 'mnrl'
          ? ['e1', 'e2']
          : ['anchors', 'positives', ...('negatives' in c ? ['negatives'] : [])];
      const result = await checkGradients({
        build: (b) => {
          const { feeds, loss } = declare(b, c);
          return { inputs: feeds, output: loss };
        },
        wrt,
        opset: 20,
      });
      expect(result.maxAbsError).toBeLessThan(1e-6);
    },
  );

  it('CoSENT by hand: log 2 for one ordered pair at equal cosines, 0 when every score ties', async () => {
    // Two pairs with identical cosine (1): only (0, 1) has y₀ < y₁, so ℓ = log(1 + e⁰) = log 2.
    const b = createGraphBuilder({ name: 'cosent-hand', opset: 20 });
    const loss = cosentLoss(b, {
      embeddings1: b.input('e1', 'float64', [2, 2]),
      embeddings2: b.input('e2', 'float64', [2, 2]),
      scores: b.input('scores', 'float32', [2]),
    });
    b.op('Identity', [loss], {}, { outputs: ['loss'] });
    b.output('loss', 'float64', []);
    const session = await createSession(b.graph, { threads: 1 });
    try {
      const out = await session.run({
        e1: tensor('float64', [2, 2], [1, 0, 0, 2]),
        e2: tensor('float64', [2, 2], [3, 0, 0, 1]),
        scores: tensor('float32', [2], [0.2, 0.8]),
      });
      expect(Number(out.loss?.data[0])).toBeCloseTo(Math.LN2, 12);
      // All scores tied: no pair is ordered, ℓ = log(e⁰) = 0.
      const tied = await session.run({
        e1: tensor('float64', [2, 2], [1, 0, 0, 2]),
        e2: tensor('float64', [2, 2], [0, 1, 1, 1]),
        scores: tensor('float32', [2], [0.5, 0.5]),
      });
      expect(Math.abs(Number(tied.loss?.data[0]))).toBe(0);
    } finally {
      await session.release();
    }
  });

  it('splitStacked halves a stacked [2N, H] batch into the two sentence sets', async () => {
    const b = createGraphBuilder({ name: 'split', opset: 20 });
    const [first, second] = splitStacked(b, b.input('x', 'float32', ['rows', 2]));
    b.output(first as string, 'float32');
    b.output(second as string, 'float32');
    const session = await createSession(b.graph, { threads: 1 });
    try {
      const out = await session.run({ x: tensor('float32', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]) });
      expect(Array.from(out[first as string]?.data as Float32Array)).toEqual([1, 2, 3, 4]);
      expect(Array.from(out[second as string]?.data as Float32Array)).toEqual([5, 6, 7, 8]);
    } finally {
      await session.release();
    }
    expect(() => splitStacked(createGraphBuilder(), 'x', 1)).toThrow(
      /parts must be an integer ≥ 2/,
    );
  });
});

describe('embedding loss input checks', () => {
  it('refuse non-float embeddings and non-finite scales, naming them', () => {
    const b = createGraphBuilder({ name: 'bad', opset: 20 });
    const ints = {
      embeddings1: b.input('i1', 'int64', [2, 2]),
      embeddings2: b.input('i2', 'int64', [2, 2]),
      scores: b.input('s', 'float32', [2]),
    };
    expect(() => cosentLoss(b, ints)).toThrow(/value "i1" is int64, but a float tensor is needed/);
    expect(() => cosineSimilarityLoss(b, ints)).toThrow(/value "i1" is int64/);
    const floats = {
      embeddings1: b.input('f1', 'float32', [2, 2]),
      embeddings2: b.input('f2', 'float32', [2, 2]),
      scores: 's',
    };
    expect(() => cosentLoss(b, floats, { scale: Number.NaN })).toThrow(
      /CoSENT scale must be a finite number, got NaN/,
    );
    expect(() =>
      multipleNegativesRankingLoss(
        b,
        { anchors: 'f1', positives: 'f2' },
        { scale: Number.POSITIVE_INFINITY },
      ),
    ).toThrow(/MultipleNegativesRanking scale must be a finite number, got Infinity/);
  });
});
