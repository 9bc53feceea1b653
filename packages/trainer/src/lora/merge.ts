// mergeLora: folds trained adapters into the base weights (W' = W + scale·(B·A), in W's layout)
// and removes the adapter nodes, giving a plain graph for export.
import { TrainerError } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { cloneGraph, DROPOUT_SEED_INPUT } from '../step/graph-utils.js';
import type { LoraModel, LoraModule } from './apply.js';

export interface MergeLoraOptions {
  /**
   * Current parameter values (e.g. `step.getParameters()`): adapters and modulesToSave
   * parameters, overriding the graph's initializers. @default the graph's initializers
   */
  parameters?: ReadonlyMap<string, TensorData> | Readonly<Record<string, TensorData>>;
}

export interface MergedLora {
  /** The base graph with merged weights and no adapter nodes. */
  graph: Graph;
  /** The merged base weights and the trained modulesToSave parameters, by name. */
  weights: Map<string, TensorData>;
}

function lookup(
  model: LoraModel,
  values: MergeLoraOptions['parameters'],
  name: string,
): TensorData {
  const given =
    values === undefined
      ? undefined
      : values instanceof Map
        ? values.get(name)
        : (values as Record<string, TensorData>)[name];
  const t = given ?? model.graph.initializers.get(name);
  if (t === undefined) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `mergeLora needs "${name}", which is neither in \`parameters\` nor an initializer; was the base weight quantized? merge before quantizeFrozenWeights`,
    );
  }
  return t;
}

function checkDims(name: string, t: TensorData, dims: number[]): void {
  if (t.dims.join(',') !== dims.join(',')) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `mergeLora: "${name}" is [${t.dims.join(', ')}], expected [${dims.join(', ')}] ([r, in] for lora_A, [out, r] for lora_B); pass the values trained for this LoRA model`,
    );
  }
}

/** W + scale·(B·A) for 'linear' ([out, in]) or its transpose for 'conv1d' ([in, out]), in float64. */
function mergedWeight(m: LoraModule, w: TensorData, a: TensorData, bMat: TensorData): TensorData {
  const r = a.dims[0] as number;
  const out = new Float64Array(w.data.length);
  for (let o = 0; o < m.out; o++) {
    for (let i = 0; i < m.in; i++) {
      let acc = 0;
      for (let k = 0; k < r; k++) {
        acc += (bMat.data[o * r + k] as number) * (a.data[k * m.in + i] as number);
      }
      const idx = m.layout === 'linear' ? o * m.in + i : i * m.out + o;
      out[idx] = (w.data[idx] as number) + m.scale * acc;
    }
  }
  return tensor(w.dtype, [...w.dims], out);
}

/**
 * Merges the adapters of `model` into its base weights: returns the original graph structure
 * (adapter nodes, adapter initializers and an added `dropout_seed` input removed) with
 * W' = W + scale·(B·A) and the trained modulesToSave values, so exportInferenceModel and
 * model.safetensors see a plain model. The sum is formed in float64 and rounded once.
 */
export function mergeLora(model: LoraModel, options: MergeLoraOptions = {}): MergedLora {
  const { parameters } = options;
  const graph = cloneGraph(model.graph);
  const weights = new Map<string, TensorData>();
  const dropped = new Set(model.modules.flatMap((m) => m.nodes));
  for (const m of model.modules) {
    const w = lookup(model, undefined, m.weight);
    const a = lookup(model, parameters, m.loraA);
    const bMat = lookup(model, parameters, m.loraB);
    const r = model.options.r;
    checkDims(m.loraA, a, [r, m.in]);
    checkDims(m.loraB, bMat, [m.out, r]);
    const merged = mergedWeight(m, w, a, bMat);
    graph.initializers.set(m.weight, merged);
    weights.set(m.weight, merged);
    graph.initializers.delete(m.loraA);
    graph.initializers.delete(m.loraB);
    const node = graph.nodes.find((n) => n.name === m.node);
    if (node === undefined) {
      throw new TrainerError(
        'INVALID_GRAPH',
        `mergeLora: the adapted node "${m.node}" is missing from the LoRA graph; merge the LoraModel applyLora returned, not an edited copy of its graph`,
      );
    }
    node.outputs = node.outputs.map((o) => (o === m.baseOutput ? m.output : o));
    graph.valueInfo.delete(m.baseOutput);
  }
  graph.nodes = graph.nodes.filter((n) => !dropped.has(n.name));
  for (const name of model.trainable) {
    if (model.adapterParams.includes(name)) continue;
    const t = lookup(model, parameters, name);
    graph.initializers.set(name, t);
    weights.set(name, t);
  }
  if (model.addedDropoutSeed)
    graph.inputs = graph.inputs.filter((v) => v.name !== DROPOUT_SEED_INPUT);
  return { graph, weights };
}
