// Test-only helpers shared by the areas' tests: collecting streams, catching DataErrors, open handles.
import { readdirSync, readlinkSync } from 'node:fs';
import { DataError } from './errors.js';
import type { DataRecord, Schema } from './types.js';

export async function collect(stream: AsyncIterable<DataRecord>): Promise<DataRecord[]> {
  const out: DataRecord[] = [];
  for await (const record of stream) out.push(record);
  return out;
}

/** Runs `fn` and returns the DataError it throws; fails when it throws something else or nothing. */
export async function catchDataError(fn: () => Promise<unknown> | unknown): Promise<DataError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError, but nothing was thrown');
}

/** How many file descriptors of this process point at `path` (Linux /proc). */
export function openHandlesTo(path: string): number {
  let count = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) count++;
    } catch {
      // The descriptor closed while we looked.
    }
  }
  return count;
}

/** Synchronous `catchDataError`, for parsers and converters that throw without awaiting. */
export function catchDataErrorSync(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DataError) return error;
    throw error;
  }
  throw new Error('expected a DataError, but nothing was thrown');
}

/** One field of every type, for the binary formats' round trips. */
export const allTypesSchema: Schema = {
  fields: [
    { name: 'id', type: 'integer', nullable: false },
    { name: 'text', type: 'string' },
    { name: 'score', type: 'float' },
    { name: 'ok', type: 'boolean' },
    { name: 'at', type: 'timestamp' },
    { name: 'meta', type: 'json' },
  ],
};

/** Five records of `allTypesSchema` with edge values: nulls, an int64 beyond 2^53, far dates. */
export const allTypesRecords: DataRecord[] = [
  {
    id: 1,
    text: 'ሰላም ለዓለም',
    score: 0.25,
    ok: true,
    at: new Date('2024-03-01T12:34:56.789Z'),
    meta: { tags: ['a', 'b'], n: 1 },
  },
  { id: 2n ** 60n + 1n, text: 'räksmörgås', score: -1.5, ok: false, at: null, meta: [1, 2, 3] },
  { id: -7, text: null, score: null, ok: null, at: new Date(0), meta: null },
  {
    id: 4,
    text: '',
    score: 1e300,
    ok: true,
    at: new Date('1969-12-31T23:59:59.999Z'),
    meta: 'plain',
  },
  { id: 5, text: 'five', score: 0, ok: false, at: new Date('2100-01-01T00:00:00Z'), meta: {} },
];
