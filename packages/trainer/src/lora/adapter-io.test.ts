// saveAdapter / loadAdapter: PEFT's file layout and config fields, a save → load round trip with
// identical outputs, and validation errors that name the file, field or tensor.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TensorData } from '../ir/types.js';
import { readSafetensors, writeSafetensors } from '../weights/safetensors.js';
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  loadAdapter,
  saveAdapter,
} from './adapter-io.js';
import { applyLora } from './apply.js';
import { mergeLora } from './merge.js';
import { forward, maxAbsDiff, randomize, signalBatch, tinyBert } from './testing.js';

describe('saveAdapter / loadAdapter', () => {
  let dir: { path: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    dir = await createTempDir('ft-lora-');
  });
  afterAll(async () => {
    await dir.cleanup();
  });

  it('round-trips an adapter in PEFT layout with identical outputs', async () => {
    // A training graph (adapter dropout on); values as after training: B ≠ 0 and a new head.
    const lora = applyLora(tinyBert({ training: true }), {
      r: 4,
      alpha: 16,
      dropout: 0.1,
      rsLora: true,
      targetModules: ['query', 'value'],
      modulesToSave: ['classifier'],
      seed: 3,
    });
    const trained = new Map<string, TensorData>();
    for (const [i, name] of lora.trainable.entries()) {
      const g = { ...lora.graph, initializers: new Map(lora.graph.initializers) };
      randomize(g, name, 50 + i, 0.3);
      trained.set(name, g.initializers.get(name) as TensorData);
    }
    const { feeds } = signalBatch(8, 2);
    const out = join(dir.path, 'adapter');
    const saved = await saveAdapter(out, lora, {
      parameters: trained,
      baseModelNameOrPath: 'tiny-bert',
      taskType: 'SEQ_CLS',
    });

    const config = JSON.parse(await readFile(join(out, ADAPTER_CONFIG_FILE), 'utf8'));
    expect(config).toEqual({
      peft_type: 'LORA',
      task_type: 'SEQ_CLS',
      base_model_name_or_path: 'tiny-bert',
      r: 4,
      lora_alpha: 16,
      lora_dropout: 0.1,
      target_modules: ['query', 'value'],
      modules_to_save: ['classifier'],
      use_rslora: true,
      fan_in_fan_out: false,
      bias: 'none',
      inference_mode: true,
      init_lora_weights: true,
    });
    expect(saved.config).toEqual(config);
    const file = await readSafetensors(join(out, ADAPTER_WEIGHTS_FILE));
    expect([...file.tensors.keys()].sort()).toEqual(
      lora.trainable.map((n) => `base_model.model.${n}`).sort(),
    );
    // PEFT's storage layout: lora_A [r, in], lora_B [out, r], values as trained.
    const key = 'base_model.model.bert.encoder.layer.1.attention.self.value';
    expect(file.tensors.get(`${key}.lora_A.weight`)?.dims).toEqual([4, 32]);
    expect(file.tensors.get(`${key}.lora_B.weight`)?.dims).toEqual([32, 4]);
    expect(file.tensors.get(`${key}.lora_B.weight`)?.data).toEqual(
      trained.get('bert.encoder.layer.1.attention.self.value.lora_B.weight')?.data,
    );

    // Loading onto a fresh eval base reproduces the trained model's outputs exactly.
    const loaded = await loadAdapter(out, tinyBert());
    expect(loaded.trainable).toEqual(lora.trainable);
    expect(loaded.modules[0]?.scale).toBeCloseTo(16 / Math.sqrt(4), 15);
    const reference = applyLora(tinyBert(), {
      r: 4,
      alpha: 16,
      rsLora: true,
      targetModules: ['query', 'value'],
      modulesToSave: ['classifier'],
      training: false,
    });
    for (const [name, t] of trained) reference.graph.initializers.set(name, t);
    const a = await forward(loaded.graph, feeds);
    const b = await forward(reference.graph, feeds);
    expect(maxAbsDiff(a.logits as TensorData, b.logits as TensorData)).toBe(0);
    // And merging the loaded adapter gives the same logits with plain weights.
    const merged = await forward(mergeLora(loaded).graph, feeds);
    expect(maxAbsDiff(merged.logits as TensorData, a.logits as TensorData)).toBeLessThan(1e-5);
  });

  it('writes a RegExp target as PEFT full-match regex that loads back to the same modules', async () => {
    const lora = applyLora(tinyBert(), { r: 2, targetModules: /attention\.self\.(query|key)$/ });
    const out = join(dir.path, 'regex');
    await saveAdapter(out, lora);
    const config = JSON.parse(await readFile(join(out, ADAPTER_CONFIG_FILE), 'utf8'));
    expect(config.target_modules).toBe('.*(?:attention\\.self\\.(query|key)$).*');
    expect(config.modules_to_save).toBeNull();
    const loaded = await loadAdapter(out, tinyBert());
    expect(loaded.modules.map((m) => m.module)).toEqual(lora.modules.map((m) => m.module));
  });

  it('names the file, field or tensor when an adapter folder is wrong', async () => {
    const lora = applyLora(tinyBert(), { r: 2, targetModules: ['query'] });
    const good = join(dir.path, 'good');
    await saveAdapter(good, lora);
    const configPath = join(good, ADAPTER_CONFIG_FILE);
    const configText = await readFile(configPath, 'utf8');
    const withConfig = async (name: string, text: string) => {
      const d = join(dir.path, name);
      await saveAdapter(d, lora);
      await writeFile(join(d, ADAPTER_CONFIG_FILE), text);
      return d;
    };

    await expect(loadAdapter(join(dir.path, 'missing'), tinyBert())).rejects.toThrow(
      /missing\/adapter_config\.json: cannot read the adapter config/,
    );
    await expect(loadAdapter(await withConfig('bad-json', '{"r": 2,'), tinyBert())).rejects.toThrow(
      /bad-json\/adapter_config\.json: is not valid JSON/,
    );
    const edited = (patch: Record<string, unknown>) =>
      JSON.stringify({ ...JSON.parse(configText), ...patch });
    await expect(
      loadAdapter(await withConfig('bad-r', edited({ r: 0 })), tinyBert()),
    ).rejects.toThrow(/adapter_config\.json: field "r" must be a positive integer, got 0/);
    await expect(
      loadAdapter(await withConfig('bad-type', edited({ peft_type: 'IA3' })), tinyBert()),
    ).rejects.toThrow(/field "peft_type" must be "LORA", got "IA3"/);
    await expect(
      loadAdapter(await withConfig('bad-targets', edited({ target_modules: [] })), tinyBert()),
    ).rejects.toThrow(/field "target_modules" must be a non-empty list/);
    await expect(
      loadAdapter(await withConfig('bad-dropout', edited({ lora_dropout: 'x' })), tinyBert()),
    ).rejects.toThrow(/field "lora_dropout" must be a number in \[0, 1\)/);

    // A missing tensor.
    const missing = join(dir.path, 'missing-tensor');
    await saveAdapter(missing, lora);
    const tensors = (await readSafetensors(join(missing, ADAPTER_WEIGHTS_FILE))).tensors;
    tensors.delete('base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight');
    await writeSafetensors(join(missing, ADAPTER_WEIGHTS_FILE), tensors);
    await expect(loadAdapter(missing, tinyBert())).rejects.toThrow(
      /adapter_model\.safetensors: tensor "base_model\.model\.bert\.encoder\.layer\.1\.attention\.self\.query\.lora_B\.weight" is missing/,
    );

    // A base model of another width: the shapes do not fit.
    await expect(loadAdapter(good, tinyBert({ config: { hidden_size: 16 } }))).rejects.toThrow(
      /good\/adapter_model\.safetensors: tensor "base_model\.model\.bert\.encoder\.layer\.0\.attention\.self\.query\.lora_A\.weight" is \[2, 32\] but the base model needs \[2, 16\]/,
    );
    // A base model with fewer layers: a tensor in the file has no place.
    await expect(loadAdapter(good, tinyBert({ config: { num_hidden_layers: 1 } }))).rejects.toThrow(
      /tensor "base_model\.model\.bert\.encoder\.layer\.1\.attention\.self\.query\.lora_A\.weight" does not belong to this adapter/,
    );
  });
});
