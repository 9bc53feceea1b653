// Runs the storage conformance suite against the in-memory storage.
import { describe } from 'vitest';
import { createInMemoryStorage } from '../index.js';
import { testStorage } from './conformance.js';

describe('createInMemoryStorage', () => {
  testStorage({ create: async () => createInMemoryStorage() });
});
