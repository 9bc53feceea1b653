// Alpaca: `{ instruction, input?, output, system? }`, one exchange; plus the Stanford Alpaca prompt text.
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

export interface AlpacaRecord extends DataRecord {
  instruction: string;
  /** Context for the instruction; '' when there is none (the Stanford dataset's layout). */
  input: string;
  output: string;
  system?: string;
}

/**
 * Lossless mapping: `[system?] user(instruction) [user(input)] assistant(output)`. The input is a
 * second, separate user message rather than `instruction + "\n\n" + input`, so the boundary
 * survives a trip through ChatML, ShareGPT or OpenAI and back. Reading back, two user messages
 * before the reply are instruction and input; more than two would be joined (a loss).
 *
 * Canonical shape: `input` always present ('' when none), `system` only when non-empty. A record
 * without `input`, or with `input`/`system` null or '', reads the same and writes back canonical.
 */
export const alpacaFormat: PromptFormat<AlpacaRecord> = {
  name: 'alpaca',
  keys: ['instruction', 'input', 'output', 'system'],
  detect(record) {
    return typeof record.instruction === 'string' && typeof record.output === 'string';
  },
  toConversation(record, where = {}) {
    if (!isPlainObject(record)) {
      throw promptError(
        'SCHEMA_MISMATCH',
        `an Alpaca record must be an object, got ${describeType(record)}`,
        where,
      );
    }
    const instruction = requiredString(record, 'instruction', 'an Alpaca', where);
    const output = requiredString(record, 'output', 'an Alpaca', where);
    const input = optionalString(record, 'input', 'Alpaca', where);
    const system = optionalString(record, 'system', 'Alpaca', where);
    return singleTurnConversation(
      [
        ['system', 'system', system],
        ['instruction', 'user', instruction],
        ['input', 'user', input],
        ['output', 'assistant', output],
      ],
      where,
    );
  },
  fromConversation(conversation, options: FromConversationOptions = {}) {
    const messages = checkConversationArgument(conversation, options);
    const turn = toSingleTurn(messages, 'alpaca', 2, options);
    const record: AlpacaRecord = {
      instruction: turn.prompts[0] ?? '',
      input: turn.prompts[1] ?? '',
      output: turn.output,
    };
    if (turn.system !== undefined) record.system = turn.system;
    return record;
  },
};

/** The part of an Alpaca record the prompt needs. */
export interface AlpacaPromptFields {
  instruction: string;
  input?: string | null;
}

/**
 * The Stanford Alpaca prompt (PROMPT_DICT in tatsu-lab/stanford_alpaca train.py), with or without
 * the input section. It ends at `### Response:` with no newline: Stanford appends the output
 * directly (and the EOS token) to make the training text.
 */
export function renderAlpacaPrompt(record: AlpacaPromptFields): string {
  const { instruction, input } = record;
  if (typeof instruction !== 'string') {
    throw promptError(
      'INVALID_ARGUMENT',
      `renderAlpacaPrompt needs a string instruction, got ${describeType(instruction)}`,
      {},
      'instruction',
    );
  }
  if (input !== undefined && input !== null && typeof input !== 'string') {
    throw promptError(
      'INVALID_ARGUMENT',
      `renderAlpacaPrompt needs input to be a string, got ${describeType(input)}`,
      {},
      'input',
    );
  }
  if (input) {
    return (
      'Below is an instruction that describes a task, paired with an input that provides further context. ' +
      'Write a response that appropriately completes the request.\n\n' +
      `### Instruction:\n${instruction}\n\n### Input:\n${input}\n\n### Response:`
    );
  }
  return (
    'Below is an instruction that describes a task. ' +
    'Write a response that appropriately completes the request.\n\n' +
    `### Instruction:\n${instruction}\n\n### Response:`
  );
}
