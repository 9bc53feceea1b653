// Tokenizes a conversation for supervised fine-tuning with labels only on assistant turns,
// locating each turn by rendering conversation prefixes so any Jinja template works.
import { TokenizeError } from '../errors.js';
import type { Encoding, TextTokenizer } from '../types.js';
import {
  type ChatMessage,
  createChatRenderer,
  type RenderChatOptions,
  validateMessages,
} from './render.js';

export interface TokenizeChatOptions
  extends Pick<RenderChatOptions, 'template' | 'bosToken' | 'eosToken' | 'variables'> {
  /** Keep at most this many tokens (cut from the end). @default no limit */
  maxLength?: number;
  /** Which tokens get labels: assistant turns (with their end-of-turn marker) or every token. @default 'assistant' */
  trainOn?: 'assistant' | 'all';
  /** Label for tokens that are not trained on. @default -100 */
  ignoreIndex?: number;
}

/** Where one assistant message sits in the rendered text and in the token sequence. */
export interface AssistantSpan {
  /** Index of the message in the conversation. */
  messageIndex: number;
  /** Character range [start, end) in `text`: the content and the end-of-turn marker after it. */
  start: number;
  end: number;
  /** Token range [tokenStart, tokenEnd) carrying labels (after `maxLength` truncation). */
  tokenStart: number;
  tokenEnd: number;
}

export interface TokenizedChat {
  /** The rendered conversation. */
  text: string;
  inputIds: number[];
  /**
   * Labels aligned with `inputIds` (the model shifts them): the token id on trained tokens,
   * `ignoreIndex` elsewhere.
   */
  labels: number[];
  attentionMask: number[];
  /** One entry per assistant message; empty when `trainOn` is 'all'. */
  assistantSpans: AssistantSpan[];
}

function commonPrefixLength(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

const WHITESPACE = /\s/;

/**
 * Character spans of the assistant messages. For message i the text rendered through i, minus the
 * text rendered up to i with a generation prompt, is that turn's header, content and end-of-turn
 * marker; the span starts where the content starts and keeps the marker (`<|im_end|>`, eos) so the
 * model learns to stop. Surrounding whitespace is left out.
 */
function findAssistantSpans(
  messages: ChatMessage[],
  text: string,
  render: (messages: ChatMessage[], addGenerationPrompt: boolean) => string,
): Array<{ messageIndex: number; start: number; end: number }> {
  const spans: Array<{ messageIndex: number; start: number; end: number }> = [];
  messages.forEach((message, i) => {
    if (message.role !== 'assistant') return;
    let before = '';
    if (i > 0) {
      try {
        before = render(messages.slice(0, i), true);
      } catch {
        // Some templates refuse a prefix (e.g. one ending on a system turn); the content search below still finds the start.
        before = '';
      }
    }
    const through = render(messages.slice(0, i + 1), false);
    if (!text.startsWith(through)) {
      throw new TokenizeError(
        'TEMPLATE_ERROR',
        `the chat template renders message ${i} differently depending on what follows it, so the assistant turn cannot be located; use trainOn: 'all' or a template that renders earlier turns the same way in every prefix.`,
        { field: 'template' },
      );
    }
    let start = commonPrefixLength(before, through);
    const content = message.content.trim();
    const at = content.length > 0 ? through.indexOf(content, start) : -1;
    if (at >= 0) start = at;
    else while (start < through.length && WHITESPACE.test(through[start] as string)) start++;
    let end = through.length;
    while (end > start && WHITESPACE.test(through[end - 1] as string)) end--;
    spans.push({ messageIndex: i, start, end });
  });
  return spans;
}

/**
 * Token range [first, last + 1) overlapping the character range [start, end). Tokens with empty
 * offsets (e.g. special tokens reported as [0, 0]) count as sitting where the previous token ended.
 */
function tokenRange(encoding: Encoding, start: number, end: number): [number, number] {
  let first = -1;
  let last = -1;
  let previousEnd = 0;
  encoding.offsets.forEach(([s, e], t) => {
    const inside = e > s ? s < end && e > start : previousEnd >= start && previousEnd < end;
    if (e > s) previousEnd = e;
    if (inside) {
      if (first < 0) first = t;
      last = t;
    }
  });
  return first < 0 ? [0, 0] : [first, last + 1];
}

/**
 * Renders `messages` with the chat template, tokenizes the text without adding special tokens (the
 * template places them), and labels the tokens of each assistant turn, end-of-turn marker
 * included. Labels are aligned with the inputs; the model shifts them.
 */
export function tokenizeChat(
  messages: ChatMessage[],
  tokenizer: TextTokenizer,
  options: TokenizeChatOptions = {},
): TokenizedChat {
  const { maxLength, trainOn = 'assistant', ignoreIndex = -100 } = options;
  validateMessages(messages);
  if (trainOn !== 'assistant' && trainOn !== 'all') {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `trainOn must be 'assistant' or 'all', got ${JSON.stringify(trainOn)}.`,
      {
        field: 'trainOn',
      },
    );
  }
  if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength > 0)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      `maxLength must be a positive integer, got ${maxLength}.`,
      {
        field: 'maxLength',
      },
    );
  }
  const render = createChatRenderer({ ...options, tokenizer });
  const text = render(messages, false);
  const encoding = tokenizer.encode(text, { addSpecialTokens: false });
  const length =
    maxLength === undefined ? encoding.ids.length : Math.min(maxLength, encoding.ids.length);
  const inputIds = encoding.ids.slice(0, length);

  if (trainOn === 'all') {
    return {
      text,
      inputIds,
      labels: [...inputIds],
      attentionMask: inputIds.map(() => 1),
      assistantSpans: [],
    };
  }

  const labels = inputIds.map(() => ignoreIndex);
  const assistantSpans = findAssistantSpans(messages, text, render).map((span) => {
    const [from, to] = tokenRange(encoding, span.start, span.end);
    const tokenStart = Math.min(from, length);
    const tokenEnd = Math.min(to, length);
    for (let t = tokenStart; t < tokenEnd; t++) labels[t] = inputIds[t] as number;
    return { ...span, tokenStart, tokenEnd };
  });
  return { text, inputIds, labels, attentionMask: inputIds.map(() => 1), assistantSpans };
}
