import { describe, expect, it } from 'vitest';
import {
  convertTags,
  repairTags,
  spansToTags,
  type TagScheme,
  type TagSpan,
  tagsToSpans,
  validateTags,
} from '../index.js';
import { catchDataErrorSync as catchDataError } from '../test-helpers.js';

const words = (s: string) => s.split(' ');

// Hand-written: the same entities in every scheme.
const BRIEF: Record<Exclude<TagScheme, 'IOBES'>, string[]> = {
  IOB1: words('I-PER I-PER B-PER'),
  IOB2: words('B-PER I-PER B-PER'),
  BIOES: words('B-PER E-PER S-PER'),
  IOE1: words('I-PER E-PER I-PER'),
  IOE2: words('I-PER E-PER E-PER'),
};
const BRIEF_SPANS: TagSpan[] = [
  { label: 'PER', start: 0, end: 2 },
  { label: 'PER', start: 2, end: 3 },
];

// Two-token PER, two-token LOC, two adjacent PERs, an ORG touching a PER, a three-token LOC.
const RICH: typeof BRIEF = {
  IOB1: words('I-PER I-PER O O I-LOC I-LOC O I-PER I-PER B-PER I-ORG O I-LOC I-LOC I-LOC'),
  IOB2: words('B-PER I-PER O O B-LOC I-LOC O B-PER I-PER B-PER B-ORG O B-LOC I-LOC I-LOC'),
  BIOES: words('B-PER E-PER O O B-LOC E-LOC O B-PER E-PER S-PER S-ORG O B-LOC I-LOC E-LOC'),
  IOE1: words('I-PER I-PER O O I-LOC I-LOC O I-PER E-PER I-PER I-ORG O I-LOC I-LOC I-LOC'),
  IOE2: words('I-PER E-PER O O I-LOC E-LOC O I-PER E-PER E-PER E-ORG O I-LOC I-LOC E-LOC'),
};
const RICH_SPANS: TagSpan[] = [
  { label: 'PER', start: 0, end: 2 },
  { label: 'LOC', start: 4, end: 6 },
  { label: 'PER', start: 7, end: 9 },
  { label: 'PER', start: 9, end: 10 },
  { label: 'ORG', start: 10, end: 11 },
  { label: 'LOC', start: 12, end: 15 },
];

const SCHEMES = Object.keys(BRIEF) as (keyof typeof BRIEF)[];

describe('convertTags', () => {
  for (const [title, sample] of [
    ['I-PER I-PER B-PER', BRIEF],
    ['the rich sentence', RICH],
  ] as const) {
    for (const from of SCHEMES) {
      for (const to of SCHEMES) {
        it(`${title}: ${from} → ${to}`, () => {
          expect(validateTags(sample[from], from)).toEqual([]);
          expect(convertTags(sample[from], from, to)).toEqual(sample[to]);
        });
      }
    }
  }

  it('treats IOBES as BIOES', () => {
    expect(convertTags(RICH.IOB2, 'IOB2', 'IOBES')).toEqual(RICH.BIOES);
    expect(convertTags(RICH.BIOES, 'IOBES', 'IOB1')).toEqual(RICH.IOB1);
  });

  it('refuses invalid input instead of guessing', () => {
    const error = catchDataError(() => convertTags(words('O I-PER'), 'IOB2', 'BIOES'));
    expect(error.code).toBe('INVALID_TAGS');
    expect(error.message).toContain(
      'I-PER at token 1 does not continue a PER entity (previous tag O)',
    );
  });

  it('rejects an unknown scheme', () => {
    const error = catchDataError(() => convertTags(['O'], 'BILOU' as TagScheme, 'IOB2'));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain('unknown tag scheme "BILOU"');
  });
});

describe('tagsToSpans and spansToTags', () => {
  for (const scheme of SCHEMES) {
    it(`decodes and encodes ${scheme}`, () => {
      expect(tagsToSpans(BRIEF[scheme], scheme)).toEqual(BRIEF_SPANS);
      expect(tagsToSpans(RICH[scheme], scheme)).toEqual(RICH_SPANS);
      expect(spansToTags(3, BRIEF_SPANS, scheme)).toEqual(BRIEF[scheme]);
      expect(spansToTags(15, [...RICH_SPANS].reverse(), scheme)).toEqual(RICH[scheme]);
    });
  }

  it('gives no spans for an all-O or empty sentence', () => {
    expect(tagsToSpans(['O', 'O'], 'IOB2')).toEqual([]);
    expect(tagsToSpans([], 'BIOES')).toEqual([]);
    expect(spansToTags(2, [], 'BIOES')).toEqual(['O', 'O']);
  });

  it('decodes broken tags leniently when asked, as conlleval does', () => {
    expect(tagsToSpans(words('O I-PER I-PER O B-LOC I-ORG'), 'IOB2', { lenient: true })).toEqual([
      { label: 'PER', start: 1, end: 3 },
      { label: 'LOC', start: 4, end: 5 },
      { label: 'ORG', start: 5, end: 6 },
    ]);
  });

  it('rejects overlapping, out-of-range and unlabelled spans', () => {
    const overlap = catchDataError(() =>
      spansToTags(
        5,
        [
          { label: 'PER', start: 0, end: 3 },
          { label: 'LOC', start: 2, end: 4 },
        ],
        'IOB2',
      ),
    );
    expect(overlap.code).toBe('INVALID_ARGUMENT');
    expect(overlap.message).toContain('overlap');
    expect(
      catchDataError(() => spansToTags(3, [{ label: 'PER', start: 2, end: 4 }], 'IOB2')).message,
    ).toContain('0 ≤ start < end ≤ 3');
    expect(
      catchDataError(() => spansToTags(3, [{ label: 'PER', start: 1, end: 1 }], 'IOB2')).code,
    ).toBe('INVALID_ARGUMENT');
    expect(
      catchDataError(() => spansToTags(3, [{ label: '', start: 0, end: 1 }], 'IOB2')).message,
    ).toContain('non-empty string without spaces');
  });
});

describe('validateTags', () => {
  const cases: [TagScheme, string, [number, string][]][] = [
    [
      'IOB2',
      'X-PER B- PER b-PER O B-LOC',
      [
        [0, 'malformed'],
        [1, 'malformed'],
        [2, 'malformed'],
        [3, 'malformed'],
      ],
    ],
    [
      'IOB2',
      'B-PER S-PER E-PER',
      [
        [1, 'wrong-prefix'],
        [2, 'wrong-prefix'],
      ],
    ],
    ['IOB1', 'I-LOC E-LOC', [[1, 'wrong-prefix']]],
    ['IOE2', 'B-LOC E-LOC', [[0, 'wrong-prefix']]],
    ['IOB2', 'O I-PER I-PER', [[1, 'orphan-inside']]],
    ['IOB2', 'I-PER', [[0, 'orphan-inside']]],
    ['IOB2', 'B-PER I-LOC', [[1, 'orphan-inside']]],
    ['IOB1', 'O B-PER', [[1, 'needless-begin']]],
    ['IOB1', 'I-LOC B-PER', [[1, 'needless-begin']]],
    ['IOB1', 'I-PER B-PER B-PER', []],
    ['BIOES', 'B-PER O', [[0, 'unclosed']]],
    ['BIOES', 'B-PER I-PER', [[1, 'unclosed']]],
    ['BIOES', 'B-PER S-PER', [[0, 'unclosed']]],
    ['BIOES', 'I-PER E-PER', [[0, 'orphan-inside']]],
    ['BIOES', 'O E-PER', [[1, 'orphan-end']]],
    ['BIOES', 'S-PER E-PER', [[1, 'orphan-end']]],
    [
      'BIOES',
      'B-PER E-LOC',
      [
        [0, 'unclosed'],
        [1, 'orphan-end'],
      ],
    ],
    ['IOBES', 'S-PER B-LOC I-LOC E-LOC', []],
    ['IOE2', 'I-PER O', [[0, 'unclosed']]],
    ['IOE2', 'I-PER E-LOC', [[0, 'unclosed']]],
    ['IOE1', 'E-PER O', [[0, 'needless-end']]],
    ['IOE1', 'I-PER E-PER', [[1, 'needless-end']]],
    ['IOE1', 'E-PER I-PER', []],
  ];
  for (const [scheme, tags, expected] of cases) {
    it(`${scheme} ${tags} → ${JSON.stringify(expected)}`, () => {
      const issues = validateTags(words(tags), scheme);
      expect(issues.map((issue) => [issue.index, issue.problem])).toEqual(expected);
      for (const issue of issues) expect(issue.tag).toBe(words(tags)[issue.index]);
    });
  }

  it('explains each problem with a fix', () => {
    const [orphan] = validateTags(words('O I-PER'), 'IOB2');
    expect(orphan!.message).toBe(
      "I-PER at token 1 does not continue a PER entity (previous tag O); in IOB2 every entity starts with B-. Change it to B-PER, run repairTags(tags, 'IOB2'), or read with scheme 'IOB1' if the data is IOB1",
    );
    const [unclosed] = validateTags(words('B-LOC'), 'BIOES');
    expect(unclosed!.message).toContain('(the sentence end)');
    expect(unclosed!.message).toContain('a one-token entity is S-LOC');
    const [malformed] = validateTags(['X-PER'], 'IOB2');
    expect(malformed!.message).toContain('tag "X-PER" at token 0 is not O or a prefix B-, I-, O');
  });
});

describe('repairTags', () => {
  it('turns orphan I- tags into entity starts, as seqeval lenient mode reads them', () => {
    expect(repairTags(words('I-PER I-PER O I-LOC'), 'IOB2')).toEqual(words('B-PER I-PER O B-LOC'));
    expect(repairTags(words('B-PER I-LOC I-LOC'), 'IOB2')).toEqual(words('B-PER B-LOC I-LOC'));
    expect(repairTags(words('O B-PER I-PER'), 'IOB1')).toEqual(words('O I-PER I-PER'));
  });

  it('closes BIOES entities and turns lone tokens into S-', () => {
    expect(repairTags(words('B-PER O I-LOC I-LOC O E-ORG'), 'BIOES')).toEqual(
      words('S-PER O B-LOC E-LOC O S-ORG'),
    );
    expect(repairTags(words('I-PER O'), 'IOE2')).toEqual(words('E-PER O'));
  });

  it('reads prefixes of another scheme by their meaning', () => {
    expect(repairTags(words('B-PER E-PER S-LOC'), 'IOB2')).toEqual(words('B-PER I-PER B-LOC'));
  });

  it('leaves valid tags unchanged', () => {
    for (const scheme of SCHEMES) expect(repairTags(RICH[scheme], scheme)).toEqual(RICH[scheme]);
  });

  it('refuses malformed tags', () => {
    const error = catchDataError(() => repairTags(words('B-PER X-PER'), 'IOB2'));
    expect(error.code).toBe('INVALID_TAGS');
    expect(error.message).toContain('"X-PER" at token 1');
  });
});
