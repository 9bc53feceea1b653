// PII scrubbing: finds e-mail addresses, URLs, phone numbers, IP addresses and Luhn-valid card
// numbers, and replaces them with tokens. Offsets refer to the original text (UTF-16 code units).
import { isIPv6 } from 'node:net';
import { DataError } from '../errors.js';

export const PII_TYPES = ['email', 'url', 'phone', 'ip', 'card'] as const;
export type PiiType = (typeof PII_TYPES)[number];

export interface PiiOptions {
  /** Which kinds of PII to find and replace. @default ['email', 'url', 'phone', 'ip', 'card'] */
  types?: readonly PiiType[];
  /** Replacement text per kind. @default { email: '[EMAIL]', url: '[URL]', phone: '[PHONE]', ip: '[IP]', card: '[CARD]' } */
  replacements?: Partial<Record<PiiType, string>>;
}

export interface PiiMatch {
  type: PiiType;
  /** Start offset in the original text (UTF-16 code units, as `String.prototype.slice`). */
  start: number;
  /** End offset (exclusive) in the original text. */
  end: number;
  /** The original text that was replaced. */
  value: string;
}

export interface PiiResult {
  /** The text with every match replaced. */
  text: string;
  /** Matches per kind (every kind present, 0 when none or not selected). */
  counts: Record<PiiType, number>;
  /** The replaced spans in text order. */
  matches: PiiMatch[];
}

/** Resolved options, checked once so a cleaner can reuse them for every record. */
export interface ResolvedPiiOptions {
  types: ReadonlySet<PiiType>;
  replacements: Record<PiiType, string>;
}

const DEFAULT_REPLACEMENTS: Record<PiiType, string> = {
  email: '[EMAIL]',
  url: '[URL]',
  phone: '[PHONE]',
  ip: '[IP]',
  card: '[CARD]',
};

// When two candidates overlap, the longer one wins; at equal length this order decides
// (a card-shaped number is a card, an address in a URL belongs to the URL).
const PRIORITY: Record<PiiType, number> = { url: 0, email: 1, card: 2, ip: 3, phone: 4 };

/**
 * Characters that glue onto a number to make an identifier or code (SKU0701234567, v1.2.3.4):
 * digits of any system, `_`, and letters of the alphabets such codes are written in. Letters of
 * other scripts do not block a match, because Amharic (like Arabic and Hebrew) writes prepositions
 * as prefixes on the number itself: "በ0911 234 567" is "at 0911 234 567". `\b` cannot be used:
 * it treats every non-ASCII letter as a boundary.
 */
const ID = '[\\p{N}_\\p{Script=Latin}\\p{Script=Greek}\\p{Script=Cyrillic}]';
/** A number glued to what precedes it: an identifier character, or one followed by `.-/:,`. */
const GLUED_BEFORE = `(?<![+]|${ID}[.\\-/:,]?)`;
/** What may not follow a number: an identifier character, or `.,:/-` and a digit (time, decimal). */
const GLUED_AFTER = new RegExp(`^(?:${ID}|[.,:/\\-]\\p{N})`, 'u');

const WORD = '[\\p{L}\\p{M}\\p{N}]';
const EMAIL_LOCAL = '[\\p{L}\\p{M}\\p{N}_%+\\-]';
// E-mails are found from each `@`, with lengths bounded as RFC 5321 bounds them (local part ≤ 64,
// labels ≤ 63): a single pattern scanned from every position is quadratic on "a.a.a.a…".
const EMAIL_LOCAL_MAX = 64;
const EMAIL_LOCAL_PART = new RegExp(
  `(?<!${EMAIL_LOCAL})${EMAIL_LOCAL}(?:[\\p{L}\\p{M}\\p{N}._%+\\-]{0,${EMAIL_LOCAL_MAX - 2}}${EMAIL_LOCAL})?$`,
  'u',
);
const EMAIL_DOMAIN = new RegExp(
  `(?:${WORD}(?:[\\p{L}\\p{M}\\p{N}\\-]{0,61}${WORD})?\\.){1,10}(?:\\p{L}\\p{M}*){2,63}` +
    `(?![\\p{L}\\p{M}\\p{N}_\\-@]|\\.${WORD})`,
  'uy',
);

// Ethiopic punctuation (፠–፨) and CJK full stop/comma never appear raw inside a URL but are often
// written right after one without a space.
const URL_PATTERN =
  /(?<![\p{L}\p{M}\p{N}_])(?:(?:https?|ftp):\/\/|www\.)[^\s<>"'\u1360-\u1368\u3001\u3002\uFF0C]+/giu;
const URL_TRAILING = /[.,;:!?'"*\u2018\u2019\u201C\u201D\u00BB\u2026]$/u;
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

// One span of digit groups separated by single spaces, dots or dashes, with an optional leading
// `+` and parenthesised groups: "+1 (555) 123-4567", "0046 70-123 45 67". Each step consumes
// a digit, a `(…)` group or a separator followed by a digit, so matching is linear.
const PHONE_SPAN = new RegExp(
  `${GLUED_BEFORE}\\+?(?:\\(\\d{1,5}\\)|\\d)(?:\\d|\\(\\d{1,5}\\)|[.\\-](?=[\\d(])| (?=[\\d(]))*`,
  'gu',
);
const CARD_SPAN = new RegExp(`${GLUED_BEFORE}\\d+(?:[ \\-]\\d+)*`, 'gu');
const IPV4 = new RegExp(
  `(?<![.]|${ID})(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})(?!${ID}|\\.\\p{N})`,
  'gu',
);
const IPV6_SPAN = new RegExp(
  `(?<!${ID})(?=[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f:]+(?:\\.\\d{1,3}){0,3}`,
  'gu',
);

const DATE = /^(?:\d{4}([-./])\d{1,2}\1\d{1,2}|\d{1,2}([-./])\d{1,2}\2\d{2,4})$/;
// How cards are printed: fours with a shorter last group (4-4-4-4, 4-4-4-4-3), or 4-6-5 / 4-6-4.
const CARD_GROUPING = /^(?:4(?:,4)+(?:,[1-4])?|4,6,[45])$/;
const NANP = /^(?:1[-. ])?[2-9]\d{2}[-. ]\d{3}[-. ]\d{4}$/;
/** Phones span at most this many space-separated chunks, cards this many digit groups. */
const MAX_PHONE_CHUNKS = 8;
const MAX_CARD_GROUPS = 8;

/** Checks PII options and fills in defaults; throws INVALID_ARGUMENT on bad values. */
export function resolvePiiOptions(options: PiiOptions = {}): ResolvedPiiOptions {
  const { types = PII_TYPES, replacements = {} } = options;
  if (!Array.isArray(types)) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `pii option "types" must be an array of ${PII_TYPES.join(', ')}.`,
    );
  }
  for (const type of types) {
    if (!(PII_TYPES as readonly string[]).includes(type)) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `pii option "types" holds unknown kind ${JSON.stringify(type)}; use some of ${PII_TYPES.join(', ')}.`,
      );
    }
  }
  const resolved = { ...DEFAULT_REPLACEMENTS };
  for (const [type, replacement] of Object.entries(replacements)) {
    if (!(PII_TYPES as readonly string[]).includes(type)) {
      throw new DataError(
        'INVALID_ARGUMENT',
        `pii option "replacements" names unknown kind ${JSON.stringify(type)}; use some of ${PII_TYPES.join(', ')}.`,
      );
    }
    if (typeof replacement !== 'string') {
      throw new DataError(
        'INVALID_ARGUMENT',
        `pii replacement for "${type}" must be a string, got ${typeof replacement}.`,
      );
    }
    resolved[type as PiiType] = replacement;
  }
  return { types: new Set(types), replacements: resolved };
}

/**
 * Finds PII in `text` and replaces each match with its kind's token.
 *
 * Rules, chosen to replace real PII without eating ordinary numbers:
 * - email: Unicode local part (at most 64 characters) and domain, a TLD of 2+ letters.
 * - url: `http://`, `https://`, `ftp://` or `www.` up to whitespace; trailing punctuation and
 *   unbalanced closing brackets are left out. Bare domains ("example.com") are not matched.
 * - phone: 7–15 digits (E.164; a `00` exit prefix and a `(0)` trunk are not counted), at most six
 *   digit groups with at most one single-digit group, and one of these shapes: international
 *   (`+46 …`, `0046 …`), a parenthesised area code (`(555) 123-4567`), a national number with
 *   trunk 0 (`070-123 45 67`, `0911 234 567`; bare digits only with 9–11 digits, `0701234567`), or
 *   North American `555-123-4567`. Never a date (`2024-01-15`, `15.01.2024`), a time (`10:30`),
 *   a version (`1.2.3`), a dotted quad (`01.02.03.04`), an amount (`1 000 000 kr`), bare digits
 *   without trunk 0 (`5551234567`) or a number glued to a Latin letter or digit. Letters of other
 *   scripts may touch a number (see ID).
 * - ip: IPv4 with octets 0–255 and no leading zeros; IPv6 full, compressed and IPv4-mapped forms
 *   (validated by `node:net`), holding at least one decimal digit so that `a::b` in code is kept.
 * - card: 13–19 digits passing the Luhn check, bare or grouped as cards are printed (fours with a
 *   shorter last group, or 4-6-5 / 4-6-4) with one kind of separator, single spaces or dashes.
 *   A number glued to a Latin letter or digit (x4111…) is an identifier, not a card.
 * Overlaps: the longest candidate wins; at equal length url > email > card > ip > phone; then the
 * earlier one.
 */
export function scrubPii(text: string, options?: PiiOptions): PiiResult {
  if (typeof text !== 'string') {
    throw new DataError('INVALID_ARGUMENT', `scrubPii expects a string, got ${typeof text}.`);
  }
  return applyPii(text, resolvePiiOptions(options));
}

/** scrubPii with options already resolved. */
export function applyPii(text: string, options: ResolvedPiiOptions): PiiResult {
  const candidates: PiiMatch[] = [];
  const add = (type: PiiType, start: number, end: number) =>
    candidates.push({ type, start, end, value: text.slice(start, end) });
  const { types } = options;
  if (types.has('email')) findEmails(text, add);
  if (types.has('url')) findUrls(text, add);
  if (types.has('phone')) findPhones(text, add);
  if (types.has('ip')) findIps(text, add);
  if (types.has('card')) findCards(text, add);

  const matches = resolveOverlaps(candidates);
  const counts: Record<PiiType, number> = { email: 0, url: 0, phone: 0, ip: 0, card: 0 };
  let out = '';
  let last = 0;
  for (const match of matches) {
    counts[match.type]++;
    out += text.slice(last, match.start) + options.replacements[match.type];
    last = match.end;
  }
  out += text.slice(last);
  return { text: out, counts, matches };
}

type Add = (type: PiiType, start: number, end: number) => void;

function resolveOverlaps(candidates: PiiMatch[]): PiiMatch[] {
  const ordered = [...candidates].sort(
    (a, b) =>
      b.end - b.start - (a.end - a.start) ||
      PRIORITY[a.type] - PRIORITY[b.type] ||
      a.start - b.start,
  );
  // Kept spans never overlap, so sorted by start they are sorted by end too: a binary search finds
  // the only two neighbours a candidate could overlap.
  const kept: PiiMatch[] = [];
  for (const candidate of ordered) {
    let lo = 0;
    let hi = kept.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (kept[mid]!.start < candidate.start) lo = mid + 1;
      else hi = mid;
    }
    const before = kept[lo - 1];
    const after = kept[lo];
    if (
      (before === undefined || before.end <= candidate.start) &&
      (after === undefined || after.start >= candidate.end)
    ) {
      kept.splice(lo, 0, candidate);
    }
  }
  return kept;
}

function findEmails(text: string, add: Add): void {
  for (let at = text.indexOf('@'); at >= 0; at = text.indexOf('@', at + 1)) {
    // One character more than the limit, so a longer local part is seen (and skipped) whole.
    const windowStart = Math.max(0, at - EMAIL_LOCAL_MAX - 1);
    const local = EMAIL_LOCAL_PART.exec(text.slice(windowStart, at));
    if (local === null || (local.index === 0 && windowStart > 0)) continue;
    EMAIL_DOMAIN.lastIndex = at + 1;
    const domain = EMAIL_DOMAIN.exec(text);
    if (domain === null) continue;
    add('email', windowStart + local.index, at + 1 + domain[0].length);
  }
}

function findUrls(text: string, add: Add): void {
  for (const m of text.matchAll(URL_PATTERN)) {
    let url = m[0];
    for (;;) {
      const lastChar = url.at(-1) ?? '';
      const opener = CLOSERS[lastChar];
      if (URL_TRAILING.test(lastChar)) url = url.slice(0, -1);
      else if (opener !== undefined && count(url, opener) < count(url, lastChar))
        url = url.slice(0, -1);
      else break;
    }
    if (/^(?:(?:https?|ftp):\/\/|www\.)$/i.test(url)) continue;
    add('url', m.index, m.index + url.length);
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

function gluedAfter(text: string, end: number): boolean {
  return GLUED_AFTER.test(text.slice(end, end + 2));
}

function findPhones(text: string, add: Add): void {
  for (const m of text.matchAll(PHONE_SPAN)) {
    // Phone digits are grouped by spaces, but so are neighbouring numbers ("in 2024 555 123 4567",
    // "10:30 070-123 45 67"): try runs of space-separated chunks, longest first from the left.
    const chunks: { start: number; end: number; digits: number }[] = [];
    const span = m[0];
    let at = 0;
    for (const part of span.split(' ')) {
      const digits = part.replace(/\D/g, '').length;
      chunks.push({ start: m.index + at, end: m.index + at + part.length, digits });
      at += part.length + 1;
    }
    const spanEnd = m.index + span.length;
    let i = 0;
    while (i < chunks.length) {
      let found = -1;
      let digits = 0;
      const last = Math.min(chunks.length - 1, i + MAX_PHONE_CHUNKS - 1);
      for (let k = i; k <= last; k++) digits += chunks[k]!.digits;
      for (let j = last; j >= i; digits -= chunks[j]!.digits, j--) {
        // Cheap bounds first (a `00` exit code and a `(0)` trunk add up to 3 to the 15).
        if (digits < 7 || digits > 18) continue;
        const start = chunks[i]!.start;
        const end = chunks[j]!.end;
        if (end === spanEnd && gluedAfter(text, end)) continue;
        const candidate = text.slice(start, end);
        const chunkTexts = chunks.slice(i, j + 1).map((c) => text.slice(c.start, c.end));
        if (isPhone(candidate, chunkTexts)) {
          add('phone', start, end);
          found = j;
          break;
        }
      }
      i = found >= 0 ? found + 1 : i + 1;
    }
  }
}

function isPhone(candidate: string, chunks: string[]): boolean {
  if (chunks.some((chunk) => DATE.test(chunk))) return false;
  const plus = candidate.startsWith('+');
  const exit00 = /^00[1-9]/.test(candidate);
  const international = plus || exit00;
  let digits = (international ? candidate.replace('(0)', '') : candidate).replace(/\D/g, '');
  if (exit00) digits = digits.slice(2);
  if (digits.length < 7 || digits.length > 15) return false;
  const groups = candidate.split(/\D+/).filter((g) => g.length > 0);
  if (groups.length > 6) return false;
  if (groups.filter((g) => g.length === 1).length > 1) return false;
  // Four dotted groups of 1–3 digits read as an IPv4 address or a version, not a phone.
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(candidate)) return false;
  if (international) return true;
  if (/^\(\d{2,5}\)/.test(candidate)) return true;
  const first = groups[0] ?? '';
  if (candidate.startsWith('0')) {
    if (candidate.startsWith('00') || first.length < 2) return false;
    return groups.length > 1 || (first.length >= 9 && first.length <= 11);
  }
  return NANP.test(candidate);
}

function findIps(text: string, add: Add): void {
  for (const m of text.matchAll(IPV4)) {
    const octets = m.slice(1, 5);
    if (
      octets.every((o) => o !== undefined && Number(o) <= 255 && (o.length === 1 || o[0] !== '0'))
    ) {
      add('ip', m.index, m.index + m[0].length);
    }
  }
  for (const m of text.matchAll(IPV6_SPAN)) {
    let candidate = m[0];
    // A colon after an address ends a clause ("at fe80::1: the router"), it is not part of it.
    if (candidate.endsWith(':') && !candidate.endsWith('::')) candidate = candidate.slice(0, -1);
    const end = m.index + candidate.length;
    if (candidate.length === m[0].length && gluedAfter(text, end)) continue;
    if (/\d/.test(candidate) && isIPv6(candidate)) add('ip', m.index, end);
  }
}

function findCards(text: string, add: Add): void {
  for (const m of text.matchAll(CARD_SPAN)) {
    const span = m[0];
    const spanEnd = m.index + span.length;
    const groups: { start: number; end: number }[] = [];
    for (const g of span.matchAll(/\d+/g)) {
      groups.push({ start: m.index + g.index, end: m.index + g.index + g[0].length });
    }
    let i = 0;
    while (i < groups.length) {
      let found = -1;
      const last = Math.min(groups.length - 1, i + MAX_CARD_GROUPS - 1);
      let digits = 0;
      for (let k = i; k <= last; k++) digits += groups[k]!.end - groups[k]!.start;
      for (let j = last; j >= i; digits -= groups[j]!.end - groups[j]!.start, j--) {
        if (digits < 13 || digits > 19) continue;
        const start = groups[i]!.start;
        const end = groups[j]!.end;
        if (end === spanEnd && gluedAfter(text, end)) continue;
        if (isCard(text.slice(start, end), groups.slice(i, j + 1))) {
          add('card', start, end);
          found = j;
          break;
        }
      }
      i = found >= 0 ? found + 1 : i + 1;
    }
  }
}

function isCard(candidate: string, groups: { start: number; end: number }[]): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  if (groups.length > 1) {
    const separators = new Set(candidate.replace(/\d/g, ''));
    if (separators.size !== 1) return false;
    if (!CARD_GROUPING.test(groups.map((g) => g.end - g.start).join(','))) return false;
  }
  return luhnValid(digits);
}

/** The Luhn checksum: double every second digit from the right, sum digit sums, divisible by 10. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let k = 0; k < digits.length; k++) {
    let d = digits.charCodeAt(digits.length - 1 - k) - 48;
    if (k % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}
