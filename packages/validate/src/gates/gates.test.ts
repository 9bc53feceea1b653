// Quality gates: schema validation with paths and line numbers, loading JSON/YAML files, and
// rule evaluation with hand-computed outcomes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ComparisonResult,
  compareToBaseline,
  evaluateGates,
  type GateRule,
  loadGates,
  parseGates,
  ValidateError,
} from '../index.js';

const yamlGates = `name: release
rules:
  - type: threshold
    metric: accuracy
    op: ">="
    threshold: 0.9
  - type: max-regression
    metric: f1
    threshold: 0.02
  - type: threshold
    metric: f1
    op: ">="
    threshold: 0.7
    slices: all
`;

function comparison(overrides: Partial<ComparisonResult>): ComparisonResult {
  return {
    metric: 'accuracy',
    higherIsBetter: true,
    n: 200,
    baseline: 0.8,
    candidate: 0.83,
    delta: 0.03,
    ci: { low: 0.01, high: 0.05, level: 0.95, method: 't' },
    pValue: 0.01,
    test: 'paired-t',
    effectSize: 0.3,
    alpha: 0.05,
    degraded: [],
    verdict: 'better',
    ...overrides,
  };
}

function thrown(fn: () => unknown): ValidateError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidateError) return error;
    throw error;
  }
  throw new Error('expected a ValidateError');
}

describe('parseGates', () => {
  it('parses YAML and JSON into the same rules', () => {
    const fromYaml = parseGates(yamlGates);
    expect(fromYaml.rules).toHaveLength(3);
    expect(fromYaml.rules[1]).toEqual({ type: 'max-regression', metric: 'f1', threshold: 0.02 });
    expect(parseGates(JSON.stringify(fromYaml), { format: 'json' })).toEqual(fromYaml);
  });

  it('names the rule path and the YAML line of a schema error', () => {
    const bad = yamlGates.replace('threshold: 0.02', 'threshold: "high"');
    const error = thrown(() => parseGates(bad, { path: 'gates.yaml' }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.field).toBe('rules[1].threshold');
    expect(error.path).toBe('gates.yaml');
    expect(error.message).toContain('line 9');
    expect(error.message).toContain('gates.yaml rules[1].threshold');
  });

  it('reports unknown rule types, unknown fields and JSON lines', () => {
    const typo = thrown(() =>
      parseGates(yamlGates.replace('type: max-regression', 'type: max-regresion')),
    );
    expect(typo.field).toBe('rules[1].type');
    expect(typo.message).toContain('line 7');
    const extra = thrown(() =>
      parseGates(
        yamlGates.replace(
          '    metric: f1\n    threshold: 0.02',
          '    metric: f1\n    treshold: 0.02',
        ),
      ),
    );
    expect(extra.field).toBe('rules[1].treshold');
    const json =
      '{\n  "rules": [\n    { "type": "threshold", "metric": "acc", "op": "=>", "threshold": 1 }\n  ]\n}';
    const op = thrown(() => parseGates(json, { format: 'json' }));
    expect(op.field).toBe('rules[0].op');
    expect(op.message).toContain('line 3');
  });

  it('accepts a bare list of rules', () => {
    const list =
      '- type: threshold\n  metric: acc\n  op: ">="\n  threshold: 0.5\n- type: threshold\n  metric: acc\n  op: ">="\n  threshold: [1]\n';
    expect(parseGates(list.replace('[1]', '0.6')).rules).toHaveLength(2);
    const error = thrown(() => parseGates(list));
    expect(error.field).toBe('rules[1].threshold');
    expect(error.message).toContain('line 8');
  });

  it('reports malformed YAML and JSON with a line', () => {
    const yaml = thrown(() => parseGates('rules:\n  - type: threshold\n   metric: [a\n'));
    expect(yaml.code).toBe('INVALID_CONFIG');
    expect(yaml.message).toMatch(/line \d+: malformed YAML/);
    const json = thrown(() =>
      parseGates('{\n "rules": [\n  {"type": }\n ]\n}', { format: 'json' }),
    );
    expect(json.message).toMatch(/line 3: malformed JSON/);
    expect(thrown(() => parseGates('rules: []')).field).toBe('rules');
  });
});

describe('loadGates', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ft-gates-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads .yaml and .json files and names the file in errors', async () => {
    const yamlPath = join(dir, 'gates.yml');
    await writeFile(yamlPath, yamlGates);
    expect((await loadGates(yamlPath)).name).toBe('release');
    const jsonPath = join(dir, 'gates.json');
    await writeFile(
      jsonPath,
      JSON.stringify({ rules: [{ type: 'significance', metric: 'acc', require: 'sure' }] }),
    );
    await expect(loadGates(jsonPath)).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      path: jsonPath,
      field: 'rules[0].require',
    });
    await expect(loadGates(join(dir, 'missing.yaml'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(loadGates(join(dir, 'gates.txt'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('evaluateGates', () => {
  it('evaluates thresholds, regressions and per-slice rules with reasons', () => {
    const result = evaluateGates(parseGates(yamlGates), {
      metrics: { accuracy: 0.91, f1: 0.8 },
      baselineMetrics: { f1: 0.83 },
      slices: { PER: { f1: 0.9 }, LOC: { f1: 0.65 }, ORG: {} },
    });
    expect(result.passed).toBe(false);
    expect(result.rules.map((r) => [r.id, r.passed])).toEqual([
      ['accuracy>=0.9', true],
      ['f1:max-regression=0.02', false],
      ['f1>=0.7[PER]', true],
      ['f1>=0.7[LOC]', false],
      ['f1>=0.7[ORG]', false],
    ]);
    const regression = result.rules[1];
    expect(regression?.actual).toBeCloseTo(0.03, 12);
    expect(regression?.reason).toBe(
      'f1 went from 0.83 to 0.8 (regression of 0.03); exceeds the allowed 0.02',
    );
    expect(result.rules[3]).toMatchObject({ slice: 'LOC', actual: 0.65, threshold: 0.7 });
    expect(result.rules[4]?.reason).toBe('metric "f1" is missing from slice "ORG"');
  });

  it('fails rules with missing inputs instead of throwing', () => {
    const rules: GateRule[] = [
      { type: 'threshold', metric: 'bleu', op: '>=', threshold: 30 },
      { type: 'max-regression', metric: 'bleu', threshold: 0.05, relative: true },
      { type: 'significance', metric: 'bleu', require: 'not_worse' },
      { type: 'threshold', metric: 'f1', op: '>=', threshold: 0.5, slices: ['PER'] },
    ];
    const result = evaluateGates(rules, { metrics: { bleu: Number.NaN } });
    expect(result.passed).toBe(false);
    expect(result.rules.map((r) => r.reason)).toEqual([
      'metric "bleu" in metrics is NaN, not a finite number',
      'metric "bleu" in metrics is NaN, not a finite number',
      'no comparisons with the baseline given',
      'slice "PER" is missing from slices',
    ]);
  });

  it('handles relative regressions and lower-is-better metrics', () => {
    const rules: GateRule[] = [
      {
        type: 'max-regression',
        metric: 'wer',
        threshold: 0.1,
        relative: true,
        higherIsBetter: false,
      },
      { type: 'threshold', metric: 'wer', op: '<', threshold: 0.2 },
    ];
    // WER 0.15 → 0.162 is a relative regression of 8%.
    const result = evaluateGates(rules, {
      metrics: { wer: 0.162 },
      baselineMetrics: { wer: 0.15 },
    });
    expect(result.passed).toBe(true);
    expect(result.rules[0]?.actual).toBeCloseTo(0.08, 12);
    expect(result.rules[0]?.id).toBe('wer:max-regression-relative=0.1');
  });

  it('applies regression rules per listed slice against baseline slices', () => {
    const result = evaluateGates(
      [{ type: 'max-regression', metric: 'f1', threshold: 0.05, slices: ['PER', 'LOC', 'MISC'] }],
      {
        slices: { PER: { f1: 0.8 }, LOC: { f1: 0.7 }, MISC: { f1: 0.5 } },
        baselineSlices: { PER: { f1: 0.82 }, LOC: { f1: 0.8 } },
      },
    );
    expect(result.rules.map((r) => [r.slice, r.passed])).toEqual([
      ['PER', true],
      ['LOC', false],
      ['MISC', false],
    ]);
    expect(result.rules[1]?.actual).toBeCloseTo(0.1, 12);
    expect(result.rules[2]?.reason).toBe('no baseline slice "MISC" given');
    expect(
      evaluateGates([{ type: 'threshold', metric: 'f1', op: '>=', threshold: 0.5, slices: 'all' }])
        .rules[0]?.reason,
    ).toBe('the rule applies to slices but no slices were given');
  });

  it('checks significance and degraded share on comparisons', () => {
    const rules: GateRule[] = [
      { type: 'significance', metric: 'accuracy', require: 'better' },
      { type: 'significance', metric: 'accuracy', require: 'better', alpha: 0.005 },
      { type: 'significance', metric: 'loss', require: 'not_worse' },
      { type: 'max-degraded', metric: 'accuracy', threshold: 0.05 },
    ];
    const degraded = Array.from({ length: 12 }, (_, i) => ({
      index: i,
      baseline: 1,
      candidate: 0,
      delta: -1,
    }));
    const comparisons = [
      comparison({ degraded }),
      comparison({
        metric: 'loss',
        higherIsBetter: false,
        delta: 0.2,
        pValue: 0.001,
        verdict: 'worse',
      }),
    ];
    const result = evaluateGates(rules, { comparisons });
    expect(result.rules.map((r) => r.passed)).toEqual([true, false, false, false]);
    expect(result.rules[3]).toMatchObject({ actual: 0.06, threshold: 0.05 });
    expect(result.rules[3]?.reason).toBe(
      '12 of 200 samples (6%) degraded on accuracy; allowed at most 5%',
    );
    expect(result.rules[2]?.reason).toContain('significantly worse');
  });

  it('works end to end with compareToBaseline', () => {
    const baseline = [0.6, 0.7, 0.65, 0.8, 0.75, 0.7, 0.6, 0.9];
    const candidate = [0.7, 0.75, 0.7, 0.82, 0.8, 0.66, 0.7, 0.93];
    const cmp = compareToBaseline({
      baseline,
      candidate,
      metric: 'acc',
      degradationThreshold: 0.01,
    });
    const result = evaluateGates(
      [
        { type: 'significance', metric: 'acc', require: 'better' },
        { type: 'max-degraded', metric: 'acc', threshold: 0.1 },
      ],
      { comparisons: { acc: cmp } },
    );
    expect(cmp.verdict).toBe('better');
    expect(result.rules.map((r) => r.passed)).toEqual([true, false]);
    expect(result.rules[1]?.actual).toBe(1 / 8);
  });

  it('fails a max-degraded rule whose stored comparison has no degraded list', () => {
    const stored = { ...comparison({ metric: 'acc', n: 4 }), degraded: undefined };
    const result = evaluateGates([{ type: 'max-degraded', metric: 'acc', threshold: 0.1 }], {
      comparisons: [stored as unknown as ComparisonResult],
    });
    expect(result.rules[0]).toMatchObject({
      passed: false,
      reason: 'the comparison for "acc" has no list of degraded samples',
    });
  });

  it('validates rules given in code', () => {
    const error = thrown(() =>
      evaluateGates([
        { type: 'threshold', metric: 'a', op: '>=', threshold: Number.NaN },
      ] as GateRule[]),
    );
    expect(error).toMatchObject({ code: 'INVALID_CONFIG', field: 'rules[0].threshold' });
  });
});
