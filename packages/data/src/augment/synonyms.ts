// Synonym replacement: swaps words and phrases found in a lexicon for one of their synonyms,
// keeping the original's capitalisation, reproducibly for a seed.
import { DataError } from '../errors.js';
import { createRng } from '../random.js';
import { type OffsetToken, wordTokens } from './utils.js';

export interface SynonymReplaceOptions {
  /**
   * Word or phrase → synonyms. Keys may hold several words ("ice cream"); whitespace between them
   * matches any whitespace, other separators must match exactly. Keys must start and end with a
   * letter or digit.
   */
  lexicon: Readonly<Record<string, readonly string[]>>;
  /**
   * Chance that each matched phrase is replaced. When only `maxReplacements` is given, exactly
   * `min(maxReplacements, matches)` randomly chosen phrases are replaced instead.
   * @default 0.1
   */
  probability?: number;
  /** At most this many replacements per text. */
  maxReplacements?: number;
  /** Seed for which phrases are replaced and by which synonym. @default 0 */
  seed?: number | string;
  /**
   * Match keys with their exact case. Synonyms are then inserted as written; otherwise matching
   * ignores case and a Title-case or UPPER-case original gives a Title/UPPER synonym.
   * @default false
   */
  caseSensitive?: boolean;
}

export interface SynonymReplacement {
  /** Offsets of `from` in the original text. */
  start: number;
  end: number;
  /** Offsets of `to` in the augmented text. */
  outputStart: number;
  outputEnd: number;
  from: string;
  to: string;
}

export interface SynonymReplaceResult {
  text: string;
  replacements: SynonymReplacement[];
}

interface Entry {
  /** Normalised word tokens of the key. */
  words: string[];
  /** Normalised separators between them (whitespace runs collapse to one space). */
  separators: string[];
  synonyms: string[];
}

interface Match {
  start: number;
  end: number;
  synonyms: string[];
}

const normalizeSeparator = (text: string): string => text.replace(/\s+/gu, ' ');

function compileLexicon(lexicon: SynonymReplaceOptions['lexicon'], caseSensitive: boolean) {
  if (lexicon === null || typeof lexicon !== 'object' || Array.isArray(lexicon)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      'synonym lexicon must be an object mapping words to arrays of synonyms.',
    );
  }
  const norm = (word: string): string =>
    caseSensitive ? word.normalize('NFC') : word.normalize('NFC').toLowerCase();
  // Keyed by the first word so that each text token only looks at the entries that can start there.
  const byFirst = new Map<string, Entry[]>();
  const byKey = new Map<string, Entry>();
  for (const [key, synonyms] of Object.entries(lexicon)) {
    if (
      !Array.isArray(synonyms) ||
      synonyms.some((s) => typeof s !== 'string' || s.trim() === '')
    ) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `synonym lexicon entry "${key}" must be an array of non-empty strings; got ${JSON.stringify(synonyms)}.`,
      );
    }
    const tokens = wordTokens(key);
    const first = tokens[0];
    const last = tokens[tokens.length - 1];
    if (first === undefined || last === undefined || first.start !== 0 || last.end !== key.length) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `synonym lexicon key "${key}" must start and end with a letter or digit; drop surrounding punctuation.`,
      );
    }
    const words = tokens.map((t) => norm(t.text));
    const separators = tokens
      .slice(1)
      .map((t, i) => normalizeSeparator(key.slice((tokens[i] as OffsetToken).end, t.start)));
    const id = `${words.join('\u0000')}\u0001${separators.join('\u0000')}`;
    const existing = byKey.get(id);
    if (existing) {
      // "Cat" and "cat" are one key when matching ignores case: pool their synonyms.
      for (const s of synonyms) if (!existing.synonyms.includes(s)) existing.synonyms.push(s);
      continue;
    }
    const entry: Entry = { words, separators, synonyms: [...new Set(synonyms)] };
    byKey.set(id, entry);
    const list = byFirst.get(words[0] as string) ?? [];
    list.push(entry);
    byFirst.set(words[0] as string, list);
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.words.length - a.words.length);
  return { byFirst, norm };
}

/** Non-overlapping lexicon matches, scanning left to right and preferring the longest entry. */
function findMatches(text: string, compiled: ReturnType<typeof compileLexicon>): Match[] {
  const tokens = wordTokens(text);
  const words = tokens.map((t) => compiled.norm(t.text));
  const matches: Match[] = [];
  let i = 0;
  while (i < tokens.length) {
    const candidates = compiled.byFirst.get(words[i] as string);
    let found: Entry | undefined;
    if (candidates) {
      for (const entry of candidates) {
        const len = entry.words.length;
        if (i + len > tokens.length) continue;
        let ok = true;
        for (let w = 1; w < len && ok; w++) {
          const sep = normalizeSeparator(
            text.slice(
              (tokens[i + w - 1] as OffsetToken).end,
              (tokens[i + w] as OffsetToken).start,
            ),
          );
          ok = words[i + w] === entry.words[w] && sep === entry.separators[w - 1];
        }
        if (ok) {
          found = entry;
          break;
        }
      }
    }
    if (found) {
      const start = (tokens[i] as OffsetToken).start;
      const end = (tokens[i + found.words.length - 1] as OffsetToken).end;
      const surface = compiled.norm(text.slice(start, end));
      const synonyms = found.synonyms.filter((s) => compiled.norm(s) !== surface);
      if (synonyms.length > 0) matches.push({ start, end, synonyms });
      i += found.words.length;
    } else {
      i++;
    }
  }
  return matches;
}

const isCased = (char: string): boolean => char.toLowerCase() !== char.toUpperCase();
const isUpper = (char: string): boolean => isCased(char) && char === char.toUpperCase();

function capitalizeFirst(word: string): string {
  const index = word.search(/\p{L}/u);
  if (index < 0) return word;
  const char = String.fromCodePoint(word.codePointAt(index) as number);
  return word.slice(0, index) + char.toUpperCase() + word.slice(index + char.length);
}

/** Gives `replacement` the casing pattern of `original`: UPPER, Title Case (every word) or first-capital. */
export function matchCase(original: string, replacement: string): string {
  const cased = [...original].filter(isCased);
  if (cased.length >= 2 && cased.every(isUpper)) return replacement.toUpperCase();
  const originalWords = wordTokens(original);
  const initialUpper = (token: OffsetToken): boolean => {
    const first = [...token.text].find(isCased);
    return first !== undefined && isUpper(first);
  };
  if (originalWords.length >= 2 && originalWords.every(initialUpper)) {
    return replacement.replace(/[\p{L}\p{N}\p{M}]+(?:['’-][\p{L}\p{N}\p{M}]+)*/gu, capitalizeFirst);
  }
  const first = originalWords[0];
  if (first !== undefined && initialUpper(first)) return capitalizeFirst(replacement);
  return replacement;
}

export function synonymReplace(text: string, options: SynonymReplaceOptions): SynonymReplaceResult {
  const { lexicon, probability, maxReplacements, seed = 0, caseSensitive = false } = options;
  if (typeof text !== 'string') {
    throw new DataError(
      'INVALID_ARGUMENT',
      `synonymReplace needs a string text; got ${typeof text}.`,
    );
  }
  if (probability !== undefined && !(probability >= 0 && probability <= 1)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `probability must be between 0 and 1; got ${probability}.`,
    );
  }
  if (
    maxReplacements !== undefined &&
    !(Number.isInteger(maxReplacements) && maxReplacements >= 0)
  ) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `maxReplacements must be a non-negative integer; got ${maxReplacements}.`,
    );
  }
  const compiled = compileLexicon(lexicon, caseSensitive);
  const matches = findMatches(text, compiled);
  const rng = createRng(seed);
  let chosen: Match[];
  if (probability === undefined && maxReplacements !== undefined) {
    chosen = rng.shuffle([...matches]).slice(0, maxReplacements);
  } else {
    const p = probability ?? 0.1;
    chosen = matches.filter(() => rng.next() < p);
    if (maxReplacements !== undefined && chosen.length > maxReplacements) {
      chosen = rng.shuffle(chosen).slice(0, maxReplacements);
    }
  }
  chosen.sort((a, b) => a.start - b.start);

  const replacements: SynonymReplacement[] = [];
  let out = '';
  let cursor = 0;
  for (const match of chosen) {
    const from = text.slice(match.start, match.end);
    const picked = rng.pick(match.synonyms);
    const to = caseSensitive ? picked : matchCase(from, picked);
    out += text.slice(cursor, match.start);
    replacements.push({
      start: match.start,
      end: match.end,
      outputStart: out.length,
      outputEnd: out.length + to.length,
      from,
      to,
    });
    out += to;
    cursor = match.end;
  }
  out += text.slice(cursor);
  return { text: out, replacements };
}
