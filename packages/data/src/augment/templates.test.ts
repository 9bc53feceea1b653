import { describe, expect, it } from 'vitest';
import { DataError, fillTemplates, type TemplateExample } from '../index.js';

const templates = [
  'Book a flight from {from:LOC} to {to:LOC} on {date:DATE}.',
  '{greeting}, I need to be in {to:LOC} by {date:DATE}!',
  'Boka en resa till {to:LOC} ({date:DATE}), tack.',
  'ወደ {to:LOC} መሄድ እፈልጋለሁ።',
  '"{to:LOC}"? {{literal}} braces stay',
];
const slots = {
  from: ['Stockholm', 'New York City', 'Addis Ababa', 'Göteborg'],
  to: ['Malmö', 'San Francisco', 'አዲስ አበባ', 'Luleå', "Côte d'Ivoire", 'ባሕር ዳር'],
  date: ['Monday', '3 May 2025', '2025-05-03', 'den 5:e juni', 'ሰኞ'],
  greeting: ['Hi', 'Hello there', 'Hej'],
};

/** Independent check: tags derived from spans and token positions found by scanning the text. */
function expectedTags(example: TemplateExample, scheme: 'IOB2' | 'BIOES'): string[] {
  let cursor = 0;
  const positions = example.tokens.map((token) => {
    const start = example.text.indexOf(token, cursor);
    cursor = start + token.length;
    return { start, end: cursor };
  });
  return positions.map(({ start, end }) => {
    const span = example.spans.find((s) => start >= s.start && end <= s.end);
    if (!span) return 'O';
    const inSpan = positions.filter((p) => p.start >= span.start && p.end <= span.end);
    const first = inSpan[0]!.start === start;
    const last = inSpan[inSpan.length - 1]!.end === end;
    if (scheme === 'IOB2') return `${first ? 'B' : 'I'}-${span.label}`;
    if (first && last) return `S-${span.label}`;
    return `${first ? 'B' : last ? 'E' : 'I'}-${span.label}`;
  });
}

describe('fillTemplates', () => {
  it('keeps spans, text and tags consistent over hundreds of examples', () => {
    const examples = fillTemplates(templates, slots, { count: 500, seed: 1 });
    expect(examples).toHaveLength(500);
    let multiWord = 0;
    for (const example of examples) {
      for (const span of example.spans) {
        expect(example.text.slice(span.start, span.end)).toBe(span.text);
        if (/\s/.test(span.text)) multiWord++;
      }
      expect(example.tags).toHaveLength(example.tokens.length);
      expect(example.tags).toEqual(expectedTags(example, 'IOB2'));
      // Tokens are the text minus whitespace, in order.
      expect(example.tokens.join('')).toBe(example.text.replace(/\s+/g, ''));
      expect(example.spans.length).toBe(example.tags.filter((t) => t.startsWith('B-')).length);
    }
    expect(multiWord).toBeGreaterThan(100);
    expect(new Set(examples.map((e) => e.template)).size).toBe(templates.length);
  });

  it('tags a concrete example exactly', () => {
    const [example] = fillTemplates(
      ['Fly from {from:LOC} to {to:LOC}, {greeting}.'],
      {
        from: ['New York City'],
        to: ['አዲስ አበባ'],
        greeting: ['thanks'],
      },
      { count: 1 },
    );
    expect(example).toEqual({
      text: 'Fly from New York City to አዲስ አበባ, thanks.',
      tokens: ['Fly', 'from', 'New', 'York', 'City', 'to', 'አዲስ', 'አበባ', ',', 'thanks', '.'],
      tags: ['O', 'O', 'B-LOC', 'I-LOC', 'I-LOC', 'O', 'B-LOC', 'I-LOC', 'O', 'O', 'O'],
      spans: [
        { start: 9, end: 22, label: 'LOC', text: 'New York City' },
        { start: 26, end: 33, label: 'LOC', text: 'አዲስ አበባ' },
      ],
      template: 0,
    });
  });

  it('writes BIOES tags', () => {
    const [example] = fillTemplates(
      ['{a:LOC} and {b:LOC} and {c:LOC}'],
      {
        a: ['Malmö'],
        b: ['San Francisco'],
        c: ['Rio de Janeiro'],
      },
      { count: 1, scheme: 'BIOES' },
    );
    expect(example?.tags).toEqual(['S-LOC', 'O', 'B-LOC', 'E-LOC', 'O', 'B-LOC', 'I-LOC', 'E-LOC']);
    for (const e of fillTemplates(templates, slots, { count: 100, seed: 2, scheme: 'BIOES' })) {
      expect(e.tags).toEqual(expectedTags(e, 'BIOES'));
    }
  });

  it('splits punctuation inside and around values at token edges', () => {
    const [example] = fillTemplates(['"{to:LOC}"? {{x}}'], { to: ["Côte d'Ivoire"] }, { count: 1 });
    expect(example?.text).toBe('"Côte d\'Ivoire"? {x}');
    expect(example?.tokens).toEqual(['"', 'Côte', 'd', "'", 'Ivoire', '"', '?', '{', 'x', '}']);
    expect(example?.tags).toEqual([
      'O',
      'B-LOC',
      'I-LOC',
      'I-LOC',
      'I-LOC',
      'O',
      'O',
      'O',
      'O',
      'O',
    ]);
  });

  it('is deterministic per seed', () => {
    const a = fillTemplates(templates, slots, { count: 50, seed: 'x' });
    expect(fillTemplates(templates, slots, { count: 50, seed: 'x' })).toEqual(a);
    expect(fillTemplates(templates, slots, { count: 50, seed: 'y' })).not.toEqual(a);
  });

  it('emits distinct texts with unique, and fails when there are not enough', () => {
    const small = { to: ['A', 'B', 'C'] };
    const out = fillTemplates(['to {to:LOC}'], small, { count: 3, unique: true, seed: 1 });
    expect(out.map((e) => e.text).sort()).toEqual(['to A', 'to B', 'to C']);
    expect(() => fillTemplates(['to {to:LOC}'], small, { count: 4, unique: true })).toThrow(
      /only 3 distinct texts/,
    );
  });

  it('rejects unknown slots, malformed templates and bad values with a DataError', () => {
    const error = (() => {
      try {
        fillTemplates(['from {frm:LOC}'], slots, { count: 1 });
      } catch (e) {
        return e;
      }
    })() as DataError;
    expect(error).toBeInstanceOf(DataError);
    expect(error.message).toContain('template 0 "from {frm:LOC}"');
    expect(error.message).toContain('slot "frm"');
    expect(error.field).toBe('frm');
    expect(() => fillTemplates(['to {to:LOC'], slots, { count: 1 })).toThrow(/unclosed "\{"/);
    expect(() => fillTemplates(['to } x'], slots, { count: 1 })).toThrow(/unmatched "\}"/);
    expect(() => fillTemplates(['to {to:LO C}'], slots, { count: 1 })).toThrow(/bad slot/);
    expect(() => fillTemplates(['in {to:LOC}s'], slots, { count: 1 })).toThrow(/touches a word/);
    expect(() => fillTemplates(['{greeting}{to:LOC}'], slots, { count: 1 })).toThrow(
      /touches a word or another slot/,
    );
    expect(() => fillTemplates(['to {to:LOC}'], { to: [' Malmö'] }, { count: 1 })).toThrow(
      /surrounding whitespace/,
    );
    expect(() => fillTemplates(['to {to:LOC}'], { to: [] }, { count: 1 })).toThrow(
      /non-empty array/,
    );
    expect(() => fillTemplates([], slots, { count: 1 })).toThrow(DataError);
    expect(() => fillTemplates(templates, slots, { count: 1, scheme: 'BIO' as never })).toThrow(
      /scheme/,
    );
  });
});
