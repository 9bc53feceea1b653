// OpenAI chat format: `{ messages: [{ role, content, name? }] }` — holds everything the common model does.
import type { DataRecord } from '../types.js';
import type { ChatMessage, Conversation, FromConversationOptions, PromptFormat } from './types.js';
import {
  assertValidConversation,
  checkConversationArgument,
  describeType,
  isPlainObject,
  makeMessage,
  messageField,
  promptError,
} from './utils.js';

export interface OpenAIRecord extends DataRecord {
  messages: ChatMessage[];
}

const MESSAGE_KEYS = new Set(['role', 'content', 'name']);

/**
 * Canonical shape: `{ messages }` whose messages hold `role`, `content` and `name` only when set.
 * Messages with other keys (`tool_calls`, `tool_call_id`) or content-part arrays are rejected
 * rather than silently stripped.
 */
export const openaiFormat: PromptFormat<OpenAIRecord> = {
  name: 'openai',
  keys: ['messages'],
  detect(record) {
    return Array.isArray(record.messages);
  },
  toConversation(record, where = {}) {
    const raw: unknown = isPlainObject(record) ? record.messages : undefined;
    if (!Array.isArray(raw)) {
      throw promptError(
        'SCHEMA_MISMATCH',
        `an OpenAI record needs "messages" as an array of { role, content }, got ${describeType(raw)}`,
        where,
        'messages',
      );
    }
    raw.forEach((message: unknown, index) => {
      if (!isPlainObject(message)) return; // validateConversation reports it
      for (const key of Object.keys(message)) {
        if (!MESSAGE_KEYS.has(key)) {
          throw promptError(
            'SCHEMA_MISMATCH',
            `message ${index} has key "${key}", which this converter does not carry; only role, content and name are supported`,
            where,
            `messages[${index}].${key}`,
          );
        }
      }
      if (Array.isArray(message.content)) {
        throw promptError(
          'SCHEMA_MISMATCH',
          `message ${index} has content parts (an array); join its text parts into one string first`,
          where,
          `messages[${index}].content`,
        );
      }
    });
    assertValidConversation({ messages: raw as ChatMessage[] }, where, messageField);
    const conversation: Conversation = {
      messages: (raw as ChatMessage[]).map((m) => makeMessage(m.role, m.content, m.name)),
    };
    return conversation;
  },
  fromConversation(conversation, options: FromConversationOptions = {}) {
    const messages = checkConversationArgument(conversation, options);
    return { messages: messages.map((m) => makeMessage(m.role, m.content, m.name)) };
  },
};
