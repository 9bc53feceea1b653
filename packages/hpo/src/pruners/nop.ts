// The pruner that never prunes: the default when a study is created without one.

import type { Pruner } from '../types.js';

/** A pruner whose `prune` always answers `false`. */
export function createNopPruner(): Pruner {
  return { name: 'nop', prune: () => false };
}
