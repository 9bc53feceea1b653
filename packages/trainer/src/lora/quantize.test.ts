// QLoRA-style quantization: dequantized weights within the absmax bound (read back from ONNX
// Runtime), outputs close to fp32, training adapters on a quantized base, and byte counts.
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { toOnnxBytes } from '../ir/onnx-export.js';
import type { Graph, TensorData } from '../ir/types.js';
import { createSession } from '../runtime/session.js';
import { cloneGraph, pruneGraph } from '../step/graph-utils.js';
import { createTrainingStep } from '../step/training-step.js';
import { applyLora } from './apply.js';
import { quantizationMemory, quantizeFrozenWeights } from './quantize.js';
import { forward, randomize, signalBatch, tinyBert } from './testing.js';

/** The values ONNX Runtime computes for `names` (the dequantized weights). */
async function readBack(graph: Graph, names: string[]): Promise<Record<string, TensorData>> {
  const g = cloneGraph(graph);
  g.outputs = names.map((name) => ({ name, dtype: 'float32' as const }));
  pruneGraph(g);
  const session = await createSession(g, { threads: 1 });
  try {
    return await session.run({}, names);
  } finally {
    await session.release();
  }
}

const relativeError = (a: TensorData, b: TensorData): number => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.data.length; i++) {
    num += ((a.data[i] as number) - (b.data[i] as number)) ** 2;
    den += (b.data[i] as number) ** 2;
  }
  return Math.sqrt(num / den);
};

const CASES = [
  { bits: 8, blockSize: undefined, label: 'per-channel' },
  { bits: 8, blockSize: 32, label: 'blocks of 32' },
  { bits: 4, blockSize: 32, label: 'blocks of 32' },
  { bits: 4, blockSize: 64, label: 'blocks of 64' },
] as const;

describe('quantizeFrozenWeights', () => {
  const lora = applyLora(tinyBert({ lastHiddenState: true }), {
    r: 4,
    alpha: 8,
    targetModules: ['query', 'value', 'dense'],
    modulesToSave: ['classifier'],
    seed: 1,
  });
  // Trained-looking adapters and head, so the adapter path contributes to the outputs.
  for (const [i, m] of lora.modules.entries()) randomize(lora.graph, m.loraB, 200 + i, 0.05);

  it.each(CASES)(
    'dequantizes $bits-bit weights ($label) within the absmax bound s/2',
    async ({ bits, blockSize }) => {
      const q = quantizeFrozenWeights(lora, { bits, ...(blockSize ? { blockSize } : {}) });
      expect(q.weights.map((w) => w.name)).toEqual(lora.modules.map((m) => m.weight));
      const values = await readBack(
        q.graph,
        q.weights.map((w) => w.name),
      );
      let worst = 0;
      let maxError = 0;
      // The largest err − bound over all elements (one assertion instead of one per element).
      let excess = Number.NEGATIVE_INFINITY;
      let where = '';
      for (const w of q.weights) {
        expect(q.graph.initializers.has(w.name)).toBe(false);
        const original = lora.graph.initializers.get(w.name) as TensorData;
        const scales = q.graph.initializers.get(w.scales)?.data as Float32Array;
        const dequantized = values[w.name] as TensorData;
        expect(dequantized.dims).toEqual(original.dims);
        const [d0, d1] = original.dims as [number, number];
        for (let i = 0; i < d0 * d1; i++) {
          // The element's scale: its block, or its output channel (axis 0: row, axis 1: column).
          const s = (
            blockSize
              ? scales[Math.floor(i / blockSize)]
              : w.axis === 0
                ? scales[Math.floor(i / d1)]
                : scales[i % d1]
          ) as number;
          const err = Math.abs((dequantized.data[i] as number) - (original.data[i] as number));
          // s/2 from rounding, plus float32 rounding of the product q·s.
          const bound = s / 2 + 6e-8 * Math.abs(original.data[i] as number);
          if (err - bound > excess) {
            excess = err - bound;
            where = `${w.name}[${i}]: |error| ${err} vs bound ${bound}`;
          }
          worst = Math.max(worst, err / s);
          maxError = Math.max(maxError, err);
        }
      }
      expect(excess, where).toBeLessThanOrEqual(0);
      console.log(
        `${bits}-bit, block ${blockSize ?? 'per-channel'}: max |W − deq(W)| ${maxError.toExponential(2)}, max error/scale ${worst.toFixed(3)}`,
      );
      // Rounding is actually exercised (errors near the s/2 bound occur).
      expect(worst).toBeGreaterThan(0.4);
    },
  );

  it('keeps the model close to fp32 and counts the bytes saved exactly', async () => {
    const { feeds } = signalBatch(8, 5);
    const reference = await forward(lora.graph, feeds, ['logits', 'last_hidden_state']);
    const loraBytes = toOnnxBytes(lora.graph).byteLength;
    const errors: string[] = [];
    for (const { bits, blockSize } of CASES) {
      const q = quantizeFrozenWeights(lora, { bits, ...(blockSize ? { blockSize } : {}) });
      const out = await forward(q.graph, feeds, ['logits', 'last_hidden_state']);
      const hidden = relativeError(
        out.last_hidden_state as TensorData,
        reference.last_hidden_state as TensorData,
      );
      const logits = relativeError(out.logits as TensorData, reference.logits as TensorData);
      errors.push(
        `${bits}-bit/${blockSize ?? 'channel'}: hidden ${hidden.toExponential(2)}, logits ${logits.toExponential(2)}`,
      );
      expect(hidden).toBeLessThan(bits === 8 ? 0.01 : 0.1);
      expect(logits).toBeLessThan(bits === 8 ? 0.02 : 0.2);

      // Independent byte count: the original float32 weights vs every initializer the
      // quantized graph added (values, scales, zero points).
      const memory = quantizationMemory(q);
      let original = 0;
      for (const w of q.weights)
        original += (lora.graph.initializers.get(w.name) as TensorData).data.byteLength;
      let stored = 0;
      for (const [name, t] of q.graph.initializers)
        if (!lora.graph.initializers.has(name)) stored += t.data.byteLength;
      expect(memory.originalBytes).toBe(original);
      expect(memory.quantizedBytes).toBe(stored);
      // Hand count for per-tensor sizes: n elements → 8-bit: n + 4·scales; 4-bit: n/2 + 5·blocks.
      const n = original / 4;
      const expected =
        bits === 8
          ? blockSize
            ? n + (4 * n) / blockSize
            : n + 4 * q.weights.reduce((s, w) => s + (w.dims[w.axis ?? 0] as number), 0)
          : n / 2 + (5 * n) / (blockSize as number);
      expect(memory.quantizedBytes).toBe(expected);
      // The serialized model shrinks by the bytes saved, less the dequantization nodes' protos
      // (measured 340 bytes per weight for 8-bit per-channel, 1.7 kB for 4-bit: 14 nodes with their value names).
      const shrink = loraBytes - toOnnxBytes(q.graph).byteLength;
      expect(shrink).toBeLessThanOrEqual(memory.savedBytes);
      expect(shrink).toBeGreaterThan(memory.savedBytes - 2000 * q.weights.length);
      errors.push(
        `  bytes ${memory.originalBytes} → ${memory.quantizedBytes} (saved ${memory.savedBytes}, ratio ${memory.ratio.toFixed(3)}; model.onnx −${shrink})`,
      );
    }
    console.log(errors.join('\n'));
  });

  it('trains adapters on a 4-bit base: the loss decreases, only adapters and head are trained', async () => {
    const training = applyLora(tinyBert(), {
      r: 4,
      alpha: 8,
      dropout: 0.05,
      targetModules: ['query', 'value'],
      modulesToSave: ['classifier'],
      seed: 2,
    });
    const q = quantizeFrozenWeights(training, { bits: 4, blockSize: 32 });
    const step = await createTrainingStep({
      graph: q.graph,
      loss: 'loss',
      params: training.trainable,
      optimizer: { type: 'adamw', weightDecay: 0 },
      session: { threads: 1 },
    });
    expect([...step.trainableParameters].sort()).toEqual([...training.trainable].sort());
    const { feeds } = signalBatch(16, 8);
    const losses: number[] = [];
    for (let i = 0; i < 30; i++) losses.push((await step.run(feeds, 2e-2)).loss);
    await step.release();
    console.log(
      `4-bit QLoRA losses: ${losses
        .filter((_, i) => i % 6 === 0)
        .map((l) => l.toFixed(4))
        .join(' → ')}`,
    );
    expect(losses[losses.length - 1]).toBeLessThan(0.6 * (losses[0] as number));
  });

  it('refuses what it cannot quantize, naming the weight and the fix', () => {
    const odd = applyLora(tinyBert({ config: { hidden_size: 24 } }), {
      r: 2,
      targetModules: ['query'],
    });
    expect(() => quantizeFrozenWeights(odd, { bits: 4, blockSize: 128 })).toThrow(
      /"bert.encoder.layer.0.attention.self.query.weight" \[24, 24\] has 576 elements, not a multiple of blockSize 128/,
    );
    expect(() => quantizeFrozenWeights(tinyBert().graph, { bits: 8 })).toThrow(/no adapted layers/);
    expect(() => quantizeFrozenWeights(lora, { bits: 3 as 8 })).toThrow(TrainerError);
    const f64 = applyLora(tinyBert({ dtype: 'float64' }), { r: 2, targetModules: ['query'] });
    expect(() => quantizeFrozenWeights(f64, { bits: 8 })).toThrow(
      /float64 \[32, 32\]; only 2-D float32 weights/,
    );
  });
});
