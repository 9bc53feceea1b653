// Public types shared across @ft/tokenize: encodings, the tokenizer interface and batch tensors.

/** One encoded text (or text pair), as plain arrays. */
export interface Encoding {
  ids: number[];
  tokens: string[];
  /** Character offsets [start, end) of each token in its source text (UTF-16 code units); [0, 0] for special tokens. */
  offsets: Array<[number, number]>;
  /** 0 for the first text, 1 for the pair. */
  typeIds: number[];
  /** 1 for special tokens added by the post-processor, else 0. */
  specialTokensMask: number[];
  /** Index of the pre-tokenized word each token came from; null for special tokens. */
  wordIds: Array<number | null>;
  /** 0 for tokens of the first text, 1 for the pair; null for special tokens. */
  sequenceIds: Array<number | null>;
}

export interface EncodeOptions {
  /** A second text (sentence pairs). */
  pair?: string;
  /** Add the tokenizer's special tokens ([CLS]/[SEP], BOS/EOS…). @default true */
  addSpecialTokens?: boolean;
}

/** Special tokens by role, as strings (undefined when the tokenizer has none for that role). */
export interface SpecialTokens {
  pad?: string;
  unk?: string;
  cls?: string;
  sep?: string;
  bos?: string;
  eos?: string;
  mask?: string;
  /** Further special tokens (`additional_special_tokens`). */
  additional: string[];
}

/** What every tokenizer in @ft/tokenize offers; packing, chat templates and alignment use only this. */
export interface TextTokenizer {
  encode(text: string, options?: EncodeOptions): Encoding;
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  readonly specialTokens: SpecialTokens;
  readonly vocabSize: number;
  /** The Jinja chat template from tokenizer_config.json, when there is one. */
  readonly chatTemplate: string | undefined;
}

/** Element type of the numeric tensors. */
export type TensorDtype = 'int64' | 'int32';

/** The typed array behind a tensor of the given dtype. */
export type TensorData<D extends TensorDtype = TensorDtype> = D extends 'int32'
  ? Int32Array
  : BigInt64Array;

/** A row-major [batch, seqLen] tensor; `data` can be handed to `new ort.Tensor(dtype, data, dims)`. */
export interface BatchTensor<D extends TensorDtype = TensorDtype> {
  dtype: D;
  data: TensorData<D>;
  dims: [number, number];
}
