// prepareForeignModel: an ONNX forward graph exported elsewhere (Hugging Face Optimum, torch.onnx)
// made trainable: trainable initializers picked by pattern, a loss attached to a named output.
import { buildGradients } from '../autodiff/engine.js';
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { fromOnnxBytes, loadOnnxFile } from '../ir/onnx-import.js';
import type { DType, Graph, Shape } from '../ir/types.js';
import { buildLoss, isLossName, type LossName, losses } from '../losses/registry.js';
import type { ModelGraph } from '../models/utils.js';
import { inferShapes } from '../shape/infer.js';
import { cloneGraph } from '../step/graph-utils.js';

/** The loss attached to one output of the foreign graph. */
export interface ForeignLossOptions {
  /** The graph output (or any value) the loss reads, e.g. `'logits'`. */
  output: string;
  /** A registered loss; `-` and `_` are interchangeable (`'cross-entropy'` = `'cross_entropy'`). */
  type: LossName | 'cross-entropy' | 'bce-with-logits';
  /**
   * Name of the labels input added to the graph: int64 `output`'s shape minus its last axis for
   * cross_entropy/focal, else float like `output`. @default 'labels'
   */
  labelsInput?: string;
  /** Options of that loss (reduction, ignoreIndex, labelSmoothing, …). @default {} */
  options?: Record<string, unknown>;
  /** Name of the loss value (a new graph output). @default 'loss' */
  name?: string;
}

export interface PrepareForeignModelOptions {
  /**
   * Initializers to train: a RegExp tested on each name, or a list of names and globs (`*` matches
   * any characters, dots included: `'classifier.*'`, `'*.LayerNorm.*'`). Every list entry must
   * match at least one initializer. Non-float initializers (shape constants) are never trained.
   * All other float initializers stay frozen (initializers ONNX Runtime can fold).
   */
  trainable: RegExp | readonly string[];
  /** The loss to attach: its type, the output it reads and the labels input it adds. */
  loss: ForeignLossOptions;
  /** Folder that external data of `bytes` is relative to. @default the file's folder for a path */
  baseDir?: string;
  /**
   * Raise a graph declared at opset 13–16 to 17 (the declared version only). Optimum exports
   * BERT at 14, where the Gather gradient (ScatterND with reduction 'add', opset 16) cannot be
   * expressed; from 13 to 17 no standard op changes meaning for a graph valid at 13 (later
   * versions add types, optional attributes with the old behaviour as default, or new ops), while
   * 18 moves Reduce* axes to inputs, so 17 is the safe target. @default true
   */
  upgradeOpset?: boolean;
}

/** A foreign graph ready for createTrainingStep({ graph, loss, params: parameters }). */
export interface ForeignModel extends ModelGraph {
  /** The loss value (a graph output). */
  loss: string;
  /** The labels input the loss reads. */
  labels: string;
  /** Float initializers left frozen. */
  frozen: string[];
  /** The declared opset before and after `upgradeOpset` (equal when unchanged). */
  opset: { from: number; to: number };
}

/** The opset imported graphs at 13–16 are raised to (see `upgradeOpset`). */
export const FOREIGN_MIN_OPSET = 17;

/** `*` matches any characters (dots included); everything else is literal. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

const isFloat = (dtype: DType) => dtype === 'float32' || dtype === 'float64';

/** The float initializers `trainable` selects; errors name a pattern that selects nothing. */
function selectParameters(graph: Graph, trainable: RegExp | readonly string[]): string[] {
  const names = [...graph.initializers.keys()];
  const floatNames = [...graph.initializers].filter(([, t]) => isFloat(t.dtype)).map(([n]) => n);
  if (trainable instanceof RegExp) {
    const chosen = floatNames.filter((n) => {
      trainable.lastIndex = 0; // a /g or /y pattern keeps state between test() calls
      return trainable.test(n);
    });
    if (chosen.length === 0) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `trainable ${trainable} matches no float initializer of graph "${graph.name}" (${floatNames.length} float initializers, e.g. ${floatNames
          .slice(0, 5)
          .map((n) => `"${n}"`)
          .join(', ')})`,
      );
    }
    return chosen;
  }
  const patterns = trainable.map((p) => [p, globToRegExp(p)] as const);
  for (const [pattern, re] of patterns) {
    const hits = names.filter((n) => re.test(n));
    if (hits.length === 0) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `trainable entry "${pattern}" matches no initializer of graph "${graph.name}" (initializers: ${names
          .slice(0, 8)
          .map((n) => `"${n}"`)
          .join(', ')}${names.length > 8 ? ', …' : ''})`,
      );
    }
    if (!pattern.includes('*')) {
      const dtype = graph.initializers.get(pattern)?.dtype as DType;
      if (!isFloat(dtype)) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `initializer "${pattern}" is ${dtype}; only float32/float64 initializers can be trained`,
        );
      }
    }
  }
  return floatNames.filter((n) => patterns.some(([, re]) => re.test(n)));
}

/**
 * Imports an ONNX forward graph (bytes, or a path whose external data sits beside it) and
 * prepares it for the training step: the loss of `loss.type` over `loss.output` and a new
 * `labels` input are added, trainable initializers are chosen by pattern, and the gradient graph
 * is built once on a copy, so an op without a gradient builder fails here with the autodiff's
 * UNSUPPORTED_OP error naming the op and the node. Frozen initializers stay initializers; train
 * with `createTrainingStep({ graph, loss, params: parameters })`.
 */
export async function prepareForeignModel(
  source: Uint8Array | string,
  options: PrepareForeignModelOptions,
): Promise<ForeignModel> {
  const { trainable, loss: lossOptions, upgradeOpset = true } = options;
  const graph =
    typeof source === 'string'
      ? await loadOnnxFile(source)
      : fromOnnxBytes(source, options.baseDir === undefined ? {} : { baseDir: options.baseDir });
  const from = graph.opset;
  if (upgradeOpset && from >= 13 && from < FOREIGN_MIN_OPSET) {
    graph.opset = FOREIGN_MIN_OPSET;
  }
  const type = lossOptions.type.replace(/-/g, '_');
  if (!isLossName(type)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `loss.type ${JSON.stringify(lossOptions.type)} is not a known loss (known: ${Object.keys(losses).join(', ')})`,
    );
  }
  const shapes = inferShapes(graph, { store: false });
  const out = shapes.get(lossOptions.output);
  if (out === undefined) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `loss.output "${lossOptions.output}" is not a value of graph "${graph.name}" (outputs: ${graph.outputs.map((o) => `"${o.name}"`).join(', ')})`,
    );
  }
  if (!isFloat(out.dtype)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `loss.output "${lossOptions.output}" is ${out.dtype}; a loss needs float32 or float64 predictions`,
    );
  }
  const parameters = selectParameters(graph, trainable);
  const parameterSet = new Set(parameters);

  const b = createGraphBuilder({ graph });
  const classIds = type === 'cross_entropy' || type === 'focal';
  const labelShape: Shape | undefined =
    out.shape === undefined ? undefined : classIds ? out.shape.slice(0, -1) : [...out.shape];
  const labels = b.input(
    lossOptions.labelsInput ?? 'labels',
    classIds ? 'int64' : out.dtype,
    labelShape,
  );
  const lossName = lossOptions.name ?? 'loss';
  const loss = buildLoss(b, type, { input: lossOptions.output, target: labels }, {
    dtype: out.dtype,
    ...lossOptions.options,
    name: lossName,
  } as never);
  b.output(loss, out.dtype, []);

  // Differentiate a copy now: unsupported ops fail here, not at the first training step.
  const check = cloneGraph(graph);
  for (const name of parameters) {
    const t = check.initializers.get(name);
    if (t === undefined) continue;
    check.initializers.delete(name);
    check.inputs.push({ name, dtype: t.dtype, shape: [...t.dims] });
  }
  buildGradients(check, { loss, wrt: parameters });

  return {
    graph,
    parameters,
    inputs: graph.inputs.map((v) => v.name),
    outputs: graph.outputs.map((v) => v.name),
    loss,
    labels,
    opset: { from, to: graph.opset },
    frozen: [...graph.initializers.entries()]
      .filter(([n, t]) => isFloat(t.dtype) && !parameterSet.has(n))
      .map(([n]) => n),
  };
}
