// Opens a written HTML report in headless Chromium: no console or page errors, every chart's SVG
// is laid out with a non-zero size and shows the class labels and metric names it should.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { afterAll, expect, it } from 'vitest';
import { type ReportInput, writeReport } from '../index.js';
import { CHROMIUM_INSTALL_HINT, CHROMIUM_PATH } from './chromium-setup.js';

const input: ReportInput = {
  title: 'Browser check <&>',
  modelVersion: 'v2',
  baselineVersion: 'v1',
  metrics: { accuracy: 0.75 },
  comparisons: [
    {
      metric: 'accuracy',
      higherIsBetter: true,
      n: 40,
      baseline: 0.7,
      candidate: 0.75,
      delta: 0.05,
      ci: { low: 0.01, high: 0.09, level: 0.95, method: 't' },
      pValue: 0.02,
      test: 'paired-t',
      effectSize: 0.4,
      alpha: 0.05,
      degraded: [],
      verdict: 'better',
    },
    {
      metric: 'wer',
      higherIsBetter: false,
      n: 40,
      baseline: 0.2,
      candidate: 0.23,
      delta: 0.03,
      ci: { low: 0.005, high: 0.055, level: 0.95, method: 't' },
      pValue: 0.03,
      test: 'paired-t',
      effectSize: 0.3,
      alpha: 0.05,
      degraded: [],
      verdict: 'worse',
    },
  ],
  confusionMatrix: {
    labels: ['<b>cat', 'dog & co', 'say "hi"'],
    matrix: [
      [12, 2, 1],
      [3, 9, 0],
      [0, 1, 14],
    ],
  },
  perClass: {
    '<b>cat': { precision: 0.8, recall: 0.8, f1: 0.8, support: 15 },
    'dog & co': { precision: 0.75, recall: 0.75, f1: 0.75, support: 12 },
    'say "hi"': { precision: 0.9333, recall: 0.9333, f1: 0.9333, support: 15 },
  },
  history: [
    { run: 'v0', values: { accuracy: 0.62, 'macro f1': 0.6 } },
    { run: 'v1', values: { accuracy: 0.7, 'macro f1': 0.68 } },
    { run: 'v2', values: { accuracy: 0.75, 'macro f1': 0.74 } },
  ],
};

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

it('renders every chart in headless Chromium without errors', async () => {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(CHROMIUM_INSTALL_HINT);
  const dir = await mkdtemp(join(tmpdir(), 'ft-report-browser-'));
  dirs.push(dir);
  const { html } = await writeReport(dir, input);

  const browser = await puppeteer.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--headless=new'],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(String(error)));
    page.on('request', (request) => requests.push(request.url()));
    await page.setViewport({ width: 1100, height: 900 });
    await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });

    const charts = await page.$$eval('svg[data-chart]', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        return {
          name: svg.getAttribute('data-chart'),
          width: box.width,
          height: box.height,
          texts: Array.from(
            svg.querySelectorAll('text'),
            (t) => (t as { textContent: string | null }).textContent ?? '',
          ),
        };
      }),
    );
    expect(errors).toEqual([]);
    // The page itself is the only request: no fonts, images or scripts from anywhere.
    expect(requests).toEqual([pathToFileURL(html).href]);
    expect(charts.map((c) => c.name)).toEqual([
      'delta',
      'per-class-f1',
      'confusion-matrix',
      'history',
    ]);
    for (const chart of charts) {
      expect(chart.width, chart.name ?? '').toBeGreaterThan(100);
      expect(chart.height, chart.name ?? '').toBeGreaterThan(100);
    }
    const texts = Object.fromEntries(charts.map((c) => [c.name, c.texts]));
    expect(texts.delta).toEqual(expect.arrayContaining(['accuracy', 'wer', '+0.0500', '+0.0300']));
    expect(texts['per-class-f1']).toEqual(
      expect.arrayContaining(['<b>cat', 'dog & co', 'say "hi"', '0.800', '0.750', '0.933']),
    );
    expect(texts['confusion-matrix']).toEqual(
      expect.arrayContaining([
        '<b>cat',
        'dog & co',
        'say "hi"',
        '12',
        '9',
        '14',
        'predicted',
        'true',
      ]),
    );
    expect(texts.history).toEqual(
      expect.arrayContaining(['v0', 'v1', 'v2', 'accuracy', 'macro f1']),
    );
    // The table cells show the labels as text, not as markup.
    const firstCell = await page.$eval('table tbody tr td b', (b) => b.textContent);
    expect(firstCell).toBe('<b>cat');
    await page.screenshot({ path: join(tmpdir(), 'ft-validate-report.png'), fullPage: true });
  } finally {
    await browser.close();
  }
});
