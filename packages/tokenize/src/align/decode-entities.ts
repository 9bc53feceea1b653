// Turns per-token predictions of a token-classification model back into entities with
// character spans in the original text (IOB2 decoding over words).
import { TokenizeError } from '../errors.js';
import type { Encoding } from '../types.js';
import { parseIob2 } from './labels.js';

export interface DecodeEntitiesOptions {
  /** The text that was encoded. @default `encoding.text` when the encoding came from encodeWords */
  text?: string;
  /** Id → label, for numeric predictions and score rows (an array or transformers' `id2label`). */
  idToLabel?: Readonly<Record<number, string>> | readonly string[];
  /** Label scheme of the predictions. @default 'IOB2' */
  scheme?: 'IOB2';
  /**
   * How a word's label comes from its tokens: 'first' token's label; the token with the highest
   * probability ('max', needs score rows); or the argmax of the tokens' mean probabilities
   * ('average', needs score rows). @default 'first'
   */
  aggregation?: 'first' | 'max' | 'average';
}

export interface Entity {
  /** The entity type (`PER` for B-PER/I-PER). */
  label: string;
  /** Character range [start, end) in the text. */
  start: number;
  end: number;
  text: string;
  /** Word range [first, last + 1). */
  words: [number, number];
  /** Mean probability of the words' labels; only when score rows were given. */
  score?: number;
}

type Prediction = readonly string[] | readonly number[] | ReadonlyArray<readonly number[]>;

function softmax(logits: readonly number[]): number[] {
  const max = Math.max(...logits);
  const exps = logits.map((x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((x) => x / sum);
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++)
    if ((values[i] as number) > (values[best] as number)) best = i;
  return best;
}

/**
 * Groups word labels into entities: `B-X` opens one, `I-X` continues an `X` entity on the next
 * word and otherwise opens one (as seqeval's default mode), `O` closes. Predictions are per token
 * (labels, label ids, or logit rows that are softmaxed); special tokens, pair tokens and tokens
 * without a word are ignored.
 */
export function decodeEntities(
  encoding: Encoding & { text?: string; wordOffsets?: Array<[number, number]> },
  predictions: Prediction,
  options: DecodeEntitiesOptions = {},
): Entity[] {
  const { idToLabel, scheme = 'IOB2', aggregation = 'first' } = options;
  const text = options.text ?? encoding.text;
  if (text === undefined) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'pass options.text: the text the encoding was made from.',
      { field: 'text' },
    );
  }
  if (scheme !== 'IOB2') {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `scheme ${JSON.stringify(scheme)} is not supported; use 'IOB2'.`,
      { field: 'scheme' },
    );
  }
  if (aggregation !== 'first' && aggregation !== 'max' && aggregation !== 'average') {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `aggregation must be 'first', 'max' or 'average', got ${JSON.stringify(aggregation)}.`,
      {
        field: 'aggregation',
      },
    );
  }
  if (!Array.isArray(predictions) || predictions.length !== encoding.ids.length) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `predictions must have one entry per token (${encoding.ids.length}), got ${Array.isArray(predictions) ? predictions.length : typeof predictions}.`,
      { field: 'predictions' },
    );
  }
  const maxEnd = encoding.offsets.reduce((m, [, e]) => Math.max(m, e), 0);
  if (maxEnd > text.length) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `the encoding has offsets up to ${maxEnd} but the text is ${text.length} characters long; pass the text that was encoded.`,
      {
        field: 'text',
      },
    );
  }
  const withScores = predictions.some((p) => Array.isArray(p));
  if (!withScores && aggregation !== 'first') {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `aggregation '${aggregation}' needs per-token score rows (logits), not labels.`,
      {
        field: 'aggregation',
      },
    );
  }
  const labelOf = (id: number, field: string): string => {
    const label = idToLabel === undefined ? undefined : (idToLabel as Record<number, string>)[id];
    if (label === undefined) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `label id ${id} has no entry in idToLabel; pass idToLabel covering every id.`,
        {
          field,
        },
      );
    }
    return label;
  };

  // Words in order of appearance, each with its tokens.
  const words: Array<{ id: number; tokens: number[] }> = [];
  encoding.wordIds.forEach((word, t) => {
    if (
      word === null ||
      encoding.specialTokensMask[t] === 1 ||
      (encoding.sequenceIds[t] ?? 0) !== 0
    )
      return;
    const last = words[words.length - 1];
    if (last !== undefined && last.id === word) last.tokens.push(t);
    else words.push({ id: word, tokens: [t] });
  });

  const probabilities = (t: number): number[] => {
    const row = predictions[t];
    if (!Array.isArray(row) || row.length === 0) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `predictions[${t}] is not a row of scores like the others.`,
        { field: `predictions[${t}]` },
      );
    }
    return softmax(row);
  };
  const wordLabel = (tokens: number[]): { label: string; score?: number } => {
    const first = tokens[0] as number;
    if (!withScores) {
      const p = predictions[first] as string | number;
      if (typeof p === 'string') return { label: p };
      if (typeof p === 'number') return { label: labelOf(p, `predictions[${first}]`) };
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `predictions[${first}] is ${typeof p}; use labels, label ids or score rows.`,
        {
          field: `predictions[${first}]`,
        },
      );
    }
    if (aggregation === 'first') {
      const probs = probabilities(first);
      const best = argmax(probs);
      return { label: labelOf(best, `predictions[${first}]`), score: probs[best] as number };
    }
    const rows = tokens.map(probabilities);
    if (aggregation === 'max') {
      let bestRow = rows[0] as number[];
      for (const row of rows) if (Math.max(...row) > Math.max(...bestRow)) bestRow = row;
      const best = argmax(bestRow);
      return { label: labelOf(best, 'predictions'), score: bestRow[best] as number };
    }
    const mean = (rows[0] as number[]).map(
      (_, k) => rows.reduce((sum, row) => sum + (row[k] ?? 0), 0) / rows.length,
    );
    const best = argmax(mean);
    return { label: labelOf(best, 'predictions'), score: mean[best] as number };
  };

  const wordSpan = (word: { id: number; tokens: number[] }): [number, number] => {
    const given = encoding.wordOffsets?.[word.id];
    if (given !== undefined) return given;
    // Zero-width tokens (a bare byte-level space, trimmed to [3, 3]) say nothing about the span.
    let start = Number.POSITIVE_INFINITY;
    let end = -1;
    for (const t of word.tokens) {
      const [s, e] = encoding.offsets[t] as [number, number];
      if (e > s) {
        start = Math.min(start, s);
        end = Math.max(end, e);
      }
    }
    if (end >= 0) return [start, end];
    const [s] = encoding.offsets[word.tokens[0] as number] as [number, number];
    return [s, s];
  };

  const entities: Entity[] = [];
  let open: {
    label: string;
    start: number;
    end: number;
    firstWord: number;
    lastWord: number;
    scores: number[];
  } | null = null;
  const close = (): void => {
    if (open === null) return;
    let { start, end } = open;
    // Byte-level tokens may carry the preceding space in their offsets.
    while (start < end && /\s/.test(text[start] as string)) start++;
    while (end > start && /\s/.test(text[end - 1] as string)) end--;
    const entity: Entity = {
      label: open.label,
      start,
      end,
      text: text.slice(start, end),
      words: [open.firstWord, open.lastWord + 1],
    };
    if (open.scores.length > 0)
      entity.score = open.scores.reduce((a, b) => a + b, 0) / open.scores.length;
    entities.push(entity);
    open = null;
  };
  for (const word of words) {
    const { label, score } = wordLabel(word.tokens);
    const parsed = parseIob2(label, `predictions (word ${word.id})`);
    const [start, end] = wordSpan(word);
    if (parsed.tag === 'O') {
      close();
      continue;
    }
    if (
      parsed.tag === 'I' &&
      open !== null &&
      open.label === parsed.type &&
      open.lastWord === word.id - 1
    ) {
      open.end = end;
      open.lastWord = word.id;
    } else {
      close();
      open = { label: parsed.type, start, end, firstWord: word.id, lastWord: word.id, scores: [] };
    }
    if (score !== undefined) open.scores.push(score);
  }
  close();
  return entities;
}
