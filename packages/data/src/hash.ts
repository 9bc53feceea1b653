// Stable hashing: canonical JSON (sorted keys) so equal records hash equally on every machine.
import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level; BigInt as `"<digits>n"`-tagged strings,
 * Dates as ISO strings, typed arrays as plain arrays. Equal data gives equal text.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(toCanonical(value));
}

function toCanonical(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (ArrayBuffer.isView(value))
    return Array.from(value as unknown as ArrayLike<number | bigint>, toCanonical);
  if (Array.isArray(value)) return value.map(toCanonical);
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = toCanonical(v);
    }
    return out;
  }
  return value;
}

/** Hex sha256 of a string (UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
