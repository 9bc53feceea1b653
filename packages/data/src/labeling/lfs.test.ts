import { multilingualSentences } from '@ft/test-utils';
import { describe, expect, it } from 'vitest';
import { ABSTAIN, customLF, DataError, keywordLF, regexLF } from '../index.js';

describe('keywordLF', () => {
  const food = keywordLF({
    name: 'food',
    field: 'text',
    keywords: ['smörgås', 'kaffe'],
    label: 'FOOD',
  });

  it('matches Swedish words with å/ä/ö as whole words, in any case', () => {
    expect(food.apply({ text: 'Jag vill ha en smörgås, tack.' })).toBe('FOOD');
    expect(food.apply({ text: 'SMÖRGÅS till frukost' })).toBe('FOOD');
    expect(food.apply({ text: 'Smörgåsbordet var stort.' })).toBe(ABSTAIN);
    // "ö" alone is a letter: a naive ASCII \b would split "smörgås" at "ö".
    expect(food.apply({ text: 'lunchsmörgås' })).toBe(ABSTAIN);
    expect(food.apply({ text: multilingualSentences.swedish[1] })).toBe(ABSTAIN);
  });

  it('matches decomposed (NFD) text against composed keywords', () => {
    expect(food.apply({ text: 'en smörgås'.normalize('NFD') })).toBe('FOOD');
    expect(food.apply({ text: 'smörgåsar'.normalize('NFD') })).toBe(ABSTAIN);
  });

  it('respects caseSensitive and wholeWord', () => {
    const exact = keywordLF({
      name: 'x',
      field: 'text',
      keywords: ['Kaffe'],
      label: 'FOOD',
      caseSensitive: true,
    });
    expect(exact.apply({ text: 'Kaffe nu' })).toBe('FOOD');
    expect(exact.apply({ text: 'kaffe nu' })).toBe(ABSTAIN);
    const partial = keywordLF({
      name: 'y',
      field: 'text',
      keywords: ['smörgås'],
      label: 'FOOD',
      wholeWord: false,
    });
    expect(partial.apply({ text: 'Smörgåsbordet' })).toBe('FOOD');
  });

  it('matches Amharic words and stops at Ethiopic punctuation, not inside longer words', () => {
    const greet = keywordLF({
      name: 'greet',
      field: 'text',
      keywords: ['ሰላም', 'ለዓለም'],
      label: 'GREETING',
    });
    expect(greet.apply({ text: multilingualSentences.amharic[0] })).toBe('GREETING');
    expect(greet.apply({ text: 'ሰላምታ አቀረበ' })).toBe(ABSTAIN);
    const world = keywordLF({
      name: 'world',
      field: 'text',
      keywords: ['ለዓለም'],
      label: 'GREETING',
    });
    // "ለዓለም።" ends with the Ethiopic full stop, which is punctuation, so the word still matches.
    expect(world.apply({ text: 'ሰላም ለዓለም።' })).toBe('GREETING');
    const invoice = keywordLF({ name: 'inv', field: 'text', keywords: ['ደረሰኙ'], label: 'BILLING' });
    expect(invoice.apply({ text: multilingualSentences.amharic[1] })).toBe('BILLING');
  });

  it('matches multi-word phrases across any whitespace and escapes regex characters', () => {
    const lf = keywordLF({ name: 'p', field: 't', keywords: ['New York', 'c.o.d'], label: 'X' });
    expect(lf.apply({ t: 'flying to new   york today' })).toBe('X');
    expect(lf.apply({ t: 'new yorker' })).toBe(ABSTAIN);
    expect(lf.apply({ t: 'pay c.o.d please' })).toBe('X');
    expect(lf.apply({ t: 'pay cxoxd please' })).toBe(ABSTAIN);
  });

  it('abstains on records without a string in the field', () => {
    expect(food.apply({})).toBe(ABSTAIN);
    expect(food.apply({ text: 42 })).toBe(ABSTAIN);
    expect(food.apply({ text: null })).toBe(ABSTAIN);
  });

  it('rejects bad options with a DataError', () => {
    expect(() => keywordLF({ name: 'k', field: 't', keywords: [], label: 'X' })).toThrow(
      /non-empty keywords/,
    );
    expect(() => keywordLF({ name: 'k', field: 't', keywords: ['ok', '  '], label: 'X' })).toThrow(
      DataError,
    );
    expect(() => keywordLF({ name: '', field: 't', keywords: ['a'], label: 'X' })).toThrow(
      /non-empty string name/,
    );
  });
});

describe('regexLF', () => {
  it('votes when the pattern matches; string patterns get the u flag', () => {
    const lf = regexLF({
      name: 'money',
      field: 'text',
      pattern: '\\d+\\s?(kr|SEK)',
      label: 'PRICE',
    });
    expect(lf.apply({ text: 'Det kostar 25 kr.' })).toBe('PRICE');
    expect(lf.apply({ text: 'Det kostar mycket.' })).toBe(ABSTAIN);
    const letters = regexLF({
      name: 'eth',
      field: 'text',
      pattern: '^\\p{Script=Ethiopic}',
      label: 'AM',
    });
    expect(letters.apply({ text: 'ሰላም' })).toBe('AM');
    expect(letters.apply({ text: 'hej' })).toBe(ABSTAIN);
  });

  it('is not stateful when given a global RegExp', () => {
    const lf = regexLF({ name: 'g', field: 't', pattern: /cat/g, label: 'CAT' });
    const votes = [1, 2, 3].map(() => lf.apply({ t: 'a cat' }));
    expect(votes).toEqual(['CAT', 'CAT', 'CAT']);
  });

  it('rejects an invalid pattern with a DataError naming the LF', () => {
    expect(() => regexLF({ name: 'broken', field: 't', pattern: '(unclosed', label: 'X' })).toThrow(
      /"broken".*invalid pattern/,
    );
  });
});

describe('customLF', () => {
  it('wraps a function', () => {
    const lf = customLF<'LONG'>('long', (r) => (String(r.text).length > 5 ? 'LONG' : ABSTAIN));
    expect(lf.name).toBe('long');
    expect(lf.apply({ text: 'abcdefg' })).toBe('LONG');
    expect(lf.apply({ text: 'abc' })).toBe(ABSTAIN);
  });

  it('rejects a missing function', () => {
    expect(() => customLF('x', undefined as never)).toThrow(DataError);
  });
});
