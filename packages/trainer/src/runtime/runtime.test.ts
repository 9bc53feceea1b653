// Runtime sessions: CUDA → CPU fallback (this machine has no CUDA libraries), requireCuda, and
// pre-allocated outputs filled in place.
import { describe, expect, it, vi } from 'vitest';
import { TrainerError } from '../errors.js';
import { createGraphBuilder } from '../ir/builder.js';
import { tensor } from '../ir/tensor.js';
import type { Graph, TensorData } from '../ir/types.js';
import { CUDA_INSTALL_HINT } from './providers.js';
import { createSession } from './session.js';

function addOne(): Graph {
  const b = createGraphBuilder({ name: 'add_one' });
  const x = b.input('x', 'float32', [3]);
  b.op('Add', [x, b.scalar('float32', 1)], {}, { outputs: ['y'] });
  b.op('ReduceSum', ['y'], { keepdims: 0 }, { outputs: ['total'] });
  b.output('y', 'float32', [3]);
  b.output('total', 'float32', []);
  return b.graph;
}

async function rejection(promise: Promise<unknown>): Promise<TrainerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrainerError);
  return error as TrainerError;
}

describe('execution providers', () => {
  it("falls back from 'cuda' to the CPU with one warning naming the provider and the fix", async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const session = await createSession(addOne(), { executionProvider: 'cuda', threads: 1 });
    expect(session.executionProvider).toBe('cpu');
    const out = await session.run({ x: tensor('float32', [3], [1, 2, 3]) });
    expect(Array.from(out.y?.data as Float32Array)).toEqual([2, 3, 4]);
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toMatch(/CUDA execution provider is not available/);
    expect(message).toMatch(/running on the CPU instead/);
    expect(message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    expect(message).toMatch(/network access at install time/);
    // Once per process: a second fallback stays quiet.
    const again = await createSession(addOne(), { executionProvider: 'cuda', threads: 1 });
    expect(again.executionProvider).toBe('cpu');
    expect(warn).toHaveBeenCalledTimes(1);
    await session.release();
    await again.release();
    warn.mockRestore();
  });

  it('throws PROVIDER_UNAVAILABLE under requireCuda, and RUNTIME when the model itself is bad', async () => {
    const strict = await rejection(
      createSession(addOne(), { executionProvider: 'cuda', requireCuda: true }),
    );
    expect(strict.code).toBe('PROVIDER_UNAVAILABLE');
    expect(strict.message).toContain(CUDA_INSTALL_HINT);
    expect(strict.message).toMatch(/drop requireCuda/);

    const broken = addOne();
    broken.nodes[0] = { ...(broken.nodes[0] as Graph['nodes'][number]), opType: 'NoSuchOp' };
    const bad = await rejection(createSession(broken, { executionProvider: 'cuda' }));
    expect(bad.code).toBe('RUNTIME');
    expect(bad.message).toMatch(/graph "add_one"/);
    expect(bad.message).toMatch(/NoSuchOp/);

    const cpuOnly = await createSession(addOne(), { executionProvider: 'cpu' });
    expect(cpuOnly.executionProvider).toBe('cpu');
    await cpuOnly.release();
    const wrong = await rejection(createSession(addOne(), { executionProvider: 'tpu' as 'cpu' }));
    expect(wrong.code).toBe('INVALID_ARGUMENT');
    expect((await rejection(createSession(addOne(), { threads: -1 }))).code).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('pre-allocated outputs', () => {
  it('fills the caller’s typed arrays in place and returns the same objects', async () => {
    const session = await createSession(addOne(), { threads: 1 });
    const y: TensorData = { dtype: 'float32', dims: [3], data: new Float32Array(3) };
    const array = y.data;
    let x = tensor('float32', [3], [1, 2, 3]);
    for (let i = 0; i < 3; i++) {
      const out = await session.runInto({ x }, { y, total: null });
      expect(out.y).toBe(y);
      expect(y.data).toBe(array);
      expect(Array.from(array as Float32Array)).toEqual([2 + i, 3 + i, 4 + i]);
      // The ORT-allocated output comes back too.
      expect(Array.from(out.total?.data as Float32Array)).toEqual([9 + 3 * i]);
      x = tensor('float32', [3], Array.from(array as Float32Array));
    }
    const wrongDims = await rejection(
      session.runInto({ x }, { y: { dtype: 'float32', dims: [4], data: new Float32Array(4) } }),
    );
    expect(wrongDims.code).toBe('RUNTIME');
    await session.release();
  });
});
