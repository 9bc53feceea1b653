// Exports a trained model for inference: a forward-only `model.onnx` (dropout removed, trained
// weights as initializers, only the requested outputs) and the weights as `model.safetensors`.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TrainerError } from '../errors.js';
import { saveOnnxFile } from '../ir/external-data.js';
import type { Graph, TensorData } from '../ir/types.js';
import { createEvalGraph } from '../step/graph-utils.js';
import { writeSafetensors } from '../weights/safetensors.js';

export interface ExportInferenceModelOptions {
  /** The forward graph (as given to createTrainingStep). */
  graph: Graph;
  /** Trained values by initializer name (e.g. `TrainingStep.getParameters()`); others keep the graph's. */
  parameters: Map<string, TensorData>;
  /** Folder to write into (created when missing). */
  outputDir: string;
  /** Graph outputs to keep, e.g. `['logits']`. @default the graph's outputs */
  outputs?: readonly string[];
  /** Initializers of at least this many bytes go to `model.onnx.data`. @default 1048576 */
  externalDataThreshold?: number;
  /** Name of that external data file. @default 'model.onnx.data' */
  externalDataFile?: string;
  /** String metadata stored in `model.safetensors`. @default { format: 'pt' } (what transformers expects) */
  metadata?: Record<string, string>;
}

export interface ExportedInferenceModel {
  /** The ONNX model. */
  modelPath: string;
  /** Its external data file, when some weights were large enough to go there. */
  externalDataPath: string | undefined;
  /** Every weight of the model (trained and frozen), by parameter name. */
  weightsPath: string;
  /** The exported graph's input names. */
  inputs: string[];
  /** The exported graph's output names. */
  outputs: string[];
}

/**
 * Writes `<outputDir>/model.onnx` (+ `model.onnx.data` for large weights) and
 * `<outputDir>/model.safetensors`. The ONNX graph is the eval graph of `graph` — Dropout nodes
 * made identities, pruned to `outputs`, so inputs only the loss needed (labels) disappear —
 * with `parameters` written as its initializers. Throws TrainerError CHECKPOINT when a parameter
 * is unknown or its dtype/shape does not match the graph's initializer.
 */
export async function exportInferenceModel(
  options: ExportInferenceModelOptions,
): Promise<ExportedInferenceModel> {
  const {
    graph,
    parameters,
    outputDir,
    externalDataThreshold,
    externalDataFile,
    metadata = { format: 'pt' },
  } = options;
  const outputs = options.outputs ?? graph.outputs.map((o) => o.name);
  const weights = new Map(graph.initializers);
  for (const [name, value] of parameters) {
    const original = graph.initializers.get(name);
    if (original === undefined) {
      throw new TrainerError(
        'CHECKPOINT',
        `parameter "${name}" is not an initializer of graph "${graph.name}"`,
      );
    }
    if (
      original.dtype !== value.dtype ||
      original.dims.join(',') !== value.dims.join(',') ||
      original.data.length !== value.data.length
    ) {
      throw new TrainerError(
        'CHECKPOINT',
        `parameter "${name}" is ${value.dtype} [${value.dims.join(', ')}] but graph "${graph.name}" has ${original.dtype} [${original.dims.join(', ')}]`,
      );
    }
    weights.set(name, value);
  }
  const inference = createEvalGraph({ ...graph, initializers: weights }, outputs);
  await mkdir(outputDir, { recursive: true });
  const modelPath = join(outputDir, 'model.onnx');
  const saved = await saveOnnxFile(inference, modelPath, {
    ...(externalDataThreshold === undefined ? {} : { externalDataThreshold }),
    ...(externalDataFile === undefined ? {} : { externalDataFile }),
  });
  const weightsPath = join(outputDir, 'model.safetensors');
  await writeSafetensors(weightsPath, weights, metadata);
  return {
    modelPath,
    externalDataPath: saved.externalDataPath,
    weightsPath,
    inputs: inference.inputs.map((v) => v.name),
    outputs: inference.outputs.map((v) => v.name),
  };
}
