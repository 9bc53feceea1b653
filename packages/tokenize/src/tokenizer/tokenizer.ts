// The Tokenizer: a Hugging Face tokenizer.json run by the Rust `tokenizers` engine, with
// HF-style batch encoding (padding, truncation, sliding windows) into tensors for ONNX Runtime.
import { TokenizeError } from '../errors.js';
import { toTensor } from '../tensor.js';
import type {
  EncodeOptions,
  Encoding,
  SpecialTokens,
  TensorDtype,
  TextTokenizer,
} from '../types.js';
import { type ResolvedConfig, resolveConfig } from './config.js';
import {
  type EngineEncodeResult,
  EngineError,
  type EngineTruncation,
  engineDecode,
  engineEncode,
  engineFree,
  engineLoad,
} from './engine.js';
import type {
  BatchEncodeOptions,
  BatchEncoding,
  BatchInput,
  CreateTokenizerOptions,
  DecodeOptions,
  Side,
  TokenizerConfigJson,
} from './options.js';

const released = new FinalizationRegistry<number>(engineFree);
const SURROGATE = /[\uD800-\uDFFF]/;

const STRATEGIES = {
  longest_first: 'LongestFirst',
  only_first: 'OnlyFirst',
  only_second: 'OnlySecond',
} as const;

function invalid(problem: string, field?: string): TokenizeError {
  return new TokenizeError('INVALID_ARGUMENT', problem, field === undefined ? {} : { field });
}

/** The engine counts characters in code points; JS strings index UTF-16 units. */
function codePointToUtf16(text: string): Int32Array | undefined {
  if (!SURROGATE.test(text)) return undefined;
  const map: number[] = [0];
  let unit = 0;
  for (const char of text) {
    unit += char.length;
    map.push(unit);
  }
  return Int32Array.from(map);
}

function checkLength(value: number | undefined, field: string, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
    throw invalid(`${field} must be an integer ≥ ${min}, got ${value}`, field);
  }
}

/** A Hugging Face tokenizer (WordPiece, BPE, Unigram…) loaded from tokenizer.json and its config files. */
export class Tokenizer implements TextTokenizer {
  readonly specialTokens: SpecialTokens;
  readonly vocabSize: number;
  readonly chatTemplate: string | undefined;
  /** All named chat templates (a single template is named "default"). */
  readonly chatTemplates: Readonly<Record<string, string>>;
  /** model_max_length from tokenizer_config.json, when it sets a real limit. */
  readonly modelMaxLength: number | undefined;
  readonly paddingSide: Side;
  readonly truncationSide: Side;
  /** Whether the model takes token_type_ids (BERT-style); decides if encodeBatch returns them. */
  readonly usesTokenTypeIds: boolean;
  /** clean_up_tokenization_spaces from tokenizer_config.json: decode's default. */
  readonly cleanUpTokenizationSpaces: boolean;
  /** Special tokens the post-processor adds around one text and around a pair. */
  readonly numSpecialTokens: { single: number; pair: number };

  readonly #handle: number;
  readonly #vocab: Map<string, number>;
  readonly #idToToken: string[];

  private constructor(
    handle: number,
    vocab: Map<string, number>,
    config: ResolvedConfig,
    added: [number, number],
  ) {
    this.#handle = handle;
    this.#vocab = vocab;
    this.#idToToken = [];
    for (const [token, id] of vocab) this.#idToToken[id] = token;
    this.vocabSize = this.#idToToken.length;
    this.specialTokens = config.specialTokens;
    this.chatTemplate = config.chatTemplate;
    this.chatTemplates = config.chatTemplates;
    this.modelMaxLength = config.modelMaxLength;
    this.paddingSide = config.paddingSide;
    this.truncationSide = config.truncationSide;
    this.usesTokenTypeIds = config.usesTokenTypeIds;
    this.cleanUpTokenizationSpaces = config.cleanUpTokenizationSpaces;
    this.numSpecialTokens = { single: added[0], pair: added[1] };
    released.register(this, handle);
  }

  /** Builds a tokenizer from in-memory tokenizer.json (text or object) and tokenizer_config.json contents. */
  static fromJSON(tokenizerJson: string | object, config?: TokenizerConfigJson): Tokenizer {
    return createTokenizer({
      tokenizerJson,
      ...(config === undefined ? {} : { tokenizerConfig: config }),
    });
  }

  /** @internal Used by createTokenizer. */
  static create(options: CreateTokenizerOptions): Tokenizer {
    const {
      tokenizerJson,
      tokenizerConfig,
      specialTokensMap,
      chatTemplate,
      chatTemplateName = 'default',
      files = {},
    } = options;
    const names = {
      tokenizer: files.tokenizer ?? 'tokenizer.json',
      config: files.config ?? 'tokenizer_config.json',
      specialTokensMap: files.specialTokensMap ?? 'special_tokens_map.json',
    };
    let text: string;
    let parsed: unknown;
    if (typeof tokenizerJson === 'string') {
      text = tokenizerJson;
      parsed = parseJson(text, names.tokenizer);
    } else {
      parsed = tokenizerJson;
      text = JSON.stringify(tokenizerJson);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new TokenizeError('INVALID_TOKENIZER', 'expected a JSON object at the top level', {
        file: names.tokenizer,
      });
    }
    const json = parsed as Record<string, unknown>;
    if (typeof json.model !== 'object' || json.model === null) {
      throw new TokenizeError(
        'INVALID_TOKENIZER',
        'has no "model" object; is this a Hugging Face tokenizer.json (the fast-tokenizer format)?',
        { file: names.tokenizer, field: 'model' },
      );
    }
    let loaded: ReturnType<typeof engineLoad>;
    try {
      loaded = engineLoad(text);
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      throw new TokenizeError(
        'INVALID_TOKENIZER',
        `the tokenizers engine rejected it: ${error.message}`,
        { file: names.tokenizer, cause: error },
      );
    }
    const vocab = new Map(Object.entries(loaded.vocab));
    try {
      const config = resolveConfig({
        tokenizerJson: json,
        config: tokenizerConfig,
        specialTokensMap,
        chatTemplate,
        chatTemplateName,
        vocab,
        files: names,
      });
      return new Tokenizer(loaded.handle, vocab, config, [loaded.addedSingle, loaded.addedPair]);
    } catch (error) {
      engineFree(loaded.handle);
      throw error;
    }
  }

  tokenToId(token: string): number | undefined {
    return this.#vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.#idToToken[id];
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const {
      skipSpecialTokens = false,
      cleanUpTokenizationSpaces = this.cleanUpTokenizationSpaces,
    } = options;
    for (const [i, id] of ids.entries()) {
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
        throw invalid(`ids[${i}] = ${id} is not a token id (0 ≤ id < ${this.vocabSize})`, 'ids');
      }
    }
    if (ids.length === 0) return '';
    const text = engineDecode(this.#handle, ids, skipSpecialTokens);
    return cleanUpTokenizationSpaces ? cleanUpTokenization(text) : text;
  }

  encode(text: string, options: EncodeOptions = {}): Encoding {
    const { pair, addSpecialTokens = true } = options;
    const input: BatchInput = pair === undefined ? text : [text, pair];
    checkInputs([input]);
    const result = this.#run([input], {
      addSpecialTokens,
      truncation: null,
      overflow: false,
      withTokens: true,
    });
    const n = result.ids.length;
    const maps = [codePointToUtf16(text), pair === undefined ? undefined : codePointToUtf16(pair)];
    const encoding: Encoding = {
      ids: Array.from(result.ids),
      tokens: result.tokens?.[0] ?? [],
      offsets: [],
      typeIds: Array.from(result.typeIds),
      specialTokensMask: Array.from(result.special),
      wordIds: [],
      sequenceIds: [],
    };
    for (let j = 0; j < n; j++) {
      const seq = result.sequences[j] as number;
      const word = result.words[j] as number;
      encoding.sequenceIds.push(seq < 0 ? null : seq);
      encoding.wordIds.push(word < 0 ? null : word);
      encoding.offsets.push(offsetAt(result.offsets, j, maps[seq]));
    }
    return encoding;
  }

  /**
   * Encodes many texts (or [text, pair] pairs) into padded [rows, seqLen] tensors, like
   * `tokenizer(texts, padding=…, truncation=…, return_overflowing_tokens=…, stride=…)` in transformers.
   */
  encodeBatch<D extends TensorDtype = 'int64'>(
    inputs: readonly BatchInput[],
    options: BatchEncodeOptions<D> = {},
  ): BatchEncoding<D> {
    const {
      addSpecialTokens = true,
      padding = false,
      truncation = false,
      maxLength = this.modelMaxLength,
      padToMultipleOf,
      paddingSide = this.paddingSide,
      truncationSide = this.truncationSide,
      stride = 0,
      returnOverflowing = false,
      dtype = 'int64' as D,
      returnTokenTypeIds = this.usesTokenTypeIds,
      padToken = this.specialTokens.pad,
    } = options;
    checkInputs(inputs);
    const hasPairs = inputs.some((input) => typeof input !== 'string');
    const added = addSpecialTokens
      ? hasPairs
        ? this.numSpecialTokens.pair
        : this.numSpecialTokens.single
      : 0;

    if (padding !== false && padding !== 'longest' && padding !== 'max_length') {
      throw invalid(
        `padding must be false, 'longest' or 'max_length', got ${JSON.stringify(padding)}`,
        'padding',
      );
    }
    if (truncation !== false && !(truncation in STRATEGIES)) {
      throw invalid(
        `truncation must be false, 'longest_first', 'only_first' or 'only_second', got ${JSON.stringify(truncation)}`,
        'truncation',
      );
    }
    if (dtype !== 'int64' && dtype !== 'int32')
      throw invalid(`dtype must be 'int64' or 'int32', got ${dtype}`, 'dtype');
    for (const [field, value] of [
      ['paddingSide', paddingSide],
      ['truncationSide', truncationSide],
    ] as const) {
      if (value !== 'left' && value !== 'right')
        throw invalid(`${field} must be 'left' or 'right'`, field);
    }
    checkLength(maxLength, 'maxLength', 1);
    checkLength(padToMultipleOf, 'padToMultipleOf', 1);
    checkLength(stride, 'stride', 0);
    const needsMax = padding === 'max_length' || truncation !== false;
    if (needsMax && maxLength === undefined) {
      throw invalid(
        `${padding === 'max_length' ? "padding 'max_length'" : 'truncation'} needs maxLength (tokenizer_config.json sets no model_max_length)`,
        'maxLength',
      );
    }
    if (padToMultipleOf !== undefined && padding === false) {
      throw invalid(
        "padToMultipleOf only applies with padding 'longest' or 'max_length'",
        'padToMultipleOf',
      );
    }
    if (returnOverflowing && truncation === false) {
      throw invalid(
        'returnOverflowing needs truncation (nothing overflows without it)',
        'returnOverflowing',
      );
    }
    if (stride > 0 && !returnOverflowing) {
      throw invalid(
        'stride only applies to overflow windows; set returnOverflowing: true',
        'stride',
      );
    }
    if (truncation === 'only_second') {
      const single = inputs.findIndex((input) => typeof input === 'string');
      if (single >= 0) {
        throw invalid(
          `truncation 'only_second' needs [text, pair] inputs; input ${single} is a single text`,
          'truncation',
        );
      }
    }
    let engineTruncation: EngineTruncation | null = null;
    if (truncation !== false && maxLength !== undefined) {
      const window = maxLength - added;
      if (window < 1) {
        throw invalid(
          `maxLength ${maxLength} leaves no room for text after the ${added} special tokens`,
          'maxLength',
        );
      }
      // Pairs get a second check per input in the engine worker, once their lengths are known.
      if (stride >= window) {
        throw invalid(
          `stride ${stride} must be smaller than maxLength minus special tokens (${window})`,
          'stride',
        );
      }
      engineTruncation = {
        maxLength,
        strategy: STRATEGIES[truncation],
        direction: truncationSide,
        stride,
      };
    }

    let padId = 0;
    if (padding !== false) {
      if (padToken === undefined) {
        throw new TokenizeError(
          'UNKNOWN_TOKEN',
          'padding needs a pad token and this tokenizer defines none; pass padToken (e.g. the eos token) or set pad_token in tokenizer_config.json',
          { field: 'padToken' },
        );
      }
      const id = this.tokenToId(padToken);
      if (id === undefined) {
        throw new TokenizeError(
          'UNKNOWN_TOKEN',
          `pad token ${JSON.stringify(padToken)} is not in the vocabulary`,
          {
            field: 'padToken',
          },
        );
      }
      padId = id;
    }

    const result = this.#run(inputs, {
      addSpecialTokens,
      truncation: engineTruncation,
      overflow: returnOverflowing,
      withTokens: false,
    });
    const rows = result.rowLengths.length;
    let seqLen = 0;
    for (const n of result.rowLengths) seqLen = Math.max(seqLen, n);
    if (padding === false) {
      const first = result.rowLengths[0] ?? 0;
      const other = result.rowLengths.findIndex((n) => n !== first);
      if (other >= 0) {
        throw invalid(
          `rows 0 and ${other} have different lengths (${first} and ${result.rowLengths[other]}); use padding: 'longest' to get a rectangular batch`,
          'padding',
        );
      }
    } else {
      if (padding === 'max_length' && maxLength !== undefined) {
        const longest = result.rowLengths.findIndex((n) => n > maxLength);
        if (longest >= 0) {
          throw invalid(
            `row ${longest} has ${result.rowLengths[longest]} tokens, more than maxLength ${maxLength}; turn on truncation`,
            'maxLength',
          );
        }
        seqLen = maxLength;
      }
      if (padToMultipleOf !== undefined)
        seqLen = Math.ceil(seqLen / padToMultipleOf) * padToMultipleOf;
    }
    return this.#assemble(inputs, result, {
      rows,
      seqLen,
      padId,
      left: paddingSide === 'left',
      dtype,
      returnTokenTypeIds,
      returnOverflowing,
    });
  }

  #run(
    inputs: readonly BatchInput[],
    settings: {
      addSpecialTokens: boolean;
      truncation: EngineTruncation | null;
      overflow: boolean;
      withTokens: boolean;
    },
  ): EngineEncodeResult {
    try {
      return engineEncode({
        handle: this.#handle,
        inputs,
        ...settings,
      });
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      if (error.field !== undefined) throw invalid(error.message, error.field);
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `the tokenizers engine could not encode the input: ${error.message}`,
        {
          cause: error,
        },
      );
    }
  }

  #assemble<D extends TensorDtype>(
    inputs: readonly BatchInput[],
    result: EngineEncodeResult,
    shape: {
      rows: number;
      seqLen: number;
      padId: number;
      left: boolean;
      dtype: D;
      returnTokenTypeIds: boolean;
      returnOverflowing: boolean;
    },
  ): BatchEncoding<D> {
    const { rows, seqLen, padId, left, dtype } = shape;
    const size = rows * seqLen;
    const ids = new Int32Array(size).fill(padId);
    const attention = new Int32Array(size);
    const typeIds = new Int32Array(size);
    const special = new Int32Array(size).fill(1);
    const offsets: Array<Array<[number, number]>> = [];
    const wordIds: Array<Array<number | null>> = [];
    const sequenceIds: Array<Array<number | null>> = [];
    const maps = new Map<number, [Int32Array | undefined, Int32Array | undefined]>();
    let at = 0;
    for (let r = 0; r < rows; r++) {
      const n = result.rowLengths[r] as number;
      const sample = result.rowSample[r] as number;
      let rowMaps = maps.get(sample);
      if (rowMaps === undefined) {
        const input = inputs[sample] as BatchInput;
        rowMaps =
          typeof input === 'string'
            ? [codePointToUtf16(input), undefined]
            : [codePointToUtf16(input[0]), codePointToUtf16(input[1])];
        maps.set(sample, rowMaps);
      }
      const pad = seqLen - n;
      const start = r * seqLen + (left ? pad : 0);
      ids.set(result.ids.subarray(at, at + n), start);
      attention.fill(1, start, start + n);
      typeIds.set(result.typeIds.subarray(at, at + n), start);
      special.set(result.special.subarray(at, at + n), start);
      const rowOffsets: Array<[number, number]> = [];
      const rowWords: Array<number | null> = [];
      const rowSequences: Array<number | null> = [];
      if (left) for (let j = 0; j < pad; j++) pushPad(rowOffsets, rowWords, rowSequences);
      for (let j = at; j < at + n; j++) {
        const seq = result.sequences[j] as number;
        const word = result.words[j] as number;
        rowOffsets.push(offsetAt(result.offsets, j, rowMaps[seq]));
        rowWords.push(word < 0 ? null : word);
        rowSequences.push(seq < 0 ? null : seq);
      }
      if (!left) for (let j = 0; j < pad; j++) pushPad(rowOffsets, rowWords, rowSequences);
      offsets.push(rowOffsets);
      wordIds.push(rowWords);
      sequenceIds.push(rowSequences);
      at += n;
    }
    const dims: [number, number] = [rows, seqLen];
    const batch: BatchEncoding<D> = {
      inputIds: toTensor(ids, dtype, dims),
      attentionMask: toTensor(attention, dtype, dims),
      specialTokensMask: toTensor(special, dtype, dims),
      offsets,
      wordIds,
      sequenceIds,
    };
    if (shape.returnTokenTypeIds) batch.tokenTypeIds = toTensor(typeIds, dtype, dims);
    if (shape.returnOverflowing) batch.overflowToSample = result.rowSample;
    return batch;
  }
}

/** transformers' clean_up_tokenization: the same replacements, in the same order. */
function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

function pushPad(
  offsets: Array<[number, number]>,
  words: Array<number | null>,
  sequences: Array<number | null>,
): void {
  offsets.push([0, 0]);
  words.push(null);
  sequences.push(null);
}

function offsetAt(offsets: Int32Array, j: number, map: Int32Array | undefined): [number, number] {
  const start = offsets[2 * j] as number;
  const end = offsets[2 * j + 1] as number;
  if (map === undefined) return [start, end];
  return [map[start] ?? start, map[end] ?? end];
}

function checkInputs(inputs: readonly BatchInput[]): void {
  if (!Array.isArray(inputs))
    throw invalid('inputs must be an array of texts or [text, pair] pairs', 'inputs');
  for (const [i, input] of inputs.entries()) {
    const ok =
      typeof input === 'string' ||
      (Array.isArray(input) &&
        input.length === 2 &&
        typeof input[0] === 'string' &&
        typeof input[1] === 'string');
    if (!ok)
      throw invalid(`inputs[${i}] must be a string or a [text, pair] tuple of strings`, 'inputs');
  }
}

/** Parses JSON, reporting where it broke (line and column) on failure. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    let where = '';
    if (position?.[1] !== undefined) {
      const offset = Number(position[1]);
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const column = offset - before.lastIndexOf('\n');
      where = ` (line ${line}, column ${column})`;
    }
    throw new TokenizeError('INVALID_TOKENIZER', `is not valid JSON: ${message}${where}`, {
      file,
      cause: error,
    });
  }
}

/** Builds a tokenizer from in-memory file contents (tokenizer.json, tokenizer_config.json, special_tokens_map.json). */
export function createTokenizer(options: CreateTokenizerOptions): Tokenizer {
  return Tokenizer.create(options);
}
