// Pads a list of tokenized examples into [batch, length] integer tensors (flat typed arrays plus
// dims), the layout onnxruntime and the trainer consume.
import { TokenizeError } from '../errors.js';
import { toTensor } from '../tensor.js';
import type { BatchTensor, TensorDtype } from '../types.js';

/** One tokenized example; every optional field must be present in all examples of a batch or in none. */
export interface CollateExample {
  inputIds: readonly number[];
  /** @default 1 for every token */
  attentionMask?: readonly number[];
  labels?: readonly number[];
  tokenTypeIds?: readonly number[];
  positionIds?: readonly number[];
}

export interface CollateOptions<D extends TensorDtype = 'int64'> {
  /** Token id used to pad `inputIds`. */
  padTokenId: number;
  /** Round the padded length up to a multiple of this (8 or 64 suit tensor cores). @default no rounding */
  padToMultipleOf?: number;
  /** Value used to pad `labels`. @default -100 */
  labelPadId?: number;
  /** Element type of the tensors. @default 'int64' */
  dtype?: D;
  /** Pad after the tokens ('right', for training) or before them ('left', for batched generation). @default 'right' */
  paddingSide?: 'right' | 'left';
}

export interface Batch<D extends TensorDtype = 'int64'> {
  inputIds: BatchTensor<D>;
  attentionMask: BatchTensor<D>;
  /** Present when the examples have labels. */
  labels?: BatchTensor<D>;
  tokenTypeIds?: BatchTensor<D>;
  positionIds?: BatchTensor<D>;
}

type Field = 'attentionMask' | 'labels' | 'tokenTypeIds' | 'positionIds';
const OPTIONAL_FIELDS: readonly Field[] = [
  'attentionMask',
  'labels',
  'tokenTypeIds',
  'positionIds',
];

/**
 * Pads `examples` to the longest one (rounded up to `padToMultipleOf`) and returns flat tensors:
 * `inputIds` padded with `padTokenId`, `attentionMask` with 0, `labels` with `labelPadId`,
 * `tokenTypeIds` and `positionIds` with 0.
 */
export function collate<D extends TensorDtype = 'int64'>(
  examples: readonly CollateExample[],
  options: CollateOptions<D>,
): Batch<D> {
  const {
    padTokenId,
    padToMultipleOf,
    labelPadId = -100,
    dtype = 'int64' as D,
    paddingSide = 'right',
  } = options;
  if (!Number.isInteger(padTokenId)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `padTokenId must be an integer token id, got ${padTokenId}.`,
      { field: 'padTokenId' },
    );
  }
  if (
    padToMultipleOf !== undefined &&
    !(Number.isInteger(padToMultipleOf) && padToMultipleOf > 0)
  ) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `padToMultipleOf must be a positive integer, got ${padToMultipleOf}.`,
      {
        field: 'padToMultipleOf',
      },
    );
  }
  if (!Number.isInteger(labelPadId)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `labelPadId must be an integer, got ${labelPadId}.`,
      { field: 'labelPadId' },
    );
  }
  if (dtype !== 'int64' && dtype !== 'int32') {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `dtype must be 'int64' or 'int32', got ${JSON.stringify(dtype)}.`,
      { field: 'dtype' },
    );
  }
  if (paddingSide !== 'right' && paddingSide !== 'left') {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `paddingSide must be 'right' or 'left', got ${JSON.stringify(paddingSide)}.`,
      {
        field: 'paddingSide',
      },
    );
  }
  if (!Array.isArray(examples) || examples.length === 0) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'examples must be a non-empty array of { inputIds, … }.',
      { field: 'examples' },
    );
  }

  let longest = 0;
  examples.forEach((example, i) => {
    if (!Array.isArray(example?.inputIds)) {
      throw new TokenizeError('INVALID_ARGUMENT', `example ${i} has no inputIds array.`, {
        field: `examples[${i}].inputIds`,
      });
    }
    longest = Math.max(longest, example.inputIds.length);
    for (const field of OPTIONAL_FIELDS) {
      const values = example[field];
      const first = examples[0]?.[field];
      if ((values === undefined) !== (first === undefined)) {
        throw new TokenizeError(
          'INVALID_ARGUMENT',
          `example ${i} ${values === undefined ? 'lacks' : 'has'} ${field} but example 0 ${first === undefined ? 'does not' : 'does'}; give it to all examples or none.`,
          { field: `examples[${i}].${field}` },
        );
      }
      if (
        values !== undefined &&
        (!Array.isArray(values) || values.length !== example.inputIds.length)
      ) {
        throw new TokenizeError(
          'INVALID_ARGUMENT',
          `example ${i} has ${Array.isArray(values) ? values.length : 'non-array'} ${field} for ${example.inputIds.length} inputIds; they must have the same length.`,
          { field: `examples[${i}].${field}` },
        );
      }
    }
  });
  const length =
    padToMultipleOf === undefined
      ? longest
      : Math.ceil(longest / padToMultipleOf) * padToMultipleOf;
  const dims: [number, number] = [examples.length, length];

  /** The padded values as int32 (every id and label must be a 32-bit integer). */
  const int32 = (
    pick: (example: CollateExample) => readonly number[] | undefined,
    pad: number,
    fallback: number,
  ): Int32Array => {
    const data = new Int32Array(examples.length * length).fill(pad);
    examples.forEach((example, b) => {
      const n = example.inputIds.length;
      const offset = b * length + (paddingSide === 'left' ? length - n : 0);
      const values = pick(example);
      if (values === undefined) {
        data.fill(fallback, offset, offset + n);
        return;
      }
      for (let t = 0; t < n; t++) {
        const value = values[t] as number;
        // `value | 0` equals value only for 32-bit integers; Int32Array would silently wrap the rest.
        if ((value | 0) !== value) {
          throw new TokenizeError(
            'INVALID_ARGUMENT',
            `example ${b} has ${value} at position ${t}; token ids and labels must be 32-bit integers.`,
            { field: `examples[${b}]` },
          );
        }
      }
      data.set(values, offset);
    });
    return data;
  };

  const tensor = (
    pick: (example: CollateExample) => readonly number[] | undefined,
    pad: number,
    fallback = 0,
  ): BatchTensor<D> => toTensor(int32(pick, pad, fallback), dtype, dims);

  const batch: Batch<D> = {
    inputIds: tensor((e) => e.inputIds, padTokenId),
    attentionMask: tensor((e) => e.attentionMask, 0, 1),
  };
  if (examples[0]?.labels !== undefined) batch.labels = tensor((e) => e.labels, labelPadId);
  if (examples[0]?.tokenTypeIds !== undefined)
    batch.tokenTypeIds = tensor((e) => e.tokenTypeIds, 0);
  if (examples[0]?.positionIds !== undefined) batch.positionIds = tensor((e) => e.positionIds, 0);
  return batch;
}
