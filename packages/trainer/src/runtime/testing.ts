// Test helpers for the ONNX Runtime lowerings: a graph run as written (from its ONNX bytes, which
// createSession does not lower) against the same graph run through lowerForOrt.
import { expect } from 'vitest';
import { toOnnxBytes } from '../ir/onnx-export.js';
import type { Graph, TensorData } from '../ir/types.js';
import { createSession } from './session.js';

/** Every output of `graph` for `feeds`, unlowered (reference) and lowered, on one thread. */
export async function runUnloweredAndLowered(
  graph: Graph,
  feeds: Record<string, TensorData>,
): Promise<{ reference: Record<string, TensorData>; lowered: Record<string, TensorData> }> {
  const reference = await createSession(toOnnxBytes(graph), { threads: 1 });
  const lowered = await createSession(graph, { threads: 1 });
  try {
    return { reference: await reference.run(feeds), lowered: await lowered.run(feeds) };
  } finally {
    await reference.release();
    await lowered.release();
  }
}

/** Expects the lowered graph's outputs to have the reference's dims and values within `tolerance`. */
export async function expectLoweringKeepsResults(
  graph: Graph,
  feeds: Record<string, TensorData>,
  tolerance: number,
): Promise<void> {
  const { reference, lowered } = await runUnloweredAndLowered(graph, feeds);
  for (const [name, want] of Object.entries(reference)) {
    const got = lowered[name] as TensorData;
    expect(got.dims, name).toEqual(want.dims);
    const expected = Array.from(want.data, Number);
    const worst = Array.from(got.data, Number).reduce(
      (w, v, i) => Math.max(w, Math.abs(v - (expected[i] as number))),
      0,
    );
    expect(worst, name).toBeLessThanOrEqual(tolerance);
  }
}
