// Finite-difference checks (float64, through ONNX Runtime) of the MatMul and Gemm gradient builders.
import { describe, expect, it } from 'vitest';
import { float } from '../../ir/builder.js';
import { checkGradients, randomTensor } from '../testing.js';

describe('MatMul gradient', () => {
  const cases: Array<[string, number[], number[]]> = [
    ['4-D × 2-D (B broadcast over batch)', [2, 3, 4, 5], [5, 6]],
    ['3-D × 3-D with a size-1 batch dim in B', [3, 4, 5], [1, 5, 6]],
    ['size-1 batch dims on both sides', [2, 1, 4, 5], [3, 5, 2]],
    ['2-D × 2-D', [3, 4], [4, 2]],
    ['1-D × 2-D', [5], [5, 6]],
    ['2-D × 1-D', [4, 5], [5]],
    ['1-D × 3-D', [5], [2, 5, 3]],
    ['3-D × 1-D', [2, 4, 5], [5]],
    ['1-D × 1-D (dot product)', [5], [5]],
  ];
  for (const [label, shapeA, shapeB] of cases) {
    it(`matches finite differences: ${label}`, async () => {
      const result = await checkGradients({
        build: (b) => {
          const a = b.input('A', 'float64', shapeA);
          const m = b.input('B', 'float64', shapeB);
          return {
            inputs: {
              A: randomTensor('float64', shapeA, 1),
              B: randomTensor('float64', shapeB, 2),
            },
            output: b.op('MatMul', [a, m]),
          };
        },
        wrt: ['A', 'B'],
      });
      expect(result.analytic.A?.dims).toEqual(shapeA);
      expect(result.analytic.B?.dims).toEqual(shapeB);
      expect(result.maxRelError).toBeLessThan(1e-6);
    });
  }

  it('gives dA = R·Bᵀ on a hand-computed 1×2 · 2×2 case', async () => {
    const result = await checkGradients({
      build: (b) => {
        const a = b.input('A', 'float64', [1, 2]);
        const m = b.input('B', 'float64', [2, 2]);
        return {
          inputs: {
            A: randomTensor('float64', [1, 2], 3),
            B: { dtype: 'float64', dims: [2, 2], data: new Float64Array([1, 2, 3, 4]) },
          },
          output: b.op('MatMul', [a, m]),
        };
      },
      wrt: ['A'],
      seed: 11,
    });
    // R is the harness's loss weight (seed 11); dA[i] = Σ_j R[j]·B[i, j].
    const r = randomTensor('float64', [1, 2], 11).data as Float64Array;
    const [r0, r1] = [r[0] as number, r[1] as number];
    const dA = Array.from(result.analytic.A?.data as Float64Array);
    expect(dA[0]).toBeCloseTo(r0 * 1 + r1 * 2, 12);
    expect(dA[1]).toBeCloseTo(r0 * 3 + r1 * 4, 12);
  });
});

describe('Gemm gradient', () => {
  const cShapes: Array<number[] | null> = [null, [3], [1, 3], [], [2, 3], [2, 1]];
  for (const transA of [0, 1]) {
    for (const transB of [0, 1]) {
      for (const shapeC of cShapes) {
        const label = `transA=${transA} transB=${transB} C=${shapeC === null ? 'none' : `[${shapeC.join(', ')}]`}`;
        it(`matches finite differences: ${label}`, async () => {
          const shapeA = transA ? [4, 2] : [2, 4];
          const shapeB = transB ? [3, 4] : [4, 3];
          const wrt = shapeC === null ? ['A', 'B'] : ['A', 'B', 'C'];
          const result = await checkGradients({
            build: (b) => {
              const inputs = {
                A: randomTensor('float64', shapeA, 1),
                B: randomTensor('float64', shapeB, 2),
                ...(shapeC === null ? {} : { C: randomTensor('float64', shapeC, 3) }),
              };
              const names = [b.input('A', 'float64', shapeA), b.input('B', 'float64', shapeB)];
              if (shapeC !== null) names.push(b.input('C', 'float64', shapeC));
              const output = b.op('Gemm', names, {
                alpha: float(0.7),
                beta: float(1.3),
                transA,
                transB,
              });
              return { inputs, output };
            },
            wrt,
          });
          expect(result.analytic.A?.dims).toEqual(shapeA);
          expect(result.analytic.B?.dims).toEqual(shapeB);
          if (shapeC !== null) expect(result.analytic.C?.dims).toEqual(shapeC);
          expect(result.maxRelError).toBeLessThan(1e-6);
        });
      }
    }
  }

  it('uses default alpha and beta of 1', async () => {
    const result = await checkGradients({
      build: (b) => {
        const a = b.input('A', 'float64', [3, 2]);
        const m = b.input('B', 'float64', [2, 4]);
        const c = b.input('C', 'float64', [4]);
        return {
          inputs: {
            A: randomTensor('float64', [3, 2], 4),
            B: randomTensor('float64', [2, 4], 5),
            C: randomTensor('float64', [4], 6),
          },
          output: b.op('Gemm', [a, m, c]),
        };
      },
      wrt: ['A', 'B', 'C'],
    });
    // With beta = 1, dC is the column sum of R over the 3 rows.
    const r = randomTensor('float64', [3, 4], 7).data as Float64Array;
    const expected = [0, 1, 2, 3].map(
      (j) => (r[j] as number) + (r[4 + j] as number) + (r[8 + j] as number),
    );
    const dC = Array.from(result.analytic.C?.data as Float64Array);
    dC.forEach((v, j) => {
      expect(v).toBeCloseTo(expected[j] as number, 12);
    });
  });
});
