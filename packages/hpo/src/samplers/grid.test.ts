import { describe, expect, it } from 'vitest';
import { createGridSampler, createStudy, HpoError, type ObjectiveTrial } from '../index.js';

const space = { lr: [0.1, 0.01, 0.001], act: ['relu', 'gelu'] };

function objective(trial: ObjectiveTrial): number {
  const lr = trial.suggestFloat('lr', 0.001, 0.1, { log: true });
  const act = trial.suggestCategorical('act', ['relu', 'gelu']);
  return lr * (act === 'relu' ? 1 : 2);
}

const key = (p: Readonly<Record<string, unknown>>) => `${p.act}/${p.lr}`;

describe('grid sampler', () => {
  it('lists the grid in itertools.product order over sorted names', () => {
    const sampler = createGridSampler({ searchSpace: space, seed: 0 });
    expect(sampler.grid.map(key)).toEqual([
      'relu/0.1',
      'relu/0.01',
      'relu/0.001',
      'gelu/0.1',
      'gelu/0.01',
      'gelu/0.001',
    ]);
  });

  it('visits every combination once, then stops the study', async () => {
    const study = await createStudy({
      sampler: createGridSampler({ searchSpace: space, seed: 1 }),
    });
    await study.optimize(objective, { nTrials: 50 });
    const trials = await study.getTrials();
    expect(trials).toHaveLength(6);
    expect(new Set(trials.map((t) => key(t.params))).size).toBe(6);
    expect(await study.bestValue()).toBe(0.001);
    expect(await study.bestParams()).toEqual({ lr: 0.001, act: 'relu' });
  });

  it('shuffles the order by seed, reproducibly', async () => {
    const order = async (seed: number) => {
      const study = await createStudy({ sampler: createGridSampler({ searchSpace: space, seed }) });
      await study.optimize(objective);
      return (await study.getTrials()).map((t) => key(t.params));
    };
    const a = await order(5);
    expect(await order(5)).toEqual(a);
    const orders = new Set([a.join(), (await order(6)).join(), (await order(7)).join()]);
    expect(orders.size).toBeGreaterThan(1);
  });

  it('does not repeat grid points with concurrent trials (running ids are skipped)', async () => {
    const study = await createStudy({
      sampler: createGridSampler({ searchSpace: space, seed: 2 }),
    });
    await study.optimize(
      async (trial) => {
        await new Promise((r) => setTimeout(r, 5));
        return objective(trial);
      },
      { concurrency: 3, nTrials: 20 },
    );
    const trials = await study.getTrials();
    expect(trials).toHaveLength(6);
    expect(new Set(trials.map((t) => key(t.params))).size).toBe(6);
  });

  it('runs enqueued trials with their own params and counts only grid trials', async () => {
    const study = await createStudy({
      sampler: createGridSampler({ searchSpace: space, seed: 3 }),
    });
    await study.enqueueTrial({ lr: 0.05, act: 'gelu' });
    await study.optimize(objective);
    const trials = await study.getTrials();
    expect(trials[0]?.params).toEqual({ lr: 0.05, act: 'gelu' });
    expect(trials).toHaveLength(7);
  });

  it('names a parameter missing from the grid', async () => {
    const study = await createStudy({
      sampler: createGridSampler({ searchSpace: space, seed: 4 }),
    });
    const trial = await study.ask();
    expect(() => trial.suggestInt('layers', 1, 4)).toThrow(
      /param layers: parameter is not in the grid/,
    );
  });

  it('rejects empty or non-JSON grids, naming the parameter', () => {
    expect(() => createGridSampler({ searchSpace: { lr: [] } })).toThrow(
      expect.objectContaining({ code: 'INVALID_DISTRIBUTION', param: 'lr' }),
    );
    expect(() => createGridSampler({ searchSpace: { lr: [Number.NaN] } })).toThrow(HpoError);
    expect(() => createGridSampler({ searchSpace: {} })).toThrow(/no parameters/);
  });
});
