// Public types of tokenizer training and extension: options, results and the tokenizer.json shape.
import type { SpecialTokens } from '../types.js';

/** Which subword model to train. `bpe` is byte-level BPE as in GPT-2 (no unknown tokens, ever). */
export type TokenizerModelKind = 'wordpiece' | 'bpe';

/**
 * Special tokens by role: the tokenizer's `SpecialTokens` shape, with `additional` optional too.
 * Tokens are placed first in the vocabulary in the order pad, unk, cls, sep, bos, eos, mask,
 * additional (a token named twice is placed once).
 */
export type SpecialTokenRoles = Partial<SpecialTokens>;

export interface TrainTokenizerOptions {
  /** `wordpiece` (BERT-style) or `bpe` (byte-level, GPT-2-style). */
  model: TokenizerModelKind;
  /** Target vocabulary size, special tokens included; training stops earlier when no pair is frequent enough. @default 30000 */
  vocabSize?: number;
  /** A pair must occur at least this many times in the corpus to be merged. @default 2 */
  minFrequency?: number;
  /**
   * Special tokens by role; replaces the defaults as a whole.
   * @default WordPiece: { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' };
   * BPE: { bos: '<|endoftext|>', eos: '<|endoftext|>', unk: '<|endoftext|>', pad: '<|pad|>' }
   */
  specialTokens?: SpecialTokenRoles;
  /** Lowercase text before tokenizing (WordPiece only; like bert-base-uncased). @default true */
  lowercase?: boolean;
  /**
   * Remove accents (NFD, then drop non-spacing marks) — WordPiece only. Off by default because it
   * turns Swedish å/ä/ö into a/a/o, merging different words.
   * @default false
   */
  stripAccents?: boolean;
  /** Keep only this many of the most frequent characters in the alphabet (WordPiece only); others become [UNK]. @default no limit */
  limitAlphabet?: number;
  /** Marks a token that continues a word (WordPiece only). @default '##' */
  continuingSubwordPrefix?: string;
  /** `model_max_length` written to tokenizer_config.json. @default 512 for WordPiece, 1024 for BPE */
  maxLength?: number;
  /** A Jinja chat template written to tokenizer_config.json (checked to parse). @default none */
  chatTemplate?: string;
}

/** One entry of tokenizer.json `added_tokens`. */
export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** The parts of a Hugging Face tokenizer.json this package reads and writes; other parts pass through. */
export interface TokenizerJson {
  version: string;
  truncation: unknown;
  padding: unknown;
  added_tokens: AddedTokenJson[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: {
    type: string;
    /** Token → id (WordPiece, BPE, WordLevel) or [piece, score] by id (Unigram). */
    vocab: Record<string, number> | Array<[string, number]>;
    [key: string]: unknown;
  };
}

/** What training saw and produced. */
export interface TrainStats {
  /** Texts read from the corpus. */
  texts: number;
  /** UTF-16 code units read. */
  characters: number;
  /** Distinct pre-tokenized words counted. */
  uniqueWords: number;
  /** Characters in the base alphabet. */
  alphabetSize: number;
  /** Merges learned. */
  merges: number;
}

/** Paths of the files a save wrote. */
export interface SavedTokenizerFiles {
  tokenizer: string;
  config: string;
  specialTokensMap: string;
}

/** A trained tokenizer, in memory until saved. */
export interface TrainedTokenizer {
  readonly model: TokenizerModelKind;
  /** The full tokenizer.json content. */
  readonly tokenizerJson: TokenizerJson;
  /** The tokenizer_config.json content. */
  readonly tokenizerConfig: Record<string, unknown>;
  /** The special_tokens_map.json content. */
  readonly specialTokensMap: Record<string, string | string[]>;
  /** Number of ids (vocabulary + special tokens). */
  readonly vocabSize: number;
  readonly stats: TrainStats;
  /** Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into `dir` (created if needed). */
  save(dir: string): Promise<SavedTokenizerFiles>;
}

export interface ExtendTokenizerOptions {
  /** Ordinary tokens to add (matched after normalization, like Hugging Face `add_tokens`). */
  tokens?: string[];
  /** Special tokens to add (matched verbatim, never split, skippable when decoding). */
  specialTokens?: string[];
}

export interface ExtendTokenizerResult {
  /** Tokens that were new, with the ids they got (after every existing id, in the order given). */
  added: Array<{ token: string; id: number }>;
  /** Tokens that were already in the vocabulary or added tokens, with their ids; left unchanged. */
  existing: Array<{ token: string; id: number }>;
  /** Number of ids after extending: the row count an embedding matrix needs. */
  vocabSize: number;
  /** The updated tokenizer.json content. */
  tokenizerJson: TokenizerJson;
}
