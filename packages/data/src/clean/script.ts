// Writing-system detection: the share of letters in each Unicode script, by the `Script` property.

export const SCRIPT_NAMES = [
  'Latin',
  'Ethiopic',
  'Cyrillic',
  'Greek',
  'Arabic',
  'Hebrew',
  'Devanagari',
  'Bengali',
  'Thai',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Georgian',
  'Armenian',
  'other',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** Share of letters (`\p{L}`) per script, each in [0, 1]; all 0 when the text has no letters. */
export type ScriptShares = Record<ScriptName, number>;

const NAMED = SCRIPT_NAMES.filter((s) => s !== 'other');
const NAMED_PATTERNS = NAMED.map((name) => new RegExp(`\\p{Script=${name}}`, 'u'));
const LETTER = /\p{L}/u;
const OTHER = SCRIPT_NAMES.indexOf('other');
const NOT_A_LETTER = -1;

// Script of each code point seen, as an index into SCRIPT_NAMES (or NOT_A_LETTER). Text reuses few
// distinct characters, so after warm-up classifying is one map lookup per character. Only letters
// count: Ethiopic punctuation (።) and numerals (፩) carry Script=Ethiopic but are not letters.
const cache = new Map<number, number>();
const CACHE_LIMIT = 1 << 16;

function classify(cp: number, char: string): number {
  let index = cache.get(cp);
  if (index === undefined) {
    index = NOT_A_LETTER;
    if (LETTER.test(char)) {
      const named = NAMED_PATTERNS.findIndex((pattern) => pattern.test(char));
      index = named >= 0 ? SCRIPT_NAMES.indexOf(NAMED[named]!) : OTHER;
    }
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(cp, index);
  }
  return index;
}

function emptyShares(): ScriptShares {
  const shares = {} as ScriptShares;
  for (const name of SCRIPT_NAMES) shares[name] = 0;
  return shares;
}

/** Letters per script (code points), and their total. */
export function countScriptLetters(text: string): { counts: ScriptShares; letters: number } {
  const perScript = new Array<number>(SCRIPT_NAMES.length).fill(0);
  let letters = 0;
  for (const char of text) {
    const index = classify(char.codePointAt(0)!, char);
    if (index === NOT_A_LETTER) continue;
    perScript[index]!++;
    letters++;
  }
  const counts = emptyShares();
  SCRIPT_NAMES.forEach((name, i) => {
    counts[name] = perScript[i]!;
  });
  return { counts, letters };
}

/** The share of letters in each script; shares sum to 1 when the text has any letter. */
export function detectScripts(text: string): ScriptShares {
  const { counts, letters } = countScriptLetters(text);
  if (letters === 0) return counts;
  for (const name of SCRIPT_NAMES) counts[name] /= letters;
  return counts;
}

/**
 * The script holding the most letters, with its share; `null` when the text has no letters.
 * Ties go to the script listed first in SCRIPT_NAMES.
 */
export function dominantScript(text: string): { script: ScriptName; share: number } | null {
  return pickDominant(detectScripts(text));
}

/** The largest share in `shares`, or null when all are 0. */
export function pickDominant(shares: ScriptShares): { script: ScriptName; share: number } | null {
  let best: { script: ScriptName; share: number } | null = null;
  for (const name of SCRIPT_NAMES) {
    const share = shares[name];
    if (share > 0 && (best === null || share > best.share)) best = { script: name, share };
  }
  return best;
}
