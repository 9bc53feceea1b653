// Schedules against hand-computed values of Hugging Face's formulas (transformers/optimization.py)
// and ReduceOnPlateau against torch.optim.lr_scheduler.ReduceLROnPlateau (PyTorch 1.13).
import { describe, expect, it } from 'vitest';
import { TrainerError } from '../errors.js';
import { createReduceOnPlateau, type ReduceOnPlateauOptions } from './reduce-on-plateau.js';
import { createSchedule, type ScheduleOptions } from './schedule.js';

const lrs = (options: ScheduleOptions, steps: number[]) => {
  const schedule = createSchedule(options);
  return steps.map((s) => schedule(s));
};

function expectAll(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  for (const [i, a] of actual.entries()) expect(a).toBeCloseTo(expected[i] as number, 15);
}

describe('createSchedule (Hugging Face get_scheduler formulas)', () => {
  it('linear: warmup step/max(1, w), then (total − step)/max(1, total − w), floored at 0', () => {
    // total 100, warmup 10: λ(5) = 5/10; λ(55) = 45/90; λ(100) = 0; λ(150) = max(0, −50/90) = 0
    expectAll(
      lrs(
        { name: 'linear', baseLr: 1e-3, totalSteps: 100, warmupSteps: 10 },
        [0, 5, 10, 55, 99, 100, 150],
      ),
      [0, 5e-4, 1e-3, 5e-4, 1e-3 / 90, 0, 0],
    );
  });

  it('warmupRatio rounds up as TrainingArguments.get_warmup_steps (ceil(90·0.05) = 5)', () => {
    const schedule = createSchedule({
      name: 'linear',
      baseLr: 1,
      totalSteps: 90,
      warmupRatio: 0.05,
    });
    expect(schedule.state().warmupSteps).toBe(5);
    // λ(2) = 2/5; λ(50) = (90 − 50)/(90 − 5) = 40/85
    expectAll([schedule(2), schedule(50)], [0.4, 40 / 85]);
    // warmupSteps > 0 wins over the ratio, as in TrainingArguments
    expect(
      createSchedule({
        name: 'linear',
        baseLr: 1,
        totalSteps: 90,
        warmupSteps: 3,
        warmupRatio: 0.5,
      }).state().warmupSteps,
    ).toBe(3);
  });

  it('constant and constant_with_warmup', () => {
    expectAll(lrs({ name: 'constant', baseLr: 2e-5 }, [0, 1, 1_000_000]), [2e-5, 2e-5, 2e-5]);
    // step/max(1.0, 4) during warmup, then 1
    expectAll(
      lrs({ name: 'constant_with_warmup', baseLr: 2e-5, warmupSteps: 4 }, [0, 1, 3, 4, 50]),
      [0, 5e-6, 1.5e-5, 2e-5, 2e-5],
    );
  });

  it('cosine (num_cycles 0.5): ½(1 + cos(π·2·0.5·progress))', () => {
    // total 110, warmup 10: progress = (step − 10)/100
    // step 35: ½(1 + cos(π/4)) = ½ + √2/4; step 60: ½(1 + cos(π/2)) = ½; step 110: ½(1 + cos π) = 0
    expectAll(
      lrs(
        { name: 'cosine', baseLr: 1, totalSteps: 110, warmupSteps: 10 },
        [5, 10, 35, 60, 110, 200],
      ),
      [
        0.5,
        1,
        0.5 + Math.SQRT2 / 4,
        0.5,
        0,
        // step 200: progress 1.9 → ½(1 + cos(1.9π)) — HF's formula keeps rising past the end
        0.5 * (1 + Math.cos(1.9 * Math.PI)),
      ],
    );
  });

  it('cosine_with_restarts (num_cycles 2): ½(1 + cos(π·((2·progress) mod 1))), 0 once progress ≥ 1', () => {
    // progress .25 → (.5 mod 1) → ½; .5 → 0 → 1 (restart); .75 → .5 → ½; 1 → 0
    expectAll(
      lrs(
        { name: 'cosine_with_restarts', baseLr: 1, totalSteps: 110, warmupSteps: 10, numCycles: 2 },
        [35, 60, 85, 110, 150],
      ),
      [0.5, 1, 0.5, 0, 0],
    );
    // default num_cycles 1: progress .5 → ½(1 + cos(π/2)) = ½
    expectAll(lrs({ name: 'cosine_with_restarts', baseLr: 1, totalSteps: 100 }, [50]), [0.5]);
  });

  it('polynomial: (lr_init − lr_end)·remaining^power + lr_end, lr_end after total', () => {
    const options = {
      name: 'polynomial',
      baseLr: 1e-3,
      lrEnd: 1e-5,
      power: 2,
      totalSteps: 110,
      warmupSteps: 10,
    } as const;
    // step 60: remaining ½ → 0.99e-3·¼ + 1e-5 = 2.575e-4; step 85: remaining ¼ → 0.99e-3/16 + 1e-5
    expectAll(lrs(options, [5, 10, 60, 85, 110, 111]), [
      5e-4,
      1e-3,
      2.575e-4,
      0.99e-3 / 16 + 1e-5,
      1e-5,
      1e-5,
    ]);
    // default power 1, lr_end 1e-7: step 60 → (1e-3 − 1e-7)·½ + 1e-7
    expectAll(lrs({ name: 'polynomial', baseLr: 1e-3, totalSteps: 110, warmupSteps: 10 }, [60]), [
      (1e-3 - 1e-7) / 2 + 1e-7,
    ]);
    expect(() => createSchedule({ ...options, lrEnd: 1e-3 })).toThrow(
      /lrEnd \(0.001\) must be smaller than baseLr/,
    );
  });

  it('inverse_sqrt: 1/√((step + timescale − warmup)/timescale), timescale = warmup or 10 000', () => {
    // warmup 100 → timescale 100: step 100 → 1; step 400 → 1/√4
    expectAll(
      lrs({ name: 'inverse_sqrt', baseLr: 1, warmupSteps: 100 }, [50, 100, 400]),
      [0.5, 1, 0.5],
    );
    // explicit timescale 50: step 250 → 1/√((250 − 50)/50) = ½
    expectAll(
      lrs({ name: 'inverse_sqrt', baseLr: 1, warmupSteps: 100, timescale: 50 }, [250]),
      [0.5],
    );
    // no warmup → timescale 10 000: step 30 000 → 1/√4
    expectAll(lrs({ name: 'inverse_sqrt', baseLr: 1 }, [0, 30_000]), [1, 0.5]);
  });

  it('state() survives JSON and restore() continues the saved curve', () => {
    const original = createSchedule({
      name: 'cosine',
      baseLr: 3e-4,
      totalSteps: 1000,
      warmupRatio: 0.1,
    });
    const saved = JSON.parse(JSON.stringify(original.state()));
    expect(saved).toEqual({
      name: 'cosine',
      baseLr: 3e-4,
      totalSteps: 1000,
      warmupSteps: 100,
      numCycles: 0.5,
      power: 1,
      lrEnd: 1e-7,
      timescale: 100,
    });
    const resumed = createSchedule({ name: 'constant', baseLr: 1 });
    resumed.restore(saved);
    for (const step of [0, 50, 100, 420, 999]) expect(resumed(step)).toBe(original(step));
    expect(createSchedule(saved)(420)).toBe(original(420));
    // constant has no total: null in JSON, restored as "no total"
    const c = createSchedule({ name: 'constant', baseLr: 0.1 });
    c.restore(JSON.parse(JSON.stringify(c.state())));
    expect(c(12345)).toBe(0.1);
  });

  it('rejects missing totals, unknown names and bad steps', () => {
    expect(() => createSchedule({ name: 'linear', baseLr: 1 })).toThrow(
      /schedule "linear" needs totalSteps/,
    );
    expect(() => createSchedule({ name: 'step_lr' as never, baseLr: 1 })).toThrow(TrainerError);
    expect(() => createSchedule({ name: 'constant', baseLr: 1 })(-1)).toThrow(
      /step must be an integer ≥ 0/,
    );
  });
});

describe('createReduceOnPlateau vs torch ReduceLROnPlateau', () => {
  // Each case: torch.optim.lr_scheduler.ReduceLROnPlateau(SGD([p], lr=1.0), **kwargs); lr after
  // every s.step(metric).
  const cases: Array<{ options: ReduceOnPlateauOptions; metrics: number[]; expected: number[] }> = [
    {
      // mode='min', factor=0.5, patience=2, threshold=0.1, threshold_mode='rel', cooldown=1, min_lr=0.2
      options: {
        lr: 1,
        mode: 'min',
        factor: 0.5,
        patience: 2,
        threshold: 0.1,
        thresholdMode: 'rel',
        cooldown: 1,
        minLr: 0.2,
      },
      metrics: [
        1.0, 0.95, 0.96, 0.97, 0.5, 0.5, 0.49, 0.48, 0.47, 0.46, 0.45, 0.44, 0.43, 0.3, 0.31, 0.32,
        0.33, 0.34, 0.35, 0.36,
      ],
      expected: [
        1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25,
        0.2, 0.2, 0.2, 0.2,
      ],
    },
    {
      // mode='max', factor=0.1, patience=1, threshold=0.05, threshold_mode='abs'
      options: {
        lr: 1,
        mode: 'max',
        factor: 0.1,
        patience: 1,
        threshold: 0.05,
        thresholdMode: 'abs',
      },
      metrics: [0.1, 0.2, 0.25, 0.3, 0.29, 0.31, 0.32, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6],
      expected: [
        1.0, 1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.010000000000000002, 0.010000000000000002,
        0.0010000000000000002, 0.0010000000000000002, 0.00010000000000000003,
      ],
    },
    {
      // mode='min', patience=0, factor=0.3
      options: { lr: 1, mode: 'min', patience: 0, factor: 0.3 },
      metrics: [5.0, 5.0, 5.0, 4.0, 4.0, 4.0, 4.0, 4.0],
      expected: [1.0, 0.3, 0.09, 0.09, 0.027, 0.0081, 0.00243, 0.0007289999999999999],
    },
  ];

  it.each(cases.map((c, i) => [i, c] as const))('case %i: the lr sequence matches', (_, c) => {
    const plateau = createReduceOnPlateau(c.options);
    expect(c.metrics.map((m) => plateau.step(m))).toEqual(c.expected);
  });

  it('final state matches torch (best, num_bad_epochs, last_epoch) and resumes from JSON', () => {
    const c = cases[0] as (typeof cases)[number];
    const plateau = createReduceOnPlateau(c.options);
    for (const m of c.metrics) plateau.step(m);
    // torch after the run: best 0.3, num_bad_epochs 2, cooldown_counter 0, last_epoch 20
    expect(plateau.state()).toEqual({
      lr: 0.2,
      best: 0.3,
      numBadEpochs: 2,
      cooldownCounter: 0,
      lastEpoch: 20,
    });

    // Split the run at 10 evaluations, checkpoint through JSON, resume in a fresh scheduler.
    const first = createReduceOnPlateau(c.options);
    const head = c.metrics.slice(0, 10).map((m) => first.step(m));
    const resumed = createReduceOnPlateau(c.options);
    resumed.restore(JSON.parse(JSON.stringify(first.state())));
    const tail = c.metrics.slice(10).map((m) => resumed.step(m));
    expect([...head, ...tail]).toEqual(c.expected);
  });

  it('serialises the initial infinite best as null', () => {
    const plateau = createReduceOnPlateau({ lr: 0.5, mode: 'max' });
    expect(JSON.parse(JSON.stringify(plateau.state()))).toEqual({
      lr: 0.5,
      best: null,
      numBadEpochs: 0,
      cooldownCounter: 0,
      lastEpoch: 0,
    });
    expect(() => createReduceOnPlateau({ lr: 1, factor: 1 })).toThrow(/factor must be in \[0, 1\)/);
  });
});
