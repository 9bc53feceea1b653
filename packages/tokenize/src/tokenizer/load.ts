// Loads a Hugging Face tokenizer folder: tokenizer.json plus the optional tokenizer_config.json,
// special_tokens_map.json and chat_template.jinja.
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TokenizeError } from '../errors.js';
import type { LoadTokenizerOptions, TokenizerConfigJson } from './options.js';
import { createTokenizer, parseJson, type Tokenizer } from './tokenizer.js';

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TokenizeError('FILE_NOT_FOUND', `could not be read: ${(error as Error).message}`, {
      file: path,
      cause: error,
    });
  }
}

function parseConfig(text: string | undefined, file: string): TokenizerConfigJson | undefined {
  if (text === undefined) return undefined;
  const value = parseJson(text, file);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TokenizeError('INVALID_TOKENIZER', 'expected a JSON object at the top level', {
      file,
    });
  }
  return value as TokenizerConfigJson;
}

/** Loads the tokenizer saved in `dir` (as written by transformers' `save_pretrained`). */
export async function loadTokenizer(
  dir: string,
  options: LoadTokenizerOptions = {},
): Promise<Tokenizer> {
  const { chatTemplateName = 'default' } = options;
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new TokenizeError(
      'FILE_NOT_FOUND',
      'is not a folder; pass the folder that holds tokenizer.json',
      {
        file: dir,
      },
    );
  }
  const files = {
    tokenizer: join(dir, 'tokenizer.json'),
    config: join(dir, 'tokenizer_config.json'),
    specialTokensMap: join(dir, 'special_tokens_map.json'),
  };
  const [tokenizerText, configText, mapText, template] = await Promise.all([
    readOptional(files.tokenizer),
    readOptional(files.config),
    readOptional(files.specialTokensMap),
    readOptional(join(dir, 'chat_template.jinja')),
  ]);
  if (tokenizerText === undefined) {
    throw new TokenizeError(
      'FILE_NOT_FOUND',
      'is missing; only the fast-tokenizer format is supported (re-save with transformers: AutoTokenizer.from_pretrained(path).save_pretrained(path))',
      { file: files.tokenizer },
    );
  }
  const tokenizerConfig = parseConfig(configText, files.config);
  const specialTokensMap = parseConfig(mapText, files.specialTokensMap);
  return createTokenizer({
    tokenizerJson: tokenizerText,
    ...(tokenizerConfig === undefined ? {} : { tokenizerConfig }),
    ...(specialTokensMap === undefined ? {} : { specialTokensMap }),
    ...(template === undefined ? {} : { chatTemplate: template }),
    chatTemplateName,
    files,
  });
}
