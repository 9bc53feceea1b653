// Reading and atomically writing a tokenizer folder (tokenizer.json, tokenizer_config.json,
// special_tokens_map.json) in the layout Hugging Face loaders expect.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@ft/data';
import { TokenizeError } from '../errors.js';
import type {
  AddedTokenJson,
  SavedTokenizerFiles,
  SpecialTokenRoles,
  TokenizerJson,
} from './types.js';

export const TOKENIZER_FILE = 'tokenizer.json';
export const CONFIG_FILE = 'tokenizer_config.json';
export const SPECIAL_TOKENS_MAP_FILE = 'special_tokens_map.json';

/** The roles in vocabulary order. */
export const ROLE_ORDER = ['pad', 'unk', 'cls', 'sep', 'bos', 'eos', 'mask'] as const;

/** special_tokens_map.json: `<role>_token` per role plus `additional_special_tokens`. */
export function specialTokensMapFor(roles: SpecialTokenRoles): Record<string, string | string[]> {
  const map: Record<string, string | string[]> = {};
  for (const role of ROLE_ORDER) {
    const token = roles[role];
    if (token !== undefined) map[`${role}_token`] = token;
  }
  if (roles.additional !== undefined && roles.additional.length > 0) {
    map.additional_special_tokens = [...roles.additional];
  }
  return map;
}

/** tokenizer_config.json `added_tokens_decoder`: the Transformers (Python) view of added tokens. */
export function addedTokensDecoder(
  addedTokens: readonly AddedTokenJson[],
): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  for (const t of addedTokens) {
    decoder[String(t.id)] = {
      content: t.content,
      lstrip: t.lstrip,
      normalized: t.normalized,
      rstrip: t.rstrip,
      single_word: t.single_word,
      special: t.special,
    };
  }
  return decoder;
}

function notWritable(dir: string, cause: unknown): TokenizeError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? 'permission denied'
      : code === 'ENOTDIR' || code === 'EEXIST'
        ? 'a file is in the way'
        : String((cause as Error | undefined)?.message ?? cause);
  return new TokenizeError(
    'INVALID_ARGUMENT',
    `cannot write the tokenizer folder (${why}); choose a writable folder, or fix its permissions.`,
    { file: dir, cause },
  );
}

/** Writes the three files, each atomically (temp file + rename), creating `dir` if needed. */
export async function writeTokenizerFolder(
  dir: string,
  files: {
    tokenizerJson: TokenizerJson;
    tokenizerConfig: Record<string, unknown>;
    specialTokensMap: Record<string, string | string[]>;
  },
): Promise<SavedTokenizerFiles> {
  const paths: SavedTokenizerFiles = {
    tokenizer: join(dir, TOKENIZER_FILE),
    config: join(dir, CONFIG_FILE),
    specialTokensMap: join(dir, SPECIAL_TOKENS_MAP_FILE),
  };
  const writes: Array<[string, unknown]> = [
    [paths.tokenizer, files.tokenizerJson],
    [paths.config, files.tokenizerConfig],
    [paths.specialTokensMap, files.specialTokensMap],
  ];
  try {
    await mkdir(dir, { recursive: true });
    for (const [path, content] of writes) {
      const text = `${JSON.stringify(content, null, 2)}\n`;
      await writeFileAtomic(path, (temp) => writeFile(temp, text, 'utf8'));
    }
  } catch (error) {
    throw notWritable(dir, error);
  }
  return paths;
}

async function readJsonFile(path: string, required: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenizeError(
      'FILE_NOT_FOUND',
      `cannot read ${path}; pass a folder holding a Hugging Face tokenizer.json.`,
      { file: path, cause: error },
    );
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TokenizeError('INVALID_TOKENIZER', 'is not valid JSON; re-save or re-download it.', {
      file: path,
      cause: error,
    });
  }
}

/** Checks the shape this package relies on and returns it typed. */
export function asTokenizerJson(value: unknown, file?: string): TokenizerJson {
  const json = value as Partial<TokenizerJson> | null;
  const vocab = json?.model?.vocab;
  if (
    json === null ||
    typeof json !== 'object' ||
    typeof json.model !== 'object' ||
    json.model === null
  ) {
    throw new TokenizeError(
      'INVALID_TOKENIZER',
      'has no "model" object; it is not a Hugging Face tokenizer.json.',
      {
        file,
        field: 'model',
      },
    );
  }
  if (typeof vocab !== 'object' || vocab === null) {
    throw new TokenizeError(
      'INVALID_TOKENIZER',
      'the model has no vocabulary; it is not a Hugging Face tokenizer.json.',
      {
        file,
        field: 'model.vocab',
      },
    );
  }
  if (json.added_tokens !== undefined && !Array.isArray(json.added_tokens)) {
    throw new TokenizeError('INVALID_TOKENIZER', '"added_tokens" must be an array.', {
      file,
      field: 'added_tokens',
    });
  }
  return json as TokenizerJson;
}

/** Reads a tokenizer folder; the config and special-token map are optional. */
export async function readTokenizerFolder(dir: string): Promise<{
  tokenizerJson: TokenizerJson;
  tokenizerConfig: Record<string, unknown> | undefined;
  specialTokensMap: Record<string, string | string[]> | undefined;
}> {
  const tokenizerPath = join(dir, TOKENIZER_FILE);
  const tokenizerJson = asTokenizerJson(await readJsonFile(tokenizerPath, true), tokenizerPath);
  const config = await readJsonFile(join(dir, CONFIG_FILE), false);
  const map = await readJsonFile(join(dir, SPECIAL_TOKENS_MAP_FILE), false);
  return {
    tokenizerJson,
    tokenizerConfig: config as Record<string, unknown> | undefined,
    specialTokensMap: map as Record<string, string | string[]> | undefined,
  };
}
