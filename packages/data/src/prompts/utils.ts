// Shared helpers of the prompt formats: conversation rules, error construction, lossiness checks.

import type { DataErrorCode } from '../errors.js';
import { DataError } from '../errors.js';
import type {
  ChatMessage,
  ChatRole,
  Conversation,
  ConversationIssue,
  FromConversationOptions,
  PromptLocation,
  ValidateConversationOptions,
} from './types.js';

export const CHAT_ROLES: readonly ChatRole[] = ['system', 'user', 'assistant', 'tool'];

export function isChatRole(value: unknown): value is ChatRole {
  return typeof value === 'string' && (CHAT_ROLES as readonly string[]).includes(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks the rules every format shares, returning every broken one:
 * - at least one message, and at least one that is not `system`;
 * - `role` is system, user, assistant or tool; `content` is a string, non-empty unless allowed;
 * - `name`, when present, is a non-empty string without whitespace (ChatML and OpenAI need that);
 * - `system` only as the first message (one system prompt per conversation);
 * - `tool` only right after an `assistant` or another `tool` message (it answers a call).
 * Consecutive user or assistant messages are allowed: Alpaca's instruction + input is two user
 * messages, and some datasets split long replies. An assistant may speak first.
 */
export function validateConversation(
  conversation: Conversation,
  options: ValidateConversationOptions = {},
): ConversationIssue[] {
  const { allowEmptyContent = false } = options;
  const issues: ConversationIssue[] = [];
  const messages: unknown = isPlainObject(conversation) ? conversation.messages : undefined;
  if (!Array.isArray(messages)) {
    return [{ index: -1, field: 'messages', problem: 'messages must be an array of messages' }];
  }
  if (messages.length === 0) {
    return [{ index: -1, field: 'messages', problem: 'the conversation has no messages' }];
  }
  let previous: ChatRole | undefined;
  let spoken = 0;
  messages.forEach((message: unknown, index) => {
    if (!isPlainObject(message)) {
      issues.push({ index, field: 'messages', problem: `message ${index} is not an object` });
      previous = undefined;
      return;
    }
    const { role, content, name } = message;
    if (!isChatRole(role)) {
      issues.push({
        index,
        field: 'role',
        problem: `message ${index} has role ${JSON.stringify(role)}; use one of ${CHAT_ROLES.join(', ')}`,
      });
    } else if (role === 'system' && index > 0) {
      issues.push({
        index,
        field: 'role',
        problem: `message ${index} is a system message, but only the first message may be system; merge the system prompts into message 0`,
      });
    } else if (role === 'tool' && previous !== 'assistant' && previous !== 'tool') {
      issues.push({
        index,
        field: 'role',
        problem: `message ${index} is a tool message after ${previous ?? 'nothing'}; a tool result must follow the assistant message that called it`,
      });
    }
    if (isChatRole(role) && role !== 'system') spoken++;
    if (typeof content !== 'string') {
      issues.push({
        index,
        field: 'content',
        problem: `message ${index} has ${describeType(content)} content; content must be a string`,
      });
    } else if (content === '' && !allowEmptyContent) {
      issues.push({
        index,
        field: 'content',
        problem: `message ${index} has empty content; remove the message or fill it in`,
      });
    }
    if (name !== undefined && (typeof name !== 'string' || !/^\S+$/u.test(name))) {
      issues.push({
        index,
        field: 'name',
        problem: `message ${index} has name ${JSON.stringify(name)}; a name must be a non-empty string without spaces`,
      });
    }
    previous = isChatRole(role) ? role : undefined;
  });
  if (spoken === 0 && issues.length === 0) {
    issues.push({
      index: -1,
      field: 'messages',
      problem: 'the conversation holds only a system message; add the user and assistant turns',
    });
  }
  return issues;
}

export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** `record at index 3: ` when the index is known, so batch errors point at the record. */
export function recordPrefix(index: number | undefined): string {
  return index === undefined ? '' : `record at index ${index}: `;
}

export function promptError(
  code: DataErrorCode,
  problem: string,
  where: PromptLocation,
  field?: string,
): DataError {
  return new DataError(code, recordPrefix(where.index) + problem, {
    file: where.file,
    line: where.line,
    field,
  });
}

/**
 * Validates a conversation read from a record and throws SCHEMA_MISMATCH at the first issue,
 * naming the record's own field (`conversations[2].from`, `instruction`, …) via `fieldOf`.
 */
export function assertValidConversation(
  conversation: Conversation,
  where: PromptLocation,
  fieldOf: (issue: ConversationIssue) => string,
  code: DataErrorCode = 'SCHEMA_MISMATCH',
): Conversation {
  const [issue] = validateConversation(conversation);
  if (issue) throw promptError(code, issue.problem, where, fieldOf(issue));
  return conversation;
}

/** Field path of an issue inside a record's message list, e.g. `conversations[2].from`. */
export function listField(
  list: string,
  issue: ConversationIssue,
  keys: Record<'role' | 'content' | 'name', string> = {
    role: 'role',
    content: 'content',
    name: 'name',
  },
): string {
  if (issue.index < 0) return list;
  const item = `${list}[${issue.index}]`;
  return issue.field === 'messages' ? item : `${item}.${keys[issue.field]}`;
}

/** Field path for a conversation given directly to `fromConversation`. */
export function messageField(issue: ConversationIssue): string {
  return listField('messages', issue);
}

/** Validates the input of `fromConversation`; a bad conversation here is a caller error. */
export function checkConversationArgument(
  conversation: Conversation,
  options: FromConversationOptions,
): ChatMessage[] {
  assertValidConversation(conversation, { index: options.index }, messageField, 'INVALID_ARGUMENT');
  return conversation.messages;
}

/** Throws LOSSY_CONVERSION listing what would be lost, unless `allowLossy`. */
export function checkLoss(
  target: string,
  losses: string[],
  options: FromConversationOptions,
): void {
  if (losses.length === 0 || options.allowLossy) return;
  throw promptError(
    'LOSSY_CONVERSION',
    `converting to ${target} would lose ${losses.join('; ')}. Pass allowLossy: true to accept that, or convert to openai, which keeps everything`,
    { index: options.index },
  );
}

/** The names a format cannot hold, as loss descriptions. */
export function nameLosses(messages: readonly ChatMessage[]): string[] {
  const losses: string[] = [];
  messages.forEach((message, index) => {
    if (message.name !== undefined) {
      losses.push(`the name ${JSON.stringify(message.name)} of message ${index}`);
    }
  });
  return losses;
}

/** Copies a message without `name` unless it is set, so round trips add no `name: undefined`. */
export function makeMessage(role: ChatRole, content: string, name?: string): ChatMessage {
  return name === undefined ? { role, content } : { role, content, name };
}

/** A conversation cut to one exchange, for the single-turn formats (Alpaca, instruction). */
export interface SingleTurn {
  system: string | undefined;
  /** The user messages before the reply; at most `maxPrompts`, the last holding any extras joined. */
  prompts: string[];
  output: string;
}

/**
 * Reads `[system?] user+ assistant` from a conversation. Anything that does not fit — more than
 * `maxPrompts` user messages, messages after the first reply, names — is a loss: it throws
 * LOSSY_CONVERSION unless `allowLossy`, and is then joined (extra user messages, with a blank
 * line) or dropped (later messages, names).
 */
export function toSingleTurn(
  messages: readonly ChatMessage[],
  target: string,
  maxPrompts: number,
  options: FromConversationOptions,
): SingleTurn {
  const where = { index: options.index };
  let i = 0;
  const system = messages[0]?.role === 'system' ? messages[0].content : undefined;
  if (system !== undefined) i++;
  const prompts: string[] = [];
  const firstPrompt = i;
  while (messages[i]?.role === 'user') prompts.push(messages[i++]!.content);
  const reply = messages[i];
  if (prompts.length === 0) {
    throw promptError(
      'SCHEMA_MISMATCH',
      `${target} needs a user message before the assistant's reply, but message ${i} is ${reply?.role ?? 'missing'}`,
      where,
      `messages[${i}].role`,
    );
  }
  if (reply?.role !== 'assistant') {
    throw promptError(
      'SCHEMA_MISMATCH',
      `${target} needs an assistant reply after the user message ${i - 1} to use as its output`,
      where,
      `messages[${i}]`,
    );
  }
  const kept = messages.slice(0, i + 1);
  const losses = nameLosses(kept);
  if (prompts.length > maxPrompts) {
    const from = firstPrompt + maxPrompts - 1;
    losses.push(
      `the boundaries between user messages ${from}–${i - 1} (they would be joined with a blank line)`,
    );
  }
  if (messages.length > i + 1) {
    const rest = messages.length - i - 1;
    losses.push(
      `${rest} message${rest === 1 ? '' : 's'} after the first exchange (messages ${i + 1}–${messages.length - 1})`,
    );
  }
  checkLoss(target, losses, options);
  const head = prompts.slice(0, maxPrompts - 1);
  const tail = prompts.slice(maxPrompts - 1);
  return {
    system,
    prompts: tail.length > 0 ? [...head, tail.join('\n\n')] : head,
    output: reply.content,
  };
}

/**
 * The conversation of a single-exchange record (`[system?] user+ assistant`) from its fields in
 * message order; a field without content is left out. An invalid message is reported at the
 * record field it came from.
 */
export function singleTurnConversation(
  parts: readonly (readonly [field: string, role: ChatRole, content: string | undefined])[],
  where: PromptLocation,
): Conversation {
  const messages: ChatMessage[] = [];
  const fields: string[] = [];
  for (const [field, role, content] of parts) {
    if (content === undefined) continue;
    messages.push({ role, content });
    fields.push(field);
  }
  // Issues about the whole conversation (index -1) point at the first user field.
  const fallback = parts.find(([, role]) => role === 'user')?.[0];
  return assertValidConversation(
    { messages },
    where,
    (issue) => fields[issue.index] ?? fallback ?? 'messages',
  );
}

/** An optional string field: absent, null (nullable Parquet/CSV columns) and '' all mean "none". */
export function optionalString(
  record: Record<string, unknown>,
  key: string,
  format: string,
  where: PromptLocation,
): string | undefined {
  const value = record[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') {
    throw promptError(
      'SCHEMA_MISMATCH',
      `${format} field "${key}" must be a string, got ${describeType(value)}`,
      where,
      key,
    );
  }
  return value;
}

export function requiredString(
  record: Record<string, unknown>,
  key: string,
  format: string,
  where: PromptLocation,
): string {
  const value = record[key];
  if (typeof value !== 'string') {
    throw promptError(
      'SCHEMA_MISMATCH',
      `${format} record needs a string "${key}", got ${describeType(value)}`,
      where,
      key,
    );
  }
  return value;
}
