// Adds tokens to an existing tokenizer with ids after every existing one, so a model's embedding
// matrix grows by appending rows and no existing id moves.
import { TokenizeError } from '../errors.js';
import {
  addedTokensDecoder,
  asTokenizerJson,
  readTokenizerFolder,
  writeTokenizerFolder,
} from './tokenizer-files.js';
import type {
  AddedTokenJson,
  ExtendTokenizerOptions,
  ExtendTokenizerResult,
  TokenizerJson,
} from './types.js';

function checkTokenList(field: string, tokens: unknown): string[] {
  if (tokens === undefined) return [];
  if (!Array.isArray(tokens)) {
    throw new TokenizeError('INVALID_ARGUMENT', `${field} must be an array of strings.`, { field });
  }
  tokens.forEach((token, i) => {
    if (typeof token !== 'string' || token === '') {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `${field}[${i}] is ${JSON.stringify(token)}; tokens must be non-empty strings.`,
        { field },
      );
    }
  });
  return tokens as string[];
}

/** Every token → id the tokenizer already knows: model vocabulary and added tokens. */
function knownIds(json: TokenizerJson): Map<string, number> {
  const ids = new Map<string, number>();
  const { vocab } = json.model;
  if (Array.isArray(vocab)) {
    // Unigram: [piece, score] by id.
    vocab.forEach(([piece], id) => {
      if (!ids.has(piece)) ids.set(piece, id);
    });
  } else {
    for (const [token, id] of Object.entries(vocab)) ids.set(token, id);
  }
  for (const added of json.added_tokens ?? []) ids.set(added.content, added.id);
  return ids;
}

/** Adds the tokens to a copy of `json`; the input is left untouched. */
function addTokens(
  source: TokenizerJson,
  tokens: readonly string[],
  specialTokens: readonly string[],
): ExtendTokenizerResult {
  const json = structuredClone(source);
  json.added_tokens ??= [];
  const ids = knownIds(json);
  let nextId = 0;
  for (const id of ids.values()) nextId = Math.max(nextId, id + 1);
  if (Array.isArray(json.model.vocab)) nextId = Math.max(nextId, json.model.vocab.length);

  const both = tokens.find((t) => specialTokens.includes(t));
  if (both !== undefined) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `"${both}" is listed in both tokens and specialTokens; list it once, in the kind you want.`,
      { field: 'specialTokens' },
    );
  }
  const added: ExtendTokenizerResult['added'] = [];
  const existing: ExtendTokenizerResult['existing'] = [];
  const requests = [
    ...tokens.map((token) => ({ token, special: false })),
    ...specialTokens.map((token) => ({ token, special: true })),
  ];
  const seen = new Set<string>();
  for (const { token, special } of requests) {
    if (seen.has(token)) continue;
    seen.add(token);
    const id = ids.get(token);
    if (id !== undefined) {
      existing.push({ token, id });
      continue;
    }
    const entry: AddedTokenJson = {
      id: nextId++,
      content: token,
      single_word: false,
      lstrip: false,
      rstrip: false,
      // As in Hugging Face `add_tokens`: ordinary tokens match normalized text, special ones verbatim.
      normalized: !special,
      special,
    };
    json.added_tokens.push(entry);
    ids.set(token, entry.id);
    added.push({ token, id: entry.id });
  }
  return { added, existing, vocabSize: nextId, tokenizerJson: json };
}

/**
 * Adds ordinary and special tokens to a tokenizer.json object or a tokenizer folder. New tokens get
 * ids after every existing id, in the order given (tokens, then specialTokens); tokens already
 * present are reported in `existing` and left as they are. Given a folder, its tokenizer.json,
 * tokenizer_config.json (added_tokens_decoder, additional_special_tokens) and
 * special_tokens_map.json are rewritten atomically; given an object, only the result is returned.
 */
export async function extendTokenizer(
  source: string | TokenizerJson,
  options: ExtendTokenizerOptions,
): Promise<ExtendTokenizerResult> {
  const tokens = checkTokenList('tokens', options?.tokens);
  const specialTokens = checkTokenList('specialTokens', options?.specialTokens);
  if (tokens.length + specialTokens.length === 0) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'nothing to add; pass tokens and/or specialTokens.',
      {
        field: 'tokens',
      },
    );
  }
  if (typeof source !== 'string') {
    return addTokens(asTokenizerJson(source), tokens, specialTokens);
  }

  const folder = await readTokenizerFolder(source);
  const result = addTokens(folder.tokenizerJson, tokens, specialTokens);
  const newSpecial = result.added
    .filter(({ token }) => specialTokens.includes(token))
    .map(({ token }) => token);
  const config: Record<string, unknown> = { ...(folder.tokenizerConfig ?? {}) };
  config.added_tokens_decoder = addedTokensDecoder(result.tokenizerJson.added_tokens);
  const map: Record<string, string | string[]> = { ...(folder.specialTokensMap ?? {}) };
  if (newSpecial.length > 0) {
    const previous = Array.isArray(config.additional_special_tokens)
      ? (config.additional_special_tokens as string[])
      : [];
    config.additional_special_tokens = [...previous, ...newSpecial];
    const mapPrevious = Array.isArray(map.additional_special_tokens)
      ? map.additional_special_tokens
      : [];
    map.additional_special_tokens = [...mapPrevious, ...newSpecial];
  }
  await writeTokenizerFolder(source, {
    tokenizerJson: result.tokenizerJson,
    tokenizerConfig: config,
    specialTokensMap: map,
  });
  return result;
}
