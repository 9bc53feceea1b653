// SFT feeds worked out by hand: first-fit packing, positions restarting per example, labels
// shifted to next-token targets only where the next token is trained on and in the same example.
import { describe, expect, it } from 'vitest';
import type { TensorData } from '../ir/types.js';
import {
  buildSftBatch,
  createSftBatchSource,
  packSftExamples,
  type SftExample,
} from './sft-batch.js';

const rows = (t: TensorData | undefined) => {
  const [r = 0, c = 0] = t?.dims ?? [];
  const values = Array.from(t?.data as BigInt64Array, Number);
  return Array.from({ length: r }, (_, i) => values.slice(i * c, (i + 1) * c));
};

const EXAMPLES: SftExample[] = [
  { inputIds: [5, 6, 7], assistantMask: [0, 1, 1] },
  { inputIds: [8, 9], labels: [-100, 9] },
  { inputIds: [3, 4, 5, 6] }, // no mask: every token trained on
];

describe('SFT batches', () => {
  it('packs first fit and writes ids, mask, restarting positions and shifted labels', () => {
    const feeds = buildSftBatch(EXAMPLES, { maxLength: 6 });
    expect(rows(feeds.input_ids)).toEqual([
      [5, 6, 7, 8, 9, 0],
      [3, 4, 5, 6, 0, 0],
    ]);
    expect(rows(feeds.attention_mask)).toEqual([
      [1, 1, 1, 1, 1, 0],
      [1, 1, 1, 1, 0, 0],
    ]);
    expect(rows(feeds.position_ids)).toEqual([
      [0, 1, 2, 0, 1, 0],
      [0, 1, 2, 3, 0, 0],
    ]);
    // Position t is scored on token t + 1 of its own example, only where that token is trained
    // on; an example's last token does not predict the next example's first.
    expect(rows(feeds.labels)).toEqual([
      [6, 7, -100, 9, -100, -100],
      [4, 5, 6, -100, -100, -100],
    ]);
  });

  it('first fit puts a short example into an earlier row with room; packing: false gives one per row', () => {
    const ex = (n: number): SftExample => ({
      inputIds: Array.from({ length: n }, (_, i) => i + 1),
    });
    const packed = packSftExamples([ex(4), ex(4), ex(2)], { maxLength: 6 });
    expect(packed.rows.map((r) => r.map((s) => [s.example, s.start, s.length]))).toEqual([
      [
        [0, 0, 4],
        [2, 4, 2],
      ],
      [[1, 0, 4]],
    ]);
    const unpacked = buildSftBatch(EXAMPLES, { maxLength: 5, packing: false, padTokenId: 1 });
    expect(rows(unpacked.input_ids)).toEqual([
      [5, 6, 7, 1, 1],
      [8, 9, 1, 1, 1],
      [3, 4, 5, 6, 1],
    ]);
    expect(rows(unpacked.position_ids)[1]).toEqual([0, 1, 0, 0, 0]);
  });

  it('a batch source serves packed rows by index', () => {
    const source = createSftBatchSource(EXAMPLES, { maxLength: 6 });
    expect(source.size).toBe(2);
    const batch = source.batch([1]) as Record<string, TensorData>;
    expect(rows(batch.labels)).toEqual([[4, 5, 6, -100, -100, -100]]);
    expect(() => source.batch([2])).toThrow(/row 2 does not exist: there are 2 packed rows/);
  });

  it('truncates or rejects long examples and names the example and field of bad input', () => {
    const long: SftExample = { inputIds: [1, 2, 3, 4, 5], assistantMask: [0, 0, 1, 1, 1] };
    expect(() => buildSftBatch([long], { maxLength: 4 })).toThrow(
      /example 0 has 5 tokens, more than maxLength 4; raise maxLength or pass overflow: 'truncate'/,
    );
    const cut = buildSftBatch([long], { maxLength: 4, overflow: 'truncate' });
    expect(rows(cut.input_ids)).toEqual([[1, 2, 3, 4]]);
    expect(rows(cut.labels)).toEqual([[-100, 3, 4, -100]]);
    const bad = (e: SftExample) => () =>
      buildSftBatch([EXAMPLES[0] as SftExample, e], { maxLength: 8 });
    expect(bad({ inputIds: [1, 2], labels: [1] })).toThrow(
      /example 1: labels has 1 entries but inputIds has 2/,
    );
    expect(bad({ inputIds: [1, 2], assistantMask: [1, 2] })).toThrow(
      /example 1: assistantMask must hold only 0 and 1/,
    );
    expect(bad({ inputIds: [1, 2], assistantMask: [1, 1], labels: [1, 2] })).toThrow(/not both/);
    expect(bad({ inputIds: [] })).toThrow(/example 1: inputIds must be a non-empty array/);
    expect(bad({ inputIds: [1, 2], labels: [-1, 2] })).toThrow(
      /labels must be token ids ≥ 0 or ignoreIndex \(-100\)/,
    );
    expect(() => buildSftBatch(EXAMPLES, { maxLength: 5, ignoreIndex: -1 })).toThrow(
      /example 1: labels/,
    );
    expect(() => buildSftBatch(EXAMPLES, { maxLength: 1 })).toThrow(
      /maxLength must be an integer > 1/,
    );
  });
});
