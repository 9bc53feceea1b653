// Custom steps (`module:<path>#<export>`): loading, validation of the export, caching by code.
import { readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStepRegistry, loadPipeline, PipelineError, runPipeline } from '../index.js';

const fixture = fileURLToPath(new URL('./fixtures/custom-steps.ts', import.meta.url));

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-pipeline-custom-'));
});
afterEach(() => cleanup());

async function pipeline(type: string, params = '{ text: hey }'): Promise<string> {
  const file = join(dir, 'pipeline.yaml');
  await writeFile(
    file,
    ['name: custom', 'steps:', '  - id: loud', `    type: "${type}"`, `    params: ${params}`].join(
      '\n',
    ),
  );
  return file;
}

describe('custom module steps', () => {
  it('loads a step from a module relative to the pipeline file and runs it', async () => {
    const type = `module:${relative(dir, fixture)}#shout`;
    const registry = createStepRegistry();
    const config = await loadPipeline(await pipeline(type), { registry });
    // Defaults from the module's own schema are filled in.
    expect(config.steps[0]!.params).toEqual({ text: 'hey', times: 2 });
    const state = await runPipeline(await pipeline(type), {
      runsDir: join(dir, 'runs'),
      runId: 'r1',
      registry,
    });
    expect(state.status).toBe('succeeded');
    expect(state.steps.loud!.output).toEqual({
      files: { shout: 'steps/loud/shout.txt' },
      values: { text: 'HEYHEY' },
    });
    expect(await readFile(join(dir, 'runs/r1/steps/loud/shout.txt'), 'utf8')).toBe('HEYHEY');
  });

  it('uses the default export when no export is named', async () => {
    const registry = createStepRegistry();
    const config = await loadPipeline(
      await pipeline(`module:${relative(dir, fixture)}`, '{ text: a, times: 3 }'),
      {
        registry,
      },
    );
    expect(config.steps[0]!.params).toEqual({ text: 'a', times: 3 });
  });

  it('misses the cache when the module file changes', async () => {
    // A plain JS module beside the pipeline; its schema only needs zod's safeParse shape.
    const copy = join(dir, 'echo-step.mjs');
    await writeFile(
      copy,
      [
        "import { writeFile } from 'node:fs/promises';",
        "import { join } from 'node:path';",
        'export const shout = {',
        "  type: 'echo', description: 'echo', version: '1',",
        '  params: { safeParse: (data) => ({ success: true, data }) },',
        '  async run({ params, outDir }) {',
        "    await writeFile(join(outDir, 'echo.txt'), params.text);",
        "    return { files: { echo: join(outDir, 'echo.txt') }, values: {} };",
        '  },',
        '};',
      ].join('\n'),
    );
    const file = await pipeline('module:./echo-step.mjs#shout');
    const runsDir = join(dir, 'runs');
    await runPipeline(file, { runsDir, runId: 'r1', registry: createStepRegistry() });
    const again = await runPipeline(file, { runsDir, runId: 'r2', registry: createStepRegistry() });
    expect(again.steps.loud!.status).toBe('cached');
    await writeFile(copy, `${await readFile(copy, 'utf8')}\n// edited\n`);
    const edited = await runPipeline(file, {
      runsDir,
      runId: 'r3',
      registry: createStepRegistry(),
    });
    expect(edited.steps.loud!.status).toBe('succeeded');
  });

  it.each([
    ['#notAStep', '`run` must be a function'],
    ['#missing', 'has no export "missing"'],
  ])('rejects %s with the step path and line', async (suffix, problem) => {
    const file = await pipeline(`module:${relative(dir, fixture)}${suffix}`);
    const error = await loadPipeline(file, { registry: createStepRegistry() }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('INVALID_CONFIG');
    expect((error as PipelineError).field).toBe('steps[0].type:4');
    expect((error as PipelineError).problem).toContain(problem);
  });

  it('rejects a module file that does not exist and an invalid param', async () => {
    const missing = await loadPipeline(await pipeline('module:./nope.ts#x'), {
      registry: createStepRegistry(),
    }).catch((caught: unknown) => caught as PipelineError);
    expect(missing).toMatchObject({ code: 'INVALID_CONFIG', field: 'steps[0].type:4' });
    expect((missing as PipelineError).problem).toContain(`${join(dir, 'nope.ts')} does not exist`);
    const badParam = await loadPipeline(
      await pipeline(`module:${relative(dir, fixture)}#shout`, '{ text: a, times: 0 }'),
      { registry: createStepRegistry() },
    ).catch((caught: unknown) => caught as PipelineError);
    expect(badParam).toMatchObject({ code: 'INVALID_CONFIG', field: 'steps[0].params.times:5' });
  });
});
