// Report rendering: exact Markdown tables for a hand-computed classification case, JSON round trip,
// HTML escaping and self-containment, atomic writes and input errors.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type ComparisonResult,
  classificationReport,
  confusionMatrix,
  escapeMarkdown,
  REPORT_JSON_SCHEMA,
  type ReportInput,
  renderReport,
  ValidateError,
  writeReport,
} from '../index.js';

// Labels chosen to break naive Markdown and HTML: tags, ampersands, both quotes and a pipe.
const A = '<b>cat';
const B = 'dog & co';
const C = `say "hi" 'x'`;
const D = 'pipe|x';
const LABELS = [A, B, C, D];
const Y_TRUE = [A, A, A, B, B, C, C, D];
const Y_PRED = [A, A, B, B, C, C, C, D];

const comparison: ComparisonResult = {
  metric: 'accuracy',
  higherIsBetter: true,
  n: 8,
  baseline: 0.625,
  candidate: 0.75,
  delta: 0.125,
  ci: { low: -0.05, high: 0.3, level: 0.95, method: 't' },
  pValue: 0.1705,
  test: 'paired-t',
  effectSize: 0.5,
  alpha: 0.05,
  degraded: [{ index: 2, baseline: 1, candidate: 0, delta: -1 }],
  verdict: 'no_significant_difference',
};

function buildInput(): ReportInput {
  const cm = confusionMatrix(Y_TRUE, Y_PRED, { labels: LABELS });
  const report = classificationReport(Y_TRUE, Y_PRED, { labels: LABELS });
  const perClass = Object.fromEntries(
    report.classes.map(({ label, ...scores }) => [String(label), scores]),
  );
  return {
    title: 'Intent model <v2> & friends',
    modelVersion: 'm|2',
    baselineVersion: 'm1',
    metrics: { accuracy: report.accuracy, 'macro f1': report.macroAvg.f1 },
    comparisons: [comparison],
    gates: {
      passed: false,
      rules: [
        {
          id: 'accuracy>=0.8',
          description: '',
          passed: false,
          reason: '0.75 < 0.8',
          actual: 0.75,
          threshold: 0.8,
        },
      ],
    },
    confusionMatrix: { labels: cm.labels, matrix: cm.matrix },
    perClass,
    history: [
      { run: 'r1', values: { accuracy: 0.5 } },
      { run: 'r2', values: { accuracy: 0.625, f1: 0.6 } },
      { run: 'r3', values: { accuracy: 0.75, f1: 0.775 } },
    ],
    sections: [{ title: 'Notes <i>', body: 'First | para.\n\nSecond <para> & more.' }],
  };
}

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('escapeMarkdown', () => {
  it('escapes pipes, backslashes, HTML and emphasis, and flattens newlines', () => {
    expect(escapeMarkdown('a|b')).toBe('a\\|b');
    expect(escapeMarkdown('a\\b')).toBe('a\\\\b');
    expect(escapeMarkdown('<b>&')).toBe('&lt;b>&amp;');
    expect(escapeMarkdown('*x* _y_')).toBe('\\*x\\* \\_y\\_');
    expect(escapeMarkdown('one\ntwo\r\nthree')).toBe('one two three');
  });
});

describe('renderReport markdown', () => {
  it('names a gate rule slice once, whether or not the id already carries it', async () => {
    const rule = { description: 'd', passed: true, reason: 'ok' };
    const md = await renderReport({
      title: 't',
      gates: {
        passed: true,
        rules: [
          { ...rule, id: 'f1>=0.7[cat]', slice: 'cat' },
          { ...rule, id: 'coverage', slice: 'set [critical]' },
        ],
      },
    });
    expect(md).toContain('| f1>=0.7\\[cat\\] | pass |');
    expect(md).toContain('| coverage (set \\[critical\\]) | pass |');
  });

  it('renders hand-computed per-class scores and confusion counts as escaped tables', async () => {
    const md = await renderReport(buildInput(), { format: 'markdown' });
    expect(
      md.startsWith(
        '# Intent model &lt;v2> &amp; friends\n\n**Model:** m\\|2 · **Baseline:** m1\n',
      ),
    ).toBe(true);
    // By hand: A 2/2 precise, 2/3 recalled; B 1/2, 1/2; C 2/3, 2/2; D 1/1, 1/1.
    expect(md).toContain(
      [
        '| Class | Precision | Recall | F1 | Support |',
        '| --- | --- | --- | --- | --- |',
        '| &lt;b>cat | 1 | 0.6667 | 0.8000 | 3 |',
        '| dog &amp; co | 0.5000 | 0.5000 | 0.5000 | 2 |',
        `| say "hi" 'x' | 0.6667 | 1 | 0.8000 | 2 |`,
        '| pipe\\|x | 1 | 1 | 1 | 1 |',
      ].join('\n'),
    );
    expect(md).toContain(
      [
        '| true \\\\ predicted | &lt;b>cat | dog &amp; co | say "hi" \'x\' | pipe\\|x |',
        '| --- | --- | --- | --- | --- |',
        '| **&lt;b>cat** | 2 | 1 | 0 | 0 |',
        '| **dog &amp; co** | 0 | 1 | 1 | 0 |',
        `| **say "hi" 'x'** | 0 | 0 | 2 | 0 |`,
        '| **pipe\\|x** | 0 | 0 | 0 | 1 |',
      ].join('\n'),
    );
    expect(md).toContain('| accuracy | 0.7500 |');
    // Macro F1 = (0.8 + 0.5 + 0.8 + 1) / 4.
    expect(md).toContain('| macro f1 | 0.7750 |');
    expect(md).toContain('## Quality gate: FAILED');
    expect(md).toContain('| accuracy>=0.8 | **FAIL** | 0.7500 | 0.8000 | 0.75 &lt; 0.8 |');
    expect(md).toContain(
      '| accuracy | 0.6250 | 0.7500 | +0.1250 | 95% [-0.0500, +0.3000] | 0.1705 | paired-t | 8 | 1 | no significant difference |',
    );
    expect(md).toContain('| Run | accuracy | f1 |\n| --- | --- | --- |\n| r1 | 0.5000 |  |');
    expect(md).toContain('## Notes &lt;i>\n\nFirst \\| para.\n\nSecond &lt;para> &amp; more.\n');
    // Every table row has as many unescaped pipes as its header.
    for (const block of md.split('\n\n').filter((b) => b.startsWith('|'))) {
      const counts = block.split('\n').map((row) => row.replace(/\\\|/g, '').split('|').length);
      expect(new Set(counts).size).toBe(1);
    }
  });

  it('prints tiny values in exponent form and non-finite comparison values as n/a', async () => {
    const md = await renderReport({
      title: 't',
      comparisons: [
        { ...comparison, pValue: 0.0000123 },
        { ...comparison, metric: 'f1', pValue: Number.NaN },
      ],
    });
    expect(md).toContain('| +0.1250 | 95% [-0.0500, +0.3000] | 1.23e-5 | paired-t |');
    expect(md).toContain(
      '| f1 | 0.6250 | 0.7500 | +0.1250 | 95% [-0.0500, +0.3000] | n/a | paired-t |',
    );
  });
});

describe('renderReport json', () => {
  it('round-trips the input under the schema tag', async () => {
    const input = buildInput();
    const parsed = JSON.parse(await renderReport(input, { format: 'json' }));
    expect(parsed).toEqual({ schema: REPORT_JSON_SCHEMA, ...input });
  });
});

describe('renderReport html', () => {
  it('is one escaped, self-contained page with four inline SVG charts', async () => {
    const html = await renderReport(buildInput(), { format: 'html' });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/<script|https?:|\bsrc=|\bhref=|@import|url\((?!#)/i);
    const charts = [...html.matchAll(/<svg [^>]*data-chart="([^"]+)"/g)].map((m) => m[1]);
    expect(charts).toEqual(['delta', 'per-class-f1', 'confusion-matrix', 'history']);
    expect(html).toContain('<title>Intent model &lt;v2&gt; &amp; friends</title>');
    expect(html).toContain('<td>say &quot;hi&quot; &#39;x&#39;</td>');
    expect(html).toContain('<b>&lt;b&gt;cat</b>');
    expect(html).toContain('<p>Second &lt;para&gt; &amp; more.</p>');
    // No label leaks unescaped anywhere, including inside the SVG text echarts wrote.
    expect(html).not.toContain('<b>cat');
    expect(html).not.toContain('"hi"');
    expect(html).not.toContain('<i>');
    expect(html).toMatch(/<text [^>]*>&lt;b&gt;cat<\/text>/);
  });
});

describe('writeReport', () => {
  it('writes the three formats atomically, equal to renderReport', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ft-report-'));
    dirs.push(dir);
    const input = buildInput();
    const out = await writeReport(join(dir, 'nested'), input);
    expect(out).toEqual({
      markdown: join(dir, 'nested', 'report.md'),
      json: join(dir, 'nested', 'report.json'),
      html: join(dir, 'nested', 'report.html'),
    });
    expect(await readFile(out.markdown, 'utf8')).toBe(await renderReport(input));
    expect(await readFile(out.json, 'utf8')).toBe(await renderReport(input, { format: 'json' }));
    const html = await readFile(out.html, 'utf8');
    expect(html.match(/<svg /g)?.length).toBe(4);
    expect((await readdir(join(dir, 'nested'))).sort()).toEqual([
      'report.html',
      'report.json',
      'report.md',
    ]);
  });

  it('writes nothing when the input is bad', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ft-report-'));
    dirs.push(dir);
    await expect(writeReport(dir, { title: 't', metrics: { f1: Number.NaN } })).rejects.toThrow(
      ValidateError,
    );
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('report input errors', () => {
  const fails = async (input: unknown, options: object, code: string, field: string) => {
    const error = await renderReport(input as ReportInput, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidateError);
    expect((error as ValidateError).code).toBe(code);
    expect((error as ValidateError).field).toBe(field);
  };

  it('names the bad field', async () => {
    await fails({ title: '' }, {}, 'INVALID_CONFIG', 'title');
    await fails({ title: 't', metrics: { acc: Number.NaN } }, {}, 'NOT_FINITE', 'metrics.acc');
    await fails(
      { title: 't', confusionMatrix: { labels: ['a', 'b'], matrix: [[1, 2]] } },
      {},
      'LENGTH_MISMATCH',
      'confusionMatrix.matrix',
    );
    await fails(
      { title: 't', confusionMatrix: { labels: ['a', 'b'], matrix: [[1, 2], [3]] } },
      {},
      'LENGTH_MISMATCH',
      'confusionMatrix.matrix[1]',
    );
    await fails(
      { title: 't', confusionMatrix: { labels: [], matrix: [] } },
      {},
      'EMPTY_INPUT',
      'confusionMatrix.labels',
    );
    await fails(
      {
        title: 't',
        perClass: { a: { precision: 1, recall: 1, f1: Number.POSITIVE_INFINITY, support: 1 } },
      },
      {},
      'NOT_FINITE',
      'perClass["a"].f1',
    );
    await fails(
      { title: 't', history: [{ step: 1, values: { loss: Number.NaN } }] },
      {},
      'NOT_FINITE',
      'history[0].values.loss',
    );
    await fails({ title: 't' }, { format: 'pdf' }, 'INVALID_ARGUMENT', 'options.format');
    await fails({ title: 't' }, { digits: -1 }, 'INVALID_ARGUMENT', 'options.digits');
  });
});
