// Format registry, detection and record conversion between prompt formats via the common model.
import { DataError } from '../errors.js';
import type { DataRecord } from '../types.js';
import { alpacaFormat } from './alpaca.js';
import { chatmlFormat } from './chatml.js';
import { instructionFormat } from './instruction.js';
import { openaiFormat } from './openai.js';
import { sharegptFormat } from './sharegpt.js';
import type { FromConversationOptions, PromptFormat } from './types.js';
import { promptError, recordPrefix } from './utils.js';

/** Every prompt format by name; the name union is derived from it. */
export const promptFormats = {
  alpaca: alpacaFormat,
  chatml: chatmlFormat,
  instruction: instructionFormat,
  openai: openaiFormat,
  sharegpt: sharegptFormat,
} as const;

export type PromptFormatName = keyof typeof promptFormats;

/** The record type a format writes. */
export type PromptRecord<N extends PromptFormatName> = ReturnType<
  (typeof promptFormats)[N]['fromConversation']
>;

export interface ConvertOptions extends FromConversationOptions {
  /** The source format; detected from the record's keys when omitted. */
  from?: PromptFormatName;
  /**
   * Copy keys the source format does not own (`id`, `source`, …) onto the output. A key the
   * target format writes itself is a loss (LOSSY_CONVERSION unless `allowLossy`, then dropped).
   * @default false
   */
  keepExtraFields?: boolean;
  /** The file the record came from, for error messages. */
  file?: string;
  /** 1-based line of the record in that file, for error messages. */
  line?: number;
}

const NAMES = Object.keys(promptFormats) as PromptFormatName[];

const SHAPES =
  'alpaca { instruction, output }, chatml { text with <|im_start|> }, instruction { prompt, response }, openai { messages }, sharegpt { conversations }';

function isFormatName(value: unknown): value is PromptFormatName {
  return typeof value === 'string' && Object.hasOwn(promptFormats, value);
}

function formatOf(name: unknown, option: string): PromptFormat {
  if (!isFormatName(name)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `unknown prompt format ${JSON.stringify(name)} for ${option}; use one of ${NAMES.join(', ')}`,
    );
  }
  return promptFormats[name];
}

function matchingFormats(record: DataRecord): PromptFormatName[] {
  return NAMES.filter((name) => promptFormats[name].detect(record));
}

/**
 * The format whose shape the record has, or undefined when none does or when several do
 * (e.g. a record with both `messages` and `conversations`): then pass `from` explicitly.
 */
export function detectPromptFormat(record: DataRecord): PromptFormatName | undefined {
  const matches = typeof record === 'object' && record !== null ? matchingFormats(record) : [];
  return matches.length === 1 ? matches[0] : undefined;
}

/**
 * Converts one record to format `to` through the common conversation model. Throws
 * UNSUPPORTED_FORMAT when `from` is omitted and cannot be detected, SCHEMA_MISMATCH/PARSE_ERROR
 * for a malformed record, and LOSSY_CONVERSION when `to` cannot hold all of it (unless `allowLossy`).
 */
export function convertRecord<N extends PromptFormatName>(
  record: DataRecord,
  to: N,
  options: ConvertOptions = {},
): PromptRecord<N> {
  const { from, keepExtraFields = false, allowLossy = false, index, file, line } = options;
  const target = formatOf(to, 'to');
  const where = { index, file, line };
  let source: PromptFormat;
  if (from !== undefined) {
    source = formatOf(from, 'from');
  } else {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw promptError(
        'UNSUPPORTED_FORMAT',
        `a prompt record must be an object, got ${JSON.stringify(record)}`,
        where,
      );
    }
    const matches = matchingFormats(record);
    if (matches.length !== 1) {
      const keys = Object.keys(record);
      const seen = keys.length === 0 ? 'no keys' : `keys ${keys.map((k) => `"${k}"`).join(', ')}`;
      throw promptError(
        'UNSUPPORTED_FORMAT',
        matches.length === 0
          ? `cannot tell the prompt format: the record has ${seen}, but the formats look like ${SHAPES}; fix the keys or pass from`
          : `the record (${seen}) fits several prompt formats (${matches.join(', ')}); pass from to choose`,
        where,
      );
    }
    source = promptFormats[matches[0]!];
  }
  const conversation = source.toConversation(record, where);
  const out: DataRecord = target.fromConversation(conversation, { ...options, allowLossy, index });
  if (keepExtraFields) {
    const owned = new Set(source.keys);
    for (const [key, value] of Object.entries(record)) {
      if (owned.has(key)) continue;
      if (Object.hasOwn(out, key) || target.keys.includes(key)) {
        if (!allowLossy) {
          throw new DataError(
            'LOSSY_CONVERSION',
            `${recordPrefix(index)}converting to ${to} would lose the extra field "${key}", which ${to} writes itself; rename the field or pass allowLossy: true to drop it`,
            { file, line, field: key },
          );
        }
        continue;
      }
      out[key] = value;
    }
  }
  return out as PromptRecord<N>;
}

/** Converts records one by one; errors name each record's 0-based index. */
export function convertRecords<N extends PromptFormatName>(
  records: Iterable<DataRecord>,
  to: N,
  options: Omit<ConvertOptions, 'index' | 'line'> = {},
): PromptRecord<N>[] {
  const out: PromptRecord<N>[] = [];
  let index = 0;
  for (const record of records) {
    out.push(convertRecord(record, to, { ...options, index }));
    index++;
  }
  return out;
}
