// Epoch orders and batch boundaries: a pure function of (seed, epoch), so a resumed run sees
// exactly the batches an uninterrupted one would, with no generator state to save.
import { createRng } from '@ft/data';

export interface EpochPlanOptions {
  /** Samples in the training set. */
  size: number;
  batchSize: number;
  seed: number | string;
  shuffle: boolean;
  dropLast: boolean;
}

/** Micro-batches per epoch. */
export function batchesPerEpoch({
  size,
  batchSize,
  dropLast,
}: Pick<EpochPlanOptions, 'size' | 'batchSize' | 'dropLast'>): number {
  return dropLast ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
}

/** Sample order of epoch `epoch`: a createRng(`${seed}:${epoch}`) shuffle of 0..size-1. */
export function epochOrder(options: EpochPlanOptions, epoch: number): number[] {
  const order = Array.from({ length: options.size }, (_, i) => i);
  return options.shuffle ? createRng(`${options.seed}:${epoch}`).shuffle(order) : order;
}

/** The sample indices of every batch of epoch `epoch`, in order. */
export function epochBatches(options: EpochPlanOptions, epoch: number): number[][] {
  const order = epochOrder(options, epoch);
  const count = batchesPerEpoch(options);
  const batches: number[][] = [];
  for (let b = 0; b < count; b++) {
    batches.push(order.slice(b * options.batchSize, (b + 1) * options.batchSize));
  }
  return batches;
}
