// BIO tag schemes: validation, tags ↔ spans, conversion between schemes and lenient repair.
import { DataError } from '../errors.js';
import type { TagIssue, TagProblem, TagScheme, TagSpan, TagsToSpansOptions } from './types.js';

type Scheme = 'IOB1' | 'IOB2' | 'BIOES' | 'IOE1' | 'IOE2';
type Prefix = 'B' | 'I' | 'E' | 'S';
interface EntityTag {
  prefix: Prefix;
  label: string;
}

const PREFIXES: Record<Scheme, readonly Prefix[]> = {
  IOB1: ['I', 'B'],
  IOB2: ['B', 'I'],
  BIOES: ['B', 'I', 'E', 'S'],
  IOE1: ['I', 'E'],
  IOE2: ['I', 'E'],
};
const SCHEMES = ['IOB1', 'IOB2', 'BIOES', 'IOBES', 'IOE1', 'IOE2'];
const TAG = /^([BIES])-(\S+)$/u;

/** The canonical scheme name; IOBES is BIOES. */
export function normalizeScheme(scheme: TagScheme): Scheme {
  if (!SCHEMES.includes(scheme)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `unknown tag scheme ${JSON.stringify(scheme)}; use one of ${SCHEMES.join(', ')}`,
    );
  }
  return scheme === 'IOBES' ? 'BIOES' : scheme;
}

/** `'O'` for outside, an entity tag, or undefined when the tag is malformed. */
function parseTag(tag: unknown): 'O' | EntityTag | undefined {
  if (tag === 'O') return 'O';
  if (typeof tag !== 'string') return undefined;
  const match = TAG.exec(tag);
  return match ? { prefix: match[1] as Prefix, label: match[2]! } : undefined;
}

function entity(tag: 'O' | EntityTag | undefined): EntityTag | undefined {
  return tag === 'O' ? undefined : tag;
}

function prefixList(scheme: Scheme): string {
  return [...PREFIXES[scheme].map((p) => `${p}-`), 'O'].join(', ');
}

/** Every tag that breaks `scheme`, in token order. Malformed tags count as O for their neighbours. */
export function validateTags(tags: readonly string[], scheme: TagScheme): TagIssue[] {
  const s = normalizeScheme(scheme);
  const parsed = tags.map(parseTag);
  const issues: TagIssue[] = [];
  const add = (index: number, problem: TagProblem, message: string) =>
    issues.push({ index, tag: tags[index]!, problem, message });
  parsed.forEach((parsedTag, i) => {
    const tag = tags[i]!;
    if (parsedTag === undefined) {
      add(
        i,
        'malformed',
        `tag ${JSON.stringify(tag)} at token ${i} is not O or a prefix ${prefixList(s)} followed by a label (like B-PER); correct the tag`,
      );
      return;
    }
    if (parsedTag === 'O') return;
    const { prefix, label } = parsedTag;
    if (!PREFIXES[s].includes(prefix)) {
      add(
        i,
        'wrong-prefix',
        `tag ${tag} at token ${i} has prefix ${prefix}-, which ${s} does not use (it uses ${prefixList(s)}); if the data is in another scheme, read it with that scheme or convert it with convertTags`,
      );
      return;
    }
    const prev = entity(parsed[i - 1]);
    const next = entity(parsed[i + 1]);
    const continues = prev?.label === label && (prev.prefix === 'B' || prev.prefix === 'I');
    const continued = next?.label === label && (next.prefix === 'I' || next.prefix === 'E');
    const prevText = i === 0 ? 'the sentence start' : `previous tag ${tags[i - 1]}`;
    const nextText = i === tags.length - 1 ? 'the sentence end' : `next tag ${tags[i + 1]}`;
    switch (s) {
      case 'IOB2':
        if (prefix === 'I' && !continues) {
          add(
            i,
            'orphan-inside',
            `${tag} at token ${i} does not continue a ${label} entity (${prevText}); in IOB2 every entity starts with B-. Change it to B-${label}, run repairTags(tags, 'IOB2'), or read with scheme 'IOB1' if the data is IOB1`,
          );
        }
        break;
      case 'IOB1':
        if (prefix === 'B' && !continues) {
          add(
            i,
            'needless-begin',
            `${tag} at token ${i} does not follow a ${label} entity (${prevText}); IOB1 uses B- only to split two adjacent ${label} entities. Change it to I-${label}, run repairTags(tags, 'IOB1'), or read with scheme 'IOB2' if the data is IOB2`,
          );
        }
        break;
      case 'BIOES':
        if ((prefix === 'I' || prefix === 'E') && !continues) {
          add(
            i,
            prefix === 'I' ? 'orphan-inside' : 'orphan-end',
            `${tag} at token ${i} does not continue a ${label} entity (${prevText}); in BIOES an entity starts with B-${label}, or is S-${label} alone. Fix the tag or run repairTags(tags, 'BIOES')`,
          );
        }
        if ((prefix === 'B' || prefix === 'I') && !continued) {
          add(
            i,
            'unclosed',
            `${tag} at token ${i} is not followed by I-${label} or E-${label} (${nextText}); in BIOES an entity ends with E-${label}, and a one-token entity is S-${label}. Fix the tag or run repairTags(tags, 'BIOES')`,
          );
        }
        break;
      case 'IOE2':
        if (prefix === 'I' && !continued) {
          add(
            i,
            'unclosed',
            `${tag} at token ${i} is not followed by I-${label} or E-${label} (${nextText}); in IOE2 every entity ends with E-. Change it to E-${label} or run repairTags(tags, 'IOE2')`,
          );
        }
        break;
      case 'IOE1':
        if (prefix === 'E' && !continued) {
          add(
            i,
            'needless-end',
            `${tag} at token ${i} is not followed by a ${label} entity (${nextText}); IOE1 uses E- only to split two adjacent ${label} entities. Change it to I-${label} or run repairTags(tags, 'IOE1')`,
          );
        }
        break;
    }
  });
  return issues;
}

/**
 * Decodes like conlleval: an entity starts at B-/S-, at a label change, after O, or after an
 * entity closed by E-/S-; otherwise the tag continues the open entity. On valid tags this is
 * exactly the strict decoding of every scheme.
 */
function decode(tags: readonly string[]): TagSpan[] {
  const spans: TagSpan[] = [];
  let open: TagSpan | undefined;
  const close = (end: number) => {
    if (open) spans.push({ ...open, end });
    open = undefined;
  };
  tags.forEach((tag, i) => {
    const parsed = parseTag(tag);
    if (parsed === undefined) {
      throw new DataError(
        'INVALID_TAGS',
        `tag ${JSON.stringify(tag)} at token ${i} is not O or a prefix B-, I-, E-, S- followed by a label; correct it first`,
      );
    }
    if (parsed === 'O') {
      close(i);
      return;
    }
    if (!open || open.label !== parsed.label || parsed.prefix === 'B' || parsed.prefix === 'S') {
      close(i);
      open = { label: parsed.label, start: i, end: i + 1 };
    }
    if (parsed.prefix === 'E' || parsed.prefix === 'S') close(i + 1);
  });
  close(tags.length);
  return spans;
}

/**
 * Entity spans (`end` exclusive) of a tag sequence. Throws INVALID_TAGS at the first issue of
 * `validateTags` unless `lenient`.
 */
export function tagsToSpans(
  tags: readonly string[],
  scheme: TagScheme,
  options: TagsToSpansOptions = {},
): TagSpan[] {
  const { lenient = false } = options;
  if (!lenient) {
    const [issue] = validateTags(tags, scheme);
    if (issue) throw new DataError('INVALID_TAGS', issue.message);
  } else {
    normalizeScheme(scheme);
  }
  return decode(tags);
}

/** Tags for `length` tokens holding `spans` in `scheme`; spans must not overlap. */
export function spansToTags(
  length: number,
  spans: readonly TagSpan[],
  scheme: TagScheme,
): string[] {
  const s = normalizeScheme(scheme);
  if (!Number.isInteger(length) || length < 0) {
    throw new DataError('INVALID_ARGUMENT', `length must be a non-negative integer, got ${length}`);
  }
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  sorted.forEach((span, k) => {
    const { label, start, end } = span;
    if (typeof label !== 'string' || !/^\S+$/u.test(label)) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `span ${JSON.stringify(span)} has label ${JSON.stringify(label)}; a label must be a non-empty string without spaces`,
      );
    }
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(end) ||
      start < 0 ||
      end <= start ||
      end > length
    ) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `span ${JSON.stringify(span)} is not within 0 ≤ start < end ≤ ${length}; end is exclusive`,
      );
    }
    const previous = sorted[k - 1];
    if (previous && previous.end > start) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `spans ${JSON.stringify(previous)} and ${JSON.stringify(span)} overlap; tags hold one entity per token`,
      );
    }
  });
  const tags = new Array<string>(length).fill('O');
  sorted.forEach((span, k) => {
    const { label, start, end } = span;
    const previous = sorted[k - 1];
    const next = sorted[k + 1];
    const touchesPrevious = previous?.end === start && previous.label === label;
    const touchesNext = next?.start === end && next.label === label;
    for (let i = start; i < end; i++) tags[i] = `I-${label}`;
    const last = end - 1;
    switch (s) {
      case 'IOB1':
        if (touchesPrevious) tags[start] = `B-${label}`;
        break;
      case 'IOB2':
        tags[start] = `B-${label}`;
        break;
      case 'BIOES':
        if (start === last) tags[start] = `S-${label}`;
        else {
          tags[start] = `B-${label}`;
          tags[last] = `E-${label}`;
        }
        break;
      case 'IOE1':
        if (touchesNext) tags[last] = `E-${label}`;
        break;
      case 'IOE2':
        tags[last] = `E-${label}`;
        break;
    }
  });
  return tags;
}

/** Rewrites valid tags from one scheme to another, entity for entity. Throws INVALID_TAGS on invalid input. */
export function convertTags(tags: readonly string[], from: TagScheme, to: TagScheme): string[] {
  return spansToTags(tags.length, tagsToSpans(tags, from), to);
}

/**
 * Makes tags valid in `scheme` by decoding them leniently (as conlleval and seqeval's default
 * mode read them: an orphan I- starts an entity, a label change starts a new one, any prefix of
 * another scheme is read by its meaning) and encoding the entities again. Valid tags come back
 * unchanged; malformed tags throw INVALID_TAGS.
 */
export function repairTags(tags: readonly string[], scheme: TagScheme): string[] {
  return spansToTags(tags.length, tagsToSpans(tags, scheme, { lenient: true }), scheme);
}
