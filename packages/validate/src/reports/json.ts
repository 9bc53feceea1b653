// JSON report renderer: the validated input itself under a versioned schema tag, so tools can read
// the numbers back without parsing Markdown or HTML.
import type { ReportInput } from './types.js';

/** Tag of the JSON layout; bump when fields change meaning. */
export const REPORT_JSON_SCHEMA = 'ft-validate-report/1';

export function renderJson(input: ReportInput): string {
  // Non-finite numbers a comparison may carry (e.g. an effect size with zero spread) become null,
  // as JSON has no NaN; the Markdown and HTML show them as "n/a".
  return `${JSON.stringify({ schema: REPORT_JSON_SCHEMA, ...input }, null, 2)}\n`;
}
