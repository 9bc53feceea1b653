// ShareGPT: `{ conversations: [{ from: 'system'|'human'|'gpt'|'tool', value }] }` — multi-turn, no names.
import type { DataRecord } from '../types.js';
import type {
  ChatMessage,
  ChatRole,
  Conversation,
  FromConversationOptions,
  PromptFormat,
} from './types.js';
import {
  assertValidConversation,
  checkConversationArgument,
  checkLoss,
  describeType,
  isPlainObject,
  listField,
  nameLosses,
  promptError,
} from './utils.js';

export type ShareGPTSpeaker = 'system' | 'human' | 'gpt' | 'tool';

export interface ShareGPTRecord extends DataRecord {
  conversations: { from: ShareGPTSpeaker; value: string }[];
}

const FROM_ROLE: Record<ShareGPTSpeaker, ChatRole> = {
  system: 'system',
  human: 'user',
  gpt: 'assistant',
  tool: 'tool',
};
const ROLE_FROM: Record<ChatRole, ShareGPTSpeaker> = {
  system: 'system',
  user: 'human',
  assistant: 'gpt',
  tool: 'tool',
};
const TURN_KEYS = new Set(['from', 'value']);
const SHAREGPT_KEYS = { role: 'from', content: 'value', name: 'name' } as const;

function isSpeaker(value: unknown): value is ShareGPTSpeaker {
  return typeof value === 'string' && Object.hasOwn(FROM_ROLE, value);
}

/** Canonical shape: `{ conversations }` whose turns hold exactly `from` and `value`. */
export const sharegptFormat: PromptFormat<ShareGPTRecord> = {
  name: 'sharegpt',
  keys: ['conversations'],
  detect(record) {
    return Array.isArray(record.conversations);
  },
  toConversation(record, where = {}) {
    const raw: unknown = isPlainObject(record) ? record.conversations : undefined;
    if (!Array.isArray(raw)) {
      throw promptError(
        'SCHEMA_MISMATCH',
        `a ShareGPT record needs "conversations" as an array of { from, value }, got ${describeType(raw)}`,
        where,
        'conversations',
      );
    }
    const messages = raw.map((turn: unknown, index): ChatMessage => {
      const field = `conversations[${index}]`;
      if (!isPlainObject(turn)) {
        throw promptError(
          'SCHEMA_MISMATCH',
          `turn ${index} is ${describeType(turn)}, not { from, value }`,
          where,
          field,
        );
      }
      for (const key of Object.keys(turn)) {
        if (!TURN_KEYS.has(key)) {
          throw promptError(
            'SCHEMA_MISMATCH',
            `turn ${index} has key "${key}", which this converter does not carry; only from and value are supported`,
            where,
            `${field}.${key}`,
          );
        }
      }
      if (!isSpeaker(turn.from)) {
        throw promptError(
          'SCHEMA_MISMATCH',
          `turn ${index} has from ${JSON.stringify(turn.from)}; use one of system, human, gpt, tool`,
          where,
          `${field}.from`,
        );
      }
      return { role: FROM_ROLE[turn.from], content: turn.value as string };
    });
    const conversation: Conversation = { messages };
    return assertValidConversation(conversation, where, (issue) =>
      listField('conversations', issue, SHAREGPT_KEYS),
    );
  },
  fromConversation(conversation, options: FromConversationOptions = {}) {
    const messages = checkConversationArgument(conversation, options);
    checkLoss('sharegpt', nameLosses(messages), options);
    return { conversations: messages.map((m) => ({ from: ROLE_FROM[m.role], value: m.content })) };
  },
};
