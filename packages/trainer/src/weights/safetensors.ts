// safetensors files (Hugging Face's weights format): an 8-byte little-endian header length, a
// JSON header of dtypes, shapes and byte offsets, then the raw little-endian tensor bytes.
import { open } from 'node:fs/promises';
import { writeFileAtomic } from '@ft/data';
import { TrainerError } from '../errors.js';
import { allocate, dtypeSize, sizeOf, tensorBytes } from '../ir/tensor.js';
import type { DType, TensorData } from '../ir/types.js';

/** safetensors dtype code of each IR dtype. */
export const SAFETENSORS_DTYPE: Record<DType, string> = {
  float32: 'F32',
  float64: 'F64',
  float16: 'F16',
  int64: 'I64',
  int32: 'I32',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
};

const DTYPE_BY_CODE = new Map<string, DType>(
  Object.entries(SAFETENSORS_DTYPE).map(([dtype, code]) => [code, dtype as DType]),
);

/**
 * Order of the reference implementation's `Dtype` enum (safetensors' Rust crate). It writes
 * tensors sorted by dtype, descending, then by name, so the widest elements come first and stay
 * aligned; matching it makes our files byte-identical to `safetensors.numpy.save`.
 */
const DTYPE_RANK: Record<DType, number> = {
  bool: 0,
  uint8: 1,
  int8: 2,
  float16: 3,
  int32: 4,
  float32: 5,
  float64: 6,
  int64: 7,
};

/** The reference implementation's cap on the header size (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** What readSafetensors returns. */
export interface SafetensorsContent {
  tensors: Map<string, TensorData>;
  /** The `__metadata__` string map ({} when absent). */
  metadata: Record<string, string>;
}

/** The encoded header (JSON padded with spaces to a multiple of 8) and the data order. */
function encodeHeader(
  tensors: Map<string, TensorData>,
  metadata: Record<string, string> | undefined,
  path: string,
): { header: Uint8Array; order: Array<[string, TensorData]>; dataBytes: number } {
  const order = [...tensors].sort(
    ([an, a], [bn, b]) =>
      DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || (an < bn ? -1 : an > bn ? 1 : 0),
  );
  const json: Record<string, unknown> = {};
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') {
        throw new TrainerError(
          'INVALID_ARGUMENT',
          `safetensors metadata values must be strings; "${k}" is ${typeof v}`,
          { file: path },
        );
      }
    }
    json.__metadata__ = metadata;
  }
  let offset = 0;
  for (const [name, t] of order) {
    if (name === '__metadata__') {
      throw new TrainerError('INVALID_ARGUMENT', 'a tensor cannot be named "__metadata__"', {
        file: path,
      });
    }
    const bytes = sizeOf(t.dims) * dtypeSize(t.dtype);
    if (t.data.byteLength !== bytes) {
      throw new TrainerError(
        'INVALID_ARGUMENT',
        `tensor "${name}" has dims [${t.dims.join(', ')}] (${bytes} bytes of ${t.dtype}) but ${t.data.byteLength} bytes of data`,
        { file: path },
      );
    }
    json[name] = {
      dtype: SAFETENSORS_DTYPE[t.dtype],
      shape: t.dims,
      data_offsets: [offset, offset + bytes],
    };
    offset += bytes;
  }
  const text = JSON.stringify(json);
  const raw = new TextEncoder().encode(text);
  const padded = Math.ceil(raw.byteLength / 8) * 8;
  const header = new Uint8Array(padded).fill(0x20);
  header.set(raw);
  return { header, order, dataBytes: offset };
}

/**
 * Writes tensors (and optional string metadata) as a safetensors file, atomically: readers see
 * the old file or the complete new one. Layout and header match the reference implementation.
 */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, TensorData>,
  metadata?: Record<string, string>,
): Promise<void> {
  const { header, order } = encodeHeader(tensors, metadata, path);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(header.byteLength), true);
  try {
    await writeFileAtomic(path, async (temp) => {
      const handle = await open(temp, 'w');
      try {
        let position = 0;
        for (const chunk of [prefix, header, ...order.map(([, t]) => tensorBytes(t))]) {
          await writeAll(handle, chunk, position);
          position += chunk.byteLength;
        }
      } finally {
        await handle.close();
      }
    });
  } catch (error) {
    throw new TrainerError(
      'CHECKPOINT',
      `could not write safetensors file: ${(error as Error).message}`,
      { file: path, cause: error },
    );
  }
}

interface Entry {
  name: string;
  dtype: DType;
  /** BF16 stored, widened to float32 on read. */
  bf16: boolean;
  dims: number[];
  begin: number;
  end: number;
}

function parseHeader(headerText: string, dataBytes: number, path: string) {
  const corrupt = (problem: string, tensor?: string) =>
    new TrainerError(
      'CHECKPOINT',
      `${tensor !== undefined ? `tensor "${tensor}": ` : ''}${problem}; the file is corrupt or not a safetensors file`,
      { file: path },
    );
  let json: unknown;
  try {
    json = JSON.parse(headerText);
  } catch (error) {
    throw corrupt(`the header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw corrupt('the header is not a JSON object');
  }
  const metadata: Record<string, string> = {};
  const entries: Entry[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw corrupt('__metadata__ is not an object of strings');
      }
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw corrupt(`__metadata__ value "${k}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof value !== 'object' || value === null) throw corrupt('entry is not an object', name);
    const { dtype: code, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (typeof code !== 'string') throw corrupt('dtype is missing', name);
    const bf16 = code === 'BF16';
    const dtype = bf16 ? 'float32' : DTYPE_BY_CODE.get(code);
    if (dtype === undefined) {
      throw new TrainerError(
        'CHECKPOINT',
        `tensor "${name}": dtype ${code} is not supported (supported: ${[...DTYPE_BY_CODE.keys(), 'BF16'].join(', ')})`,
        { file: path },
      );
    }
    const isCount = (d: unknown) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0;
    if (!Array.isArray(shape) || !shape.every(isCount)) {
      throw corrupt('shape is not a list of non-negative integers', name);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
      throw corrupt('data_offsets is not a pair of non-negative integers', name);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) throw corrupt(`data_offsets [${begin}, ${end}] are reversed`, name);
    if (end > dataBytes) {
      throw corrupt(
        `data_offsets [${begin}, ${end}] run past the end of the data (${dataBytes} bytes)`,
        name,
      );
    }
    const dims = shape as number[];
    const expected = sizeOf(dims) * (bf16 ? 2 : dtypeSize(dtype));
    if (end - begin !== expected) {
      throw corrupt(
        `shape [${dims.join(', ')}] of ${code} needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`,
        name,
      );
    }
    entries.push({ name, dtype, bf16, dims, begin, end });
  }
  // As the reference validator: sorted by offset, each tensor starts where the previous ended
  // and the last one ends at the end of the file — no gaps, no overlaps, no trailing bytes.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expectedBegin = 0;
  for (const e of sorted) {
    if (e.begin < expectedBegin) {
      throw corrupt(
        `data_offsets [${e.begin}, ${e.end}] overlap the previous tensor's bytes`,
        e.name,
      );
    }
    if (e.begin > expectedBegin) {
      throw corrupt(
        `data_offsets [${e.begin}, ${e.end}] leave a gap after byte ${expectedBegin}`,
        e.name,
      );
    }
    expectedBegin = e.end;
  }
  if (expectedBegin !== dataBytes) {
    throw corrupt(
      `the tensors cover ${expectedBegin} bytes but the data section holds ${dataBytes}`,
    );
  }
  return { entries, metadata };
}

/**
 * Reads a safetensors file, validating the header length, the JSON, every dtype and shape
 * against its byte range, and that the ranges tile the data section exactly. BF16 tensors are
 * widened to float32 (exactly: bf16 is the top half of a float32). Throws TrainerError
 * 'CHECKPOINT' naming the file (and the tensor) on any violation.
 */
export async function readSafetensors(path: string): Promise<SafetensorsContent> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new TrainerError(
      'CHECKPOINT',
      `cannot open safetensors file: ${(error as Error).message}`,
      { file: path, cause: error },
    );
  }
  try {
    const size = (await handle.stat()).size;
    if (size < 8) {
      throw new TrainerError(
        'CHECKPOINT',
        `the file is ${size} bytes, too short for a safetensors header length (8 bytes)`,
        { file: path },
      );
    }
    const prefix = new Uint8Array(8);
    await handle.read(prefix, 0, 8, 0);
    const headerLength = new DataView(prefix.buffer).getBigUint64(0, true);
    if (headerLength > BigInt(Math.min(MAX_HEADER_BYTES, size - 8))) {
      throw new TrainerError(
        'CHECKPOINT',
        `the header length ${headerLength} exceeds ${headerLength > BigInt(MAX_HEADER_BYTES) ? `the ${MAX_HEADER_BYTES}-byte limit` : `the ${size - 8} bytes after it`}; the file is truncated or not a safetensors file`,
        { file: path },
      );
    }
    const n = Number(headerLength);
    const headerBytes = new Uint8Array(n);
    await handle.read(headerBytes, 0, n, 8);
    let headerText: string;
    try {
      headerText = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
    } catch (error) {
      throw new TrainerError('CHECKPOINT', 'the header is not valid UTF-8', {
        file: path,
        cause: error,
      });
    }
    const dataStart = 8 + n;
    const { entries, metadata } = parseHeader(headerText, size - dataStart, path);
    const tensors = new Map<string, TensorData>();
    for (const e of entries) {
      const bytes = e.end - e.begin;
      const count = sizeOf(e.dims);
      let data = allocate(e.dtype, count);
      if (e.bf16) {
        const raw = new Uint16Array(count);
        await readExactly(handle, new Uint8Array(raw.buffer), dataStart + e.begin, path, e.name);
        const widened = new Uint32Array(count);
        for (let i = 0; i < count; i++) widened[i] = (raw[i] as number) << 16;
        data = new Float32Array(widened.buffer);
      } else if (bytes > 0) {
        await readExactly(
          handle,
          new Uint8Array(data.buffer, data.byteOffset, bytes),
          dataStart + e.begin,
          path,
          e.name,
        );
      }
      tensors.set(e.name, { dtype: e.dtype, dims: [...e.dims], data });
    }
    return { tensors, metadata };
  } finally {
    await handle.close();
  }
}

/** Positional writes in ≤ 1 GiB pieces (one write call moves at most ~2 GiB). */
async function writeAll(
  handle: Awaited<ReturnType<typeof open>>,
  bytes: Uint8Array,
  position: number,
): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const length = Math.min(bytes.byteLength - done, 1 << 30);
    const { bytesWritten } = await handle.write(bytes, done, length, position + done);
    done += bytesWritten;
  }
}

async function readExactly(
  handle: Awaited<ReturnType<typeof open>>,
  target: Uint8Array,
  position: number,
  path: string,
  tensor: string,
): Promise<void> {
  let done = 0;
  while (done < target.byteLength) {
    const { bytesRead } = await handle.read(
      target,
      done,
      target.byteLength - done,
      position + done,
    );
    if (bytesRead === 0) {
      throw new TrainerError(
        'CHECKPOINT',
        `tensor "${tensor}": the file ended after ${done} of its ${target.byteLength} bytes`,
        { file: path },
      );
    }
    done += bytesRead;
  }
}
