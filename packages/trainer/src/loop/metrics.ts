// Evaluation metric helpers: per-batch metric functions aggregated over the whole eval set.
import type { TensorData } from '../ir/types.js';
import type { Batch, MetricFactory } from './types.js';

/**
 * Turns a per-batch function into a metric factory whose values are means of the per-batch
 * values weighted by batch size — exact for metrics that are per-sample means (accuracy, MSE),
 * an approximation for ratios such as F1 or perplexity (write a Metric that accumulates counts).
 */
export function meanMetrics(
  perBatch: (outputs: Record<string, TensorData>, batch: Batch) => Record<string, number>,
): MetricFactory {
  return () => {
    const sums = new Map<string, number>();
    let samples = 0;
    return {
      update(outputs, batch, batchSize) {
        for (const [name, value] of Object.entries(perBatch(outputs, batch))) {
          sums.set(name, (sums.get(name) ?? 0) + value * batchSize);
        }
        samples += batchSize;
      },
      compute() {
        const result: Record<string, number> = {};
        for (const [name, sum] of sums) result[name] = sum / samples;
        return result;
      },
    };
  };
}
