import { multilingualSentences } from '@ft/test-utils';
import { describe, expect, it } from 'vitest';
import type { ScriptName, ScriptShares } from '../index.js';
import { assessQuality, detectScripts, dominantScript, SCRIPT_NAMES } from '../index.js';

function shares(nonZero: Partial<Record<ScriptName, number>>): ScriptShares {
  const all = Object.fromEntries(SCRIPT_NAMES.map((s) => [s, 0])) as ScriptShares;
  return { ...all, ...nonZero };
}

describe('detectScripts', () => {
  it('gives Amharic text wholly to Ethiopic, not counting ። or numerals', () => {
    expect(detectScripts('ሰላም ለዓለም። ፩፪')).toEqual(shares({ Ethiopic: 1 }));
    for (const sentence of multilingualSentences.amharic) {
      expect(dominantScript(sentence)).toEqual({ script: 'Ethiopic', share: 1 });
    }
  });

  it('gives Swedish å/ä/ö to Latin', () => {
    expect(detectScripts('Räksmörgås på Åland!')).toEqual(shares({ Latin: 1 }));
  });

  it('splits mixed text by letters (7 Ethiopic, 5 Latin)', () => {
    const result = detectScripts('ሰላም ለዓለም hello 123');
    expect(result.Ethiopic).toBeCloseTo(7 / 12, 12);
    expect(result.Latin).toBeCloseTo(5 / 12, 12);
    expect(dominantScript('ሰላም ለዓለም hello')?.script).toBe('Ethiopic');
  });

  it('names other scripts and falls back to other', () => {
    expect(detectScripts('Привет Γειά')).toEqual(shares({ Cyrillic: 6 / 10, Greek: 4 / 10 }));
    expect(detectScripts('漢字ひらがなカタカナ한글')).toEqual(
      shares({ Han: 2 / 12, Hiragana: 4 / 12, Katakana: 4 / 12, Hangul: 2 / 12 }),
    );
    // Tifinagh is not one of the named scripts.
    expect(detectScripts('ⵜⴰab')).toEqual(shares({ other: 0.5, Latin: 0.5 }));
  });

  it('returns all zeros and no dominant script without letters', () => {
    expect(detectScripts('123 ። !?')).toEqual(shares({}));
    expect(dominantScript('')).toBeNull();
  });
});

describe('assessQuality metrics (hand-computed)', () => {
  it('measures an Amharic sentence', () => {
    // 15 non-space characters (ሰላም 3, ለዓለም። 5, እንዴት 4, ነህ? 3), of which ። and ? are punctuation.
    expect(assessQuality('ሰላም ለዓለም። እንዴት ነህ?')).toEqual({
      pass: true,
      reasons: [],
      metrics: {
        chars: 18,
        words: 4,
        repetitionRatio: 0,
        duplicateLineRatio: 0,
        symbolRatio: 2 / 15,
        dominantScript: 'Ethiopic',
        scriptShare: 1,
      },
    });
  });

  it('splits words on the Ethiopic wordspace and does not count it as a symbol', () => {
    const { metrics } = assessQuality('ሰላም፡ለዓለም');
    expect(metrics.words).toBe(2);
    expect(metrics.chars).toBe(8);
    expect(metrics.symbolRatio).toBe(0);
  });

  it('computes the duplicate 3-gram character fraction', () => {
    // Words the(3) cat(3) sat(3) the(3) cat(3) sat(3) down(4): "the cat sat" occurs twice and
    // covers words 0–5 (18 characters) of 22.
    expect(assessQuality('the cat sat the cat sat down').metrics.repetitionRatio).toBe(18 / 22);
    // "hej hej hej" and "hej hej då" each occur once.
    expect(assessQuality('hej hej hej då').metrics.repetitionRatio).toBe(0);
    // "ሰላም ሰላም ሰላም" occurs at words 0 and 1: every word is covered.
    expect(assessQuality('ሰላም ሰላም ሰላም ሰላም').metrics.repetitionRatio).toBe(1);
    expect(assessQuality('a b').metrics.repetitionRatio).toBe(0);
  });

  it('computes the duplicate-line fraction over non-empty lines', () => {
    // Lines a, b, a, a (blank line ignored): the last two repeat an earlier line.
    expect(assessQuality('a\nb\n a \n\na').metrics.duplicateLineRatio).toBe(2 / 4);
  });

  it('computes the symbol ratio over non-whitespace characters', () => {
    // H e j ! : - ) → 4 symbols of 7.
    expect(assessQuality('Hej! :-)').metrics.symbolRatio).toBe(4 / 7);
    // Combining marks are not symbols: a + U+030A, 2 characters, 0 symbols.
    expect(assessQuality('a\u030A').metrics).toMatchObject({ chars: 2, symbolRatio: 0 });
  });
});

describe('assessQuality thresholds', () => {
  it('fails empty text on length and words', () => {
    expect(assessQuality('')).toEqual({
      pass: false,
      reasons: ['too-few-chars', 'too-few-words'],
      metrics: {
        chars: 0,
        words: 0,
        repetitionRatio: 0,
        duplicateLineRatio: 0,
        symbolRatio: 0,
        dominantScript: null,
        scriptShare: 0,
      },
    });
  });

  it('applies min/max chars and words', () => {
    const text = 'Den snabba bruna räven hoppar.'; // 30 characters, 5 words
    expect(assessQuality(text, { maxChars: 29 }).reasons).toEqual(['too-many-chars']);
    expect(assessQuality(text, { maxChars: 30 }).pass).toBe(true);
    expect(assessQuality(text, { minChars: 31 }).reasons).toEqual(['too-few-chars']);
    expect(assessQuality(text, { minWords: 6 }).reasons).toEqual(['too-few-words']);
    expect(assessQuality(text, { maxWords: 4 }).reasons).toEqual(['too-many-words']);
  });

  it('fails repetition, duplicate lines and symbols', () => {
    expect(assessQuality('spam spam spam spam').reasons).toEqual(['repetition']);
    expect(assessQuality('hej\nhej\nhej\nså').reasons).toEqual(['duplicate-lines']);
    expect(assessQuality('!!! ??? ... ok').reasons).toEqual(['symbols']);
    expect(assessQuality('!!! ??? ... ok', { maxSymbolRatio: 0.9 }).pass).toBe(true);
  });

  it('checks allowed scripts with a minimum share', () => {
    const amharic = 'ሰላም ለዓለም';
    const mixed = 'ሰላም ለዓለም hello';
    expect(assessQuality(amharic, { scripts: ['Ethiopic'], minScriptShare: 0.8 }).pass).toBe(true);
    expect(assessQuality(mixed, { scripts: ['Ethiopic'], minScriptShare: 0.8 }).reasons).toEqual([
      'script',
    ]);
    expect(assessQuality(mixed, { scripts: ['Ethiopic'], minScriptShare: 0.5 }).pass).toBe(true);
    expect(assessQuality(mixed, { scripts: ['Ethiopic', 'Latin'], minScriptShare: 1 }).pass).toBe(
      true,
    );
    expect(assessQuality('Hej på dig', { scripts: ['Ethiopic'] }).reasons).toEqual(['script']);
    expect(assessQuality('123 456', { scripts: ['Latin'] }).reasons).toEqual(['script']);
  });

  it('rejects bad options', () => {
    expect(() => assessQuality('x', { minChars: -1 })).toThrowError(/minChars/);
    expect(() => assessQuality('x', { minWords: 5, maxWords: 2 })).toThrowError(/exceeds/);
    expect(() => assessQuality('x', { maxSymbolRatio: 2 })).toThrowError(/from 0 to 1/);
    expect(() => assessQuality('x', { scripts: ['Klingon' as ScriptName] })).toThrowError(
      /unknown script "Klingon"/,
    );
    expect(() => assessQuality('x', { scripts: [] })).toThrowError(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => assessQuality(undefined as unknown as string)).toThrowError(/expects a string/);
  });
});
