// Public API of @ft/trainer.

// Errors
export { TrainerError } from './errors.js';
export type { TrainerErrorCode, TrainerErrorDetails } from './errors.js';

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

// Graph IR: builder
export { createGraphBuilder, float, toAttribute } from './ir/builder.js';
export type {
  AttrValue,
  FloatAttr,
  GraphBuilder,
  GraphBuilderOptions,
  OpOptions,
} from './ir/builder.js';

// Graph IR: tensors
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

// ONNX files
export { irVersionForOpset, toModelProto, toOnnxBytes } from './ir/onnx-export.js';
export type { ToModelProtoOptions } from './ir/onnx-export.js';

// ONNX files (import)
export { fromOnnxBytes, loadOnnxFile } from './ir/onnx-import.js';
export type { FromOnnxBytesOptions } from './ir/onnx-import.js';

// ONNX files (external data)
export { EXTERNAL_DATA_ALIGNMENT, saveOnnxFile } from './ir/external-data.js';
export type { SaveOnnxFileOptions, SaveOnnxFileResult } from './ir/external-data.js';

// Shape inference
export { inferShapes, topologicalOrder } from './shape/infer.js';
export type { InferShapesOptions } from './shape/infer.js';
export { broadcastAxes, broadcastShapes, formatShape, rankOf } from './shape/utils.js';
export type { BroadcastAxes } from './shape/utils.js';

// Autodiff
export { buildGradients, NON_DIFFERENTIABLE_INPUTS } from './autodiff/engine.js';
export type { BuildGradientsOptions, GradientResult } from './autodiff/engine.js';
export { gradientBuilders, gradientKey, registerGradients } from './autodiff/registry.js';
export type { GradientBuilder, GradientContext } from './autodiff/types.js';
export { constantScalar, onesLike, reduceGradToInput, zerosLike } from './autodiff/utils.js';

// Losses
export { bceWithLogitsLoss } from './losses/bce-with-logits.js';
export type { BceWithLogitsOptions } from './losses/bce-with-logits.js';
export { crossEntropyLoss } from './losses/cross-entropy.js';
export type { CrossEntropyOptions } from './losses/cross-entropy.js';
export { focalLoss } from './losses/focal.js';
export type { FocalOptions } from './losses/focal.js';
export { huberLoss } from './losses/huber.js';
export type { HuberOptions } from './losses/huber.js';
export { mseLoss } from './losses/mse.js';
export type { MseOptions } from './losses/mse.js';
export { buildLoss, isLossName, losses, weightedLossSum } from './losses/registry.js';
export type { InferLossOptions, LossName, WeightedLoss } from './losses/registry.js';
export type { FloatDType, Loss, LossInputs, LossOptions, Reduction } from './losses/types.js';

// Optimizers, clipping and accumulation (update subgraphs)
export { buildGradAccumulate } from './optim/accumulate.js';
export type { GradAccumulateOptions } from './optim/accumulate.js';
export { buildAdamWUpdate } from './optim/adamw.js';
export type { AdamWParam, AdamWUpdated, AdamWUpdateOptions } from './optim/adamw.js';
export {
  buildGlobalNorm,
  buildGlobalNormClip,
  buildGlobalNormClipCoefficient,
} from './optim/clip.js';
export type { GlobalNormClip, GlobalNormClipOptions } from './optim/clip.js';
export { defaultNoDecay } from './optim/no-decay.js';
export { buildSgdUpdate } from './optim/sgd.js';
export type { SgdParam, SgdUpdated, SgdUpdateOptions } from './optim/sgd.js';

// Learning-rate schedules (host side)
export { scheduleLambdas } from './schedules/hf-lambdas.js';
export { createReduceOnPlateau } from './schedules/reduce-on-plateau.js';
export type {
  ReduceOnPlateau,
  ReduceOnPlateauOptions,
  ReduceOnPlateauState,
} from './schedules/reduce-on-plateau.js';
export { createSchedule } from './schedules/schedule.js';
export type {
  Schedule,
  ScheduleName,
  ScheduleOptions,
  ScheduleState,
} from './schedules/schedule.js';

// Runtime (the only code that talks to onnxruntime-node)
export { CUDA_INSTALL_HINT } from './runtime/providers.js';
export type { ExecutionProvider } from './runtime/providers.js';
export { createSession } from './runtime/session.js';
export type { RuntimeSession, SessionOptions } from './runtime/session.js';

// Training steps compiled to ONNX
export { compileTrainingStep } from './step/compile.js';
export type { CompiledStep, CompileOptions } from './step/compile.js';
export { createEvalGraph, DROPOUT_SEED_INPUT } from './step/graph-utils.js';
export { createTrainingStep, dropoutSeedFor } from './step/training-step.js';
export type {
  AdamWOptimizerOptions,
  OptimizerOptions,
  OptimizerState,
  ParamSelector,
  SgdOptimizerOptions,
  StepSessionOptions,
  TrainingStep,
  TrainingStepOptions,
  TrainingStepResult,
} from './step/types.js';

// Mixed precision (float16 matrix products, full-precision master weights, dynamic loss scaling)
export {
  AUTOCASTABLE_OPS,
  applyMixedPrecision,
  checkAutocastOps,
  DEFAULT_AUTOCAST_OPS,
} from './mixed-precision/autocast.js';
export type {
  ComputeDType,
  MixedPrecisionTransformOptions,
} from './mixed-precision/autocast.js';
export { createLossScaler } from './mixed-precision/loss-scaler.js';
export type {
  LossScaler,
  LossScalerOptions,
  LossScalerState,
} from './mixed-precision/loss-scaler.js';
export type { MixedPrecisionOptions } from './mixed-precision/options.js';

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

// Weights
export { readSafetensors, SAFETENSORS_DTYPE, writeSafetensors } from './weights/safetensors.js';
export type { SafetensorsContent } from './weights/safetensors.js';

// Export
export { exportInferenceModel } from './export/inference-model.js';
export type {
  ExportedInferenceModel,
  ExportInferenceModelOptions,
} from './export/inference-model.js';

// transformers.js interop: a folder its pipelines load from a local path
export { exportTransformersJs } from './transformers-js/export-folder.js';
export type {
  ExportedTransformersJs,
  ExportTransformersJsOptions,
  TransformersJsBert,
  TransformersJsGpt2,
  TransformersJsModel,
  TransformersJsTask,
} from './transformers-js/export-folder.js';

// Model builders (Hugging Face parameter names)
export { buildBert } from './models/bert.js';
export type { BertConfig, BertHead, BertOptions, BertTaskHead } from './models/bert.js';
export { statelessDropout } from './models/dropout.js';
export type { StatelessDropoutOptions } from './models/dropout.js';
export { buildGpt2 } from './models/gpt2.js';
export type { Gpt2Config, Gpt2Options } from './models/gpt2.js';
export { buildMlp } from './models/mlp.js';
export type { MlpOptions } from './models/mlp.js';
export { setParameters as setModelParameters } from './models/utils.js';
export type { Activation, ModelBuildOptions, ModelDType, ModelGraph } from './models/utils.js';

// LoRA and QLoRA adapters (PEFT layout)
export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  PEFT_KEY_PREFIX,
  loadAdapter,
  readAdapterConfig,
  saveAdapter,
} from './lora/adapter-io.js';
export type { AdapterConfig, LoadAdapterOptions, SaveAdapterOptions } from './lora/adapter-io.js';
export {
  LORA_A_SUFFIX,
  LORA_B_SUFFIX,
  applyLora,
  describePattern,
  matchesModule,
} from './lora/apply.js';
export type {
  LoraModel,
  LoraModule,
  LoraOptions,
  ModulePattern,
  ResolvedLoraOptions,
} from './lora/apply.js';
export { mergeLora } from './lora/merge.js';
export type { MergeLoraOptions, MergedLora } from './lora/merge.js';
export { quantizationMemory, quantizeFrozenWeights } from './lora/quantize.js';
export type { QuantizeOptions, QuantizedGraph, QuantizedWeight } from './lora/quantize.js';

// Pretrained Hugging Face checkpoints
export { buildPretrainedGraph } from './pretrained/build.js';
export type { PretrainedBuildOptions, PretrainedHead } from './pretrained/build.js';
export { readCheckpoint } from './pretrained/checkpoint.js';
export type { CheckpointTensors } from './pretrained/checkpoint.js';
export {
  PRETRAINED_ARCHITECTURES,
  parsePretrainedConfig,
  readPretrainedConfig,
} from './pretrained/config.js';
export type { PretrainedArchitecture, PretrainedConfig } from './pretrained/config.js';
export { loadPretrained } from './pretrained/load-pretrained.js';
export type { LoadPretrainedOptions, PretrainedModel } from './pretrained/load-pretrained.js';
export { resizeTokenEmbeddings } from './pretrained/resize-embeddings.js';
export type { ResizeTokenEmbeddingsOptions } from './pretrained/resize-embeddings.js';

// Foreign ONNX models (e.g. Optimum exports)
export { FOREIGN_MIN_OPSET, prepareForeignModel } from './foreign/prepare-foreign-model.js';
export type {
  ForeignLossOptions,
  ForeignModel,
  PrepareForeignModelOptions,
} from './foreign/prepare-foreign-model.js';

// Causal-LM fine-tuning and generation with a KV cache
export { addCausalLmLoss } from './generation/causal-lm-loss.js';
export type { CausalLmLossOptions } from './generation/causal-lm-loss.js';
export { createGenerator } from './generation/generate.js';
export type {
  GenerateOptions,
  GenerateResult,
  Generator,
  GeneratorOptions,
} from './generation/generate.js';
export { buildGpt2Decoder, cacheNames } from './generation/gpt2-decoder.js';
export type { Gpt2Decoder, Gpt2DecoderOptions } from './generation/gpt2-decoder.js';
export { perplexity } from './generation/perplexity.js';
export type { PerplexityOptions, PerplexityResult } from './generation/perplexity.js';
export {
  checkSamplingOptions,
  processLogits,
  sampleIndex,
  selectToken,
  topKFilter,
  topPFilter,
} from './generation/sampling.js';
export type { SamplingOptions } from './generation/sampling.js';
export {
  buildSftBatch,
  createSftBatchSource,
  packSftExamples,
  sftFeeds,
} from './generation/sft-batch.js';
export type { PackedSft, SftBatchOptions, SftExample, SftSegment } from './generation/sft-batch.js';

// Sentence embeddings
export {
  averageRanks,
  cosineSimilarities,
  pearsonCorrelation,
  spearmanCorrelation,
} from './embeddings/correlation.js';
export { cosentLoss } from './embeddings/cosent.js';
export type { CosentOptions, ScoredPairInputs } from './embeddings/cosent.js';
export { cosineSimilarityLoss } from './embeddings/cosine-similarity-loss.js';
export type { CosineSimilarityLossOptions } from './embeddings/cosine-similarity-loss.js';
export { SENTENCE_EMBEDDING, buildEmbeddingModel } from './embeddings/model.js';
export type { EmbeddingModelOptions } from './embeddings/model.js';
export { multipleNegativesRankingLoss } from './embeddings/multiple-negatives-ranking.js';
export type {
  AnchorPositiveInputs,
  MultipleNegativesRankingOptions,
} from './embeddings/multiple-negatives-ranking.js';
export {
  cosineMatrix,
  l2Normalize,
  pairwiseCosine,
  splitStacked,
} from './embeddings/similarity.js';

// Class imbalance
export { classCounts, classWeights } from './imbalance/class-weights.js';
export type {
  ClassLabels,
  ClassWeightMethod,
  ClassWeightsOptions,
} from './imbalance/class-weights.js';
