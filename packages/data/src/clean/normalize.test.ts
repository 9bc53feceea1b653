import { multilingualSentences } from '@ft/test-utils';
import { describe, expect, it } from 'vitest';
import { DataError, normalizeText } from '../index.js';

describe('normalizeText', () => {
  it('applies NFKC by default: fullwidth forms and ligatures', () => {
    expect(normalizeText('ＡＢＣ１２３')).toBe('ABC123');
    expect(normalizeText('ﬁ')).toBe('fi');
    expect(normalizeText('ﬁne ﬂow')).toBe('fine flow');
    expect(normalizeText('ＡＢＣ', { form: 'NFC' })).toBe('ＡＢＣ');
    expect(normalizeText('ＡＢＣ', { form: false })).toBe('ＡＢＣ');
  });

  it('leaves Amharic, Swedish and English sentences unchanged', () => {
    for (const sentence of [
      ...multilingualSentences.amharic,
      ...multilingualSentences.swedish,
      ...multilingualSentences.english,
    ]) {
      expect(normalizeText(sentence)).toBe(sentence);
    }
    // Ethiopic numerals, wordspace and punctuation have no compatibility mappings.
    expect(normalizeText('፩፪፫ ሰላም፡ለዓለም፣ ነገ።')).toBe('፩፪፫ ሰላም፡ለዓለም፣ ነገ።');
    expect(normalizeText('Räksmörgås på Åland')).toBe('Räksmörgås på Åland');
  });

  it('composes combining sequences without damaging them', () => {
    expect(normalizeText('a\u030A')).toBe('\u00E5');
    expect(normalizeText('Ra\u0308ksmo\u0308rga\u030As', { form: 'NFC' })).toBe('Räksmörgås');
    expect(normalizeText('a\u030A', { form: false })).toBe('a\u030A');
    // No precomposed form exists: the sequence stays.
    expect(normalizeText('q\u0307')).toBe('q\u0307');
    expect(normalizeText('नमस्ते')).toBe('नमस्ते');
  });

  it('keeps ZWJ and ZWNJ, removes zero-width spaces, word joiners, BOM and soft hyphens', () => {
    expect(normalizeText('می\u200Cخواهم')).toBe('می\u200Cخواهم');
    expect(normalizeText('👩\u200D💻')).toBe('👩\u200D💻');
    expect(normalizeText('\uFEFFHej\u200B då\u2060!')).toBe('Hej då!');
    expect(normalizeText('co\u00ADoperation')).toBe('cooperation');
  });

  it('removes control characters but keeps newlines and (uncollapsed) tabs', () => {
    expect(normalizeText('a\u0000b\u0007c\u001Bd\u007Fe\u009Ff')).toBe('abcdef');
    expect(normalizeText('ሰላም\u0000 ለዓለም')).toBe('ሰላም ለዓለም');
    expect(normalizeText('a\tb\nc', { collapseWhitespace: false })).toBe('a\tb\nc');
  });

  it('normalises line breaks', () => {
    expect(normalizeText('a\r\nb\rc\u2028d\u0085e')).toBe('a\nb\nc\nd\ne');
    expect(normalizeText('a\u2029b')).toBe('a\n\nb');
    expect(normalizeText('a\u000Bb\u000Cc')).toBe('a\nb\nc');
  });

  it('collapses spaces and tabs and drops whitespace at line ends', () => {
    expect(normalizeText('a  \t b')).toBe('a b');
    expect(normalizeText('a\tb')).toBe('a b');
    expect(normalizeText('a   \nb')).toBe('a\nb');
    // NFKC maps the no-break space to a space; NFC keeps a single one.
    expect(normalizeText('1\u00A0000 kr')).toBe('1 000 kr');
    expect(normalizeText('1\u00A0000 kr', { form: 'NFC' })).toBe('1\u00A0000 kr');
    expect(normalizeText('  x  =  1', { collapseWhitespace: false, trim: false })).toBe(
      '  x  =  1',
    );
  });

  it('limits consecutive blank lines', () => {
    expect(normalizeText('a\n\n\n\nb')).toBe('a\n\nb');
    expect(normalizeText('a\n\nb')).toBe('a\n\nb');
    expect(normalizeText('a\n \n\t\n  \nb')).toBe('a\n\nb');
    expect(normalizeText('a\n\n\nb', { maxBlankLines: 0 })).toBe('a\nb');
    expect(normalizeText('a\n\n\n\n\nb', { maxBlankLines: 2 })).toBe('a\n\n\nb');
    expect(normalizeText('a\n\n\n\nb', { maxBlankLines: false })).toBe('a\n\n\n\nb');
  });

  it('trims unless told not to', () => {
    expect(normalizeText('  hej  \n')).toBe('hej');
    expect(normalizeText('  hej  ', { trim: false })).toBe(' hej');
  });

  it('does all steps together', () => {
    expect(normalizeText('ＡＢＣ１２３ ﬁ\r\nx\u200By\u200D\u0000z  \t a\n\n\n\nb  ')).toBe(
      'ABC123 fi\nxy\u200Dz a\n\nb',
    );
  });

  it('rejects bad options and non-string input', () => {
    expect(() => normalizeText('x', { form: 'NFD' as 'NFC' })).toThrowError(/form/);
    expect(() => normalizeText('x', { maxBlankLines: -1 })).toThrowError(/maxBlankLines/);
    expect(() => normalizeText('x', { maxBlankLines: 1.5 })).toThrowError(DataError);
    expect(() => normalizeText(42 as unknown as string)).toThrowError(/expects a string/);
    expect(() => normalizeText('x', { form: 'NFD' as 'NFC' })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});
