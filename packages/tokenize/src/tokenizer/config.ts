// Reads the Hugging Face tokenizer_config.json / special_tokens_map.json fields we use, checks them,
// and fills gaps from tokenizer.json (unk token of the model, [CLS]/[SEP] of a BERT/RoBERTa post-processor).
import { TokenizeError } from '../errors.js';
import type { SpecialTokens } from '../types.js';
import type { ConfigToken, Side, TokenizerConfigJson } from './options.js';

/** Everything the Tokenizer needs from the config files, checked. */
export interface ResolvedConfig {
  specialTokens: SpecialTokens;
  chatTemplate: string | undefined;
  chatTemplates: Record<string, string>;
  modelMaxLength: number | undefined;
  paddingSide: Side;
  truncationSide: Side;
  usesTokenTypeIds: boolean;
  cleanUpTokenizationSpaces: boolean;
}

export interface ResolveConfigInput {
  tokenizerJson: Record<string, unknown>;
  config: TokenizerConfigJson | undefined;
  specialTokensMap: TokenizerConfigJson | undefined;
  chatTemplate: string | undefined;
  chatTemplateName: string;
  vocab: ReadonlyMap<string, number>;
  files: { tokenizer: string; config: string; specialTokensMap: string };
}

const ROLES = ['pad', 'unk', 'cls', 'sep', 'bos', 'eos', 'mask'] as const;
type Role = (typeof ROLES)[number];

// transformers writes int(1e30) when a model has no length limit.
const UNSET_MAX_LENGTH = 1e15;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tokenContent(value: unknown, file: string, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  throw new TokenizeError(
    'INVALID_TOKENIZER',
    `expected a token string or an AddedToken object {"content": "..."}, got ${JSON.stringify(value)}`,
    { file, field },
  );
}

function side(value: unknown, file: string, field: string): Side | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === 'left' || value === 'right') return value;
  throw new TokenizeError(
    'INVALID_TOKENIZER',
    `expected "left" or "right", got ${JSON.stringify(value)}`,
    {
      file,
      field,
    },
  );
}

/** Fallbacks a tokenizer.json carries by itself, for folders without config files. */
function inferFromTokenizerJson(json: Record<string, unknown>): Partial<Record<Role, string>> {
  const found: Partial<Record<Role, string>> = {};
  const model = json.model;
  if (isObject(model)) {
    if (typeof model.unk_token === 'string') found.unk = model.unk_token;
    if (typeof model.unk_id === 'number' && Array.isArray(model.vocab)) {
      const entry: unknown = model.vocab[model.unk_id];
      if (Array.isArray(entry) && typeof entry[0] === 'string') found.unk = entry[0];
    }
  }
  const post = json.post_processor;
  if (isObject(post) && (post.type === 'BertProcessing' || post.type === 'RobertaProcessing')) {
    if (Array.isArray(post.cls) && typeof post.cls[0] === 'string') found.cls = post.cls[0];
    if (Array.isArray(post.sep) && typeof post.sep[0] === 'string') found.sep = post.sep[0];
  }
  return found;
}

/** Whether the post-processor gives the pair segment its own type id (BERT-style models). */
function postProcessorUsesTypeIds(post: unknown): boolean {
  if (!isObject(post)) return false;
  if (post.type === 'BertProcessing') return true;
  if (post.type === 'Sequence' && Array.isArray(post.processors)) {
    return post.processors.some(postProcessorUsesTypeIds);
  }
  if (post.type === 'TemplateProcessing' && Array.isArray(post.pair)) {
    return post.pair.some((item: unknown) => {
      if (!isObject(item)) return false;
      const inner = item.Sequence ?? item.SpecialToken;
      return isObject(inner) && typeof inner.type_id === 'number' && inner.type_id !== 0;
    });
  }
  return false;
}

function readChatTemplates(
  value: unknown,
  file: string,
): { templates: Record<string, string>; single: string | undefined } {
  if (value === undefined || value === null) return { templates: {}, single: undefined };
  if (typeof value === 'string') return { templates: { default: value }, single: value };
  if (Array.isArray(value)) {
    const templates: Record<string, string> = {};
    for (const [i, entry] of value.entries()) {
      if (
        !isObject(entry) ||
        typeof entry.name !== 'string' ||
        typeof entry.template !== 'string'
      ) {
        throw new TokenizeError(
          'INVALID_TOKENIZER',
          'each chat_template entry must be {"name": string, "template": string}',
          { file, field: `chat_template[${i}]` },
        );
      }
      templates[entry.name] = entry.template;
    }
    return { templates, single: undefined };
  }
  throw new TokenizeError(
    'INVALID_TOKENIZER',
    'chat_template must be a string or a list of {"name", "template"} objects',
    { file, field: 'chat_template' },
  );
}

export function resolveConfig(input: ResolveConfigInput): ResolvedConfig {
  const {
    tokenizerJson,
    config = {},
    specialTokensMap = {},
    vocab,
    files,
    chatTemplateName,
  } = input;
  for (const [value, file] of [
    [input.config, files.config],
    [input.specialTokensMap, files.specialTokensMap],
  ] as const) {
    if (value !== undefined && !isObject(value)) {
      throw new TokenizeError('INVALID_TOKENIZER', 'expected a JSON object at the top level', {
        file,
      });
    }
  }

  // Precedence as in transformers: special_tokens_map.json over tokenizer_config.json over tokenizer.json.
  const inferred = inferFromTokenizerJson(tokenizerJson);
  const specialTokens: SpecialTokens = { additional: [] };
  const check = (token: string, file: string, field: string): void => {
    if (!vocab.has(token)) {
      throw new TokenizeError(
        'UNKNOWN_TOKEN',
        `special token ${JSON.stringify(token)} is not in the vocabulary of tokenizer.json; add it to "added_tokens" or fix the config`,
        { file, field },
      );
    }
  };
  for (const role of ROLES) {
    const field = `${role}_token`;
    const fromMap = tokenContent(specialTokensMap[field], files.specialTokensMap, field);
    const fromConfig = tokenContent(config[field], files.config, field);
    if (fromMap !== undefined) check(fromMap, files.specialTokensMap, field);
    else if (fromConfig !== undefined) check(fromConfig, files.config, field);
    const token = fromMap ?? fromConfig ?? inferred[role];
    if (token !== undefined) specialTokens[role] = token;
  }
  const additionalSource =
    specialTokensMap.additional_special_tokens !== undefined
      ? {
          list: specialTokensMap.additional_special_tokens as unknown,
          file: files.specialTokensMap,
        }
      : { list: config.additional_special_tokens as unknown, file: files.config };
  if (additionalSource.list !== undefined && additionalSource.list !== null) {
    if (!Array.isArray(additionalSource.list)) {
      throw new TokenizeError('INVALID_TOKENIZER', 'additional_special_tokens must be a list', {
        file: additionalSource.file,
        field: 'additional_special_tokens',
      });
    }
    for (const [i, entry] of additionalSource.list.entries()) {
      const field = `additional_special_tokens[${i}]`;
      const token = tokenContent(entry as ConfigToken, additionalSource.file, field);
      if (token === undefined) continue;
      check(token, additionalSource.file, field);
      if (!specialTokens.additional.includes(token)) specialTokens.additional.push(token);
    }
  }

  const { templates, single } = readChatTemplates(config.chat_template, files.config);
  const chatTemplate = input.chatTemplate ?? single ?? templates[chatTemplateName];
  if (input.chatTemplate !== undefined) templates[chatTemplateName] = input.chatTemplate;

  const maxLength = config.model_max_length;
  if (maxLength !== undefined && maxLength !== null) {
    if (typeof maxLength !== 'number' || !(maxLength > 0)) {
      throw new TokenizeError(
        'INVALID_TOKENIZER',
        `model_max_length must be a positive number, got ${JSON.stringify(maxLength)}`,
        { file: files.config, field: 'model_max_length' },
      );
    }
  }
  const modelMaxLength =
    typeof maxLength === 'number' && maxLength < UNSET_MAX_LENGTH
      ? Math.floor(maxLength)
      : undefined;

  const inputNames = config.model_input_names;
  if (inputNames !== undefined && !Array.isArray(inputNames)) {
    throw new TokenizeError('INVALID_TOKENIZER', 'model_input_names must be a list of strings', {
      file: files.config,
      field: 'model_input_names',
    });
  }
  const usesTokenTypeIds =
    inputNames !== undefined
      ? inputNames.includes('token_type_ids')
      : postProcessorUsesTypeIds(tokenizerJson.post_processor);

  const cleanUp = config.clean_up_tokenization_spaces;
  if (cleanUp !== undefined && cleanUp !== null && typeof cleanUp !== 'boolean') {
    throw new TokenizeError(
      'INVALID_TOKENIZER',
      'clean_up_tokenization_spaces must be true or false',
      {
        file: files.config,
        field: 'clean_up_tokenization_spaces',
      },
    );
  }

  return {
    specialTokens,
    cleanUpTokenizationSpaces: cleanUp === true,
    chatTemplate,
    chatTemplates: templates,
    modelMaxLength,
    paddingSide: side(config.padding_side, files.config, 'padding_side') ?? 'right',
    truncationSide: side(config.truncation_side, files.config, 'truncation_side') ?? 'right',
    usesTokenTypeIds,
  };
}
