// Types shared by the prompt formats: the common conversation model and the converter interface.
import type { DataRecord } from '../types.js';

/** Who speaks a message. */
export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** One message of a conversation. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** Speaker or tool name (OpenAI `name`, ChatML `name=`). */
  name?: string;
}

/** The common model every prompt format converts to and from. */
export interface Conversation {
  messages: ChatMessage[];
}

/** Where a record came from, for error messages. */
export interface PromptLocation {
  /** 0-based position of the record in the batch being converted. */
  index?: number;
  /** The file the record was read from. */
  file?: string;
  /** 1-based line (or record number) in that file. */
  line?: number;
}

export interface FromConversationOptions {
  /** Drop what the target format cannot hold instead of throwing LOSSY_CONVERSION. @default false */
  allowLossy?: boolean;
  /** 0-based record index, named in error messages. */
  index?: number;
  /** ChatML only: write `<|im_start|>role name=NAME` headers, so names survive. @default false */
  chatmlNames?: boolean;
}

/**
 * One prompt format: recognises its records, reads them into a {@link Conversation} and writes a
 * conversation back. `fromConversation(toConversation(r))` gives `r` back exactly for every record
 * in the format's canonical shape (see each format's header comment).
 */
export interface PromptFormat<T extends DataRecord = DataRecord> {
  readonly name: string;
  /** The record keys this format owns; other keys are extra fields. */
  readonly keys: readonly string[];
  /** Whether the record has this format's shape (its keys, with the right types). */
  detect(record: DataRecord): boolean;
  /** Reads a record; throws SCHEMA_MISMATCH (or PARSE_ERROR for ChatML text) naming the field. */
  toConversation(record: DataRecord, where?: PromptLocation): Conversation;
  /** Writes a conversation; throws LOSSY_CONVERSION when it cannot hold all of it. */
  fromConversation(conversation: Conversation, options?: FromConversationOptions): T;
}

/** One broken rule found by `validateConversation`. */
export interface ConversationIssue {
  /** 0-based message index, or -1 for the conversation as a whole. */
  index: number;
  /** The message field at fault. */
  field: 'role' | 'content' | 'name' | 'messages';
  problem: string;
}

export interface ValidateConversationOptions {
  /** Allow messages whose content is the empty string. @default false */
  allowEmptyContent?: boolean;
}
