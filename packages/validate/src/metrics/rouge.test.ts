// ROUGE against rouge-score's published tests (rouge/rouge_scorer_test.py, whose ROUGE-1.5.5
// values use its testdata lines reproduced below), hand-computed cases, and the Porter stemmer
// against NLTK 3.8's PorterStemmer (fixtures/gen-porter.py).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusRouge, porterStem, rougeTokenize, sentenceRouge, ValidateError } from '../index.js';

const porter = JSON.parse(
  readFileSync(new URL('./fixtures/gen-porter.json', import.meta.url), 'utf8'),
) as { stems: Record<string, string> };

// rouge-score testdata/target.txt and prediction.txt, lines 0 and 1 (with their newline).
const TARGETS = [
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
  "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
];
const PREDICTIONS = [
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
  "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
];
// testdata/pyrouge_files/target_multi.0.txt and prediction_multi.0.txt.
const TARGET_MULTI =
  "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\nKsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\nNhETebUbBk'er WOvoHMTjSRizKgH'vHiing Xu,hWxfs VkNE QhgKiLHE -HidivzoM.dO anhtion jbLQiSGDTCsuhREebUaKM dv J dVN tmbOT\nvMR HDm,xOAetion D,tion HJtodT.mHl UIv-p VjWH'BdyWjnfGU-OjT aEMdFICyLWfQMtion wEMfdOKing AwkeKbO 'DxqNOHBH qKtVvm OYJl mM\n";
const PREDICTION_MULTI =
  "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\nn cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\nxfs VkJE QhgKiLHE -HidivzoM.dO anhing jbLQiSGDTCsuhREebUaKM dv J\nVjWH'BdyWjnfGU-OjTNaEMdFICyLWfQMing wEMfdOKijg AwkeKbO 'DxqNO\n";

/** [recall, precision, fmeasure] to 5 places, as rouge-score's tests assert. */
function expectScore(
  s: { recall: number; precision: number; fmeasure: number } | undefined,
  want: number[],
) {
  expect(s).toBeDefined();
  expect(s!.recall).toBeCloseTo(want[0]!, 5);
  expect(s!.precision).toBeCloseTo(want[1]!, 5);
  expect(s!.fmeasure).toBeCloseTo(want[2]!, 5);
}

describe('sentenceRouge against rouge-score published values', () => {
  it('scores simple cases (testRouge1, testRouge2, testRougeL*)', () => {
    expectScore(sentenceRouge('testing', 'testing one two').rouge1, [1 / 3, 1, 1 / 2]);
    expectScore(sentenceRouge('testing one', 'testing one two').rouge2, [1 / 2, 1, 2 / 3]);
    expectScore(sentenceRouge('testing one', 'testing one two').rougeL, [2 / 3, 1, 4 / 5]);
    expectScore(sentenceRouge('testing two', 'testing one two').rougeL, [2 / 3, 1, 4 / 5]);
    expectScore(sentenceRouge('testing one', 'testing one two').rouge1, [2 / 3, 1, 4 / 5]);
  });

  it('gives 0 for an empty prediction (testRougeEmpty)', () => {
    const r = sentenceRouge('', 'testing one two');
    for (const t of ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'] as const) {
      expectScore(r[t], [0, 0, 0]);
    }
  });

  it('matches ROUGE-1.5.5 on rouge-score testdata lines 0 and 1', () => {
    const r0 = sentenceRouge(PREDICTIONS[0]!, TARGETS[0]!);
    const r1 = sentenceRouge(PREDICTIONS[1]!, TARGETS[1]!);
    expectScore(r0.rouge1, [0.40741, 0.6875, 0.51163]);
    expectScore(r1.rouge1, [0.40476, 0.65385, 0.5]);
    expectScore(r0.rouge2, [0.30769, 0.53333, 0.39024]);
    expectScore(r1.rouge2, [0.29268, 0.48, 0.36364]);
    expectScore(r0.rougeL, [0.40741, 0.6875, 0.51163]);
    expectScore(r1.rougeL, [0.40476, 0.65385, 0.5]);
  });

  it('matches ROUGE-1.5.5 with stemming', () => {
    const opts = { useStemmer: true };
    const r0 = sentenceRouge(PREDICTIONS[0]!, TARGETS[0]!, opts);
    const r1 = sentenceRouge(PREDICTIONS[1]!, TARGETS[1]!, opts);
    expectScore(r0.rouge1, [0.40741, 0.6875, 0.51163]);
    expectScore(r1.rouge1, [0.42857, 0.69231, 0.52941]);
    expectScore(r0.rouge2, [0.30769, 0.53333, 0.39024]);
    expectScore(r1.rouge2, [0.29268, 0.48, 0.36364]);
  });

  it('matches ROUGE-1.5.5 ROUGE-Lsum on multi-line summaries with stemming', () => {
    const r = sentenceRouge(PREDICTION_MULTI, TARGET_MULTI, {
      rougeTypes: ['rougeLsum'],
      useStemmer: true,
    });
    expectScore(r.rougeLsum, [0.36538, 0.66667, 0.47205]);
  });

  it('computes the union LCS of the ROUGE paper example (testRougeLsum)', () => {
    const r = sentenceRouge('w1 w2 w6 w7 w8\nw1 w3 w8 w9 w5', 'w1 w2 w3 w4 w5', {
      rougeTypes: ['rougeLsum'],
    });
    expect(r.rougeLsum!.recall).toBeCloseTo(0.8, 12);
    expect(r.rougeLsum!.precision).toBeCloseTo(0.4, 12);
    expect(r.rougeLsum!.fmeasure).toBeCloseTo((2 * 0.32) / 1.2, 12);
    expect(sentenceRouge('', 'w1 w2').rougeLsum!.fmeasure).toBe(0);
    expect(sentenceRouge('w1', '').rougeLsum!.fmeasure).toBe(0);
    expect(sentenceRouge('/', 'w1 w2 w3 w4 w5').rougeLsum!.fmeasure).toBe(0);
  });

  it('does not double-count tokens in ROUGE-Lsum (hand-computed)', () => {
    // Reference "a b" with candidate lines "a b" and "a b": the union LCS is [a, b] per line,
    // but each token is credited at most as often as it occurs: hits 2, P = 2/4, R = 2/2.
    const s = sentenceRouge('a b\na b', 'a b', { rougeTypes: ['rougeLsum'] }).rougeLsum!;
    expect([s.precision, s.recall]).toEqual([0.5, 1]);
    // ROUGE-L on the same text ignores the line break: LCS 2 of 4 prediction tokens.
    expect(sentenceRouge('a b\na b', 'a b', { rougeTypes: ['rougeL'] }).rougeL!.precision).toBe(
      0.5,
    );
  });
});

describe('rougeTokenize', () => {
  it('lowercases, drops non-alphanumerics and stems only words longer than 3 characters', () => {
    expect(rougeTokenize("The CAT's café-au-lait, 2x!")).toEqual([
      'the',
      'cat',
      's',
      'caf',
      'au',
      'lait',
      '2x',
    ]);
    expect(rougeTokenize('running cats flies ties', true)).toEqual(['run', 'cat', 'fli', 'tie']);
  });
});

describe('porterStem', () => {
  it('matches NLTK PorterStemmer (NLTK_EXTENSIONS) on the fixture words', () => {
    const words = Object.keys(porter.stems);
    expect(words.length).toBeGreaterThan(1000);
    const wrong = words.filter((w) => porterStem(w) !== porter.stems[w]);
    expect(wrong).toEqual([]);
  });
});

describe('multiple references and corpus', () => {
  it('takes the reference with the best F per type, and averages over samples', () => {
    const best = sentenceRouge('the cat sat', ['a dog ran', 'the cat sat down']);
    expect(best.rouge1!.recall).toBeCloseTo(3 / 4, 12);
    const c = corpusRouge(['the cat sat', 'x y'], [['a dog ran', 'the cat sat down'], 'x z'], {
      rougeTypes: ['rouge1'],
    });
    // Sample F1s: 2·1·0.75/1.75 = 6/7 and 1/2.
    expect(c.mean.rouge1!.fmeasure).toBeCloseTo((6 / 7 + 1 / 2) / 2, 12);
    expect(c.perSample).toHaveLength(2);
  });

  it('rejects bad input with the field named', () => {
    expect(() => corpusRouge(['a'], ['a', 'b'])).toThrow(/references: has 2 item/);
    expect(() => corpusRouge([], [])).toThrow(/predictions: is empty/);
    expect(() => sentenceRouge('a', [])).toThrow(/references\[0\]: has no reference/);
    expect(() => sentenceRouge('a', 'a', { rougeTypes: ['rouge0' as 'rouge1'] })).toThrow(
      /options\.rougeTypes\[0\]: is 'rouge0'/,
    );
    expect(() => sentenceRouge('a', 'a', { rougeTypes: [] })).toThrow(ValidateError);
  });
});
