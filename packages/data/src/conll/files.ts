// CoNLL files: a streaming line-by-line reader and an atomic writer.
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { DataError } from '../errors.js';
import { writeFileAtomic } from '../fs-utils.js';
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
    for await (const chunk of createReadStream(path)) {
      rest += decoder.decode(chunk as Buffer, { stream: true });
      const lines = rest.split('\n');
      rest = lines.pop()!;
      yield* lines;
    }
    rest += decoder.decode();
  } catch (error) {
    if (error instanceof TypeError) {
      throw new DataError('PARSE_ERROR', 'the file is not valid UTF-8; re-encode it as UTF-8', {
        file: path,
        cause: error,
      });
    }
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(
      'IO_ERROR',
      `cannot read the file (${code ?? String(error)}); check the path and permissions`,
      {
        file: path,
        cause: error,
      },
    );
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

const FLUSH_CHARS = 1 << 16;

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
  let bytes = 0;
  await writeFileAtomic(path, async (tempPath) => {
    const handle = await open(tempPath, 'w');
    try {
      let buffer = '';
      const flush = async () => {
        const data = Buffer.from(buffer, 'utf8');
        await handle.write(data);
        bytes += data.length;
        buffer = '';
      };
      for await (const sentence of sentences) {
        if (count > 0) buffer += '\n';
        buffer += formatConllSentence(sentence, count++, options);
        if (buffer.length >= FLUSH_CHARS) await flush();
      }
      await flush();
    } finally {
      await handle.close();
    }
  }).catch((error: unknown) => {
    if (error instanceof DataError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DataError(
      'IO_ERROR',
      `cannot write the file (${code ?? String(error)}); check the folder exists and is writable`,
      {
        file: path,
        cause: error,
      },
    );
  });
  return { path, sentences: count, bytes };
}
