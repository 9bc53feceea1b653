// applyLora: adds PEFT-style low-rank adapters (lora_A, lora_B) next to the frozen weights of
// matching Gemm/MatMul nodes, as a graph transform; the training step then trains only adapters.
import { createRng } from '@ft/data';
import { TrainerError } from '../errors.js';
import { createGraphBuilder, numericAttr } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, Node } from '../ir/types.js';
import { salt32, statelessDropout } from '../models/dropout.js';
import { checkPositiveInt, checkProbability, type ModelGraph } from '../models/utils.js';
import { inferShapes, topologicalOrder } from '../shape/infer.js';
import { cloneGraph, DROPOUT_SEED_INPUT } from '../step/graph-utils.js';

/** Module patterns: PEFT-style names (exact module or `.`-suffix match) or a RegExp. */
export type ModulePattern = readonly string[] | RegExp;

export interface LoraOptions {
  /** Rank of the update A·B. */
  r: number;
  /** Scaling numerator: the update is multiplied by alpha/r (alpha/√r with rsLora). @default r */
  alpha?: number;
  /** Dropout on the adapter's input (PEFT's lora_dropout); needs a training graph. @default 0 */
  dropout?: number;
  /** rsLoRA scaling alpha/√r instead of alpha/r. @default false */
  rsLora?: boolean;
  /**
   * Which weights get adapters. A string list matches a module (the weight's name without
   * `.weight`) equal to an entry or ending in `.<entry>`, like PEFT (`['query', 'value']`); a
   * RegExp is tested against the module name (`/query|value/`).
   */
  targetModules: ModulePattern;
  /**
   * Extra parameters trained in full (PEFT's modules_to_save, e.g. `['classifier']`): an
   * initializer whose module (name without its last segment) matches, as for targetModules.
   * @default none
   */
  modulesToSave?: ModulePattern;
  /** Seed of lora_A's Kaiming-uniform initialisation (createRng). @default 0 */
  seed?: number;
  /**
   * Build the training variant: with `dropout > 0` the adapter input is dropped with a stateless
   * mask driven by the `dropout_seed` input (added if the graph lacks it). Apply LoRA to the eval
   * graph with `training: false` and the same seed to get the same adapters without dropout.
   * @default true
   */
  training?: boolean;
}

/** One adapted weight. */
export interface LoraModule {
  /** Module name, e.g. `bert.encoder.layer.0.attention.self.query`. */
  module: string;
  /** The frozen base weight initializer (`<module>.weight`). */
  weight: string;
  /** `<module>.lora_A.weight`, stored [r, in] as PEFT stores it. */
  loraA: string;
  /** `<module>.lora_B.weight`, stored [out, r] as PEFT stores it. */
  loraB: string;
  /** How the base weight is stored: 'linear' = [out, in] (Gemm transB=1), 'conv1d' = [in, out]. */
  layout: 'linear' | 'conv1d';
  /** Input features of the layer (lora_A's columns). */
  in: number;
  /** Output features of the layer (lora_B's rows). */
  out: number;
  /** alpha/r, or alpha/√r with rsLoRA. */
  scale: number;
  /** The adapted Gemm/MatMul node. */
  node: string;
  /** The value the adapted node now writes: the base layer's output before the update. */
  baseOutput: string;
  /** The node's original output name, now written by the Add of base output and update. */
  output: string;
  /** Names of the nodes applyLora added for this module. */
  nodes: string[];
}

/** Options after defaults, as written to adapter_config.json. */
export interface ResolvedLoraOptions {
  r: number;
  alpha: number;
  dropout: number;
  rsLora: boolean;
  targetModules: ModulePattern;
  modulesToSave: ModulePattern | undefined;
  seed: number;
}

/** A graph with adapters, and the parameter split for createTrainingStep. */
export interface LoraModel {
  graph: Graph;
  modules: LoraModule[];
  /** lora_A and lora_B initializer names. */
  adapterParams: string[];
  /** Adapter parameters plus modulesToSave parameters: pass as the step's `params`. */
  trainable: string[];
  /** Every other float initializer (base weights): pass as `frozen` or leave out. */
  frozen: string[];
  options: ResolvedLoraOptions;
  /** Whether applyLora declared the `dropout_seed` input (merge removes it again). */
  addedDropoutSeed: boolean;
}

/** The suffixes adapters are keyed on: PEFT's `<module>.lora_A.weight` and `<module>.lora_B.weight`. */
export const LORA_A_SUFFIX = '.lora_A.weight';
export const LORA_B_SUFFIX = '.lora_B.weight';

/** PEFT's rule for list entries: the module itself or a `.`-separated suffix of it. */
export function matchesModule(pattern: ModulePattern, module: string): boolean {
  if (pattern instanceof RegExp) {
    pattern.lastIndex = 0;
    return pattern.test(module);
  }
  return pattern.some((entry) => module === entry || module.endsWith(`.${entry}`));
}

function checkOptions(options: LoraOptions): ResolvedLoraOptions {
  const { r, dropout = 0, rsLora = false, seed = 0, targetModules, modulesToSave } = options;
  const alpha = options.alpha ?? r;
  checkPositiveInt('LoRA r', r);
  if (!(Number.isFinite(alpha) && alpha > 0)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `LoRA alpha must be a positive number, got ${alpha}`,
    );
  }
  checkProbability('LoRA dropout', dropout);
  if (!(targetModules instanceof RegExp) && !Array.isArray(targetModules)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'LoRA targetModules must be a list of module names or a RegExp',
    );
  }
  if (Array.isArray(targetModules) && targetModules.length === 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      'LoRA targetModules is empty: name at least one module (e.g. ["query", "value"])',
    );
  }
  return { r, alpha, dropout, rsLora, targetModules, modulesToSave, seed };
}

/** The module a parameter belongs to: its name without the last segment (`classifier.weight` → `classifier`). */
export function moduleOf(parameter: string): string {
  const dot = parameter.lastIndexOf('.');
  return dot < 0 ? parameter : parameter.slice(0, dot);
}

/** The adaptable consumers of float 2-D initializers named `*.weight`. */
function candidates(graph: Graph): Array<{ node: Node; weight: string }> {
  const out: Array<{ node: Node; weight: string }> = [];
  for (const node of graph.nodes) {
    if ((node.opType !== 'Gemm' && node.opType !== 'MatMul') || node.domain !== '') continue;
    const w = node.inputs[1];
    if (!w?.endsWith('.weight')) continue;
    const t = graph.initializers.get(w);
    if (t?.dims.length !== 2 || (t.dtype !== 'float32' && t.dtype !== 'float64')) continue;
    out.push({ node, weight: w });
  }
  return out;
}

/**
 * Adds LoRA adapters to a copy of `model`: for every Gemm/MatMul whose weight `<module>.weight`
 * matches `targetModules`, output += dropout(x)·Aᵀ·Bᵀ·scale with A `<module>.lora_A.weight`
 * [r, in] (Kaiming-uniform, bound 1/√in, as PEFT's `kaiming_uniform_(a=√5)`) and B
 * `<module>.lora_B.weight` [out, r] (zeros), so the adapted model starts equal to the base.
 * A and B are kept in PEFT's storage layout in the graph too (Gemm transB=1), so adapter files
 * need no transposes. Base weights stay initializers; `trainable` lists what the step should train.
 */
export function applyLora(
  model: ModelGraph | Pick<ModelGraph, 'graph'> | Graph,
  options: LoraOptions,
): LoraModel {
  const resolved = checkOptions(options);
  const { r, alpha, dropout, rsLora, targetModules, modulesToSave, seed } = resolved;
  const training = options.training ?? true;
  const source = 'graph' in model ? model.graph : model;
  const graph = cloneGraph(source);
  const shapes = inferShapes(graph, { store: false });
  const b = createGraphBuilder({ graph });
  const rng = createRng(seed);
  const scale = rsLora ? alpha / Math.sqrt(r) : alpha / r;
  const modules: LoraModule[] = [];
  let addedDropoutSeed = false;
  let seedInput: string | undefined = graph.inputs.find((v) => v.name === DROPOUT_SEED_INPUT)?.name;

  const users = new Map<string, string[]>();
  for (const n of graph.nodes) {
    for (const i of n.inputs) if (i) users.set(i, [...(users.get(i) ?? []), n.name]);
  }
  for (const { node, weight } of candidates(graph)) {
    const module = moduleOf(weight);
    if (!matchesModule(targetModules, module)) continue;
    const other = (users.get(weight) ?? []).find((u) => u !== node.name);
    if (other !== undefined) {
      // A shared weight (GPT-2's tied wte feeds the embedding Gather and the LM head) would be
      // adapted in one use only, and merging would change the others.
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `cannot add a LoRA adapter to "${weight}": node "${other}" also reads it, and merging would change that use too; leave "${module}" out of targetModules`,
        { node: node.name, op: node.opType },
      );
    }
    if (graph.initializers.has(`${module}${LORA_A_SUFFIX}`)) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `"${module}" already has a LoRA adapter (${module}${LORA_A_SUFFIX}); merge it first (mergeLora) or apply LoRA to the base model`,
      );
    }
    const w = graph.initializers.get(weight);
    const x = node.inputs[0];
    const y = node.outputs[0];
    if (!w || !x || !y) continue;
    let layout: 'linear' | 'conv1d';
    if (node.opType === 'Gemm') {
      if (numericAttr(node, 'transA', 0) !== 0 || numericAttr(node, 'alpha', 1) !== 1) {
        throw new TrainerError(
          'INVALID_GRAPH',
          `cannot add a LoRA adapter to "${weight}": its Gemm uses transA or alpha ≠ 1; only y = x·W(ᵀ) + c is supported`,
          { node: node.name, op: 'Gemm' },
        );
      }
      layout = numericAttr(node, 'transB', 0) !== 0 ? 'linear' : 'conv1d';
    } else {
      layout = 'conv1d';
    }
    const [d0, d1] = w.dims as [number, number];
    const inSize = layout === 'linear' ? d1 : d0;
    const outSize = layout === 'linear' ? d0 : d1;
    const dtype = w.dtype as 'float32' | 'float64';
    const bound = 1 / Math.sqrt(inSize);
    const aValues = Array.from({ length: r * inSize }, () => (2 * rng.next() - 1) * bound);
    const loraA = b.initializer(`${module}${LORA_A_SUFFIX}`, tensor(dtype, [r, inSize], aValues));
    const loraB = b.initializer(
      `${module}${LORA_B_SUFFIX}`,
      tensor(dtype, [outSize, r], new Float64Array(outSize * r)),
    );

    const first = graph.nodes.length;
    let xin = x;
    if (dropout > 0 && training) {
      if (seedInput === undefined) {
        seedInput = b.input(DROPOUT_SEED_INPUT, 'int64', []);
        addedDropoutSeed = true;
      }
      // A salt per module: query, key and value read the same x but PEFT drops them independently.
      xin = statelessDropout(b, x, dropout, seedInput, { dtype, salt: salt32(module) });
    }
    let delta: string;
    if (node.opType === 'Gemm') {
      delta = b.op('Gemm', [b.op('Gemm', [xin, loraA], { transB: 1 }), loraB], { transB: 1 });
    } else {
      // MatMul takes N-D x: contract with Aᵀ and Bᵀ (transposes of the small adapter matrices).
      const h = b.op('MatMul', [xin, b.op('Transpose', [loraA], { perm: [1, 0] })]);
      delta = b.op('MatMul', [h, b.op('Transpose', [loraB], { perm: [1, 0] })]);
    }
    const scaled = b.op('Mul', [delta, b.scalar(dtype, scale)]);
    // The adapted node now writes a fresh value and the sum takes over its output name, so every
    // consumer (and a graph output of that name) sees base + update without being rewired.
    const baseOutput = b.uniqueName(`${y}.base`);
    node.outputs = node.outputs.map((o, i) => (i === 0 ? baseOutput : o));
    b.op('Add', [baseOutput, scaled]);
    const sumNode = graph.nodes[graph.nodes.length - 1] as Node;
    sumNode.outputs = [y];
    const info = shapes.get(y);
    if (info) graph.valueInfo.set(baseOutput, { ...info, name: baseOutput });
    modules.push({
      module,
      weight,
      loraA,
      loraB,
      layout,
      in: inSize,
      out: outSize,
      scale,
      node: node.name,
      baseOutput,
      output: y,
      nodes: graph.nodes.slice(first).map((n) => n.name),
    });
  }
  if (modules.length === 0) {
    const names = candidates(graph).map((c) => moduleOf(c.weight));
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `LoRA targetModules ${describePattern(targetModules)} matched no Gemm/MatMul weight of graph "${graph.name}"; modules that can be adapted: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''}`,
    );
  }
  graph.nodes = topologicalOrder(graph);

  const adapterParams = modules.flatMap((m) => [m.loraA, m.loraB]);
  const adapted = new Set(adapterParams);
  const saved: string[] = [];
  const frozen: string[] = [];
  for (const [name, t] of graph.initializers) {
    if (adapted.has(name) || (t.dtype !== 'float32' && t.dtype !== 'float64')) continue;
    if (modulesToSave !== undefined && matchesModule(modulesToSave, moduleOf(name)))
      saved.push(name);
    else frozen.push(name);
  }
  if (modulesToSave !== undefined && saved.length === 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `LoRA modulesToSave ${describePattern(modulesToSave)} matched no parameter of graph "${graph.name}"`,
    );
  }
  return {
    graph,
    modules,
    adapterParams,
    trainable: [...adapterParams, ...saved],
    frozen,
    options: resolved,
    addedDropoutSeed,
  };
}

/** A pattern as error messages show it: `/query|value/` or `["query","value"]`. */
export function describePattern(pattern: ModulePattern): string {
  return pattern instanceof RegExp ? String(pattern) : JSON.stringify(pattern);
}
