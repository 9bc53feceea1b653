// CoNLL text ↔ sentences: one token per line, columns split by a separator, blank lines between sentences.
import { DataError, recordSkip } from '../errors.js';
import { validateTags } from './tags.js';
import type {
  ConllFormatOptions,
  ConllParseOptions,
  ConllReadStats,
  ConllSentence,
} from './types.js';

const DOCSTART = '-DOCSTART-';

interface Pending {
  rows: string[][];
  lines: number[];
  /** The first error in this sentence; the rest of it is skipped (onError 'skip'). */
  error: DataError | undefined;
}

function columnIndex(column: number, count: number): number {
  return column < 0 ? count + column : column;
}

/**
 * Turns lines into sentences, one line at a time, so `parseConll` and the streaming `readConll`
 * behave the same. `push` returns a sentence when a blank or -DOCSTART- line ends one.
 */
export class ConllLineParser {
  private pending: Pending = { rows: [], lines: [], error: undefined };
  private readonly split: (line: string) => string[];
  private readonly validate: boolean;

  /** `stats` is updated in place, so a stream can hand out the object before reading. */
  constructor(
    private readonly options: ConllParseOptions,
    readonly stats: ConllReadStats = { sentences: 0, skipped: 0, skippedErrors: [] },
  ) {
    const {
      separator,
      scheme,
      validate = scheme !== undefined,
      tokenColumn = 0,
      tagColumn = -1,
    } = options;
    if (validate && scheme === undefined) {
      throw new DataError(
        'INVALID_ARGUMENT',
        'validate: true needs a scheme (IOB1, IOB2, BIOES, IOE1 or IOE2)',
        {
          file: options.file,
        },
      );
    }
    if (!Number.isInteger(tokenColumn) || !Number.isInteger(tagColumn)) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `tokenColumn and tagColumn must be integers, got ${tokenColumn} and ${tagColumn}`,
      );
    }
    this.validate = validate;
    this.split =
      separator === undefined
        ? (line) => line.trim().split(/\s+/u)
        : (line) => line.split(separator);
  }

  push(rawLine: string, lineNumber: number): ConllSentence | undefined {
    let line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (lineNumber === 1 && line.startsWith('\uFEFF')) line = line.slice(1);
    if (line.trim() === '') return this.end();
    const row = this.split(line);
    if (row[0] === DOCSTART) return this.end();
    const pending = this.pending;
    if (pending.error) return undefined;
    const first = pending.rows[0];
    if (first === undefined) {
      const problem = this.columnProblem(row.length);
      if (problem)
        return this.fail(
          new DataError('PARSE_ERROR', problem, { file: this.options.file, line: lineNumber }),
        );
    } else if (row.length !== first.length) {
      return this.fail(
        new DataError(
          'PARSE_ERROR',
          `this line has ${row.length} column${row.length === 1 ? '' : 's'} but the sentence's first line (line ${pending.lines[0]}) has ${first.length}; every token line of a sentence needs the same columns (check for a missing tag, a stray space inside a token, or a missing blank line between sentences)`,
          { file: this.options.file, line: lineNumber },
        ),
      );
    }
    pending.rows.push(row);
    pending.lines.push(lineNumber);
    return undefined;
  }

  /** Ends the current sentence (at a blank line, or the end of the input). */
  end(): ConllSentence | undefined {
    const { rows, lines, error } = this.pending;
    this.pending = { rows: [], lines: [], error: undefined };
    if (error) {
      this.skip(error);
      return undefined;
    }
    const first = rows[0];
    if (first === undefined) return undefined;
    const { tokenColumn = 0, tagColumn = -1, scheme, keepColumns = false } = this.options;
    const tokenAt = columnIndex(tokenColumn, first.length);
    const tagAt = columnIndex(tagColumn, first.length);
    const sentence: ConllSentence = {
      tokens: rows.map((row) => row[tokenAt]!),
      tags: rows.map((row) => row[tagAt]!),
      line: lines[0]!,
    };
    if (keepColumns) sentence.columns = rows;
    if (this.validate && scheme !== undefined) {
      const [issue] = validateTags(sentence.tags, scheme);
      if (issue) {
        const problem = `token ${JSON.stringify(sentence.tokens[issue.index])} of the sentence starting at line ${sentence.line}: ${issue.message}`;
        const invalid = new DataError('INVALID_TAGS', problem, {
          file: this.options.file,
          line: lines[issue.index],
        });
        if (this.options.onError !== 'skip') throw invalid;
        this.skip(invalid);
        return undefined;
      }
    }
    this.stats.sentences++;
    return sentence;
  }

  private columnProblem(count: number): string | undefined {
    const { tokenColumn = 0, tagColumn = -1 } = this.options;
    const tokenAt = columnIndex(tokenColumn, count);
    const tagAt = columnIndex(tagColumn, count);
    const columns = `this line has ${count} column${count === 1 ? '' : 's'}`;
    if (tokenAt < 0 || tokenAt >= count)
      return `${columns}, so tokenColumn ${tokenColumn} does not exist; check tokenColumn and separator`;
    if (tagAt < 0 || tagAt >= count)
      return `${columns}, so tagColumn ${tagColumn} does not exist; check tagColumn and separator`;
    if (tokenAt === tagAt) {
      return `${columns}, and tokenColumn ${tokenColumn} and tagColumn ${tagColumn} are both column ${tokenAt}; a token line needs a token and a tag (is the tag missing?)`;
    }
    return undefined;
  }

  private fail(error: DataError): undefined {
    if (this.options.onError !== 'skip') throw error;
    this.pending.error = error;
    return undefined;
  }

  private skip(error: DataError): void {
    recordSkip(this.stats, error, this.options.onSkip);
  }
}

/**
 * Parses CoNLL text: one token per line, blank lines between sentences, `-DOCSTART-` lines
 * skipped. Throws PARSE_ERROR (file:line) for a line whose column count differs from the
 * sentence's first line, and INVALID_TAGS (file:line of the token) when validating; with
 * `onError: 'skip'` such sentences are dropped and reported to `onSkip`.
 */
export function parseConll(text: string, options: ConllParseOptions = {}): ConllSentence[] {
  if (typeof text !== 'string') {
    throw new DataError(
      'INVALID_ARGUMENT',
      `parseConll needs the file's text as a string, got ${typeof text}`,
      {
        file: options.file,
      },
    );
  }
  const parser = new ConllLineParser(options);
  const sentences: ConllSentence[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const sentence = parser.push(line, i + 1);
    if (sentence) sentences.push(sentence);
  });
  const last = parser.end();
  if (last) sentences.push(last);
  return sentences;
}

function checkValue(value: unknown, where: string, separator: string): void {
  const bad =
    typeof value !== 'string' ||
    value === '' ||
    /[\r\n]/u.test(value) ||
    value.includes(separator) ||
    // Readers split on any whitespace by default, so a space-separated file cannot hold any;
    // a tab-separated file may hold spaces, read back with separator '\t'.
    (separator.includes(' ') && /\s/u.test(value));
  if (bad) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `${where} is ${JSON.stringify(value)}; CoNLL values must be non-empty and hold no line break or separator, and no whitespace at all with a space separator (use separator '\\t' for tokens with spaces)`,
    );
  }
}

/** The CoNLL lines of one sentence, each ending in a newline. */
export function formatConllSentence(
  sentence: ConllSentence,
  index: number,
  options: ConllFormatOptions = {},
): string {
  const { separator = ' ', tokenColumn = 0, tagColumn = -1 } = options;
  const where = `sentence ${index}`;
  if (typeof sentence !== 'object' || sentence === null) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `${where} is ${String(sentence)}, not { tokens, tags }`,
    );
  }
  const { tokens, tags, columns } = sentence;
  if (!Array.isArray(tokens) || !Array.isArray(tags) || tokens.length !== tags.length) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `${where} has ${tokens?.length} tokens but ${tags?.length} tags; give one tag per token`,
    );
  }
  if (tokens.length === 0) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `${where} has no tokens; an empty sentence cannot be written in CoNLL`,
    );
  }
  if (columns !== undefined && columns.length !== tokens.length) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `${where} has ${columns.length} column rows for ${tokens.length} tokens; give one row per token`,
    );
  }
  let out = '';
  tokens.forEach((token, i) => {
    const row = columns ? [...columns[i]!] : ['', ''];
    const tokenAt = columnIndex(columns ? tokenColumn : 0, row.length);
    const tagAt = columnIndex(columns ? tagColumn : -1, row.length);
    if (
      tokenAt < 0 ||
      tokenAt >= row.length ||
      tagAt < 0 ||
      tagAt >= row.length ||
      tokenAt === tagAt
    ) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `${where} token ${i} has ${row.length} columns, which cannot hold tokenColumn ${tokenColumn} and tagColumn ${tagColumn}`,
      );
    }
    row[tokenAt] = token;
    row[tagAt] = tags[i]!;
    row.forEach((value, c) => {
      checkValue(value, `${where} token ${i} column ${c}`, separator);
    });
    if (i === 0 && row[0] === DOCSTART) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `${where} starts with ${DOCSTART}, which readers skip as a document marker`,
      );
    }
    out += `${row.join(separator)}\n`;
  });
  return out;
}

/** CoNLL text for sentences: token lines, a blank line between sentences, a final newline. */
export function formatConll(
  sentences: Iterable<ConllSentence>,
  options: ConllFormatOptions = {},
): string {
  const blocks: string[] = [];
  let index = 0;
  for (const sentence of sentences) blocks.push(formatConllSentence(sentence, index++, options));
  return blocks.join('\n');
}
