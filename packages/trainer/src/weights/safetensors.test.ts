// safetensors: round trips, byte-identical output to the reference implementation, files written
// by it, and the validation of corrupt headers, truncated data and overlapping offsets.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import type { TensorData } from '../ir/types.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

// Written by Hugging Face's reference implementation (Python safetensors 0.8.0, Rust core) with
// the script in the comment below, from the tensors of referenceTensors():
//   save(tensors, metadata={'format': 'pt', 'step': '12'})  → WITH_METADATA
//   save(tensors)                                            → WITHOUT_METADATA
//   serialize({'w': TensorSpec(dtype='bfloat16', shape=[3], …bits 0x3FC0, 0xC049, 0x7F80)}) → BF16
const WITH_METADATA =
  'kAIAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmb3JtYXQiOiJwdCIsInN0ZXAiOiIxMiJ9LCJpZHMiOnsiZHR5cGUiOiJJNjQiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOlswLDI0XX0sImVuY29kZXIuYmlhcyI6eyJkdHlwZSI6IkY2NCIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6WzI0LDQwXX0sImVtcHR5Ijp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlswLDRdLCJkYXRhX29mZnNldHMiOls0MCw0MF19LCJlbmNvZGVyLndlaWdodCI6eyJkdHlwZSI6IkYzMiIsInNoYXBlIjpbMiwzXSwiZGF0YV9vZmZzZXRzIjpbNDAsNjRdfSwic2NhbGFyIjp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOltdLCJkYXRhX29mZnNldHMiOls2NCw2OF19LCJjb3VudHMiOnsiZHR5cGUiOiJJMzIiLCJzaGFwZSI6WzIsMV0sImRhdGFfb2Zmc2V0cyI6WzY4LDc2XX0sImhhbGYiOnsiZHR5cGUiOiJGMTYiLCJzaGFwZSI6WzRdLCJkYXRhX29mZnNldHMiOls3Niw4NF19LCJzaWduZWQiOnsiZHR5cGUiOiJJOCIsInNoYXBlIjpbMl0sImRhdGFfb2Zmc2V0cyI6Wzg0LDg2XX0sImJ5dGVzIjp7ImR0eXBlIjoiVTgiLCJzaGFwZSI6WzNdLCJkYXRhX29mZnNldHMiOls4Niw4OV19LCJtYXNrIjp7ImR0eXBlIjoiQk9PTCIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6Wzg5LDkyXX19ICAgIP///////9//KgAAAAAAAAAAAAAAAAAAABgtRFT7IQlAaVcUiwq/BcAAAMA/AAAQwAAAQEDNzMw9YEKiDQAAAIAAAIA+BwAAAPj///8APAC4/3sABIB/AP+AAQAB';
const WITHOUT_METADATA =
  'aAIAAAAAAAB7ImlkcyI6eyJkdHlwZSI6Ikk2NCIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6WzAsMjRdfSwiZW5jb2Rlci5iaWFzIjp7ImR0eXBlIjoiRjY0Iiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbMjQsNDBdfSwiZW1wdHkiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzAsNF0sImRhdGFfb2Zmc2V0cyI6WzQwLDQwXX0sImVuY29kZXIud2VpZ2h0Ijp7ImR0eXBlIjoiRjMyIiwic2hhcGUiOlsyLDNdLCJkYXRhX29mZnNldHMiOls0MCw2NF19LCJzY2FsYXIiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6W10sImRhdGFfb2Zmc2V0cyI6WzY0LDY4XX0sImNvdW50cyI6eyJkdHlwZSI6IkkzMiIsInNoYXBlIjpbMiwxXSwiZGF0YV9vZmZzZXRzIjpbNjgsNzZdfSwiaGFsZiI6eyJkdHlwZSI6IkYxNiIsInNoYXBlIjpbNF0sImRhdGFfb2Zmc2V0cyI6Wzc2LDg0XX0sInNpZ25lZCI6eyJkdHlwZSI6Ikk4Iiwic2hhcGUiOlsyXSwiZGF0YV9vZmZzZXRzIjpbODQsODZdfSwiYnl0ZXMiOnsiZHR5cGUiOiJVOCIsInNoYXBlIjpbM10sImRhdGFfb2Zmc2V0cyI6Wzg2LDg5XX0sIm1hc2siOnsiZHR5cGUiOiJCT09MIiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbODksOTJdfX0gICAgICAg////////3/8qAAAAAAAAAAAAAAAAAAAAGC1EVPshCUBpVxSLCr8FwAAAwD8AABDAAABAQM3MzD1gQqINAAAAgAAAgD4HAAAA+P///wA8ALj/ewAEgH8A/4ABAAE=';
const BF16 =
  'OAAAAAAAAAB7InciOnsiZHR5cGUiOiJCRjE2Iiwic2hhcGUiOlszXSwiZGF0YV9vZmZzZXRzIjpbMCw2XX19IMA/ScCAfw==';

function referenceTensors(): Map<string, TensorData> {
  return new Map<string, TensorData>([
    ['encoder.weight', tensor('float32', [2, 3], [1.5, -2.25, 3.0, 0.1, 1e-30, -0])],
    ['encoder.bias', tensor('float64', [2], [Math.PI, -Math.E])],
    ['ids', tensor('int64', [3], [-9007199254740993n, 42n, 0n])],
    ['counts', tensor('int32', [2, 1], [7, -8])],
    ['bytes', tensor('uint8', [3], [0, 255, 128])],
    ['signed', tensor('int8', [2], [-128, 127])],
    ['mask', tensor('bool', [3], [1, 0, 1])],
    // float16 bit patterns of 1, -0.5, 65504 (largest finite) and 2^-14 (smallest normal)
    ['half', tensor('float16', [4], [0x3c00, 0xb800, 0x7bff, 0x0400])],
    ['empty', tensor('float32', [0, 4], [])],
    ['scalar', tensor('float32', [], [0.25])],
  ]);
}

function expectSameTensors(actual: Map<string, TensorData>, expected: Map<string, TensorData>) {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [name, t] of expected) {
    const got = actual.get(name);
    expect(got?.dtype, name).toBe(t.dtype);
    expect(got?.dims, name).toEqual(t.dims);
    expect(got?.data.constructor, name).toBe(t.data.constructor);
    expect(Array.from(got?.data ?? [], Number), name).toEqual(Array.from(t.data, Number));
  }
}

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-safetensors-');
});
afterEach(() => dir.cleanup());

async function fixture(base64: string, name = 'ref.safetensors'): Promise<string> {
  const path = join(dir.path, name);
  await writeFile(path, Buffer.from(base64, 'base64'));
  return path;
}

/** A valid file with its header JSON replaced (padded with spaces to a multiple of 8). */
async function withHeader(header: string, data: Uint8Array, name = 'bad.safetensors') {
  const text = Buffer.from(header.padEnd(Math.ceil(header.length / 8) * 8, ' '));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(text.length));
  const path = join(dir.path, name);
  await writeFile(path, Buffer.concat([prefix, text, data]));
  return path;
}

async function checkpointError(promise: Promise<unknown>): Promise<TrainerError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrainerError);
  expect((error as TrainerError).code).toBe('CHECKPOINT');
  return error as TrainerError;
}

describe('safetensors', () => {
  it('reads a file written by the reference implementation, with its metadata', async () => {
    const { tensors, metadata } = await readSafetensors(await fixture(WITH_METADATA));
    expectSameTensors(tensors, referenceTensors());
    expect(metadata).toEqual({ format: 'pt', step: '12' });
    // Exact values after the trip through numpy: float32 rounding of 0.1, the int64 beyond 2^53.
    expect(tensors.get('encoder.weight')?.data[3]).toBe(Math.fround(0.1));
    expect(tensors.get('ids')?.data[0]).toBe(-9007199254740993n);
  });

  it('writes byte-for-byte what the reference implementation writes', async () => {
    const path = join(dir.path, 'ours.safetensors');
    await writeSafetensors(path, referenceTensors());
    const ours = await readFile(path);
    expect(ours.toString('base64')).toBe(WITHOUT_METADATA);
  });

  it('round-trips tensors and metadata, header padded to 8 bytes with spaces', async () => {
    const path = join(dir.path, 'rt.safetensors');
    const tensors = referenceTensors();
    await writeSafetensors(path, tensors, { format: 'pt', note: 'ünïcode ✓' });
    const back = await readSafetensors(path);
    expectSameTensors(back.tensors, tensors);
    expect(back.metadata).toEqual({ format: 'pt', note: 'ünïcode ✓' });
    const bytes = await readFile(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = bytes.subarray(8, 8 + n).toString('utf8');
    expect(header.startsWith('{"__metadata__":{"format":"pt","note":"ünïcode ✓"},"ids":')).toBe(
      true,
    );
    expect(header.endsWith('}') || /} +$/.test(header)).toBe(true);
  });

  it('widens BF16 tensors to float32 exactly', async () => {
    const { tensors } = await readSafetensors(await fixture(BF16));
    const w = tensors.get('w');
    expect(w?.dtype).toBe('float32');
    expect(w?.dims).toEqual([3]);
    expect(Array.from(w?.data as Float32Array)).toEqual([1.5, -3.140625, Number.POSITIVE_INFINITY]);
  });

  it('rejects a truncated file, naming the file', async () => {
    const full = Buffer.from(WITHOUT_METADATA, 'base64');
    const path = join(dir.path, 'cut.safetensors');
    await writeFile(path, full.subarray(0, full.length - 5));
    const error = await checkpointError(readSafetensors(path));
    expect(error.file).toBe(path);
    expect(error.message).toMatch(
      /tensor "bytes": data_offsets \[86, 89\] run past the end of the data \(87 bytes\)/,
    );
    await writeFile(path, full.subarray(0, 6));
    expect((await checkpointError(readSafetensors(path))).message).toMatch(/too short/);
    await writeFile(path, full.subarray(0, 100));
    expect((await checkpointError(readSafetensors(path))).message).toMatch(
      /header length 616 exceeds the 92 bytes after it/,
    );
  });

  it('rejects corrupt headers and names the tensor', async () => {
    const data = new Uint8Array(8);
    const cases: Array<[string, RegExp]> = [
      ['{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]', /not valid JSON/],
      ['[1,2]', /not a JSON object/],
      ['{"a":{"dtype":"Q7","shape":[2],"data_offsets":[0,8]}}', /"a": dtype Q7 is not supported/],
      [
        '{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}',
        /"a": shape \[3\] of F32 needs 12 bytes/,
      ],
      ['{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', /"a": shape is not a list/],
      [
        '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}',
        /"a": data_offsets \[0, 16\] run past the end/,
      ],
      [
        '{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}',
        /"a": data_offsets \[8, 0\] are reversed/,
      ],
      [
        '{"__metadata__":{"n":1},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
        /"n" is not a string/,
      ],
    ];
    for (const [header, message] of cases) {
      const error = await checkpointError(readSafetensors(await withHeader(header, data)));
      expect(error.message, header).toMatch(message);
      expect(error.file).toBe(join(dir.path, 'bad.safetensors'));
    }
  });

  it('rejects overlapping offsets, gaps and trailing bytes', async () => {
    const overlap = await withHeader(
      '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}',
      new Uint8Array(12),
    );
    expect((await checkpointError(readSafetensors(overlap))).message).toMatch(
      /tensor "b": data_offsets \[4, 12\] overlap/,
    );
    const gap = await withHeader(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}',
      new Uint8Array(12),
    );
    expect((await checkpointError(readSafetensors(gap))).message).toMatch(
      /tensor "b": .* leave a gap after byte 4/,
    );
    const trailing = await withHeader(
      '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
      new Uint8Array(8),
    );
    expect((await checkpointError(readSafetensors(trailing))).message).toMatch(
      /cover 4 bytes but the data section holds 8/,
    );
  });

  it('reports a missing file as CHECKPOINT and leaves no partial file on a failed write', async () => {
    const missing = join(dir.path, 'nope.safetensors');
    expect((await checkpointError(readSafetensors(missing))).file).toBe(missing);
    const bad = new Map([
      ['x', { dtype: 'float32' as const, dims: [3], data: new Float32Array(2) }],
    ]);
    const path = join(dir.path, 'w.safetensors');
    await expect(writeSafetensors(path, bad)).rejects.toThrow(/"x" has dims \[3\]/);
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });
});
