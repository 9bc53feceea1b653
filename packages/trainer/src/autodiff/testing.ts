// Test-only finite-difference harness for gradient builders: builds a forward graph, reduces it to
// a scalar loss, differentiates it with buildGradients and compares with central differences in ORT.
import { createRng } from '@ft/data';
import type { GraphBuilder } from '../ir/builder.js';
import { createGraphBuilder } from '../ir/builder.js';
import { toModelProto, toOnnxBytes } from '../ir/onnx-export.js';
import { onnx } from '../ir/onnx-proto.js';
import { tensor } from '../ir/tensor.js';
import type { DType, Graph, TensorData, ValueInfo } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { buildGradients } from './engine.js';

/** A float tensor with values uniform in [low, high), reproducible from `seed`. */
export function randomTensor(
  dtype: 'float32' | 'float64',
  dims: number[],
  seed: number,
  low = -1,
  high = 1,
): TensorData {
  const rng = createRng(seed);
  let n = 1;
  for (const d of dims) n *= d;
  return tensor(
    dtype,
    dims,
    Array.from({ length: n }, () => low + (high - low) * rng.next()),
  );
}

/**
 * erf on the host in float64 by its Maclaurin series: a reference for Erf/Gelu tests, accurate to
 * ~1e-9 for |x| ≤ 4 (the alternating terms cancel beyond); callers saturate it outside.
 */
export function hostErf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export interface CheckGradientsOptions {
  /** Declares the forward graph's inputs (b.input) and ops; returns the feeds and the output. */
  build: (b: GraphBuilder) => { inputs: Record<string, TensorData>; output: string };
  /** Graph inputs (not initializers) to differentiate with respect to and perturb. */
  wrt: string[];
  /** Precision of the check; picks the default tolerances. @default 'float64' */
  dtype?: 'float64' | 'float32';
  /** Finite-difference step. @default 1e-6 for float64, 1e-3 for float32 */
  eps?: number;
  /**
   * Relative tolerance. @default 1e-6 for float64; 5e-3 for float32, whose loss sums carry
   * ~1e-7 relative rounding that a 1e-3 step amplifies to ~1e-4 of the loss's magnitude
   * (observed: max abs error ≤ 5e-5 for Erf/Gelu on [2, 3] inputs)
   */
  rtol?: number;
  /** Absolute tolerance. @default 1e-8 for float64, 1e-3 for float32 */
  atol?: number;
  /** Seed of the random weights R in L = Sum(output ⊙ R). @default 7 */
  seed?: number;
  /** Default-domain opset of the graph. @default 18 */
  opset?: number;
  /**
   * Where the engine's static shapes come from: `'graph'` is the engine's default (inferShapes,
   * the path training uses); `'runtime'` records every value's dtype and dims from a forward run
   * in ORT, for ops shape inference does not cover yet.
   * @default 'graph'
   */
  shapes?: 'runtime' | 'graph';
}

export interface GradientCheckResult {
  /** Analytic gradients from the gradient graph, per wrt input. */
  analytic: Record<string, TensorData>;
  /** Central finite differences, per wrt input. */
  numeric: Record<string, Float64Array>;
  maxAbsError: number;
  maxRelError: number;
  /** The forward + loss + gradient graph. */
  graph: Graph;
  /** Number of nodes buildGradients added. */
  gradientNodes: number;
}

/** Serialises a graph with extra untyped outputs (ORT infers their types) for probing. */
function probeBytes(graph: Graph, names: string[]): Uint8Array {
  const proto = toModelProto(graph);
  if (proto.graph) proto.graph.output = names.map((name) => ({ name }));
  return onnx.ModelProto.encode(onnx.ModelProto.create(proto)).finish();
}

function multiIndex(flat: number, dims: readonly number[]): string {
  const idx: number[] = [];
  for (let k = dims.length - 1; k >= 0; k--) {
    const d = dims[k] as number;
    idx.unshift(flat % d);
    flat = Math.floor(flat / d);
  }
  return `[${idx.join(', ')}]`;
}

/**
 * Checks buildGradients' gradients of L = Sum(output ⊙ R) (R fixed random, so every output
 * element matters) against central finite differences, both evaluated by ONNX Runtime. Throws an
 * Error naming the input, element, analytic and numeric values when any element is off by more
 * than `atol + rtol·|numeric|`; also when the gradient graph uses a non-standard op domain.
 */
export async function checkGradients(options: CheckGradientsOptions): Promise<GradientCheckResult> {
  const {
    build,
    wrt,
    dtype = 'float64',
    seed = 7,
    opset = 18,
    shapes: shapeSource = 'graph',
  } = options;
  const f64 = dtype === 'float64';
  const eps = options.eps ?? (f64 ? 1e-6 : 1e-3);
  const rtol = options.rtol ?? (f64 ? 1e-6 : 5e-3);
  const atol = options.atol ?? (f64 ? 1e-8 : 1e-3);

  const b = createGraphBuilder({ name: 'gradcheck', opset });
  const { inputs, output } = build(b);
  const graph = b.graph;
  for (const w of wrt) {
    if (!graph.inputs.some((i) => i.name === w) || inputs[w] === undefined) {
      throw new Error(`checkGradients: wrt "${w}" must be a graph input with a value in inputs`);
    }
  }

  // Probe every value's run-time dtype and dims.
  const valueNames = [...new Set(graph.nodes.flatMap((n) => n.outputs).filter((o) => o !== ''))];
  const probe = await createSession(probeBytes(graph, valueNames));
  const probed = await probe.run(inputs);
  await probe.release();
  const out = probed[output];
  if (out === undefined) throw new Error(`checkGradients: output "${output}" was not produced`);
  const outDtype: DType = out.dtype;
  if (outDtype !== 'float32' && outDtype !== 'float64') {
    throw new Error(`checkGradients: output "${output}" is ${outDtype}, not float32/float64`);
  }

  const r = b.initializer('gradcheck_R', randomTensor(outDtype, [...out.dims], seed, -1, 1));
  const weighted = b.op('Mul', [output, r]);
  const loss = b.op('ReduceSum', [weighted], { keepdims: 0 });
  b.output(loss, outDtype, []);
  const forward = await createSession(toOnnxBytes(graph));

  let shapes: Map<string, ValueInfo> | undefined;
  if (shapeSource === 'runtime') {
    shapes = new Map();
    for (const v of graph.inputs) shapes.set(v.name, { ...v });
    for (const [name, t] of Object.entries(probed))
      shapes.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
    for (const [name, t] of Object.entries(inputs))
      shapes.set(name, { name, dtype: t.dtype, shape: [...t.dims] });
    shapes.set(r, { name: r, dtype: outDtype, shape: [...out.dims] });
    shapes.set(weighted, { name: weighted, dtype: outDtype, shape: [...out.dims] });
    shapes.set(loss, { name: loss, dtype: outDtype, shape: [] });
  }

  const before = graph.nodes.length;
  // Differentiating `output` with seed R gives dL/dx for L = Sum(output ⊙ R) without relying on
  // ReduceSum's own gradient builder (tested elsewhere).
  const gradOptions = { loss: output, lossGrad: r, wrt };
  const { grads } = buildGradients(graph, shapes ? { ...gradOptions, shapes } : gradOptions);
  const added = graph.nodes.slice(before);
  const foreign = added.find((n) => n.domain !== '');
  if (foreign) {
    throw new Error(
      `checkGradients: gradient node "${foreign.name}" uses domain "${foreign.domain}"`,
    );
  }
  for (const w of wrt) {
    const t = inputs[w] as TensorData;
    b.output(grads.get(w) as string, t.dtype, [...t.dims]);
  }
  const session = await createSession(graph);
  const result = await session.run(
    inputs,
    wrt.map((w) => grads.get(w) as string),
  );
  await session.release();

  const analytic: Record<string, TensorData> = {};
  const numeric: Record<string, Float64Array> = {};
  let maxAbsError = 0;
  let maxRelError = 0;
  const failures: string[] = [];
  for (const w of wrt) {
    const t = inputs[w] as TensorData;
    const g = result[grads.get(w) as string] as TensorData;
    analytic[w] = g;
    if (g.dims.join(',') !== t.dims.join(',')) {
      throw new Error(
        `checkGradients: gradient of "${w}" has dims [${g.dims}], input has [${t.dims}]`,
      );
    }
    const data = t.data as Float32Array | Float64Array;
    const fd = new Float64Array(data.length);
    for (let k = 0; k < data.length; k++) {
      const plus = data.slice();
      const minus = data.slice();
      plus[k] = (data[k] as number) + eps;
      minus[k] = (data[k] as number) - eps;
      const lp = await forward.run({ ...inputs, [w]: { ...t, data: plus } }, [loss]);
      const lm = await forward.run({ ...inputs, [w]: { ...t, data: minus } }, [loss]);
      // Divide by the step actually stored (float32 rounds x ± eps).
      const step = (plus[k] as number) - (minus[k] as number);
      fd[k] = (Number(lp[loss]?.data[0]) - Number(lm[loss]?.data[0])) / step;
      const a = Number(g.data[k]);
      const abs = Math.abs(a - (fd[k] as number));
      const rel = abs / Math.max(Math.abs(fd[k] as number), 1e-12);
      if (!(abs <= atol + rtol * Math.abs(fd[k] as number))) {
        failures.push(
          `d/d${w}${multiIndex(k, t.dims)}: analytic ${a}, finite difference ${fd[k]} (abs err ${abs.toExponential(3)}, rel err ${rel.toExponential(3)})`,
        );
      }
      if (!(abs <= maxAbsError)) maxAbsError = abs; // NaN propagates into the result
      if (Math.abs(fd[k] as number) > atol && !(rel <= maxRelError)) maxRelError = rel;
    }
    numeric[w] = fd;
  }
  await forward.release();
  if (failures.length > 0) {
    throw new Error(
      `gradient check failed for ${failures.length} element(s) (atol ${atol}, rtol ${rtol}, eps ${eps}; max abs err ${maxAbsError.toExponential(3)}, max rel err ${maxRelError.toExponential(3)}):\n  ${failures.slice(0, 8).join('\n  ')}`,
    );
  }
  return { analytic, numeric, maxAbsError, maxRelError, graph, gradientNodes: added.length };
}
