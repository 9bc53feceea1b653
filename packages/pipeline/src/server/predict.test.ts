// Predict and evaluate endpoints on tiny ONNX graphs built with @ft/trainer and registered in
// <home>/registry; expected values are computed by hand from the graphs.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRegistry } from '@ft/registry';
import { createGraphBuilder, toOnnxBytes } from '@ft/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FtServer, startServer } from '../index.js';
import { call } from './fixtures/client.js';

const json = { 'content-type': 'application/json' };
let home: string;
let server: FtServer;

/** y = 2x + 1 on float32 [N, 2]. */
function doubler(): Uint8Array {
  const b = createGraphBuilder({ name: 'doubler' });
  const x = b.input('x', 'float32', ['N', 2]);
  const y = b.op('Add', [b.op('Mul', [x, b.scalar('float32', 2)]), b.scalar('float32', 1)]);
  b.output(y, 'float32', ['N', 2]);
  return toOnnxBytes(b.graph);
}

/** Sum of the unpadded token ids per row: ReduceSum(Cast(input_ids * attention_mask)). */
function bagOfIds(): Uint8Array {
  const b = createGraphBuilder({ name: 'bag' });
  const ids = b.input('input_ids', 'int64', ['N', 'L']);
  const mask = b.input('attention_mask', 'int64', ['N', 'L']);
  const masked = b.op('Cast', [b.op('Mul', [ids, mask])], { to: 1 });
  const total = b.op('ReduceSum', [masked, b.int64s([1])], { keepdims: 0 });
  b.output(total, 'float32', ['N']);
  return toOnnxBytes(b.graph);
}

const special = {
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
};
const tokenizerJson = JSON.stringify({
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    { id: 0, content: '[PAD]', ...special },
    { id: 1, content: '[UNK]', ...special },
  ],
  normalizer: null,
  pre_tokenizer: { type: 'Whitespace' },
  post_processor: null,
  decoder: null,
  model: {
    type: 'WordLevel',
    vocab: { '[PAD]': 0, '[UNK]': 1, good: 2, bad: 3 },
    unk_token: '[UNK]',
  },
});

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'ft-predict-'));
  const registry = await createRegistry({ root: join(home, 'registry'), user: 'test' });
  const enc = new TextEncoder();
  await registry.register('doubler', { source: { 'model.onnx': doubler() } });
  await registry.setAlias('doubler', 'production', 1);
  await registry.register('bag', {
    source: {
      'model.onnx': bagOfIds(),
      'tokenizer.json': enc.encode(tokenizerJson),
      'tokenizer_config.json': enc.encode(
        JSON.stringify({ pad_token: '[PAD]', unk_token: '[UNK]' }),
      ),
    },
  });
  await registry.setAlias('bag', 'production', 1);
  await registry.register('no-onnx', { source: { 'weights.bin': new Uint8Array([1]) } });
  server = await startServer({ home, port: 0 });
});
afterAll(async () => {
  await server.close();
  await rm(home, { recursive: true, force: true });
});

describe('POST /v1/models/:name/predict and /evaluate', () => {
  it('runs the production version on JSON tensors', async () => {
    const reply = await call(server.url, 'POST', '/v1/models/doubler/predict', {
      body: JSON.stringify({ inputs: { x: { dims: [2, 2], data: [1, 0, -0.5, 3] } } }),
      headers: json,
    });
    expect(reply.status).toBe(200);
    const body = reply.json();
    expect(body.version).toBe(1);
    expect(Object.values(body.outputs)).toHaveLength(1);
    expect(Object.values(body.outputs)[0]).toEqual({
      dtype: 'float32',
      dims: [2, 2],
      data: [3, 1, 0, 7],
    });
  });

  it('tokenizes texts with the tokenizer registered beside the model', async () => {
    const reply = await call(server.url, 'POST', '/v1/models/bag/predict', {
      body: JSON.stringify({ texts: ['good', 'good bad bad', 'bad unknown'] }),
      headers: json,
    });
    expect(reply.status).toBe(200);
    const output = Object.values(reply.json().outputs)[0];
    // ids: [2] → 2; [2, 3, 3] → 8; [3, 1] → 4 (padding is masked out).
    expect(output).toEqual({ dtype: 'float32', dims: [3], data: [2, 8, 4] });
  });

  it('scores predictions against labels', async () => {
    const reply = await call(server.url, 'POST', '/v1/models/doubler/evaluate', {
      body: JSON.stringify({
        inputs: { x: { dims: [4, 2], data: [1, 0, 0, 1, 3, 1, 0, 0] } },
        labels: [0, 1, 0, 1],
      }),
      headers: json,
    });
    expect(reply.status).toBe(200);
    const body = reply.json();
    expect(body.predictions).toEqual([0, 1, 0, 0]);
    expect(body.metrics.accuracy).toBe(0.75);
    // Class 0: P 2/3, R 1 → F1 0.8; class 1: P 1, R 1/2 → F1 2/3; macro = 11/15.
    expect(body.metrics.f1Macro).toBeCloseTo(11 / 15, 12);
  });

  it('answers bad requests with 400/404/409 naming the field', async () => {
    const cases: [string, unknown, number, string | undefined][] = [
      ['doubler', { inputs: { x: { dims: [2, 2], data: [1, 2, 3] } } }, 400, 'inputs.x.data'],
      ['doubler', { inputs: { z: { dims: [1, 2], data: [1, 2] } } }, 400, 'inputs.z'],
      ['doubler', { texts: ['good'] }, 400, 'texts'],
      ['doubler', {}, 400, 'inputs'],
      ['doubler', { inputs: { x: { dims: [1, 2], data: ['a', 2] } } }, 400, 'inputs.x.data[0]'],
      [
        'doubler',
        { ref: 'staging', inputs: { x: { dims: [1, 2], data: [1, 2] } } },
        404,
        undefined,
      ],
      ['nope', { inputs: { x: { dims: [1, 2], data: [1, 2] } } }, 404, undefined],
      ['no-onnx', { ref: 1, inputs: { x: { dims: [1, 2], data: [1, 2] } } }, 409, 'model'],
    ];
    for (const [model, body, status, field] of cases) {
      const reply = await call(server.url, 'POST', `/v1/models/${model}/predict`, {
        body: JSON.stringify(body),
        headers: json,
      });
      expect([model, body, reply.status]).toEqual([model, body, status]);
      expect(reply.json().error.field).toBe(field);
    }
    const mismatch = await call(server.url, 'POST', '/v1/models/doubler/evaluate', {
      body: JSON.stringify({ inputs: { x: { dims: [1, 2], data: [1, 2] } }, labels: [0, 1] }),
      headers: json,
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.json().error.field).toBe('labels');
  });
});
