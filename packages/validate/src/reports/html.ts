// Self-contained HTML report renderer: one file with inline CSS and inline SVG charts, no scripts
// and no external URLs, so it can be attached to a CI run or mailed and still open anywhere.
import {
  confusionMatrixOption,
  deltaOption,
  historyOption,
  perClassF1Option,
  renderSvg,
} from './charts.js';
import type { ReportInput } from './types.js';
import {
  escapeHtml,
  formatCi,
  formatLevel,
  formatNumber,
  formatSigned,
  historyLabel,
  historyMetrics,
} from './utils.js';

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
function table(
  header: string[],
  rows: string[][],
  numeric: ReadonlySet<number>,
  wrap: ReadonlySet<number> = new Set(),
): string {
  const head = header.map((h) => `<th>${h}</th>`).join('');
  const cell = (text: string, i: number) => {
    const cls = numeric.has(i) ? ' class="num"' : wrap.has(i) ? ' class="wrap"' : '';
    return `<td${cls}>${text}</td>`;
  };
  const body = rows.map((row) => `<tr>${row.map(cell).join('')}</tr>`).join('\n');
  return `<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

const range = (from: number, to: number) =>
  new Set(Array.from({ length: to - from }, (_, i) => from + i));

export async function renderHtml(input: ReportInput, digits: number): Promise<string> {
  const num = (v: number) => escapeHtml(formatNumber(v, digits));
  const e = escapeHtml;
  const parts: string[] = [`<h1>${e(input.title)}</h1>`];
  const facts: string[] = [];
  if (input.modelVersion !== undefined)
    facts.push(`<span>Model: <b>${e(input.modelVersion)}</b></span>`);
  if (input.baselineVersion !== undefined) {
    facts.push(`<span>Baseline: <b>${e(input.baselineVersion)}</b></span>`);
  }
  if (input.createdAt !== undefined) facts.push(`<span>Created: ${e(input.createdAt)}</span>`);
  if (facts.length > 0) parts.push(`<p class="facts">${facts.join('')}</p>`);

  if (input.gates !== undefined) {
    const passed = input.gates.passed;
    parts.push(
      `<h2>Quality gate <span class="badge ${passed ? 'pass' : 'fail'}">${passed ? 'PASSED' : 'FAILED'}</span></h2>`,
    );
    parts.push(
      table(
        ['Rule', 'Result', 'Actual', 'Threshold', 'Reason'],
        input.gates.rules.map((r) => [
          e(r.slice === undefined ? r.id : `${r.id} (${r.slice})`),
          r.passed ? '<span class="pass">pass</span>' : '<span class="fail">FAIL</span>',
          r.actual === undefined ? '' : num(r.actual),
          r.threshold === undefined ? '' : num(r.threshold),
          e(r.reason),
        ]),
        new Set([2, 3]),
        new Set([4]),
      ),
    );
  }

  if (input.metrics !== undefined && Object.keys(input.metrics).length > 0) {
    parts.push('<h2>Metrics</h2>');
    parts.push(
      table(
        ['Metric', 'Value'],
        Object.entries(input.metrics).map(([name, value]) => [e(name), num(value)]),
        new Set([1]),
      ),
    );
  }

  if (input.comparisons !== undefined && input.comparisons.length > 0) {
    const delta = deltaOption(input.comparisons);
    parts.push('<h2>Comparison with baseline</h2>');
    parts.push(
      `<figure class="chart">${inlineSvg(await renderSvg(delta.option, delta.width, delta.height), 'delta')}</figure>`,
    );
    parts.push(
      table(
        [
          'Metric',
          'Baseline',
          'Candidate',
          'Delta',
          'CI',
          'p-value',
          'Test',
          'n',
          'Degraded',
          'Verdict',
        ],
        input.comparisons.map((c) => [
          e(c.metric),
          num(c.baseline),
          num(c.candidate),
          e(formatSigned(c.delta, digits)),
          e(`${formatLevel(c.ci.level)} ${formatCi(c, digits)}`),
          num(c.pValue),
          e(c.test),
          String(c.n),
          String(c.degraded?.length ?? 0),
          c.verdict === 'worse'
            ? '<span class="fail">worse</span>'
            : c.verdict === 'better'
              ? '<span class="pass">better</span>'
              : 'no significant difference',
        ]),
        range(1, 9),
      ),
    );
  }

  if (input.perClass !== undefined && Object.keys(input.perClass).length > 0) {
    const f1 = perClassF1Option(input.perClass);
    parts.push('<h2>Per-class scores</h2>');
    parts.push(
      `<figure class="chart">${inlineSvg(await renderSvg(f1.option, f1.width, f1.height), 'per-class-f1')}</figure>`,
    );
    parts.push(
      table(
        ['Class', 'Precision', 'Recall', 'F1', 'Support'],
        Object.entries(input.perClass).map(([label, s]) => [
          e(label),
          num(s.precision),
          num(s.recall),
          num(s.f1),
          String(s.support),
        ]),
        range(1, 5),
      ),
    );
  }

  const cm = input.confusionMatrix;
  if (cm !== undefined) {
    const heat = confusionMatrixOption(cm);
    parts.push('<h2>Confusion matrix</h2>');
    parts.push(
      `<figure class="chart">${inlineSvg(await renderSvg(heat.option, heat.width, heat.height), 'confusion-matrix')}</figure>`,
    );
    parts.push(
      table(
        ['true \\ predicted', ...cm.labels.map((l) => e(String(l)))],
        cm.matrix.map((row, i) => [
          `<b>${e(String(cm.labels[i] ?? ''))}</b>`,
          ...row.map((v) => num(v)),
        ]),
        range(1, cm.labels.length + 1),
      ),
    );
  }

  if (input.history !== undefined && input.history.length > 0) {
    const names = historyMetrics(input.history);
    const line = historyOption(input.history);
    parts.push('<h2>Metric history</h2>');
    parts.push(
      `<figure class="chart">${inlineSvg(await renderSvg(line.option, line.width, line.height), 'history')}</figure>`,
    );
    parts.push(
      table(
        [input.history.some((p) => p.run !== undefined) ? 'Run' : 'Step', ...names.map(e)],
        input.history.map((point, i) => [
          e(historyLabel(point, i)),
          ...names.map((name) => {
            const v = point.values[name];
            return v === undefined ? '' : num(v);
          }),
        ]),
        range(1, names.length + 1),
      ),
    );
  }

  for (const section of input.sections ?? []) {
    parts.push(`<h2>${e(section.title)}</h2>`);
    for (const paragraph of section.body.split(/\r?\n\s*\r?\n/)) {
      if (paragraph.trim() !== '') parts.push(`<p>${e(paragraph.trim())}</p>`);
    }
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
