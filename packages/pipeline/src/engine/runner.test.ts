// Running pipelines: DAG order, skips, the step cache, retries, events, logs and the run folder.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are YAML with ${VAR} references.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTempDir } from '@ft/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createStepRegistry,
  followRunEvents,
  listRuns,
  type PipelineEvent,
  readRunEvents,
  readRunState,
  runPipeline,
  type StepRegistry,
} from '../index.js';
import { readStep, testSteps, writeStep } from './fixtures/steps.js';

let dir: string;
let runsDir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ path: dir, cleanup } = await createTempDir('ft-pipeline-run-'));
  runsDir = join(dir, 'runs');
});
afterEach(() => cleanup());

const registry = createStepRegistry(testSteps);

async function pipeline(lines: string[], name = 'pipeline.yaml'): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, lines.join('\n'));
  return file;
}

async function run(file: string, runId: string, reg: StepRegistry = registry) {
  const events: PipelineEvent[] = [];
  const state = await runPipeline(file, {
    runsDir,
    runId,
    registry: reg,
    onEvent: (event) => events.push(event),
  });
  const byType = (type: PipelineEvent['type']) =>
    events.filter((event) => event.type === type).map((event) => (event as { step: string }).step);
  return { state, events, byType };
}

// c needs a and b; b needs a: file order is not run order.
const diamond = [
  'name: diamond',
  'steps:',
  '  - id: c',
  '    type: concat',
  '    needs: [a, b]',
  '    params: { separator: "+" }',
  '  - id: a',
  '    type: write',
  '    params: { text: "${A_TEXT:-A}" }',
  '  - id: b',
  '    type: write',
  '    needs: [a]',
  '    params: { text: B, name: b.txt }',
];

describe('runPipeline', () => {
  it('runs steps in topological order and records the run folder', async () => {
    const file = await pipeline(diamond);
    const { state, events, byType } = await run(file, 'r1');
    expect(byType('step-start')).toEqual(['a', 'b', 'c']);
    expect(byType('step-end')).toEqual(['a', 'b', 'c']);
    expect(events[0]).toMatchObject({ type: 'run-start', runId: 'r1', pipeline: 'diamond' });
    expect(events.at(-1)).toMatchObject({ type: 'run-end', runId: 'r1', status: 'succeeded' });
    expect(state.status).toBe('succeeded');
    expect(state.pipelinePath).toBe(file);
    expect(state.steps.c).toMatchObject({
      status: 'succeeded',
      attempts: 1,
      output: { files: { 'all.txt': 'steps/c/all.txt' }, values: { text: 'A+B' } },
    });
    const runDir = join(runsDir, 'r1');
    expect(await readFile(join(runDir, 'steps/c/all.txt'), 'utf8')).toBe('A+B');
    // run.json, the journal and the events file agree with what the caller saw.
    expect(JSON.parse(await readFile(join(runDir, 'run.json'), 'utf8'))).toEqual(state);
    expect(await readRunState(runDir)).toEqual(state);
    expect(await readRunEvents(runDir)).toEqual(events);
    expect(await readFile(join(runDir, 'pipeline.yaml'), 'utf8')).toBe(diamond.join('\n'));
    const journal = (await readFile(join(runDir, 'journal.jsonl'), 'utf8')).trim().split('\n');
    // run entry + (running, succeeded) per step + final status.
    expect(journal).toHaveLength(1 + 3 * 2 + 1);
    // Logs and the step's own metric event.
    expect(await readFile(join(runDir, 'logs/a.log'), 'utf8')).toMatch(
      /INFO attempt 1 of 1 started[^\n]*\n[^\n]*INFO wrote 1 characters\n[^\n]*INFO succeeded in/,
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'metric', runId: 'r1', step: 'b', name: 'chars', value: 1 }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'log',
        step: 'a',
        level: 'info',
        message: 'wrote 1 characters',
      }),
    );
  });

  it('skips disabled steps and the steps that need them', async () => {
    const file = await pipeline([
      'name: skip',
      'steps:',
      '  - id: a',
      '    type: write',
      '    params: { text: A }',
      '    enabled: false',
      '  - id: b',
      '    type: concat',
      '    needs: [a]',
      '  - id: c',
      '    type: write',
      '    params: { text: C }',
    ]);
    const { state, events } = await run(file, 'r1');
    expect(state.status).toBe('succeeded');
    expect(state.steps.a).toMatchObject({ status: 'skipped' });
    expect(state.steps.b).toMatchObject({ status: 'skipped' });
    expect(state.steps.c).toMatchObject({ status: 'succeeded' });
    const skips = events.filter((event) => event.type === 'step-skipped');
    expect(skips.map((event) => [event.step, event.reason])).toEqual([
      ['a', 'disabled in the pipeline file (enabled: false)'],
      ['b', 'needs step "a", which was skipped'],
    ]);
  });

  it('reuses every step from the cache when nothing changed', async () => {
    const file = await pipeline(diamond);
    const first = await run(file, 'r1');
    const second = await run(file, 'r2');
    expect(second.byType('step-cached')).toEqual(['a', 'b', 'c']);
    expect(second.byType('step-start')).toEqual([]);
    expect(second.state.status).toBe('succeeded');
    for (const id of ['a', 'b', 'c']) {
      expect(second.state.steps[id]!.status).toBe('cached');
      expect(second.state.steps[id]!.fingerprint).toBe(first.state.steps[id]!.fingerprint);
      expect(second.state.steps[id]!.output).toEqual(first.state.steps[id]!.output);
    }
    // Outputs are copied into the new run's own step folders.
    expect(await readFile(join(runsDir, 'r2/steps/c/all.txt'), 'utf8')).toBe('A+B');
    expect(await readFile(join(runsDir, 'r2/steps/b/b.txt'), 'utf8')).toBe('B');
    const cached = second.events.find((event) => event.type === 'step-cached');
    expect(cached).toMatchObject({ step: 'a', fingerprint: first.state.steps.a!.fingerprint });
  });

  it('misses the cache for a changed param and the steps downstream of it', async () => {
    const file = await pipeline(diamond);
    await run(file, 'r1');
    process.env.A_TEXT = 'Z';
    try {
      const changed = await run(file, 'r2');
      expect(changed.byType('step-start')).toEqual(['a', 'b', 'c']);
      expect(changed.state.steps.c!.output!.values).toEqual({ text: 'Z+B' });
    } finally {
      delete process.env.A_TEXT;
    }
    // Only b's own param changes: a stays cached, b and c (its input changed) rerun.
    const otherB = diamond.map((line) => line.replace('text: B,', 'text: BB,'));
    const partly = await run(await pipeline(otherB), 'r3');
    expect(partly.byType('step-cached')).toEqual(['a']);
    expect(partly.byType('step-start')).toEqual(['b', 'c']);
    expect(partly.state.steps.c!.output!.values).toEqual({ text: 'A+BB' });
  });

  it('misses the cache when an input file named by a param changes', async () => {
    await writeFile(join(dir, 'input.txt'), 'one');
    const file = await pipeline([
      'name: files',
      'steps:',
      '  - id: read',
      '    type: read',
      '    params: { path: input.txt }',
    ]);
    await run(file, 'r1');
    expect((await run(file, 'r2')).byType('step-cached')).toEqual(['read']);
    await writeFile(join(dir, 'input.txt'), 'two');
    const third = await run(file, 'r3');
    expect(third.byType('step-start')).toEqual(['read']);
    expect(third.state.steps.read!.output!.values).toEqual({ text: 'two' });
  });

  it("uses a step's own fingerprint instead of hashing the files its params name", async () => {
    await writeFile(join(dir, 'input.txt'), 'one');
    await writeFile(join(dir, 'noise.txt'), '1');
    const file = await pipeline([
      'name: own-fingerprint',
      'steps:',
      '  - id: read',
      '    type: read',
      '    params: { path: input.txt }',
    ]);
    // This read step says only noise.txt's first line matters (a stand-in for "the version an
    // alias points at" inside a registry folder whose logs keep growing).
    const own = createStepRegistry([
      {
        ...readStep,
        fingerprint: async (_params: unknown, { baseDir }: { baseDir: string }) =>
          (await readFile(join(baseDir, 'noise.txt'), 'utf8')).split('\n')[0] ?? '',
      },
      ...testSteps.filter((step) => step !== readStep),
    ]);
    await run(file, 'f1', own);
    await writeFile(join(dir, 'input.txt'), 'two'); // not part of this step's own fingerprint
    await writeFile(join(dir, 'noise.txt'), '1\nmore log lines');
    expect((await run(file, 'f2', own)).byType('step-cached')).toEqual(['read']);
    await writeFile(join(dir, 'noise.txt'), '2');
    expect((await run(file, 'f3', own)).byType('step-start')).toEqual(['read']);
  });

  it('misses the cache when the step version changes', async () => {
    const file = await pipeline(diamond);
    await run(file, 'r1');
    const bumped = createStepRegistry([
      { ...writeStep, version: '2' },
      ...testSteps.filter((step) => step !== writeStep),
    ]);
    const second = await run(file, 'r2', bumped);
    expect(second.byType('step-start')).toEqual(['a', 'b', 'c']);
    // Same outputs, but c's inputs have new fingerprints, so c reruns as well.
    expect(second.state.steps.c!.output!.values).toEqual({ text: 'A+B' });
  });

  it('does not use the cache when it is turned off', async () => {
    const file = await pipeline(diamond);
    await run(file, 'r1');
    const state = await runPipeline(file, { runsDir, runId: 'r2', registry, cache: false });
    expect(Object.values(state.steps).map((step) => step.status)).toEqual([
      'succeeded',
      'succeeded',
      'succeeded',
    ]);
  });

  it('retries with exponential backoff', async () => {
    const counter = join(dir, 'counter');
    const file = await pipeline([
      'name: retry',
      'steps:',
      '  - id: flaky',
      '    type: flaky',
      `    params: { counter: "${counter}", failures: 2 }`,
      '    retry: { attempts: 3, backoffMs: 5 }',
    ]);
    const { state, events } = await run(file, 'r1');
    const retries = events.filter((event) => event.type === 'step-retry');
    expect(retries.map((event) => [event.attempt, event.delayMs, event.error])).toEqual([
      [1, 5, 'planned failure 1 of 2'],
      [2, 10, 'planned failure 2 of 2'],
    ]);
    expect(state.status).toBe('succeeded');
    expect(state.steps.flaky).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(state.steps.flaky!.output!.values).toEqual({ calls: 3 });
    const log = await readFile(join(runsDir, 'r1/logs/flaky.log'), 'utf8');
    expect(log).toContain('ERROR attempt 2 failed: Error: planned failure 2 of 2');
  });

  it('fails the run when the attempts run out, leaving later steps pending', async () => {
    const counter = join(dir, 'counter');
    const file = await pipeline([
      'name: fail',
      'steps:',
      '  - id: flaky',
      '    type: flaky',
      `    params: { counter: "${counter}", failures: 5 }`,
      '    retry: { attempts: 2, backoffMs: 1 }',
      '  - id: after',
      '    type: write',
      '    needs: [flaky]',
      '    params: { text: x }',
    ]);
    const { state, events } = await run(file, 'r1');
    expect(state.status).toBe('failed');
    expect(state.steps.flaky).toMatchObject({
      status: 'failed',
      attempts: 2,
      error: 'planned failure 2 of 5',
    });
    expect(state.steps.after).toEqual({ status: 'pending', attempts: 0 });
    expect(events.filter((event) => event.type === 'step-fail')).toEqual([
      expect.objectContaining({ step: 'flaky', error: 'planned failure 2 of 5' }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'run-end', status: 'failed' });
  });

  it('fails a step whose output names a file outside the run folder', async () => {
    const outside = createStepRegistry([
      {
        ...writeStep,
        type: 'outside',
        run: async () => ({ files: { x: '../../elsewhere.txt' }, values: {} }),
      },
    ]);
    const file = await pipeline([
      'name: o',
      'steps:',
      '  - id: s',
      '    type: outside',
      '    params: { text: x }',
    ]);
    const { state } = await run(file, 'r1', outside);
    expect(state.status).toBe('failed');
    expect(state.steps.s!.error).toContain('outside the run folder');
  });

  it('rejects a run id that is not a folder name and a reused run folder', async () => {
    const file = await pipeline(diamond);
    await expect(runPipeline(file, { runsDir, runId: '../x', registry })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      field: 'runId',
    });
    await run(file, 'r1');
    await expect(runPipeline(file, { runsDir, runId: 'r1', registry })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('follows events while a run is written and stops after run-end', async () => {
    const file = await pipeline(diamond);
    const runDir = join(runsDir, 'r1');
    // Started before the run folder exists: the follower waits for events.jsonl.
    const following = (async () => {
      const seen: PipelineEvent[] = [];
      for await (const event of followRunEvents(runDir, { pollMs: 5 })) seen.push(event);
      return seen;
    })();
    await run(file, 'r1');
    const seen = await following;
    expect(seen).toEqual(await readRunEvents(runDir));
    expect(seen.at(-1)).toMatchObject({ type: 'run-end', status: 'succeeded' });
    // An aborted follow ends without reading.
    const controller = new AbortController();
    controller.abort();
    const none: PipelineEvent[] = [];
    for await (const event of followRunEvents(runDir, { signal: controller.signal })) {
      none.push(event);
    }
    expect(none).toEqual([]);
  });

  it('fails a step that emits a lifecycle event', async () => {
    const rogue = createStepRegistry([
      {
        ...writeStep,
        type: 'rogue',
        run: async ({ emit }) => {
          emit({ type: 'run-end', status: 'succeeded' });
          return { files: {}, values: {} };
        },
      },
    ]);
    const file = await pipeline([
      'name: r',
      'steps:',
      '  - id: s',
      '    type: rogue',
      '    params: { text: x }',
    ]);
    const { state, events } = await run(file, 'r1', rogue);
    expect(state.steps.s!.error).toContain('steps may emit progress, metric and log events only');
    expect(events.filter((event) => event.type === 'run-end')).toHaveLength(1);
  });

  it('lists runs newest first', async () => {
    const file = await pipeline(diamond);
    expect(await listRuns(runsDir)).toEqual([]);
    await run(file, 'first');
    await new Promise((done) => setTimeout(done, 5));
    const generated = await runPipeline(file, { runsDir, registry });
    expect(generated.runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    const runs = await listRuns(runsDir);
    expect(runs.map((state) => state.runId)).toEqual([generated.runId, 'first']);
  });
});
