import { describe, expect, it } from 'vitest';
import { createFixtureTokenizer } from '../chat/fixture-tokenizer.js';
import { alignLabels, decodeEntities, encodeWords } from '../index.js';

const tokenizer = createFixtureTokenizer({
  vocab: [
    'Abebe',
    'lives',
    'in',
    'Ad',
    '##dis',
    'Aba',
    '##ba',
    '.',
    'U',
    'S',
    'visited',
    'Stock',
    '##holm',
  ],
});
const labelToId = { O: 0, 'B-PER': 1, 'I-PER': 2, 'B-LOC': 3, 'I-LOC': 4 };
const idToLabel = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC'];
const words = ['Abebe', 'lives', 'in', 'Addis', 'Ababa', '.'];
const wordLabels = ['B-PER', 'O', 'O', 'B-LOC', 'I-LOC', 'O'];

describe('encodeWords', () => {
  it('keeps word ids and word offsets for pre-split words', () => {
    const encoding = encodeWords(tokenizer, words);
    expect(encoding.text).toBe('Abebe lives in Addis Ababa .');
    expect(encoding.tokens).toEqual([
      '[CLS]',
      'Abebe',
      'lives',
      'in',
      'Ad',
      '##dis',
      'Aba',
      '##ba',
      '.',
      '[SEP]',
    ]);
    expect(encoding.wordIds).toEqual([null, 0, 1, 2, 3, 3, 4, 4, 5, null]);
    expect(encoding.wordOffsets).toEqual([
      [0, 5],
      [6, 11],
      [12, 14],
      [15, 20],
      [21, 26],
      [27, 28],
    ]);
  });

  it('keeps one word id for a word the pre-tokenizer splits further', () => {
    const encoding = encodeWords(tokenizer, ['U.S.', 'visited'], { addSpecialTokens: false });
    expect(encoding.tokens).toEqual(['U', '.', 'S', '.', 'visited']);
    expect(encoding.wordIds).toEqual([0, 0, 0, 0, 1]);
  });

  it('rejects malformed words', () => {
    expect(() => encodeWords(tokenizer, 'Abebe lives' as unknown as string[])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'words' }),
    );
    expect(() => encodeWords(tokenizer, ['Abebe', 3 as unknown as string])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'words[1]' }),
    );
  });
});

describe('alignLabels', () => {
  const encoding = encodeWords(tokenizer, words);

  it("labels only each word's first token with strategy 'first'", () => {
    // [CLS] Abebe lives in Ad ##dis Aba ##ba . [SEP]
    expect(alignLabels(encoding, wordLabels, { labelToId })).toEqual([
      -100, 1, 0, 0, 3, -100, 4, -100, 0, -100,
    ]);
  });

  it("labels continuation tokens with I-X under 'all' (B-LOC word: Ad=B-LOC, ##dis=I-LOC)", () => {
    expect(alignLabels(encoding, wordLabels, { labelToId, strategy: 'all' })).toEqual([
      -100, 1, 0, 0, 3, 4, 4, 4, 0, -100,
    ]);
    // Numeric labels: B→I through labelToId, or copied unchanged without it.
    const ids = [1, 0, 0, 3, 4, 0];
    expect(alignLabels(encoding, ids, { labelToId, strategy: 'all' })).toEqual([
      -100, 1, 0, 0, 3, 4, 4, 4, 0, -100,
    ]);
    expect(alignLabels(encoding, ids, { strategy: 'all', ignoreIndex: -1 })).toEqual([
      -1, 1, 0, 0, 3, 3, 4, 4, 0, -1,
    ]);
  });

  it('ignores the tokens of a pair sequence', () => {
    const pair = tokenizer.encode('Abebe', { pair: 'Addis' });
    expect(pair.tokens).toEqual(['[CLS]', 'Abebe', '[SEP]', 'Ad', '##dis', '[SEP]']);
    expect(alignLabels(pair, ['B-PER'], { labelToId })).toEqual([-100, 1, -100, -100, -100, -100]);
  });

  it('rejects mismatched or unknown labels', () => {
    expect(() => alignLabels(encoding, wordLabels.slice(0, 4), { labelToId })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/word 4 but only 4 labels/),
      }),
    );
    expect(() => alignLabels(encoding, wordLabels)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'labelToId' }),
    );
    expect(() =>
      alignLabels(encoding, ['B-PER', 'O', 'O', 'B-ORG', 'O', 'O'], { labelToId }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', field: 'wordLabels[3]' }));
    // B-X needs I-X in labelToId for continuation tokens.
    expect(() =>
      alignLabels(encoding, wordLabels, {
        labelToId: { O: 0, 'B-PER': 1, 'B-LOC': 3 },
        strategy: 'all',
      }),
    ).toThrow(/"I-LOC" is not in labelToId/);
    expect(() =>
      alignLabels(encoding, wordLabels, { labelToId, strategy: 'every' as 'all' }),
    ).toThrow(expect.objectContaining({ field: 'strategy' }));
  });
});

describe('decodeEntities', () => {
  it('decodes per-token labels into entities with exact character spans', () => {
    const text = 'Abebe lives in Addis Ababa.';
    const encoding = tokenizer.encode(text);
    expect(encoding.offsets).toEqual([
      [0, 0],
      [0, 5],
      [6, 11],
      [12, 14],
      [15, 17],
      [17, 20],
      [21, 24],
      [24, 26],
      [26, 27],
      [0, 0],
    ]);
    // Continuation tokens' predictions are ignored under 'first'.
    const predictions = ['O', 'B-PER', 'O', 'O', 'B-LOC', 'O', 'I-LOC', 'B-PER', 'O', 'B-PER'];
    expect(decodeEntities(encoding, predictions, { text })).toEqual([
      { label: 'PER', start: 0, end: 5, text: 'Abebe', words: [0, 1] },
      { label: 'LOC', start: 15, end: 26, text: 'Addis Ababa', words: [3, 5] },
    ]);
    // Label ids work the same with idToLabel; a dangling I-LOC after O opens an entity.
    const ids = [0, 0, 0, 0, 0, 0, 4, 4, 0, 0];
    expect(decodeEntities(encoding, ids, { text, idToLabel })).toEqual([
      { label: 'LOC', start: 21, end: 26, text: 'Ababa', words: [4, 5] },
    ]);
  });

  it('uses the word offsets of encodeWords and splits adjacent B- entities', () => {
    const encoding = encodeWords(tokenizer, words);
    const predictions = [0, 3, 0, 0, 3, 0, 3, 0, 0, 0].map((id) => idToLabel[id] as string);
    expect(decodeEntities(encoding, predictions)).toEqual([
      { label: 'LOC', start: 0, end: 5, text: 'Abebe', words: [0, 1] },
      { label: 'LOC', start: 15, end: 20, text: 'Addis', words: [3, 4] },
      { label: 'LOC', start: 21, end: 26, text: 'Ababa', words: [4, 5] },
    ]);
  });

  it("aggregates score rows with 'first', 'max' and 'average'", () => {
    const text = 'Addis Ababa';
    const encoding = tokenizer.encode(text); // [CLS] Ad ##dis Aba ##ba [SEP]
    // Log-probabilities, so softmax gives back exactly these probabilities.
    const p = (...probs: number[]) => probs.map(Math.log);
    const rows = [
      p(1, 0, 0, 0, 0),
      p(0.5, 0, 0, 0.4, 0.1), // Ad: O by a little
      p(0.05, 0, 0, 0.9, 0.05), // ##dis: B-LOC, confidently
      p(0.1, 0, 0, 0.1, 0.8), // Aba: I-LOC
      p(0.1, 0, 0, 0.1, 0.8), // ##ba: I-LOC
      p(1, 0, 0, 0, 0),
    ];
    // first: Addis → O (0.5), Ababa → I-LOC (0.8) opens an entity.
    expect(decodeEntities(encoding, rows, { text, idToLabel, aggregation: 'first' })).toEqual([
      {
        label: 'LOC',
        start: 6,
        end: 11,
        text: 'Ababa',
        words: [1, 2],
        score: expect.closeTo(0.8, 12),
      },
    ]);
    // max: Addis → B-LOC (0.9 from ##dis), Ababa → I-LOC (0.8); score = mean(0.9, 0.8).
    expect(decodeEntities(encoding, rows, { text, idToLabel, aggregation: 'max' })).toEqual([
      {
        label: 'LOC',
        start: 0,
        end: 11,
        text: 'Addis Ababa',
        words: [0, 2],
        score: expect.closeTo(0.85, 12),
      },
    ]);
    // average: Addis → mean(O .275, B-LOC .65, I-LOC .075) = B-LOC .65; Ababa → I-LOC .8.
    const average = decodeEntities(encoding, rows, { text, idToLabel, aggregation: 'average' });
    expect(average[0]).toMatchObject({ label: 'LOC', text: 'Addis Ababa', words: [0, 2] });
    expect(average[0]?.score).toBeCloseTo((0.65 + 0.8) / 2, 12);
  });

  it('rejects malformed predictions and options', () => {
    const text = 'Addis Ababa';
    const encoding = tokenizer.encode(text);
    expect(() => decodeEntities(encoding, ['O'], { text })).toThrow(
      expect.objectContaining({ field: 'predictions' }),
    );
    expect(() => decodeEntities(encoding, ['O', 'B-LOC', 'O', 'LOC', 'O', 'O'], { text })).toThrow(
      /"LOC" is not IOB2/,
    );
    expect(() => decodeEntities(encoding, [0, 9, 0, 0, 0, 0], { text, idToLabel })).toThrow(
      /label id 9/,
    );
    expect(() => decodeEntities(encoding, new Array(6).fill('O'))).toThrow(
      expect.objectContaining({ field: 'text' }),
    );
    expect(() => decodeEntities(encoding, new Array(6).fill('O'), { text: 'Addis' })).toThrow(
      expect.objectContaining({ field: 'text' }),
    );
    expect(() =>
      decodeEntities(encoding, new Array(6).fill('O'), { text, aggregation: 'max' }),
    ).toThrow(expect.objectContaining({ field: 'aggregation' }));
  });
});
