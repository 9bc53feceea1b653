// encodeBatch: every padding/truncation mode, overflow windows, pairs, dtypes and option errors,
// checked against hand-computed arrays on a tiny BERT-style vocabulary.
import { describe, expect, it } from 'vitest';
import { createTokenizer, TokenizeError, type Tokenizer } from '../index.js';
import { makeBpeTokenizerJson, makeWordPieceTokenizerJson } from './fixtures.js';

// [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then a=5 b=6 c=7 d=8 e=9 f=10 g=11 h=12.
const LETTERS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];

function bert(config: Record<string, unknown> = {}): Tokenizer {
  return createTokenizer({
    tokenizerJson: makeWordPieceTokenizerJson(LETTERS),
    tokenizerConfig: { pad_token: '[PAD]', cls_token: '[CLS]', sep_token: '[SEP]', ...config },
  });
}

/** Tensor data as rows of plain numbers. */
function rows(tensor: { data: Int32Array | BigInt64Array; dims: [number, number] }): number[][] {
  const [n, len] = tensor.dims;
  const values = Array.from(tensor.data as ArrayLike<number | bigint>, Number);
  return Array.from({ length: n }, (_, r) => values.slice(r * len, (r + 1) * len));
}

function expectError(fn: () => unknown, code: string, pattern: RegExp): TokenizeError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TokenizeError);
  const error = caught as TokenizeError;
  expect(error.code).toBe(code);
  expect(error.message).toMatch(pattern);
  return error;
}

describe('padding', () => {
  it('pads to the longest row on the right by default, with masks, offsets and word ids', () => {
    const batch = bert().encodeBatch(['a b', 'c d e f'], { padding: 'longest' });
    expect(batch.inputIds.dims).toEqual([2, 6]);
    expect(batch.inputIds.data).toBeInstanceOf(BigInt64Array);
    expect(rows(batch.inputIds)).toEqual([
      [2, 5, 6, 3, 0, 0],
      [2, 7, 8, 9, 10, 3],
    ]);
    expect(rows(batch.attentionMask)).toEqual([
      [1, 1, 1, 1, 0, 0],
      [1, 1, 1, 1, 1, 1],
    ]);
    expect(rows(batch.specialTokensMask)).toEqual([
      [1, 0, 0, 1, 1, 1],
      [1, 0, 0, 0, 0, 1],
    ]);
    expect(batch.tokenTypeIds && rows(batch.tokenTypeIds)).toEqual([
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0],
    ]);
    expect(batch.offsets[0]).toEqual([
      [0, 0],
      [0, 1],
      [2, 3],
      [0, 0],
      [0, 0],
      [0, 0],
    ]);
    expect(batch.offsets[1]).toEqual([
      [0, 0],
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [0, 0],
    ]);
    expect(batch.wordIds).toEqual([
      [null, 0, 1, null, null, null],
      [null, 0, 1, 2, 3, null],
    ]);
    expect(batch.sequenceIds[0]).toEqual([null, 0, 0, null, null, null]);
    expect(batch.overflowToSample).toBeUndefined();
  });

  it('pads on the left when asked, or when tokenizer_config.json says padding_side "left"', () => {
    const expected = [
      [0, 0, 2, 5, 6, 3],
      [2, 7, 8, 9, 10, 3],
    ];
    const explicit = bert().encodeBatch(['a b', 'c d e f'], {
      padding: 'longest',
      paddingSide: 'left',
    });
    expect(rows(explicit.inputIds)).toEqual(expected);
    expect(rows(explicit.attentionMask)[0]).toEqual([0, 0, 1, 1, 1, 1]);
    expect(explicit.wordIds[0]).toEqual([null, null, null, 0, 1, null]);
    expect(explicit.offsets[0]?.[3]).toEqual([0, 1]);
    const fromConfig = bert({ padding_side: 'left' }).encodeBatch(['a b', 'c d e f'], {
      padding: 'longest',
    });
    expect(rows(fromConfig.inputIds)).toEqual(expected);
  });

  it("pads to maxLength with 'max_length', and rounds up to padToMultipleOf", () => {
    const fixed = bert().encodeBatch(['a', 'b c'], { padding: 'max_length', maxLength: 6 });
    expect(rows(fixed.inputIds)).toEqual([
      [2, 5, 3, 0, 0, 0],
      [2, 6, 7, 3, 0, 0],
    ]);
    const multiple = bert().encodeBatch(['a b', 'c d e f'], {
      padding: 'longest',
      padToMultipleOf: 4,
    });
    expect(multiple.inputIds.dims).toEqual([2, 8]);
    expect(rows(multiple.inputIds)[1]).toEqual([2, 7, 8, 9, 10, 3, 0, 0]);
    const fixedMultiple = bert().encodeBatch(['a'], {
      padding: 'max_length',
      maxLength: 5,
      padToMultipleOf: 4,
    });
    expect(fixedMultiple.inputIds.dims).toEqual([1, 8]);
  });

  it("uses model_max_length for 'max_length' padding when maxLength is not given", () => {
    const batch = bert({ model_max_length: 5 }).encodeBatch(['a'], { padding: 'max_length' });
    expect(rows(batch.inputIds)).toEqual([[2, 5, 3, 0, 0]]);
  });

  it('returns unpadded rows when they all have the same length', () => {
    const batch = bert().encodeBatch(['a b', 'c d']);
    expect(rows(batch.inputIds)).toEqual([
      [2, 5, 6, 3],
      [2, 7, 8, 3],
    ]);
    expect(rows(batch.attentionMask)).toEqual([
      [1, 1, 1, 1],
      [1, 1, 1, 1],
    ]);
  });

  it('accepts an explicit padToken for tokenizers without one', () => {
    const tokenizer = createTokenizer({ tokenizerJson: makeWordPieceTokenizerJson(LETTERS) });
    const batch = tokenizer.encodeBatch(['a', 'b c'], { padding: 'longest', padToken: '[MASK]' });
    expect(rows(batch.inputIds)[0]).toEqual([2, 5, 3, 4]);
  });

  it('encodes an empty batch to [0, 0] tensors', () => {
    const batch = bert().encodeBatch([], { padding: 'longest' });
    expect(batch.inputIds.dims).toEqual([0, 0]);
    expect(batch.inputIds.data.length).toBe(0);
    expect(batch.offsets).toEqual([]);
  });
});

describe('truncation', () => {
  it('cuts single texts on the right, or on the left', () => {
    const right = bert().encodeBatch(['a b c d e'], { truncation: 'longest_first', maxLength: 4 });
    expect(rows(right.inputIds)).toEqual([[2, 5, 6, 3]]);
    const left = bert().encodeBatch(['a b c d e'], {
      truncation: 'longest_first',
      maxLength: 4,
      truncationSide: 'left',
    });
    expect(rows(left.inputIds)).toEqual([[2, 8, 9, 3]]);
    expect(left.offsets[0]).toEqual([
      [0, 0],
      [6, 7],
      [8, 9],
      [0, 0],
    ]);
    const fromConfig = bert({ truncation_side: 'left' }).encodeBatch(['a b c d e'], {
      truncation: 'only_first',
      maxLength: 4,
    });
    expect(rows(fromConfig.inputIds)).toEqual([[2, 8, 9, 3]]);
  });

  it('defaults maxLength to model_max_length', () => {
    const batch = bert({ model_max_length: 5 }).encodeBatch(['a b c d e f', 'g'], {
      truncation: 'longest_first',
      padding: 'longest',
    });
    expect(rows(batch.inputIds)).toEqual([
      [2, 5, 6, 7, 3],
      [2, 11, 3, 0, 0],
    ]);
  });

  it('ignores a model_max_length of int(1e30), which means "no limit"', () => {
    const tokenizer = bert({ model_max_length: 1e30 });
    expect(tokenizer.modelMaxLength).toBeUndefined();
    expectError(
      () => tokenizer.encodeBatch(['a'], { truncation: 'longest_first' }),
      'INVALID_ARGUMENT',
      /needs maxLength/,
    );
  });

  it('truncates pairs longest_first, only_first and only_second, with token type ids', () => {
    const tokenizer = bert();
    // 3 + 2 tokens into 6 - 3 special tokens = 3: the engine keeps 2 of the first text and 1 of the second.
    const longest = tokenizer.encodeBatch([['a b c', 'd e']], {
      truncation: 'longest_first',
      maxLength: 6,
    });
    expect(rows(longest.inputIds)).toEqual([[2, 5, 6, 3, 8, 3]]);
    expect(longest.tokenTypeIds && rows(longest.tokenTypeIds)).toEqual([[0, 0, 0, 0, 1, 1]]);
    expect(longest.sequenceIds).toEqual([[null, 0, 0, null, 1, null]]);
    const onlyFirst = tokenizer.encodeBatch([['a b c d', 'e']], {
      truncation: 'only_first',
      maxLength: 6,
    });
    expect(rows(onlyFirst.inputIds)).toEqual([[2, 5, 6, 3, 9, 3]]);
    const onlySecond = tokenizer.encodeBatch([['a', 'b c d e']], {
      truncation: 'only_second',
      maxLength: 6,
    });
    expect(rows(onlySecond.inputIds)).toEqual([[2, 5, 3, 6, 7, 3]]);
    // Offsets of the pair point into the pair text.
    expect(onlySecond.offsets[0]).toEqual([
      [0, 0],
      [0, 1],
      [0, 0],
      [0, 1],
      [2, 3],
      [0, 0],
    ]);
  });

  it('mixes single texts and pairs in one batch', () => {
    const batch = bert().encodeBatch(['a b', ['c', 'd']], { padding: 'longest' });
    expect(rows(batch.inputIds)).toEqual([
      [2, 5, 6, 3, 0],
      [2, 7, 3, 8, 3],
    ]);
    expect(batch.tokenTypeIds && rows(batch.tokenTypeIds)).toEqual([
      [0, 0, 0, 0, 0],
      [0, 0, 0, 1, 1],
    ]);
  });

  it('reports a pair that cannot be cut to size with only_second', () => {
    const error = expectError(
      () =>
        bert().encodeBatch(
          [
            ['a', 'b'],
            ['a b c d e', 'f'],
          ],
          { truncation: 'only_second', maxLength: 6 },
        ),
      'INVALID_ARGUMENT',
      /input 1: the second text is too short to cut the pair down to maxLength/,
    );
    expect(error.field).toBe('truncation');
  });
});

describe('overflow windows', () => {
  it('splits a long text into windows overlapping by stride tokens, mapped back to their input', () => {
    const batch = bert().encodeBatch(['a b c d e f g h', 'a b'], {
      truncation: 'longest_first',
      maxLength: 6,
      stride: 2,
      returnOverflowing: true,
      padding: 'longest',
    });
    expect(rows(batch.inputIds)).toEqual([
      [2, 5, 6, 7, 8, 3],
      [2, 7, 8, 9, 10, 3],
      [2, 9, 10, 11, 12, 3],
      [2, 5, 6, 3, 0, 0],
    ]);
    expect(Array.from(batch.overflowToSample ?? [])).toEqual([0, 0, 0, 1]);
    expect(batch.offsets[1]?.slice(1, 5)).toEqual([
      [4, 5],
      [6, 7],
      [8, 9],
      [10, 11],
    ]);
    expect(batch.wordIds[2]).toEqual([null, 4, 5, 6, 7, null]);
  });

  it('covers a long document with windows whose overlaps are exactly `stride` tokens', () => {
    const words = Array.from({ length: 300 }, (_, i) => LETTERS[(i * 7 + Math.floor(i / 3)) % 8]);
    const doc = words.join(' ');
    const tokenizer = bert();
    const full = tokenizer.encode(doc, { addSpecialTokens: false }).ids;
    const maxLength = 32;
    const stride = 10;
    const batch = tokenizer.encodeBatch([doc, 'a'], {
      truncation: 'longest_first',
      maxLength,
      stride,
      returnOverflowing: true,
      padding: 'longest',
      dtype: 'int32',
    });
    const mapping = Array.from(batch.overflowToSample ?? []);
    const windows = rows(batch.inputIds)
      .filter((_, r) => mapping[r] === 0)
      .map((row) => row.filter((tokenId) => tokenId > 4));
    // 300 tokens, 30 per window, each step advances 30 - 10 = 20: ceil((300 - 30) / 20) + 1 = 15 windows.
    expect(windows.length).toBe(15);
    expect(mapping).toEqual([...Array(15).fill(0), 1]);
    for (const [k, window] of windows.entries()) {
      const start = k * (maxLength - 2 - stride);
      expect(window).toEqual(full.slice(start, start + maxLength - 2));
      if (k > 0) expect(window.slice(0, stride)).toEqual(windows[k - 1]?.slice(-stride));
    }
    expect(windows.at(-1)?.at(-1)).toBe(full.at(-1));
    // Offsets of every window point back into the document.
    for (const [r, rowOffsets] of batch.offsets.entries()) {
      if (mapping[r] !== 0) continue;
      for (const [j, [start, end]] of rowOffsets.entries()) {
        const tokenId = rows(batch.inputIds)[r]?.[j] ?? 0;
        if (tokenId > 4) expect(doc.slice(start, end)).toBe(LETTERS[tokenId - 5]);
      }
    }
  });

  it('makes windows for pairs: every combination of first-text and second-text windows', () => {
    const batch = bert().encodeBatch([['a b c', 'd e f g']], {
      truncation: 'only_second',
      maxLength: 8,
      stride: 1,
      returnOverflowing: true,
    });
    // Room for 8 - 3 - 3 = 2 tokens of the pair per window, stepping by 1.
    expect(rows(batch.inputIds)).toEqual([
      [2, 5, 6, 7, 3, 8, 9, 3],
      [2, 5, 6, 7, 3, 9, 10, 3],
      [2, 5, 6, 7, 3, 10, 11, 3],
    ]);
    expect(Array.from(batch.overflowToSample ?? [])).toEqual([0, 0, 0]);
  });
});

describe('dtypes', () => {
  it('gives the same values as int64 (default) and int32', () => {
    const inputs = ['a b c', ['d', 'e f']] as const;
    const wide = bert().encodeBatch([...inputs], { padding: 'longest' });
    const narrow = bert().encodeBatch([...inputs], { padding: 'longest', dtype: 'int32' });
    expect(wide.inputIds.data).toBeInstanceOf(BigInt64Array);
    expect(wide.inputIds.dtype).toBe('int64');
    expect(narrow.inputIds.data).toBeInstanceOf(Int32Array);
    expect(narrow.attentionMask.data).toBeInstanceOf(Int32Array);
    expect(narrow.tokenTypeIds?.data).toBeInstanceOf(Int32Array);
    for (const key of ['inputIds', 'attentionMask', 'tokenTypeIds', 'specialTokensMask'] as const) {
      const a = wide[key];
      const b = narrow[key];
      expect(a && rows(a)).toEqual(b && rows(b));
    }
    expect(Array.from(wide.inputIds.data)).toEqual([
      2n,
      5n,
      6n,
      7n,
      3n,
      0n,
      2n,
      8n,
      3n,
      9n,
      10n,
      3n,
    ]);
  });

  it('leaves tokenTypeIds out for models that do not use them, unless asked', () => {
    const roberta = createTokenizer({ tokenizerJson: makeBpeTokenizerJson(['a b']) });
    expect(roberta.usesTokenTypeIds).toBe(false);
    expect(roberta.encodeBatch(['ab']).tokenTypeIds).toBeUndefined();
    const asked = roberta.encodeBatch(['ab'], { returnTokenTypeIds: true });
    expect(asked.tokenTypeIds && rows(asked.tokenTypeIds)).toEqual([[0, 0, 0]]);
    const named = bert({ model_input_names: ['input_ids', 'attention_mask'] });
    expect(named.encodeBatch(['a']).tokenTypeIds).toBeUndefined();
  });
});

describe('option errors', () => {
  const tokenizer = bert();
  it.each([
    [{ padding: 'max_length' }, /padding 'max_length' needs maxLength/],
    [{ truncation: 'longest_first' }, /truncation needs maxLength/],
    [{ padding: 'longest', padToMultipleOf: 0 }, /padToMultipleOf must be an integer ≥ 1/],
    [{ padToMultipleOf: 8 }, /padToMultipleOf only applies/],
    [{ returnOverflowing: true }, /returnOverflowing needs truncation/],
    [{ truncation: 'longest_first', maxLength: 6, stride: 2 }, /set returnOverflowing: true/],
    [
      { truncation: 'longest_first', maxLength: 6, stride: 4, returnOverflowing: true },
      /stride 4 must be smaller.*\(4\)/,
    ],
    [{ truncation: 'longest_first', maxLength: 2 }, /leaves no room/],
    [{ maxLength: 0, truncation: 'longest_first' }, /maxLength must be an integer ≥ 1/],
    [{ padding: true }, /padding must be false, 'longest' or 'max_length'/],
    [{ truncation: 'sideways', maxLength: 4 }, /truncation must be false/],
    [{ dtype: 'float32' }, /dtype must be 'int64' or 'int32'/],
    [{ padding: 'longest', paddingSide: 'up' }, /paddingSide must be 'left' or 'right'/],
  ])('rejects %j', (options, pattern) => {
    expectError(
      () => tokenizer.encodeBatch(['a b c'], options as never),
      'INVALID_ARGUMENT',
      pattern,
    );
  });

  it("rejects 'only_second' when an input is not a pair", () => {
    expectError(
      () => tokenizer.encodeBatch([['a', 'b'], 'c'], { truncation: 'only_second', maxLength: 4 }),
      'INVALID_ARGUMENT',
      /input 1 is a single text/,
    );
  });

  it('rejects rows of different lengths without padding, and rows longer than max_length padding', () => {
    expectError(
      () => tokenizer.encodeBatch(['a', 'b c']),
      'INVALID_ARGUMENT',
      /rows 0 and 1 have different lengths \(3 and 4\)/,
    );
    expectError(
      () => tokenizer.encodeBatch(['a b c d'], { padding: 'max_length', maxLength: 4 }),
      'INVALID_ARGUMENT',
      /row 0 has 6 tokens, more than maxLength 4; turn on truncation/,
    );
  });

  it('rejects padding without a pad token, or with one outside the vocabulary', () => {
    const noPad = createTokenizer({ tokenizerJson: makeWordPieceTokenizerJson(LETTERS) });
    expectError(
      () => noPad.encodeBatch(['a'], { padding: 'longest' }),
      'UNKNOWN_TOKEN',
      /pass padToken/,
    );
    expectError(
      () => noPad.encodeBatch(['a'], { padding: 'longest', padToken: '<pad>' }),
      'UNKNOWN_TOKEN',
      /"<pad>" is not in the vocabulary/,
    );
  });

  it('rejects a stride that a pair window would not exceed (the engine would abort the process)', () => {
    // 2 + 7 tokens into 8 - 3 = 5: the first text keeps its 2, the second is cut to 3 ≤ stride 3.
    expectError(
      () =>
        tokenizer.encodeBatch([['a b', 'c d e f g h a']], {
          truncation: 'longest_first',
          maxLength: 8,
          stride: 3,
          returnOverflowing: true,
        }),
      'INVALID_ARGUMENT',
      /input 0: truncation leaves a window of 3 tokens, not longer than stride 3/,
    );
  });

  it('rejects malformed inputs', () => {
    expectError(
      () => tokenizer.encodeBatch([42 as never]),
      'INVALID_ARGUMENT',
      /inputs\[0\] must be a string/,
    );
    expectError(() => tokenizer.encodeBatch([['a'] as never]), 'INVALID_ARGUMENT', /inputs\[0\]/);
    expectError(
      () => tokenizer.encodeBatch('a b' as never),
      'INVALID_ARGUMENT',
      /inputs must be an array/,
    );
  });
});
