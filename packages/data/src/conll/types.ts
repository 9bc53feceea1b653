// Types of the CoNLL area: sentences, tag schemes, spans, issues and read/write options.
import type { DataError } from '../errors.js';
import type { OnError } from '../types.js';

/** One sentence of a CoNLL file. */
export interface ConllSentence {
  tokens: string[];
  tags: string[];
  /** 1-based line of the sentence's first token. */
  line: number;
  /** Every column of every token line, when read with `keepColumns`. */
  columns?: string[][];
}

/**
 * Tagging schemes. IOB1: I- starts and continues entities, B- only splits two adjacent entities
 * of the same type. IOB2: every entity starts with B-. BIOES (alias IOBES): B-, I-, E- for
 * multi-token entities, S- for one-token ones. IOE1/IOE2 mirror IOB1/IOB2 at the entity end.
 */
export type TagScheme = 'IOB1' | 'IOB2' | 'BIOES' | 'IOBES' | 'IOE1' | 'IOE2';

/** A labelled token span; `end` is exclusive. */
export interface TagSpan {
  label: string;
  start: number;
  end: number;
}

/** What is wrong with a tag. */
export type TagProblem =
  /** Not `O` and not `B-`/`I-`/`E-`/`S-` followed by a label (e.g. `X-PER`, `B-`, `PER`). */
  | 'malformed'
  /** A prefix the scheme does not have (e.g. `S-PER` in IOB2). */
  | 'wrong-prefix'
  /** `I-` (IOB2, BIOES) that does not continue an entity of its type. */
  | 'orphan-inside'
  /** `E-` (BIOES) that does not close an entity of its type. */
  | 'orphan-end'
  /** `B-`/`I-` (BIOES) or `I-` (IOE2) whose entity is never closed by `E-`. */
  | 'unclosed'
  /** `B-` (IOB1) that does not follow an entity of its type. */
  | 'needless-begin'
  /** `E-` (IOE1) that is not followed by an entity of its type. */
  | 'needless-end';

/** One problem found by `validateTags`. */
export interface TagIssue {
  /** 0-based token index. */
  index: number;
  tag: string;
  problem: TagProblem;
  /** What is wrong and how to fix it. */
  message: string;
}

export interface TagsToSpansOptions {
  /**
   * Decode broken sequences the way conlleval and seqeval's default mode do (an orphan `I-`
   * starts an entity) instead of throwing INVALID_TAGS. Malformed tags still throw.
   * @default false
   */
  lenient?: boolean;
}

export interface ConllParseOptions {
  /** The file name, for error messages. */
  file?: string;
  /** Column holding the token; negative counts from the end. @default 0 */
  tokenColumn?: number;
  /** Column holding the tag; negative counts from the end. @default -1 */
  tagColumn?: number;
  /** Column separator. @default any run of whitespace, ignoring leading and trailing whitespace */
  separator?: string | RegExp;
  /** Tag scheme the tags are in; needed by `validate`. */
  scheme?: TagScheme;
  /** Check every sentence's tags against `scheme`. @default true when `scheme` is set */
  validate?: boolean;
  /** What to do with a sentence holding a malformed line or invalid tags. @default 'fail' */
  onError?: OnError;
  /** Called for each skipped sentence with `onError: 'skip'`. */
  onSkip?: (error: DataError) => void;
  /** Keep every column of every token line in `sentence.columns`. @default false */
  keepColumns?: boolean;
}

export type ConllReadOptions = Omit<ConllParseOptions, 'file'>;

/** Counts kept while reading; filled in as the stream is consumed. */
export interface ConllReadStats {
  /** Sentences produced. */
  sentences: number;
  /** Sentences skipped (only with `onError: 'skip'`). */
  skipped: number;
  /** The first skipped errors (at most 100), each naming file and line. */
  skippedErrors: DataError[];
}

/** An async-iterable sentence stream that also reports what it read and skipped. */
export interface ConllStream extends AsyncIterable<ConllSentence> {
  readonly stats: ConllReadStats;
}

export interface ConllFormatOptions {
  /** Column separator. @default ' ' */
  separator?: string;
  /** Column `tokens[i]` is written to when a sentence has `columns`. @default 0 */
  tokenColumn?: number;
  /** Column `tags[i]` is written to when a sentence has `columns`. @default -1 */
  tagColumn?: number;
}

export interface ConllWriteResult {
  path: string;
  sentences: number;
  bytes: number;
}
