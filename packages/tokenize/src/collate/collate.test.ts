import { createRng } from '@ft/data';
import { describe, expect, it } from 'vitest';
import { type CollateExample, collate, createBatches, paddingRatio } from '../index.js';

const examples: CollateExample[] = [
  { inputIds: [5, 6, 7], labels: [-100, 6, 7] },
  { inputIds: [8], labels: [8] },
];

describe('collate', () => {
  it('pads right into int64 tensors', () => {
    const batch = collate(examples, { padTokenId: 0 });
    expect(batch.inputIds).toEqual({
      dtype: 'int64',
      dims: [2, 3],
      data: BigInt64Array.from([5n, 6n, 7n, 8n, 0n, 0n]),
    });
    expect(batch.attentionMask.data).toEqual(BigInt64Array.from([1n, 1n, 1n, 1n, 0n, 0n]));
    expect(batch.labels?.data).toEqual(BigInt64Array.from([-100n, 6n, 7n, 8n, -100n, -100n]));
    expect(batch.tokenTypeIds).toBeUndefined();
    expect(batch.positionIds).toBeUndefined();
  });

  it('pads left into int32 tensors, to a multiple, with every optional field', () => {
    const batch = collate(
      [
        {
          inputIds: [5, 6, 7],
          attentionMask: [1, 1, 1],
          labels: [-100, 6, 7],
          tokenTypeIds: [0, 1, 1],
          positionIds: [0, 1, 2],
        },
        { inputIds: [8], attentionMask: [1], labels: [8], tokenTypeIds: [1], positionIds: [0] },
      ],
      { padTokenId: 9, dtype: 'int32', paddingSide: 'left', padToMultipleOf: 4, labelPadId: -1 },
    );
    expect(batch.inputIds).toEqual({
      dtype: 'int32',
      dims: [2, 4],
      data: Int32Array.from([9, 5, 6, 7, 9, 9, 9, 8]),
    });
    expect(batch.attentionMask.data).toEqual(Int32Array.from([0, 1, 1, 1, 0, 0, 0, 1]));
    expect(batch.labels?.data).toEqual(Int32Array.from([-1, -100, 6, 7, -1, -1, -1, 8]));
    expect(batch.tokenTypeIds?.data).toEqual(Int32Array.from([0, 0, 1, 1, 0, 0, 0, 1]));
    expect(batch.positionIds?.data).toEqual(Int32Array.from([0, 0, 1, 2, 0, 0, 0, 0]));
  });

  it('rejects inconsistent examples and bad options', () => {
    const cases: Array<[unknown, Record<string, unknown>, string]> = [
      [[], { padTokenId: 0 }, 'examples'],
      [
        [{ inputIds: [1] }, { inputIds: [2], labels: [2] }],
        { padTokenId: 0 },
        'examples[1].labels',
      ],
      [
        [{ inputIds: [1], labels: [1] }, { inputIds: [2] }],
        { padTokenId: 0 },
        'examples[1].labels',
      ],
      [[{ inputIds: [1, 2], attentionMask: [1] }], { padTokenId: 0 }, 'examples[0].attentionMask'],
      [[{ labels: [1] }], { padTokenId: 0 }, 'examples[0].inputIds'],
      [[{ inputIds: [1.5] }], { padTokenId: 0 }, 'examples[0]'],
      [examples, {}, 'padTokenId'],
      [examples, { padTokenId: 0, dtype: 'float32' }, 'dtype'],
      [examples, { padTokenId: 0, paddingSide: 'middle' }, 'paddingSide'],
      [examples, { padTokenId: 0, padToMultipleOf: 0 }, 'padToMultipleOf'],
    ];
    for (const [input, options, field] of cases) {
      expect(() => collate(input as CollateExample[], options as never)).toThrow(
        expect.objectContaining({ code: 'INVALID_ARGUMENT', field }),
      );
    }
  });
});

/** Skewed lengths: mostly short, a long tail (log-normal through Box–Muller). */
function skewedLengths(n: number, seed: number): number[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
    return Math.max(1, Math.round(Math.exp(4 + z)));
  });
}

describe('createBatches', () => {
  const lengths = skewedLengths(1000, 3);

  it('is deterministic per seed and epoch, and covers every example exactly once', () => {
    const a = createBatches(lengths, { batchSize: 32, seed: 1 });
    expect(createBatches(lengths, { batchSize: 32, seed: 1 })).toEqual(a);
    expect(createBatches(lengths, { batchSize: 32, seed: 2 })).not.toEqual(a);
    expect(createBatches(lengths, { batchSize: 32, seed: 1, epoch: 1 })).not.toEqual(a);
    for (const groupByLength of [false, true]) {
      const batches = createBatches(lengths, {
        batchSize: 32,
        seed: 1,
        groupByLength,
        bucketMultiplier: 4,
      });
      expect(batches).toHaveLength(32);
      expect(batches.map((b) => b.length).sort((x, y) => y - x)).toEqual([
        ...new Array(31).fill(32),
        8,
      ]);
      expect(batches.flat().sort((x, y) => x - y)).toEqual(lengths.map((_, i) => i));
    }
  });

  it('keeps input order without shuffle and drops the short last batch with dropLast', () => {
    expect(createBatches([3, 1, 4, 1, 5], { batchSize: 2, shuffle: false })).toEqual([
      [0, 1],
      [2, 3],
      [4],
    ]);
    expect(
      createBatches([3, 1, 4, 1, 5], { batchSize: 2, shuffle: false, dropLast: true }),
    ).toEqual([
      [0, 1],
      [2, 3],
    ]);
    // Grouped without shuffle: one megabatch sorted longest first ([4, 2, 0, 1, 3]).
    expect(
      createBatches(
        [
          { inputIds: [1, 1, 1] },
          { inputIds: [1] },
          { inputIds: [1, 1, 1, 1] },
          { inputIds: [1] },
          { inputIds: [1, 1, 1, 1, 1] },
        ],
        {
          batchSize: 2,
          shuffle: false,
          groupByLength: true,
        },
      ),
    ).toEqual([[4, 2], [0, 1], [3]]);
  });

  it('groups by length: sorted megabatches, the longest example first, far less padding', () => {
    const grouped = createBatches(lengths, {
      batchSize: 32,
      seed: 5,
      groupByLength: true,
      bucketMultiplier: 8,
    });
    const fullySorted = createBatches(lengths, { batchSize: 32, seed: 5, groupByLength: true });
    const random = createBatches(lengths, { batchSize: 32, seed: 5 });
    expect(lengths[grouped[0]?.[0] as number]).toBe(Math.max(...lengths));
    for (const batch of grouped) {
      const l = batch.map((i) => lengths[i] as number);
      expect(l).toEqual([...l].sort((x, y) => y - x));
    }
    const groupedRatio = paddingRatio(grouped, lengths);
    const randomRatio = paddingRatio(random, lengths);
    // The long tail dominates padding: small megabatches help, one 1600-example megabatch (all 1000) helps most.
    expect(randomRatio).toBeGreaterThan(0.7);
    expect(groupedRatio).toBeLessThan(randomRatio * 0.7);
    expect(paddingRatio(fullySorted, lengths)).toBeLessThan(groupedRatio / 2);
  });

  it('rejects bad options', () => {
    expect(() => createBatches(lengths, { batchSize: 0 })).toThrow(
      expect.objectContaining({ field: 'batchSize' }),
    );
    expect(() => createBatches(lengths, { batchSize: 2, bucketMultiplier: 0.5 })).toThrow(
      expect.objectContaining({ field: 'bucketMultiplier' }),
    );
    expect(() => createBatches(lengths, { batchSize: 2, epoch: -1 })).toThrow(
      expect.objectContaining({ field: 'epoch' }),
    );
    expect(() => createBatches([1, -2], { batchSize: 2 })).toThrow(
      expect.objectContaining({ field: 'examples[1]' }),
    );
    expect(() => createBatches('abc' as never, { batchSize: 2 })).toThrow(
      expect.objectContaining({ field: 'examples' }),
    );
  });
});

describe('paddingRatio', () => {
  it('counts pad tokens over all tokens, per-batch padded to the longest', () => {
    // Batch [2, 4] pads to 4 → 8 slots, 6 tokens; batch [3] → 3 slots. (11 − 9) / 11.
    expect(paddingRatio([[0, 1], [2]], [2, 4, 3])).toBeCloseTo(2 / 11, 15);
    // To a multiple of 4: 8 + 4 slots, 9 tokens.
    expect(paddingRatio([[0, 1], [2]], [2, 4, 3], { padToMultipleOf: 4 })).toBeCloseTo(3 / 12, 15);
    expect(paddingRatio([], [])).toBe(0);
    expect(() => paddingRatio([[0, 3]], [1, 2])).toThrow(
      expect.objectContaining({ field: 'batches[0]' }),
    );
  });
});
