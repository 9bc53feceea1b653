// Supervised fine-tuning feeds for causal LMs: tokenized examples packed into fixed-length rows,
// positions restarting per example, and next-token labels only on assistant tokens.
import { TrainerError } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import type { BatchSource } from '../loop/types.js';

/** One tokenized example (e.g. @ft/tokenize's tokenizeChat output). */
export interface SftExample {
  inputIds: readonly number[];
  /**
   * Labels aligned with the inputs, as Hugging Face writes them: labels[t] is token t's own id
   * where it is trained on and ignoreIndex elsewhere (the prompt). Give this or assistantMask;
   * with neither, every token is trained on.
   */
  labels?: readonly number[];
  /** 1 where token t is an assistant token (trained on), 0 elsewhere. */
  assistantMask?: readonly number[];
}

export interface SftBatchOptions {
  /** Row length: every row has exactly this many tokens (an integer > 1). */
  maxLength: number;
  /** Concatenate several examples per row (first fit, in order); false: one example per row. @default true */
  packing?: boolean;
  /** Id written into the padding at the end of a row. @default 0 */
  padTokenId?: number;
  /** Label of positions without a target. @default -100 */
  ignoreIndex?: number;
  /** An example longer than maxLength: 'error', or 'truncate' it to maxLength. @default 'error' */
  overflow?: 'error' | 'truncate';
}

/** Where an example sits in the packed rows. */
export interface SftSegment {
  /** Index of the example in the list given to packSftExamples. */
  example: number;
  /** Index of the packed row. */
  row: number;
  /** Offset of the example's first token in the row. */
  start: number;
  /** Tokens of the example in the row (after truncation). */
  length: number;
}

/** Examples packed into rows, each row a list of segments. */
export interface PackedSft {
  rows: SftSegment[][];
  /** The row length the examples were packed for. */
  maxLength: number;
}

interface Normalised {
  ids: readonly number[];
  /** HF-aligned labels (ignoreIndex where not trained). */
  labels: number[];
}

function normalise(examples: readonly SftExample[], options: SftBatchOptions): Normalised[] {
  const { maxLength, ignoreIndex = -100, overflow = 'error' } = options;
  if (!(Number.isInteger(maxLength) && maxLength > 1)) {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `maxLength must be an integer > 1, got ${maxLength}`,
    );
  }
  if (overflow !== 'error' && overflow !== 'truncate') {
    throw new TrainerError(
      'INVALID_ARGUMENT',
      `overflow must be 'error' or 'truncate', got ${JSON.stringify(overflow)}`,
    );
  }
  return examples.map((example, i) => {
    const { inputIds, labels, assistantMask } = example;
    const where = `example ${i}`;
    if (inputIds.length === 0 || !inputIds.every((t) => Number.isInteger(t) && t >= 0)) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `${where}: inputIds must be a non-empty array of token ids (integers ≥ 0)`,
      );
    }
    if (labels !== undefined && assistantMask !== undefined) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `${where}: give labels or assistantMask, not both`,
      );
    }
    for (const [field, values] of [
      ['labels', labels],
      ['assistantMask', assistantMask],
    ] as const) {
      if (values !== undefined && values.length !== inputIds.length) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `${where}: ${field} has ${values.length} entries but inputIds has ${inputIds.length}; they must be aligned token by token`,
        );
      }
    }
    if (assistantMask !== undefined && !assistantMask.every((m) => m === 0 || m === 1)) {
      throw new TrainerError('INVALID_ARGUMENT', `${where}: assistantMask must hold only 0 and 1`);
    }
    if (
      labels !== undefined &&
      !labels.every((l) => l === ignoreIndex || (Number.isInteger(l) && l >= 0))
    ) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `${where}: labels must be token ids ≥ 0 or ignoreIndex (${ignoreIndex})`,
      );
    }
    const aligned =
      labels !== undefined
        ? [...labels]
        : inputIds.map((t, k) =>
            assistantMask === undefined || assistantMask[k] === 1 ? t : ignoreIndex,
          );
    if (inputIds.length > maxLength) {
      if (overflow === 'error') {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `${where} has ${inputIds.length} tokens, more than maxLength ${maxLength}; raise maxLength or pass overflow: 'truncate'`,
        );
      }
      return { ids: inputIds.slice(0, maxLength), labels: aligned.slice(0, maxLength) };
    }
    return { ids: inputIds, labels: aligned };
  });
}

/**
 * Assigns examples to rows of `maxLength` tokens: first fit in the given order (each example goes
 * into the first row with room, so rows stay nearly full and the order is deterministic), or one
 * example per row without packing.
 */
export function packSftExamples(
  examples: readonly SftExample[],
  options: SftBatchOptions,
): PackedSft {
  return packNormalised(normalise(examples, options), options);
}

function packNormalised(normalised: readonly Normalised[], options: SftBatchOptions): PackedSft {
  const { maxLength, packing = true } = options;
  const rows: SftSegment[][] = [];
  const used: number[] = [];
  normalised.forEach(({ ids }, example) => {
    let row = packing ? used.findIndex((u) => u + ids.length <= maxLength) : -1;
    if (row < 0) {
      row = rows.length;
      rows.push([]);
      used.push(0);
    }
    (rows[row] as SftSegment[]).push({
      example,
      row,
      start: used[row] as number,
      length: ids.length,
    });
    used[row] = (used[row] as number) + ids.length;
  });
  return { rows, maxLength };
}

/**
 * The feeds of the given packed rows ([rows, maxLength] int64 each): `input_ids`,
 * `attention_mask` (1 on tokens, 0 on the padding at the row's end), `position_ids` (0, 1, …
 * restarting at every example) and `labels` shifted for the logits: labels[t] is the target of
 * position t, i.e. the aligned label of token t + 1 of the same example, and ignoreIndex at each
 * example's last token (it must not predict the next example's first token) and on padding.
 */
export function sftFeeds(
  examples: readonly SftExample[],
  packed: PackedSft,
  rowIndices: readonly number[],
  options: SftBatchOptions,
): Record<string, TensorData> {
  return rowFeeds(
    normalise(examples, { ...options, overflow: 'truncate' }),
    packed,
    rowIndices,
    options,
  );
}

function rowFeeds(
  normalised: readonly Normalised[],
  packed: PackedSft,
  rowIndices: readonly number[],
  options: SftBatchOptions,
): Record<string, TensorData> {
  const { padTokenId = 0, ignoreIndex = -100 } = options;
  const L = packed.maxLength;
  const ids: number[] = [];
  const mask: number[] = [];
  const positions: number[] = [];
  const labels: number[] = [];
  for (const r of rowIndices) {
    const row = packed.rows[r];
    if (row === undefined) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `row ${r} does not exist: there are ${packed.rows.length} packed rows, so pass row indices in 0..${packed.rows.length - 1}`,
      );
    }
    let filled = 0;
    for (const segment of row) {
      const ex = normalised[segment.example];
      if (ex === undefined) {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `packed row ${r} refers to example ${segment.example}, but only ${normalised.length} examples were given; pack and feed the same examples`,
        );
      }
      for (let t = 0; t < segment.length; t++) {
        ids.push(ex.ids[t] as number);
        mask.push(1);
        positions.push(t);
        labels.push(t + 1 < segment.length ? (ex.labels[t + 1] as number) : ignoreIndex);
      }
      filled += segment.length;
    }
    for (; filled < L; filled++) {
      ids.push(padTokenId);
      mask.push(0);
      positions.push(0);
      labels.push(ignoreIndex);
    }
  }
  const dims = [rowIndices.length, L];
  return {
    input_ids: tensor('int64', dims, ids),
    attention_mask: tensor('int64', dims, mask),
    position_ids: tensor('int64', dims, positions),
    labels: tensor('int64', dims, labels),
  };
}

/** Packs `examples` and returns the feeds of all rows at once. */
export function buildSftBatch(
  examples: readonly SftExample[],
  options: SftBatchOptions,
): Record<string, TensorData> {
  const packed = packSftExamples(examples, options);
  return sftFeeds(
    examples,
    packed,
    packed.rows.map((_, r) => r),
    options,
  );
}

/** A BatchSource for train(): packs once; its samples are the packed rows. */
export function createSftBatchSource(
  examples: readonly SftExample[],
  options: SftBatchOptions,
): BatchSource & { packed: PackedSft } {
  const normalised = normalise(examples, options);
  const packed = packNormalised(normalised, options);
  return {
    packed,
    size: packed.rows.length,
    batch: (indices) => rowFeeds(normalised, packed, indices, options),
  };
}
