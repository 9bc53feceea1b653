import { describe, expect, it } from 'vitest';
import { augmentRecords, DataError, synonymReplace } from '../index.js';

const lexicon = {
  cat: ['feline', 'kitty'],
  'ice cream': ['gelato'],
  ice: ['frost'],
  'new york': ['big apple'],
  smörgås: ['macka'],
  ቤት: ['መኖሪያ'],
};

describe('synonymReplace', () => {
  it('replaces every match with probability 1 and reports original and output offsets', () => {
    const text = 'My cat likes ice cream.';
    const result = synonymReplace(text, { lexicon, probability: 1, seed: 3 });
    expect(result.replacements.map((r) => r.from)).toEqual(['cat', 'ice cream']);
    expect(result.replacements[1]?.to).toBe('gelato');
    expect(['My feline likes gelato.', 'My kitty likes gelato.']).toContain(result.text);
    for (const r of result.replacements) {
      expect(text.slice(r.start, r.end)).toBe(r.from);
      expect(result.text.slice(r.outputStart, r.outputEnd)).toBe(r.to);
    }
  });

  it('prefers the longest multi-word entry and matches across any whitespace', () => {
    expect(synonymReplace('ice cream', { lexicon, probability: 1 }).text).toBe('gelato');
    expect(synonymReplace('ice  \n cream', { lexicon, probability: 1 }).text).toBe('gelato');
    expect(synonymReplace('thin ice here', { lexicon, probability: 1 }).text).toBe(
      'thin frost here',
    );
    // A hyphen is not whitespace: "ice-cream" is one word, not the phrase.
    expect(synonymReplace('ice-cream', { lexicon, probability: 1 }).replacements).toEqual([]);
  });

  it('preserves Title, UPPER and lower case', () => {
    const all = { lexicon, probability: 1, seed: 1 };
    expect(synonymReplace('Ice cream', all).text).toBe('Gelato');
    expect(synonymReplace('ICE CREAM', all).text).toBe('GELATO');
    expect(synonymReplace('I love New York', all).text).toBe('I love Big Apple');
    expect(synonymReplace('NEW YORK', all).text).toBe('BIG APPLE');
    expect(synonymReplace('New york', all).text).toBe('Big apple');
    expect(synonymReplace('Smörgås', all).text).toBe('Macka');
    expect(synonymReplace('SMÖRGÅS!', all).text).toBe('MACKA!');
  });

  it('never replaces inside a longer word', () => {
    const result = synonymReplace('concatenate the cats, scatter; cat.', {
      lexicon,
      probability: 1,
    });
    expect(result.replacements.map((r) => r.start)).toEqual([31]);
    expect(result.text.startsWith('concatenate the cats, scatter; ')).toBe(true);
    expect(synonymReplace('smörgåsbord', { lexicon, probability: 1 }).text).toBe('smörgåsbord');
    expect(synonymReplace('ቤቶች እና ቤት።', { lexicon, probability: 1 }).text).toBe('ቤቶች እና መኖሪያ።');
  });

  it('is deterministic for a seed and varies across seeds', () => {
    const text = Array.from({ length: 40 }, () => 'the cat and ice').join(' ');
    const a = synonymReplace(text, { lexicon, probability: 0.5, seed: 11 });
    const b = synonymReplace(text, { lexicon, probability: 0.5, seed: 11 });
    const c = synonymReplace(text, { lexicon, probability: 0.5, seed: 12 });
    expect(a).toEqual(b);
    expect(a.text).not.toBe(c.text);
    // 80 candidates at p = 0.5: far from none and far from all.
    expect(a.replacements.length).toBeGreaterThan(20);
    expect(a.replacements.length).toBeLessThan(60);
  });

  it('takes exactly maxReplacements matches when no probability is given, and caps otherwise', () => {
    const text = 'cat cat cat cat cat';
    expect(
      synonymReplace(text, { lexicon, maxReplacements: 2, seed: 4 }).replacements,
    ).toHaveLength(2);
    expect(
      synonymReplace(text, { lexicon, probability: 1, maxReplacements: 3 }).replacements,
    ).toHaveLength(3);
    expect(synonymReplace(text, { lexicon, probability: 0 }).text).toBe(text);
  });

  it('matches case-sensitively when asked and inserts synonyms as written', () => {
    const lex = { Cat: ['Tiger'], cat: ['dog'] };
    expect(
      synonymReplace('Cat cat CAT', { lexicon: lex, probability: 1, caseSensitive: true }).text,
    ).toBe('Tiger dog CAT');
    // Case-insensitive: the two keys merge and UPPER is preserved.
    const merged = synonymReplace('CAT', { lexicon: lex, probability: 1, seed: 2 }).text;
    expect(['TIGER', 'DOG']).toContain(merged);
  });

  it('skips synonyms equal to the original', () => {
    const result = synonymReplace('cat', { lexicon: { cat: ['Cat', 'feline'] }, probability: 1 });
    expect(result.text).toBe('feline');
  });

  it('rejects bad lexicons and options with a DataError', () => {
    expect(() => synonymReplace('x', { lexicon: { cat: 'feline' as never } })).toThrow(
      /entry "cat" must be an array/,
    );
    expect(() => synonymReplace('x', { lexicon: { '(cat)': ['x'] } })).toThrow(
      /must start and end with a letter or digit/,
    );
    expect(() => synonymReplace('x', { lexicon, probability: 2 })).toThrow(/between 0 and 1/);
    expect(() => synonymReplace('x', { lexicon, maxReplacements: -1 })).toThrow(DataError);
  });
});

describe('augmentRecords', () => {
  const records = [
    { id: 'a', text: 'The cat ate ice cream.' },
    { id: 'b', text: 'En smörgås, tack.' },
  ];

  it('produces n variants per record, tagged with the source index, reproducibly', () => {
    const out = augmentRecords(records, { field: 'text', n: 3, lexicon, probability: 1, seed: 9 });
    expect(out).toHaveLength(6);
    expect(out.map((r) => r.sourceIndex)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(out.map((r) => r.id)).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
    for (const r of out.slice(0, 3)) expect(r.text).toMatch(/^The (feline|kitty) ate gelato\.$/);
    for (const r of out.slice(3)) expect(r.text).toBe('En macka, tack.');
    expect(
      augmentRecords(records, { field: 'text', n: 3, lexicon, probability: 1, seed: 9 }),
    ).toEqual(out);
    // A record's variants do not depend on the records around it.
    const alone = augmentRecords([records[0]!], {
      field: 'text',
      n: 3,
      lexicon,
      probability: 1,
      seed: 9,
    });
    expect(alone.map((r) => r.text)).toEqual(out.slice(0, 3).map((r) => r.text));
    expect(records[0]?.text).toBe('The cat ate ice cream.');
  });

  it('uses a custom source field and rejects a missing text field', () => {
    const out = augmentRecords(records, { field: 'text', n: 1, lexicon, sourceField: 'from' });
    expect(out.map((r) => r.from)).toEqual([0, 1]);
    expect(() =>
      augmentRecords([{ text: 'ok' }, { body: 'x' }], { field: 'text', n: 1, lexicon }),
    ).toThrow(/record index 1 has no value in "text"/);
    expect(() => augmentRecords(records, { field: 'text', n: -1, lexicon })).toThrow(DataError);
  });
});
