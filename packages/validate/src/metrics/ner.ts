// Entity-level NER metrics like seqeval: entity extraction from tag sequences (lenient default
// mode or strict scheme-checked mode) and precision/recall/F-beta per entity type.

import { ValidateError } from '../errors.js';
import type { ClassScores } from '../types.js';
import type { AveragedScores } from './classification.js';
import { scoresFromCounts } from './classification.js';
import { checkNonEmpty } from './utils.js';

/** Tagging schemes of seqeval's strict mode; `BIOES` is another name for `IOBES`. */
export type TaggingScheme = 'IOB1' | 'IOB2' | 'IOE1' | 'IOE2' | 'IOBES' | 'BIOES' | 'BILOU';

export interface EntityOptions {
  /**
   * `default` extracts entities leniently like seqeval's `get_entities` (any tag sequence is
   * accepted); `strict` follows `scheme` exactly like seqeval's `mode='strict'`, rejecting
   * tags whose prefix the scheme does not allow and dropping malformed chunks.
   * @default 'default'
   */
  mode?: 'default' | 'strict';
  /** The tagging scheme; required in strict mode, ignored otherwise. @default undefined */
  scheme?: TaggingScheme;
  /** Tags put the prefix last (`PER-B`) instead of first (`B-PER`). @default false */
  suffix?: boolean;
}

/** One entity; `start` and `end` are token indices in its sentence, `end` exclusive. */
export interface Entity {
  sentence: number;
  type: string;
  start: number;
  end: number;
}

export interface NerScoreOptions extends EntityOptions {
  /** How per-type scores are combined; `none` returns one score per entity type. @default 'micro' */
  average?: 'micro' | 'macro' | 'weighted' | 'none';
  /** Weight of recall in the F-score (`Infinity` gives recall). @default 1 */
  beta?: number;
  /** Value of a precision or recall whose denominator is zero. @default 0 */
  zeroDivision?: 0 | 1;
}

/** Per-type scores, types sorted as seqeval sorts them. */
export interface NerPerTypeScores {
  types: string[];
  precision: number[];
  recall: number[];
  fScore: number[];
  support: number[];
}

type Sentences = readonly (readonly string[])[];

function checkSentences(sentences: Sentences, field: string): void {
  if (!Array.isArray(sentences)) {
    throw new ValidateError('INVALID_ARGUMENT', 'must be an array of sentences (arrays of tags)', {
      field,
    });
  }
  sentences.forEach((sentence, s) => {
    if (!Array.isArray(sentence)) {
      throw new ValidateError('INVALID_ARGUMENT', 'must be an array of tags', {
        field: `${field}[${s}]`,
      });
    }
    sentence.forEach((tag, t) => {
      if (typeof tag !== 'string' || tag.length === 0) {
        throw new ValidateError(
          'UNKNOWN_LABEL',
          `is ${JSON.stringify(tag)}; tags are non-empty strings like B-PER or O`,
          {
            field: `${field}[${s}][${t}]`,
          },
        );
      }
    });
  });
}

/** seqeval's `get_entities`: prefix letter and type of one tag. */
function splitLenient(tag: string, suffix: boolean): [string, string] {
  if (suffix) {
    const body = tag.slice(0, -1);
    const dash = body.lastIndexOf('-');
    return [tag[tag.length - 1]!, (dash < 0 ? body : body.slice(0, dash)) || '_'];
  }
  const body = tag.slice(1);
  const dash = body.indexOf('-');
  return [tag[0]!, (dash < 0 ? body : body.slice(dash + 1)) || '_'];
}

function endOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (prevTag === 'E' || prevTag === 'S') return true;
  if ((prevTag === 'B' || prevTag === 'I') && (tag === 'B' || tag === 'S' || tag === 'O'))
    return true;
  return prevTag !== 'O' && prevTag !== '.' && prevType !== type;
}

function startOfChunk(prevTag: string, tag: string, prevType: string, type: string): boolean {
  if (tag === 'B' || tag === 'S') return true;
  if ((prevTag === 'E' || prevTag === 'S' || prevTag === 'O') && (tag === 'E' || tag === 'I')) {
    return true;
  }
  return tag !== 'O' && tag !== '.' && prevType !== type;
}

/**
 * Lenient extraction over the whole corpus as seqeval does it: sentences joined with an `O`
 * between them, so chunk state carries over exactly as in seqeval.
 */
function lenientEntities(sentences: Sentences, suffix: boolean, field: string): Entity[] {
  // seqeval only warns about these ("seems not to be NE tag"); its chunks can then run across
  // sentence boundaries, so they are rejected here.
  sentences.forEach((sentence, s) => {
    sentence.forEach((tag, t) => {
      const ok =
        ['O', 'B', 'I', 'E', 'S'].includes(tag) ||
        (suffix
          ? ['-B', '-I', '-E', '-S'].some((p) => tag.endsWith(p))
          : ['B-', 'I-', 'E-', 'S-'].some((p) => tag.startsWith(p)));
      if (!ok) {
        throw new ValidateError(
          'UNKNOWN_LABEL',
          `is ${JSON.stringify(tag)} (sentence ${s}, token ${t}), which is not an entity tag; use O or a ${suffix ? 'TYPE-B/-I/-E/-S' : 'B-/I-/E-/S-TYPE'} tag, or strict mode with a scheme`,
          { field: `${field}[${s}][${t}]` },
        );
      }
    });
  });
  const entities: Entity[] = [];
  let prevTag = 'O';
  let prevType = '';
  let begin = 0;
  sentences.forEach((sentence, s) => {
    // Index `sentence.length` is the `O` that closes the sentence; with only entity tags every
    // chunk has ended by then, so chunks never span sentences.
    for (let i = 0; i <= sentence.length; i++) {
      const [tag, type] = i < sentence.length ? splitLenient(sentence[i]!, suffix) : ['O', '_'];
      if (endOfChunk(prevTag, tag, prevType, type)) {
        entities.push({ sentence: s, type: prevType, start: begin, end: i });
      }
      if (startOfChunk(prevTag, tag, prevType, type)) begin = i;
      prevTag = tag;
      prevType = type;
    }
  });
  return entities;
}

// Strict mode: seqeval's `scheme.py` patterns, (previous prefixes, current prefixes, tag rule).
type TagRule = 'same' | 'diff' | 'any';
type Pattern = readonly [string, string, TagRule];
interface SchemeDef {
  allowed: string;
  start: readonly Pattern[];
  inside: readonly Pattern[];
  end: readonly Pattern[];
}
const ANY = 'IOBESUL';
const IOBES: SchemeDef = {
  allowed: 'IOBES',
  start: [
    [ANY, 'B', 'any'],
    [ANY, 'S', 'any'],
  ],
  inside: [
    ['B', 'I', 'same'],
    ['B', 'E', 'same'],
    ['I', 'I', 'same'],
    ['I', 'E', 'same'],
  ],
  end: [
    ['S', ANY, 'any'],
    ['E', ANY, 'any'],
  ],
};
const SCHEMES: Record<TaggingScheme, SchemeDef> = {
  IOB1: {
    allowed: 'IOB',
    start: [
      ['O', 'I', 'any'],
      ['I', 'I', 'diff'],
      ['B', 'I', 'any'],
      ['I', 'B', 'same'],
      ['B', 'B', 'same'],
    ],
    inside: [
      ['B', 'I', 'same'],
      ['I', 'I', 'same'],
    ],
    end: [
      ['I', 'I', 'diff'],
      ['I', 'O', 'any'],
      ['I', 'B', 'any'],
      ['B', 'O', 'any'],
      ['B', 'I', 'diff'],
      ['B', 'B', 'same'],
    ],
  },
  IOE1: {
    allowed: 'IOE',
    start: [
      ['O', 'I', 'any'],
      ['I', 'I', 'diff'],
      ['E', 'I', 'any'],
      ['E', 'E', 'same'],
    ],
    inside: [
      ['I', 'I', 'same'],
      ['I', 'E', 'same'],
    ],
    end: [
      ['I', 'I', 'diff'],
      ['I', 'O', 'any'],
      ['I', 'E', 'diff'],
      ['E', 'I', 'same'],
      ['E', 'E', 'same'],
    ],
  },
  IOB2: {
    allowed: 'IOB',
    start: [[ANY, 'B', 'any']],
    inside: [
      ['B', 'I', 'same'],
      ['I', 'I', 'same'],
    ],
    end: [
      ['I', 'O', 'any'],
      ['I', 'I', 'diff'],
      ['I', 'B', 'any'],
      ['B', 'O', 'any'],
      ['B', 'I', 'diff'],
      ['B', 'B', 'any'],
    ],
  },
  IOE2: {
    allowed: 'IOE',
    start: [
      ['O', 'I', 'any'],
      ['O', 'E', 'any'],
      ['E', 'I', 'any'],
      ['E', 'E', 'any'],
      ['I', 'I', 'diff'],
      ['I', 'E', 'diff'],
    ],
    inside: [
      ['I', 'E', 'same'],
      ['I', 'I', 'same'],
    ],
    end: [['E', ANY, 'any']],
  },
  IOBES,
  BIOES: IOBES,
  BILOU: {
    allowed: 'BILOU',
    start: [
      [ANY, 'B', 'any'],
      [ANY, 'U', 'any'],
    ],
    inside: [
      ['B', 'I', 'same'],
      ['B', 'L', 'same'],
      ['I', 'I', 'same'],
      ['I', 'L', 'same'],
    ],
    end: [
      ['U', ANY, 'any'],
      ['L', ANY, 'any'],
    ],
  },
};

interface StrictToken {
  prefix: string;
  type: string;
}

function matches(prev: StrictToken, token: StrictToken, patterns: readonly Pattern[]): boolean {
  return patterns.some(
    ([prevPrefixes, prefixes, rule]) =>
      prevPrefixes.includes(prev.prefix) &&
      prefixes.includes(token.prefix) &&
      (rule === 'any' || (rule === 'same') === (prev.type === token.type)),
  );
}

/** seqeval's `Token`: the prefix letter, and the type with the delimiters stripped. */
function parseStrict(tag: string, suffix: boolean): StrictToken {
  const prefix = suffix ? tag[tag.length - 1]! : tag[0]!;
  const body = suffix ? tag.slice(0, -1) : tag.slice(1);
  return { prefix, type: body.replace(/^-+|-+$/g, '') || '_' };
}

function strictEntities(
  sentences: Sentences,
  schemeName: TaggingScheme,
  suffix: boolean,
  field: string,
): Entity[] {
  const scheme = SCHEMES[schemeName];
  const outside: StrictToken = { prefix: 'O', type: '_' };
  const entities: Entity[] = [];
  sentences.forEach((sentence, s) => {
    const tokens = sentence.map((tag, t) => {
      const token = parseStrict(tag, suffix);
      if (!scheme.allowed.includes(token.prefix)) {
        throw new ValidateError(
          'UNKNOWN_LABEL',
          `is ${JSON.stringify(tag)} (sentence ${s}, token ${t}), whose prefix ${JSON.stringify(token.prefix)} is not allowed in ${schemeName}; allowed prefixes are ${[...scheme.allowed].join(', ')}`,
          { field: `${field}[${s}][${t}]` },
        );
      }
      return token;
    });
    tokens.push(outside);
    let i = 0;
    let prev = outside;
    while (i < tokens.length) {
      const token = tokens[i]!;
      if (matches(prev, token, scheme.start)) {
        let end = i + 1;
        let inner = token;
        while (end < tokens.length && matches(inner, tokens[end]!, scheme.inside)) {
          inner = tokens[end]!;
          end++;
        }
        if (matches(tokens[end - 1]!, tokens[end]!, scheme.end)) {
          entities.push({ sentence: s, type: token.type, start: i, end });
        }
        i = end;
      } else {
        i++;
      }
      prev = tokens[i - 1]!;
    }
  });
  return entities;
}

function resolveMode(options: EntityOptions): {
  strict: boolean;
  scheme: TaggingScheme | undefined;
} {
  const { mode = 'default', scheme } = options;
  if (mode !== 'default' && mode !== 'strict') {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(mode)}; use default or strict`,
      {
        field: 'options.mode',
      },
    );
  }
  if (scheme !== undefined && !(scheme in SCHEMES)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(scheme)}; use one of ${Object.keys(SCHEMES).join(', ')}`,
      { field: 'options.scheme' },
    );
  }
  if (mode === 'strict' && scheme === undefined) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      'is missing; strict mode needs the tagging scheme, e.g. IOB2',
      {
        field: 'options.scheme',
      },
    );
  }
  return { strict: mode === 'strict', scheme };
}

function entitiesOf(sentences: Sentences, options: EntityOptions, field: string): Entity[] {
  checkSentences(sentences, field);
  const { strict, scheme } = resolveMode(options);
  const { suffix = false } = options;
  return strict
    ? strictEntities(sentences, scheme!, suffix, field)
    : lenientEntities(sentences, suffix, field);
}

/** Entities of every sentence, in order (seqeval's `get_entities`, or `Entities` in strict mode). */
export function extractEntities(sentences: Sentences, options: EntityOptions = {}): Entity[] {
  return entitiesOf(sentences, options, 'sentences');
}

function countByType(yTrue: Sentences, yPred: Sentences, options: EntityOptions) {
  checkSentences(yTrue, 'yTrue');
  checkSentences(yPred, 'yPred');
  if (yTrue.length !== yPred.length) {
    throw new ValidateError(
      'LENGTH_MISMATCH',
      `has ${yPred.length} sentence(s) but yTrue has ${yTrue.length}; pass one predicted sequence per sentence`,
      { field: 'yPred' },
    );
  }
  checkNonEmpty(yTrue, 'yTrue');
  yTrue.forEach((sentence, s) => {
    if (sentence.length !== yPred[s]!.length) {
      throw new ValidateError(
        'LENGTH_MISMATCH',
        `has ${yPred[s]!.length} tags but yTrue[${s}] has ${sentence.length}; predict one tag per token`,
        { field: `yPred[${s}]` },
      );
    }
  });
  const key = (e: Entity) => `${e.sentence}\u0000${e.start}\u0000${e.end}\u0000${e.type}`;
  const truth = entitiesOf(yTrue, options, 'yTrue');
  const predicted = entitiesOf(yPred, options, 'yPred');
  const trueKeys = new Set(truth.map(key));
  const types = [...new Set([...truth, ...predicted].map((e) => e.type))].sort();
  const index = new Map(types.map((t, i) => [t, i]));
  const tp = new Array<number>(types.length).fill(0);
  const predSum = new Array<number>(types.length).fill(0);
  const trueSum = new Array<number>(types.length).fill(0);
  // seqeval compares entity sets, so a duplicate (impossible here) would count once.
  for (const e of truth) trueSum[index.get(e.type)!]! += 1;
  for (const e of new Map(predicted.map((e) => [key(e), e])).values()) {
    predSum[index.get(e.type)!]! += 1;
    if (trueKeys.has(key(e))) tp[index.get(e.type)!]! += 1;
  }
  return { types, tp, predSum, trueSum };
}

/**
 * Entity-level precision, recall and F-beta like `seqeval.metrics.precision_recall_fscore_support`.
 * With no entity in either input, micro and weighted averages give `zeroDivision` and the macro
 * average is NaN (a mean over no types), as in seqeval.
 */
export function nerPrecisionRecallFscore(
  yTrue: Sentences,
  yPred: Sentences,
  options: NerScoreOptions & { average: 'none' },
): NerPerTypeScores;
export function nerPrecisionRecallFscore(
  yTrue: Sentences,
  yPred: Sentences,
  options?: NerScoreOptions & { average?: 'micro' | 'macro' | 'weighted' },
): AveragedScores;
export function nerPrecisionRecallFscore(
  yTrue: Sentences,
  yPred: Sentences,
  options: NerScoreOptions = {},
): NerPerTypeScores | AveragedScores {
  const { average = 'micro', beta = 1, zeroDivision = 0 } = options;
  if (!['micro', 'macro', 'weighted', 'none'].includes(average)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `is ${JSON.stringify(average)}; use micro, macro, weighted or none`,
      {
        field: 'options.average',
      },
    );
  }
  if (!(beta >= 0)) {
    throw new ValidateError('INVALID_ARGUMENT', `is ${beta}; pass a number >= 0`, {
      field: 'options.beta',
    });
  }
  if (zeroDivision !== 0 && zeroDivision !== 1) {
    throw new ValidateError('INVALID_ARGUMENT', `is ${zeroDivision}; pass 0 or 1`, {
      field: 'options.zeroDivision',
    });
  }
  const { types, tp, predSum, trueSum } = countByType(yTrue, yPred, options);
  const scores = scoresFromCounts(tp, predSum, trueSum, average, beta, zeroDivision);
  if (average === 'none') {
    return { types, ...(scores as Omit<NerPerTypeScores, 'types' | 'support'>), support: trueSum };
  }
  return scores as AveragedScores;
}

/** Per-type scores plus micro, macro and weighted averages, like seqeval's `classification_report`. */
export interface NerReport {
  types: Array<ClassScores & { type: string }>;
  microAvg: ClassScores;
  macroAvg: ClassScores;
  weightedAvg: ClassScores;
}

export interface NerReportOptions extends EntityOptions {
  /** Value of a precision or recall whose denominator is zero. @default 0 */
  zeroDivision?: 0 | 1;
}

export function nerClassificationReport(
  yTrue: Sentences,
  yPred: Sentences,
  options: NerReportOptions = {},
): NerReport {
  const perType = nerPrecisionRecallFscore(yTrue, yPred, { ...options, average: 'none' });
  const support = perType.support.reduce((a, b) => a + b, 0);
  const avg = (average: 'micro' | 'macro' | 'weighted'): ClassScores => {
    const s = nerPrecisionRecallFscore(yTrue, yPred, { ...options, average });
    return { precision: s.precision, recall: s.recall, f1: s.fScore, support };
  };
  return {
    types: perType.types.map((type, i) => ({
      type,
      precision: perType.precision[i]!,
      recall: perType.recall[i]!,
      f1: perType.fScore[i]!,
      support: perType.support[i]!,
    })),
    microAvg: avg('micro'),
    macroAvg: avg('macro'),
    weightedAvg: avg('weighted'),
  };
}

/** Token-level accuracy over all tags, like `seqeval.metrics.accuracy_score`. */
export function nerAccuracy(yTrue: Sentences, yPred: Sentences): number {
  countByType(yTrue, yPred, {});
  let total = 0;
  let correct = 0;
  yTrue.forEach((sentence, s) => {
    sentence.forEach((tag, t) => {
      total++;
      if (tag === yPred[s]![t]) correct++;
    });
  });
  if (total === 0) {
    throw new ValidateError('EMPTY_INPUT', 'has no tags; pass at least one token', {
      field: 'yTrue',
    });
  }
  return correct / total;
}
