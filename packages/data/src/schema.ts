// Schema inference from records, and checking/converting records against an explicit schema.
import { DataError } from './errors.js';
import type { DataRecord, Field, FieldType, Schema } from './types.js';

/** Where a record came from, for error messages. */
export interface RecordLocation {
  file?: string;
  line?: number;
}

/** The narrowest type that holds a single value, or undefined for null/missing. */
export function typeOfValue(value: unknown): FieldType | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'bigint':
      return 'integer';
    case 'number':
      return Number.isInteger(value) ? 'integer' : 'float';
    default:
      return value instanceof Date ? 'timestamp' : 'json';
  }
}

/** integer widens to float; any other mix becomes json (values kept as they are). */
function widen(a: FieldType | undefined, b: FieldType): FieldType {
  if (a === undefined || a === b) return b;
  if ((a === 'integer' && b === 'float') || (a === 'float' && b === 'integer')) return 'float';
  return 'json';
}

/**
 * Infers a schema from records: fields in first-seen order, the widest type seen per field,
 * nullable when some record lacks the field or holds null. Fields only ever null are `string`.
 */
export function inferSchema(records: Iterable<DataRecord>): Schema {
  const types = new Map<string, FieldType | undefined>();
  const nullable = new Map<string, boolean>();
  let count = 0;
  const seenIn = new Map<string, number>();
  for (const record of records) {
    count++;
    for (const [name, value] of Object.entries(record)) {
      seenIn.set(name, (seenIn.get(name) ?? 0) + 1);
      const type = typeOfValue(value);
      if (!types.has(name)) types.set(name, undefined);
      if (type === undefined) nullable.set(name, true);
      else types.set(name, widen(types.get(name), type));
    }
  }
  const fields: Field[] = [];
  for (const [name, type] of types) {
    fields.push({
      name,
      type: type ?? 'string',
      nullable: (nullable.get(name) ?? false) || (seenIn.get(name) ?? 0) < count,
    });
  }
  return { fields };
}

/**
 * Checks a record against a schema and converts what converts without loss
 * (strings to numbers/booleans/timestamps, as CSV needs; integers to floats).
 * Throws a SCHEMA_MISMATCH DataError naming the location and the field otherwise.
 * Fields not in the schema are an error too: a typo in a column name should not pass silently.
 */
export function conformRecord(
  record: DataRecord,
  schema: Schema,
  where: RecordLocation = {},
): DataRecord {
  const out: DataRecord = {};
  const known = new Set<string>();
  for (const field of schema.fields) {
    known.add(field.name);
    out[field.name] = conformValue(record[field.name], field, where);
  }
  for (const name of Object.keys(record)) {
    if (!known.has(name)) {
      throw new DataError(
        'SCHEMA_MISMATCH',
        `field "${name}" is not in the schema (fields: ${[...known].join(', ')}). Add it to the schema or remove it from the data.`,
        { ...where, field: name },
      );
    }
  }
  return out;
}

function conformValue(value: unknown, field: Field, where: RecordLocation): unknown {
  const fail = (why: string): never => {
    throw new DataError(
      'SCHEMA_MISMATCH',
      `${why}. Fix the value or declare the field as another type in the schema.`,
      {
        ...where,
        field: field.name,
      },
    );
  };
  if (value === null || value === undefined || (value === '' && field.type !== 'string')) {
    if (field.nullable === false)
      fail(
        `expected a ${field.type}, got ${value === '' ? 'an empty value' : 'null'} (the field is not nullable)`,
      );
    return null;
  }
  switch (field.type) {
    case 'string':
      if (typeof value === 'string') return value;
      return fail(`expected a string, got ${describe(value)}`);
    case 'integer': {
      if (typeof value === 'bigint') return value;
      const n =
        typeof value === 'string' && /^[+-]?\d+$/.test(value.trim()) ? Number(value) : value;
      if (typeof n === 'number' && Number.isInteger(n)) {
        if (!Number.isSafeInteger(n) && typeof value === 'string') return BigInt(value.trim());
        return n;
      }
      return fail(`expected an integer, got ${describe(value)}`);
    }
    case 'float': {
      if (typeof value === 'number') return value;
      if (typeof value === 'string') {
        const t = value.trim();
        if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) || /^[+-]?(Infinity|NaN)$/.test(t))
          return Number(t);
      }
      return fail(`expected a number, got ${describe(value)}`);
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        const t = value.trim().toLowerCase();
        if (t === 'true') return true;
        if (t === 'false') return false;
      }
      return fail(`expected a boolean (true/false), got ${describe(value)}`);
    case 'timestamp': {
      if (value instanceof Date) return value;
      if (typeof value === 'string' || typeof value === 'number') {
        const d = new Date(value);
        if (!Number.isNaN(d.getTime())) return d;
      }
      return fail(`expected a timestamp (ISO 8601 or epoch milliseconds), got ${describe(value)}`);
    }
    case 'json':
      if (typeof value === 'string' && (value.startsWith('{') || value.startsWith('['))) {
        try {
          return JSON.parse(value);
        } catch {
          return value;
        }
      }
      return value;
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  return `${typeof value} ${String(value).slice(0, 40)}`;
}
