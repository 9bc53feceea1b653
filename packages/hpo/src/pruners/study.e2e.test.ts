// End to end: pruners driven by a real study (createStudy → optimize → report/shouldPrune), and
// the analysis helpers on the finished study.

import { median } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import {
  createHyperbandPruner,
  createMedianPruner,
  createRandomSampler,
  createStudy,
  getParamImportances,
  type ObjectiveTrial,
  plotIntermediateValues,
  TrialPruned,
  trialsToRows,
} from '../index.js';

const curve = (x: number, step: number) => x + 1 / (step + 1);

async function objective(trial: ObjectiveTrial): Promise<number> {
  const x = trial.suggestFloat('x', 0, 1);
  const y = trial.suggestFloat('y', 0, 1);
  for (let step = 0; step < 10; step++) {
    await trial.report(curve(x, step), step);
    if (await trial.shouldPrune()) throw new TrialPruned();
  }
  return curve(x, 9) + 0.01 * y;
}

describe('pruners in a real study', () => {
  it('median pruner stops exactly the trials the median rule says', async () => {
    // Random sampling keeps many trials on the bad side of the median, so the rule is exercised.
    const study = await createStudy({
      sampler: createRandomSampler({ seed: 7 }),
      pruner: createMedianPruner({ nStartupTrials: 3 }),
    });
    await study.optimize(objective, { nTrials: 24 });
    const trials = await study.getTrials();
    expect(trials).toHaveLength(24);
    const pruned = trials.filter((t) => t.state === 'pruned');
    expect(pruned.length).toBeGreaterThan(3);

    // Independent check with simple-statistics: trials run one at a time, so trial n saw the
    // complete trials before it. Curves fall with the step, so the latest report is the best.
    for (const t of trials) {
      const before = trials.filter((o) => o.number < t.number && o.state === 'complete');
      const steps = Object.keys(t.intermediateValues)
        .map(Number)
        .sort((a, b) => a - b);
      steps.forEach((step, i) => {
        const own = t.intermediateValues[String(step)] as number;
        const expectPrune =
          before.length >= 3 &&
          own > median(before.map((o) => o.intermediateValues[String(step)] as number));
        const isLast = i === steps.length - 1;
        expect(expectPrune).toBe(t.state === 'pruned' && isLast);
      });
    }

    // Analysis on the finished study: x drives the value, y barely does.
    const view = { name: study.name, directions: study.directions, trials };
    const importances = getParamImportances(view);
    expect(importances[0]?.name).toBe('x');
    expect(importances[0]!.importance).toBeGreaterThan(0.7);
    const table = trialsToRows(view);
    expect(table.rows.filter((r) => r.state === 'pruned')).toHaveLength(pruned.length);
    expect(table.columns).toContain('params_x');
    const svg = await plotIntermediateValues(view);
    expect(svg).toContain(`Trial ${pruned[0]!.number}`);
  });

  it('hyperband pruner runs inside a study and prunes within brackets', async () => {
    const study = await createStudy({
      seed: 3,
      name: 'hb-e2e',
      pruner: createHyperbandPruner({ maxResource: 9 }),
    });
    await study.optimize(objective, { nTrials: 20 });
    const trials = await study.getTrials();
    const states = trials.map((t) => t.state);
    expect(states.filter((s) => s === 'pruned').length).toBeGreaterThan(0);
    expect(states.filter((s) => s === 'complete').length).toBeGreaterThan(0);
    // Trial 0 runs alone in its bracket and cannot be beaten yet.
    expect(trials[0]?.state).toBe('complete');
  });
});

describe('pruning in a real multi-objective study (optuna#3450)', () => {
  async function twoObjective(trial: ObjectiveTrial): Promise<number[]> {
    const x = trial.suggestFloat('x', 0, 1);
    for (let step = 0; step < 5; step++) {
      // Objective 0's learning curve is reported; objective 1 is only known at the end.
      await trial.report(curve(x, step), step);
      if (await trial.shouldPrune()) throw new TrialPruned();
    }
    return [curve(x, 4), 1 - x];
  }

  it('prunes on the chosen objective and records pruned trials without values', async () => {
    const study = await createStudy({
      seed: 3,
      directions: ['minimize', 'minimize'],
      pruner: createMedianPruner({ nStartupTrials: 3, objective: 0 }),
    });
    await study.optimize(twoObjective, { nTrials: 16 });
    const trials = await study.getTrials();
    const pruned = trials.filter((t) => t.state === 'pruned');
    const complete = trials.filter((t) => t.state === 'complete');
    expect(pruned.length).toBeGreaterThan(0);
    expect(complete.every((t) => t.values?.length === 2)).toBe(true);
    // A pruned trial's last report was above the median of earlier complete trials at that step.
    for (const t of pruned) {
      const steps = Object.keys(t.intermediateValues).map(Number);
      const last = Math.max(...steps);
      const before = trials.filter((o) => o.number < t.number && o.state === 'complete');
      const mid = median(before.map((o) => o.intermediateValues[String(last)] as number));
      expect(t.intermediateValues[String(last)]).toBeGreaterThan(mid);
    }
  });

  it('refuses to guess an objective when none is chosen', async () => {
    const study = await createStudy({
      directions: ['minimize', 'maximize'],
      pruner: createMedianPruner({ nStartupTrials: 0 }),
    });
    const trial = await study.ask();
    trial.suggestFloat('x', 0, 1);
    await trial.report(0.5, 0);
    await expect(trial.shouldPrune()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
