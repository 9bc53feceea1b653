// Shared conformance checks every Pruner passes (called from each pruner's test file), plus the
// small trial builders those tests use.

import { expect, it } from 'vitest';
import type { FrozenTrial, Pruner, StudyDirection, StudyView, TrialState } from '../index.js';

/** A trial with the given reports; complete trials get `values` (default: the last report). */
export function makeTrial(
  number: number,
  state: TrialState,
  reports: ReadonlyArray<readonly [number, number]>,
  values?: number[],
): FrozenTrial {
  const intermediateValues: Record<string, number> = {};
  for (const [step, value] of reports) intermediateValues[String(step)] = value;
  const last = reports[reports.length - 1]?.[1];
  const trial: FrozenTrial = {
    number,
    state,
    params: {},
    distributions: {},
    intermediateValues,
    userAttrs: {},
    systemAttrs: {},
  };
  if (state === 'complete') trial.values = values ?? (last === undefined ? [0] : [last]);
  return trial;
}

/** A study snapshot. */
export function makeStudy(
  directions: StudyDirection[],
  trials: FrozenTrial[],
  name = 'conformance',
): StudyView {
  return { name, directions, trials };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export interface PrunerConformanceOptions {
  /** Creates a fresh pruner for each check. */
  create: () => Pruner;
  /** The `name` the pruner must report. */
  name: string;
}

/** Registers the shared checks as vitest cases. */
export function testPruner({ create, name }: PrunerConformanceOptions): void {
  // Curves where trial 6 is clearly worst at every step, with 6 completed trials before it.
  const history = (): FrozenTrial[] => {
    const trials: FrozenTrial[] = [];
    for (let i = 0; i < 6; i++) {
      const reports = Array.from({ length: 12 }, (_, s) => [s, 1 / (s + 1) + i * 0.01] as const);
      trials.push(makeTrial(i, 'complete', reports));
    }
    return trials;
  };

  it(`${name}: reports its name`, () => {
    expect(create().name).toBe(name);
  });

  it(`${name}: never prunes a trial that reported nothing`, () => {
    const trials = history();
    const current = makeTrial(6, 'running', []);
    expect(create().prune(makeStudy(['minimize'], [...trials, current]), current)).toBe(false);
  });

  it(`${name}: does not modify the study or trial and answers the same twice`, () => {
    const trials = history();
    const current = makeTrial(
      6,
      'running',
      Array.from({ length: 12 }, (_, s) => [s, 5 + s] as const),
    );
    const study = deepFreeze(makeStudy(['minimize'], [...trials, current]));
    const first = create();
    const a = first.prune(study, current);
    const b = first.prune(study, current);
    expect(b).toBe(a);
    expect(create().prune(study, current)).toBe(a);
  });
}
