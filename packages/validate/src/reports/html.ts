// Self-contained HTML report renderer: one file with inline CSS and inline SVG charts, no scripts
// and no external URLs, so it can be attached to a CI run or mailed and still open anywhere.
import {
  type ChartSpec,
  confusionMatrixOption,
  deltaOption,
  historyOption,
  perClassF1Option,
  renderSvg,
} from './charts.js';
import {
  comparisonTable,
  confusionTable,
  gateTable,
  historyTable,
  metricsTable,
  paragraphs,
  perClassTable,
  type ReportCell,
  type ReportTable,
} from './tables.js';
import type { ReportInput } from './types.js';
import { escapeHtml } from './utils.js';

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#1b1b1f;line-height:1.45}
h1{margin-bottom:.25rem}h2{margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.25rem}
.facts{color:#555;margin:0 0 1rem}.facts span{margin-right:1.25rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #d6d6dc;padding:.3rem .6rem;text-align:left;vertical-align:top;white-space:nowrap}
td.wrap{white-space:normal;min-width:16rem}.scroll{overflow-x:auto}
th{background:#f3f4f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#2e7d32;font-weight:600}.fail{color:#c62828;font-weight:600}
.badge{display:inline-block;padding:.1rem .6rem;border-radius:1rem;color:#fff;font-size:.95rem}
.badge.pass{background:#2e7d32;color:#fff}.badge.fail{background:#c62828;color:#fff}
figure.chart{margin:1rem 0;overflow-x:auto}figure.chart svg{display:block;max-width:none}
`;

/**
 * Echarts' SVG carries xmlns URLs that inline SVG in HTML does not need; dropping them keeps the
 * file free of any URL, which makes "no external references" easy to check.
 */
function inlineSvg(svg: string, name: string): string {
  return svg
    .replace(/\s+xmlns(:xlink)?="[^"]*"/g, '')
    .replace(/^<svg /, `<svg role="img" aria-label="${escapeHtml(name)}" data-chart="${name}" `);
}

/** A table in a horizontally scrolling box, so wide confusion matrices do not widen the page. */
function table({ header, rows }: ReportTable): string {
  const head = header.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const cell = (c: ReportCell) => {
    const cls = c.numeric ? ' class="num"' : c.wrap ? ' class="wrap"' : '';
    const escaped = escapeHtml(c.text);
    const body =
      c.tone === 'strong'
        ? `<b>${escaped}</b>`
        : c.tone === undefined
          ? escaped
          : `<span class="${c.tone}">${escaped}</span>`;
    return `<td${cls}>${body}</td>`;
  };
  const body = rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

/** A chart as inline SVG; `name` labels it for screen readers and tests. */
async function figure(chart: ChartSpec, name: string): Promise<string> {
  const svg = await renderSvg(chart.option, chart.width, chart.height);
  return `<figure class="chart">${inlineSvg(svg, name)}</figure>`;
}

export async function renderHtml(input: ReportInput, digits: number): Promise<string> {
  const e = escapeHtml;
  const parts: string[] = [`<h1>${e(input.title)}</h1>`];
  const facts: string[] = [];
  if (input.modelVersion !== undefined) {
    facts.push(`<span>Model: <b>${e(input.modelVersion)}</b></span>`);
  }
  if (input.baselineVersion !== undefined) {
    facts.push(`<span>Baseline: <b>${e(input.baselineVersion)}</b></span>`);
  }
  if (input.createdAt !== undefined) facts.push(`<span>Created: ${e(input.createdAt)}</span>`);
  if (facts.length > 0) parts.push(`<p class="facts">${facts.join('')}</p>`);

  if (input.gates !== undefined) {
    const passed = input.gates.passed;
    parts.push(
      `<h2>Quality gate <span class="badge ${passed ? 'pass' : 'fail'}">${passed ? 'PASSED' : 'FAILED'}</span></h2>`,
      table(gateTable(input.gates, digits)),
    );
  }
  if (input.metrics !== undefined && Object.keys(input.metrics).length > 0) {
    parts.push('<h2>Metrics</h2>', table(metricsTable(input.metrics, digits)));
  }
  if (input.comparisons !== undefined && input.comparisons.length > 0) {
    parts.push(
      '<h2>Comparison with baseline</h2>',
      await figure(deltaOption(input.comparisons), 'delta'),
      table(comparisonTable(input.comparisons, digits)),
    );
  }
  if (input.perClass !== undefined && Object.keys(input.perClass).length > 0) {
    parts.push(
      '<h2>Per-class scores</h2>',
      await figure(perClassF1Option(input.perClass), 'per-class-f1'),
      table(perClassTable(input.perClass, digits)),
    );
  }
  if (input.confusionMatrix !== undefined) {
    parts.push(
      '<h2>Confusion matrix</h2>',
      await figure(confusionMatrixOption(input.confusionMatrix), 'confusion-matrix'),
      table(confusionTable(input.confusionMatrix, digits)),
    );
  }
  if (input.history !== undefined && input.history.length > 0) {
    parts.push(
      '<h2>Metric history</h2>',
      await figure(historyOption(input.history), 'history'),
      table(historyTable(input.history, digits)),
    );
  }
  for (const section of input.sections ?? []) {
    parts.push(
      `<h2>${e(section.title)}</h2>`,
      ...paragraphs(section.body).map((p) => `<p>${e(p)}</p>`),
    );
  }

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(input.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${parts.join('\n')}
</body>
</html>
`;
}
