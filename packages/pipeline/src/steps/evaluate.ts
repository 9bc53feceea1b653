// `evaluate` step: runs the exported ONNX model on a split (default: test) with @ft/trainer's
// runtime and scores it with @ft/validate, writing predictions.jsonl (per-sample scores) and metrics.json.
import { join } from 'node:path';
import { createSession } from '@ft/trainer';
import { classificationReport, confusionMatrix } from '@ft/validate';
import { z } from 'zod';
import { PipelineError } from '../errors.js';
import { argmax, modelFeeds, readEncodedSplit, readModelConfig, softmaxRows } from './model-io.js';
import {
  defineStep,
  inputFile,
  outputFile,
  throwIfAborted,
  toJson,
  writeJson,
  writeJsonl,
} from './utils.js';

const evaluateParams = z.strictObject({
  /** Step whose `model` folder to run; the only needed step with a model when omitted. */
  model: z.string().optional(),
  /** Step whose tensors to score; the only needed step with such tensors when omitted. */
  data: z.string().optional(),
  /** Which split's tensors. @default 'test' */
  split: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('test'),
  /** Rows per inference batch. @default 64 */
  batchSize: z.number().int().min(1).default(64),
  /** ONNX Runtime threads. @default 1 */
  threads: z.number().int().min(0).default(1),
});

/** One line of predictions.jsonl. */
export interface PredictionLine {
  index: number;
  label: string;
  predicted: string;
  /** 1 when predicted = label, else 0: the per-sample score baselines are compared on. */
  correct: number;
  /** Probability the model gave the true label. */
  trueProbability: number;
  probabilities: number[];
}

export const evaluateStep = defineStep({
  type: 'evaluate',
  description: 'Run the exported model on the test split and compute classification metrics',
  version: '1',
  params: evaluateParams,
  async run(ctx) {
    const p = ctx.params;
    const modelDir = inputFile(ctx, 'model', p.model, 'model');
    const tensorsPath = inputFile(ctx, `${p.split}Tensors`, p.data, 'data');
    const config = await readModelConfig(modelDir);
    const split = await readEncodedSplit(tensorsPath);
    if (split.rows === 0) {
      throw new PipelineError('INVALID_ARGUMENT', `split "${p.split}" has no rows to evaluate`, {
        path: tensorsPath,
      });
    }
    if (split.seqLength > config.maxLength && config.architecture === 'bert') {
      throw new PipelineError(
        'INVALID_ARGUMENT',
        `rows have ${split.seqLength} tokens but the model was trained with at most ${config.maxLength}; tokenize with the same maxLength`,
        { path: tensorsPath },
      );
    }
    const session = await createSession(join(modelDir, 'model.onnx'), { threads: p.threads });
    const lines: PredictionLine[] = [];
    try {
      for (let start = 0; start < split.rows; start += p.batchSize) {
        throwIfAborted(ctx.signal, ctx.stepId);
        const indices = Array.from(
          { length: Math.min(p.batchSize, split.rows - start) },
          (_, i) => start + i,
        );
        const { logits } = await session.run(modelFeeds(split, indices, config), ['logits']);
        if (logits === undefined)
          throw new PipelineError('INVALID_ARGUMENT', 'the model has no "logits" output', {
            path: modelDir,
          });
        softmaxRows(logits).forEach((probabilities, i) => {
          const index = indices[i] as number;
          const label = split.labels[index] as number;
          const predicted = argmax(probabilities);
          lines.push({
            index,
            label: config.labels[label] as string,
            predicted: config.labels[predicted] as string,
            correct: predicted === label ? 1 : 0,
            trueProbability: probabilities[label] as number,
            probabilities,
          });
        });
        ctx.emit({ type: 'progress', done: lines.length, total: split.rows, label: 'rows' });
      }
    } finally {
      await session.release();
    }
    const yTrue = lines.map((l) => l.label);
    const yPred = lines.map((l) => l.predicted);
    const report = classificationReport(yTrue, yPred, { labels: config.labels });
    const matrix = confusionMatrix(yTrue, yPred, { labels: config.labels });
    const logLoss =
      -lines.reduce((sum, l) => sum + Math.log(Math.max(l.trueProbability, 1e-15)), 0) /
      lines.length;
    const metrics = {
      accuracy: report.accuracy,
      macro_f1: report.macroAvg.f1,
      macro_precision: report.macroAvg.precision,
      macro_recall: report.macroAvg.recall,
      weighted_f1: report.weightedAvg.f1,
      log_loss: logLoss,
    };
    const perClass = Object.fromEntries(
      report.classes.map(({ label, ...scores }) => [String(label), scores]),
    );
    const predictions = outputFile(ctx, 'predictions.jsonl');
    const metricsFile = outputFile(ctx, 'metrics.json');
    await writeJsonl(predictions.path, lines as unknown as Record<string, unknown>[]);
    await writeJson(metricsFile.path, {
      n: lines.length,
      split: p.split,
      metrics,
      perClass,
      confusionMatrix: matrix,
    });
    ctx.log(
      `evaluated ${lines.length} rows: accuracy ${metrics.accuracy.toFixed(4)}, macro F1 ${metrics.macro_f1.toFixed(4)}`,
    );
    return {
      files: { predictions: predictions.rel, metrics: metricsFile.rel },
      values: {
        n: lines.length,
        metrics: toJson(metrics),
        perClass: toJson(perClass),
        confusionMatrix: toJson(matrix),
      },
    };
  },
});
