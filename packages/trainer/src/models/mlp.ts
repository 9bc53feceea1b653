// A multilayer perceptron over feature vectors: Linear → activation → dropout per hidden layer,
// then a Linear to `logits`; parameters named like a PyTorch module list (`layers.{i}.weight`).
import { createGraphBuilder } from '../ir/builder.js';
import {
  activation as applyActivation,
  checkPositiveInt,
  checkProbability,
  createDropoutSwitch,
  createParameterStore,
  linear,
  MODEL_OPSET,
  type ModelBuildOptions,
  type ModelGraph,
} from './utils.js';

export interface MlpOptions extends ModelBuildOptions {
  /** Features per example (input `input` is [batch, inputSize]). */
  inputSize: number;
  /** Width of each hidden layer, in order. @default [] (a linear model) */
  hiddenSizes?: readonly number[];
  /** Outputs per example (`logits` is [batch, outputSize]). */
  outputSize: number;
  /** Activation after each hidden layer. @default 'relu' */
  activation?: 'relu' | 'gelu' | 'tanh';
  /** Dropout probability after each hidden activation (training graphs only). @default 0 */
  dropout?: number;
  /**
   * Standard deviation of a normal(0, σ) weight init with zero biases (Hugging Face style).
   * When omitted, PyTorch's nn.Linear default is used: weights and biases uniform in
   * ±1/√fan_in, which trains a from-scratch MLP far better than σ = 0.02.
   */
  initializerRange?: number;
}

/**
 * Builds an MLP: input `input` [batch, inputSize] → output `logits` [batch, outputSize].
 * Layer i has `layers.{i}.weight` [out, in] (PyTorch nn.Linear layout, applied with Gemm transB)
 * and `layers.{i}.bias` [out].
 */
export function buildMlp(options: MlpOptions): ModelGraph {
  const {
    inputSize,
    hiddenSizes = [],
    outputSize,
    activation = 'relu',
    dropout = 0,
    training = false,
    dtype = 'float32',
    seed = 0,
    initializerRange,
  } = options;
  checkPositiveInt('inputSize', inputSize);
  checkPositiveInt('outputSize', outputSize);
  for (const [i, h] of hiddenSizes.entries()) checkPositiveInt(`hiddenSizes[${i}]`, h);
  checkProbability('dropout', dropout);

  const b = createGraphBuilder({ name: 'mlp', opset: MODEL_OPSET });
  const params = createParameterStore(b, dtype, seed);
  const drop = createDropoutSwitch(b, training, dtype);
  let x = b.input('input', dtype, ['batch', inputSize]);
  const sizes = [inputSize, ...hiddenSizes, outputSize];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i] as number;
    const fanOut = sizes[i + 1] as number;
    const bound = 1 / Math.sqrt(fanIn);
    const w = params.add(
      `layers.${i}.weight`,
      [fanOut, fanIn],
      initializerRange === undefined ? { uniform: bound } : { normal: initializerRange },
    );
    const bias = params.add(
      `layers.${i}.bias`,
      [fanOut],
      initializerRange === undefined ? { uniform: bound } : 'zeros',
    );
    const last = i + 2 === sizes.length;
    if (last) {
      x = b.op('Gemm', [x, w, bias], { transB: 1 }, { outputs: ['logits'] });
    } else {
      x = drop.apply(applyActivation(b, linear(b, x, w, bias), activation, dtype), dropout);
    }
  }
  b.output(x, dtype, ['batch', outputSize]);
  const result: ModelGraph = {
    graph: b.graph,
    parameters: params.names,
    inputs: b.graph.inputs.map((v) => v.name),
    outputs: ['logits'],
  };
  if (drop.seed !== undefined) result.dropoutSeed = drop.seed;
  return result;
}
