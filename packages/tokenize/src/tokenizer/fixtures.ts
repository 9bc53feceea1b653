// Test-only builders of tiny hand-made tokenizer.json files (BERT WordPiece, RoBERTa byte-level BPE,
// XLM-R-style Unigram). Not exported from the package; tests of any area may import this file.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A special `added_tokens` entry (never split, not normalized). */
export function added(id: number, content: string) {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  };
}

/** GPT-2's reversible byte → printable character table used by byte-level BPE. */
export function byteLevelAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCharCode(printable.includes(b) ? b : 256 + shifted++);
  }
  return table;
}

export interface WordPieceFixtureOptions {
  /** Lower-case with BertNormalizer; false leaves text as it is (no normalizer). @default true */
  lowercase?: boolean;
  /** Special tokens first in the vocabulary. @default ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] */
  specials?: readonly string[];
  /** Further special tokens matched verbatim in text (chat markers), after the specials. @default [] */
  addedTokens?: readonly string[];
}

/**
 * A BERT-style tokenizer.json: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4 (or `specials`), then
 * `addedTokens`, then `vocab` in order (continuation pieces spelled "##x"); BertNormalizer,
 * BertPreTokenizer, [CLS] A [SEP] B [SEP].
 */
export function makeWordPieceTokenizerJson(
  vocab: readonly string[],
  options: WordPieceFixtureOptions = {},
) {
  const {
    lowercase = true,
    specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'],
    addedTokens = [],
  } = options;
  const ids: Record<string, number> = {};
  for (const token of [...specials, ...addedTokens, ...vocab])
    if (!(token in ids)) ids[token] = Object.keys(ids).length;
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  const sep = (typeId: number) => ({ SpecialToken: { id: '[SEP]', type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...specials, ...addedTokens].map((token) => added(ids[token] as number, token)),
    normalizer: lowercase
      ? {
          type: 'BertNormalizer',
          clean_text: true,
          handle_chinese_chars: true,
          strip_accents: null,
          lowercase,
        }
      : null,
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep(0)],
      pair: [
        cls,
        { Sequence: { id: 'A', type_id: 0 } },
        sep(0),
        { Sequence: { id: 'B', type_id: 1 } },
        sep(1),
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [ids['[CLS]'] as number], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [ids['[SEP]'] as number], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
}

/** The added_tokens of the RoBERTa and XLM-R fixtures: <s>=0 <pad>=1 </s>=2 <unk>=3 and <mask>. */
function sentencePieceSpecials(maskId: number) {
  return [
    ...['<s>', '<pad>', '</s>', '<unk>'].map((token, id) => added(id, token)),
    added(maskId, '<mask>'),
  ];
}

/**
 * A RoBERTa-style byte-level BPE tokenizer.json: <s>=0 <pad>=1 </s>=2 <unk>=3, the 256 byte symbols,
 * one token per merge ("a b" → "ab", in byte-level spelling, e.g. "Ġ t"), then <mask>.
 */
export function makeBpeTokenizerJson(merges: readonly string[]) {
  const vocab: Record<string, number> = {};
  const push = (token: string) => {
    if (!(token in vocab)) vocab[token] = Object.keys(vocab).length;
  };
  for (const token of ['<s>', '<pad>', '</s>', '<unk>']) push(token);
  for (const symbol of byteLevelAlphabet()) push(symbol);
  for (const merge of merges) {
    const parts = merge.split(' ');
    if (parts.length !== 2)
      throw new Error(`merge "${merge}" must be two symbols separated by one space`);
    push(parts.join(''));
  }
  push('<mask>');
  const maskId = vocab['<mask>'] as number;
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: sentencePieceSpecials(maskId),
    normalizer: null,
    pre_tokenizer: {
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    },
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['</s>', 2],
      cls: ['<s>', 0],
      trim_offsets: true,
      add_prefix_space: false,
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [...merges],
    },
  };
}

/**
 * An XLM-R-style Unigram tokenizer.json: <s>=0 <pad>=1 </s>=2 <unk>=3, `pieces` ([piece, log-prob]
 * with "▁" marking a word start), then <mask>; NFKC, Metaspace, <s> A </s></s> B </s>.
 */
export function makeUnigramTokenizerJson(pieces: ReadonlyArray<readonly [string, number]>) {
  const vocab: Array<[string, number]> = [
    ['<s>', 0],
    ['<pad>', 0],
    ['</s>', 0],
    ['<unk>', 0],
    ...pieces.map(([piece, score]): [string, number] => [piece, score]),
    ['<mask>', 0],
  ];
  const maskId = vocab.length - 1;
  const s = { SpecialToken: { id: '<s>', type_id: 0 } };
  const end = { SpecialToken: { id: '</s>', type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: sentencePieceSpecials(maskId),
    normalizer: { type: 'NFKC' },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    post_processor: {
      type: 'TemplateProcessing',
      single: [s, { Sequence: { id: 'A', type_id: 0 } }, end],
      pair: [
        s,
        { Sequence: { id: 'A', type_id: 0 } },
        end,
        end,
        { Sequence: { id: 'B', type_id: 0 } },
        end,
      ],
      special_tokens: {
        '<s>': { id: '<s>', ids: [0], tokens: ['<s>'] },
        '</s>': { id: '</s>', ids: [2], tokens: ['</s>'] },
      },
    },
    decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    model: { type: 'Unigram', unk_id: 3, vocab, byte_fallback: false },
  };
}

/** Writes a tokenizer folder (tokenizer.json and, when given, tokenizer_config.json / special_tokens_map.json). */
export async function writeTokenizerFolder(
  dir: string,
  files: { tokenizerJson: object | string; tokenizerConfig?: object; specialTokensMap?: object },
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const text = (value: object | string) =>
    typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  await writeFile(join(dir, 'tokenizer.json'), text(files.tokenizerJson));
  if (files.tokenizerConfig)
    await writeFile(join(dir, 'tokenizer_config.json'), text(files.tokenizerConfig));
  if (files.specialTokensMap)
    await writeFile(join(dir, 'special_tokens_map.json'), text(files.specialTokensMap));
  return dir;
}
