// Aligns word-level labels (NER, POS) to sub-word tokens using an encoding's word ids.
import { TokenizeError } from '../errors.js';
import type { Encoding } from '../types.js';
import { continuationLabel } from './labels.js';

export interface AlignLabelsOptions {
  /**
   * 'first': only a word's first token carries its label. 'all': every token does, and the
   * continuation tokens of a `B-X` word get `I-X` (transformers' run_ner `label_all_tokens`).
   * @default 'first'
   */
  strategy?: 'first' | 'all';
  /** Label string → id; required for string labels and for B→I conversion of numeric labels. */
  labelToId?: Readonly<Record<string, number>>;
  /** Label of tokens that carry none: special tokens, pair tokens, continuations under 'first'. @default -100 */
  ignoreIndex?: number;
}

/**
 * Per-token label ids for `encoding` (from `encodeWords` or any encoding whose `wordIds` index
 * `wordLabels`). Only tokens of the first sequence are labelled. With numeric labels and no
 * `labelToId`, 'all' copies a word's label to its continuation tokens unchanged.
 */
export function alignLabels(
  encoding: Encoding,
  wordLabels: readonly string[] | readonly number[],
  options: AlignLabelsOptions = {},
): number[] {
  const { strategy = 'first', labelToId, ignoreIndex = -100 } = options;
  if (strategy !== 'first' && strategy !== 'all') {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `strategy must be 'first' or 'all', got ${JSON.stringify(strategy)}.`,
      {
        field: 'strategy',
      },
    );
  }
  if (!Array.isArray(wordLabels)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'wordLabels must be an array with one label per word.',
      { field: 'wordLabels' },
    );
  }
  const idToLabel = new Map<number, string>();
  if (labelToId !== undefined)
    for (const [label, id] of Object.entries(labelToId)) idToLabel.set(id, label);

  const toId = (label: string | number, field: string): number => {
    if (typeof label === 'number') {
      if (!Number.isInteger(label)) {
        throw new TokenizeError('INVALID_ARGUMENT', `label ${label} is not an integer id.`, {
          field,
        });
      }
      return label;
    }
    if (typeof label !== 'string') {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `label is ${typeof label}; use label strings or integer ids.`,
        { field },
      );
    }
    if (labelToId === undefined) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        'string labels need labelToId (label → id), e.g. { O: 0, "B-PER": 1, … }.',
        {
          field: 'labelToId',
        },
      );
    }
    const id = labelToId[label];
    if (id === undefined || !Object.hasOwn(labelToId, label)) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `label "${label}" is not in labelToId; add it or fix the label.`,
        { field },
      );
    }
    return id;
  };
  const continuationId = (label: string | number, field: string): number => {
    if (typeof label === 'number') {
      const name = idToLabel.get(label);
      return name === undefined ? toId(label, field) : toId(continuationLabel(name), field);
    }
    return toId(continuationLabel(label), field);
  };

  let previousWord: number | null = null;
  return encoding.wordIds.map((word, t) => {
    const inFirstSequence = (encoding.sequenceIds[t] ?? 0) === 0;
    if (word === null || encoding.specialTokensMask[t] === 1 || !inFirstSequence) {
      previousWord = null;
      return ignoreIndex;
    }
    const label = wordLabels[word];
    const field = `wordLabels[${word}]`;
    if (label === undefined) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `the encoding has word ${word} but only ${wordLabels.length} labels were given; pass one label per word.`,
        { field: 'wordLabels' },
      );
    }
    const first = word !== previousWord;
    previousWord = word;
    if (first) return toId(label, field);
    return strategy === 'all' ? continuationId(label, field) : ignoreIndex;
  });
}
