// Template filling: generates labelled NER examples ("Book a flight from {from:LOC} …") with
// tokens, IOB2/BIOES tags and character spans that line up exactly.
import { DataError } from '../errors.js';
import { createRng } from '../random.js';
import { isWordChar, splitTokens } from './utils.js';

export interface FillTemplatesOptions {
  /** Examples to generate. */
  count: number;
  /** Seed for the template and slot-value draws. @default 0 */
  seed?: number | string;
  /** Only emit distinct texts; fails when the templates cannot give `count` of them. @default false */
  unique?: boolean;
  /** Tagging scheme of `tags`. @default 'IOB2' */
  scheme?: 'IOB2' | 'BIOES';
}

export interface TemplateSpan {
  /** UTF-16 offsets into `text`, end exclusive. */
  start: number;
  end: number;
  label: string;
  text: string;
}

export interface TemplateExample {
  text: string;
  /** Whitespace-separated tokens with punctuation split off; entity edges are token edges. */
  tokens: string[];
  /** One tag per token. */
  tags: string[];
  spans: TemplateSpan[];
  /** Index of the template the example came from. */
  template: number;
}

type Part =
  | { kind: 'text'; value: string }
  | { kind: 'slot'; name: string; label: string | undefined };

const NAME = /^[^\s{}:]+$/u;

function templateError(index: number, template: string, problem: string): DataError {
  return new DataError('PARSE_ERROR', `template ${index} ${JSON.stringify(template)}: ${problem}`);
}

/** Splits a template into literal text and `{name}` / `{name:LABEL}` slots; `{{` and `}}` are literal braces. */
function parseTemplate(template: string, index: number): Part[] {
  const parts: Part[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const char = template[i] as string;
    if (char === '{' && template[i + 1] === '{') {
      literal += '{';
      i += 2;
    } else if (char === '}' && template[i + 1] === '}') {
      literal += '}';
      i += 2;
    } else if (char === '}') {
      throw templateError(
        index,
        template,
        `unmatched "}" at offset ${i}; write "}}" for a literal brace.`,
      );
    } else if (char === '{') {
      const close = template.indexOf('}', i + 1);
      const inner = close < 0 ? '' : template.slice(i + 1, close);
      if (close < 0 || inner.includes('{')) {
        throw templateError(
          index,
          template,
          `unclosed "{" at offset ${i}; write "{{" for a literal brace.`,
        );
      }
      const colon = inner.indexOf(':');
      const name = (colon < 0 ? inner : inner.slice(0, colon)).trim();
      const label = colon < 0 ? undefined : inner.slice(colon + 1).trim();
      if (!NAME.test(name) || (label !== undefined && !NAME.test(label))) {
        throw templateError(
          index,
          template,
          `bad slot "{${inner}}"; write {name} or {name:LABEL} without spaces or colons inside.`,
        );
      }
      if (literal) parts.push({ kind: 'text', value: literal });
      literal = '';
      parts.push({ kind: 'slot', name, label });
      i = close + 1;
    } else {
      literal += char;
      i++;
    }
  }
  if (literal) parts.push({ kind: 'text', value: literal });
  // A labelled slot glued to a word ("{city:LOC}s") would cut a token in two, so its span could not
  // match token boundaries.
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p] as Part;
    if (part.kind !== 'slot') continue;
    const before = parts[p - 1];
    const after = parts[p + 1];
    const glued = (neighbour: Part | undefined, char: (s: string) => string): boolean =>
      neighbour !== undefined &&
      (neighbour.kind === 'slot'
        ? part.label !== undefined || neighbour.label !== undefined
        : part.label !== undefined && isWordChar(char(neighbour.value)));
    if (glued(before, (s) => s.slice(-1)) || glued(after, (s) => s.slice(0, 1))) {
      throw templateError(
        index,
        template,
        `slot "{${part.name}${part.label ? `:${part.label}` : ''}}" touches a word or another slot; separate labelled slots with a space or punctuation.`,
      );
    }
  }
  return parts;
}

function tagsFor(
  scheme: 'IOB2' | 'BIOES',
  label: string,
  position: number,
  length: number,
): string {
  if (scheme === 'IOB2') return `${position === 0 ? 'B' : 'I'}-${label}`;
  if (length === 1) return `S-${label}`;
  if (position === 0) return `B-${label}`;
  return `${position === length - 1 ? 'E' : 'I'}-${label}`;
}

/** Generates `count` examples by filling randomly drawn templates with randomly drawn slot values. */
export function fillTemplates(
  templates: readonly string[],
  slots: Readonly<Record<string, readonly string[]>>,
  options: FillTemplatesOptions,
): TemplateExample[] {
  const { count, seed = 0, unique = false, scheme = 'IOB2' } = options;
  if (!Array.isArray(templates) || templates.length === 0) {
    throw new DataError('INVALID_ARGUMENT', 'fillTemplates needs a non-empty array of templates.');
  }
  if (!Number.isInteger(count) || count < 0) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `fillTemplates count must be a non-negative integer; got ${count}.`,
    );
  }
  if (scheme !== 'IOB2' && scheme !== 'BIOES') {
    throw new DataError(
      'INVALID_ARGUMENT',
      `fillTemplates scheme must be 'IOB2' or 'BIOES'; got ${JSON.stringify(scheme)}.`,
    );
  }
  const parsed = templates.map((template, index) => {
    if (typeof template !== 'string')
      throw templateError(index, String(template), 'templates must be strings.');
    const parts = parseTemplate(template, index);
    for (const part of parts) {
      if (part.kind !== 'slot') continue;
      const values = Object.hasOwn(slots, part.name) ? slots[part.name] : undefined;
      if (values === undefined) {
        throw new DataError(
          'INVALID_ARGUMENT',
          `template ${index} ${JSON.stringify(template)} uses slot "${part.name}", which is not in slots (known: ${Object.keys(slots).join(', ') || 'none'}); add values for it.`,
          { field: part.name },
        );
      }
      if (
        !Array.isArray(values) ||
        values.length === 0 ||
        values.some((v) => typeof v !== 'string')
      ) {
        throw new DataError(
          'INVALID_ARGUMENT',
          `slot "${part.name}" needs a non-empty array of strings.`,
          { field: part.name },
        );
      }
      if (part.label !== undefined) {
        const bad = values.find((v) => v.trim() === '' || v.trim() !== v);
        if (bad !== undefined) {
          throw new DataError(
            'INVALID_ARGUMENT',
            `slot "${part.name}" is labelled ${part.label} in template ${index}, but its value ${JSON.stringify(bad)} is empty or has surrounding whitespace, which would make the entity span wrong; trim it.`,
            { field: part.name },
          );
        }
      }
    }
    return parts;
  });

  const rng = createRng(seed);
  const out: TemplateExample[] = [];
  const seen = new Set<string>();
  const maxDraws = unique ? count * 100 + 1000 : count;
  for (let draw = 0; out.length < count && draw < maxDraws; draw++) {
    const t = rng.int(parsed.length);
    let text = '';
    const spans: TemplateSpan[] = [];
    for (const part of parsed[t] as Part[]) {
      if (part.kind === 'text') {
        text += part.value;
        continue;
      }
      const value = rng.pick(slots[part.name] as readonly string[]);
      if (part.label !== undefined)
        spans.push({
          start: text.length,
          end: text.length + value.length,
          label: part.label,
          text: value,
        });
      text += value;
    }
    if (unique) {
      if (seen.has(text)) continue;
      seen.add(text);
    }
    const tokens = splitTokens(text);
    const tags = new Array<string>(tokens.length).fill('O');
    for (const span of spans) {
      const first = tokens.findIndex((tok) => tok.start === span.start);
      let last = first;
      while (last + 1 < tokens.length && (tokens[last + 1]?.end as number) <= span.end) last++;
      if (first < 0 || (tokens[last] as { end: number }).end !== span.end) {
        // parseTemplate's adjacency check should make this unreachable; fail loudly if it is not.
        throw new DataError(
          'INVALID_ARGUMENT',
          `entity "${span.text}" (${span.label}) in ${JSON.stringify(text)} does not fall on token boundaries; separate the slot from neighbouring words.`,
        );
      }
      for (let k = first; k <= last; k++)
        tags[k] = tagsFor(scheme, span.label, k - first, last - first + 1);
    }
    out.push({ text, tokens: tokens.map((tok) => tok.text), tags, spans, template: t });
  }
  if (out.length < count) {
    throw new DataError(
      'INVALID_ARGUMENT',
      `fillTemplates found only ${out.length} distinct texts in ${maxDraws} draws but count is ${count}; add templates or slot values, lower count, or set unique: false.`,
    );
  }
  return out;
}
