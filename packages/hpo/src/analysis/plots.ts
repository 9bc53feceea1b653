// SVG plots of a study rendered headlessly with ECharts' server-side renderer (no DOM, no
// browser): optimisation history, parallel coordinates, parameter importances and intermediate
// values, after Optuna's plotly figures. ECharts is imported on first use, so importing
// @ft/hpo stays cheap; that is why the plot functions are async.

import { HpoError } from '../errors.js';
import type { FrozenTrial, StudyView } from '../types.js';
import {
  getParamImportances,
  type ParamImportance,
  type ParamImportancesOptions,
} from './importance.js';

export interface PlotOptions {
  /** Width of the SVG in pixels. @default 800 */
  width?: number;
  /** Height of the SVG in pixels. @default 500 */
  height?: number;
  /** Chart title. @default the plot's name, as in Optuna */
  title?: string;
}

export interface TargetPlotOptions extends PlotOptions {
  /** The value to plot; required for multi-objective studies. @default trial.values[0] */
  target?: (trial: FrozenTrial) => number;
  /** Axis and legend name of the target. @default 'Objective Value' */
  targetName?: string;
}

export interface ParallelCoordinateOptions extends TargetPlotOptions {
  /** Parameters to show, as axes in this order. @default every parameter, sorted by name */
  params?: readonly string[];
}

export interface ParamImportancesPlotOptions extends PlotOptions, ParamImportancesOptions {
  /** Axis name of the importances. @default 'Importance for Objective Value' */
  targetName?: string;
}

/** A plain ECharts option object (`chart.setOption(option)`). */
export type ChartOption = Record<string, unknown>;

type ECharts = typeof import('echarts/core');
let echartsPromise: Promise<ECharts> | undefined;

async function loadEcharts(): Promise<ECharts> {
  echartsPromise ??= (async () => {
    const [core, charts, components, renderers] = await Promise.all([
      import('echarts/core'),
      import('echarts/charts'),
      import('echarts/components'),
      import('echarts/renderers'),
    ]);
    core.use([
      charts.LineChart,
      charts.ScatterChart,
      charts.BarChart,
      charts.ParallelChart,
      components.GridComponent,
      components.TitleComponent,
      components.LegendComponent,
      components.ParallelComponent,
      components.VisualMapComponent,
      renderers.SVGRenderer,
    ]);
    return core;
  })();
  return echartsPromise;
}

function checkSize(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 50 || value > 10_000) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `plot option ${name} must be an integer number of pixels from 50 to 10000, got ${value}.`,
    );
  }
}

/** Renders an ECharts option to an SVG string without a DOM. */
export async function renderChartToSvg(
  option: ChartOption,
  plot: PlotOptions = {},
): Promise<string> {
  const { width = 800, height = 500 } = plot;
  checkSize(width, 'width');
  checkSize(height, 'height');
  const echarts = await loadEcharts();
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, backgroundColor: '#ffffff', ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Complete trials with a finite target, and the target function used. */
function targetTrials(
  study: StudyView,
  target: ((trial: FrozenTrial) => number) | undefined,
  plot: string,
): Array<{ trial: FrozenTrial; value: number }> {
  if (target === undefined && study.directions.length > 1) {
    throw new HpoError(
      'INVALID_ARGUMENT',
      `${plot}: the study has ${study.directions.length} objectives; pass target, e.g. { target: (t) => t.values![0]!, targetName: 'loss' }.`,
      { study: study.name },
    );
  }
  const get = target ?? ((t: FrozenTrial) => t.values?.[0] ?? Number.NaN);
  const result: Array<{ trial: FrozenTrial; value: number }> = [];
  for (const trial of study.trials) {
    if (trial.state !== 'complete') continue;
    const value = get(trial);
    if (Number.isFinite(value)) result.push({ trial, value });
  }
  return result;
}

const titleOf = (text: string) => ({ text, left: 'center', top: 8 });

/** ECharts option of `plotOptimizationHistory` (also usable with ECharts in a browser). */
export function optimizationHistoryOption(
  study: StudyView,
  options: TargetPlotOptions = {},
): ChartOption {
  const { target, targetName = 'Objective Value', title = 'Optimization History Plot' } = options;
  const points = targetTrials(study, target, 'plotOptimizationHistory');
  const series: Array<Record<string, unknown>> = [
    {
      name: targetName,
      type: 'scatter',
      symbolSize: 7,
      data: points.map(({ trial, value }) => [trial.number, value]),
    },
  ];
  // The best-so-far line needs a direction, which a custom target does not have.
  if (target === undefined) {
    const maximize = study.directions[0] === 'maximize';
    let best = Number.NaN;
    series.push({
      name: 'Best Value',
      type: 'line',
      step: 'end',
      showSymbol: false,
      data: points.map(({ trial, value }) => {
        if (Number.isNaN(best) || (maximize ? value > best : value < best)) best = value;
        return [trial.number, best];
      }),
    });
  }
  return {
    title: titleOf(title),
    legend: { top: 36, data: series.map((s) => s.name) },
    grid: { top: 80, left: 70, right: 30, bottom: 60 },
    xAxis: { type: 'value', name: 'Trial', nameLocation: 'middle', nameGap: 30, minInterval: 1 },
    yAxis: { type: 'value', name: targetName, nameLocation: 'middle', nameGap: 50, scale: true },
    series,
  };
}

/** ECharts option of `plotParallelCoordinate`. */
export function parallelCoordinateOption(
  study: StudyView,
  options: ParallelCoordinateOptions = {},
): ChartOption {
  const { target, targetName = 'Objective Value', title = 'Parallel Coordinate Plot' } = options;
  const points = targetTrials(study, target, 'plotParallelCoordinate');
  const names =
    options.params === undefined
      ? [...new Set(points.flatMap(({ trial }) => Object.keys(trial.params)))].sort()
      : [...options.params];
  for (const name of names) {
    if (!points.some(({ trial }) => name in trial.params)) {
      throw new HpoError(
        'INVALID_ARGUMENT',
        `plotParallelCoordinate: no complete trial has parameter ${name}; pass suggested parameter names.`,
        { study: study.name, param: name },
      );
    }
  }
  // Like Optuna, a trial missing one of the parameters has no complete line, so it is left out.
  const rows = points.filter(({ trial }) => names.every((n) => n in trial.params));
  const axes: Array<Record<string, unknown>> = [
    { dim: 0, name: targetName, type: 'value', scale: true },
  ];
  names.forEach((name, i) => {
    const dist = rows.find(({ trial }) => trial.distributions[name])?.trial.distributions[name];
    if (
      dist?.type === 'categorical' ||
      rows.some(({ trial }) => typeof trial.params[name] !== 'number')
    ) {
      const categories =
        dist?.type === 'categorical'
          ? dist.choices.map(String)
          : [...new Set(rows.map(({ trial }) => String(trial.params[name])))];
      axes.push({ dim: i + 1, name, type: 'category', data: categories });
    } else {
      const log = dist?.log === true;
      axes.push({
        dim: i + 1,
        name,
        type: log ? 'log' : 'value',
        scale: true,
        // Log axes otherwise print binary rounding noise such as 0.00009999….
        axisLabel: { formatter: (v: number) => String(Number(v.toPrecision(6))) },
      });
    }
  });
  const categorical = new Set(
    axes.filter((a) => a.type === 'category').map((a) => a.name as string),
  );
  const values = rows.map(({ value }) => value);
  return {
    title: titleOf(title),
    parallelAxis: axes,
    parallel: { left: 60, right: 170, top: 80, bottom: 40 },
    visualMap: {
      type: 'continuous',
      dimension: 0,
      min: values.length > 0 ? Math.min(...values) : 0,
      max: values.length > 0 ? Math.max(...values) : 1,
      right: 10,
      top: 'middle',
      text: [targetName, ''],
      calculable: false,
      inRange: { color: ['#1f4e8c', '#8fb8de', '#f2f2f2'] },
    },
    series: [
      {
        name: targetName,
        type: 'parallel',
        lineStyle: { width: 1.5, opacity: 0.8 },
        data: rows.map(({ trial, value }) => [
          value,
          ...names.map((n) => (categorical.has(n) ? String(trial.params[n]) : trial.params[n])),
        ]),
      },
    ],
  };
}

/** ECharts option of `plotParamImportances`. */
export function paramImportancesOption(
  source: StudyView | readonly ParamImportance[],
  options: ParamImportancesPlotOptions = {},
): ChartOption {
  const {
    targetName = 'Importance for Objective Value',
    title = 'Hyperparameter Importances',
    width: _width,
    height: _height,
    ...evaluate
  } = options;
  const importances = Array.isArray(source)
    ? (source as readonly ParamImportance[])
    : getParamImportances(source as StudyView, evaluate);
  // ECharts draws the first category at the bottom, so reverse to put the largest on top.
  const bars = [...importances].sort((a, b) => a.importance - b.importance);
  const label = (v: number) => (v < 0.01 ? '<0.01' : v.toFixed(2));
  return {
    title: titleOf(title),
    grid: { top: 60, left: 140, right: 60, bottom: 60 },
    xAxis: { type: 'value', name: targetName, nameLocation: 'middle', nameGap: 30 },
    yAxis: { type: 'category', data: bars.map((b) => b.name) },
    series: [
      {
        name: targetName,
        type: 'bar',
        data: bars.map((b) => b.importance),
        label: {
          show: true,
          position: 'right',
          formatter: (p: { value: number }) => label(p.value),
        },
      },
    ],
  };
}

/** ECharts option of `plotIntermediateValues`. */
export function intermediateValuesOption(study: StudyView, options: PlotOptions = {}): ChartOption {
  const { title = 'Intermediate Values Plot' } = options;
  const withReports = study.trials.filter((t) => Object.keys(t.intermediateValues).length > 0);
  const series = withReports.map((t) => ({
    name: `Trial ${t.number}`,
    type: 'line',
    showSymbol: true,
    symbolSize: 4,
    data: Object.entries(t.intermediateValues)
      .map(([step, value]) => [Number(step), value])
      .sort((a, b) => (a[0] as number) - (b[0] as number)),
  }));
  return {
    title: titleOf(title),
    legend: { type: 'scroll', top: 36, data: series.map((s) => s.name) },
    grid: { top: 80, left: 70, right: 30, bottom: 60 },
    xAxis: { type: 'value', name: 'Step', nameLocation: 'middle', nameGap: 30, minInterval: 1 },
    yAxis: {
      type: 'value',
      name: 'Intermediate Value',
      nameLocation: 'middle',
      nameGap: 50,
      scale: true,
    },
    series,
  };
}

/** SVG: objective value of every complete trial by trial number, with the best value so far. */
export async function plotOptimizationHistory(
  study: StudyView,
  options: TargetPlotOptions = {},
): Promise<string> {
  return renderChartToSvg(optimizationHistoryOption(study, options), options);
}

/** SVG: one line per complete trial across the target and parameter axes, coloured by target. */
export async function plotParallelCoordinate(
  study: StudyView,
  options: ParallelCoordinateOptions = {},
): Promise<string> {
  return renderChartToSvg(parallelCoordinateOption(study, options), options);
}

/** SVG: horizontal bars of parameter importances, most important on top. */
export async function plotParamImportances(
  source: StudyView | readonly ParamImportance[],
  options: ParamImportancesPlotOptions = {},
): Promise<string> {
  return renderChartToSvg(paramImportancesOption(source, options), options);
}

/** SVG: one line per trial through its reported (step, value) pairs. */
export async function plotIntermediateValues(
  study: StudyView,
  options: PlotOptions = {},
): Promise<string> {
  return renderChartToSvg(intermediateValuesOption(study, options), options);
}
