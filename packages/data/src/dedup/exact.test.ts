import { multilingualSentences } from '@ft/test-utils';
import { describe, expect, it } from 'vitest';
import { createDedupNormalizer, DataError, dedupExact } from '../index.js';

const texts = (values: string[]) => values.map((text, id) => ({ id, text }));

describe('createDedupNormalizer', () => {
  it('applies NFKC, lower case and whitespace collapsing by default', () => {
    const norm = createDedupNormalizer();
    expect(norm('  Hej\t\tVÄRLDEN \n')).toBe('hej världen');
    // Full-width letters and the "ﬁ" ligature are compatibility forms NFKC folds.
    expect(norm('Ｈｅｊ ﬁka')).toBe('hej fika');
    expect(norm('ሰላም   ለዓለም።')).toBe('ሰላም ለዓለም።');
  });

  it('strips Unicode punctuation, Ethiopic included, only when asked', () => {
    const norm = createDedupNormalizer({ stripPunctuation: true });
    expect(norm('Ring mig, tack!')).toBe('ring mig tack');
    expect(norm('ሰላም ለዓለም። እንዴት ነህ?')).toBe('ሰላም ለዓለም እንዴት ነህ');
    expect(createDedupNormalizer()('Ring mig, tack!')).toBe('ring mig, tack!');
  });

  it('can switch single steps off, or everything', () => {
    expect(createDedupNormalizer({ lowercase: false })('  Hej  Du ')).toBe('Hej Du');
    expect(createDedupNormalizer({ collapseWhitespace: false })(' A  b ')).toBe(' a  b ');
    expect(createDedupNormalizer(false)(' Ｈej ')).toBe(' Ｈej ');
  });
});

describe('dedupExact', () => {
  it('keeps the first occurrence of normalised-equal Swedish and Amharic texts', () => {
    const records = texts([
      'Ring mig i morgon om fakturan, tack.',
      'ring mig i  MORGON om fakturan, tack.',
      'ሰላም ለዓለም። እንዴት ነህ?',
      ' ሰላም ለዓለም።  እንዴት ነህ? ',
      'Ring mig i morgon om fakturan tack',
      'ring mig i morgon om fakturan, tack.',
    ]);
    const result = dedupExact(records, { key: 'text' });
    expect(result.keptIndices).toEqual([0, 2, 4]);
    expect(result.kept.map((r) => r.id)).toEqual([0, 2, 4]);
    expect(result.removed).toEqual([
      { index: 1, duplicateOf: 0, reason: 'exact' },
      { index: 3, duplicateOf: 2, reason: 'exact' },
      { index: 5, duplicateOf: 0, reason: 'exact' },
    ]);
    expect(result.report).toEqual({ input: 6, kept: 3, removedExact: 3, removedNear: 0 });
  });

  it('merges texts that differ only in punctuation with stripPunctuation', () => {
    const records = texts([
      'ነገ ስለ ደረሰኙ ደውልልኝ።',
      'ነገ ስለ ደረሰኙ ደውልልኝ',
      'Ring mig, tack!',
      'Ring mig tack',
    ]);
    expect(dedupExact(records, { key: 'text' }).keptIndices).toEqual([0, 1, 2, 3]);
    const stripped = dedupExact(records, { key: 'text', normalize: { stripPunctuation: true } });
    expect(stripped.keptIndices).toEqual([0, 2]);
    expect(stripped.removed.map((r) => [r.index, r.duplicateOf])).toEqual([
      [1, 0],
      [3, 2],
    ]);
  });

  it('compares raw text with normalize: false', () => {
    const records = texts(['Hej', 'hej', 'Hej ', 'Hej']);
    expect(dedupExact(records, { key: 'text', normalize: false }).keptIndices).toEqual([0, 1, 2]);
  });

  it('keeps distinct multilingual sentences apart', () => {
    const all = [
      ...multilingualSentences.english,
      ...multilingualSentences.swedish,
      ...multilingualSentences.amharic,
    ];
    const result = dedupExact(texts([...all, ...all.map((s) => s.toUpperCase())]), { key: 'text' });
    expect(result.report).toEqual({ input: 18, kept: 9, removedExact: 9, removedNear: 0 });
    expect(result.removed.every((r) => r.duplicateOf === r.index - 9)).toBe(true);
  });

  it('keys on several fields without letting field boundaries blur', () => {
    const records = [
      { prompt: 'a b', completion: 'c' },
      { prompt: 'a', completion: 'b c' },
      { prompt: 'A  B', completion: 'C' },
    ];
    const result = dedupExact(records, { key: ['prompt', 'completion'] });
    expect(result.keptIndices).toEqual([0, 1]);
    expect(result.removed).toEqual([{ index: 2, duplicateOf: 0, reason: 'exact' }]);
  });

  it('keys on a function and on non-string values', () => {
    const records = [
      { q: 'X', n: 1 },
      { q: 'x', n: 2 },
      { q: 'y', n: 1 },
    ];
    expect(dedupExact(records, { key: (r) => String(r.q) }).keptIndices).toEqual([0, 2]);
    expect(dedupExact(records, { key: 'n' }).keptIndices).toEqual([0, 1]);
  });

  it('rejects a record without the key field, naming its index and the field', () => {
    const records = [{ text: 'a' }, { other: 'b' }];
    expect(() => dedupExact(records, { key: 'text' })).toThrowError(DataError);
    try {
      dedupExact(records, { key: 'text' });
    } catch (error) {
      expect((error as DataError).code).toBe('INVALID_ARGUMENT');
      expect((error as DataError).field).toBe('text');
      expect((error as DataError).message).toContain('index 1');
    }
  });

  it('rejects an empty field list and a key function returning a non-string', () => {
    expect(() => dedupExact([{ a: 1 }], { key: [] })).toThrow(/lists no fields/);
    expect(() => dedupExact([{ a: 1 }], { key: (r) => r.a as string })).toThrow(
      /returned number for the record at index 0/,
    );
    expect(() => dedupExact('nope' as never, { key: 'a' })).toThrow(/expects an array/);
  });
});
