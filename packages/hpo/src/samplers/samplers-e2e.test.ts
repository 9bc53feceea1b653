// The TPE, CMA-ES and NSGA-II samplers driven by the real createStudy/optimize: state written to
// systemAttrs is persisted by the study, and every sampler improves on its start.

import { describe, expect, it } from 'vitest';
import {
  CMA_OPTIMIZER_KEY,
  createCmaEsSampler,
  createNsga2Sampler,
  createStudy,
  createTpeSampler,
  NSGA2_GENERATION_KEY,
  type ObjectiveTrial,
} from '../index.js';

const quadratic = (t: ObjectiveTrial) =>
  (t.suggestFloat('x', -10, 10) - 2) ** 2 + (t.suggestFloat('y', -10, 10) + 3) ** 2;

describe('samplers with createStudy', () => {
  it('TPE optimises through the study and is reproducible', async () => {
    const run = async () => {
      const study = await createStudy({ sampler: createTpeSampler({ seed: 11 }) });
      await study.optimize(quadratic, { nTrials: 40 });
      return study;
    };
    const a = await run();
    const b = await run();
    expect(await a.bestValue()).toBeLessThan(1.5);
    expect((await a.getTrials()).map((t) => t.params)).toEqual(
      (await b.getTrials()).map((t) => t.params),
    );
  });

  it('CMA-ES state and generations are persisted in stored trials', async () => {
    const study = await createStudy({ sampler: createCmaEsSampler({ seed: 0 }) });
    await study.optimize(quadratic, { nTrials: 60 });
    const trials = await study.getTrials();
    expect(trials.some((t) => t.systemAttrs[CMA_OPTIMIZER_KEY] !== undefined)).toBe(true);
    expect(trials.at(-1)?.systemAttrs['cma:generation']).toBeGreaterThanOrEqual(8);
    expect(await study.bestValue()).toBeLessThan(0.5);
  });

  it('NSGA-II generations are persisted and the front improves', async () => {
    const study = await createStudy({
      directions: ['minimize', 'minimize'],
      sampler: createNsga2Sampler({ seed: 0, populationSize: 8 }),
    });
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', 0, 1);
        const y = t.suggestFloat('y', 0, 1);
        return [x + y, 1 - x + y];
      },
      { nTrials: 80 },
    );
    const trials = await study.getTrials();
    expect(trials.map((t) => t.systemAttrs[NSGA2_GENERATION_KEY]).slice(0, 9)).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 1,
    ]);
    const meanY = (ts: typeof trials) =>
      ts.reduce((s, t) => s + (t.params.y as number), 0) / ts.length;
    expect(meanY(trials.slice(60))).toBeLessThan(meanY(trials.slice(0, 8)));
    expect(meanY(trials.slice(60))).toBeLessThan(0.25);
  });
});
