// `train` step: builds a tiny BERT-style sequence classifier (or an MLP over bag-of-tokens
// features) and trains it with @ft/trainer on the tokenize step's tensors, exporting ONNX + safetensors.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadTokenizer } from '@ft/tokenize';
import type { Batch, HistoryEntry, ModelGraph, TrainEvent, TrainResult } from '@ft/trainer';
import {
  buildBert,
  buildMlp,
  createGraphBuilder,
  createTrainingStep,
  crossEntropyLoss,
  exportInferenceModel,
  meanMetrics,
  readSafetensors,
  setModelParameters,
  type TensorData,
  train,
} from '@ft/trainer';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import type { EventBody, Json } from '../types.js';
import type { EncodedSplit, ModelFolderConfig } from './model-io.js';
import { argmax, modelFeeds, readEncodedSplit, readModelConfig } from './model-io.js';
import { defineStep, findInput, outputFile, toJson, writeJson } from './utils.js';

const bertModel = z.strictObject({
  type: z.literal('bert'),
  /** @default 32 */
  hidden: z.number().int().min(2).default(32),
  /** @default 2 */
  layers: z.number().int().min(1).default(2),
  /** Attention heads; must divide hidden. @default 4 */
  heads: z.number().int().min(1).default(4),
  /** Feed-forward width. @default 4 × hidden */
  intermediate: z.number().int().min(1).optional(),
  /** Hidden and attention dropout. @default 0.1 */
  dropout: z.number().min(0).max(0.9).default(0.1),
});

const mlpModel = z.strictObject({
  type: z.literal('mlp'),
  /** Hidden layer widths. @default [64] */
  hiddenSizes: z.array(z.number().int().min(1)).default([64]),
  /** @default 0 */
  dropout: z.number().min(0).max(0.9).default(0),
});

export const trainParams = z
  .strictObject({
    /** Step whose tensors to train on; the only needed step with `trainTensors` when omitted. */
    from: z.string().optional(),
    /** Architecture and size. @default { type: 'bert' } */
    model: z.discriminatedUnion('type', [bertModel, mlpModel]).prefault({ type: 'bert' }),
    /** Passes over the train split. @default 3 */
    epochs: z.number().int().min(1).default(3),
    /** Stop after this many optimizer steps (wins when it comes first). */
    maxSteps: z.number().int().min(1).optional(),
    /** @default 16 */
    batchSize: z.number().int().min(1).default(16),
    /** Peak learning rate. @default 0.001 */
    lr: z.number().gt(0).max(10).default(1e-3),
    /** Learning-rate schedule. @default 'linear' */
    schedule: z.enum(['constant', 'linear', 'cosine']).default('linear'),
    /** Warmup as a fraction of the steps. @default 0 */
    warmupRatio: z.number().min(0).max(1).default(0),
    /** AdamW weight decay. @default 0.01 */
    weightDecay: z.number().min(0).default(0.01),
    /** Gradient clipping (global L2 norm). @default 1 */
    maxGradNorm: z.number().gt(0).default(1),
    /** Seed of initialisation, shuffling and dropout. @default 0 */
    seed: z.number().int().min(0).default(0),
    /** Evaluate on the validation split every this many steps. @default once per epoch */
    evalSteps: z.number().int().min(1).optional(),
    /** Stop when the watched validation metric stops improving. */
    earlyStopping: z
      .strictObject({
        patience: z.number().int().min(1),
        /** @default 'eval_loss' */
        metric: z.string().min(1).default('eval_loss'),
        /** @default 'min' */
        mode: z.enum(['min', 'max']).default('min'),
      })
      .optional(),
    /** A `progress` and `metric` event every this many steps. @default 10 */
    logEvery: z.number().int().min(1).default(10),
    /** ONNX Runtime threads. @default 1 */
    threads: z.number().int().min(0).default(1),
    /**
     * A model folder written by this step (e.g. the deployed production model) whose weights
     * training starts from, relative to the pipeline file; same architecture, vocabulary and
     * labels (tokenize with its tokenizer). @default random initialisation
     */
    initFrom: z.string().min(1).optional(),
  })
  .refine((p) => p.model.type !== 'bert' || p.model.hidden % p.model.heads === 0, {
    message: 'model.hidden must be a multiple of model.heads',
    path: ['model', 'heads'],
  });

export type TrainParams = z.infer<typeof trainParams>;

/** What a training run produced, before export. */
export interface TrainedClassifier {
  result: TrainResult;
  config: ModelFolderConfig;
  /** Exports the trained model (model.onnx, model.safetensors, config.json) into `dir`. */
  exportTo(dir: string): Promise<void>;
  release(): Promise<void>;
}

function withLoss(model: ModelGraph): ModelGraph {
  const b = createGraphBuilder({ graph: model.graph });
  const labels = b.input('labels', 'int64', ['batch']);
  crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
  b.output('loss', 'float32', []);
  return model;
}

function buildModels(
  p: TrainParams,
  vocabSize: number,
  numLabels: number,
  seqLength: number,
): {
  train: ModelGraph;
  eval: ModelGraph;
  config: ModelFolderConfig['model'];
  features: ModelFolderConfig['features'];
} {
  if (p.model.type === 'bert') {
    const m = p.model;
    const config = {
      vocab_size: vocabSize,
      hidden_size: m.hidden,
      num_hidden_layers: m.layers,
      num_attention_heads: m.heads,
      intermediate_size: m.intermediate ?? 4 * m.hidden,
      max_position_embeddings: seqLength,
      type_vocab_size: 1,
      hidden_dropout_prob: m.dropout,
      attention_probs_dropout_prob: m.dropout,
      num_labels: numLabels,
      pad_token_id: 0,
    };
    const build = (training: boolean) =>
      buildBert(config, {
        training,
        seed: p.seed,
        tokenTypeIds: false,
        head: { type: 'sequence-classification', numLabels },
      });
    return {
      train: withLoss(build(true)),
      eval: withLoss(build(false)),
      config,
      features: 'token-ids',
    };
  }
  const config = {
    inputSize: vocabSize,
    hiddenSizes: p.model.hiddenSizes,
    outputSize: numLabels,
    dropout: p.model.dropout,
  };
  const build = (training: boolean) => buildMlp({ ...config, training, seed: p.seed });
  return {
    train: withLoss(build(true)),
    eval: withLoss(build(false)),
    config,
    features: 'bag-of-tokens',
  };
}

export interface TrainClassifierOptions {
  params: TrainParams;
  train: EncodedSplit;
  validation?: EncodedSplit;
  labels: string[];
  vocabSize: number;
  /** Where history.json goes. */
  outputDir: string;
  signal: AbortSignal;
  stepId: string;
  emit?: (event: EventBody) => void;
  /** Weights to start from instead of the seeded random initialisation (see `initFrom`). */
  initWeights?: Record<string, TensorData>;
  /** Awaited after each evaluation (hpo reports to its pruner here); a throw stops training. */
  onEval?: (trainingStep: number, metrics: Record<string, number>) => Promise<void>;
}

/** Trains a classifier; shared by the train step and the hpo step's trials. */
export async function trainClassifier(options: TrainClassifierOptions): Promise<TrainedClassifier> {
  const {
    params: p,
    train: trainSplit,
    validation,
    labels,
    vocabSize,
    signal,
    stepId,
    emit,
  } = options;
  const models = buildModels(p, vocabSize, labels.length, trainSplit.seqLength);
  if (options.initWeights !== undefined) {
    try {
      setModelParameters(models.train, options.initWeights);
      setModelParameters(models.eval, options.initWeights);
    } catch (cause) {
      throw new PipelineError(
        'INVALID_CONFIG',
        `the initFrom weights do not fit this model (${(cause as Error).message}); use the same model settings and tokenizer as the model they come from`,
        { field: 'params.initFrom', cause },
      );
    }
  }
  const config: ModelFolderConfig = {
    architecture: p.model.type,
    labels,
    maxLength: trainSplit.seqLength,
    vocabSize,
    features: models.features,
    model: models.config,
  };
  const source = (split: EncodedSplit) => ({
    size: split.rows,
    batch: (indices: number[]): Batch => ({
      ...modelFeeds(split, indices, config),
      labels: {
        dtype: 'int64',
        dims: [indices.length],
        data: BigInt64Array.from(indices, (i) => BigInt(split.labels[i] as number)),
      },
    }),
  });
  const step = await createTrainingStep({
    graph: models.train.graph,
    evalGraph: models.eval.graph,
    loss: 'loss',
    optimizer: { type: 'adamw', weightDecay: p.weightDecay },
    maxGradNorm: p.maxGradNorm,
    outputs: ['logits'],
    seed: p.seed,
    session: { threads: p.threads },
  });
  const perEpoch = Math.ceil(trainSplit.rows / p.batchSize);
  const totalSteps = Math.min(p.maxSteps ?? Number.POSITIVE_INFINITY, p.epochs * perEpoch);
  const accuracy = meanMetrics((outputs, batch): Record<string, number> => {
    const logits = outputs.logits;
    const target = batch.labels?.data as BigInt64Array;
    if (logits === undefined) return {};
    const [rows = 0, classes = 0] = logits.dims;
    const data = logits.data as Float32Array;
    let correct = 0;
    for (let r = 0; r < rows; r++) {
      if (BigInt(argmax(Array.from(data.subarray(r * classes, (r + 1) * classes)))) === target[r])
        correct++;
    }
    return { accuracy: correct / rows };
  });
  const onEvent = async (event: TrainEvent): Promise<void> => {
    if (signal.aborted) throw new PipelineError('CANCELLED', `step "${stepId}" was cancelled`);
    if (event.type === 'eval' && options.onEval) await options.onEval(event.step, event.metrics);
    if (emit === undefined) return;
    if (event.type === 'step' && (event.step % p.logEvery === 0 || event.step === totalSteps)) {
      emit({ type: 'progress', done: event.step, total: totalSteps, label: 'steps' });
      emit({ type: 'metric', name: 'loss', value: event.loss, trainingStep: event.step });
      emit({ type: 'metric', name: 'lr', value: event.lr, trainingStep: event.step });
    } else if (event.type === 'eval') {
      for (const [name, value] of Object.entries(event.metrics)) {
        emit({ type: 'metric', name, value, trainingStep: event.step });
      }
    }
  };
  try {
    const result = await train({
      step,
      data: {
        train: source(trainSplit),
        eval: validation && validation.rows > 0 ? source(validation) : undefined,
      },
      batchSize: p.batchSize,
      epochs: p.epochs,
      maxSteps: p.maxSteps,
      seed: p.seed,
      lr: { name: p.schedule, baseLr: p.lr, totalSteps, warmupRatio: p.warmupRatio },
      evalSteps: validation ? p.evalSteps : undefined,
      metrics: accuracy,
      earlyStopping: validation ? p.earlyStopping : undefined,
      outputDir: options.outputDir,
      logEvery: p.logEvery,
      progress: false,
      onEvent,
    });
    return {
      result,
      config,
      async exportTo(dir) {
        await exportInferenceModel({
          graph: models.eval.graph,
          parameters: step.getParameters(),
          outputDir: dir,
          outputs: ['logits'],
        });
        await writeJson(join(dir, 'config.json'), config);
      },
      release: () => step.release(),
    };
  } catch (error) {
    await step.release();
    throw error;
  }
}

/** The last train loss and the last evaluation's metrics of a history. */
export function finalMetrics(history: readonly HistoryEntry[]): Record<string, number> {
  const out: Record<string, number> = {};
  const lastTrain = [...history].reverse().find((h) => h.type === 'train');
  const lastEval = [...history].reverse().find((h) => h.type === 'eval');
  if (lastTrain?.type === 'train') out.train_loss = lastTrain.loss;
  if (lastEval?.type === 'eval') Object.assign(out, lastEval.metrics);
  return out;
}

/** Reads the tokenize step's labels.json and vocabulary size for a train/hpo step. */
export async function readTokenizeOutputs(
  ctx: Parameters<typeof findInput>[0],
  from: string | undefined,
): Promise<{
  train: EncodedSplit;
  validation?: EncodedSplit;
  labels: string[];
  vocabSize: number;
  tokenizerDir: string;
  datasetFingerprint: string | null;
}> {
  const { id, path: trainPath } = findInput(ctx, 'trainTensors', from);
  const source = ctx.inputs[id];
  const files = source?.files ?? {};
  if (files.labels === undefined || files.tokenizer === undefined) {
    throw new PipelineError(
      'INVALID_CONFIG',
      'the tensors must come from a tokenize step (labels.json and tokenizer missing)',
      { field: 'needs' },
    );
  }
  const labels = (
    JSON.parse(await readFile(resolve(ctx.runDir, files.labels), 'utf8')) as { labels: string[] }
  ).labels;
  const tokenizerDir = resolve(ctx.runDir, files.tokenizer);
  const { vocabSize } = await loadTokenizer(tokenizerDir);
  return {
    train: await readEncodedSplit(trainPath),
    validation:
      files.validationTensors === undefined
        ? undefined
        : await readEncodedSplit(resolve(ctx.runDir, files.validationTensors)),
    labels,
    vocabSize,
    tokenizerDir,
    datasetFingerprint:
      typeof source?.values.datasetFingerprint === 'string'
        ? source.values.datasetFingerprint
        : null,
  };
}

/** The weights of a model folder to fine-tune, after checking its architecture and labels. */
async function readInitWeights(
  dir: string,
  p: TrainParams,
  labels: readonly string[],
): Promise<Record<string, TensorData>> {
  const config = await readModelConfig(dir);
  if (config.architecture !== p.model.type) {
    throw new PipelineError(
      'INVALID_CONFIG',
      `initFrom holds a ${config.architecture} model but model.type is ${p.model.type}; use the same architecture`,
      { field: 'params.initFrom', path: dir },
    );
  }
  if (config.labels.join('\n') !== labels.join('\n')) {
    throw new PipelineError(
      'INVALID_CONFIG',
      `initFrom was trained on labels [${config.labels.join(', ')}] but the data has [${labels.join(', ')}]; set the tokenize step's labels to the model's`,
      { field: 'params.initFrom', path: dir },
    );
  }
  const { tensors } = await readSafetensors(join(dir, 'model.safetensors')).catch((cause) => {
    throw new PipelineError(
      'INVALID_CONFIG',
      `cannot read model.safetensors (${(cause as Error).message}); initFrom must name a model folder the train step wrote`,
      { field: 'params.initFrom', path: dir, cause },
    );
  });
  return Object.fromEntries(tensors);
}

export const trainStep = defineStep({
  type: 'train',
  description: 'Train a small BERT-style or MLP text classifier and export it to ONNX',
  version: '1',
  params: trainParams,
  async run(ctx) {
    const p = ctx.params;
    const data = await readTokenizeOutputs(ctx, p.from);
    const initWeights =
      p.initFrom === undefined
        ? undefined
        : await readInitWeights(resolve(ctx.baseDir, p.initFrom), p, data.labels);
    if (p.initFrom !== undefined) ctx.log(`starting from the weights in ${p.initFrom}`);
    const trained = await trainClassifier({
      ...(initWeights !== undefined ? { initWeights } : {}),
      params: p,
      train: data.train,
      validation: data.validation,
      labels: data.labels,
      vocabSize: data.vocabSize,
      outputDir: ctx.outDir,
      signal: ctx.signal,
      stepId: ctx.stepId,
      emit: (e) => ctx.emit(e),
    });
    try {
      const model = outputFile(ctx, 'model');
      await trained.exportTo(model.path);
      // The tokenizer travels with the model so the folder can be registered and served alone.
      await cp(data.tokenizerDir, model.path, { recursive: true });
      const history = outputFile(ctx, 'history.json');
      await writeFile(history.path, `${JSON.stringify(trained.result.history, null, 2)}\n`);
      const metrics = finalMetrics(trained.result.history);
      ctx.log(`trained ${trained.result.steps} steps: ${JSON.stringify(metrics)}`);
      return {
        files: { model: model.rel, history: history.rel },
        values: {
          architecture: p.model.type,
          steps: trained.result.steps,
          epochs: trained.result.epochs,
          stoppedEarly: trained.result.stoppedEarly,
          bestMetric: trained.result.bestMetric,
          metrics: toJson(metrics),
          params: toJson(p) as Json,
          datasetFingerprint: data.datasetFingerprint,
        },
      };
    } finally {
      await trained.release();
    }
  },
});
