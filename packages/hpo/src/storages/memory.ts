// In-memory storage: studies live in this process only (the default for a single-process study).
import type { StudyStorage } from '../types.js';
import { createStateStorage, StorageState } from './utils.js';

/**
 * A storage kept in this process's memory; every method still copies in and out, so callers can
 * never change stored trials by mutating what they passed or got back.
 */
export function createInMemoryStorage(): StudyStorage {
  const state = new StorageState();
  return createStateStorage({
    kind: 'memory',
    async read(fn) {
      return fn(state);
    },
    async write(fn) {
      // Single-threaded: nothing interleaves between reading and applying within `fn`.
      return fn(state, (op) => state.apply(op));
    },
    async close() {
      // Nothing to release: the data stays readable, like Optuna's InMemoryStorage.
    },
  });
}
