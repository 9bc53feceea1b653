// Instruction format: `{ prompt, response, system? }`, one exchange.
import type { DataRecord } from '../types.js';
import type { FromConversationOptions, PromptFormat } from './types.js';
import {
  checkConversationArgument,
  describeType,
  isPlainObject,
  optionalString,
  promptError,
  requiredString,
  singleTurnConversation,
  toSingleTurn,
} from './utils.js';

export interface InstructionRecord extends DataRecord {
  prompt: string;
  response: string;
  system?: string;
}

/**
 * Maps to `[system?] user(prompt) assistant(response)`. Canonical shape: `system` only when
 * non-empty (null and '' read as none). Several user messages before the reply would be joined
 * with a blank line, which is a loss.
 */
export const instructionFormat: PromptFormat<InstructionRecord> = {
  name: 'instruction',
  keys: ['prompt', 'response', 'system'],
  detect(record) {
    return typeof record.prompt === 'string' && typeof record.response === 'string';
  },
  toConversation(record, where = {}) {
    if (!isPlainObject(record)) {
      throw promptError(
        'SCHEMA_MISMATCH',
        `an instruction record must be an object, got ${describeType(record)}`,
        where,
      );
    }
    const prompt = requiredString(record, 'prompt', 'an instruction', where);
    const response = requiredString(record, 'response', 'an instruction', where);
    const system = optionalString(record, 'system', 'instruction', where);
    return singleTurnConversation(
      [
        ['system', 'system', system],
        ['prompt', 'user', prompt],
        ['response', 'assistant', response],
      ],
      where,
    );
  },
  fromConversation(conversation, options: FromConversationOptions = {}) {
    const messages = checkConversationArgument(conversation, options);
    const turn = toSingleTurn(messages, 'instruction', 1, options);
    const record: InstructionRecord = { prompt: turn.prompts[0] ?? '', response: turn.output };
    if (turn.system !== undefined) record.system = turn.system;
    return record;
  },
};
