// Test fixture: a tiny BERT classifier written the way Hugging Face Optimum's torch.onnx export
// spells it (opset 14), serialised to ONNX bytes with our exporter.
import { createRng } from '@ft/data';
import { createGraphBuilder, float, type GraphBuilder } from '../ir/builder.js';
import { toOnnxBytes } from '../ir/onnx-export.js';
import { scalar, sizeOf, tensor } from '../ir/tensor.js';

/** Sizes of the fixture model (BERT config names in brackets). */
export interface OptimumBertOptions {
  /** [vocab_size] @default 20 */
  vocab?: number;
  /** [hidden_size] @default 8 */
  hidden?: number;
  /** [num_attention_heads] @default 2 */
  heads?: number;
  /** [num_hidden_layers] @default 1 */
  layers?: number;
  /** [intermediate_size] @default 16 */
  intermediate?: number;
  /** [max_position_embeddings] @default 16 */
  maxPositions?: number;
  /** Classes of the classifier head. @default 3 */
  labels?: number;
  /** Seed of the uniform weights (createRng). @default 11 */
  seed?: number;
}

/**
 * The patterns of an Optimum BERT export: Linear weights as transposed `onnx::MatMul_<n>`
 * initializers + `Add` of the named bias (Gemm with the named weight on 2-D inputs); attention
 * reshapes from Shape → Gather → Unsqueeze → Concat → Reshape; position ids sliced from a buffer with the runtime sequence length; the
 * extended attention mask through Cast/Sub and a `Where` on the inverted mask; GELU as
 * x·0.5·(1 + erf(x/√2)); LayerNorm decomposed into ReduceMean/Sub/Pow/Add/Sqrt/Div/Mul/Add; scalars as
 * `Constant` nodes; dynamic `batch_size` / `sequence_length` dims.
 */
export function buildOptimumBert(options: OptimumBertOptions = {}): Uint8Array {
  const {
    vocab = 20,
    hidden = 8,
    heads = 2,
    layers = 1,
    intermediate = 16,
    maxPositions = 16,
    labels = 3,
    seed = 11,
  } = options;
  const headSize = hidden / heads;
  const rng = createRng(seed);
  const rand = (dims: number[], scale: number, offset = 0) =>
    tensor(
      'float32',
      dims,
      Array.from({ length: sizeOf(dims) }, () => offset + scale * (2 * rng.next() - 1)),
    );
  const b = createGraphBuilder({ name: 'main_graph', opset: 14 });
  let matmulId = 100;
  const c = (g: GraphBuilder, v: number) => g.constant(scalar('float32', v));
  const dims = ['batch_size', 'sequence_length'];
  const ids = b.input('input_ids', 'int64', dims);
  const mask = b.input('attention_mask', 'int64', dims);
  const types = b.input('token_type_ids', 'int64', dims);

  const linear = (x: string, prefix: string, inSize: number, outSize: number) => {
    const w = b.initializer(`onnx::MatMul_${matmulId++}`, rand([inSize, outSize], 0.5));
    const bias = b.initializer(`${prefix}.bias`, rand([outSize], 0.1));
    return b.op('Add', [bias, b.op('MatMul', [x, w])]);
  };
  const layerNorm = (x: string, prefix: string) => {
    const gamma = b.initializer(`${prefix}.weight`, rand([hidden], 0.1, 1));
    const beta = b.initializer(`${prefix}.bias`, rand([hidden], 0.1));
    const mean = b.op('ReduceMean', [x], { axes: [-1] });
    const centered = b.op('Sub', [x, mean]);
    const variance = b.op('ReduceMean', [b.op('Pow', [centered, c(b, 2)])], { axes: [-1] });
    const std = b.op('Sqrt', [b.op('Add', [variance, c(b, 1e-12)])]);
    return b.op('Add', [b.op('Mul', [b.op('Div', [centered, std]), gamma]), beta]);
  };
  const dim = (x: string, axis: number) =>
    b.op('Unsqueeze', [
      b.op('Gather', [b.op('Shape', [x]), b.constant(scalar('int64', axis))], { axis: 0 }),
      b.int64s([0]),
    ]);

  // Embeddings.
  const words = b.initializer('bert.embeddings.word_embeddings.weight', rand([vocab, hidden], 0.5));
  const positions = b.initializer(
    'bert.embeddings.position_embeddings.weight',
    rand([maxPositions, hidden], 0.5),
  );
  const typeTable = b.initializer(
    'bert.embeddings.token_type_embeddings.weight',
    rand([2, hidden], 0.5),
  );
  const positionBuffer = b.initializer(
    'bert.embeddings.position_ids',
    tensor(
      'int64',
      [1, maxPositions],
      Array.from({ length: maxPositions }, (_, i) => i),
    ),
  );
  const seqLen = dim(ids, 1);
  const positionIds = b.op('Slice', [positionBuffer, b.int64s([0]), seqLen, b.int64s([1])]);
  let h = b.op('Add', [
    b.op('Add', [b.op('Gather', [words, ids]), b.op('Gather', [typeTable, types])]),
    b.op('Gather', [positions, positionIds]),
  ]);
  h = layerNorm(h, 'bert.embeddings.LayerNorm');

  // Extended mask: inverted = 1 − mask; masked_fill(inverted.bool(), finfo.min).
  const inverted = b.op('Sub', [
    c(b, 1),
    b.op('Cast', [b.op('Unsqueeze', [b.op('Unsqueeze', [mask, b.int64s([1])]), b.int64s([2])])], {
      to: 1,
    }),
  ]);
  const maskBias = b.op('Where', [
    b.op('Cast', [inverted], { to: 9 }),
    c(b, -3.4028234663852886e38),
    inverted,
  ]);

  for (let i = 0; i < layers; i++) {
    const pre = `bert.encoder.layer.${i}`;
    const split = (x: string) => {
      const shape = b.op(
        'Concat',
        [dim(x, 0), dim(x, 1), b.int64s([heads]), b.int64s([headSize])],
        { axis: 0 },
      );
      return b.op('Transpose', [b.op('Reshape', [x, shape])], { perm: [0, 2, 1, 3] });
    };
    const q = split(linear(h, `${pre}.attention.self.query`, hidden, hidden));
    const k = split(linear(h, `${pre}.attention.self.key`, hidden, hidden));
    const v = split(linear(h, `${pre}.attention.self.value`, hidden, hidden));
    const scores = b.op('Div', [
      b.op('MatMul', [q, b.op('Transpose', [k], { perm: [0, 1, 3, 2] })]),
      c(b, Math.sqrt(headSize)),
    ]);
    const probs = b.op('Softmax', [b.op('Add', [scores, maskBias])], { axis: -1 });
    const context = b.op('Transpose', [b.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] });
    const merged = b.op('Reshape', [
      context,
      b.op('Concat', [dim(context, 0), dim(context, 1), b.int64s([hidden])], { axis: 0 }),
    ]);
    const attn = layerNorm(
      b.op('Add', [linear(merged, `${pre}.attention.output.dense`, hidden, hidden), h]),
      `${pre}.attention.output.LayerNorm`,
    );
    const up = linear(attn, `${pre}.intermediate.dense`, hidden, intermediate);
    const erf = b.op('Erf', [b.op('Div', [up, c(b, Math.SQRT2)])]);
    const gelu = b.op('Mul', [b.op('Mul', [up, b.op('Add', [erf, c(b, 1)])]), c(b, 0.5)]);
    h = layerNorm(
      b.op('Add', [linear(gelu, `${pre}.output.dense`, intermediate, hidden), attn]),
      `${pre}.output.LayerNorm`,
    );
  }
  b.op('Identity', [h], {}, { outputs: ['last_hidden_state'] });
  const cls = b.op('Gather', [h, b.constant(scalar('int64', 0))], { axis: 1 });
  // On 2-D inputs torch.onnx emits Gemm with the named [out, in] weight (transB = 1).
  const gemm = (x: string, prefix: string, inSize: number, outSize: number) =>
    b.op(
      'Gemm',
      [
        x,
        b.initializer(`${prefix}.weight`, rand([outSize, inSize], 0.5)),
        b.initializer(`${prefix}.bias`, rand([outSize], 0.1)),
      ],
      { alpha: float(1), beta: float(1), transB: 1 },
    );
  const pooled = b.op('Tanh', [gemm(cls, 'bert.pooler.dense', hidden, hidden)]);
  const logits = gemm(pooled, 'classifier', hidden, labels);
  b.op('Identity', [logits], {}, { outputs: ['logits'] });
  b.output('logits', 'float32', ['batch_size', labels]);
  b.output('last_hidden_state', 'float32', ['batch_size', 'sequence_length', hidden]);
  return toOnnxBytes(b.graph);
}
