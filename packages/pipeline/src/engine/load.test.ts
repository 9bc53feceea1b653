// Pipeline loading: schema, interpolation and the file/path/line in every error.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are YAML with ${VAR} references.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStepRegistry, loadPipeline, PipelineError } from '../index.js';
import { testSteps } from './fixtures/steps.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-pipeline-load-'));
});
afterEach(() => cleanup());

async function write(yaml: string): Promise<string> {
  const file = join(dir, 'pipeline.yaml');
  await writeFile(file, yaml);
  return file;
}

async function loadError(
  yaml: string,
  options: Parameters<typeof loadPipeline>[1] = {},
): Promise<PipelineError> {
  const file = await write(yaml);
  const error = await loadPipeline(file, options).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(PipelineError);
  const pipelineError = error as PipelineError;
  expect(pipelineError.path).toBe(file);
  return pipelineError;
}

const registry = createStepRegistry(testSteps);

describe('loadPipeline', () => {
  it('fills defaults and keeps file order', async () => {
    const file = await write(
      [
        'name: demo',
        'steps:',
        '  - id: a',
        '    type: write',
        '    params: { text: hi }',
        '  - id: b',
        '    type: concat',
        '    needs: [a]',
        '    retry: { attempts: 3 }',
        '    enabled: false',
      ].join('\n'),
    );
    const config = await loadPipeline(file, { registry });
    expect(config).toEqual({
      name: 'demo',
      env: {},
      steps: [
        {
          id: 'a',
          type: 'write',
          params: { name: 'out.txt', text: 'hi' },
          needs: [],
          enabled: true,
          retry: { attempts: 1, backoffMs: 1000 },
        },
        {
          id: 'b',
          type: 'concat',
          params: { into: 'all.txt', separator: '' },
          needs: ['a'],
          enabled: false,
          retry: { attempts: 3, backoffMs: 1000 },
        },
      ],
    });
  });

  it('interpolates ${VAR} from options.env, then process.env, then the file env', async () => {
    process.env.FT_LOAD_TEST_B = 'from-process';
    process.env.FT_LOAD_TEST_A = 'process-loses';
    try {
      const file = await write(
        [
          'name: demo',
          'env: { FT_LOAD_TEST_A: file-a, FT_LOAD_TEST_B: file-b, FT_LOAD_TEST_C: file-c, N: 4 }',
          'steps:',
          '  - id: a',
          '    type: write',
          '    params:',
          '      text: "${FT_LOAD_TEST_A}/${FT_LOAD_TEST_B}/${FT_LOAD_TEST_C}/${UNSET_X:-dflt}"',
          '      name: "${N}.txt"',
          '      nested: ["${N}", "$${N}", { deep: "${FT_LOAD_TEST_C}" }]',
          '      count: ${N}',
          '      flag: ${FLAG:-true}',
        ].join('\n'),
      );
      // No registry: params are interpolated but not validated, so extra keys stay.
      const config = await loadPipeline(file, { env: { FT_LOAD_TEST_A: 'from-option' } });
      expect(config.env).toEqual({
        FT_LOAD_TEST_A: 'file-a',
        FT_LOAD_TEST_B: 'file-b',
        FT_LOAD_TEST_C: 'file-c',
        N: '4',
      });
      expect(config.steps[0]!.params).toEqual({
        text: 'from-option/from-process/file-c/dflt',
        name: '4.txt',
        nested: [4, '${N}', { deep: 'file-c' }],
        count: 4,
        flag: true,
      });
    } finally {
      delete process.env.FT_LOAD_TEST_A;
      delete process.env.FT_LOAD_TEST_B;
    }
  });

  it('reports malformed YAML with its line', async () => {
    const error = await loadError('name: demo\nsteps:\n  - id: a\n    type: [write\n');
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.field).toBe('line 5');
    expect(error.problem).toMatch(/^malformed YAML: Flow sequence in block collection .*[^:]$/);
  });

  it('reports duplicate keys with their line', async () => {
    const error = await loadError('name: demo\nname: again\nsteps: []\n');
    expect(error.field).toBe('line 2');
  });

  it('reports a wrong type with the YAML path and line', async () => {
    const error = await loadError(
      [
        'name: demo',
        'steps:',
        '  - id: a',
        '    type: write',
        '    params: { text: hi }',
        '    retry:',
        '      attempts: "three"',
      ].join('\n'),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.field).toBe('steps[0].retry.attempts:7');
    expect(error.problem).toMatch(/expected int|expected number/);
  });

  it('points at an unknown key', async () => {
    const error = await loadError(
      'name: demo\nsteps:\n  - id: a\n    type: write\n    needz: [b]\n',
    );
    expect(error.field).toBe('steps[0].needz:5');
    expect(error.problem).toContain('needz');
  });

  it('names a missing required field at its parent', async () => {
    const error = await loadError('name: demo\nsteps:\n  - id: a\n    params: {}\n');
    expect(error.field).toBe('steps[0].type:3');
  });

  it('validates params with the step schema (path and line)', async () => {
    const error = await loadError(
      [
        'name: demo',
        'steps:',
        '  - id: first',
        '    type: write',
        '    params: { text: ok }',
        '  - id: second',
        '    type: write',
        '    params:',
        '      name: x.txt',
        '      text: 42',
      ].join('\n'),
      { registry },
    );
    expect(error.field).toBe('steps[1].params.text:10');
    expect(error.problem).toContain('expected string');
  });

  it('rejects unknown step types, naming the step', async () => {
    const error = await loadError(
      'name: demo\nsteps:\n  - id: a\n    type: write\n    params: { text: x }\n  - id: b\n    type: trian\n',
      { registry },
    );
    expect(error.field).toBe('steps[1].type:7');
    expect(error.problem).toContain('step "b": unknown step type "trian"');
    expect(error.problem).toContain('known types: concat, flaky, read, wait, write');
  });

  it('rejects duplicate ids and needs on unknown ids', async () => {
    const duplicate = await loadError(
      'name: d\nsteps:\n  - id: a\n    type: write\n  - id: a\n    type: write\n',
    );
    expect(duplicate.field).toBe('steps[1].id:5');
    expect(duplicate.problem).toContain('duplicate step id "a"');
    const unknown = await loadError(
      'name: d\nsteps:\n  - id: a\n    type: write\n    needs:\n      - a0\n',
    );
    expect(unknown.field).toBe('steps[0].needs[0]:6');
    expect(unknown.problem).toContain('needs unknown step "a0"');
  });

  it('rejects cycles, naming the steps', async () => {
    const error = await loadError(
      [
        'name: d',
        'steps:',
        '  - id: a',
        '    type: write',
        '  - id: b',
        '    type: write',
        '    needs: [a, c]',
        '  - id: c',
        '    type: write',
        '    needs: [b]',
      ].join('\n'),
    );
    expect(error.field).toBe('steps[1].needs:7');
    expect(error.problem).toContain('"b" → "c" → "b"');
  });

  it('names the YAML path of an unset variable', async () => {
    const error = await loadError(
      'name: d\nsteps:\n  - id: a\n    type: write\n    params:\n      text: "x-${FT_SURELY_UNSET_VAR}"\n',
    );
    expect(error.field).toBe('steps[0].params.text:6');
    expect(error.problem).toContain('${FT_SURELY_UNSET_VAR} is not set');
  });

  it('rejects an invalid step id and an empty pipeline', async () => {
    const badId = await loadError('name: d\nsteps:\n  - id: ../x\n    type: write\n');
    expect(badId.field).toBe('steps[0].id:3');
    const empty = await loadError('name: d\nsteps: []\n');
    expect(empty.field).toBe('steps:2');
    expect(empty.problem).toContain('at least one step');
  });

  it('throws NOT_FOUND for a missing file', async () => {
    const error = await loadPipeline(join(dir, 'nope.yaml')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('NOT_FOUND');
  });
});

describe('createStepRegistry', () => {
  it('lists, gets and rejects duplicates or non-steps', () => {
    const reg = createStepRegistry(testSteps.slice(0, 2));
    expect(reg.types()).toEqual(['concat', 'write']);
    expect(reg.get('write')).toBe(testSteps[0]);
    expect(reg.get('nope')).toBeUndefined();
    expect(() => reg.register(testSteps[0]!)).toThrow(/already registered/);
    expect(() => reg.register({ type: 'x' } as never)).toThrow(/`run` must be a function/);
  });
});
