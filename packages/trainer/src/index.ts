// Public API of @ft/trainer.

export type { BuildGradientsOptions, GradientResult } from './autodiff/engine.js';
// Autodiff
export { buildGradients, NON_DIFFERENTIABLE_INPUTS } from './autodiff/engine.js';
export { gradientBuilders, gradientKey, registerGradients } from './autodiff/registry.js';
export type { GradientBuilder, GradientContext } from './autodiff/types.js';
export { constantScalar, onesLike, reduceGradToInput, zerosLike } from './autodiff/utils.js';
export type { TrainerErrorCode, TrainerErrorDetails } from './errors.js';
// Errors
export { TrainerError } from './errors.js';
export type {
  ExportedInferenceModel,
  ExportInferenceModelOptions,
} from './export/inference-model.js';
export { exportInferenceModel } from './export/inference-model.js';
export type {
  AttrValue,
  FloatAttr,
  GraphBuilder,
  GraphBuilderOptions,
  OpOptions,
} from './ir/builder.js';
export { createGraphBuilder, float, toAttribute } from './ir/builder.js';
export type { SaveOnnxFileOptions, SaveOnnxFileResult } from './ir/external-data.js';
export { EXTERNAL_DATA_ALIGNMENT, saveOnnxFile } from './ir/external-data.js';
export type { ToModelProtoOptions } from './ir/onnx-export.js';
export { irVersionForOpset, toModelProto, toOnnxBytes } from './ir/onnx-export.js';
export type { FromOnnxBytesOptions } from './ir/onnx-import.js';
// ONNX files
export { fromOnnxBytes, loadOnnxFile } from './ir/onnx-import.js';
export {
  allocate,
  dtypeFromOnnxCode,
  dtypeSize,
  isFloatDType,
  ONNX_DTYPE_CODE,
  scalar,
  sizeOf,
  tensor,
  tensorBytes,
  tensorFromBytes,
} from './ir/tensor.js';
// Graph IR
export type {
  Attribute,
  Dim,
  DType,
  Graph,
  Node,
  Shape,
  TensorArray,
  TensorData,
  ValueInfo,
} from './ir/types.js';
// Training loop
export { meanMetrics } from './loop/metrics.js';
export { train } from './loop/train.js';
export type {
  Batch,
  BatchSource,
  EarlyStoppingOptions,
  EvalLogEntry,
  HistoryEntry,
  LrOption,
  Metric,
  MetricFactory,
  ProgressStream,
  TrainEvent,
  TrainLogEntry,
  TrainOptions,
  TrainResult,
} from './loop/types.js';
export type { BceWithLogitsOptions } from './losses/bce-with-logits.js';
// Losses
export { bceWithLogitsLoss } from './losses/bce-with-logits.js';
export type { CrossEntropyOptions } from './losses/cross-entropy.js';
export { crossEntropyLoss } from './losses/cross-entropy.js';
export type { FocalOptions } from './losses/focal.js';
export { focalLoss } from './losses/focal.js';
export type { HuberOptions } from './losses/huber.js';
export { huberLoss } from './losses/huber.js';
export type { MseOptions } from './losses/mse.js';
export { mseLoss } from './losses/mse.js';
export type { InferLossOptions, LossName, WeightedLoss } from './losses/registry.js';
export { buildLoss, isLossName, losses, weightedLossSum } from './losses/registry.js';
export type { FloatDType, Loss, LossInputs, LossOptions, Reduction } from './losses/types.js';
export type { BertConfig, BertHead, BertOptions, BertTaskHead } from './models/bert.js';
// Model builders (Hugging Face parameter names)
export { buildBert } from './models/bert.js';
export type { StatelessDropoutOptions } from './models/dropout.js';
export { statelessDropout } from './models/dropout.js';
export type { Gpt2Config, Gpt2Options } from './models/gpt2.js';
export { buildGpt2 } from './models/gpt2.js';
export type { MlpOptions } from './models/mlp.js';
export { buildMlp } from './models/mlp.js';
export type { Activation, ModelBuildOptions, ModelDType, ModelGraph } from './models/utils.js';
export { setParameters as setModelParameters } from './models/utils.js';
export type { GradAccumulateOptions } from './optim/accumulate.js';
// Optimizers and clipping (update subgraphs)
export { buildGradAccumulate } from './optim/accumulate.js';
export type { AdamWParam, AdamWUpdated, AdamWUpdateOptions } from './optim/adamw.js';
export { buildAdamWUpdate } from './optim/adamw.js';
export type { GlobalNormClip, GlobalNormClipOptions } from './optim/clip.js';
export { buildGlobalNormClip } from './optim/clip.js';
export { defaultNoDecay } from './optim/no-decay.js';
export type { SgdParam, SgdUpdated, SgdUpdateOptions } from './optim/sgd.js';
export { buildSgdUpdate } from './optim/sgd.js';
export type { ExecutionProvider } from './runtime/providers.js';
// Runtime providers
export { CUDA_INSTALL_HINT } from './runtime/providers.js';
export type { RuntimeSession, SessionOptions } from './runtime/session.js';
// Runtime
export { createSession } from './runtime/session.js';
// Learning-rate schedules (host side)
export { scheduleLambdas } from './schedules/hf-lambdas.js';
export type {
  ReduceOnPlateau,
  ReduceOnPlateauOptions,
  ReduceOnPlateauState,
} from './schedules/reduce-on-plateau.js';
export { createReduceOnPlateau } from './schedules/reduce-on-plateau.js';
export type {
  Schedule,
  ScheduleName,
  ScheduleOptions,
  ScheduleState,
} from './schedules/schedule.js';
export { createSchedule } from './schedules/schedule.js';
export type { InferShapesOptions } from './shape/infer.js';
// Shape inference
export { inferShapes, topologicalOrder } from './shape/infer.js';
export type { BroadcastAxes } from './shape/utils.js';
export { broadcastAxes, broadcastShapes, formatShape, rankOf } from './shape/utils.js';
export type { CompiledStep, CompileOptions } from './step/compile.js';
// Training steps compiled to ONNX
export { compileTrainingStep } from './step/compile.js';
export { createEvalGraph, DROPOUT_SEED_INPUT } from './step/graph-utils.js';
export { createTrainingStep, dropoutSeedFor } from './step/training-step.js';
export type {
  AdamWOptimizerOptions,
  OptimizerOptions,
  ParamSelector,
  SgdOptimizerOptions,
  StepSessionOptions,
  TrainingStep,
  TrainingStepOptions,
  TrainingStepResult,
} from './step/types.js';
export type { SafetensorsContent } from './weights/safetensors.js';
// Weights and export
export { readSafetensors, SAFETENSORS_DTYPE, writeSafetensors } from './weights/safetensors.js';
