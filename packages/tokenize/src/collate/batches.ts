// Seeded batch orders for an epoch, optionally grouped by length (transformers' LengthGroupedSampler)
// so each batch holds examples of similar length and little padding.
import { createRng } from '@ft/data';
import { TokenizeError } from '../errors.js';

/** Example lengths, or examples whose `inputIds` give them. */
export type LengthsInput = readonly number[] | ReadonlyArray<{ inputIds: readonly number[] }>;

export interface CreateBatchesOptions {
  /** Examples per batch. */
  batchSize: number;
  /** Seed of the shuffle. @default 0 */
  seed?: number | string;
  /** Epoch number, mixed into the seed so each epoch gets its own order. @default 0 */
  epoch?: number;
  /** Shuffle the examples; false keeps input order (evaluation). @default true */
  shuffle?: boolean;
  /** Put examples of similar length in the same batch. @default false */
  groupByLength?: boolean;
  /** With groupByLength: sort within shuffled megabatches of batchSize × this many examples. @default 50 */
  bucketMultiplier?: number;
  /** Leave out the last batch when it is smaller than batchSize. @default false */
  dropLast?: boolean;
}

function toLengths(input: LengthsInput, field: string): number[] {
  if (!Array.isArray(input)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `${field} must be an array of lengths or of { inputIds } examples.`,
      { field },
    );
  }
  return input.map((item: number | { inputIds: readonly number[] }, i) => {
    const length = typeof item === 'number' ? item : item?.inputIds?.length;
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `${field}[${i}] is not a length (non-negative integer) or an example with inputIds.`,
        {
          field: `${field}[${i}]`,
        },
      );
    }
    return length;
  });
}

function positiveInteger(value: number, field: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `${field} must be a positive integer, got ${value}.`,
      { field },
    );
  }
}

/**
 * One epoch's batches as lists of example indices; every example appears exactly once (unless
 * `dropLast` drops the short last batch). With `groupByLength`, the shuffled order is cut into
 * megabatches of `batchSize × bucketMultiplier`, each sorted longest first and cut into batches,
 * and the batch holding the longest example goes first so an out-of-memory error shows at once.
 */
export function createBatches(examples: LengthsInput, options: CreateBatchesOptions): number[][] {
  const {
    batchSize,
    seed = 0,
    epoch = 0,
    shuffle = true,
    groupByLength = false,
    bucketMultiplier = 50,
    dropLast = false,
  } = options;
  positiveInteger(batchSize, 'batchSize');
  positiveInteger(bucketMultiplier, 'bucketMultiplier');
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `epoch must be a non-negative integer, got ${epoch}.`,
      { field: 'epoch' },
    );
  }
  const lengths = toLengths(examples, 'examples');
  const order = lengths.map((_, i) => i);
  if (shuffle) createRng(`${seed}:${epoch}`).shuffle(order);

  if (groupByLength) {
    const megabatch = batchSize * bucketMultiplier;
    for (let from = 0; from < order.length; from += megabatch) {
      const sorted = order
        .slice(from, from + megabatch)
        .sort((a, b) => (lengths[b] as number) - (lengths[a] as number));
      order.splice(from, sorted.length, ...sorted);
    }
  }

  const batches: number[][] = [];
  for (let from = 0; from < order.length; from += batchSize) {
    const batch = order.slice(from, from + batchSize);
    if (batch.length < batchSize && dropLast) break;
    batches.push(batch);
  }

  if (groupByLength && batches.length > 1) {
    let longestBatch = 0;
    let longest = -1;
    batches.forEach((batch, b) => {
      // Batches are sorted longest first, so their first example is their longest.
      const length = lengths[batch[0] as number] as number;
      if (length > longest) {
        longest = length;
        longestBatch = b;
      }
    });
    [batches[0], batches[longestBatch]] = [
      batches[longestBatch] as number[],
      batches[0] as number[],
    ];
  }
  return batches;
}

/**
 * Share of padding when each batch is padded to its longest example (rounded up to
 * `padToMultipleOf`): pad tokens / all tokens.
 */
export function paddingRatio(
  batches: ReadonlyArray<readonly number[]>,
  lengths: LengthsInput,
  options: { padToMultipleOf?: number } = {},
): number {
  const { padToMultipleOf = 1 } = options;
  positiveInteger(padToMultipleOf, 'padToMultipleOf');
  const sizes = toLengths(lengths, 'lengths');
  let tokens = 0;
  let slots = 0;
  batches.forEach((batch, b) => {
    let longest = 0;
    for (const index of batch) {
      const length = sizes[index];
      if (length === undefined) {
        throw new TokenizeError(
          'INVALID_ARGUMENT',
          `batch ${b} refers to example ${index}, but there are only ${sizes.length} lengths.`,
          {
            field: `batches[${b}]`,
          },
        );
      }
      tokens += length;
      longest = Math.max(longest, length);
    }
    slots += batch.length * Math.ceil(longest / padToMultipleOf) * padToMultipleOf;
  });
  return slots === 0 ? 0 : (slots - tokens) / slots;
}
