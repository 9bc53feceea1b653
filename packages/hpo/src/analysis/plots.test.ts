import { describe, expect, it } from 'vitest';
import {
  type FrozenTrial,
  HpoError,
  intermediateValuesOption,
  optimizationHistoryOption,
  parallelCoordinateOption,
  paramImportancesOption,
  plotIntermediateValues,
  plotOptimizationHistory,
  plotParallelCoordinate,
  plotParamImportances,
  type StudyView,
} from '../index.js';

/** The text nodes of an SVG, unescaped. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    (m[1] as string).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
  );
}

const trial = (
  number: number,
  value: number | undefined,
  params: FrozenTrial['params'],
  reports: Record<string, number> = {},
): FrozenTrial => ({
  number,
  state: value === undefined ? 'pruned' : 'complete',
  ...(value === undefined ? {} : { values: [value] }),
  params,
  distributions: {
    lr: { type: 'float', low: 1e-4, high: 1e-1, log: true },
    opt: { type: 'categorical', choices: ['sgd', 'adam', 'rmsprop'] },
    layers: { type: 'int', low: 1, high: 8, log: false, step: 1 },
  },
  intermediateValues: reports,
  userAttrs: {},
  systemAttrs: {},
});

const study: StudyView = {
  name: 'plots',
  directions: ['minimize'],
  trials: [
    trial(0, 3, { lr: 0.01, opt: 'adam', layers: 2 }, { '0': 5, '10': 3, '2': 4 }),
    trial(1, undefined, { lr: 0.001, opt: 'sgd', layers: 4 }, { '0': 9 }),
    trial(2, 1, { lr: 0.05, opt: 'sgd', layers: 1 }),
    trial(3, 2, { lr: 0.0001, opt: 'rmsprop', layers: 8 }),
    trial(4, 0.5, { lr: 0.02, opt: 'adam' }),
  ],
};

describe('plots', () => {
  it('optimization history: complete trials and the best value so far', async () => {
    const option = optimizationHistoryOption(study) as {
      series: Array<{ name: string; data: number[][] }>;
    };
    expect(option.series.map((s) => s.name)).toEqual(['Objective Value', 'Best Value']);
    expect(option.series[0]?.data).toEqual([
      [0, 3],
      [2, 1],
      [3, 2],
      [4, 0.5],
    ]);
    expect(option.series[1]?.data).toEqual([
      [0, 3],
      [2, 1],
      [3, 1],
      [4, 0.5],
    ]);
    const max = optimizationHistoryOption({ ...study, directions: ['maximize'] }) as typeof option;
    expect(max.series[1]?.data).toEqual([
      [0, 3],
      [2, 3],
      [3, 3],
      [4, 3],
    ]);

    const svg = await plotOptimizationHistory(study, { width: 640, height: 400 });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('width="640"');
    expect(svg).toContain('height="400"');
    const labels = texts(svg);
    for (const label of ['Optimization History Plot', 'Objective Value', 'Best Value', 'Trial']) {
      expect(labels).toContain(label);
    }
  });

  it('optimization history: multi-objective studies need a target and get no best line', async () => {
    const two: StudyView = {
      ...study,
      directions: ['minimize', 'maximize'],
      trials: study.trials.map((t) => (t.values ? { ...t, values: [t.values[0]!, 10] } : t)),
    };
    expect(() => optimizationHistoryOption(two)).toThrow(HpoError);
    const svg = await plotOptimizationHistory(two, {
      target: (t) => t.values![1]!,
      targetName: 'accuracy',
    });
    const labels = texts(svg);
    expect(labels).toContain('accuracy');
    expect(labels).not.toContain('Best Value');
    await expect(plotOptimizationHistory(study, { width: 10 })).rejects.toThrow(/width/);
  });

  it('parallel coordinates: one axis per parameter, categorical and log axes', async () => {
    const option = parallelCoordinateOption(study) as {
      parallelAxis: Array<{ name: string; type: string; data?: string[] }>;
      series: Array<{ data: unknown[][] }>;
    };
    expect(option.parallelAxis.map((a) => [a.name, a.type])).toEqual([
      ['Objective Value', 'value'],
      ['layers', 'value'],
      ['lr', 'log'],
      ['opt', 'category'],
    ]);
    expect(option.parallelAxis[3]?.data).toEqual(['sgd', 'adam', 'rmsprop']);
    // Pruned trial 1 and trial 4 (no layers) are left out.
    expect(option.series[0]?.data).toEqual([
      [3, 2, 0.01, 'adam'],
      [1, 1, 0.05, 'sgd'],
      [2, 8, 0.0001, 'rmsprop'],
    ]);
    const labels = texts(await plotParallelCoordinate(study));
    for (const label of [
      'Parallel Coordinate Plot',
      'layers',
      'lr',
      'opt',
      'adam',
      'rmsprop',
      '0.0001',
    ]) {
      expect(labels).toContain(label);
    }
    expect(() => parallelCoordinateOption(study, { params: ['nope'] })).toThrow(/parameter nope/);
  });

  it('parameter importances: bars with the most important on top', async () => {
    const importances = [
      { name: 'opt', importance: 0.7 },
      { name: 'layers', importance: 0.295 },
      { name: 'lr', importance: 0.005 },
    ];
    const option = paramImportancesOption(importances) as {
      yAxis: { data: string[] };
      series: Array<{ data: number[] }>;
    };
    expect(option.yAxis.data).toEqual(['lr', 'layers', 'opt']);
    expect(option.series[0]?.data).toEqual([0.005, 0.295, 0.7]);
    const labels = texts(await plotParamImportances(importances));
    for (const label of [
      'Hyperparameter Importances',
      'opt',
      'layers',
      'lr',
      '0.70',
      '0.29',
      '<0.01',
    ]) {
      expect(labels).toContain(label);
    }
  });

  it('intermediate values: one line per trial that reported, steps in numeric order', async () => {
    const option = intermediateValuesOption(study) as {
      series: Array<{ name: string; data: number[][] }>;
    };
    expect(option.series.map((s) => s.name)).toEqual(['Trial 0', 'Trial 1']);
    expect(option.series[0]?.data).toEqual([
      [0, 5],
      [2, 4],
      [10, 3],
    ]);
    const labels = texts(await plotIntermediateValues(study));
    for (const label of [
      'Intermediate Values Plot',
      'Trial 0',
      'Trial 1',
      'Step',
      'Intermediate Value',
    ]) {
      expect(labels).toContain(label);
    }
    expect(labels).not.toContain('Trial 2');
  });
});
