// Training: hand-computed merges, an exact match with the Rust trainer, options, files and errors.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readRecords } from '@ft/data';
import { createTempDir, multilingualSentences } from '@ft/test-utils';
import { BPE, byteLevelPreTokenizer, Tokenizer as RustTokenizer } from 'tokenizers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../bench/corpus.js';
import type { TokenizeErrorCode, TrainedTokenizer } from '../index.js';
import { TokenizeError, trainTokenizer } from '../index.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  tmp = await createTempDir('ft-train-');
});
afterEach(() => tmp.cleanup());

const sentences = [
  ...multilingualSentences.english,
  ...multilingualSentences.swedish,
  ...multilingualSentences.amharic,
];

function vocabOf(trained: TrainedTokenizer): Record<string, number> {
  return trained.tokenizerJson.model.vocab as Record<string, number>;
}

async function rustEncode(trained: TrainedTokenizer, text: string) {
  const tokenizer = RustTokenizer.fromString(JSON.stringify(trained.tokenizerJson));
  const encoding = await tokenizer.encode(text);
  return { ids: encoding.getIds(), tokens: encoding.getTokens() };
}

async function expectError(promise: Promise<unknown>, code: TokenizeErrorCode, text: RegExp) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TokenizeError);
  expect((error as TokenizeError).code).toBe(code);
  expect((error as TokenizeError).message).toMatch(text);
  return error as TokenizeError;
}

describe('trainTokenizer: merges', () => {
  it('learns the hand-computed byte-level merges (aa, ab, aaab) and stops below minFrequency', async () => {
    // Words: "aaab" ×2, "ab" ×1. Pairs: (a,a)=4, (a,b)=3 → merge aa; then (a,b)=3 → ab;
    // then (aa,ab)=2 → aaab; nothing else occurs twice.
    const trained = await trainTokenizer(['aaab', 'aaab', 'ab'], {
      model: 'bpe',
      vocabSize: 1000,
      minFrequency: 2,
    });
    expect(trained.tokenizerJson.model.merges).toEqual([
      ['a', 'a'],
      ['a', 'b'],
      ['aa', 'ab'],
    ]);
    // 2 special tokens + 256 byte symbols + 3 merged tokens.
    expect(trained.vocabSize).toBe(261);
    // Special tokens first in role order (pad, …, eos), then the byte symbols by code point ('!' … so 'a' = 2 + 0x61 - 0x21).
    expect(vocabOf(trained)).toMatchObject({
      '<|pad|>': 0,
      '<|endoftext|>': 1,
      a: 66,
      aa: 258,
      ab: 259,
      aaab: 260,
    });
    expect((await rustEncode(trained, 'aaab')).tokens).toEqual(['aaab']);
    expect((await rustEncode(trained, 'aab ba')).tokens).toEqual(['aa', 'b', 'Ġ', 'b', 'a']);
  });

  it('learns exactly the merges of the Rust tokenizers BpeTrainer on the same corpus', async () => {
    const lines = generateCorpus(0.05, 11).map((s) => s.replaceAll('\n', ' '));
    const file = join(tmp.path, 'corpus.txt');
    await writeFile(file, `${lines.join('\n')}\n`, 'utf8');
    // The binding trains with the default trainer only: vocab 30000, min frequency 0, no specials.
    const reference = new RustTokenizer(BPE.empty());
    reference.setPreTokenizer(byteLevelPreTokenizer(false, true));
    reference.train([file]);
    reference.save(join(tmp.path, 'reference.json'));
    const expected = JSON.parse(await readFile(join(tmp.path, 'reference.json'), 'utf8'));

    // The Rust file reader keeps each line's '\n', so feed the same texts.
    const trained = await trainTokenizer(
      lines.map((l) => `${l}\n`),
      { model: 'bpe', vocabSize: 30000, minFrequency: 0, specialTokens: {} },
    );
    expect(expected.model.merges.length).toBeGreaterThan(5000);
    expect(trained.tokenizerJson.model.merges).toEqual(expected.model.merges);
  });

  it('is deterministic: the same corpus gives the same tokenizer.json', async () => {
    const corpus = generateCorpus(0.03, 5);
    const a = await trainTokenizer(corpus, { model: 'wordpiece', vocabSize: 1500 });
    const b = await trainTokenizer(corpus, { model: 'wordpiece', vocabSize: 1500 });
    expect(JSON.stringify(a.tokenizerJson)).toBe(JSON.stringify(b.tokenizerJson));
    expect(a.vocabSize).toBe(1500);
  });
});

describe('trainTokenizer: WordPiece', () => {
  it('puts the special tokens first, keeps å ä ö and Ethiopic, and encodes with [CLS] … [SEP]', async () => {
    const corpus = [...generateCorpus(0.05, 3), ...sentences];
    const trained = await trainTokenizer(corpus, { model: 'wordpiece', vocabSize: 2000 });
    const vocab = vocabOf(trained);
    expect([
      vocab['[PAD]'],
      vocab['[UNK]'],
      vocab['[CLS]'],
      vocab['[SEP]'],
      vocab['[MASK]'],
    ]).toEqual([0, 1, 2, 3, 4]);
    for (const c of ['å', 'ä', 'ö', '##å', 'ሰ', 'ላ', '##ም', '።'])
      expect(vocab[c]).toBeTypeOf('number');
    expect(vocab.på).toBeTypeOf('number');
    expect(trained.vocabSize).toBe(2000);
    expect(trained.stats.texts).toBe(corpus.length);

    const { tokens, ids } = await rustEncode(trained, 'Den snabba räven. ሰላም ለዓለም።');
    expect(tokens[0]).toBe('[CLS]');
    expect(tokens.at(-1)).toBe('[SEP]');
    expect(ids[0]).toBe(2);
    expect(tokens.join(' ').replaceAll(' ##', '')).toBe(
      '[CLS] den snabba räven . ሰላም ለዓለም ። [SEP]',
    );
    expect(tokens).not.toContain('[UNK]');
  });

  it('stripAccents folds ö to o; lowercase false keeps case', async () => {
    const corpus = ['Över över över ÖVER', 'Åka åka ÅKA'];
    const stripped = await trainTokenizer(corpus, {
      model: 'wordpiece',
      stripAccents: true,
      minFrequency: 1,
    });
    expect(vocabOf(stripped).over).toBeTypeOf('number');
    expect(vocabOf(stripped).ö).toBeUndefined();
    const cased = await trainTokenizer(corpus, {
      model: 'wordpiece',
      lowercase: false,
      minFrequency: 1,
    });
    expect(vocabOf(cased).Över).toBeTypeOf('number');
    expect(vocabOf(cased).ÖVER).toBeTypeOf('number');
    expect(vocabOf(cased).över).toBeTypeOf('number');
  });

  it('limitAlphabet keeps the most frequent characters; the rest encode as [UNK]', async () => {
    const trained = await trainTokenizer(['aaaa bbb cc d', 'aaaa bbb cc'], {
      model: 'wordpiece',
      limitAlphabet: 3,
      minFrequency: 1,
    });
    expect(trained.stats.alphabetSize).toBe(3);
    expect(vocabOf(trained).d).toBeUndefined();
    expect((await rustEncode(trained, 'cc d')).tokens).toEqual(['[CLS]', 'cc', '[UNK]', '[SEP]']);
  });

  it('uses a custom continuingSubwordPrefix in the vocabulary, model and decoder', async () => {
    const trained = await trainTokenizer(['abcd abcd abce'], {
      model: 'wordpiece',
      continuingSubwordPrefix: '@@',
      minFrequency: 1,
      vocabSize: 14,
    });
    // 5 specials + a..e + continuations @@b @@c @@d @@e = 13: no room for merges.
    expect(Object.keys(vocabOf(trained)).slice(5)).toEqual([
      'a',
      'b',
      'c',
      'd',
      'e',
      '@@b',
      '@@c',
      '@@d',
      '@@e',
    ]);
    expect(trained.tokenizerJson.model.continuing_subword_prefix).toBe('@@');
    expect(trained.tokenizerJson.decoder).toEqual({
      type: 'WordPiece',
      prefix: '@@',
      cleanup: true,
    });
  });

  it('reads records streamed from a JSONL file', async () => {
    const file = join(tmp.path, 'data.jsonl');
    const lines = sentences.map((text, i) => JSON.stringify({ id: i, text }));
    await writeFile(file, `${lines.join('\n')}\n`, 'utf8');
    const trained = await trainTokenizer(
      { records: readRecords(file), field: 'text' },
      { model: 'wordpiece', minFrequency: 1, vocabSize: 500 },
    );
    expect(trained.stats.texts).toBe(9);
    expect(vocabOf(trained).räven).toBeTypeOf('number');
  });

  it('reads an async iterable of strings', async () => {
    async function* texts() {
      yield 'hej hej hej';
      yield 'hejsan';
    }
    const trained = await trainTokenizer(texts(), { model: 'wordpiece', minFrequency: 1 });
    expect(trained.stats).toMatchObject({ texts: 2, uniqueWords: 2 });
    expect(vocabOf(trained).hej).toBeTypeOf('number');
  });
});

describe('trainTokenizer: saved files', () => {
  it('writes tokenizer.json, tokenizer_config.json and special_tokens_map.json', async () => {
    const template = "{% for m in messages %}{{ m['content'] }}{% endfor %}";
    const trained = await trainTokenizer(sentences, {
      model: 'bpe',
      vocabSize: 300,
      maxLength: 2048,
      chatTemplate: template,
      specialTokens: { bos: '<s>', eos: '</s>', pad: '<pad>', additional: ['<|user|>'] },
    });
    const dir = join(tmp.path, 'nested', 'tok');
    const paths = await trained.save(dir);
    expect(paths.tokenizer).toBe(join(dir, 'tokenizer.json'));
    const config = JSON.parse(await readFile(paths.config, 'utf8'));
    expect(config).toMatchObject({
      tokenizer_class: 'GPT2Tokenizer',
      bos_token: '<s>',
      eos_token: '</s>',
      pad_token: '<pad>',
      additional_special_tokens: ['<|user|>'],
      model_max_length: 2048,
      padding_side: 'right',
      chat_template: template,
    });
    expect(config.added_tokens_decoder['3']).toMatchObject({ content: '<|user|>', special: true });
    expect(JSON.parse(await readFile(paths.specialTokensMap, 'utf8'))).toEqual({
      pad_token: '<pad>',
      bos_token: '<s>',
      eos_token: '</s>',
      additional_special_tokens: ['<|user|>'],
    });
    const saved = JSON.parse(await readFile(paths.tokenizer, 'utf8'));
    expect(saved).toEqual(trained.tokenizerJson);
    expect(
      saved.added_tokens.map((t: { content: string; id: number }) => [t.content, t.id]),
    ).toEqual([
      ['<pad>', 0],
      ['<s>', 1],
      ['</s>', 2],
      ['<|user|>', 3],
    ]);
    const rust = RustTokenizer.fromFile(paths.tokenizer);
    expect((await rust.encode('<s>hej<|user|>')).getIds().slice(0, 1)).toEqual([1]);
  });

  it('writes a WordPiece config that Transformers reads the same way (do_lower_case, strip_accents)', async () => {
    const trained = await trainTokenizer(sentences, { model: 'wordpiece', minFrequency: 1 });
    expect(trained.tokenizerConfig).toMatchObject({
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      strip_accents: false,
      model_max_length: 512,
      cls_token: '[CLS]',
      mask_token: '[MASK]',
    });
    expect(trained.specialTokensMap).toEqual({
      pad_token: '[PAD]',
      unk_token: '[UNK]',
      cls_token: '[CLS]',
      sep_token: '[SEP]',
      mask_token: '[MASK]',
    });
  });
});

describe('trainTokenizer: errors', () => {
  it('rejects an empty corpus', async () => {
    await expectError(trainTokenizer([], { model: 'wordpiece' }), 'TRAINING_FAILED', /0 texts/);
    await expectError(trainTokenizer(['', ''], { model: 'bpe' }), 'TRAINING_FAILED', /2 texts/);
    await expectError(
      trainTokenizer(['  ', '\n'], { model: 'wordpiece' }),
      'TRAINING_FAILED',
      /no words/,
    );
  });

  it('rejects a vocabSize below special tokens + alphabet, naming the minimum', async () => {
    const error = await expectError(
      trainTokenizer(['abc abd'], { model: 'wordpiece', vocabSize: 8 }),
      'INVALID_ARGUMENT',
      // 5 specials + a b c d + ##b ##c ##d
      /at least 12/,
    );
    expect(error.field).toBe('vocabSize');
    await expectError(
      trainTokenizer(['abc'], { model: 'bpe', vocabSize: 257 }),
      'INVALID_ARGUMENT',
      /at least 258/,
    );
  });

  it('names the record that lacks the text field', async () => {
    const records = [{ text: 'a' }, { text: 'b' }, { body: 'c' }];
    const error = await expectError(
      trainTokenizer({ records, field: 'text' }, { model: 'wordpiece' }),
      'INVALID_ARGUMENT',
      /record 2 has no field "text"/,
    );
    expect(error.field).toBe('text');
    await expectError(
      trainTokenizer({ records: [{ text: 5 }], field: 'text' }, { model: 'wordpiece' }),
      'INVALID_ARGUMENT',
      /record 0 has a number in field "text"/,
    );
    await expectError(
      trainTokenizer(['ok', null as unknown as string], { model: 'wordpiece' }),
      'INVALID_ARGUMENT',
      /corpus item 1 is null/,
    );
    await expectError(
      trainTokenizer('text' as unknown as string[], { model: 'bpe' }),
      'INVALID_ARGUMENT',
      /a string/,
    );
  });

  it('rejects bad options with the option named', async () => {
    const cases: Array<[Record<string, unknown>, string, TokenizeErrorCode]> = [
      [{ model: 'unigram' }, 'model', 'INVALID_ARGUMENT'],
      [{ model: 'bpe', vocabSize: 1.5 }, 'vocabSize', 'INVALID_ARGUMENT'],
      [{ model: 'bpe', minFrequency: -1 }, 'minFrequency', 'INVALID_ARGUMENT'],
      [{ model: 'bpe', lowercase: true }, 'lowercase', 'INVALID_ARGUMENT'],
      [{ model: 'bpe', limitAlphabet: 10 }, 'limitAlphabet', 'INVALID_ARGUMENT'],
      [
        { model: 'wordpiece', specialTokens: { cls: '[CLS]', sep: '[SEP]' } },
        'specialTokens.unk',
        'INVALID_ARGUMENT',
      ],
      [
        { model: 'wordpiece', specialTokens: { unk: ' ' } },
        'specialTokens.unk',
        'INVALID_ARGUMENT',
      ],
      [
        { model: 'wordpiece', continuingSubwordPrefix: '' },
        'continuingSubwordPrefix',
        'INVALID_ARGUMENT',
      ],
      [
        { model: 'wordpiece', chatTemplate: '{% for m in messages %}' },
        'chatTemplate',
        'TEMPLATE_ERROR',
      ],
    ];
    for (const [options, field, code] of cases) {
      const error = await expectError(
        trainTokenizer(['hello'], options as never),
        code,
        new RegExp(field.split('.')[0] as string),
      );
      expect(error.field).toBe(field);
    }
  });

  it('reports an output folder that cannot be written', async () => {
    const trained = await trainTokenizer(['hello hello'], { model: 'wordpiece' });
    const blocker = join(tmp.path, 'file');
    await writeFile(blocker, 'x');
    const error = await expectError(
      trained.save(join(blocker, 'tok')),
      'INVALID_ARGUMENT',
      /choose a writable folder/,
    );
    expect(error.file).toBe(join(blocker, 'tok'));
    await mkdir(join(tmp.path, 'ok'));
    await expect(trained.save(join(tmp.path, 'ok'))).resolves.toMatchObject({
      config: join(tmp.path, 'ok', 'tokenizer_config.json'),
    });
  });
});
