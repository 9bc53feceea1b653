// ChatML: a `{ text }` record of `<|im_start|>role\ncontent<|im_end|>\n` turns, parsed and
// rendered exactly. A header may carry a name as `role name=NAME` (the original ChatML spelling).
import type { DataRecord } from '../types.js';
import type {
  ChatMessage,
  Conversation,
  FromConversationOptions,
  PromptFormat,
  PromptLocation,
} from './types.js';
import {
  assertValidConversation,
  checkConversationArgument,
  checkLoss,
  describeType,
  isPlainObject,
  makeMessage,
  nameLosses,
  promptError,
} from './utils.js';

export interface ChatmlRecord extends DataRecord {
  text: string;
}

const START = '<|im_start|>';
const END = '<|im_end|>';
const HEADER = /^(system|user|assistant|tool)(?: name=(\S+))?$/u;
const TURN_SHAPE = 'each turn must read <|im_start|>role\\ncontent<|im_end|>\\n';

/** `line 2, column 5 (offset 17)` for an offset into the text; lines and columns are 1-based. */
function position(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1} (offset ${offset})`;
}

/** Parses ChatML text into messages; throws PARSE_ERROR naming the position of the first fault. */
export function parseChatml(text: string, where: PromptLocation = {}): ChatMessage[] {
  const fail = (offset: number, problem: string) =>
    promptError(
      'PARSE_ERROR',
      `ChatML text at ${position(text, offset)}: ${problem}`,
      where,
      'text',
    );
  if (text === '') throw fail(0, `the text is empty; ${TURN_SHAPE}`);
  const messages: ChatMessage[] = [];
  let pos = 0;
  while (pos < text.length) {
    if (!text.startsWith(START, pos)) {
      throw fail(
        pos,
        `expected ${START} to open a turn, found ${JSON.stringify(text.slice(pos, pos + 20))}; ${TURN_SHAPE}`,
      );
    }
    const headerStart = pos + START.length;
    const headerEnd = text.indexOf('\n', headerStart);
    if (headerEnd === -1)
      throw fail(headerStart, `the turn header has no newline after it; ${TURN_SHAPE}`);
    const header = text.slice(headerStart, headerEnd);
    const match = HEADER.exec(header);
    if (!match) {
      throw fail(
        headerStart,
        `turn header ${JSON.stringify(header)} is not "role" or "role name=NAME" with role system, user, assistant or tool`,
      );
    }
    const contentStart = headerEnd + 1;
    const end = text.indexOf(END, contentStart);
    const nextStart = text.indexOf(START, contentStart);
    if (end === -1 || (nextStart !== -1 && nextStart < end)) {
      throw fail(pos, `this turn is never closed by ${END}; ${TURN_SHAPE}`);
    }
    messages.push(
      makeMessage(match[1] as ChatMessage['role'], text.slice(contentStart, end), match[2]),
    );
    pos = end + END.length;
    // The newline after the last turn is optional: files often drop it, and it carries nothing.
    if (text[pos] === '\n') pos++;
    else if (pos < text.length) throw fail(pos, `expected a newline after ${END}`);
  }
  return messages;
}

export interface RenderChatmlOptions {
  /** Write `role name=NAME` headers for named messages; otherwise names are left out. @default false */
  names?: boolean;
}

/** Renders messages as ChatML text, each turn ending in `<|im_end|>\n`. */
export function renderChatml(
  messages: readonly ChatMessage[],
  options: RenderChatmlOptions = {},
): string {
  const { names = false } = options;
  let text = '';
  for (const message of messages) {
    const header =
      names && message.name !== undefined ? `${message.role} name=${message.name}` : message.role;
    text += `${START}${header}\n${message.content}${END}\n`;
  }
  return text;
}

/**
 * Canonical shape: `{ text }` with every turn, the last included, ending in a newline. Names
 * survive only with `chatmlNames: true`; without it a named message is a lossy conversion.
 */
export const chatmlFormat: PromptFormat<ChatmlRecord> = {
  name: 'chatml',
  keys: ['text'],
  detect(record) {
    return typeof record.text === 'string' && record.text.includes(START);
  },
  toConversation(record, where = {}) {
    if (!isPlainObject(record) || typeof record.text !== 'string') {
      throw promptError(
        'SCHEMA_MISMATCH',
        `a ChatML record needs a string "text", got ${describeType(isPlainObject(record) ? record.text : record)}`,
        where,
        'text',
      );
    }
    const conversation: Conversation = { messages: parseChatml(record.text, where) };
    return assertValidConversation(conversation, where, () => 'text');
  },
  fromConversation(conversation, options: FromConversationOptions = {}) {
    const messages = checkConversationArgument(conversation, options);
    const { chatmlNames = false } = options;
    messages.forEach((message, index) => {
      for (const marker of [START, END]) {
        if (message.content.includes(marker)) {
          throw promptError(
            'INVALID_ARGUMENT',
            `message ${index} contains ${marker}, which ChatML cannot escape; remove it from the content`,
            { index: options.index },
            `messages[${index}].content`,
          );
        }
      }
    });
    checkLoss('chatml', chatmlNames ? [] : nameLosses(messages), options);
    return { text: renderChatml(messages, { names: chatmlNames }) };
  },
};
