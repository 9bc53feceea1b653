import { createRng } from '@ft/data';
import { describe, expect, it } from 'vitest';
import { blockAttentionMask, type PackExample, packSequences } from '../index.js';

const examples: PackExample[] = [
  { inputIds: [11, 12, 13], labels: [-100, 12, 13] },
  { inputIds: [21, 22, 23, 24, 25], labels: [-100, -100, -100, 24, 25] },
  { inputIds: [31, 32] },
  { inputIds: [41, 42, 43, 44] },
];

describe('packSequences', () => {
  it('packs first-fit-decreasing with per-example positions, segments, labels and cu_seqlens', () => {
    const { blocks, stats } = packSequences(examples, { blockSize: 8, padTokenId: 0 });
    // Longest first: ex1 (5) → block 0, ex3 (4) → block 1, ex0 (3) → block 0, ex2 (2) → block 1.
    expect(blocks).toEqual([
      {
        inputIds: [21, 22, 23, 24, 25, 11, 12, 13],
        labels: [-100, -100, -100, 24, 25, -100, 12, 13],
        positionIds: [0, 1, 2, 3, 4, 0, 1, 2],
        sequenceIds: [1, 1, 1, 1, 1, 2, 2, 2],
        attentionMask: [1, 1, 1, 1, 1, 1, 1, 1],
        cuSeqlens: [0, 5, 8],
        exampleIndices: [1, 0],
      },
      {
        inputIds: [41, 42, 43, 44, 31, 32, 0, 0],
        labels: [-100, 42, 43, 44, -100, 32, -100, -100],
        positionIds: [0, 1, 2, 3, 0, 1, 0, 1],
        sequenceIds: [1, 1, 1, 1, 2, 2, 0, 0],
        attentionMask: [1, 1, 1, 1, 1, 1, 0, 0],
        cuSeqlens: [0, 4, 6],
        exampleIndices: [3, 2],
      },
    ]);
    expect(stats).toEqual({
      efficiency: 14 / 16,
      blocks: 2,
      tokens: 14,
      dropped: [],
      discardedTokens: 0,
    });
  });

  it('packs greedily in input order', () => {
    const { blocks, stats } = packSequences(examples, {
      blockSize: 8,
      padTokenId: 0,
      strategy: 'greedy',
      ignoreIndex: -1,
    });
    expect(blocks.map((b) => b.inputIds)).toEqual([
      [11, 12, 13, 21, 22, 23, 24, 25],
      [31, 32, 41, 42, 43, 44, 0, 0],
    ]);
    expect(blocks.map((b) => b.labels)).toEqual([
      [-1, 12, 13, -1, -100, -100, 24, 25],
      [-1, 32, -1, 42, 43, 44, -1, -1],
    ]);
    expect(blocks.map((b) => b.exampleIndices)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(stats.efficiency).toBe(0.875);
  });

  it('drops, truncates or splits examples longer than the block', () => {
    const long: PackExample[] = [
      { inputIds: [1, 2] },
      {
        inputIds: [5, 6, 7, 8, 9, 10, 11, 12, 13, 14],
        labels: [-100, -100, 7, 8, 9, 10, 11, 12, 13, 14],
      },
    ];
    const dropped = packSequences(long, { blockSize: 4, padTokenId: 0, overflow: 'drop' });
    expect(dropped.blocks.map((b) => b.inputIds)).toEqual([[1, 2, 0, 0]]);
    expect(dropped.stats).toMatchObject({ dropped: [1], discardedTokens: 10, efficiency: 0.5 });

    const truncated = packSequences(long, { blockSize: 4, padTokenId: 0, strategy: 'greedy' });
    expect(truncated.blocks.map((b) => [b.inputIds, b.labels])).toEqual([
      [
        [1, 2, 0, 0],
        [-100, 2, -100, -100],
      ],
      [
        [5, 6, 7, 8],
        [-100, -100, 7, 8],
      ],
    ]);
    expect(truncated.stats.discardedTokens).toBe(6);

    const split = packSequences(long, { blockSize: 4, padTokenId: 0, overflow: 'split' });
    // Chunks 4, 4, 2 of example 1; length ties keep input order, so example 0 precedes the last chunk.
    expect(split.blocks.map((b) => [b.inputIds, b.labels, b.exampleIndices])).toEqual([
      [[5, 6, 7, 8], [-100, -100, 7, 8], [1]],
      [[9, 10, 11, 12], [-100, 10, 11, 12], [1]],
      [
        [1, 2, 13, 14],
        [-100, 2, -100, 14],
        [0, 1],
      ],
    ]);
    expect(split.stats).toMatchObject({ tokens: 12, efficiency: 1, discardedTokens: 0 });
  });

  it('never lets a shifted label cross an example boundary (random examples)', () => {
    const rng = createRng(7);
    const random: PackExample[] = Array.from({ length: 200 }, (_, i) => {
      const inputIds = Array.from({ length: 1 + rng.int(40) }, (_, t) => i * 1000 + t);
      return { inputIds, labels: inputIds.map((id) => (rng.next() < 0.3 ? -100 : id)) };
    });
    for (const strategy of ['greedy', 'first-fit-decreasing'] as const) {
      const { blocks } = packSequences(random, { blockSize: 64, padTokenId: -1, strategy });
      const seen = new Set<number>();
      for (const block of blocks) {
        expect(block.inputIds).toHaveLength(64);
        for (let t = 0; t + 1 < 64; t++) {
          // Logits at t are scored against labels[t + 1]: both must be in the same example.
          if (block.labels[t + 1] !== -100)
            expect(block.sequenceIds[t]).toBe(block.sequenceIds[t + 1]);
        }
        block.inputIds.forEach((id, t) => {
          if (block.sequenceIds[t] === 0) return;
          seen.add(id);
          const example = random[Math.floor(id / 1000)] as PackExample;
          const label = example.labels?.[id % 1000];
          expect(block.labels[t]).toBe(block.positionIds[t] === 0 ? -100 : label);
        });
      }
      expect(seen.size).toBe(random.reduce((n, e) => n + e.inputIds.length, 0));
    }
    // First-fit-decreasing never needs more blocks than input-order greedy.
    const greedy = packSequences(random, {
      blockSize: 64,
      padTokenId: 0,
      strategy: 'greedy',
    }).stats;
    const ffd = packSequences(random, { blockSize: 64, padTokenId: 0 }).stats;
    expect(ffd.blocks).toBeLessThanOrEqual(greedy.blocks);
    expect(ffd.efficiency).toBeGreaterThan(0.95);
  });

  it('rejects bad options and malformed examples', () => {
    const cases: Array<[unknown, Record<string, unknown>, string]> = [
      [examples, { blockSize: 0, padTokenId: 0 }, 'blockSize'],
      [examples, { blockSize: 4.5, padTokenId: 0 }, 'blockSize'],
      [examples, { blockSize: 8 }, 'padTokenId'],
      [examples, { blockSize: 8, padTokenId: 0, strategy: 'best-fit' }, 'strategy'],
      [examples, { blockSize: 8, padTokenId: 0, overflow: 'wrap' }, 'overflow'],
      ['x', { blockSize: 8, padTokenId: 0 }, 'examples'],
      [
        [{ inputIds: [1] }, { inputIds: [] }],
        { blockSize: 8, padTokenId: 0 },
        'examples[1].inputIds',
      ],
      [[{ inputIds: [1, 2], labels: [1] }], { blockSize: 8, padTokenId: 0 }, 'examples[0].labels'],
    ];
    for (const [input, options, field] of cases) {
      expect(() => packSequences(input as PackExample[], options as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      );
    }
  });
});

describe('blockAttentionMask', () => {
  it('is block-diagonal and causal, with padding attending only to itself', () => {
    const { blocks } = packSequences(examples, { blockSize: 8, padTokenId: 0 });
    const rows = (mask: Uint8Array) =>
      Array.from({ length: 8 }, (_, i) => Array.from(mask.slice(i * 8, i * 8 + 8)).join(''));
    expect(rows(blockAttentionMask(blocks[1] as never))).toEqual([
      '10000000',
      '11000000',
      '11100000',
      '11110000',
      '00001000',
      '00001100',
      '00000010',
      '00000001',
    ]);
    expect(rows(blockAttentionMask(blocks[0] as never))).toEqual([
      '10000000',
      '11000000',
      '11100000',
      '11110000',
      '11111000',
      '00000100',
      '00000110',
      '00000111',
    ]);
  });
});
