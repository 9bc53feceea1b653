// Export for transformers.js: the folder layout it loads locally, byte-exact copies, and clear
// errors for versions that lack a required file or hold a malformed one.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { sha256Hex } from '@ft/data';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectCode, seededBytes, tinyOnnx } from './deploy.fixtures.js';
import { createRegistry, exportForTransformersJs, type Registry } from './index.js';

let dir: { path: string; cleanup: () => Promise<void> };
let registry: Registry;
const encode = (text: string) => new TextEncoder().encode(text);
const config = encode('{"model_type":"bert","architectures":["BertForSequenceClassification"]}');
const tokenizer = encode('{"version":"1.0","model":{"type":"WordPiece","vocab":{"[UNK]":0}}}');
const tokenizerConfig = encode('{"tokenizer_class":"BertTokenizer","do_lower_case":true}');
const model = tinyOnnx('export', 24);

beforeEach(async () => {
  dir = await createTempDir('ft-registry-export-');
  registry = await createRegistry({ root: join(dir.path, 'registry') });
});

afterEach(async () => {
  await dir.cleanup();
});

async function listTree(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(root, join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

describe('exportForTransformersJs', () => {
  it('writes config, tokenizer files and onnx/model.onnx byte for byte, and nothing else', async () => {
    await registry.register('bert', {
      source: {
        'config.json': config,
        'tokenizer.json': tokenizer,
        'tokenizer_config.json': tokenizerConfig,
        'model.onnx': model,
        'train-log.txt': encode('epoch 1 loss 0.5'),
      },
    });
    const outDir = join(dir.path, 'models', 'bert');
    const result = await exportForTransformersJs(registry, { model: 'bert', ref: 1, outDir });
    expect(await listTree(outDir)).toEqual([
      'config.json',
      'onnx/model.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(new Uint8Array(await readFile(join(outDir, 'onnx', 'model.onnx')))).toEqual(model);
    expect(new Uint8Array(await readFile(join(outDir, 'config.json')))).toEqual(config);
    expect(new Uint8Array(await readFile(join(outDir, 'tokenizer.json')))).toEqual(tokenizer);
    expect(new Uint8Array(await readFile(join(outDir, 'tokenizer_config.json')))).toEqual(
      tokenizerConfig,
    );
    expect(result).toEqual({
      outDir,
      model: 'bert',
      version: 1,
      generated: [],
      files: [
        {
          path: 'config.json',
          from: 'config.json',
          sha256: sha256Hex(config),
          size: config.length,
        },
        {
          path: 'onnx/model.onnx',
          from: 'model.onnx',
          sha256: sha256Hex(model),
          size: model.length,
        },
        {
          path: 'tokenizer.json',
          from: 'tokenizer.json',
          sha256: sha256Hex(tokenizer),
          size: tokenizer.length,
        },
        {
          path: 'tokenizer_config.json',
          from: 'tokenizer_config.json',
          sha256: sha256Hex(tokenizerConfig),
          size: tokenizerConfig.length,
        },
      ],
    });
    // Only the folder itself appears beside it: the build folder was renamed into place.
    expect(await readdir(join(dir.path, 'models'))).toEqual(['bert']);
  });

  it('takes onnx/model.onnx with its external data, and writes a default tokenizer_config.json', async () => {
    const data = seededBytes('weights', 2048);
    await registry.register('bert', {
      source: {
        'config.json': config,
        'tokenizer.json': tokenizer,
        'onnx/model.onnx': model,
        'onnx/model.onnx_data': data,
        'generation_config.json': encode('{"max_length":20}'),
      },
    });
    await registry.setAlias('bert', 'production', 1);
    const outDir = join(dir.path, 'out');
    const result = await exportForTransformersJs(registry, {
      model: 'bert',
      ref: 'production',
      outDir,
    });
    expect(await listTree(outDir)).toEqual([
      'config.json',
      'generation_config.json',
      'onnx/model.onnx',
      'onnx/model.onnx_data',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    expect(result.generated).toEqual(['tokenizer_config.json']);
    expect(await readFile(join(outDir, 'tokenizer_config.json'), 'utf8')).toBe('{}\n');
    expect(new Uint8Array(await readFile(join(outDir, 'onnx', 'model.onnx_data')))).toEqual(data);
  });

  it('names every missing file', async () => {
    await registry.register('half', { source: { 'config.json': config, 'weights.bin': model } });
    const error = await expectCode(
      exportForTransformersJs(registry, { model: 'half', ref: 1, outDir: join(dir.path, 'x') }),
      'INVALID_ARTIFACT',
    );
    expect(error.message).toContain('tokenizer.json');
    expect(error.message).toContain('onnx/model.onnx (or model.onnx)');
    expect(error.message).not.toContain('lacks config.json');
    expect(error.version).toBe(1);
  });

  it('refuses malformed JSON files', async () => {
    await registry.register('bad', {
      source: {
        'config.json': encode('{"model_type":'),
        'tokenizer.json': tokenizer,
        'model.onnx': model,
      },
    });
    const error = await expectCode(
      exportForTransformersJs(registry, { model: 'bad', ref: 1, outDir: join(dir.path, 'x') }),
      'INVALID_ARTIFACT',
    );
    expect(error.path).toBe('config.json');
    await registry.register('bad', {
      source: { 'config.json': config, 'tokenizer.json': encode('[1, 2]'), 'model.onnx': model },
    });
    const array = await expectCode(
      exportForTransformersJs(registry, { model: 'bad', ref: 2, outDir: join(dir.path, 'x') }),
      'INVALID_ARTIFACT',
    );
    expect(array.path).toBe('tokenizer.json');
    await expectCode(
      exportForTransformersJs(registry, { model: 'bad', ref: 2, outDir: '' }),
      'INVALID_ARGUMENT',
    );
    await expect(readdir(join(dir.path, 'x'))).rejects.toThrow();
  });

  it('replaces a non-empty folder only when asked', async () => {
    await registry.register('bert', {
      source: { 'config.json': config, 'tokenizer.json': tokenizer, 'model.onnx': model },
    });
    const outDir = join(dir.path, 'out');
    await mkdir(outDir);
    await writeFile(join(outDir, 'old.txt'), 'old');
    await expectCode(
      exportForTransformersJs(registry, { model: 'bert', ref: 1, outDir }),
      'ALREADY_EXISTS',
    );
    expect(await readdir(outDir)).toEqual(['old.txt']);
    await exportForTransformersJs(registry, { model: 'bert', ref: 1, outDir, overwrite: true });
    expect(await listTree(outDir)).toEqual([
      'config.json',
      'onnx/model.onnx',
      'tokenizer.json',
      'tokenizer_config.json',
    ]);
    await writeFile(join(dir.path, 'file'), 'x');
    await expectCode(
      exportForTransformersJs(registry, {
        model: 'bert',
        ref: 1,
        outDir: join(dir.path, 'file'),
        overwrite: true,
      }),
      'ALREADY_EXISTS',
    );
  });
});
