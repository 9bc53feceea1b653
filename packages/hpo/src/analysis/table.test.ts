import { describe, expect, it } from 'vitest';
import { type FrozenTrial, trialsToCsv, trialsToRows } from '../index.js';

const base = {
  distributions: {},
  intermediateValues: {},
  systemAttrs: {},
} satisfies Partial<FrozenTrial>;

const trials: FrozenTrial[] = [
  {
    ...base,
    number: 0,
    state: 'complete',
    values: [0.5],
    params: { lr: 0.01, opt: 'adam' },
    userAttrs: { note: 'a, "quoted" one' },
    intermediateValues: { '0': 0.9, '10': 0.5, '2': 0.7 },
    systemAttrs: { fixed_params: { lr: 0.01 } },
    datetimeStart: '2026-01-01T00:00:00.000Z',
    datetimeComplete: '2026-01-01T00:00:01.500Z',
  },
  {
    ...base,
    number: 1,
    state: 'pruned',
    params: { lr: 0.1, layers: 3 },
    userAttrs: { tags: ['x', 'y'] },
    datetimeStart: '2026-01-01T00:00:02.000Z',
  },
];

describe('trialsToRows / trialsToCsv', () => {
  it('flattens params, user attributes and values into Optuna-style columns', () => {
    const table = trialsToRows({ name: 's', directions: ['minimize'], trials });
    expect(table.columns).toEqual([
      'number',
      'value',
      'datetime_start',
      'datetime_complete',
      'duration',
      'params_layers',
      'params_lr',
      'params_opt',
      'user_attrs_note',
      'user_attrs_tags',
      'state',
    ]);
    expect(table.rows[0]).toEqual({
      number: 0,
      value: 0.5,
      datetime_start: '2026-01-01T00:00:00.000Z',
      datetime_complete: '2026-01-01T00:00:01.500Z',
      duration: 1.5,
      params_layers: null,
      params_lr: 0.01,
      params_opt: 'adam',
      user_attrs_note: 'a, "quoted" one',
      user_attrs_tags: null,
      state: 'complete',
    });
    expect(table.rows[1]).toMatchObject({
      value: null,
      duration: null,
      params_layers: 3,
      user_attrs_tags: '["x","y"]',
      state: 'pruned',
    });
  });

  it('uses values_<i> columns for several objectives and adds optional columns', () => {
    const two = trials.map((t) => (t.values ? { ...t, values: [1, 2] } : t));
    const table = trialsToRows(two, { systemAttrs: true, intermediateValues: true });
    expect(table.columns.slice(0, 3)).toEqual(['number', 'values_0', 'values_1']);
    expect(table.columns).toContain('system_attrs_fixed_params');
    // Steps in numeric order, not string order.
    expect(table.columns.filter((c) => c.startsWith('intermediate_'))).toEqual([
      'intermediate_0',
      'intermediate_2',
      'intermediate_10',
    ]);
    expect(table.rows[0]).toMatchObject({
      values_0: 1,
      values_1: 2,
      system_attrs_fixed_params: '{"lr":0.01}',
      intermediate_10: 0.5,
    });
  });

  it('writes RFC 4180 CSV', () => {
    const csv = trialsToCsv({ name: 's', directions: ['minimize'], trials });
    expect(csv).toBe(
      [
        'number,value,datetime_start,datetime_complete,duration,params_layers,params_lr,params_opt,user_attrs_note,user_attrs_tags,state',
        '0,0.5,2026-01-01T00:00:00.000Z,2026-01-01T00:00:01.500Z,1.5,,0.01,adam,"a, ""quoted"" one",,complete',
        '1,,2026-01-01T00:00:02.000Z,,,3,0.1,,,"[""x"",""y""]",pruned',
        '',
      ].join('\n'),
    );
    expect(trialsToCsv([])).toBe('number,value,datetime_start,datetime_complete,duration,state\n');
  });
});
