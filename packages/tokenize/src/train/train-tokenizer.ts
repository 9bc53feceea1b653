// Trains a WordPiece or byte-level BPE tokenizer from texts and builds the Hugging Face files for it.
import { Template } from '@huggingface/jinja';
import { TokenizeError } from '../errors.js';
import { trainBpe } from './bpe-trainer.js';
import { corpusTexts, type TrainingCorpus } from './corpus.js';
import { byteLevelSymbols, createBertSplitter, createByteLevelSplitter } from './pre-tokenize.js';
import {
  addedTokensDecoder,
  ROLE_ORDER,
  specialTokensMapFor,
  writeTokenizerFolder,
} from './tokenizer-files.js';
import type {
  AddedTokenJson,
  SavedTokenizerFiles,
  SpecialTokenRoles,
  TokenizerJson,
  TokenizerModelKind,
  TrainedTokenizer,
  TrainTokenizerOptions,
} from './types.js';

const DEFAULT_ROLES: Record<TokenizerModelKind, SpecialTokenRoles> = {
  wordpiece: { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' },
  // A pad distinct from EOS, so masking labels by pad id never hides the EOS the model must learn.
  bpe: { bos: '<|endoftext|>', eos: '<|endoftext|>', unk: '<|endoftext|>', pad: '<|pad|>' },
};

/**
 * Rust lowercases character by character (Σ → σ), while the JS engines call `toLowerCase` on
 * whole strings, which turns a word-final Σ into ς. Mapping Σ to σ first gives every engine the
 * same text, and changes nothing for Rust. (Transformers' BertTokenizerFast keeps a Sequence
 * normalizer as is.)
 */
const SIGMA_FIX = { type: 'Replace', pattern: { String: 'Σ' }, content: 'σ' };

function invalid(field: string, problem: string): TokenizeError {
  return new TokenizeError('INVALID_ARGUMENT', problem, { field });
}

function checkInteger(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw invalid(field, `${field} must be an integer ≥ ${min}, got ${String(value)}.`);
  }
}

/** Special tokens in vocabulary order, each once. */
function orderedSpecialTokens(roles: SpecialTokenRoles): string[] {
  const tokens = ROLE_ORDER.map((role) => roles[role]).filter((t): t is string => t !== undefined);
  return [...new Set([...tokens, ...(roles.additional ?? [])])];
}

function checkRoles(model: TokenizerModelKind, roles: SpecialTokenRoles): void {
  for (const role of ROLE_ORDER) {
    const token = roles[role];
    if (token !== undefined && (typeof token !== 'string' || token.trim() === '')) {
      throw invalid(
        `specialTokens.${role}`,
        `special tokens must be non-empty strings, got ${JSON.stringify(token)}.`,
      );
    }
  }
  for (const token of roles.additional ?? []) {
    if (typeof token !== 'string' || token.trim() === '') {
      throw invalid(
        'specialTokens.additional',
        `special tokens must be non-empty strings, got ${JSON.stringify(token)}.`,
      );
    }
  }
  if (model === 'wordpiece' && roles.unk === undefined) {
    throw invalid(
      'specialTokens.unk',
      'WordPiece needs an unk token for words it cannot split; add specialTokens.unk (e.g. "[UNK]").',
    );
  }
  if (model === 'wordpiece' && (roles.cls === undefined) !== (roles.sep === undefined)) {
    throw invalid('specialTokens', 'give both cls and sep (for [CLS] A [SEP] B [SEP]) or neither.');
  }
}

/** Checks the options and fills in defaults. */
function resolveOptions(options: TrainTokenizerOptions) {
  if (options === null || typeof options !== 'object') {
    throw invalid('options', "options are required, e.g. { model: 'wordpiece', vocabSize: 8000 }.");
  }
  const { model } = options;
  if (model !== 'wordpiece' && model !== 'bpe') {
    throw invalid('model', `model must be 'wordpiece' or 'bpe', got ${JSON.stringify(model)}.`);
  }
  const wordpiece = model === 'wordpiece';
  const {
    vocabSize = 30000,
    minFrequency = 2,
    specialTokens = DEFAULT_ROLES[model],
    lowercase = wordpiece,
    stripAccents = false,
    limitAlphabet,
    continuingSubwordPrefix = wordpiece ? '##' : undefined,
    maxLength = wordpiece ? 512 : 1024,
    chatTemplate,
  } = options;
  checkInteger('vocabSize', vocabSize, 1);
  checkInteger('minFrequency', minFrequency, 0);
  checkInteger('maxLength', maxLength, 1);
  if (limitAlphabet !== undefined) checkInteger('limitAlphabet', limitAlphabet, 1);
  if (!wordpiece) {
    // Byte-level BPE has no normalizer and a fixed 256-symbol alphabet; these options would be silently meaningless.
    if (lowercase)
      throw invalid(
        'lowercase',
        'lowercase applies to WordPiece only; byte-level BPE keeps text as is.',
      );
    if (stripAccents) throw invalid('stripAccents', 'stripAccents applies to WordPiece only.');
    if (limitAlphabet !== undefined) {
      throw invalid(
        'limitAlphabet',
        'limitAlphabet applies to WordPiece only; byte-level BPE always has the 256 byte symbols.',
      );
    }
    if (continuingSubwordPrefix !== undefined) {
      throw invalid(
        'continuingSubwordPrefix',
        'continuingSubwordPrefix applies to WordPiece only.',
      );
    }
  } else if (typeof continuingSubwordPrefix !== 'string' || continuingSubwordPrefix === '') {
    throw invalid(
      'continuingSubwordPrefix',
      'continuingSubwordPrefix must be a non-empty string such as "##".',
    );
  }
  checkRoles(model, specialTokens);
  if (chatTemplate !== undefined) {
    try {
      new Template(chatTemplate);
    } catch (error) {
      throw new TokenizeError(
        'TEMPLATE_ERROR',
        `chatTemplate does not parse: ${(error as Error).message}; fix the Jinja syntax.`,
        {
          field: 'chatTemplate',
          cause: error,
        },
      );
    }
  }
  return {
    model,
    vocabSize,
    minFrequency,
    roles: specialTokens,
    lowercase,
    stripAccents,
    limitAlphabet,
    prefix: continuingSubwordPrefix,
    maxLength,
    chatTemplate,
  };
}

type Resolved = ReturnType<typeof resolveOptions>;

function templateProcessing(cls: string, sep: string, ids: ReadonlyMap<string, number>): unknown {
  const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const entry = (token: string) => ({
    id: token,
    ids: [ids.get(token) as number],
    tokens: [token],
  });
  return {
    type: 'TemplateProcessing',
    single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
    pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
    special_tokens: Object.fromEntries([cls, sep].map((t) => [t, entry(t)])),
  };
}

function buildTokenizerJson(
  o: Resolved,
  specials: readonly string[],
  vocab: readonly string[],
  merges: ReadonlyArray<[string, string]>,
): TokenizerJson {
  const ids = new Map(vocab.map((token, id) => [token, id]));
  const addedTokens: AddedTokenJson[] = specials.map((content) => ({
    id: ids.get(content) as number,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  // Object.fromEntries defines own keys, so even a token spelled "__proto__" is stored safely.
  const vocabObject = Object.fromEntries(vocab.map((token, id) => [token, id]));
  if (o.model === 'wordpiece') {
    const { cls, sep, unk } = o.roles;
    const bert = {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: o.stripAccents,
      lowercase: o.lowercase,
    };
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: addedTokens,
      normalizer: o.lowercase ? { type: 'Sequence', normalizers: [SIGMA_FIX, bert] } : bert,
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor:
        cls !== undefined && sep !== undefined ? templateProcessing(cls, sep, ids) : null,
      decoder: { type: 'WordPiece', prefix: o.prefix, cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: unk,
        continuing_subword_prefix: o.prefix,
        max_input_chars_per_word: 100,
        vocab: vocabObject,
      },
    };
  }
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: {
      type: 'ByteLevel',
      add_prefix_space: false,
      trim_offsets: true,
      use_regex: true,
    },
    // GPT-2 uses a ByteLevel post-processor, which (with trim_offsets off) only concatenates pairs;
    // the JS engines drop the second text there, so an equivalent template without special tokens.
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: {},
    },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: vocabObject,
      merges: merges.map(([a, b]) => [a, b]),
    },
  };
}

function buildConfig(o: Resolved, addedTokens: readonly AddedTokenJson[]): Record<string, unknown> {
  const tokens: Record<string, unknown> = {};
  for (const role of ROLE_ORDER) {
    const token = o.roles[role];
    if (token !== undefined) tokens[`${role}_token`] = token;
  }
  const config: Record<string, unknown> =
    o.model === 'wordpiece'
      ? {
          tokenizer_class: 'BertTokenizer',
          // Spelled out because Transformers' BertTokenizerFast rebuilds the normalizer from these.
          do_lower_case: o.lowercase,
          strip_accents: o.stripAccents,
          tokenize_chinese_chars: true,
          clean_up_tokenization_spaces: true,
          model_input_names: ['input_ids', 'token_type_ids', 'attention_mask'],
        }
      : {
          tokenizer_class: 'GPT2Tokenizer',
          add_prefix_space: false,
          add_bos_token: false,
          clean_up_tokenization_spaces: false,
          model_input_names: ['input_ids', 'attention_mask'],
        };
  Object.assign(config, tokens, {
    additional_special_tokens: [...(o.roles.additional ?? [])],
    model_max_length: o.maxLength,
    padding_side: 'right',
    truncation_side: 'right',
    added_tokens_decoder: addedTokensDecoder(addedTokens),
  });
  if (o.chatTemplate !== undefined) config.chat_template = o.chatTemplate;
  return config;
}

/**
 * Trains a tokenizer on `corpus`, read once as a stream (memory grows with distinct words, not
 * with corpus size). The result encodes identically in the Rust `tokenizers` engine,
 * `@huggingface/tokenizers` and Transformers.js; `save(dir)` writes the folder.
 */
export async function trainTokenizer(
  corpus: TrainingCorpus,
  options: TrainTokenizerOptions,
): Promise<TrainedTokenizer> {
  const o = resolveOptions(options);
  const specials = orderedSpecialTokens(o.roles);
  const byteLevel = o.model === 'bpe';
  if (byteLevel && o.vocabSize < specials.length + 256) {
    throw invalid(
      'vocabSize',
      `vocabSize ${o.vocabSize} is smaller than the ${specials.length} special tokens + 256 byte symbols every byte-level BPE vocabulary holds; raise it to at least ${specials.length + 256}.`,
    );
  }

  const split = byteLevel
    ? createByteLevelSplitter()
    : createBertSplitter({ lowercase: o.lowercase, stripAccents: o.stripAccents });
  const wordCounts = new Map<string, number>();
  let texts = 0;
  let characters = 0;
  for await (const text of corpusTexts(corpus)) {
    texts++;
    characters += text.length;
    for (const word of split(text)) wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1);
  }
  if (wordCounts.size === 0) {
    throw new TokenizeError(
      'TRAINING_FAILED',
      `the corpus has no words to learn from (${texts} texts, all empty or whitespace); pass a non-empty corpus` +
        `${texts === 0 ? '' : ', or check that `field` names the text field'}.`,
      { field: 'corpus' },
    );
  }

  const result = trainBpe(wordCounts, {
    vocabSize: o.vocabSize,
    minFrequency: o.minFrequency,
    specialTokens: specials,
    initialAlphabet: byteLevel ? byteLevelSymbols() : [],
    limitAlphabet: o.limitAlphabet,
    continuingSubwordPrefix: o.prefix,
  });

  const tokenizerJson = buildTokenizerJson(o, specials, result.vocab, result.merges);
  const tokenizerConfig = buildConfig(o, tokenizerJson.added_tokens);
  const specialTokensMap = specialTokensMapFor(o.roles);
  return {
    model: o.model,
    tokenizerJson,
    tokenizerConfig,
    specialTokensMap,
    vocabSize: result.vocab.length,
    stats: {
      texts,
      characters,
      uniqueWords: wordCounts.size,
      alphabetSize: result.alphabetSize,
      merges: result.merges.length,
    },
    save: (dir) => writeTokenizerFolder(dir, { tokenizerJson, tokenizerConfig, specialTokensMap }),
  };
}

/** Writes a trained tokenizer's files into `dir`; the same as `trained.save(dir)`. */
export function saveTokenizer(
  trained: TrainedTokenizer,
  dir: string,
): Promise<SavedTokenizerFiles> {
  return trained.save(dir);
}
