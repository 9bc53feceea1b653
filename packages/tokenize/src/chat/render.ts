// Renders a conversation to text with a Jinja chat template (the tokenizer's own or a built-in),
// passing the same variables as transformers' `apply_chat_template`.
import { Template } from '@huggingface/jinja';
import { TokenizeError } from '../errors.js';
import type { TextTokenizer } from '../types.js';
import { BUILTIN_CHAT_TEMPLATES, type BuiltinChatTemplate } from './templates.js';

/** One chat turn. Extra fields (name, tool_calls…) are passed through to the template. */
export interface ChatMessage {
  role: string;
  content: string;
  [field: string]: unknown;
}

export interface RenderChatOptions {
  /** Supplies the default template (`chatTemplate`) and the bos/eos/pad… token strings. */
  tokenizer?: TextTokenizer;
  /** `'chatml'`, `'alpaca'` or a Jinja source. @default the tokenizer's chat template */
  template?: BuiltinChatTemplate | (string & {});
  /** Append the header that opens an assistant turn (for generation, not training). @default false */
  addGenerationPrompt?: boolean;
  /** `bos_token` for the template. @default the tokenizer's bos token */
  bosToken?: string;
  /** `eos_token` for the template. @default the tokenizer's eos token */
  eosToken?: string;
  /** Further template variables (tools, documents, custom flags). */
  variables?: Record<string, unknown>;
}

const compiled = new Map<string, Template>();

function compile(source: string): Template {
  let template = compiled.get(source);
  if (template === undefined) {
    try {
      template = new Template(source);
    } catch (cause) {
      throw new TokenizeError(
        'TEMPLATE_ERROR',
        `the chat template could not be parsed: ${errorMessage(cause)}. Fix the Jinja syntax or pass template: 'chatml'.`,
        { field: 'template', cause },
      );
    }
    // Tokenizers share a handful of templates; the cap only guards against unbounded growth.
    if (compiled.size > 64) compiled.clear();
    compiled.set(source, template);
  }
  return template;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The Jinja source `options` select: a built-in by name, a given source, or the tokenizer's. */
export function resolveChatTemplate(
  options: Pick<RenderChatOptions, 'template' | 'tokenizer'>,
): string {
  const { template, tokenizer } = options;
  if (template !== undefined) {
    if (Object.hasOwn(BUILTIN_CHAT_TEMPLATES, template)) {
      return BUILTIN_CHAT_TEMPLATES[template as BuiltinChatTemplate];
    }
    // A plain word without any Jinja tag is a misspelled built-in name, not a template.
    if (!template.includes('{')) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `unknown built-in chat template "${template}"; use ${Object.keys(BUILTIN_CHAT_TEMPLATES)
          .map((name) => `'${name}'`)
          .join(' or ')}, or pass a Jinja template source.`,
        { field: 'template' },
      );
    }
    return template;
  }
  if (tokenizer?.chatTemplate !== undefined) return tokenizer.chatTemplate;
  throw new TokenizeError(
    'TEMPLATE_ERROR',
    tokenizer === undefined
      ? "no chat template: pass template ('chatml', 'alpaca' or a Jinja source) or a tokenizer that has one."
      : "the tokenizer has no chat_template: pass template: 'chatml' (or 'alpaca', or a Jinja source), and make sure the tokenizer knows the template's marker tokens.",
    { field: 'template' },
  );
}

/** Throws INVALID_ARGUMENT naming the first message that lacks a string role or content. */
export function validateMessages(messages: unknown): asserts messages is ChatMessage[] {
  if (!Array.isArray(messages)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'messages must be an array of { role, content } objects.',
      {
        field: 'messages',
      },
    );
  }
  if (messages.length === 0) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'messages is empty; a conversation needs at least one message.',
      {
        field: 'messages',
      },
    );
  }
  messages.forEach((message: unknown, index) => {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `message ${index} is not an object; expected { role, content }.`,
        {
          field: `messages[${index}]`,
        },
      );
    }
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== 'string' || role.length === 0) {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `message ${index} has no role; set role to a non-empty string such as 'system', 'user' or 'assistant'.`,
        { field: `messages[${index}].role` },
      );
    }
    if (typeof content !== 'string') {
      throw new TokenizeError(
        'INVALID_ARGUMENT',
        `message ${index} (${role}) has ${content === undefined ? 'no content' : `content of type ${typeof content}`}; content must be a string.`,
        { field: `messages[${index}].content` },
      );
    }
  });
}

/** A renderer bound to one template and one set of variables, reused for prefix renders. */
export function createChatRenderer(
  options: RenderChatOptions,
): (messages: ChatMessage[], addGenerationPrompt: boolean) => string {
  const { tokenizer, variables = {} } = options;
  const template = compile(resolveChatTemplate(options));
  const special = tokenizer?.specialTokens;
  const tokens: Record<string, unknown> = {
    bos_token: options.bosToken ?? special?.bos,
    eos_token: options.eosToken ?? special?.eos,
    unk_token: special?.unk,
    pad_token: special?.pad,
    sep_token: special?.sep,
    cls_token: special?.cls,
    mask_token: special?.mask,
    additional_special_tokens: special?.additional,
  };
  // Undefined tokens are left out rather than passed as undefined, as transformers does.
  for (const key of Object.keys(tokens)) if (tokens[key] === undefined) delete tokens[key];
  return (messages, addGenerationPrompt) => {
    try {
      return template.render({
        messages,
        add_generation_prompt: addGenerationPrompt,
        ...tokens,
        ...variables,
      });
    } catch (cause) {
      throw new TokenizeError(
        'TEMPLATE_ERROR',
        `rendering the chat template failed: ${errorMessage(cause)}. Check the messages against what the template expects (roles, order, bos/eos tokens).`,
        { field: 'template', cause },
      );
    }
  };
}

/** Renders `messages` to the text a model sees, with the tokenizer's or a built-in template. */
export function renderChat(messages: ChatMessage[], options: RenderChatOptions = {}): string {
  validateMessages(messages);
  const { addGenerationPrompt = false } = options;
  return createChatRenderer(options)(messages, addGenerationPrompt);
}
