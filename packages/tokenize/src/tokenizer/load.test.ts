// loadTokenizer / createTokenizer: the three model kinds, config files, encode/decode, and every error case.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTokenizer, loadTokenizer, TokenizeError, Tokenizer } from '../index.js';
import {
  makeBpeTokenizerJson,
  makeUnigramTokenizerJson,
  makeWordPieceTokenizerJson,
  writeTokenizerFolder,
} from './fixtures.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await createTempDir('ft-tokenizer-');
});
afterEach(async () => {
  await tmp.cleanup();
});

async function expectRejects(
  promise: Promise<unknown>,
  code: string,
  pattern: RegExp,
): Promise<TokenizeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenizeError);
  expect((error as TokenizeError).code).toBe(code);
  expect((error as TokenizeError).message).toMatch(pattern);
  return error as TokenizeError;
}

const WORDPIECE = makeWordPieceTokenizerJson([
  'hello',
  'world',
  '##s',
  'hej',
  'värld',
  '😀',
  'ሰላም',
  '##l',
  'wor',
  "'",
  'don',
  't',
]);

describe('loading the three model kinds from folders', () => {
  it('loads a BERT WordPiece folder with tokenizer_config.json', async () => {
    const dir = await writeTokenizerFolder(join(tmp.path, 'bert'), {
      tokenizerJson: WORDPIECE,
      tokenizerConfig: {
        pad_token: '[PAD]',
        unk_token: '[UNK]',
        cls_token: '[CLS]',
        sep_token: '[SEP]',
        mask_token: '[MASK]',
        model_max_length: 512,
      },
    });
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer).toBeInstanceOf(Tokenizer);
    expect(tokenizer.vocabSize).toBe(17);
    expect(tokenizer.modelMaxLength).toBe(512);
    expect(tokenizer.usesTokenTypeIds).toBe(true);
    expect(tokenizer.specialTokens).toEqual({
      pad: '[PAD]',
      unk: '[UNK]',
      cls: '[CLS]',
      sep: '[SEP]',
      mask: '[MASK]',
      additional: [],
    });
    const encoding = tokenizer.encode('Hellos WORLD 😀', { pair: 'hej' });
    expect(encoding.tokens).toEqual([
      '[CLS]',
      'hello',
      '##s',
      'world',
      '😀',
      '[SEP]',
      'hej',
      '[SEP]',
    ]);
    expect(encoding.ids).toEqual([2, 5, 7, 6, 10, 3, 8, 3]);
    // The emoji is two UTF-16 units.
    expect(encoding.offsets).toEqual([
      [0, 0],
      [0, 5],
      [5, 6],
      [7, 12],
      [13, 15],
      [0, 0],
      [0, 3],
      [0, 0],
    ]);
    expect(encoding.typeIds).toEqual([0, 0, 0, 0, 0, 0, 1, 1]);
    expect(encoding.specialTokensMask).toEqual([1, 0, 0, 0, 0, 1, 0, 1]);
    expect(encoding.wordIds).toEqual([null, 0, 0, 1, 2, null, 0, null]);
    expect(encoding.sequenceIds).toEqual([null, 0, 0, 0, 0, null, 1, null]);
    expect(tokenizer.encode('värld wors', { addSpecialTokens: false }).tokens).toEqual([
      '[UNK]',
      'wor',
      '##s',
    ]);
    expect(tokenizer.decode([2, 5, 7, 6, 3])).toBe('[CLS] hellos world [SEP]');
    expect(tokenizer.decode([2, 5, 7, 6, 3], { skipSpecialTokens: true })).toBe('hellos world');
    // The decoder leaves "don ' t"; clean-up joins it like transformers' clean_up_tokenization.
    const contraction = tokenizer.encode("don't").ids;
    expect(tokenizer.cleanUpTokenizationSpaces).toBe(false);
    expect(tokenizer.decode(contraction, { skipSpecialTokens: true })).toBe("don ' t");
    expect(
      tokenizer.decode(contraction, { skipSpecialTokens: true, cleanUpTokenizationSpaces: true }),
    ).toBe("don't");
    const cleaning = createTokenizer({
      tokenizerJson: WORDPIECE,
      tokenizerConfig: { clean_up_tokenization_spaces: true },
    });
    expect(cleaning.decode(contraction, { skipSpecialTokens: true })).toBe("don't");
    expect(tokenizer.tokenToId('world')).toBe(6);
    expect(tokenizer.tokenToId('nope')).toBeUndefined();
    expect(tokenizer.idToToken(7)).toBe('##s');
    expect(tokenizer.idToToken(99)).toBeUndefined();
  });

  it('loads a RoBERTa byte-level BPE folder and infers <s>/</s> from its post-processor', async () => {
    const dir = await writeTokenizerFolder(join(tmp.path, 'roberta'), {
      tokenizerJson: makeBpeTokenizerJson(['Ġ t', 'h e', 'Ġt he', 't he']),
    });
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer.specialTokens).toEqual({ cls: '<s>', sep: '</s>', additional: [] });
    expect(tokenizer.usesTokenTypeIds).toBe(false);
    const encoding = tokenizer.encode('the é the');
    expect(encoding.tokens).toEqual(['<s>', 'the', 'Ġ', 'Ã', '©', 'Ġthe', '</s>']);
    // 'Ġ' + 'é' (two bytes) cover the space and the é; ByteLevel trims the space off the offsets.
    expect(encoding.offsets).toEqual([
      [0, 0],
      [0, 3],
      [4, 4],
      [4, 5],
      [4, 5],
      [6, 9],
      [0, 0],
    ]);
    expect(tokenizer.decode(encoding.ids, { skipSpecialTokens: true })).toBe('the é the');
    expect(tokenizer.encode('the', { pair: 'the' }).tokens).toEqual([
      '<s>',
      'the',
      '</s>',
      '</s>',
      'the',
      '</s>',
    ]);
  });

  it('loads an XLM-R-style Unigram folder and picks the best segmentation', async () => {
    const dir = await writeTokenizerFolder(join(tmp.path, 'xlmr'), {
      tokenizerJson: makeUnigramTokenizerJson([
        ['▁', -3],
        ['▁the', -2],
        ['▁t', -4],
        ['he', -4],
        ['re', -3],
        ['▁there', -4],
        ['t', -6],
        ['h', -6],
        ['e', -6],
        ['r', -6],
      ]),
      tokenizerConfig: {
        bos_token: '<s>',
        eos_token: '</s>',
        pad_token: '<pad>',
        unk_token: '<unk>',
      },
    });
    const tokenizer = await loadTokenizer(dir);
    // "▁there" (-4) beats "▁the"+"re" (-5); "▁t"+"he" (-8) loses to "▁the" (-2).
    expect(tokenizer.encode('there the', { addSpecialTokens: false }).tokens).toEqual([
      '▁there',
      '▁the',
    ]);
    // Unknown characters keep their text as the token but get the <unk> id (as in transformers).
    const unknown = tokenizer.encode('the x');
    expect(unknown.tokens).toEqual(['<s>', '▁the', '▁', 'x', '</s>']);
    expect(unknown.ids).toEqual([0, 5, 4, 3, 2]);
    expect(tokenizer.specialTokens.bos).toBe('<s>');
    // NFKC folds the full-width letters before the model sees them.
    expect(tokenizer.encode('ｔｈｅ', { addSpecialTokens: false }).tokens).toEqual(['▁the']);
    expect(tokenizer.decode(tokenizer.encode('there the').ids, { skipSpecialTokens: true })).toBe(
      'there the',
    );
  });
});

describe('tokenizer_config.json and special_tokens_map.json', () => {
  it('reads AddedToken objects, additional special tokens, sides, and lets special_tokens_map.json win', () => {
    const tokenizer = createTokenizer({
      tokenizerJson: WORDPIECE,
      tokenizerConfig: {
        pad_token: { content: '[PAD]', lstrip: false },
        eos_token: '[SEP]',
        additional_special_tokens: ['[MASK]', { content: '[CLS]' }],
        padding_side: 'left',
        truncation_side: 'left',
        model_max_length: 1e30,
      },
      specialTokensMap: { eos_token: { content: '[CLS]' } },
    });
    expect(tokenizer.specialTokens.pad).toBe('[PAD]');
    expect(tokenizer.specialTokens.eos).toBe('[CLS]');
    expect(tokenizer.specialTokens.unk).toBe('[UNK]');
    expect(tokenizer.specialTokens.additional).toEqual(['[MASK]', '[CLS]']);
    expect(tokenizer.paddingSide).toBe('left');
    expect(tokenizer.truncationSide).toBe('left');
    expect(tokenizer.modelMaxLength).toBeUndefined();
  });

  it('reads a chat template string, or picks "default" from a list of named templates', () => {
    const single = Tokenizer.fromJSON(WORDPIECE, { chat_template: '{{ messages }}' });
    expect(single.chatTemplate).toBe('{{ messages }}');
    const named = Tokenizer.fromJSON(JSON.stringify(WORDPIECE), {
      chat_template: [
        { name: 'tool_use', template: 'TOOLS' },
        { name: 'default', template: 'DEFAULT' },
      ],
    });
    expect(named.chatTemplate).toBe('DEFAULT');
    expect(named.chatTemplates).toEqual({ tool_use: 'TOOLS', default: 'DEFAULT' });
    const picked = createTokenizer({
      tokenizerJson: WORDPIECE,
      tokenizerConfig: { chat_template: [{ name: 'tool_use', template: 'TOOLS' }] },
      chatTemplateName: 'tool_use',
    });
    expect(picked.chatTemplate).toBe('TOOLS');
    expect(Tokenizer.fromJSON(WORDPIECE).chatTemplate).toBeUndefined();
  });

  it('prefers chat_template.jinja in the folder over the config template', async () => {
    const dir = await writeTokenizerFolder(join(tmp.path, 'chat'), {
      tokenizerJson: WORDPIECE,
      tokenizerConfig: { chat_template: 'OLD' },
    });
    await writeFile(
      join(dir, 'chat_template.jinja'),
      '{% for m in messages %}{{ m.content }}{% endfor %}',
    );
    const tokenizer = await loadTokenizer(dir);
    expect(tokenizer.chatTemplate).toBe('{% for m in messages %}{{ m.content }}{% endfor %}');
  });

  it.each([
    [{ pad_token: '<pad>' }, 'pad_token', /"<pad>" is not in the vocabulary/],
    [
      { additional_special_tokens: ['[MASK]', '<extra_0>'] },
      'additional_special_tokens[1]',
      /"<extra_0>"/,
    ],
    [{ mask_token: { content: '<mask>' } }, 'mask_token', /"<mask>"/],
  ])('rejects special tokens outside the vocabulary: %j', (config, field, pattern) => {
    let error: unknown;
    try {
      createTokenizer({ tokenizerJson: WORDPIECE, tokenizerConfig: config });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokenizeError);
    expect((error as TokenizeError).code).toBe('UNKNOWN_TOKEN');
    expect((error as TokenizeError).field).toBe(field);
    expect((error as TokenizeError).file).toBe('tokenizer_config.json');
    expect((error as TokenizeError).message).toMatch(pattern);
  });

  it.each([
    [{ pad_token: 7 }, 'pad_token', /expected a token string or an AddedToken object/],
    [{ pad_token: { text: '[PAD]' } }, 'pad_token', /AddedToken/],
    [{ additional_special_tokens: '[MASK]' }, 'additional_special_tokens', /must be a list/],
    [{ chat_template: 42 }, 'chat_template', /must be a string or a list/],
    [
      { chat_template: [{ name: 'x' }] },
      'chat_template[0]',
      /\{"name": string, "template": string\}/,
    ],
    [{ model_max_length: -5 }, 'model_max_length', /positive number/],
    [{ padding_side: 'top' }, 'padding_side', /"left" or "right"/],
    [{ model_input_names: 'input_ids' }, 'model_input_names', /list of strings/],
  ])('rejects malformed config field %j', (config, field, pattern) => {
    let error: unknown;
    try {
      createTokenizer({ tokenizerJson: WORDPIECE, tokenizerConfig: config as never });
    } catch (e) {
      error = e;
    }
    expect((error as TokenizeError).code).toBe('INVALID_TOKENIZER');
    expect((error as TokenizeError).field).toBe(field);
    expect((error as TokenizeError).message).toMatch(pattern);
  });
});

describe('loading errors', () => {
  it('reports a missing folder and a missing tokenizer.json', async () => {
    const missing = join(tmp.path, 'nope');
    const error = await expectRejects(loadTokenizer(missing), 'FILE_NOT_FOUND', /is not a folder/);
    expect(error.file).toBe(missing);
    await mkdir(join(tmp.path, 'empty'));
    await writeFile(join(tmp.path, 'empty', 'vocab.txt'), '[PAD]\n');
    const noJson = await expectRejects(
      loadTokenizer(join(tmp.path, 'empty')),
      'FILE_NOT_FOUND',
      /is missing/,
    );
    expect(noJson.file).toBe(join(tmp.path, 'empty', 'tokenizer.json'));
  });

  it('reports invalid JSON with its position, in tokenizer.json and in the config', async () => {
    const dir = await writeTokenizerFolder(join(tmp.path, 'broken'), {
      tokenizerJson: '{\n  "model": {,\n}',
    });
    const error = await expectRejects(
      loadTokenizer(dir),
      'INVALID_TOKENIZER',
      /not valid JSON.*line 2, column 13/s,
    );
    expect(error.file).toBe(join(dir, 'tokenizer.json'));
    const dir2 = await writeTokenizerFolder(join(tmp.path, 'broken-config'), {
      tokenizerJson: WORDPIECE,
    });
    await writeFile(join(dir2, 'tokenizer_config.json'), '{"pad_token": "[PAD]"');
    const configError = await expectRejects(
      loadTokenizer(dir2),
      'INVALID_TOKENIZER',
      /not valid JSON/,
    );
    expect(configError.file).toBe(join(dir2, 'tokenizer_config.json'));
    await writeFile(join(dir2, 'tokenizer_config.json'), '["pad"]');
    await expectRejects(loadTokenizer(dir2), 'INVALID_TOKENIZER', /JSON object at the top level/);
  });

  it("passes the engine's message on when it rejects a tokenizer.json", async () => {
    const bad = { ...WORDPIECE, model: { type: 'WordPiece', vocab: 'not a map' } };
    const dir = await writeTokenizerFolder(join(tmp.path, 'rejected'), { tokenizerJson: bad });
    const error = await expectRejects(
      loadTokenizer(dir),
      'INVALID_TOKENIZER',
      /the tokenizers engine rejected it/,
    );
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message.length).toBeGreaterThan(0);
    expect(() => createTokenizer({ tokenizerJson: { version: '1.0' } })).toThrow(
      /has no "model" object/,
    );
    expect(() => createTokenizer({ tokenizerJson: '[1, 2]' })).toThrow(
      /JSON object at the top level/,
    );
  });

  it('names the config file when a special token of the folder config is unknown', async () => {
    const dir = await writeTokenizerFolder(join(tmp.path, 'unknown'), {
      tokenizerJson: WORDPIECE,
      specialTokensMap: { pad_token: '<pad>' },
    });
    const error = await expectRejects(loadTokenizer(dir), 'UNKNOWN_TOKEN', /"<pad>"/);
    expect(error.file).toBe(join(dir, 'special_tokens_map.json'));
    expect(error.field).toBe('pad_token');
  });

  it('rejects ids outside the vocabulary in decode', () => {
    const tokenizer = Tokenizer.fromJSON(WORDPIECE);
    expect(() => tokenizer.decode([5, 99])).toThrow(/ids\[1\] = 99 is not a token id/);
    expect(() => tokenizer.decode([1.5])).toThrow(TokenizeError);
    expect(tokenizer.decode([])).toBe('');
  });
});
