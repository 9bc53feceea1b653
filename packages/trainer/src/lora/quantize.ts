// QLoRA-style storage: frozen base weights of adapted layers kept as int8 (per channel or per
// block) or packed 4-bit blocks, dequantized in-graph by DequantizeLinear; adapters stay float.
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph } from '../ir/types.js';
import { topologicalOrder } from '../shape/infer.js';
import { cloneGraph } from '../step/graph-utils.js';
import { LORA_A_SUFFIX, type LoraModel } from './apply.js';

export interface QuantizeOptions {
  /** 8: int8 values; 4: two unsigned 4-bit values per byte (zero point 8). */
  bits: 8 | 4;
  /**
   * Elements per scale: consecutive elements in row-major order (along the last axis; a block
   * spans several rows when rows are shorter), so the weight's size must be a multiple. 8-bit
   * weights without it get one scale per output channel.
   * @default per-channel for 8 bits, 64 for 4 bits
   */
  blockSize?: 32 | 64 | 128;
  /**
   * Base weights to quantize. @default every `<module>.weight` that has a `<module>.lora_A.weight`
   * next to it (the frozen weights of adapted layers)
   */
  weights?: readonly string[];
}

/** One quantized weight and its storage. */
export interface QuantizedWeight {
  /** The weight's name; in the new graph a value computed from the tensors below. */
  name: string;
  /** The weight's dims (2-D). */
  dims: number[];
  bits: 8 | 4;
  /** Elements per scale, or undefined for per-channel (8-bit) scales along `axis`. */
  blockSize: number | undefined;
  /** Channel axis of per-channel scales. */
  axis: number | undefined;
  /** Initializers holding it: int8/packed uint8 values, float32 scales, uint8 zero points (4-bit). */
  values: string;
  scales: string;
  zeroPoints: string | undefined;
  /** Bytes of the original float weight. */
  originalBytes: number;
  /** Bytes of values + scales + zero points. */
  quantizedBytes: number;
}

/** quantizeFrozenWeights' result: the rewritten graph and one record per quantized weight. */
export interface QuantizedGraph {
  graph: Graph;
  weights: QuantizedWeight[];
}

/** What quantizeFrozenWeights saved, from its record: bytes of base weights before and after. */
export function quantizationMemory(q: QuantizedGraph | readonly QuantizedWeight[]): {
  originalBytes: number;
  quantizedBytes: number;
  savedBytes: number;
  ratio: number;
} {
  const list = 'weights' in q ? q.weights : q;
  let originalBytes = 0;
  let quantizedBytes = 0;
  for (const w of list) {
    originalBytes += w.originalBytes;
    quantizedBytes += w.quantizedBytes;
  }
  return {
    originalBytes,
    quantizedBytes,
    savedBytes: originalBytes - quantizedBytes,
    ratio: originalBytes === 0 ? 1 : quantizedBytes / originalBytes,
  };
}

/** The output-channel axis of a weight, from how its consumer uses it. */
function outputAxis(graph: Graph, weight: string): number {
  const node = graph.nodes.find((n) => n.inputs[1] === weight);
  const transB = node?.attributes.transB;
  return node?.opType === 'Gemm' && transB?.type === 'int' && transB.value !== 0 ? 0 : 1;
}

/**
 * Symmetric absmax quantization of `data` in groups: group g holds `count` elements at
 * `index(g, j)`. Returns per-group float32 scales and the integer levels in [−qmax, qmax]
 * (4-bit: [−8, 7] with scale absmax/7, so |w − q·s| ≤ s/2 holds for every element).
 */
function quantizeGroups(
  data: ArrayLike<number>,
  groups: number,
  count: number,
  index: (g: number, j: number) => number,
  qmax: number,
  qmin: number,
): { scales: Float32Array; levels: Int8Array } {
  const scales = new Float32Array(groups);
  const levels = new Int8Array(data.length);
  for (let g = 0; g < groups; g++) {
    let absmax = 0;
    for (let j = 0; j < count; j++)
      absmax = Math.max(absmax, Math.abs(data[index(g, j)] as number));
    // An all-zero group gets scale 1: its levels are 0 either way, and a zero scale would make
    // the division below NaN.
    const s = Math.fround(absmax > 0 ? absmax / qmax : 1);
    scales[g] = s;
    for (let j = 0; j < count; j++) {
      const i = index(g, j);
      levels[i] = Math.min(qmax, Math.max(qmin, Math.round((data[i] as number) / s)));
    }
  }
  return { scales, levels };
}

/**
 * Replaces frozen float32 weights by quantized initializers and a DequantizeLinear subgraph whose
 * output keeps the weight's name, so the Gemm/MatMul (and its LoRA adapter) are unchanged.
 * 4-bit values are packed two per byte (low nibble first, as ONNX int4 and MatMulNBits pack) and
 * unpacked with BitwiseAnd/BitShift; all ops are standard ONNX (opset ≥ 18) that ONNX Runtime's
 * CPU build runs. ONNX Runtime does not constant-fold DequantizeLinear, so sessions keep the
 * quantized bytes (4-bit weights are unpacked to one byte each at load) and dequantize per run.
 * Quantized weights cannot be trained: pass the LoRA model's `trainable` as the step's params.
 */
export function quantizeFrozenWeights(
  model: LoraModel | Graph,
  options: QuantizeOptions,
): QuantizedGraph {
  const { bits } = options;
  if (bits !== 8 && bits !== 4) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `quantizeFrozenWeights: bits must be 8 or 4, got ${bits}`,
    );
  }
  const blockSize = options.blockSize ?? (bits === 4 ? 64 : undefined);
  if (blockSize !== undefined && ![32, 64, 128].includes(blockSize)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `quantizeFrozenWeights: blockSize must be 32, 64 or 128, got ${blockSize}`,
    );
  }
  const source = 'modules' in model ? model.graph : model;
  const names =
    options.weights ??
    [...source.initializers.keys()]
      .filter((n) => n.endsWith(LORA_A_SUFFIX))
      .map((n) => `${n.slice(0, -LORA_A_SUFFIX.length)}.weight`);
  if (names.length === 0) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `graph "${source.name}" has no adapted layers (no "*${LORA_A_SUFFIX}" initializers); apply LoRA first or name the weights to quantize`,
    );
  }
  const graph = cloneGraph(source);
  const b = createGraphBuilder({ graph });
  const weights: QuantizedWeight[] = [];
  for (const name of names) {
    const w = graph.initializers.get(name);
    if (w === undefined) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `"${name}" is not an initializer of graph "${graph.name}"; name float weights of that graph in \`weights\` (quantize each weight once)`,
      );
    }
    if (w.dtype !== 'float32' || w.dims.length !== 2) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `"${name}" is ${w.dtype} [${w.dims.join(', ')}]; only 2-D float32 weights are quantized`,
      );
    }
    const [d0, d1] = w.dims as [number, number];
    const n = d0 * d1;
    if (blockSize !== undefined && n % blockSize !== 0) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `"${name}" [${d0}, ${d1}] has ${n} elements, not a multiple of blockSize ${blockSize}; pick a blockSize that divides it`,
      );
    }
    graph.initializers.delete(name);
    const info = (value: string, dtype: 'float32' | 'uint8', dims: number[]) =>
      graph.valueInfo.set(value, { name: value, dtype, shape: dims });
    const data = w.data as Float32Array;
    let record: QuantizedWeight;
    if (blockSize === undefined) {
      const axis = outputAxis(graph, name);
      const channels = axis === 0 ? d0 : d1;
      const per = axis === 0 ? d1 : d0;
      const index =
        axis === 0 ? (g: number, j: number) => g * d1 + j : (g: number, j: number) => j * d1 + g;
      const { scales, levels } = quantizeGroups(data, channels, per, index, 127, -127);
      const values = b.initializer(`${name}.quant`, {
        dtype: 'int8',
        dims: [d0, d1],
        data: levels,
      });
      const scaleName = b.initializer(`${name}.scale`, {
        dtype: 'float32',
        dims: [channels],
        data: scales,
      });
      b.op('DequantizeLinear', [values, scaleName], { axis }, { outputs: [name] });
      info(name, 'float32', [d0, d1]);
      record = {
        name,
        dims: [d0, d1],
        bits,
        blockSize: undefined,
        axis,
        values,
        scales: scaleName,
        zeroPoints: undefined,
        originalBytes: n * 4,
        quantizedBytes: n + channels * 4,
      };
    } else {
      const blocks = n / blockSize;
      const qmax = bits === 8 ? 127 : 7;
      const qmin = bits === 8 ? -127 : -8;
      const { scales, levels } = quantizeGroups(
        data,
        blocks,
        blockSize,
        (g, j) => g * blockSize + j,
        qmax,
        qmin,
      );
      const scaleName = b.initializer(`${name}.scale`, {
        dtype: 'float32',
        dims: [blocks],
        data: scales,
      });
      let values: string;
      let zeroPoints: string | undefined;
      let levelsValue: string;
      let storedBytes: number;
      if (bits === 8) {
        values = b.initializer(`${name}.quant`, {
          dtype: 'int8',
          dims: [blocks, blockSize],
          data: levels,
        });
        levelsValue = values;
        storedBytes = n;
      } else {
        const packed = new Uint8Array(n / 2);
        for (let i = 0; i < n / 2; i++) {
          const lo = (levels[2 * i] as number) + 8;
          const hi = (levels[2 * i + 1] as number) + 8;
          packed[i] = lo | (hi << 4);
        }
        values = b.initializer(`${name}.quant`, {
          dtype: 'uint8',
          dims: [blocks, blockSize / 2],
          data: packed,
        });
        zeroPoints = b.initializer(
          `${name}.zero_point`,
          tensor('uint8', [blocks], new Uint8Array(blocks).fill(8)),
        );
        const half = [blocks, blockSize / 2];
        const lo = b.op('BitwiseAnd', [values, b.constant(tensor('uint8', [], [15]))]);
        const hi = b.op('BitShift', [values, b.constant(tensor('uint8', [], [4]))], {
          direction: 'RIGHT',
        });
        info(lo, 'uint8', half);
        info(hi, 'uint8', half);
        const pairs = b.op(
          'Concat',
          [b.op('Unsqueeze', [lo, b.int64s([2])]), b.op('Unsqueeze', [hi, b.int64s([2])])],
          {
            axis: 2,
          },
        );
        levelsValue = b.op('Reshape', [pairs, b.int64s([blocks, blockSize])]);
        info(levelsValue, 'uint8', [blocks, blockSize]);
        storedBytes = n / 2 + blocks;
      }
      const deq = b.op(
        'DequantizeLinear',
        zeroPoints ? [levelsValue, scaleName, zeroPoints] : [levelsValue, scaleName],
        {
          axis: 0,
        },
      );
      info(deq, 'float32', [blocks, blockSize]);
      b.op('Reshape', [deq, b.int64s([d0, d1])], {}, { outputs: [name] });
      info(name, 'float32', [d0, d1]);
      record = {
        name,
        dims: [d0, d1],
        bits,
        blockSize,
        axis: undefined,
        values,
        scales: scaleName,
        zeroPoints,
        originalBytes: n * 4,
        quantizedBytes: storedBytes + blocks * 4,
      };
    }
    weights.push(record);
  }
  graph.nodes = topologicalOrder(graph);
  return { graph, weights };
}
