// Seeded synthetic text tasks for the end-to-end "it learns" tests: an order-sensitive
// sentiment classification set (BERT) and a corpus from a small probabilistic grammar (GPT).
import { createRng, type Rng } from '@ft/data';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';

/** Token ids shared by both tasks. */
export const PAD = 0;
export const CLS = 1;
export const SEP = 2;

// ---------------------------------------------------------------------------------------------
// Sentiment decided by the first sentiment word
// ---------------------------------------------------------------------------------------------

/** Positive words 3..8, negative words 9..14, neutral fillers 15..59. */
export const POSITIVE = [3, 4, 5, 6, 7, 8] as const;
export const NEGATIVE = [9, 10, 11, 12, 13, 14] as const;
export const SENTIMENT_VOCAB = 60;
const FILLER_FIRST = 15;

export interface Sentence {
  /** [CLS] content… [SEP], unpadded. */
  ids: number[];
  /** 1 = positive, 0 = negative. */
  label: number;
}

export interface SentimentOptions {
  /** Content tokens (between [CLS] and [SEP]) are drawn from [min, max]. @default [6, 14] */
  contentLength?: readonly [number, number];
}

/**
 * One sentence: fillers with two or three sentiment words of independent random polarity at
 * random positions; the label is the polarity of the FIRST one. A bag of words sees only how many
 * positive and negative words there are, which leaves mixed sentences a coin flip (≈ 75% accuracy
 * ceiling); getting them right needs attention that knows where each word is.
 */
export function sentimentSentence(rng: Rng, options: SentimentOptions = {}): Sentence {
  const [lo, hi] = options.contentLength ?? [6, 14];
  const n = lo + rng.int(hi - lo + 1);
  const content = Array.from(
    { length: n },
    () => FILLER_FIRST + rng.int(SENTIMENT_VOCAB - FILLER_FIRST),
  );
  const positions = rng
    .shuffle(Array.from({ length: n }, (_, i) => i))
    .slice(0, 2 + rng.int(2))
    .sort((a, b) => a - b);
  let label = 0;
  positions.forEach((p, j) => {
    const positive = rng.next() < 0.5;
    if (j === 0) label = positive ? 1 : 0;
    content[p] = rng.pick(positive ? POSITIVE : NEGATIVE);
  });
  return { ids: [CLS, ...content, SEP], label };
}

/**
 * Draws until `count` items whose keys are not yet in `seen`, adding theirs: successive calls
 * sharing `seen` give disjoint splits, so held-out items never occur in the training split.
 */
function drawDistinct<T>(
  count: number,
  draw: () => T,
  key: (item: T) => string,
  seen: Set<string>,
): T[] {
  const out: T[] = [];
  while (out.length < count) {
    const item = draw();
    const k = key(item);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return out;
}

/** `train` and `test` sets of distinct sentences, no test sentence also in the training set. */
export function sentimentSplits(
  seed: number,
  sizes: { train: number; test: number },
  options: SentimentOptions = {},
): { train: Sentence[]; test: Sentence[] } {
  const rng = createRng(seed);
  const seen = new Set<string>();
  const draw = (count: number) =>
    drawDistinct(
      count,
      () => sentimentSentence(rng, options),
      (s) => s.ids.join(','),
      seen,
    );
  const train = draw(sizes.train);
  return { train, test: draw(sizes.test) };
}

/**
 * Right-pads sequences with PAD to `length`: `input_ids` and `attention_mask` (1 on real tokens)
 * as int64 [count, length].
 */
export function padBatch(
  sequences: readonly (readonly number[])[],
  length: number,
): { input_ids: TensorData; attention_mask: TensorData } {
  const ids: number[] = [];
  const mask: number[] = [];
  for (const seq of sequences) {
    if (seq.length > length) throw new RangeError(`sequence of ${seq.length} > ${length} tokens`);
    for (let t = 0; t < length; t++) {
      ids.push(t < seq.length ? (seq[t] as number) : PAD);
      mask.push(t < seq.length ? 1 : 0);
    }
  }
  const dims = [sequences.length, length];
  return { input_ids: tensor('int64', dims, ids), attention_mask: tensor('int64', dims, mask) };
}

// ---------------------------------------------------------------------------------------------
// A small probabilistic grammar for language modelling
// ---------------------------------------------------------------------------------------------

/** Id of the end-of-sentence token (sequences start with CLS as BOS). */
export const EOS = SEP;
export const GRAMMAR_VOCAB = 48;

const range = (first: number, count: number) => Array.from({ length: count }, (_, i) => first + i);
// Word classes: determiners, adjectives, singular/plural nouns, singular/plural verbs, prepositions.
const DET = range(3, 3);
const ADJ = range(6, 8);
const NOUN_SG = range(14, 8);
const NOUN_PL = range(22, 8);
const VERB_SG = range(30, 6);
const VERB_PL = range(36, 6);
const PREP = range(42, 6);

/**
 * One sentence: BOS NP VERB NP (PREP NP)? EOS, where NP = DET ADJ{0,2} NOUN and the verb agrees
 * in number with the subject noun (singular nouns take singular verbs). Long-range structure (the
 * agreement, the phrase order) is what a decoder has to learn beyond word frequencies.
 */
export function grammarSentence(rng: Rng): number[] {
  const np = (): { ids: number[]; plural: boolean } => {
    const ids = [rng.pick(DET)];
    const adjectives = rng.next() < 0.5 ? 0 : rng.next() < 0.6 ? 1 : 2;
    for (let i = 0; i < adjectives; i++) ids.push(rng.pick(ADJ));
    const plural = rng.next() < 0.5;
    ids.push(rng.pick(plural ? NOUN_PL : NOUN_SG));
    return { ids, plural };
  };
  const subject = np();
  const out = [CLS, ...subject.ids, rng.pick(subject.plural ? VERB_PL : VERB_SG), ...np().ids];
  if (rng.next() < 0.5) out.push(rng.pick(PREP), ...np().ids);
  out.push(EOS);
  return out;
}

/** `train` and `eval` corpora of distinct grammar sentences (none in both, none twice). */
export function grammarSplits(
  seed: number,
  sizes: { train: number; eval: number },
): { train: number[][]; eval: number[][] } {
  const rng = createRng(seed);
  const seen = new Set<string>();
  const draw = (count: number) =>
    drawDistinct(
      count,
      () => grammarSentence(rng),
      (s) => s.join(','),
      seen,
    );
  const train = draw(sizes.train);
  return { train, eval: draw(sizes.eval) };
}

/** Longest sentence grammarSentence can produce: BOS + 3 NPs of 4 + verb + prep + EOS. */
export const GRAMMAR_MAX_LENGTH = 1 + 4 + 1 + 4 + 1 + 4 + 1;

/** Language-model labels: the next token at each position, ignoreIndex where there is none. */
export function nextTokenLabels(
  sequences: readonly (readonly number[])[],
  length: number,
  ignoreIndex: number,
): TensorData {
  const labels: number[] = [];
  for (const seq of sequences) {
    for (let t = 0; t < length; t++) {
      labels.push(t + 1 < seq.length ? (seq[t + 1] as number) : ignoreIndex);
    }
  }
  return tensor('int64', [sequences.length, length], labels);
}

/**
 * The generating grammar's own log-probability of each next token of a grammarSentence output
 * (entry t is log P(seq[t+1] | seq[0..t])): the best any model can do on average, so the
 * perplexity it gives is the floor a trained decoder approaches.
 */
export function grammarLogProbs(seq: readonly number[]): number[] {
  const out: number[] = [];
  const has = (cls: readonly number[], id: number | undefined) =>
    id !== undefined && cls.includes(id);
  let t = 1;
  const take = (p: number, ok: boolean) => {
    if (!ok) throw new RangeError(`token ${seq[t]} at ${t} is not in the grammar`);
    out.push(Math.log(p));
    t++;
  };
  // NP = DET ADJ{0,2} NOUN with P(0 adj) = 0.5, P(1) = 0.3, P(2) = 0.2; returns plurality.
  const np = (pDet: number): boolean => {
    take(pDet / DET.length, has(DET, seq[t]));
    let adjectives = 0;
    for (;;) {
      const pAdj = adjectives === 0 ? 0.5 : adjectives === 1 ? 0.4 : 0;
      if (has(ADJ, seq[t])) {
        take(pAdj / ADJ.length, pAdj > 0);
        adjectives++;
        continue;
      }
      const plural = has(NOUN_PL, seq[t]);
      take(((1 - pAdj) * 0.5) / NOUN_SG.length, plural || has(NOUN_SG, seq[t]));
      return plural;
    }
  };
  const plural = np(1);
  take(1 / VERB_SG.length, has(plural ? VERB_PL : VERB_SG, seq[t]));
  np(1);
  if (has(PREP, seq[t])) {
    take(0.5 / PREP.length, true);
    np(1);
    take(1, seq[t] === EOS);
  } else {
    take(0.5, seq[t] === EOS);
  }
  if (t !== seq.length) throw new RangeError('tokens after EOS');
  return out;
}
