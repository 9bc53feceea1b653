// SVG charts for the HTML report, rendered headlessly with echarts' server-side renderer; echarts
// is imported lazily so importing @ft/validate stays cheap for callers that never render HTML.
import type { ClassScores, ComparisonResult } from '../types.js';
import type { ReportConfusionMatrix, ReportHistoryPoint } from './types.js';
import { historyLabel, historyMetrics } from './utils.js';

type EChartsModule = typeof import('echarts');
// Plain option objects: echarts' own option type is a wide union that adds nothing here.
type ChartOption = Record<string, unknown>;

/** An echarts option with the pixel size to render it at. */
export interface ChartSpec {
  option: ChartOption;
  width: number;
  height: number;
}

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif';
const COLORS = { better: '#2e7d32', worse: '#c62828', same: '#757575', bar: '#3f6fd8' };

let echartsModule: Promise<EChartsModule> | undefined;
function loadEcharts(): Promise<EChartsModule> {
  echartsModule ??= import('echarts');
  return echartsModule;
}

/** Renders one option to an SVG string and disposes the chart (SSR charts hold timers until disposed). */
export async function renderSvg(
  option: ChartOption,
  width: number,
  height: number,
): Promise<string> {
  const echarts = await loadEcharts();
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/** Long labels are shortened on axes (the full text stays in the tables). */
function shorten(label: string, max = 18): string {
  return label.length > max ? `${label.slice(0, max - 1)}…` : label;
}

export function confusionMatrixOption(cm: ReportConfusionMatrix): ChartSpec {
  const n = cm.labels.length;
  const cell = Math.max(28, Math.min(64, Math.floor(520 / n)));
  const data: Array<[number, number, number]> = [];
  let max = 0;
  cm.matrix.forEach((row, i) => {
    row.forEach((v, j) => {
      data.push([j, i, v]);
      if (v > max) max = v;
    });
  });
  const labels = cm.labels.map((l) => shorten(String(l)));
  const rotate = n > 4;
  const left = 140;
  const bottom = rotate ? 110 : 60;
  const width = left + n * cell + 40;
  const height = 60 + n * cell + bottom;
  return {
    width,
    height,
    option: {
      title: { text: 'Confusion matrix', left: 'center', textStyle: { fontSize: 14 } },
      grid: { left, right: 40, top: 50, bottom },
      xAxis: {
        type: 'category',
        data: labels,
        name: 'predicted',
        nameLocation: 'middle',
        nameGap: rotate ? 70 : 30,
        axisLabel: { rotate: rotate ? 30 : 0, interval: 0 },
        splitArea: { show: true },
      },
      yAxis: {
        type: 'category',
        data: labels,
        inverse: true,
        name: 'true',
        nameLocation: 'middle',
        nameGap: 110,
        axisLabel: { interval: 0 },
        splitArea: { show: true },
      },
      visualMap: {
        show: false,
        min: 0,
        max: Math.max(1, max),
        inRange: { color: ['#f4f7fd', '#1f4fb4'] },
      },
      series: [
        {
          type: 'heatmap',
          data,
          silent: true,
          label: { show: true, fontSize: n > 12 ? 9 : 12 },
        },
      ],
    },
  };
}

export function perClassF1Option(perClass: Record<string, ClassScores>): ChartSpec {
  const entries = Object.entries(perClass);
  const rotate = entries.length > 5;
  const width = Math.max(420, 120 + entries.length * 56);
  const height = rotate ? 340 : 300;
  return {
    width,
    height,
    option: {
      title: { text: 'F1 per class', left: 'center', textStyle: { fontSize: 14 } },
      grid: { left: 60, right: 30, top: 50, bottom: rotate ? 90 : 40 },
      xAxis: {
        type: 'category',
        data: entries.map(([label]) => shorten(label)),
        axisLabel: { rotate: rotate ? 30 : 0, interval: 0 },
      },
      yAxis: { type: 'value', min: 0, max: 1, name: 'F1' },
      series: [
        {
          type: 'bar',
          silent: true,
          data: entries.map(([, s]) => s.f1),
          itemStyle: { color: COLORS.bar },
          label: {
            show: true,
            position: 'top',
            formatter: (p: { value: number }) => p.value.toFixed(3),
          },
        },
      ],
    },
  };
}

export function historyOption(history: ReportHistoryPoint[]): ChartSpec {
  const names = historyMetrics(history);
  return {
    width: 720,
    height: 360,
    option: {
      title: { text: 'Metric history', left: 'center', textStyle: { fontSize: 14 } },
      legend: { top: 34, data: names },
      grid: { left: 60, right: 30, top: 80, bottom: 50 },
      xAxis: {
        type: 'category',
        data: history.map((p, i) => shorten(historyLabel(p, i))),
        name: history.some((p) => p.run !== undefined) ? 'run' : 'step',
        nameLocation: 'middle',
        nameGap: 30,
      },
      yAxis: { type: 'value', scale: true },
      series: names.map((name) => ({
        type: 'line',
        name,
        silent: true,
        showSymbol: true,
        // null leaves a gap where a metric was not measured at a point.
        data: history.map((p) => p.values[name] ?? null),
      })),
    },
  };
}

/**
 * Delta (candidate − baseline) per metric as a point with its confidence interval as an error bar,
 * coloured by verdict, around a zero line. echarts has no error-bar series, hence the custom one.
 */
export function deltaOption(comparisons: ComparisonResult[]): ChartSpec {
  const height = 110 + comparisons.length * 44;
  const colorOf = (c: ComparisonResult) =>
    c.verdict === 'better' ? COLORS.better : c.verdict === 'worse' ? COLORS.worse : COLORS.same;
  const finite = (v: number) => (Number.isFinite(v) ? v : 0);
  return {
    width: 720,
    height,
    option: {
      title: {
        text: 'Candidate − baseline (with confidence interval)',
        left: 'center',
        textStyle: { fontSize: 14 },
      },
      grid: { left: 180, right: 40, top: 50, bottom: 50 },
      // A value axis without `scale` always spans zero, so the zero line is always in view.
      xAxis: { type: 'value', name: 'delta', nameLocation: 'middle', nameGap: 28 },
      yAxis: {
        type: 'category',
        data: comparisons.map((c) => shorten(c.metric, 22)),
        inverse: true,
        axisLabel: { interval: 0 },
      },
      series: [
        {
          type: 'custom',
          silent: true,
          data: comparisons.map((c, i) => [finite(c.ci.low), finite(c.ci.high), i]),
          encode: { x: [0, 1], y: 2 },
          renderItem: (
            _params: unknown,
            api: {
              value: (dim: number) => number;
              coord: (point: [number, number]) => [number, number];
            },
          ) => {
            const index = api.value(2);
            const lowPoint = api.coord([api.value(0), index]);
            const highPoint = api.coord([api.value(1), index]);
            const c = comparisons[index];
            const stroke = c === undefined ? COLORS.same : colorOf(c);
            const cap = 7;
            const style = { stroke, lineWidth: 2 };
            return {
              type: 'group',
              // The interval, then a vertical cap at each end.
              children: [
                [lowPoint[0], lowPoint[1], highPoint[0], highPoint[1]],
                [lowPoint[0], lowPoint[1] - cap, lowPoint[0], lowPoint[1] + cap],
                [highPoint[0], highPoint[1] - cap, highPoint[0], highPoint[1] + cap],
              ].map(([x1, y1, x2, y2]) => ({ type: 'line', shape: { x1, y1, x2, y2 }, style })),
            };
          },
        },
        {
          type: 'scatter',
          silent: true,
          symbolSize: 11,
          data: comparisons.map((c, i) => ({
            value: [c.delta, i],
            itemStyle: { color: colorOf(c) },
          })),
          label: {
            show: true,
            position: 'top',
            formatter: (p: { value: [number, number] }) =>
              `${p.value[0] > 0 ? '+' : ''}${p.value[0].toPrecision(3)}`,
          },
          markLine: {
            silent: true,
            symbol: 'none',
            lineStyle: { color: '#333', type: 'dashed' },
            label: { show: false },
            data: [{ xAxis: 0 }],
          },
        },
      ],
    },
  };
}
