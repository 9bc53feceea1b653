// Markdown report renderer: headings and GitHub-flavoured tables, with cell text escaped so labels
// containing pipes, HTML or newlines cannot break the table or inject markup.
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

function table({ header, rows }: ReportTable): string {
  const cell = (c: ReportCell) => {
    const escaped = c.numeric ? c.text : escapeMarkdown(c.text);
    return c.tone === 'fail' || c.tone === 'strong' ? `**${escaped}**` : escaped;
  };
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(header.map(escapeMarkdown)),
    line(header.map(() => '---')),
    ...rows.map((row) => line(row.map(cell))),
  ].join('\n');
}

export function renderMarkdown(input: ReportInput, digits: number): string {
  const out: string[] = [`# ${escapeMarkdown(input.title)}`];
  const facts: string[] = [];
  if (input.modelVersion !== undefined) {
    facts.push(`**Model:** ${escapeMarkdown(input.modelVersion)}`);
  }
  if (input.baselineVersion !== undefined) {
    facts.push(`**Baseline:** ${escapeMarkdown(input.baselineVersion)}`);
  }
  if (input.createdAt !== undefined) facts.push(`**Created:** ${escapeMarkdown(input.createdAt)}`);
  if (facts.length > 0) out.push(facts.join(' · '));

  if (input.gates !== undefined) {
    out.push(`## Quality gate: ${input.gates.passed ? 'PASSED' : 'FAILED'}`);
    out.push(table(gateTable(input.gates, digits)));
  }
  if (input.metrics !== undefined && Object.keys(input.metrics).length > 0) {
    out.push('## Metrics', table(metricsTable(input.metrics, digits)));
  }
  if (input.comparisons !== undefined && input.comparisons.length > 0) {
    out.push('## Comparison with baseline', table(comparisonTable(input.comparisons, digits)));
  }
  if (input.perClass !== undefined && Object.keys(input.perClass).length > 0) {
    out.push('## Per-class scores', table(perClassTable(input.perClass, digits)));
  }
  if (input.confusionMatrix !== undefined) {
    out.push(
      '## Confusion matrix',
      'Rows are true labels, columns predicted labels.',
      table(confusionTable(input.confusionMatrix, digits)),
    );
  }
  if (input.history !== undefined && input.history.length > 0) {
    out.push('## Metric history', table(historyTable(input.history, digits)));
  }
  for (const section of input.sections ?? []) {
    // Paragraph breaks survive; everything else is escaped as plain text.
    out.push(
      `## ${escapeMarkdown(section.title)}`,
      ...paragraphs(section.body).map(escapeMarkdown),
    );
  }
  return `${out.join('\n\n')}\n`;
}
