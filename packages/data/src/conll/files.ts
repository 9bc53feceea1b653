// CoNLL files: a streaming line-by-line reader and an atomic writer.
import { DataError } from '../errors.js';
import { readChunks, writeTextFileAtomic } from '../io/utils.js';
import { ConllLineParser, formatConllSentence } from './parse.js';
import type {
  ConllFormatOptions,
  ConllReadOptions,
  ConllReadStats,
  ConllSentence,
  ConllStream,
  ConllWriteResult,
} from './types.js';

async function* readLines(path: string): AsyncGenerator<string> {
  // fatal: a file that is not UTF-8 fails loudly instead of yielding U+FFFD tokens.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = '';
  try {
    for await (const chunk of readChunks(path)) {
      rest += decoder.decode(chunk, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop()!;
      yield* lines;
    }
    rest += decoder.decode();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new DataError('PARSE_ERROR', 'the file is not valid UTF-8; re-encode it as UTF-8', {
      file: path,
      cause: error,
    });
  }
  yield rest;
}

/**
 * Streams the sentences of a CoNLL file, reading it line by line; same options and errors as
 * `parseConll`, with the path as the file in every error. `stats` fills in as it is consumed.
 */
export function readConll(path: string, options: ConllReadOptions = {}): ConllStream {
  const stats: ConllReadStats = { sentences: 0, skipped: 0, skippedErrors: [] };
  async function* sentences(): AsyncGenerator<ConllSentence> {
    stats.sentences = 0;
    stats.skipped = 0;
    stats.skippedErrors = [];
    const parser = new ConllLineParser({ ...options, file: path }, stats);
    let lineNumber = 0;
    for await (const line of readLines(path)) {
      const sentence = parser.push(line, ++lineNumber);
      if (sentence) yield sentence;
    }
    const last = parser.end();
    if (last) yield last;
  }
  return { stats, [Symbol.asyncIterator]: sentences };
}

/**
 * Writes sentences as CoNLL (see `formatConll`) atomically: to a temporary file renamed into
 * place, so a bad sentence or a crash leaves any existing file untouched.
 */
export async function writeConll(
  path: string,
  sentences: Iterable<ConllSentence> | AsyncIterable<ConllSentence>,
  options: ConllFormatOptions = {},
): Promise<ConllWriteResult> {
  let count = 0;
  async function* pieces(): AsyncGenerator<string> {
    for await (const sentence of sentences) {
      const text = formatConllSentence(sentence, count, options);
      yield count++ > 0 ? `\n${text}` : text;
    }
  }
  const bytes = await writeTextFileAtomic(path, pieces());
  return { path, sentences: count, bytes };
}
