// Forward values of every loss against PyTorch 1.13 (Debian python3-torch), computed in float64 from
// the float32 inputs below; the torch call that produced each number is named beside it.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { createGraphBuilder, type GraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { DType, TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { bceWithLogitsLoss } from './bce-with-logits.js';
import { crossEntropyLoss } from './cross-entropy.js';
import { focalLoss } from './focal.js';
import { huberLoss } from './huber.js';
import { mseLoss } from './mse.js';
import { buildLoss, isLossName, losses, weightedLossSum } from './registry.js';
import type { LossInputs } from './types.js';

type Nested = number | Nested[];
function fromNested(dtype: DType, values: Nested): TensorData {
  const dims: number[] = [];
  for (let v: Nested = values; Array.isArray(v); v = v[0] as Nested) dims.push(v.length);
  return tensor(dtype, dims, (values as number[]).flat(dims.length) as number[]);
}

/** Builds `loss` over graph inputs `x` (float) and `y`, runs it and returns the output values. */
async function evalLoss(
  build: (b: GraphBuilder, inputs: LossInputs) => string,
  x: TensorData,
  y: TensorData,
): Promise<number[]> {
  const b = createGraphBuilder({ name: 'loss_test' });
  const input = b.input('x', x.dtype, x.dims);
  const target = b.input('y', y.dtype, y.dims);
  const loss = build(b, { input, target });
  b.output(loss, x.dtype);
  const session = await createSession(b.graph, { threads: 1 });
  const out = await session.run({ x, y });
  await session.release();
  return Array.from(out[loss]?.data as Float32Array);
}

function expectClose(actual: number[], expected: number[], tol = 1e-5): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i] as number;
    if (Math.abs(a - e) > tol * Math.max(1, Math.abs(e))) {
      expect.fail(`element ${i}: got ${a}, expected ${e} (tol ${tol})`);
    }
  });
}

// Logits [4, 5]; target 1 of row 1 is ignore_index -100.
const L2 = [
  [1.5, -0.25, 0.75, 2.0, -1.0],
  [0.1, 0.2, 0.3, 0.4, 0.5],
  [-2.0, 1.0, 0.0, 3.5, -0.5],
  [4.0, -3.0, 1.25, 0.5, 2.5],
];
const T2 = [1, -100, 3, 0];
// Kept targets 1, 3, 0 weigh 1.25 + 1.5 + 0.5 = 3.25 ≠ 3 kept: the weighted mean is visible.
const W = [0.5, 1.25, 2.0, 1.5, 0.25];
// Logits [2, 3, 4] (per-token classification); torch got them permuted to [N, C, T].
const L3 = [
  [
    [0.5, -1.0, 2.0, 0.0],
    [1.0, 1.0, -0.5, 0.25],
    [3.0, -2.0, 0.5, 1.5],
  ],
  [
    [-0.75, 0.5, 0.0, 2.25],
    [0.125, -0.5, 1.5, -1.0],
    [2.0, 0.0, -3.0, 1.0],
  ],
];
const T3 = [
  [0, 2, -100],
  [3, -100, 1],
];
const W3 = [1.0, 0.5, 2.0, 0.75];

const x2 = fromNested('float32', L2);
const y2 = fromNested('int64', T2);
const x3 = fromNested('float32', L3);
const y3 = fromNested('int64', T3);

describe('cross_entropy vs F.cross_entropy', () => {
  it('plain mean with every target kept', async () => {
    // F.cross_entropy(x, torch.tensor([1, 4, 3, 0]))
    const got = await evalLoss(crossEntropyLoss, x2, fromNested('int64', [1, 4, 3, 0]));
    expectClose(got, [1.1972463906168296]);
  });

  it('ignore_index -100 with mean / sum / none', async () => {
    // F.cross_entropy(x, y) — the mean divides by the 3 kept targets
    expectClose(await evalLoss(crossEntropyLoss, x2, y2), [1.1231897421833228]);
    // F.cross_entropy(x, y, reduction='sum')
    expectClose(
      await evalLoss((b, i) => crossEntropyLoss(b, i, { reduction: 'sum' }), x2, y2),
      [3.3695692265499684],
    );
    // F.cross_entropy(x, y, reduction='none')
    expectClose(
      await evalLoss((b, i) => crossEntropyLoss(b, i, { reduction: 'none' }), x2, y2),
      [2.9669719774401178, 0.0, 0.12635489639258568, 0.27624235271726516],
    );
  });

  it('class weights alone: mean divides by the kept targets’ weights', async () => {
    // F.cross_entropy(x, y, weight=W)
    expectClose(
      await evalLoss((b, i) => crossEntropyLoss(b, i, { weight: W }), x2, y2),
      [1.2419595362300486],
    );
  });

  it('label smoothing alone', async () => {
    // F.cross_entropy(x, y, label_smoothing=0.2)
    expectClose(
      await evalLoss((b, i) => crossEntropyLoss(b, i, { labelSmoothing: 0.2 }), x2, y2),
      [1.4698564088499895],
    );
  });

  it('label smoothing + class weights + ignore_index, every reduction', async () => {
    const options = { weight: W, labelSmoothing: 0.1 } as const;
    // F.cross_entropy(x, y, weight=W, label_smoothing=0.1)
    expectClose(
      await evalLoss((b, i) => crossEntropyLoss(b, i, options), x2, y2),
      [1.4021951564287352],
    );
    // ... reduction='sum'
    expectClose(
      await evalLoss((b, i) => crossEntropyLoss(b, i, { ...options, reduction: 'sum' }), x2, y2),
      [4.557134258393389],
    );
    // ... reduction='none'
    expectClose(
      await evalLoss((b, i) => crossEntropyLoss(b, i, { ...options, reduction: 'none' }), x2, y2),
      [3.5429603921385455, 0.0, 0.4619781487331751, 0.5521957175216685],
    );
  });

  it('a custom ignore_index that is a real class id', async () => {
    // F.cross_entropy(x, torch.tensor([1, 4, 3, 3]), ignore_index=3, label_smoothing=0.1)
    const got = await evalLoss(
      (b, i) => crossEntropyLoss(b, i, { ignoreIndex: 3, labelSmoothing: 0.1 }),
      x2,
      fromNested('int64', [1, 4, 3, 3]),
    );
    expectClose(got, [2.1606941564552167]);
  });

  it('[N, T, C] logits per token', async () => {
    // F.cross_entropy(x3.permute(0, 2, 1), y3)
    expectClose(await evalLoss(crossEntropyLoss, x3, y3), [1.7576018112608138]);
    // F.cross_entropy(x3.permute(0, 2, 1), y3, weight=W3, label_smoothing=0.15)
    expectClose(
      await evalLoss(
        (b, i) => crossEntropyLoss(b, i, { weight: W3, labelSmoothing: 0.15 }),
        x3,
        y3,
      ),
      [1.9738237816213924],
    );
    // ... reduction='none' → [N, T]
    expectClose(
      await evalLoss(
        (b, i) => crossEntropyLoss(b, i, { weight: W3, labelSmoothing: 0.15, reduction: 'none' }),
        x3,
        y3,
      ),
      [1.7893091097247265, 4.527317454295851, 0.0, 0.5406912472776173, 0.0, 1.5314332605927223],
    );
  });

  it('runs in float64 with int32 targets', async () => {
    // F.cross_entropy(x, y, weight=W, label_smoothing=0.1) as above, in double precision.
    const got = await evalLoss(
      (b, i) => crossEntropyLoss(b, i, { weight: W, labelSmoothing: 0.1 }),
      fromNested('float64', L2),
      fromNested('int32', T2),
    );
    // Inputs are exact in float32 and float64 alike, so torch's double result is matched to 1e-12.
    expectClose(got, [1.4021951564287352], 1e-12);
  });

  it('reads the class count at run time when the logits declare a symbolic last dim', async () => {
    const b = createGraphBuilder({ name: 'symbolic_classes' });
    const input = b.input('x', 'float32', ['batch', 'classes']);
    const target = b.input('y', 'int64', ['batch']);
    const loss = crossEntropyLoss(b, { input, target }, { weight: W, labelSmoothing: 0.1 });
    expect(b.graph.nodes.some((n) => n.opType === 'Shape')).toBe(true);
    b.output(loss, 'float32');
    const session = await createSession(b.graph, { threads: 1 });
    const out = await session.run({ x: x2, y: y2 });
    await session.release();
    // F.cross_entropy(x, y, weight=W, label_smoothing=0.1)
    expectClose(Array.from(out[loss]?.data as Float32Array), [1.4021951564287352]);
  });

  it('is 0 (not NaN as in PyTorch) when every target is ignored', async () => {
    const got = await evalLoss(
      (b, i) => crossEntropyLoss(b, i, { weight: W }),
      x2,
      fromNested('int64', [-100, -100, -100, -100]),
    );
    // ONNX Runtime's summed loss over no targets is −0; any zero is fine, NaN is not.
    expect(got).toHaveLength(1);
    expect(got[0] === 0).toBe(true);
  });

  it('rejects label smoothing outside [0, 1]', () => {
    const b = createGraphBuilder();
    const input = b.input('x', 'float32', [2, 3]);
    const target = b.input('y', 'int64', [2]);
    expect(() => crossEntropyLoss(b, { input, target }, { labelSmoothing: 1.5 })).toThrow(
      /labelSmoothing must be in \[0, 1\], got 1.5/,
    );
  });
});

describe('focal', () => {
  // Reference: the torch expression −α_t·(1 − p_t)^γ·log p_t with p_t from F.log_softmax(x, -1)
  // gathered at the target, zeroed where target == -100, mean over kept targets.
  it('γ = 2, mean over kept targets', async () => {
    expectClose(await evalLoss(focalLoss, x2, y2), [0.895782828222795]);
  });

  it('γ = 2 with per-class α, reduction none', async () => {
    expectClose(
      await evalLoss((b, i) => focalLoss(b, i, { alpha: W, reduction: 'none' }), x2, y2),
      [3.336842978318823, 0.0, 0.002670361074570783, 0.008046930648472944],
    );
  });

  it('γ = 1.5 with scalar α = 0.25, reduction sum', async () => {
    expectClose(
      await evalLoss(
        (b, i) => focalLoss(b, i, { gamma: 1.5, alpha: 0.25, reduction: 'sum' }),
        x2,
        y2,
      ),
      [0.6947133942785181],
    );
  });

  it('per token on [N, T, C] with per-class α', async () => {
    expectClose(
      await evalLoss((b, i) => focalLoss(b, i, { alpha: W3 }), x3, y3),
      [1.6274237833968936],
    );
  });

  it('γ = 0 without α is cross-entropy (F.cross_entropy(x, y))', async () => {
    expectClose(
      await evalLoss((b, i) => focalLoss(b, i, { gamma: 0 }), x2, y2),
      [1.1231897421833228],
    );
  });
});

const LB = [
  [0.5, -1.5, 60.0, -0.25],
  [-80.0, 2.0, 0.0, 1.125],
  [3.0, -0.5, -4.0, 0.75],
];
const YB = [
  [1.0, 0.0, 1.0, 0.0],
  [0.0, 1.0, 1.0, 0.5],
  [0.0, 0.0, 1.0, 1.0],
];
const xb = fromNested('float32', LB);
const yb = fromNested('float32', YB);

describe('bce_with_logits vs F.binary_cross_entropy_with_logits', () => {
  it('mean and none, finite for logits of ±60/80', async () => {
    // F.binary_cross_entropy_with_logits(x, y)
    expectClose(await evalLoss(bceWithLogitsLoss, xb, yb), [0.9035700233066244]);
    // ... reduction='none'
    expectClose(await evalLoss((b, i) => bceWithLogitsLoss(b, i, { reduction: 'none' }), xb, yb), [
      0.4740769841801067,
      0.20141327798275246,
      0.0,
      0.5759394198788437,
      0.0,
      0.1269280110429726,
      Math.LN2 /* x = 0: log 2 */,
      0.8436501362483149,
      3.048587351573742,
      0.4740769841801067,
      4.0181499279178094,
      0.3868710061149,
    ]);
  });

  it('per-class pos_weight, with weight and sum', async () => {
    const PW = [2.0, 0.5, 1.0, 3.0];
    // F.binary_cross_entropy_with_logits(x, y, pos_weight=PW)
    expectClose(
      await evalLoss((b, i) => bceWithLogitsLoss(b, i, { posWeight: PW }), xb, yb),
      [1.0256954505680191],
    );
    // ... pos_weight=PW, weight=[1, 2, 0.5, 1.5], reduction='sum'
    expectClose(
      await evalLoss(
        (b, i) =>
          bceWithLogitsLoss(b, i, { posWeight: PW, weight: [1, 2, 0.5, 1.5], reduction: 'sum' }),
        xb,
        yb,
      ),
      [12.122327475621784],
    );
  });

  it('scalar pos_weight, reduction none', async () => {
    // F.binary_cross_entropy_with_logits(x, y, pos_weight=torch.tensor([3.0]), reduction='none')
    expectClose(
      await evalLoss(
        (b, i) => bceWithLogitsLoss(b, i, { posWeight: 3, reduction: 'none' }),
        xb,
        yb,
      ),
      [
        1.42223095254032, 0.20141327798275244, 0.0, 0.5759394198788437, 0.0, 0.38078403312891784,
        2.0794415416798357, 1.1248002724966297, 3.048587351573742, 0.4740769841801067,
        12.054449783753428, 1.1606130183447,
      ],
    );
  });
});

const xr = fromNested('float32', [
  [0.5, -1.25, 3.0],
  [2.0, 0.0, -0.75],
]);
const yr = fromNested('float32', [
  [0.0, 1.0, 1.0],
  [2.25, -0.125, 1.5],
]);

describe('mse and huber vs F.mse_loss / F.huber_loss', () => {
  it('mse mean and sum', async () => {
    // F.mse_loss(x, y)
    expectClose(await evalLoss(mseLoss, xr, yr), [2.4088541666666665]);
    // F.mse_loss(x, y, reduction='sum')
    expectClose(await evalLoss((b, i) => mseLoss(b, i, { reduction: 'sum' }), xr, yr), [14.453125]);
  });

  it('huber for three deltas', async () => {
    // F.huber_loss(x, y, delta=1.0)
    expectClose(await evalLoss(huberLoss, xr, yr), [0.8606770833333334]);
    // F.huber_loss(x, y, delta=0.5, reduction='none')
    expectClose(
      await evalLoss((b, i) => huberLoss(b, i, { delta: 0.5, reduction: 'none' }), xr, yr),
      [0.125, 1.0, 0.875, 0.03125, 0.0078125, 1.0],
    );
    // F.huber_loss(x, y, delta=2.0, reduction='sum')
    expectClose(
      await evalLoss((b, i) => huberLoss(b, i, { delta: 2, reduction: 'sum' }), xr, yr),
      [7.1640625],
    );
  });

  it('rejects delta ≤ 0', () => {
    const b = createGraphBuilder();
    const input = b.input('x', 'float32', [2]);
    const target = b.input('y', 'float32', [2]);
    expect(() => huberLoss(b, { input, target }, { delta: 0 })).toThrow(TrainerError);
  });
});

describe('registry and weighted sum', () => {
  it('lists the five losses and builds one by name', async () => {
    expect(Object.keys(losses).sort()).toEqual([
      'bce_with_logits',
      'cross_entropy',
      'focal',
      'huber',
      'mse',
    ]);
    expect(isLossName('huber')).toBe(true);
    expect(isLossName('toString')).toBe(false);
    const got = await evalLoss(
      (b, i) => buildLoss(b, 'huber', i, { delta: 0.5, reduction: 'none', name: 'loss' }),
      xr,
      yr,
    );
    expectClose(got, [0.125, 1.0, 0.875, 0.03125, 0.0078125, 1.0]);
  });

  it('throws for an unknown name and lists the known ones', () => {
    const b = createGraphBuilder();
    expect(() => buildLoss(b, 'l1' as never, { input: 'x', target: 'y' })).toThrow(
      /unknown loss "l1"; known losses: cross_entropy, focal, bce_with_logits, mse, huber/,
    );
  });

  it('weightedLossSum adds weighted heads: 0.5·mse + 2·huber', async () => {
    const got = await evalLoss(
      (b, i) =>
        weightedLossSum(
          b,
          [
            { loss: mseLoss(b, i), weight: 0.5 },
            { loss: huberLoss(b, i), weight: 2 },
          ],
          { name: 'total' },
        ),
      xr,
      yr,
    );
    // 0.5·F.mse_loss + 2·F.huber_loss(delta=1) from the references above
    expectClose(got, [0.5 * 2.4088541666666665 + 2 * 0.8606770833333334]);
  });
});
