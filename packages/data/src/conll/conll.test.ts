import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ConllSentence,
  DataError,
  formatConll,
  parseConll,
  readConll,
  writeConll,
} from '../index.js';
import { catchDataErrorSync as catchDataError } from '../test-helpers.js';

async function rejectsDataError(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError, but nothing was thrown');
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

// CoNLL-2003 layout: token POS chunk NER, a document marker, two sentences.
const CONLL2003 = [
  '-DOCSTART- -X- -X- O',
  '',
  'EU NNP B-NP B-ORG',
  'rejects VBZ B-VP O',
  'German JJ B-NP B-MISC',
  '',
  '',
  'Peter NNP B-NP B-PER',
  'Blackburn NNP I-NP I-PER',
  '',
].join('\n');

// Amharic: "Abebe Bikila went to Addis Ababa."
const AMHARIC = 'አበበ B-PER\nቢቂላ I-PER\nወደ O\nአዲስ B-LOC\nአበባ I-LOC\nሄደ O\n። O\n';

describe('parseConll', () => {
  it('reads the last column as tags, skips -DOCSTART- and extra blank lines, and records first-token lines', () => {
    expect(parseConll(CONLL2003)).toEqual([
      { tokens: ['EU', 'rejects', 'German'], tags: ['B-ORG', 'O', 'B-MISC'], line: 3 },
      { tokens: ['Peter', 'Blackburn'], tags: ['B-PER', 'I-PER'], line: 8 },
    ]);
  });

  it('keeps every column with keepColumns, and reads another tag column', () => {
    const [first] = parseConll(CONLL2003, { keepColumns: true, tagColumn: 2 });
    expect(first).toEqual({
      tokens: ['EU', 'rejects', 'German'],
      tags: ['B-NP', 'B-VP', 'B-NP'],
      line: 3,
      columns: [
        ['EU', 'NNP', 'B-NP', 'B-ORG'],
        ['rejects', 'VBZ', 'B-VP', 'O'],
        ['German', 'JJ', 'B-NP', 'B-MISC'],
      ],
    });
  });

  it('reads Amharic tokens', () => {
    expect(parseConll(AMHARIC, { scheme: 'IOB2' })).toEqual([
      {
        tokens: ['አበበ', 'ቢቂላ', 'ወደ', 'አዲስ', 'አበባ', 'ሄደ', '።'],
        tags: ['B-PER', 'I-PER', 'O', 'B-LOC', 'I-LOC', 'O', 'O'],
        line: 1,
      },
    ]);
  });

  it('handles CRLF, a byte-order mark, tabs and a missing final newline', () => {
    expect(parseConll('\uFEFFHej\tO\r\nStockholm\tB-LOC\r\n\r\nTack\tO')).toEqual([
      { tokens: ['Hej', 'Stockholm'], tags: ['O', 'B-LOC'], line: 1 },
      { tokens: ['Tack'], tags: ['O'], line: 4 },
    ]);
  });

  it('splits on an explicit separator, so tokens may hold spaces', () => {
    expect(parseConll('New York\tB-LOC\nis\tO\n', { separator: '\t' })).toEqual([
      { tokens: ['New York', 'is'], tags: ['B-LOC', 'O'], line: 1 },
    ]);
  });

  it('reads columns counted from either end', () => {
    expect(parseConll('1 EU B-ORG x\n2 rejects O x\n', { tokenColumn: 1, tagColumn: -2 })).toEqual([
      { tokens: ['EU', 'rejects'], tags: ['B-ORG', 'O'], line: 1 },
    ]);
  });

  it('names file:line for a line whose column count differs from the sentence start', () => {
    const error = catchDataError(() =>
      parseConll('a O\nb O\n\nc NN O\nd O\n', { file: 'train.conll' }),
    );
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.file).toBe('train.conll');
    expect(error.line).toBe(5);
    expect(error.message).toBe(
      "[@ft/data] train.conll:5: this line has 2 columns but the sentence's first line (line 4) has 3; every token line of a sentence needs the same columns (check for a missing tag, a stray space inside a token, or a missing blank line between sentences)",
    );
  });

  it('names file:line for a line without a tag', () => {
    const error = catchDataError(() => parseConll('a O\n\nlonely\n', { file: 'x.conll' }));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.line).toBe(3);
    expect(error.message).toContain(
      'this line has 1 column, and tokenColumn 0 and tagColumn -1 are both column 0',
    );
    expect(catchDataError(() => parseConll('a O\n', { tagColumn: 5 })).message).toContain(
      'tagColumn 5 does not exist',
    );
  });

  it('validates tags, naming file:line of the offending token and the fix', () => {
    const text = 'Abebe B-PER\nran O\n\nin O\nAddis I-LOC\nAbaba I-LOC\n';
    const error = catchDataError(() => parseConll(text, { file: 'am.conll', scheme: 'IOB2' }));
    expect(error.code).toBe('INVALID_TAGS');
    expect(error.file).toBe('am.conll');
    expect(error.line).toBe(5);
    expect(error.message).toContain(
      'am.conll:5: token "Addis" of the sentence starting at line 4: I-LOC at token 1 does not continue a LOC entity (previous tag O)',
    );
    expect(error.message).toContain("run repairTags(tags, 'IOB2')");
    expect(parseConll(text, { scheme: 'IOB2', validate: false })).toHaveLength(2);
  });

  it('skips bad sentences with onError skip, counting them', () => {
    const skipped: DataError[] = [];
    const text = 'a O\n\nb I-PER\n\nc NN O\nd O\n\ne B-PER\n';
    const sentences = parseConll(text, {
      scheme: 'IOB2',
      onError: 'skip',
      onSkip: (e) => skipped.push(e),
    });
    expect(sentences.map((s) => s.tokens)).toEqual([['a'], ['e']]);
    expect(skipped.map((e) => [e.code, e.line])).toEqual([
      ['INVALID_TAGS', 3],
      ['PARSE_ERROR', 6],
    ]);
  });

  it('needs a scheme to validate', () => {
    const error = catchDataError(() => parseConll('a O\n', { validate: true }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('validate: true needs a scheme');
  });

  it('gives no sentences for empty input', () => {
    expect(parseConll('')).toEqual([]);
    expect(parseConll('\n\n-DOCSTART- O\n\n')).toEqual([]);
  });
});

describe('formatConll', () => {
  const sentences: ConllSentence[] = [
    { tokens: ['አበበ', 'ሄደ'], tags: ['B-PER', 'O'], line: 1 },
    { tokens: ['Hej'], tags: ['O'], line: 4 },
  ];

  it('writes token lines with a blank line between sentences', () => {
    expect(formatConll(sentences)).toBe('አበበ B-PER\nሄደ O\n\nHej O\n');
    expect(formatConll(sentences, { separator: '\t' })).toBe('አበበ\tB-PER\nሄደ\tO\n\nHej\tO\n');
    expect(formatConll([])).toBe('');
  });

  it('round-trips through parseConll', () => {
    expect(parseConll(formatConll(sentences))).toEqual(sentences);
    // Lines move: the -DOCSTART- block and the double blank line are not written back.
    const parsed = parseConll(CONLL2003, { keepColumns: true });
    const again = parseConll(formatConll(parsed), { keepColumns: true });
    expect(again.map(({ line, ...rest }) => rest)).toEqual(parsed.map(({ line, ...rest }) => rest));
    expect(again.map((s) => s.line)).toEqual([1, 5]);
  });

  it('writes the current tokens and tags into kept columns', () => {
    const [sentence] = parseConll('EU NNP B-ORG\n', { keepColumns: true });
    expect(formatConll([{ ...sentence!, tags: ['S-ORG'] }])).toBe('EU NNP S-ORG\n');
  });

  it('rejects what it cannot write so that it reads back', () => {
    const cases: [ConllSentence, string][] = [
      [
        { tokens: ['New York'], tags: ['B-LOC'], line: 1 },
        'sentence 0 token 0 column 0 is "New York"',
      ],
      [{ tokens: ['a', 'b'], tags: ['O'], line: 1 }, 'sentence 0 has 2 tokens but 1 tags'],
      [{ tokens: [], tags: [], line: 1 }, 'sentence 0 has no tokens'],
      [{ tokens: ['-DOCSTART-'], tags: ['O'], line: 1 }, 'starts with -DOCSTART-'],
      [{ tokens: ['a'], tags: [''], line: 1 }, 'sentence 0 token 0 column 1 is ""'],
      [{ tokens: [5 as never], tags: ['O'], line: 1 }, 'sentence 0 token 0 column 0 is 5'],
      [null as never, 'sentence 0 is null, not { tokens, tags }'],
    ];
    for (const [sentence, message] of cases) {
      const error = catchDataError(() => formatConll([sentence]));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(message);
    }
    expect(
      formatConll([{ tokens: ['New York'], tags: ['B-LOC'], line: 1 }], { separator: '\t' }),
    ).toBe('New York\tB-LOC\n');
  });
});

describe('readConll and writeConll', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    dir = await createTempDir();
  });
  afterEach(async () => {
    await dir.cleanup();
  });

  it('round-trips Amharic sentences through a file', async () => {
    const path = join(dir.path, 'am.conll');
    const sentences = parseConll(AMHARIC + '\nሰላም O\nለዓለም O\n');
    const result = await writeConll(path, sentences);
    expect(result).toEqual({
      path,
      sentences: 2,
      bytes: Buffer.byteLength(formatConll(sentences)),
    });
    expect(await readFile(path, 'utf8')).toBe(`${AMHARIC}\nሰላም O\nለዓለም O\n`);
    const stream = readConll(path, { scheme: 'IOB2' });
    expect(await collect(stream)).toEqual(sentences);
    expect(stream.stats).toEqual({ sentences: 2, skipped: 0, skippedErrors: [] });
  });

  it('streams a file larger than one read chunk, matching parseConll', async () => {
    const path = join(dir.path, 'big.conll');
    const sentences: ConllSentence[] = [];
    for (let i = 0; i < 3000; i++) {
      sentences.push({ tokens: ['አዲስ', 'አበባ', `w${i}`], tags: ['B-LOC', 'I-LOC', 'O'], line: 0 });
    }
    // Writing from an async iterable exercises the streaming writer.
    async function* source() {
      yield* sentences;
    }
    await writeConll(path, source());
    const text = await readFile(path, 'utf8');
    expect(text.length).toBeGreaterThan(1 << 16);
    const read = await collect(readConll(path));
    expect(read).toEqual(parseConll(text));
    expect(read).toHaveLength(3000);
    expect(read[2999]).toEqual({
      tokens: ['አዲስ', 'አበባ', 'w2999'],
      tags: ['B-LOC', 'I-LOC', 'O'],
      line: 2999 * 4 + 1,
    });
  });

  it('names file:line for invalid tags and counts skipped sentences', async () => {
    const path = join(dir.path, 'bad.conll');
    await writeFile(path, 'a B-PER\nb E-PER\n\nc S-PER\n\nd I-PER\ne B-PER\n');
    const error = await rejectsDataError(collect(readConll(path, { scheme: 'BIOES' })));
    expect(error.code).toBe('INVALID_TAGS');
    expect(error.message).toContain(`${path}:6: token "d"`);
    expect(error.message).toContain(
      'I-PER at token 0 does not continue a PER entity (the sentence start)',
    );
    const stream = readConll(path, { scheme: 'BIOES', onError: 'skip' });
    expect((await collect(stream)).map((s) => s.tokens)).toEqual([['a', 'b'], ['c']]);
    expect(stream.stats.sentences).toBe(2);
    expect(stream.stats.skipped).toBe(1);
    expect(stream.stats.skippedErrors[0]!.line).toBe(6);
  });

  it('names file:line for a malformed line', async () => {
    const path = join(dir.path, 'cols.conll');
    await writeFile(path, 'a NN O\nb O\n');
    const error = await rejectsDataError(collect(readConll(path)));
    expect(error.code).toBe('PARSE_ERROR');
    expect(error.message).toContain(`${path}:2: this line has 2 columns`);
  });

  it('reports a missing file and a file that is not UTF-8', async () => {
    const missing = await rejectsDataError(collect(readConll(join(dir.path, 'nope.conll'))));
    expect(missing.code).toBe('IO_ERROR');
    expect(missing.message).toContain('file not found');
    const latin1 = join(dir.path, 'latin1.conll');
    await writeFile(latin1, Buffer.from([0x72, 0xe4, 0x76, 0x20, 0x4f, 0x0a])); // "räv O" in Latin-1
    const notUtf8 = await rejectsDataError(collect(readConll(latin1)));
    expect(notUtf8.code).toBe('PARSE_ERROR');
    expect(notUtf8.message).toContain('not valid UTF-8');
  });

  it('leaves the old file untouched and no temporary file when a sentence is bad', async () => {
    const path = join(dir.path, 'keep.conll');
    await writeFile(path, 'old O\n');
    const error = await rejectsDataError(
      writeConll(path, [
        { tokens: ['ok'], tags: ['O'], line: 1 },
        { tokens: ['two words'], tags: ['O'], line: 3 },
      ]),
    );
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('sentence 1 token 0');
    expect(await readFile(path, 'utf8')).toBe('old O\n');
    expect(await readdir(dir.path)).toEqual(['keep.conll']);
  });

  it('reports a folder that does not exist', async () => {
    const error = await rejectsDataError(writeConll(join(dir.path, 'no', 'such.conll'), []));
    expect(error.code).toBe('IO_ERROR');
    expect(error.message).toContain('folder does not exist');
  });
});
