// Dense block-diagonal causal attention mask for a packed block, for attention kernels that take
// an explicit mask instead of position ids or cu_seqlens.
import { TokenizeError } from '../errors.js';
import type { PackedBlock } from './pack.js';

/**
 * A row-major [n × n] mask (n = block length): `mask[i * n + j]` is 1 when token i may attend to
 * token j, i.e. both belong to the same example and j ≤ i. Padding rows attend only to themselves
 * (a fully masked row would make softmax produce NaN); no real token attends to padding.
 */
export function blockAttentionMask(block: Pick<PackedBlock, 'sequenceIds'>): Uint8Array {
  const { sequenceIds } = block;
  if (!Array.isArray(sequenceIds)) {
    throw new TokenizeError(
      'INVALID_ARGUMENT',
      'block.sequenceIds must be an array (from packSequences).',
      { field: 'sequenceIds' },
    );
  }
  const n = sequenceIds.length;
  const mask = new Uint8Array(n * n);
  let segmentStart = 0;
  for (let i = 0; i < n; i++) {
    const id = sequenceIds[i] as number;
    if (i > 0 && id !== sequenceIds[i - 1]) segmentStart = i;
    if (id === 0) {
      mask[i * n + i] = 1;
      continue;
    }
    // Examples are contiguous, so the row is ones from the example's first token to the diagonal.
    mask.fill(1, i * n + segmentStart, i * n + i + 1);
  }
  return mask;
}
