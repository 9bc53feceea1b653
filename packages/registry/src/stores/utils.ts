// Key, prefix and hash validation shared by every RegistryStore implementation, and the host tag
// that temporary and staging names carry.
import { hostname } from 'node:os';
import { sha256Hex } from '@ft/data';
import { RegistryError } from '../errors.js';

/**
 * This host, shortened: names that carry it and a pid belong to a writer whose liveness can be
 * checked here (a dead pid's leftovers are removed at once; other hosts' only after a while).
 */
export const hostTag = sha256Hex(hostname()).slice(0, 8);

const SEGMENT = /^[A-Za-z0-9._-]{1,255}$/;
const HASH = /^[0-9a-f]{64}$/;

/** One key segment: `[A-Za-z0-9._-]`, 1–255 characters, not `.` or `..`, no `..` inside. */
export function assertSegment(segment: string, what = 'key segment'): void {
  if (typeof segment !== 'string' || !SEGMENT.test(segment) || segment.includes('..')) {
    throw new RegistryError(
      'INVALID_NAME',
      `${what} ${JSON.stringify(segment)} is not allowed: use 1–255 characters of letters, digits, '.', '_' and '-', without '..'.`,
    );
  }
  if (segment === '.') {
    throw new RegistryError('INVALID_NAME', `${what} '.' is not allowed.`);
  }
}

/** A document key: `/`-separated valid segments, e.g. `models/bert/versions/0000000001`. */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key === '') {
    throw new RegistryError('INVALID_NAME', `document key ${JSON.stringify(key)} is empty.`);
  }
  for (const segment of key.split('/'))
    assertSegment(segment, `segment of key ${JSON.stringify(key)}`);
}

/** A listing prefix: '' (the top) or a key followed by '/'. */
export function assertPrefix(prefix: string): void {
  if (prefix === '') return;
  if (typeof prefix !== 'string' || !prefix.endsWith('/')) {
    throw new RegistryError(
      'INVALID_NAME',
      `prefix ${JSON.stringify(prefix)} must be '' or end with '/'.`,
    );
  }
  assertKey(prefix.slice(0, -1));
}

/** A blob address: 64 lower-case hex characters. */
export function assertBlobHash(hash: string): void {
  if (typeof hash !== 'string' || !HASH.test(hash)) {
    throw new RegistryError(
      'INVALID_NAME',
      `${JSON.stringify(hash)} is not a blob address (64 lower-case hex characters of a sha256).`,
    );
  }
}
