// Trained folders load in the Rust engine, @huggingface/tokenizers and Transformers.js and encode
// 3000 multilingual sentences identically there; extended tokenizers keep every existing id.
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { Tokenizer as JsTokenizer } from '@huggingface/tokenizers';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { Tokenizer as RustTokenizer } from 'tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../bench/corpus.js';
import type { TokenizerJson, TokenizerModelKind } from '../index.js';
import { extendTokenizer, loadTokenizer, TokenizeError, trainTokenizer } from '../index.js';

let tmp: { path: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await createTempDir('ft-engines-');
  env.allowRemoteModels = false;
});
afterAll(() => tmp.cleanup());

const trainCorpus = generateCorpus(0.25, 1);
const edgeCases = [
  'ΟΔΟΣ ΣΟΦΟΣ. İstanbul ǅ ﬁ e\u0301 Å\u030a a\u200bb \u00adc',
  "I'll've don't 's  \n\n x  ",
  '[CLS] hello [SEP] world [MASK] <|endoftext|>hi<|pad|>',
  '   leading and trailing   ',
  '',
];
const testSentences = [...generateCorpus(0.3, 2).slice(0, 3000), ...edgeCases];

interface Engines {
  rust: RustTokenizer;
  js: JsTokenizer;
  transformers: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
}

async function loadEngines(dir: string): Promise<Engines> {
  const tokenizerJson = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8'));
  const config = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
  env.localModelPath = dirname(dir);
  return {
    rust: RustTokenizer.fromFile(join(dir, 'tokenizer.json')),
    js: new JsTokenizer(tokenizerJson, config),
    transformers: await AutoTokenizer.from_pretrained(basename(dir), { local_files_only: true }),
  };
}

async function rustIds(engines: Engines, texts: string[]): Promise<number[][]> {
  return (await engines.rust.encodeBatch(texts)).map((e) => e.getIds());
}

describe.each(['wordpiece', 'bpe'] as const)(
  '%s tokenizer in three engines',
  (model: TokenizerModelKind) => {
    const dir = () => join(tmp.path, model);
    let engines: Engines;
    beforeAll(async () => {
      const trained = await trainTokenizer(trainCorpus, { model, vocabSize: 3000 });
      expect(trained.vocabSize).toBe(3000);
      await trained.save(dir());
      engines = await loadEngines(dir());
    });

    it('encodes 3000 multilingual sentences to the same ids and tokens everywhere', async () => {
      const rust = await engines.rust.encodeBatch(testSentences);
      const mismatches: string[] = [];
      testSentences.forEach((text, i) => {
        const encoding = rust[i];
        if (encoding === undefined) throw new Error('missing encoding');
        const ids = encoding.getIds();
        const tokens = encoding.getTokens();
        const js = engines.js.encode(text);
        const tf = engines.transformers.encode(text);
        if (JSON.stringify(js.ids) !== JSON.stringify(ids)) mismatches.push(`js ids: ${text}`);
        if (JSON.stringify(js.tokens) !== JSON.stringify(tokens))
          mismatches.push(`js tokens: ${text}`);
        if (JSON.stringify(tf) !== JSON.stringify(ids))
          mismatches.push(`transformers ids: ${text}`);
      });
      expect(mismatches).toEqual([]);
      // The comparison is not vacuous: real subwords, hardly any unknowns.
      const total = rust.reduce((n, e) => n + e.getLength(), 0);
      expect(total).toBeGreaterThan(testSentences.length * 10);
    });

    it('loads with loadTokenizer and encodes like the Rust engine', async () => {
      const tokenizer = await loadTokenizer(dir());
      const texts = testSentences.slice(0, 300);
      const expected = await rustIds(engines, texts);
      expect(texts.map((t) => tokenizer.encode(t).ids)).toEqual(expected);
      expect(tokenizer.vocabSize).toBe(3000);
    });

    it('encodes sentence pairs the same way', async () => {
      const pairs = testSentences.slice(0, 200);
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const [a, b] = [pairs[i] as string, pairs[i + 1] as string];
        const ids = (await engines.rust.encode(a, b)).getIds();
        expect(engines.js.encode(a, { text_pair: b }).ids).toEqual(ids);
        expect(engines.transformers.encode(a, { text_pair: b })).toEqual(ids);
      }
    });

    it('decodes back to the same text in every engine', async () => {
      const texts = testSentences.slice(0, 100);
      const ids = await rustIds(engines, texts);
      const decoded = await engines.rust.decodeBatch(ids, true);
      ids.forEach((row, i) => {
        expect(engines.js.decode(row, { skip_special_tokens: true })).toBe(decoded[i]);
        expect(engines.transformers.decode(row, { skip_special_tokens: true })).toBe(decoded[i]);
      });
      if (model === 'bpe') expect(decoded).toEqual(texts);
    });

    it('extends the folder: new tokens get the next ids, old ids stay, all engines agree', async () => {
      const before = await rustIds(engines, testSentences.slice(0, 300));
      const oldSize = engines.rust.getVocabSize(true);
      const existingWord = model === 'wordpiece' ? 'och' : 'the';
      const result = await extendTokenizer(dir(), {
        tokens: ['covid19', existingWord, 'covid19'],
        specialTokens: ['<|user|>', '<|assistant|>'],
      });
      expect(result.added).toEqual([
        { token: 'covid19', id: oldSize },
        { token: '<|user|>', id: oldSize + 1 },
        { token: '<|assistant|>', id: oldSize + 2 },
      ]);
      expect(result.existing).toEqual([
        { token: existingWord, id: engines.rust.tokenToId(existingWord) as number },
      ]);
      expect(result.vocabSize).toBe(oldSize + 3);

      const extended = await loadEngines(dir());
      expect(await rustIds(extended, testSentences.slice(0, 300))).toEqual(before);
      const text = '<|user|>what is covid19?<|assistant|>a virus';
      const ids = (await extended.rust.encode(text, null, { addSpecialTokens: false })).getIds();
      expect(ids).toContain(oldSize);
      expect(ids[0]).toBe(oldSize + 1);
      expect(ids).toContain(oldSize + 2);
      expect(extended.js.encode(text, { add_special_tokens: false }).ids).toEqual(ids);
      expect(extended.transformers.encode(text, { add_special_tokens: false })).toEqual(ids);

      const config = JSON.parse(await readFile(join(dir(), 'tokenizer_config.json'), 'utf8'));
      expect(config.additional_special_tokens).toEqual(['<|user|>', '<|assistant|>']);
      expect(config.added_tokens_decoder[String(oldSize)]).toMatchObject({
        content: 'covid19',
        special: false,
      });
      const map = JSON.parse(await readFile(join(dir(), 'special_tokens_map.json'), 'utf8'));
      expect(map.additional_special_tokens).toEqual(['<|user|>', '<|assistant|>']);

      // Extending again reports them as existing and adds nothing.
      const again = await extendTokenizer(dir(), { specialTokens: ['<|user|>'] });
      expect(again).toMatchObject({
        added: [],
        existing: [{ token: '<|user|>', id: oldSize + 1 }],
        vocabSize: oldSize + 3,
      });
    });
  },
);

describe('extendTokenizer on a tokenizer.json object', () => {
  it('returns an updated copy and leaves the input untouched', async () => {
    const trained = await trainTokenizer(['hej hej på dig'], {
      model: 'wordpiece',
      minFrequency: 1,
    });
    const source = trained.tokenizerJson;
    const snapshot = JSON.stringify(source);
    const result = await extendTokenizer(source, { tokens: ['[URL]'], specialTokens: ['[UNK]'] });
    expect(JSON.stringify(source)).toBe(snapshot);
    expect(result.added).toEqual([{ token: '[URL]', id: trained.vocabSize }]);
    expect(result.existing).toEqual([{ token: '[UNK]', id: 1 }]);
    expect(result.tokenizerJson.added_tokens.at(-1)).toEqual({
      id: trained.vocabSize,
      content: '[URL]',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: false,
    });
    const rust = RustTokenizer.fromString(JSON.stringify(result.tokenizerJson));
    const hej = rust.tokenToId('hej') as number;
    // An ordinary added token matches normalized (here lowercased) text, as in Transformers.
    expect((await rust.encode('hej [URL] [url]')).getIds()).toEqual([
      2,
      hej,
      trained.vocabSize,
      trained.vocabSize,
      3,
    ]);
    const js = new JsTokenizer(result.tokenizerJson, trained.tokenizerConfig);
    expect(js.encode('hej [URL] [url]').ids).toEqual([
      2,
      hej,
      trained.vocabSize,
      trained.vocabSize,
      3,
    ]);
  });

  it('rejects bad input with a clear error', async () => {
    const trained = await trainTokenizer(['hej'], { model: 'wordpiece', minFrequency: 1 });
    const broken = join(tmp.path, 'broken');
    await trained.save(broken);
    await writeFile(join(broken, 'tokenizer.json'), '{ not json');
    const json = trained.tokenizerJson;
    const cases: Array<[() => Promise<unknown>, string, RegExp]> = [
      [() => extendTokenizer(json, {}), 'INVALID_ARGUMENT', /nothing to add/],
      [() => extendTokenizer(json, { tokens: [''] }), 'INVALID_ARGUMENT', /tokens\[0\]/],
      [
        () => extendTokenizer(json, { tokens: ['x'], specialTokens: ['x'] }),
        'INVALID_ARGUMENT',
        /both/,
      ],
      [
        () => extendTokenizer({ model: {} } as unknown as TokenizerJson, { tokens: ['x'] }),
        'INVALID_TOKENIZER',
        /vocabulary/,
      ],
      [
        () => extendTokenizer(join(tmp.path, 'missing'), { tokens: ['x'] }),
        'FILE_NOT_FOUND',
        /tokenizer\.json/,
      ],
      [() => extendTokenizer(broken, { tokens: ['x'] }), 'INVALID_TOKENIZER', /not valid JSON/],
    ];
    for (const [run, code, text] of cases) {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TokenizeError);
      expect((error as TokenizeError).code).toBe(code);
      expect((error as TokenizeError).message).toMatch(text);
    }
  });
});
