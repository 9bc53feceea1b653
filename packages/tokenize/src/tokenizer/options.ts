// Options and result types of the tokenizer area: loading, batch encoding, tensors for ONNX Runtime.
import type { BatchTensor, TensorDtype } from '../types.js';

export type PaddingStrategy = false | 'longest' | 'max_length';
export type TruncationStrategy = false | 'longest_first' | 'only_first' | 'only_second';
export type Side = 'left' | 'right';

/** One batch input: a text, or a [text, pair] sentence pair. */
export type BatchInput = string | readonly [string, string];

export interface BatchEncodeOptions<D extends TensorDtype = 'int64'> {
  /** Add the tokenizer's special tokens ([CLS]/[SEP], <s>/</s>…). @default true */
  addSpecialTokens?: boolean;
  /** Pad rows to the longest row, to `maxLength`, or not at all (then all rows must have the same length). @default false */
  padding?: PaddingStrategy;
  /** Cut rows longer than `maxLength` (counting special tokens). @default false */
  truncation?: TruncationStrategy;
  /** Length limit for truncation and for 'max_length' padding. @default model_max_length from tokenizer_config.json */
  maxLength?: number;
  /** Round the padded length up to a multiple of this (e.g. 8 for tensor cores). @default undefined */
  padToMultipleOf?: number;
  /** Where pad tokens go. @default padding_side from tokenizer_config.json, else 'right' */
  paddingSide?: Side;
  /** Which end truncation cuts. @default truncation_side from tokenizer_config.json, else 'right' */
  truncationSide?: Side;
  /** Tokens shared by consecutive overflow windows; needs `returnOverflowing`. @default 0 */
  stride?: number;
  /** Return the truncated-away tokens as extra rows (sliding windows), mapped back by `overflowToSample`. @default false */
  returnOverflowing?: boolean;
  /** Element type of the numeric tensors. @default 'int64' */
  dtype?: D;
  /** Return `tokenTypeIds`. @default true when the model uses them (model_input_names or a BERT-style post-processor) */
  returnTokenTypeIds?: boolean;
  /** Pad token to use when the tokenizer defines none (e.g. GPT-2's eos token). @default the tokenizer's pad token */
  padToken?: string;
}

/** A padded batch: numeric tensors of shape [rows, seqLen], plus per-row alignment data. */
export interface BatchEncoding<D extends TensorDtype = 'int64'> {
  inputIds: BatchTensor<D>;
  attentionMask: BatchTensor<D>;
  /** Present when the model uses token type ids (or `returnTokenTypeIds: true`). */
  tokenTypeIds?: BatchTensor<D>;
  /** 1 for special and pad tokens. */
  specialTokensMask: BatchTensor<D>;
  /** Per row, [start, end) UTF-16 offsets of each token in its own text; [0, 0] for special and pad tokens. */
  offsets: Array<Array<[number, number]>>;
  /** Per row, the word index of each token; null for special and pad tokens. */
  wordIds: Array<Array<number | null>>;
  /** Per row, 0 (first text) or 1 (pair) for each token; null for special and pad tokens. */
  sequenceIds: Array<Array<number | null>>;
  /** Input index of each row; present when `returnOverflowing` is set. */
  overflowToSample?: Int32Array;
}

/** A special-token entry of tokenizer_config.json: a string or an AddedToken object. */
export type ConfigToken = string | { content: string; [key: string]: unknown } | null;

/** The fields of tokenizer_config.json this library reads (others are kept but ignored). */
export interface TokenizerConfigJson {
  bos_token?: ConfigToken;
  eos_token?: ConfigToken;
  unk_token?: ConfigToken;
  pad_token?: ConfigToken;
  cls_token?: ConfigToken;
  sep_token?: ConfigToken;
  mask_token?: ConfigToken;
  additional_special_tokens?: ConfigToken[];
  chat_template?: string | Array<{ name: string; template: string }>;
  model_max_length?: number;
  padding_side?: Side;
  truncation_side?: Side;
  model_input_names?: string[];
  clean_up_tokenization_spaces?: boolean;
  [key: string]: unknown;
}

export interface CreateTokenizerOptions {
  /** Contents of tokenizer.json, as text or parsed. */
  tokenizerJson: string | object;
  /** Contents of tokenizer_config.json. @default undefined */
  tokenizerConfig?: TokenizerConfigJson;
  /** Contents of special_tokens_map.json; its entries win over tokenizer_config.json's. @default undefined */
  specialTokensMap?: TokenizerConfigJson;
  /** A chat template that wins over the config's (e.g. from chat_template.jinja). @default undefined */
  chatTemplate?: string;
  /** Which template to use when chat_template is a list of {name, template}. @default 'default' */
  chatTemplateName?: string;
  /** Names (or paths) of the three files, used in error messages. @default the plain file names */
  files?: { tokenizer?: string; config?: string; specialTokensMap?: string };
}

export interface DecodeOptions {
  /** Leave out special tokens ([CLS], </s>, pad…). @default false */
  skipSpecialTokens?: boolean;
  /** Remove the spaces the decoder leaves before punctuation and contractions ("don ' t" → "don't"), as transformers does. @default clean_up_tokenization_spaces from tokenizer_config.json, else false */
  cleanUpTokenizationSpaces?: boolean;
}

export interface LoadTokenizerOptions {
  /** Which template to use when chat_template is a list of {name, template}. @default 'default' */
  chatTemplateName?: string;
}
