// Test-only helpers shared by the areas' tests: collecting streams, catching DataErrors, open handles.
import { readdirSync, readlinkSync } from 'node:fs';
import { DataError } from './errors.js';
import type { DataRecord } from './types.js';

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
