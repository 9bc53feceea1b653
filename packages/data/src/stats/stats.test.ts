// Dataset stats checked against hand-computed values; percentiles and histograms follow NumPy's
// defaults (np.percentile linear method, np.histogram equal-width bins).
import { describe, expect, it } from 'vitest';
import { DataError, type DataRecord, datasetStats, formatStats, percentile } from '../index.js';

const records: DataRecord[] = [
  { text: 'the cat sat', label: 'pos', score: 1 }, // 11 chars, 3 words
  { text: 'a', label: 'neg', score: 2.5 }, // 1 char, 1 word
  { text: 'hello  world', label: 'pos', score: null }, // 12 chars, 2 words
  { text: 'ሰላም ለዓለም', label: null, extra: [1] }, // 3 + 1 + 4 = 8 code points, 2 words
  { text: '😀 ok', label: 'pos', score: 3 }, // 4 code points (5 UTF-16 units), 2 words
];

describe('percentile', () => {
  it('interpolates linearly like numpy.percentile', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    // h = 4·0.4 = 1.6 → 20 + 0.6·(35 − 20) = 29
    expect(percentile([15, 20, 35, 40, 50], 40)).toBeCloseTo(29, 12);
    expect(percentile([15, 20, 35, 40, 50], 0)).toBe(15);
    expect(percentile([15, 20, 35, 40, 50], 100)).toBe(50);
    expect(percentile([7], 95)).toBe(7);
    expect(() => percentile([], 50)).toThrow(DataError);
    expect(() => percentile([1], 101)).toThrow(/between 0 and 100/);
  });
});

describe('datasetStats', () => {
  it('reports fields, text lengths and labels as computed by hand', async () => {
    const stats = await datasetStats(records, { labelField: 'label', bins: 4 });
    expect(stats.records).toBe(5);
    expect(stats.fields).toEqual({
      text: { present: 5, nulls: 0, types: { string: 5 } },
      label: { present: 5, nulls: 1, types: { string: 4 } },
      score: { present: 4, nulls: 1, types: { integer: 2, float: 1 } },
      extra: { present: 1, nulls: 0, types: { array: 1 } },
    });
    expect(Object.keys(stats.text)).toEqual(['text']);
    // chars sorted [1, 4, 8, 11, 12]: p50 = 8; p95 at h = 3.8 → 11 + 0.8 = 11.8.
    // Bins of width 11/4 = 2.75 from 1: [1, 3.75) [3.75, 6.5) [6.5, 9.25) [9.25, 12].
    expect(stats.text.text).toEqual({
      values: 5,
      chars: {
        count: 5,
        min: 1,
        max: 12,
        mean: 7.2,
        p50: 8,
        p95: expect.closeTo(11.8, 12),
        histogram: { edges: [1, 3.75, 6.5, 9.25, 12], counts: [1, 1, 1, 2] },
      },
      // words sorted [1, 2, 2, 2, 3]: p95 = 2 + 0.8 = 2.8; bins [1, 1.5) [1.5, 2) [2, 2.5) [2.5, 3].
      words: {
        count: 5,
        min: 1,
        max: 3,
        mean: 2,
        p50: 2,
        p95: expect.closeTo(2.8, 12),
        histogram: { edges: [1, 1.5, 2, 2.5, 3], counts: [1, 0, 3, 1] },
      },
    });
    expect(stats.labels).toEqual({
      field: 'label',
      counts: { pos: 3, neg: 1 },
      shares: { pos: 0.75, neg: 0.25 },
      missing: 1,
    });
  });

  it('reads async iterables and picks string-only fields as text when not told', async () => {
    async function* stream(): AsyncGenerator<DataRecord> {
      yield* records;
    }
    const stats = await datasetStats(stream());
    // Without a label field, label (strings and a null) is text too; score is not.
    expect(Object.keys(stats.text)).toEqual(['text', 'label']);
    expect(stats.text.label!.chars).toMatchObject({ count: 4, min: 3, max: 3 });
    expect(stats.labels).toBeNull();
  });

  it('bins equal values around them like numpy.histogram', async () => {
    const stats = await datasetStats([{ t: 'abcde' }, { t: 'vwxyz' }, { t: '12345' }], { bins: 2 });
    expect(stats.text.t!.chars.histogram).toEqual({ edges: [4.5, 5, 5.5], counts: [0, 3] });
  });

  it('measures only the named text fields, skipping non-strings, with null stats when empty', async () => {
    const stats = await datasetStats([{ a: 'one two', b: 5 }, { a: 7 }, { a: 'three' }], {
      textFields: ['a', 'missing'],
      bins: 1,
    });
    expect(stats.text.a).toMatchObject({
      values: 2,
      chars: { min: 5, max: 7, mean: 6, histogram: { edges: [5, 7], counts: [2] } },
      words: { min: 1, max: 2 },
    });
    expect(stats.text.missing).toEqual({
      values: 0,
      chars: {
        count: 0,
        min: null,
        max: null,
        mean: null,
        p50: null,
        p95: null,
        histogram: { edges: [], counts: [] },
      },
      words: {
        count: 0,
        min: null,
        max: null,
        mean: null,
        p50: null,
        p95: null,
        histogram: { edges: [], counts: [] },
      },
    });
  });

  it('keys non-string labels by their JSON text', async () => {
    const stats = await datasetStats([{ y: 1 }, { y: 1 }, { y: true }, {}], { labelField: 'y' });
    expect(stats.labels).toEqual({
      field: 'y',
      counts: { '1': 2, true: 1 },
      shares: { '1': 2 / 3, true: 1 / 3 },
      missing: 1,
    });
  });

  it('rejects bad options and records', async () => {
    await expect(datasetStats([], { bins: 0 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'bins',
    });
    await expect(datasetStats([], { textFields: 'text' as never })).rejects.toThrow(
      /array of field names/,
    );
    await expect(datasetStats([{ a: 1 }, [1, 2] as never])).rejects.toMatchObject({ line: 2 });
  });
});

describe('formatStats', () => {
  it('writes a readable summary', async () => {
    const stats = await datasetStats(records, { labelField: 'label', bins: 4 });
    const text = formatStats(stats);
    const lines = text.split('\n');
    expect(lines[0]).toBe('5 records, 4 fields');
    expect(lines).toContain('  score  present 4/5 (80.0%)  nulls 1  types integer 2, float 1');
    expect(lines).toContain('  chars  min 1  p50 8  mean 7.2  p95 11.8  max 12');
    expect(lines).toContain('    [9.25, 12]  2 ####################');
    expect(lines).toContain('    [3.75, 6.5) 1 ##########');
    expect(lines).toContain('labels "label" (2 classes, 1 missing):');
    expect(lines).toContain('  pos  3  75.0%');
    expect(formatStats(await datasetStats([]))).toBe('0 records, 0 fields');
  });
});
