// Packs tokenized examples into fixed-size blocks without cross-example attention or labels,
// with the per-token metadata (position ids, segment ids, cu_seqlens) that varlen attention needs.
import { TokenizeError } from '../errors.js';

/** One tokenized example. `labels`, when given, are aligned with `inputIds` (the model shifts them). */
export interface PackExample {
  inputIds: readonly number[];
  labels?: readonly number[];
}

export interface PackOptions {
  /** Tokens per block. */
  blockSize: number;
  /** Token id that fills the unused tail of a block. */
  padTokenId: number;
  /**
   * 'greedy' fills blocks in input order and starts a new one when the next example does not fit;
   * 'first-fit-decreasing' places the longest examples first, each in the first block with room.
   * @default 'first-fit-decreasing'
   */
  strategy?: 'greedy' | 'first-fit-decreasing';
  /** Examples longer than blockSize: drop them, keep their first blockSize tokens, or split them into blockSize chunks. @default 'truncate' */
  overflow?: 'drop' | 'truncate' | 'split';
  /** Label of positions that are not trained on (pads, each example's first token). @default -100 */
  ignoreIndex?: number;
}

/** A block of `blockSize` tokens holding one or more whole examples (or chunks) and padding. */
export interface PackedBlock {
  inputIds: number[];
  /**
   * Aligned with `inputIds`; the model shifts them. The first position of every example holds
   * `ignoreIndex`, so after the shift no example's first token is predicted from the previous
   * example's last token.
   */
  labels: number[];
  /** 0, 1, 2… restarting at every example; the padding tail counts from 0 as one more run. */
  positionIds: number[];
  /** 1..k for the k examples in the block, 0 for padding. */
  sequenceIds: number[];
  /** 1 for example tokens, 0 for padding. */
  attentionMask: number[];
  /** flash-attn `cu_seqlens`: [0, l1, l1 + l2, …, total example tokens]; padding is not a sequence. */
  cuSeqlens: number[];
  /** Index in the input of each example in the block (a split example appears once per chunk). */
  exampleIndices: number[];
}

export interface PackStats {
  /** Example tokens / (blocks × blockSize). */
  efficiency: number;
  blocks: number;
  /** Tokens placed in blocks (padding excluded). */
  tokens: number;
  /** Indices of examples dropped for being longer than blockSize (overflow 'drop'). */
  dropped: number[];
  /** Tokens cut off by overflow 'truncate' or lost with dropped examples. */
  discardedTokens: number;
}

export interface PackResult {
  blocks: PackedBlock[];
  stats: PackStats;
}

interface Piece {
  example: number;
  inputIds: readonly number[];
  labels: readonly number[] | undefined;
}

function validate(examples: readonly PackExample[], options: PackOptions): void {
  const {
    blockSize,
    padTokenId,
    strategy = 'first-fit-decreasing',
    overflow = 'truncate',
  } = options;
  if (!Number.isInteger(blockSize) || blockSize < 1) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `blockSize must be a positive integer, got ${blockSize}.`,
      { field: 'blockSize' },
    );
  }
  if (!Number.isInteger(padTokenId)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `padTokenId must be an integer token id, got ${padTokenId}.`,
      { field: 'padTokenId' },
    );
  }
  if (strategy !== 'greedy' && strategy !== 'first-fit-decreasing') {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `strategy must be 'greedy' or 'first-fit-decreasing', got ${JSON.stringify(strategy)}.`,
      {
        field: 'strategy',
      },
    );
  }
  if (overflow !== 'drop' && overflow !== 'truncate' && overflow !== 'split') {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `overflow must be 'drop', 'truncate' or 'split', got ${JSON.stringify(overflow)}.`,
      {
        field: 'overflow',
      },
    );
  }
  if (!Array.isArray(examples)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'examples must be an array of { inputIds, labels? }.',
      { field: 'examples' },
    );
  }
  examples.forEach((example, i) => {
    if (!Array.isArray(example?.inputIds) || example.inputIds.length === 0) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `example ${i} has no tokens; inputIds must be a non-empty array.`,
        {
          field: `examples[${i}].inputIds`,
        },
      );
    }
    if (
      example.labels !== undefined &&
      (!Array.isArray(example.labels) || example.labels.length !== example.inputIds.length)
    ) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `example ${i} has ${Array.isArray(example.labels) ? example.labels.length : 'non-array'} labels for ${example.inputIds.length} tokens; labels must align with inputIds.`,
        { field: `examples[${i}].labels` },
      );
    }
  });
}

/** Max segment tree over block free space: finds the first block with room in O(log n). */
class FirstFit {
  private readonly size: number;
  private readonly tree: Int32Array;

  constructor(capacity: number, blockSize: number) {
    let size = 1;
    while (size < capacity) size *= 2;
    this.size = size;
    // Unopened blocks hold a full block of room, so "first with room" may open a new one.
    this.tree = new Int32Array(2 * size).fill(blockSize);
  }

  /** Index of the first block with at least `length` free tokens, after taking them. */
  place(length: number): number {
    let node = 1;
    while (node < this.size)
      node = (this.tree[2 * node] as number) >= length ? 2 * node : 2 * node + 1;
    const block = node - this.size;
    this.tree[node] = (this.tree[node] as number) - length;
    for (node >>= 1; node >= 1; node >>= 1) {
      this.tree[node] = Math.max(this.tree[2 * node] as number, this.tree[2 * node + 1] as number);
    }
    return block;
  }
}

/**
 * Packs `examples` into blocks of exactly `blockSize` tokens. Each example keeps its own labels
 * (e.g. assistant-only masks) except its first position, which gets `ignoreIndex`: labels are
 * aligned with inputs and the model shifts them, so that label would otherwise be predicted from
 * the previous example's last token. Pair every block with position ids / cuSeqlens (varlen
 * attention) or `blockAttentionMask` so attention does not cross examples either.
 */
export function packSequences(examples: readonly PackExample[], options: PackOptions): PackResult {
  validate(examples, options);
  const {
    blockSize,
    padTokenId,
    strategy = 'first-fit-decreasing',
    overflow = 'truncate',
    ignoreIndex = -100,
  } = options;

  const pieces: Piece[] = [];
  const dropped: number[] = [];
  let discardedTokens = 0;
  examples.forEach((example, i) => {
    const { inputIds, labels } = example;
    if (inputIds.length <= blockSize) {
      pieces.push({ example: i, inputIds, labels });
    } else if (overflow === 'drop') {
      dropped.push(i);
      discardedTokens += inputIds.length;
    } else if (overflow === 'truncate') {
      pieces.push({
        example: i,
        inputIds: inputIds.slice(0, blockSize),
        labels: labels?.slice(0, blockSize),
      });
      discardedTokens += inputIds.length - blockSize;
    } else {
      for (let from = 0; from < inputIds.length; from += blockSize) {
        pieces.push({
          example: i,
          inputIds: inputIds.slice(from, from + blockSize),
          labels: labels?.slice(from, from + blockSize),
        });
      }
    }
  });

  const assigned: Piece[][] = [];
  if (strategy === 'greedy') {
    let room = 0;
    for (const piece of pieces) {
      if (piece.inputIds.length > room) {
        assigned.push([]);
        room = blockSize;
      }
      (assigned[assigned.length - 1] as Piece[]).push(piece);
      room -= piece.inputIds.length;
    }
  } else {
    // Stable sort: equal lengths keep input order, so the packing is deterministic.
    const order = pieces
      .map((_, i) => i)
      .sort(
        (a, b) =>
          (pieces[b] as Piece).inputIds.length - (pieces[a] as Piece).inputIds.length || a - b,
      );
    const fit = new FirstFit(pieces.length, blockSize);
    for (const index of order) {
      const piece = pieces[index] as Piece;
      const block = fit.place(piece.inputIds.length);
      // Unopened blocks sit after the opened ones, so a new block is always the next index.
      if (block === assigned.length) assigned.push([]);
      (assigned[block] as Piece[]).push(piece);
    }
  }

  let tokens = 0;
  const blocks = assigned.map((members) => {
    // Preallocated, pad-filled arrays: growing five arrays token by token is GC-bound.
    const block: PackedBlock = {
      inputIds: new Array<number>(blockSize).fill(padTokenId),
      labels: new Array<number>(blockSize).fill(ignoreIndex),
      positionIds: new Array<number>(blockSize).fill(0),
      sequenceIds: new Array<number>(blockSize).fill(0),
      attentionMask: new Array<number>(blockSize).fill(0),
      cuSeqlens: [0],
      exampleIndices: [],
    };
    let at = 0;
    members.forEach((piece, k) => {
      const { inputIds } = piece;
      const labels = piece.labels ?? inputIds;
      const n = inputIds.length;
      for (let t = 0; t < n; t++) {
        block.inputIds[at + t] = inputIds[t] as number;
        block.labels[at + t] = t === 0 ? ignoreIndex : (labels[t] as number);
        block.positionIds[at + t] = t;
        block.sequenceIds[at + t] = k + 1;
        block.attentionMask[at + t] = 1;
      }
      at += n;
      block.cuSeqlens.push(at);
      block.exampleIndices.push(piece.example);
    });
    tokens += at;
    for (let p = 0; at + p < blockSize; p++) block.positionIds[at + p] = p;
    return block;
  });

  return {
    blocks,
    stats: {
      efficiency: blocks.length === 0 ? 0 : tokens / (blocks.length * blockSize),
      blocks: blocks.length,
      tokens,
      dropped,
      discardedTokens,
    },
  };
}
