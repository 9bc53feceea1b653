// Shared helpers for IOB2 label strings and label-id maps.
import { TokenizeError } from '../errors.js';

/** A parsed IOB2 label: outside, or the beginning/inside of an entity of `type`. */
export type ParsedLabel = { tag: 'O' } | { tag: 'B' | 'I'; type: string };

/** Parses `O`, `B-TYPE` or `I-TYPE`; anything else is INVALID_ARGUMENT. */
export function parseIob2(label: string, field: string): ParsedLabel {
  if (label === 'O') return { tag: 'O' };
  const match = /^([BI])-(.+)$/.exec(label);
  if (match === null) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `label "${label}" is not IOB2; use "O", "B-TYPE" or "I-TYPE".`,
      { field },
    );
  }
  return { tag: match[1] as 'B' | 'I', type: match[2] as string };
}

/** The label a continuation sub-token of a word labelled `label` gets: B-X becomes I-X. */
export function continuationLabel(label: string): string {
  return label.startsWith('B-') ? `I-${label.slice(2)}` : label;
}
