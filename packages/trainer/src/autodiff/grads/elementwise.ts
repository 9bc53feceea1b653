// Gradient builders for elementwise ops (arithmetic, activations, Clip, Max/Min, Where, Cast),
// written in standard ONNX ops only; broadcast inputs are reduced with reduceGradToInput.
import { TrainerError } from '../../errors.js';
import { float } from '../../ir/builder.js';
import { ONNX_DTYPE_CODE } from '../../ir/tensor.js';
import type { DType } from '../../ir/types.js';
import type { GradientBuilder, GradientContext } from '../types.js';
import { constantScalar, dtypeOf, reduceGradToInput } from '../utils.js';

/** The gradient of the node's only (first) output; the engine calls builders only when it exists. */
function gradOut(ctx: GradientContext): string {
  const g = ctx.gradOutputs[0];
  if (g === undefined) {
    throw new TrainerError('INVALID_GRAPH', 'the output gradient is missing', {
      node: ctx.node.name,
      op: ctx.node.opType,
    });
  }
  return g;
}

const input = (ctx: GradientContext, i: number): string => ctx.node.inputs[i] as string;
const output = (ctx: GradientContext): string => ctx.node.outputs[0] as string;

/** For unary ops y = f(x): dx = g · f'(x), with `derivative` emitting f'(x). */
function unary(
  derivative: (ctx: GradientContext, x: string, y: string, dtype: DType) => string,
): GradientBuilder {
  return (ctx) => {
    if (!ctx.needsGrad[0]) return [undefined];
    const x = input(ctx, 0);
    const d = derivative(ctx, x, output(ctx), dtypeOf(ctx, x));
    return [ctx.builder.op('Mul', [gradOut(ctx), d])];
  };
}

/** For binary broadcasting ops: each input's gradient term, reduced to that input's shape. */
function binary(
  terms: (ctx: GradientContext, g: string, a: string, b: string) => [() => string, () => string],
): GradientBuilder {
  return (ctx) => {
    const [a, b] = [input(ctx, 0), input(ctx, 1)];
    const [da, db] = terms(ctx, gradOut(ctx), a, b);
    const y = output(ctx);
    return [
      ctx.needsGrad[0] ? reduceGradToInput(ctx, da(), a, y) : undefined,
      ctx.needsGrad[1] ? reduceGradToInput(ctx, db(), b, y) : undefined,
    ];
  };
}

/** 1 where `mask` (bool) holds, else 0, times g — a gradient gate that keeps NaN-free zeros. */
function gate(ctx: GradientContext, mask: string, g: string, dtype: DType): string {
  return ctx.builder.op('Where', [mask, g, constantScalar(ctx.builder, dtype, 0)]);
}

/** Max and Min: each input gets g where it equals the result; ties split g evenly among them. */
function extremum(ctx: GradientContext): Array<string | undefined> {
  const b = ctx.builder;
  const y = output(ctx);
  const g = gradOut(ctx);
  const inputs = ctx.node.inputs;
  if (inputs.length === 1) return [ctx.needsGrad[0] ? g : undefined];
  const dtype = dtypeOf(ctx, y);
  const masks = inputs.map((x) =>
    b.op('Cast', [b.op('Equal', [x, y])], { to: ONNX_DTYPE_CODE[dtype] }),
  );
  const share = b.op('Div', [g, b.op('Sum', masks)]);
  return inputs.map((x, i) =>
    ctx.needsGrad[i]
      ? reduceGradToInput(ctx, b.op('Mul', [share, masks[i] as string]), x, y)
      : undefined,
  );
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
const GELU_TANH_COEFF = 0.044715;

/**
 * Gelu (opset 20). approximate='none': y = x·Φ(x), y' = Φ(x) + x·φ(x). approximate='tanh':
 * y = ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), y' = ½(1 + t) + ½x(1 − t²)·√(2/π)(1 + 3·0.044715x²);
 * with σ = sigmoid(2u) (1 + t = 2σ, 1 − t² = 4σ(1 − σ), y = x·σ) that is σ + y·2u'·(1 − σ), read
 * from the forward output y (kept anyway: the next MatMul's weight gradient needs it): 12
 * elementwise passes with the multiply by the incoming gradient (17 for the formula as written),
 * on every [tokens, 4·hidden] MLP activation.
 */
function geluDerivative(ctx: GradientContext, x: string, y: string, dtype: DType): string {
  const b = ctx.builder;
  const c = (v: number) => constantScalar(b, dtype, v);
  const approximate = ctx.node.attributes.approximate;
  const mode = approximate?.type === 'string' ? approximate.value : 'none';
  if (mode === 'tanh') {
    const k = SQRT_2_OVER_PI;
    const x2 = b.op('Mul', [x, x]);
    // 2u = x·(2k + 2k·c·x²) and 2u' = 2k + 6k·c·x².
    const twoU = b.op('Mul', [
      x,
      b.op('Add', [b.op('Mul', [x2, c(2 * k * GELU_TANH_COEFF)]), c(2 * k)]),
    ]);
    const sigma = b.op('Sigmoid', [twoU]);
    const twoDu = b.op('Add', [b.op('Mul', [x2, c(6 * k * GELU_TANH_COEFF)]), c(2 * k)]);
    const slope = b.op('Mul', [b.op('Mul', [y, twoDu]), b.op('Sub', [c(1), sigma])]);
    return b.op('Add', [sigma, slope]);
  }
  if (mode !== 'none') {
    throw new TrainerError('UNSUPPORTED_OP', `Gelu approximate="${mode}" has no gradient builder`, {
      node: ctx.node.name,
      op: ctx.node.opType,
    });
  }
  // With z = x/√2: Φ(x) = ½ + ½·erf(z) and x·φ(x) = z·e^(−z²)/√π. HardSigmoid(erf z; ½, ½) is
  // the affine ½·erf + ½ in one pass (erf ∈ [−1, 1], so its clip to [0, 1] never bites), and
  // z / e^(z²) is z·e^(−z²) without a Neg pass (e^(z²) = ∞ gives the right limit, 0): 9
  // elementwise passes with the multiply by the incoming gradient, instead of 11, on every
  // [tokens, intermediate] activation of a BERT-style model.
  // (ONNX Runtime's CPU build has neither Erf nor HardSigmoid in float64, so this is float32.)
  const z = b.op('Mul', [x, c(Math.SQRT1_2)]);
  const cdf = b.op('HardSigmoid', [b.op('Erf', [z])], { alpha: float(0.5), beta: float(0.5) });
  const zPdf = b.op('Div', [z, b.op('Exp', [b.op('Mul', [z, z])])]);
  return b.op('Add', [cdf, b.op('Mul', [zPdf, c(1 / Math.sqrt(Math.PI))])]);
}

/** Clip: g passes where min < x < max (strictly; 0 at and beyond the bounds). */
const clip: GradientBuilder = (ctx) => {
  if (!ctx.needsGrad[0]) return [undefined];
  const b = ctx.builder;
  const x = input(ctx, 0);
  const dtype = dtypeOf(ctx, x);
  // Opset < 11 carries the bounds as attributes; from 11 they are optional inputs.
  const bound = (i: number, attr: string): string | undefined => {
    const fromInput = ctx.node.inputs[i];
    if (fromInput !== undefined && fromInput !== '') return fromInput;
    const a = ctx.node.attributes[attr];
    return a?.type === 'float' || a?.type === 'int' ? constantScalar(b, dtype, a.value) : undefined;
  };
  const lo = bound(1, 'min');
  const hi = bound(2, 'max');
  const conditions = [
    ...(lo !== undefined ? [b.op('Greater', [x, lo])] : []),
    ...(hi !== undefined ? [b.op('Less', [x, hi])] : []),
  ];
  const g = gradOut(ctx);
  if (conditions.length === 0) return [g];
  const mask = conditions.length === 1 ? (conditions[0] as string) : b.op('And', conditions);
  return [gate(ctx, mask, g, dtype), undefined, undefined];
};

/** Variadic Sum: every input gets g (reduced to its shape). */
const sum: GradientBuilder = (ctx) => {
  const g = gradOut(ctx);
  return ctx.node.inputs.map((x, i) =>
    ctx.needsGrad[i] ? reduceGradToInput(ctx, g, x, output(ctx)) : undefined,
  );
};

export const elementwiseGradients: Record<string, GradientBuilder> = {
  Add: binary((_ctx, g) => [() => g, () => g]),
  Sub: binary((ctx, g) => [() => g, () => ctx.builder.op('Neg', [g])]),
  Mul: binary((ctx, g, a, b) => [
    () => ctx.builder.op('Mul', [g, b]),
    () => ctx.builder.op('Mul', [g, a]),
  ]),
  // d(a/b)/da = 1/b; d(a/b)/db = -a/b² = -y/b.
  Div: binary((ctx, g, _a, b) => [
    () => ctx.builder.op('Div', [g, b]),
    () =>
      ctx.builder.op('Neg', [ctx.builder.op('Div', [ctx.builder.op('Mul', [g, output(ctx)]), b])]),
  ]),
  /**
   * y = x^p: dx = g·p·x^(p−1). The exponent (constant or tensor, any numeric dtype) gets no
   * gradient — it is a non-differentiable input in the engine (dp = g·y·ln x is undefined for
   * x ≤ 0, and exponents are hyperparameters in the models built here).
   */
  Pow: (ctx) => {
    if (!ctx.needsGrad[0]) return [undefined, undefined];
    const b = ctx.builder;
    const [x, p] = [input(ctx, 0), input(ctx, 1)];
    const dtype = dtypeOf(ctx, x);
    const pf = dtypeOf(ctx, p) === dtype ? p : b.op('Cast', [p], { to: ONNX_DTYPE_CODE[dtype] });
    const d = b.op('Mul', [pf, b.op('Pow', [x, b.op('Sub', [pf, constantScalar(b, dtype, 1)])])]);
    return [reduceGradToInput(ctx, b.op('Mul', [gradOut(ctx), d]), x, output(ctx)), undefined];
  },
  Neg: (ctx) => [ctx.needsGrad[0] ? ctx.builder.op('Neg', [gradOut(ctx)]) : undefined],
  Identity: (ctx) => [ctx.needsGrad[0] ? gradOut(ctx) : undefined],
  // d√x = 1/(2√x) = 0.5/y.
  Sqrt: (ctx) => {
    if (!ctx.needsGrad[0]) return [undefined];
    const b = ctx.builder;
    const half = constantScalar(b, dtypeOf(ctx, output(ctx)), 0.5);
    return [b.op('Div', [b.op('Mul', [gradOut(ctx), half]), output(ctx)])];
  },
  Exp: unary((_ctx, _x, y) => y),
  Log: (ctx) => [
    ctx.needsGrad[0] ? ctx.builder.op('Div', [gradOut(ctx), input(ctx, 0)]) : undefined,
  ],
  // d erf(x) = 2/√π · exp(−x²).
  Erf: unary((ctx, x, _y, dtype) => {
    const b = ctx.builder;
    const e = b.op('Exp', [b.op('Neg', [b.op('Mul', [x, x])])]);
    return b.op('Mul', [constantScalar(b, dtype, 2 / Math.sqrt(Math.PI)), e]);
  }),
  Tanh: unary((ctx, _x, y, dtype) =>
    ctx.builder.op('Sub', [constantScalar(ctx.builder, dtype, 1), ctx.builder.op('Mul', [y, y])]),
  ),
  Sigmoid: unary((ctx, _x, y, dtype) =>
    ctx.builder.op('Mul', [y, ctx.builder.op('Sub', [constantScalar(ctx.builder, dtype, 1), y])]),
  ),
  // Relu'(0) = 0, as in PyTorch.
  Relu: (ctx) => {
    if (!ctx.needsGrad[0]) return [undefined];
    const x = input(ctx, 0);
    const dtype = dtypeOf(ctx, x);
    const mask = ctx.builder.op('Greater', [x, constantScalar(ctx.builder, dtype, 0)]);
    return [gate(ctx, mask, gradOut(ctx), dtype)];
  },
  Gelu: unary(geluDerivative),
  Clip: clip,
  Max: extremum,
  Min: extremum,
  Sum: sum,
  /** Where(c, X, Y): X gets g where c holds, Y elsewhere; the condition gets none. */
  Where: (ctx) => {
    const b = ctx.builder;
    const [cond, x, y] = [input(ctx, 0), input(ctx, 1), input(ctx, 2)];
    const g = gradOut(ctx);
    const out = output(ctx);
    const zero = () => constantScalar(b, dtypeOf(ctx, out), 0);
    return [
      undefined,
      ctx.needsGrad[1]
        ? reduceGradToInput(ctx, b.op('Where', [cond, g, zero()]), x, out)
        : undefined,
      ctx.needsGrad[2]
        ? reduceGradToInput(ctx, b.op('Where', [cond, zero(), g]), y, out)
        : undefined,
    ];
  },
  /** Float → float casts pass the gradient cast back; casts to integers carry none (by dtype). */
  Cast: (ctx) => {
    if (!ctx.needsGrad[0]) return [undefined];
    const x = input(ctx, 0);
    return [ctx.builder.op('Cast', [gradOut(ctx)], { to: ONNX_DTYPE_CODE[dtypeOf(ctx, x)] })];
  },
  CastLike: (ctx) => {
    if (!ctx.needsGrad[0]) return [undefined, undefined];
    const x = input(ctx, 0);
    return [
      ctx.builder.op('Cast', [gradOut(ctx)], { to: ONNX_DTYPE_CODE[dtypeOf(ctx, x)] }),
      undefined,
    ];
  },
};
