// tokenizeChat and entity decoding with a byte-level BPE tokenizer, whose tokens carry spaces and
// newlines ("Ġgo", "Ċ") unlike WordPiece.
import { describe, expect, it } from 'vitest';
import { createTokenizer, decodeEntities, encodeWords, tokenizeChat } from '../index.js';
import { added, makeBpeTokenizerJson } from '../tokenizer/fixtures.js';

const MERGES = [
  'u s',
  'us e',
  'use r',
  'a s',
  'as s',
  'ass i',
  'assi s',
  'assis t',
  'assist a',
  'assista n',
  'assistan t',
  'H i',
  'O k',
  'Ġ g',
  'Ġg o',
  'A d',
  'Ad d',
  'i s',
  'Ġ A',
  'ĠA b',
  'a b',
  'ab a',
  'ĠAb aba',
];

function bpeTokenizer() {
  const json = makeBpeTokenizerJson(MERGES);
  for (const content of ['<|im_start|>', '<|im_end|>']) {
    const id = Object.keys(json.model.vocab).length;
    json.model.vocab[content] = id;
    json.added_tokens.push(added(id, content));
  }
  return createTokenizer({
    tokenizerJson: json,
    tokenizerConfig: { bos_token: '<s>', eos_token: '</s>', pad_token: '<pad>' },
  });
}

describe('byte-level BPE', () => {
  const tokenizer = bpeTokenizer();

  it('labels the assistant content and <|im_end|> but not the newlines around them', () => {
    const result = tokenizeChat(
      [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Ok go' },
      ],
      tokenizer,
      { template: 'chatml' },
    );
    const tokens = result.inputIds.map((id) => tokenizer.idToToken(id));
    expect(tokens).toEqual([
      '<|im_start|>',
      'user',
      'Ċ',
      'Hi',
      '<|im_end|>',
      'Ċ',
      '<|im_start|>',
      'assistant',
      'Ċ',
      'Ok',
      'Ġgo',
      '<|im_end|>',
      'Ċ',
    ]);
    const trained = result.labels.map((label, i) => (label === -100 ? null : tokens[i]));
    expect(trained).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      null,
      'Ok',
      'Ġgo',
      '<|im_end|>',
      null,
    ]);
  });

  it('aligns words and decodes entities to exact spans despite space-carrying tokens', () => {
    const encoding = encodeWords(tokenizer, ['Addis', 'Ababa', 'Ok']);
    expect(encoding.tokens).toEqual(['<s>', 'Add', 'is', 'ĠAbaba', 'Ġ', 'Ok', '</s>']);
    // The lone space token (merge ranks made "Ok" before "ĠO") belongs to no word.
    expect(encoding.wordIds).toEqual([null, 0, 0, 1, null, 2, null]);
    const entities = decodeEntities(encoding, ['O', 'B-LOC', 'O', 'I-LOC', 'O', 'O', 'O']);
    expect(entities).toEqual([
      { label: 'LOC', start: 0, end: 11, text: 'Addis Ababa', words: [0, 2] },
    ]);
    // Straight from encode(): word ids are the pre-tokenizer's, spans come from token offsets. The
    // word "Addis" starts with a bare "Ġ" token (empty offsets [3, 3]); as in training, its first
    // token carries the word's label.
    const text = 'Ok Addis Ababa';
    const raw = tokenizer.encode(text);
    expect(raw.tokens).toEqual(['<s>', 'Ok', 'Ġ', 'Add', 'is', 'ĠAbaba', '</s>']);
    expect(raw.wordIds).toEqual([null, 0, 1, 1, 1, 2, null]);
    expect(decodeEntities(raw, ['O', 'O', 'B-LOC', 'O', 'O', 'I-LOC', 'O'], { text })).toEqual([
      { label: 'LOC', start: 3, end: 14, text: 'Addis Ababa', words: [1, 3] },
    ]);
  });
});
