// Markdown report renderer: headings and GitHub-flavoured tables, with cell text escaped so labels
// containing pipes, HTML or newlines cannot break the table or inject markup.
import type { ReportInput } from './types.js';
import {
  formatCi,
  formatLevel,
  formatNumber,
  formatSigned,
  historyLabel,
  historyMetrics,
} from './utils.js';

/**
 * Escapes text for a Markdown table cell or inline text: `\` and `|` are backslash-escaped,
 * `&` and `<` become entities (GitHub would otherwise render or strip raw HTML), Markdown
 * emphasis characters are escaped, and newlines become spaces since a cell is one line.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/\\/g, '\\\\')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/([|*_`[\]#])/g, '\\$1')
    .replace(/\r?\n|\r/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderMarkdown(input: ReportInput, digits: number): string {
  const num = (v: number) => formatNumber(v, digits);
  const out: string[] = [`# ${escapeMarkdown(input.title)}`];
  const facts: string[] = [];
  if (input.modelVersion !== undefined)
    facts.push(`**Model:** ${escapeMarkdown(input.modelVersion)}`);
  if (input.baselineVersion !== undefined) {
    facts.push(`**Baseline:** ${escapeMarkdown(input.baselineVersion)}`);
  }
  if (input.createdAt !== undefined) facts.push(`**Created:** ${escapeMarkdown(input.createdAt)}`);
  if (facts.length > 0) out.push(facts.join(' · '));

  if (input.gates !== undefined) {
    out.push(`## Quality gate: ${input.gates.passed ? 'PASSED' : 'FAILED'}`);
    out.push(
      table(
        ['Rule', 'Result', 'Actual', 'Threshold', 'Reason'],
        input.gates.rules.map((r) => [
          escapeMarkdown(r.slice === undefined ? r.id : `${r.id} (${r.slice})`),
          r.passed ? 'pass' : '**FAIL**',
          r.actual === undefined ? '' : num(r.actual),
          r.threshold === undefined ? '' : num(r.threshold),
          escapeMarkdown(r.reason),
        ]),
      ),
    );
  }

  if (input.metrics !== undefined && Object.keys(input.metrics).length > 0) {
    out.push('## Metrics');
    out.push(
      table(
        ['Metric', 'Value'],
        Object.entries(input.metrics).map(([name, value]) => [escapeMarkdown(name), num(value)]),
      ),
    );
  }

  if (input.comparisons !== undefined && input.comparisons.length > 0) {
    out.push('## Comparison with baseline');
    out.push(
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
          escapeMarkdown(c.metric),
          num(c.baseline),
          num(c.candidate),
          formatSigned(c.delta, digits),
          `${formatLevel(c.ci.level)} ${formatCi(c, digits)}`,
          num(c.pValue),
          escapeMarkdown(c.test),
          String(c.n),
          String(c.degraded?.length ?? 0),
          c.verdict === 'worse' ? '**worse**' : c.verdict.replace(/_/g, ' '),
        ]),
      ),
    );
  }

  if (input.perClass !== undefined && Object.keys(input.perClass).length > 0) {
    out.push('## Per-class scores');
    out.push(
      table(
        ['Class', 'Precision', 'Recall', 'F1', 'Support'],
        Object.entries(input.perClass).map(([label, s]) => [
          escapeMarkdown(label),
          num(s.precision),
          num(s.recall),
          num(s.f1),
          String(s.support),
        ]),
      ),
    );
  }

  const cm = input.confusionMatrix;
  if (cm !== undefined) {
    out.push('## Confusion matrix');
    out.push('Rows are true labels, columns predicted labels.');
    out.push(
      table(
        ['true \\\\ predicted', ...cm.labels.map((l) => escapeMarkdown(String(l)))],
        cm.matrix.map((row, i) => [
          `**${escapeMarkdown(String(cm.labels[i] ?? ''))}**`,
          ...row.map((v) => num(v)),
        ]),
      ),
    );
  }

  if (input.history !== undefined && input.history.length > 0) {
    const names = historyMetrics(input.history);
    out.push('## Metric history');
    out.push(
      table(
        [
          input.history.some((p) => p.run !== undefined) ? 'Run' : 'Step',
          ...names.map(escapeMarkdown),
        ],
        input.history.map((point, i) => [
          escapeMarkdown(historyLabel(point, i)),
          ...names.map((name) => {
            const v = point.values[name];
            return v === undefined ? '' : num(v);
          }),
        ]),
      ),
    );
  }

  for (const section of input.sections ?? []) {
    out.push(`## ${escapeMarkdown(section.title)}`);
    // Paragraph breaks survive; everything else is escaped as plain text.
    const paragraphs = section.body
      .split(/\r?\n\s*\r?\n/)
      .map((p) => escapeMarkdown(p.trim()))
      .filter((p) => p !== '');
    out.push(...paragraphs);
  }
  return `${out.join('\n\n')}\n`;
}
