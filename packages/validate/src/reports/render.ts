// Entry points of the reports area: render one format to a string, or write all three formats
// into a folder, each file replaced atomically so readers never see half a report.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@ft/data';
import { ValidateError } from '../errors.js';
import { renderHtml } from './html.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import type {
  RenderReportOptions,
  ReportFormat,
  ReportInput,
  WriteReportOptions,
  WrittenReport,
} from './types.js';
import { validateReportInput } from './utils.js';

const FORMATS: readonly ReportFormat[] = ['markdown', 'json', 'html'];

function checkDigits(digits: number): void {
  if (!Number.isInteger(digits) || digits < 0 || digits > 12) {
    throw new ValidateError('INVALID_ARGUMENT', `expected an integer from 0 to 12, got ${digits}`, {
      field: 'options.digits',
    });
  }
}

/** Renders a report as Markdown, JSON or a self-contained HTML page with SVG charts. */
export async function renderReport(
  input: ReportInput,
  options: RenderReportOptions = {},
): Promise<string> {
  const { format = 'markdown', digits = 4 } = options;
  if (!FORMATS.includes(format)) {
    throw new ValidateError(
      'INVALID_ARGUMENT',
      `unknown format ${JSON.stringify(format)}; use one of ${FORMATS.join(', ')}`,
      { field: 'options.format' },
    );
  }
  checkDigits(digits);
  validateReportInput(input);
  if (format === 'json') return renderJson(input);
  if (format === 'html') return renderHtml(input, digits);
  return renderMarkdown(input, digits);
}

/** Writes `report.md`, `report.json` and `report.html` into `dir` (created if missing). */
export async function writeReport(
  dir: string,
  input: ReportInput,
  options: WriteReportOptions = {},
): Promise<WrittenReport> {
  const { digits = 4 } = options;
  checkDigits(digits);
  validateReportInput(input);
  // Render everything first: a bad input must not leave a folder with only some files updated.
  const [markdown, json, html] = await Promise.all([
    renderMarkdown(input, digits),
    renderJson(input),
    renderHtml(input, digits),
  ]);
  const paths: WrittenReport = {
    markdown: join(dir, 'report.md'),
    json: join(dir, 'report.json'),
    html: join(dir, 'report.html'),
  };
  try {
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(paths.markdown, (tmp) => writeFile(tmp, markdown, 'utf8'));
    await writeFileAtomic(paths.json, (tmp) => writeFile(tmp, json, 'utf8'));
    await writeFileAtomic(paths.html, (tmp) => writeFile(tmp, html, 'utf8'));
  } catch (error) {
    throw new ValidateError(
      'IO_ERROR',
      `could not write the report: ${(error as Error).message}; check that the folder is writable`,
      { path: dir, cause: error },
    );
  }
  return paths;
}
