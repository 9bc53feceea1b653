// Exported inference models: a fresh session on model.onnx reproduces TrainingStep.evaluate.
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { tensor } from '../ir/tensor.js';
import { createSession } from '../runtime/session.js';
import { buildMlp, makeClusters } from '../step/testing.js';
import { createTrainingStep } from '../step/training-step.js';
import { readSafetensors } from '../weights/safetensors.js';
import { exportInferenceModel } from './inference-model.js';

let dir: { path: string; cleanup: () => Promise<void> };
beforeEach(async () => {
  dir = await createTempDir('ft-export-');
});
afterEach(() => dir.cleanup());

describe('exportInferenceModel', () => {
  it('writes a forward-only model whose logits match TrainingStep.evaluate, and its weights', async () => {
    const graph = buildMlp({ dropout: 0.3 });
    const data = makeClusters(12);
    const step = await createTrainingStep({
      graph,
      loss: 'loss',
      optimizer: { type: 'adamw' },
      outputs: ['logits'],
      session: { threads: 1 },
    });
    for (let i = 0; i < 10; i++) await step.run(data, 0.05);
    const evaluated = await step.evaluate(data);
    const parameters = step.getParameters();

    for (const [folder, threshold] of [
      ['inline', undefined],
      ['external', 0],
    ] as const) {
      const outputDir = join(dir.path, folder, 'onnx');
      const exported = await exportInferenceModel({
        graph,
        parameters,
        outputDir,
        outputs: ['logits'],
        ...(threshold === undefined ? {} : { externalDataThreshold: threshold }),
      });
      // Labels only fed the loss; dropout is gone.
      expect(exported.inputs).toEqual(['x']);
      expect(exported.outputs).toEqual(['logits']);
      expect(exported.externalDataPath === undefined).toBe(threshold === undefined);
      const files = (await readdir(outputDir)).sort();
      expect(files).toEqual(
        threshold === undefined
          ? ['model.onnx', 'model.safetensors']
          : ['model.onnx', 'model.onnx.data', 'model.safetensors'],
      );

      const session = await createSession(exported.modelPath, { threads: 1 });
      expect(session.inputNames).toEqual(['x']);
      const out = await session.run({ x: data.x });
      const logits = Array.from(out.logits?.data as Float32Array);
      const expected = Array.from(evaluated.outputs.logits?.data as Float32Array);
      expect(logits.length).toBe(36);
      let worst = 0;
      logits.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - (expected[i] as number)));
      });
      expect(worst).toBeLessThan(1e-5);
      await session.release();

      const weights = await readSafetensors(exported.weightsPath);
      expect(weights.metadata).toEqual({ format: 'pt' });
      expect([...weights.tensors.keys()].sort()).toEqual([...parameters.keys()].sort());
      for (const [name, value] of parameters) {
        expect(Array.from(weights.tensors.get(name)?.data as Float32Array)).toEqual(
          Array.from(value.data as Float32Array),
        );
      }
    }
    // The trained weights differ from the initial ones, so the match above is not trivial.
    const initial = Array.from(graph.initializers.get('fc2.bias')?.data as Float32Array);
    expect(Array.from(parameters.get('fc2.bias')?.data as Float32Array)).not.toEqual(initial);
    expect(
      (await stat(join(dir.path, 'external', 'onnx', 'model.onnx.data'))).size,
    ).toBeGreaterThan(0);
    await step.release();
  });

  it('rejects parameters that do not match the graph, naming them', async () => {
    const graph = buildMlp();
    const attempt = (parameters: Map<string, ReturnType<typeof tensor>>) =>
      exportInferenceModel({ graph, parameters, outputDir: dir.path, outputs: ['logits'] }).then(
        () => undefined,
        (e: unknown) => e as TrainerError,
      );
    const wrongShape = await attempt(new Map([['fc1.bias', tensor('float32', [3], [0, 0, 0])]]));
    expect(wrongShape).toBeInstanceOf(TrainerError);
    expect(wrongShape?.code).toBe('CHECKPOINT');
    expect(wrongShape?.message).toMatch(
      /"fc1.bias" is float32 \[3\] but graph "mlp" has float32 \[8\]/,
    );
    const unknown = await attempt(new Map([['head.weight', tensor('float32', [1], [0])]]));
    expect(unknown?.message).toMatch(/"head.weight" is not an initializer/);
    const missingOutput = await exportInferenceModel({
      graph,
      parameters: new Map(),
      outputDir: dir.path,
      outputs: ['probs'],
    }).then(
      () => undefined,
      (e: unknown) => e as TrainerError,
    );
    expect(missingOutput?.code).toBe('INVALID_ARGUMENT');
  });
});
