// The synthetic tasks themselves: labels recomputed independently, padding and next-token labels
// by hand, and the grammar's log-probabilities against hand-computed values and its entropy.
import { createRng } from '@ft/data';
import { describe, expect, it } from 'vitest';
import { tensor } from '../ir/tensor.js';
import { accuracy, argmaxRows, tokenNll } from './helpers.js';
import {
  CLS,
  EOS,
  GRAMMAR_MAX_LENGTH,
  grammarLogProbs,
  grammarSentence,
  grammarSplits,
  NEGATIVE,
  nextTokenLabels,
  PAD,
  POSITIVE,
  padBatch,
  SENTIMENT_VOCAB,
  SEP,
  sentimentSentence,
  sentimentSplits,
} from './synthetic.js';

const values = (t: { data: ArrayLike<number | bigint> }) => Array.from(t.data, Number);

describe('sentiment sentences', () => {
  it('label = polarity of the first of 2–3 sentiment words; lengths and ids in range', () => {
    const rng = createRng(4);
    const polar = new Set<number>([...POSITIVE, ...NEGATIVE]);
    let positives = 0;
    for (let i = 0; i < 2000; i++) {
      const { ids, label } = sentimentSentence(rng);
      expect(ids[0]).toBe(CLS);
      expect(ids[ids.length - 1]).toBe(SEP);
      expect(ids.length).toBeGreaterThanOrEqual(8);
      expect(ids.length).toBeLessThanOrEqual(16);
      const content = ids.slice(1, -1);
      expect(content.every((id) => id > SEP && id < SENTIMENT_VOCAB)).toBe(true);
      const sentiment = content.filter((id) => polar.has(id));
      expect(sentiment.length === 2 || sentiment.length === 3).toBe(true);
      expect(label).toBe((POSITIVE as readonly number[]).includes(sentiment[0] as number) ? 1 : 0);
      positives += label;
    }
    expect(positives / 2000).toBeGreaterThan(0.45);
    expect(positives / 2000).toBeLessThan(0.55);
  });

  it('splits are seeded and disjoint', () => {
    const a = sentimentSplits(9, { train: 300, test: 100 });
    const b = sentimentSplits(9, { train: 300, test: 100 });
    expect(b).toEqual(a);
    const keys = new Set([...a.train, ...a.test].map((s) => s.ids.join(',')));
    expect(keys.size).toBe(400);
  });
});

describe('padding and labels', () => {
  it('padBatch right-pads with PAD and masks the padding', () => {
    const batch = padBatch(
      [
        [1, 7, 2],
        [1, 2],
      ],
      4,
    );
    expect(batch.input_ids.dims).toEqual([2, 4]);
    expect(values(batch.input_ids)).toEqual([1, 7, 2, PAD, 1, 2, PAD, PAD]);
    expect(values(batch.attention_mask)).toEqual([1, 1, 1, 0, 1, 1, 0, 0]);
    expect(() => padBatch([[1, 2, 3]], 2)).toThrow(RangeError);
  });

  it('nextTokenLabels shifts by one and ignores positions without a next token', () => {
    const labels = nextTokenLabels(
      [
        [1, 7, 9, 2],
        [1, 5, 2],
      ],
      5,
      -100,
    );
    expect(values(labels)).toEqual([7, 9, 2, -100, -100, 5, 2, -100, -100, -100]);
  });
});

describe('grammar', () => {
  it('sentences fit GRAMMAR_MAX_LENGTH; splits are seeded and disjoint', () => {
    const rng = createRng(2);
    let longest = 0;
    for (let i = 0; i < 5000; i++) {
      const s = grammarSentence(rng);
      expect(s[0]).toBe(CLS);
      expect(s[s.length - 1]).toBe(EOS);
      longest = Math.max(longest, s.length);
    }
    expect(longest).toBe(GRAMMAR_MAX_LENGTH);
    const a = grammarSplits(3, { train: 200, eval: 50 });
    expect(grammarSplits(3, { train: 200, eval: 50 })).toEqual(a);
    expect(new Set([...a.train, ...a.eval].map((s) => s.join(','))).size).toBe(250);
  });

  it('log-probabilities of hand-parsed sentences', () => {
    // BOS DET NOUN_sg VERB_sg DET ADJ NOUN_pl EOS
    const lp = grammarLogProbs([CLS, 3, 14, 30, 4, 6, 22, EOS]);
    const expected = [1 / 3, (0.5 * 0.5) / 8, 1 / 6, 1 / 3, 0.5 / 8, (0.6 * 0.5) / 8, 0.5];
    expect(lp.map(Math.exp)).toEqual(expected.map((p) => expect.closeTo(p, 12)));
    // BOS DET ADJ ADJ NOUN_pl VERB_pl DET NOUN_sg PREP DET NOUN_sg EOS
    const lp2 = grammarLogProbs([CLS, 5, 7, 8, 29, 41, 3, 21, 47, 3, 14, EOS]);
    const expected2 = [
      ...[1 / 3, 0.5 / 8, 0.4 / 8, 0.5 / 8, 1 / 6],
      ...[1 / 3, 0.25 / 8, 0.5 / 6, 1 / 3, 0.25 / 8, 1],
    ];
    expect(lp2.map(Math.exp)).toEqual(expected2.map((p) => expect.closeTo(p, 12)));
    // A singular verb after a plural subject, and a third adjective, are not in the grammar.
    expect(() => grammarLogProbs([CLS, 3, 22, 30, 3, 14, EOS])).toThrow(RangeError);
    expect(() => grammarLogProbs([CLS, 3, 6, 7, 8, 14, 30, 3, 14, EOS])).toThrow(RangeError);
  });

  it('the mean sentence log-probability of samples matches the entropy derived by hand', () => {
    // H(NP) = ln 3 + H(0/1/2 adjectives: .5/.3/.2) + E[#adj]·ln 8 + ln 2 + ln 8;
    // H(sentence) = H(NP) + ln 6 + H(NP) + ln 2 + ½·(ln 6 + H(NP)).
    const hAdj = -(0.5 * Math.log(0.5) + 0.3 * Math.log(0.3) + 0.2 * Math.log(0.2));
    const hNp = Math.log(3) + hAdj + 0.7 * Math.log(8) + Math.log(2) + Math.log(8);
    const entropy = 2.5 * hNp + 1.5 * Math.log(6) + Math.log(2);
    const rng = createRng(6);
    const n = 20_000;
    let sum = 0;
    for (let i = 0; i < n; i++) for (const lp of grammarLogProbs(grammarSentence(rng))) sum -= lp;
    // Per-sentence −log p has a std of ≈ 2 nats: 0.06 is > 4 standard errors.
    expect(Math.abs(sum / n - entropy)).toBeLessThan(0.06);
  });
});

describe('host metrics', () => {
  it('argmax, accuracy and token NLL by hand', () => {
    const logits = tensor('float32', [3, 2], [0.1, 0.9, 2, -1, 0, 0.5]);
    expect(argmaxRows(logits)).toEqual([1, 0, 1]);
    expect(accuracy(logits, [1, 1, 1])).toBeCloseTo(2 / 3, 12);
    const labels = tensor('int64', [3], [1, -100, 0]);
    const { sum, count } = tokenNll(logits, labels, -100);
    expect(count).toBe(2);
    const nll = (a: number, b: number, y: number) =>
      Math.log(Math.exp(a) + Math.exp(b)) - (y === 0 ? a : b);
    expect(sum).toBeCloseTo(
      nll(Math.fround(0.1), Math.fround(0.9), 1) + nll(0, Math.fround(0.5), 0),
      10,
    );
  });
});
