// Yardstick: our encode (Rust `tokenizers` engine) must give the same ids as the pure-JS
// @huggingface/tokenizers on a few hundred mixed sentences, and offsets must point at each token's text.
import { createRng } from '@ft/data';
import { multilingualSentences } from '@ft/test-utils';
import { Tokenizer as JsTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import { createTokenizer, type Tokenizer } from '../index.js';
import {
  byteLevelAlphabet,
  makeBpeTokenizerJson,
  makeUnigramTokenizerJson,
  makeWordPieceTokenizerJson,
} from './fixtures.js';

const EXTRA = [
  'Ett år går fort när man har roligt 😀!',
  'Köp 3 äpplen och 2 päron, tack.',
  'I ❤️ tokenizers 🚀🚀 and emoji 👩‍💻.',
  '東京は日本の首都です。',
  '我喜欢学习机器学习。',
  'Mixed: hello 世界, hej världen, ሰላም ዓለም.',
  "Don't split CAN'T, won't — or 3.14%?",
  '  Leading and   multiple   spaces\tand tabs  ',
  'Ünïcödé àccents: café, naïve, Ångström.',
];

/** A few hundred sentences: fragments of English, Swedish, Amharic, emoji and CJK, recombined. */
function sentences(count: number): string[] {
  const rng = createRng('tokenizer-parity');
  const fragments = [
    ...multilingualSentences.english,
    ...multilingualSentences.swedish,
    ...multilingualSentences.amharic,
    ...EXTRA,
  ];
  const out = [...fragments];
  while (out.length < count) {
    const parts = Array.from({ length: 1 + rng.int(3) }, () => {
      const words = rng.pick(fragments).split(' ');
      const start = rng.int(words.length);
      return words.slice(start, start + 1 + rng.int(6)).join(' ');
    });
    out.push(rng.int(4) === 0 ? parts.join(' ').toUpperCase() : parts.join(' '));
  }
  return out;
}

const TEXTS = sentences(300);
const WORDS = [
  ...new Set(
    TEXTS.join(' ')
      .toLowerCase()
      .split(/[\s.,!?;:()"'—-]+/u),
  ),
].filter(Boolean);
const CHARS = [...new Set([...TEXTS.join('').toLowerCase()])].filter((c) => c.trim() !== '');

function wordPiece(): { ours: Tokenizer; js: JsTokenizer; json: object } {
  // Every other word whole, every character as a start and a continuation piece, a few suffixes.
  const vocab = [
    ...WORDS.filter((_, i) => i % 2 === 0),
    ...CHARS,
    ...CHARS.map((c) => `##${c}`),
    '##ing',
    '##en',
    '##er',
    '##s',
  ];
  const json = makeWordPieceTokenizerJson(vocab);
  // transformers' BERT configs set clean_up_tokenization_spaces; the JS library defaults to it.
  const ours = createTokenizer({
    tokenizerJson: json,
    tokenizerConfig: { clean_up_tokenization_spaces: true },
  });
  return { ours, js: new JsTokenizer(json, {}), json };
}

function bpe(): { ours: Tokenizer; js: JsTokenizer } {
  const alphabet = byteLevelAlphabet();
  const encoder = new TextEncoder();
  const merges = new Set<string>();
  // Merge the byte-level spelling of common words left to right ("t h", "th e", …).
  for (const word of WORDS.filter((_, i) => i % 3 === 0).slice(0, 150)) {
    const symbols = [...encoder.encode(` ${word}`)].map((b) => alphabet[b] as string);
    let current = symbols[0] as string;
    for (const next of symbols.slice(1)) {
      merges.add(`${current} ${next}`);
      current += next;
    }
  }
  const json = makeBpeTokenizerJson([...merges]);
  return { ours: createTokenizer({ tokenizerJson: json }), js: new JsTokenizer(json, {}) };
}

function unigram(): { ours: Tokenizer; js: JsTokenizer } {
  const rng = createRng('unigram-scores');
  const pieces = new Map<string, number>();
  for (const c of [...new Set([...TEXTS.join('').normalize('NFKC')])])
    if (c.trim() !== '') pieces.set(c, -12);
  pieces.set('▁', -5);
  for (const word of WORDS.filter((_, i) => i % 2 === 1))
    pieces.set(`▁${word}`, -3 - rng.next() * 6);
  for (const word of WORDS.filter((_, i) => i % 5 === 0)) {
    if (word.length > 3) pieces.set(word.slice(2), -6 - rng.next() * 4);
  }
  const json = makeUnigramTokenizerJson([...pieces]);
  return { ours: createTokenizer({ tokenizerJson: json }), js: new JsTokenizer(json, {}) };
}

const KINDS = { wordpiece: wordPiece, bpe, unigram };

describe.each(Object.keys(KINDS) as Array<keyof typeof KINDS>)(
  '%s: same ids as @huggingface/tokenizers',
  (kind) => {
    const { ours, js } = KINDS[kind]();

    it(`encodes ${TEXTS.length} mixed sentences identically, single and as pairs`, () => {
      expect(TEXTS.length).toBeGreaterThanOrEqual(300);
      for (const text of TEXTS) {
        expect(ours.encode(text).ids, text).toEqual(js.encode(text).ids);
      }
      for (let i = 0; i + 1 < TEXTS.length; i += 7) {
        const a = TEXTS[i] as string;
        const b = TEXTS[i + 1] as string;
        expect(ours.encode(a, { pair: b }).ids, `${a} | ${b}`).toEqual(
          js.encode(a, { text_pair: b }).ids,
        );
      }
    });

    it('gives the same ids through encodeBatch as through encode', () => {
      const batch = ours.encodeBatch(TEXTS, {
        padding: 'longest',
        padToken: ours.idToToken(1) as string,
        dtype: 'int32',
      });
      const [rows, len] = batch.inputIds.dims;
      for (let r = 0; r < rows; r++) {
        const ids = ours.encode(TEXTS[r] as string).ids;
        expect(Array.from(batch.inputIds.data.subarray(r * len, r * len + ids.length))).toEqual(
          ids,
        );
        expect(batch.offsets[r]?.slice(0, ids.length)).toEqual(
          ours.encode(TEXTS[r] as string).offsets,
        );
      }
    });

    it("decodes back to the engine-independent reference's text", () => {
      for (const text of TEXTS.slice(0, 60)) {
        const ids = ours.encode(text).ids;
        const options = { skipSpecialTokens: true, cleanUpTokenizationSpaces: true };
        expect(ours.decode(ids, options)).toBe(js.decode(ids, { skip_special_tokens: true }));
      }
    });
  },
);

describe('offsets point at the text of each token (UTF-16)', () => {
  const strip = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

  it('wordpiece: the slice, lowercased without accents, is the token without "##"', () => {
    const { ours } = wordPiece();
    let checked = 0;
    for (const text of TEXTS) {
      const { tokens, offsets, specialTokensMask } = ours.encode(text);
      for (const [j, token] of tokens.entries()) {
        if (specialTokensMask[j] === 1 || token === '[UNK]') continue;
        const [start, end] = offsets[j] as [number, number];
        expect(strip(text.slice(start, end)), `${token} in ${text}`).toBe(
          strip(token.replace(/^##/, '')),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('bpe: the UTF-8 bytes of the slice contain the bytes of the token', () => {
    const { ours } = bpe();
    const alphabet = byteLevelAlphabet();
    const byteOf = new Map(alphabet.map((symbol, byte) => [symbol, byte]));
    const encoder = new TextEncoder();
    let checked = 0;
    for (const text of TEXTS) {
      const { tokens, offsets, specialTokensMask } = ours.encode(text);
      for (const [j, token] of tokens.entries()) {
        if (specialTokensMask[j] === 1) continue;
        const [start, end] = offsets[j] as [number, number];
        const bytes = [...token].map((symbol) => byteOf.get(symbol) as number);
        // Trimmed offsets drop the leading space byte (0x20).
        const content = bytes[0] === 0x20 ? bytes.slice(1) : bytes;
        const slice = [...encoder.encode(text.slice(start, end))];
        const joined = `,${slice.join(',')},`;
        expect(
          joined.includes(`,${content.join(',')},`) || content.length === 0,
          `${token} in ${text}`,
        ).toBe(true);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('unigram: the NFKC slice, trimmed, is the token without "▁"', () => {
    const { ours } = unigram();
    let checked = 0;
    for (const text of TEXTS) {
      const { tokens, offsets, specialTokensMask, ids } = ours.encode(text);
      for (const [j, token] of tokens.entries()) {
        if (specialTokensMask[j] === 1 || ids[j] === 3 || token === '▁') continue;
        const [start, end] = offsets[j] as [number, number];
        expect(text.slice(start, end).normalize('NFKC').trim(), `${token} in ${text}`).toBe(
          token.replace(/▁/g, ''),
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });
});
