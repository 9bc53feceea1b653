// LoRA side of the trainer benchmark, one child process: BERT-mini full fine-tuning and LoRA
// (r 8, alpha 16, query|value, classifier trained in full) on the shared batches, their timed steps
// interleaved (full, LoRA, full, LoRA, …) so that load on a shared machine hits both alike; the
// AdamW state bytes of both steps; and the base-weight bytes of the adapted layers in fp32, 8-bit
// and 4-bit (quantizeFrozenWeights + quantizationMemory). Prints one JSON line.
//
// Usage: tsx bench/lora.ts <data-dir> <warmup> <steps> <threads>
import { performance } from 'node:perf_hooks';
import {
  applyLora,
  buildBert,
  createGraphBuilder,
  createTrainingStep,
  crossEntropyLoss,
  type Graph,
  type LoraOptions,
  quantizationMemory,
  quantizeFrozenWeights,
  type TrainingStep,
} from '../src/index.js';
import { BERT_CONFIG, readBenchBatches, TRAINING } from './config.js';

const [dataDir, warmupArg, stepsArg, threadsArg] = process.argv.slice(2);
const warmup = Number(warmupArg);
const steps = Number(stepsArg);
const threads = Number(threadsArg);

/** PEFT-style LoRA for sequence classification: r 8, alpha 16 (scale 2), dropout 0.1. */
export const LORA: LoraOptions = {
  r: 8,
  alpha: 16,
  dropout: 0.1,
  targetModules: ['query', 'value'],
  modulesToSave: ['classifier'],
  seed: 0,
};

/** BERT-mini classifier with labels and a mean cross-entropy `loss`, as ours.ts builds it. */
function bertWithLoss(training: boolean): Graph {
  const built = buildBert(BERT_CONFIG, {
    head: { type: 'sequence-classification', numLabels: 2 },
    training,
    seed: 0,
  });
  const b = createGraphBuilder({ graph: built.graph });
  const labels = b.input('labels', 'int64', ['batch']);
  const loss = crossEntropyLoss(b, { input: 'logits', target: labels }, { name: 'loss' });
  b.output(loss, 'float32', []);
  return built.graph;
}

const optimizer = { type: 'adamw', weightDecay: TRAINING.weightDecay } as const;

/** Bytes of the step's optimizer tensors (AdamW: exp_avg + exp_avg_sq of every trained param). */
function optimizerStateBytes(step: TrainingStep): number {
  let bytes = 0;
  for (const t of step.getOptimizerState().tensors.values()) {
    bytes += t.data.length * (t.data as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  }
  return bytes;
}

function parameterCount(graph: Graph, names: readonly string[]): number {
  return names.reduce((s, n) => s + (graph.initializers.get(n)?.data.length ?? 0), 0);
}

async function main(): Promise<void> {
  const batches = readBenchBatches(dataDir as string, 'bert');
  if (batches.length < warmup + steps) {
    throw new Error(`data has ${batches.length} batches, need ${warmup + steps}`);
  }
  const base = bertWithLoss(true);
  const lora = applyLora(base, LORA);
  // LoRA dropout is a stateless mask that createEvalGraph cannot strip: the eval graph is the
  // same transform (same seed, so the same adapters) of the dropout-free model.
  const evalGraph = applyLora(bertWithLoss(false), { ...LORA, training: false }).graph;

  const tCompile = performance.now();
  const full = await createTrainingStep({
    graph: base,
    loss: 'loss',
    optimizer,
    maxGradNorm: TRAINING.maxGradNorm,
    seed: 0,
    session: { threads },
  });
  const fullCompileMs = performance.now() - tCompile;
  const tLora = performance.now();
  const adapted = await createTrainingStep({
    graph: lora.graph,
    loss: 'loss',
    params: lora.trainable,
    optimizer,
    maxGradNorm: TRAINING.maxGradNorm,
    evalGraph,
    seed: 0,
    session: { threads },
  });
  const loraCompileMs = performance.now() - tLora;

  const timed = { full: 0, lora: 0 };
  const losses = { full: [] as number[], lora: [] as number[] };
  for (let i = 0; i < warmup + steps; i++) {
    const batch = batches[i] as (typeof batches)[number];
    for (const [kind, step] of [
      ['full', full],
      ['lora', adapted],
    ] as const) {
      const t0 = performance.now();
      const { loss } = await step.run(batch, TRAINING.lr);
      const dt = performance.now() - t0;
      losses[kind].push(loss);
      if (i >= warmup) timed[kind] += dt;
    }
  }
  // One evaluation through the training: false eval graph, as a check that it is wired up.
  const evalLoss = (await adapted.evaluate(batches[0] as (typeof batches)[number])).loss;

  const fullStateBytes = optimizerStateBytes(full);
  const loraStateBytes = optimizerStateBytes(adapted);
  const fullParams = parameterCount(base, full.trainableParameters);
  const loraParams = parameterCount(lora.graph, adapted.trainableParameters);
  await full.release();
  await adapted.release();

  // Base weights of the adapted layers (the 8 query/value matrices), quantized as QLoRA stores them.
  const q4 = quantizationMemory(quantizeFrozenWeights(lora, { bits: 4, blockSize: 64 }));
  const q8 = quantizationMemory(quantizeFrozenWeights(lora, { bits: 8 }));

  process.stdout.write(
    `${JSON.stringify({
      model: 'bert-lora',
      threads,
      warmup,
      steps,
      lora: { r: LORA.r, alpha: LORA.alpha, dropout: LORA.dropout, modules: lora.modules.length },
      full_step_ms: timed.full / steps,
      lora_step_ms: timed.lora / steps,
      full_parameters: fullParams,
      lora_parameters: loraParams,
      full_optimizer_state_bytes: fullStateBytes,
      lora_optimizer_state_bytes: loraStateBytes,
      fp32_base_weight_bytes: q4.originalBytes,
      q4_base_weight_bytes: q4.quantizedBytes,
      q8_base_weight_bytes: q8.quantizedBytes,
      full_compile_ms: fullCompileMs,
      lora_compile_ms: loraCompileMs,
      full_first_loss: losses.full[0],
      full_last_loss: losses.full[losses.full.length - 1],
      lora_first_loss: losses.lora[0],
      lora_last_loss: losses.lora[losses.lora.length - 1],
      lora_eval_loss: evalLoss,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
